import jax.numpy as jnp


def mean_and_variance(x):
    mean = jnp.mean(x)
    return mean, jnp.mean(x * x) - mean * mean
