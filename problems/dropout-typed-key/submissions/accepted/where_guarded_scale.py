# The reference's technique: a select, and a scale guarded so that it is 0 (not inf) at rate = 1.
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep_prob = 1.0 - rate
    keep = jax.random.bernoulli(key, keep_prob, x.shape)
    safe_keep_prob = jnp.where(keep_prob > 0, keep_prob, 1.0)
    scale = jnp.where(keep_prob > 0, 1.0 / safe_keep_prob, 0.0).astype(x.dtype)
    return jnp.where(keep, x * scale, jnp.zeros_like(x))
