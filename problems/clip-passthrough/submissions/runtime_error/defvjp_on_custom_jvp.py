# defvjp is custom_vjp's method; a custom_jvp function has defjvp.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


clip_passthrough.defvjp(lambda x, lo, hi: (jnp.clip(x, lo, hi), None), lambda _, g: (g, None, None))
