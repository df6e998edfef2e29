import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep_prob = 1.0 - rate
    keep = jax.random.bernoulli(key, keep_prob, x.shape)
    # At rate = 1 nothing is kept, and the scale is 0 rather than 1 / 0 = inf: with inf, the derivative
    # of every (dropped) entry would be 0 * inf = NaN. The inner where keeps 1 / 0 from being computed.
    safe_keep_prob = jnp.where(keep_prob > 0, keep_prob, 1.0)
    scale = jnp.where(keep_prob > 0, 1.0 / safe_keep_prob, 0.0).astype(x.dtype)
    # A select, not a product with the mask: a dropped inf or NaN is 0 (inf * 0 would be NaN).
    return jnp.where(keep, x * scale, jnp.zeros_like(x))
