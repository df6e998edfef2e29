# bernoulli(key, p, shape) is defined as uniform(key, shape) < p, so this is the same draw. The kept
# entries are divided by a keep probability replaced by 1 where it is 0 (nothing is kept there anyway,
# and the select's other branch is 0, so the derivative is 0 too).
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep_prob = 1.0 - rate
    keep = jax.random.uniform(key, x.shape) < keep_prob
    divisor = jnp.where(keep_prob > 0, keep_prob, 1.0)
    return jax.lax.select(keep, x / divisor.astype(x.dtype), jnp.zeros_like(x))
