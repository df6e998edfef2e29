import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    scale = 1.0 / (1.0 - rate)
    return jax.lax.select(jax.random.bernoulli(key, 1.0 - rate, x.shape), x * scale, jnp.zeros_like(x))
