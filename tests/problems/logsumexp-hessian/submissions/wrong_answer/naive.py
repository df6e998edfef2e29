import jax.numpy as jnp


def logsumexp(x):
    return jnp.log(jnp.sum(jnp.exp(x)))
