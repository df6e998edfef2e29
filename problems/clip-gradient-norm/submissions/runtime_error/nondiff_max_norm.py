# max_norm declared in nondiff_argnums. Eagerly it works; under jax.jit max_norm is a tracer, and
# custom_vjp refuses a tracer in a nondiff_argnums position (UnexpectedTracerError). nondiff_argnums is
# for arguments that cannot be traced (functions, shapes, static ints); pass max_norm as an ordinary
# argument and return None (or zeros) as its cotangent.
from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def clip_gradient_norm(x, max_norm):
    return x


def _fwd(x, max_norm):
    return x, None


def _bwd(max_norm, _, g):
    norm = jnp.linalg.norm(g)
    return (jnp.where(norm > max_norm, g * (max_norm / norm), g),)


clip_gradient_norm.defvjp(_fwd, _bwd)
