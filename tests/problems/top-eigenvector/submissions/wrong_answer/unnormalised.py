import jax.numpy as jnp


def top_eigenvector(a):
    a = (a + a.T) / 2
    return 2.0 * jnp.linalg.eigh(a)[1][:, -1]
