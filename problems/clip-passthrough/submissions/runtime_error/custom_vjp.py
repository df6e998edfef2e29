# custom_vjp gives the right gradient, but defines no forward mode: jax.jvp cannot go through it.
import jax
import jax.numpy as jnp


@jax.custom_vjp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


def _fwd(x, lo, hi):
    return jnp.clip(x, lo, hi), None


def _bwd(_, g):
    return g, None, None


clip_passthrough.defvjp(_fwd, _bwd)
