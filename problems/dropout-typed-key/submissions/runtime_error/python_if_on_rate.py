# A Python `if` to special-case rate = 1: fine eagerly, but under jit the rate is a tracer, and its
# truth value is not known while the function is traced (ConcretizationTypeError).
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    if rate >= 1.0:
        return jnp.zeros_like(x)
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x))
