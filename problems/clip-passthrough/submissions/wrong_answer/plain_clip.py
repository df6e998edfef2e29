# jnp.clip alone: right values, but its derivative is 0 outside [lo, hi] and 0.5 at the bounds.
import jax.numpy as jnp


def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)
