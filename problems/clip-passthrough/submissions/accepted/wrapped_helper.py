# A custom_jvp helper inside an ordinary function, with the bounds in the rule's primals.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def _ste_clip(x, lo, hi):
    return jnp.clip(x, lo, hi)


@_ste_clip.defjvp
def _ste_clip_jvp(primals, tangents):
    x, lo, hi = primals
    x_dot, _, _ = tangents
    return _ste_clip(x, lo, hi), x_dot


def clip_passthrough(x, lo, hi):
    return _ste_clip(x, lo, hi)
