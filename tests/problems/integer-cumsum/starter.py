import jax
import jax.numpy as jnp


def cumsum_scan(x):
    ...
