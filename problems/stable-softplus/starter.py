import jax
import jax.numpy as jnp


def stable_softplus(x):
    """log(1 + exp(x)), finite wherever the true value is, with a finite gradient sigmoid(x)."""
    return jnp.log(1 + jnp.exp(x))  # overflows for x > 88: make it stable
