# The stop_gradient trick: the gradient is right, but 1e8 + (1 - 1e8) rounds to 0 in float32, and
# inf - inf is NaN.
import jax
import jax.numpy as jnp


def sign_straight_through(x):
    return x + jax.lax.stop_gradient(jnp.sign(x) - x)
