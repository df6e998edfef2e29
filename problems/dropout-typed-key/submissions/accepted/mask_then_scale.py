# Zero the dropped entries first, then scale everything: 0 * scale is 0 since the scale is finite (0 at
# rate = 1, where the maximum keeps 1 / 0 from being formed).
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep_prob = jnp.asarray(1.0 - rate)
    keep = jax.random.bernoulli(key, keep_prob, x.shape)
    scale = jnp.where(keep_prob > 0, 1.0 / jnp.maximum(keep_prob, jnp.finfo(keep_prob.dtype).tiny), 0.0)
    return jnp.where(keep, x, jnp.zeros_like(x)) * scale.astype(x.dtype)
