from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


def _fwd(x, lo, hi):
    return jnp.clip(x, lo, hi), None


def _bwd(lo, hi, _, g):
    return (g,)


clip_passthrough.defvjp(_fwd, _bwd)
