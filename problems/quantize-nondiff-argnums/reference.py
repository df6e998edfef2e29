from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def fake_quantize(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    return jnp.clip(jnp.round(x / scale), -qmax, qmax) * scale


def _fwd(x, scale, bits):
    qmax = 2 ** (bits - 1) - 1
    s = x / scale
    # The mask is taken on the unrounded x / scale, bounds included; NaN compares False, so its
    # gradient is 0 like a saturated entry's.
    inside = (s >= -qmax) & (s <= qmax)
    return fake_quantize(x, scale, bits), (inside, scale)


def _bwd(bits, residuals, g):
    inside, scale = residuals
    return jnp.where(inside, g, jnp.zeros_like(g)), jnp.zeros_like(scale)


fake_quantize.defvjp(_fwd, _bwd)
