# The rate passed as bernoulli's probability: the mask marks the dropped entries, not the kept ones. At
# rate 0.5 it is the same draw (which is why the first sample passes); at rate 0.1 it keeps 10 per cent.
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep = jax.random.bernoulli(key, rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x))
