# jnp.sign alone: right values, but its derivative is 0 everywhere.
import jax.numpy as jnp


def sign_straight_through(x):
    return jnp.sign(x)
