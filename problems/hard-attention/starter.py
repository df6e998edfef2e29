import jax
import jax.numpy as jnp


@jax.custom_jvp
def hard_attention(logits):
    """logits: (n, k). Forward: one-hot rows at the argmax. Backward: softmax's derivative."""
    index = jnp.argmax(logits, axis=-1)
    return jax.nn.one_hot(index, logits.shape[-1], dtype=logits.dtype)


# Register a JVP rule here with @hard_attention.defjvp: the primal out is the one-hot above,
# the tangent out is the JVP of jax.nn.softmax(logits, axis=-1).
