# The rule asks JAX for softmax's own JVP instead of writing it out.
import functools

import jax
import jax.numpy as jnp

_softmax = functools.partial(jax.nn.softmax, axis=-1)


@jax.custom_jvp
def hard_attention(logits):
    hard = jnp.argmax(logits, axis=-1)
    return jax.nn.one_hot(hard, logits.shape[-1], dtype=logits.dtype)


@hard_attention.defjvp
def _rule(primals, tangents):
    _, soft_dot = jax.jvp(_softmax, primals, tangents)
    return hard_attention(*primals), soft_dot
