import jax
import jax.numpy as jnp

@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)

@clip_passthrough.defjvp
def _clip_passthrough_jvp(primals, tangents):
    x, lo, hi = primals
    x_dot, _, _ = tangents
    return clip_passthrough(x, lo, hi), x_dot
