import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    """Inverted dropout: keep each entry of x with probability 1 - rate, drawn as
    jax.random.bernoulli(key, 1 - rate, x.shape), scale kept entries by 1 / (1 - rate),
    set dropped entries to 0. At rate = 1 everything is 0."""
    ...
