# Softmax as exp(x) / sum(exp(x)) in the rule: exp(100) is inf in float32 and inf / inf is NaN;
# exp(-1000) is 0 and 0 / 0 is NaN.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def hard_attention(logits):
    return jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1], dtype=logits.dtype)


@hard_attention.defjvp
def _rule(primals, tangents):
    (x,), (t,) = primals, tangents
    e = jnp.exp(x)
    p = e / jnp.sum(e, axis=-1, keepdims=True)
    return hard_attention(x), p * (t - jnp.sum(p * t, axis=-1, keepdims=True))
