import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    """Forward: jnp.clip(x, lo, hi). Backward: the upstream gradient, unchanged."""
    return jnp.clip(x, lo, hi)


# Register a JVP rule here with @clip_passthrough.defjvp, so that the derivative
# passes straight through the clipping.
