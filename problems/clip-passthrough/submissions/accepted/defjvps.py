# defjvps: one tangent function per argument; None for the bounds (no derivative flows to them).
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


clip_passthrough.defjvps(lambda x_dot, ans, x, lo, hi: x_dot, None, None)
