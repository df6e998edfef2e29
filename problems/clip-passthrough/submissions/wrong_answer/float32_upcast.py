# Computes in float32 whatever the input: bfloat16 inputs come back as float32.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x.astype(jnp.float32), lo, hi)


@clip_passthrough.defjvp
def _rule(primals, tangents):
    x, lo, hi = primals
    return clip_passthrough(x, lo, hi), tangents[0].astype(jnp.float32)
