# Never returns.
import jax.numpy as jnp


def clip_passthrough(x, lo, hi):
    while True:
        pass
    return jnp.clip(x, lo, hi)
