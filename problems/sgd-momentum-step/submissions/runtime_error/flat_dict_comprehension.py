# A dict comprehension over the top-level keys: fine for a flat dict, but params is nested, so
# velocity[k] is itself a dict and `momentum * velocity[k]` raises a TypeError.
def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_velocity = {k: momentum * velocity[k] + grads[k] for k in params}
    new_params = {k: params[k] - lr * new_velocity[k] for k in params}
    return new_params, new_velocity
