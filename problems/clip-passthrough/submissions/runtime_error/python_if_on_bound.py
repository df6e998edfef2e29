# A Python `if` on a bound: fine eagerly, but under jit the bound is a tracer with no concrete value.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    return jnp.clip(x, lo, hi)


@clip_passthrough.defjvp
def _rule(primals, tangents):
    x, lo, hi = primals
    return clip_passthrough(x, lo, hi), tangents[0]
