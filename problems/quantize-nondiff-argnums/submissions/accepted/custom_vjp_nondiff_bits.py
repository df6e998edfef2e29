# custom_vjp with bits in nondiff_argnums: bwd receives it first, as a plain int. The residual is the
# mask of entries inside the grid; None is scale's cotangent.
from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def fake_quantize(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    return jnp.clip(jnp.round(x / scale), -qmax, qmax) * scale


def _fwd(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    inside = jnp.abs(x / scale) <= qmax
    return fake_quantize(x, scale, bits), inside


def _bwd(bits, inside, g):
    return jnp.where(inside, g, 0.0).astype(g.dtype), None


fake_quantize.defvjp(_fwd, _bwd)
