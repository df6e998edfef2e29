import jax.numpy as jnp


def top_eigenvector(a):
    a = (a + jnp.swapaxes(a, -1, -2)) / 2
    v = jnp.linalg.eigh(a)[1][..., -1]
    return v * jnp.where(v[0] < 0, -1.0, 1.0)
