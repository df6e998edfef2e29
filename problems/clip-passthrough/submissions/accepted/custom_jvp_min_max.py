# The forward pass written with minimum/maximum; the rule passes x's tangent through.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.minimum(jnp.maximum(x, lo), hi)


@clip_passthrough.defjvp
def _rule(primals, tangents):
    x, lo, hi = primals
    return clip_passthrough(x, lo, hi), tangents[0]
