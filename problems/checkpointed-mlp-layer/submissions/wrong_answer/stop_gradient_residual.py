# "Save h so the backward pass need not recompute it": stop_gradient makes the saved h a constant, so
# d(h * h) becomes h * dh instead of 2 h * dh, and every derivative is halved. The values are right.
import jax
import jax.numpy as jnp


@jax.checkpoint
def checkpointed_layer(x, w):
    h = jnp.tanh(x * w)
    return jax.lax.stop_gradient(h) * h
