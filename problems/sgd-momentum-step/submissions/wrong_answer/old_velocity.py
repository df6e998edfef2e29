# The parameters move along the old velocity, and only then is the velocity updated: a step behind.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_params = jax.tree.map(lambda p, v: p - lr * v, params, velocity)
    new_velocity = jax.tree.map(lambda v, g: momentum * v + g, velocity, grads)
    return new_params, new_velocity
