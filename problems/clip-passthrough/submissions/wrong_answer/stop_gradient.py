# The stop_gradient trick: the gradient is right, but the forward value is not exact (1e8 + (1 - 1e8)
# rounds to 0 in float32, and inf - inf is NaN).
import jax
import jax.numpy as jnp


def clip_passthrough(x, lo, hi):
    return x + jax.lax.stop_gradient(jnp.clip(x, lo, hi) - x)
