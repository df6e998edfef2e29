# PyTorch's gumbel_softmax(hard=True) trick, y_hard - y_soft.detach() + y_soft, in JAX: the gradient is
# softmax's, but the value is NaN wherever softmax is (a row holding +inf or NaN) and the argmax entry
# is 1 only up to rounding.
import jax
import jax.numpy as jnp


def hard_attention(logits):
    soft = jax.nn.softmax(logits, axis=-1)
    hard = jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1], dtype=logits.dtype)
    return soft + jax.lax.stop_gradient(hard - soft)
