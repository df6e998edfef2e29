# The function has the wrong name.
import jax.numpy as jnp


def clip(x, lo, hi):
    return jnp.clip(x, lo, hi)
