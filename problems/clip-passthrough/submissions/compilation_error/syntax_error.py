import jax.numpy as jnp


def clip_passthrough(x, lo, hi)
    return jnp.clip(x, lo, hi)
