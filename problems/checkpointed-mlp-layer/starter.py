import jax
import jax.numpy as jnp


def checkpointed_layer(x, w):
    """x: (n, d), w: (d,). tanh(x * w) ** 2, elementwise, shape (n, d); rematerialised in the backward pass."""
    h = jnp.tanh(x * w)
    return h * h  # wrap this computation in jax.checkpoint
