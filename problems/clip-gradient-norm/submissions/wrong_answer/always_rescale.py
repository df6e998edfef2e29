# g / norm * max_norm with no comparison: a cotangent already shorter than max_norm is scaled UP to
# norm max_norm (and max_norm = inf makes every entry inf). Only cotangents that are too long shrink.
import jax
import jax.numpy as jnp


@jax.custom_vjp
def clip_gradient_norm(x, max_norm):
    return x


def _fwd(x, max_norm):
    return x, max_norm


def _bwd(max_norm, g):
    return g / jnp.linalg.norm(g) * max_norm, None


clip_gradient_norm.defvjp(_fwd, _bwd)
