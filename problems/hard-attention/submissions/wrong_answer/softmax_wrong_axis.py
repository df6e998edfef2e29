# Softmax's derivative over axis 0 (across rows) instead of the last axis.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def hard_attention(logits):
    return jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1], dtype=logits.dtype)


@hard_attention.defjvp
def _rule(primals, tangents):
    (x,), (t,) = primals, tangents
    p = jax.nn.softmax(x, axis=0)
    return hard_attention(x), p * (t - jnp.sum(p * t, axis=0, keepdims=True))
