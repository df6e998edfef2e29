# Rounds with floor(s + 0.5): halves go up (2.5 -> 3, -2.5 -> -2) instead of to the even neighbour.
from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def fake_quantize(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    return jnp.clip(jnp.floor(x / scale + 0.5), -qmax, qmax) * scale


def _fwd(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    return fake_quantize(x, scale, bits), jnp.abs(x / scale) <= qmax


def _bwd(bits, inside, g):
    return jnp.where(inside, g, 0.0).astype(g.dtype), None


fake_quantize.defvjp(_fwd, _bwd)
