import jax.numpy as jnp


def normalize(x, axis):
    return x / jnp.linalg.norm(x, axis=axis, keepdims=True)
