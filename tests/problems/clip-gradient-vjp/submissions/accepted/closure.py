from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.custom_vjp)
def clip_gradient(x):
    return jnp.asarray(x)


clip_gradient.defvjp(lambda x: (x, ()), lambda _, g: (jnp.clip(g, -1, 1).astype(g.dtype),))
