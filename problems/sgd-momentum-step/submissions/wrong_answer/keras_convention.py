# The Keras / Sutskever convention: the velocity holds the step itself, v = momentum * v - lr * g, and
# p = p + v. With a velocity in the other convention as input, both outputs differ.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_velocity = jax.tree.map(lambda v, g: momentum * v - lr * g, velocity, grads)
    new_params = jax.tree.map(lambda p, v: p + v, params, new_velocity)
    return new_params, new_velocity
