# jax.checkpoint as a decorator: nothing inside is saved for the backward pass; tanh(x * w) is recomputed.
import jax
import jax.numpy as jnp


@jax.checkpoint
def checkpointed_layer(x, w):
    h = jnp.tanh(x * w)
    return h * h
