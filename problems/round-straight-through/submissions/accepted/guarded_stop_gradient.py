# The stop_gradient one-liner is exact for finite x (round(x) - x has no rounding error); only at
# ±inf does it compute inf - inf. There round(x) is x itself, so jnp.where takes x, whose gradient is 1.
import jax
import jax.numpy as jnp


def round_straight_through(x):
    ste = x + jax.lax.stop_gradient(jnp.round(x) - x)
    return jnp.where(jnp.isfinite(x), ste, x)
