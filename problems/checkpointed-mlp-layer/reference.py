import jax
import jax.numpy as jnp


@jax.checkpoint
def checkpointed_layer(x, w):
    # jax.checkpoint saves no intermediate of this function for the backward pass: it keeps x and w and
    # recomputes tanh(x * w) when the derivative is asked for, with the same operations, so values and
    # derivatives are bit for bit those of the plain function.
    return jnp.tanh(x * w) ** 2
