import jax
import jax.numpy as jnp


@jax.custom_vjp
def clip_gradient(x):
    return x


def _fwd(x):
    return x, None


def _bwd(_, g):
    return (jnp.minimum(jnp.maximum(g, -1.0), 1.0),)


clip_gradient.defvjp(_fwd, _bwd)
