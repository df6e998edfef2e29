# The stop_gradient one-liner: exact for finite x, but inf + (inf - inf) is NaN at x = ±inf.
import jax
import jax.numpy as jnp


def round_straight_through(x):
    return x + jax.lax.stop_gradient(jnp.round(x) - x)
