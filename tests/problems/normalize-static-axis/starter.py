import jax.numpy as jnp


def normalize(x, axis):
    ...
