import jax.numpy as jnp


def top_eigenvector(a):
    ...
