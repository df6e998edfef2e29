# optax.clip_by_global_norm's rule for one array: keep g up to the bound, else g / norm * max_norm.
# `<=` where optax has `<`: a zero cotangent with max_norm = 0 then stays 0 instead of 0 / 0 = NaN.
# None is custom_vjp's way of saying "a zero cotangent" for max_norm.
import jax
import jax.numpy as jnp


@jax.custom_vjp
def clip_gradient_norm(x, max_norm):
    return x


def _fwd(x, max_norm):
    return x, max_norm


def _bwd(max_norm, g):
    norm = jnp.linalg.norm(g)
    return jnp.where(norm <= max_norm, g, g / norm * max_norm), None


clip_gradient_norm.defvjp(_fwd, _bwd)
