# A helper with the bound first, as in the JAX docs' clip_gradient(lo, hi, x), called by the entry
# point; the scale is min(1, max_norm / norm), the norm kept off 0 so that a zero cotangent with
# max_norm = 0 is 0 * min(1, 0 / tiny) = 0 rather than 0 * (0 / 0) = NaN.
import jax
import jax.numpy as jnp


@jax.custom_vjp
def _clip_norm(max_norm, x):
    return x


def _clip_norm_fwd(max_norm, x):
    return x, max_norm


def _clip_norm_bwd(max_norm, g):
    norm = jnp.maximum(jnp.sqrt(jnp.vdot(g, g)), jnp.finfo(g.dtype).tiny)
    return None, g * jnp.minimum(1.0, max_norm / norm)


_clip_norm.defvjp(_clip_norm_fwd, _clip_norm_bwd)


def clip_gradient_norm(x, max_norm):
    return _clip_norm(max_norm, x)
