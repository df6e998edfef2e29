# jnp.round alone: right values, but its derivative is 0 everywhere.
import jax.numpy as jnp


def round_straight_through(x):
    return jnp.round(x)
