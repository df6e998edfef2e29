import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    ...
