# Softmax written by hand, shifted by the row's maximum so exp never overflows; the one-hot built with
# a comparison against the argmax index.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def hard_attention(logits):
    index = jnp.argmax(logits, axis=-1)
    classes = jnp.arange(logits.shape[-1])
    return (classes == index[..., None]).astype(logits.dtype)


@hard_attention.defjvp
def _rule(primals, tangents):
    (x,), (t,) = primals, tangents
    e = jnp.exp(x - jnp.max(x, axis=-1, keepdims=True))
    p = e / jnp.sum(e, axis=-1, keepdims=True)
    return hard_attention(x), p * t - p * jnp.sum(p * t, axis=-1, keepdims=True)
