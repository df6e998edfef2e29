# Code written for a seed: jax.random.PRNGKey(seed) builds a legacy uint32[2] key from an integer, and
# refuses a key ("PRNGKey accepts a scalar seed, but was given a PRNG key"). The argument already is a key.
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep = jax.random.bernoulli(jax.random.PRNGKey(key), 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x))
