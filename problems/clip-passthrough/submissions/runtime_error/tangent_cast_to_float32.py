# The JVP rule casts the tangent to float32: right for float32 inputs, a TypeError for bfloat16 ones
# (a tangent must have its primal's dtype). The bfloat16 sample case shows it in a Run.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


@clip_passthrough.defjvp
def _clip_passthrough_jvp(primals, tangents):
    x, lo, hi = primals
    return clip_passthrough(x, lo, hi), tangents[0].astype(jnp.float32)
