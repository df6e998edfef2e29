# Below -20, log(sigmoid(x)) = x to float32 precision; elsewhere -log1p(exp(-x)) is safe. The unsafe
# branch gets a clamped input too, so that its derivative is never 0 * inf (the JAX FAQ's "double where").
import jax.numpy as jnp


def log_sigmoid(x):
    very_negative = x < -20
    safe_x = jnp.where(very_negative, 0.0, x)
    return jnp.where(very_negative, x, -jnp.log1p(jnp.exp(-safe_x)))
