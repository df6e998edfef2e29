# The double where with `sum_sq > 0` as the test: right wherever sum_sq is a number, but a row with a
# NaN fails `> 0` too, so its norm comes out 0 instead of NaN, silently hiding the bad input.
import jax.numpy as jnp


def safe_norm(x):
    sum_sq = jnp.sum(x * x, axis=-1)
    nonzero = sum_sq > 0
    return jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, sum_sq, 1.0)), 0.0).astype(x.dtype)
