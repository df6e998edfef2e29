import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    """params, velocity, grads: pytrees of the same structure (nested dicts of arrays).

    Returns (new_params, new_velocity), two pytrees of that structure:
        new_velocity = momentum * velocity + grads
        new_params   = params - lr * new_velocity
    """
    ...
