# Two tree maps: the new velocity first, then the parameters moved along it.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_velocity = jax.tree.map(lambda v, g: momentum * v + g, velocity, grads)
    new_params = jax.tree.map(lambda p, v: p - lr * v, params, new_velocity)
    return new_params, new_velocity
