# A custom_jvp that zeroes the tangent where x was clipped: that is clip's own derivative, not an STE.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


@clip_passthrough.defjvp
def _rule(primals, tangents):
    x, lo, hi = primals
    inside = (x >= lo) & (x <= hi)
    return clip_passthrough(x, lo, hi), jnp.where(inside, tangents[0], 0.0)
