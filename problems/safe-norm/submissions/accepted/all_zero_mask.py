# The zero test on x itself (every entry 0) and the second where on x: for a zero row x is replaced by
# ones before the norm, so no derivative of sqrt at 0 is ever taken.
import jax.numpy as jnp


def safe_norm(x):
    is_zero = jnp.all(x == 0, axis=-1, keepdims=True)
    safe_x = jnp.where(is_zero, jnp.ones_like(x), x)
    norm = jnp.sqrt(jnp.sum(safe_x * safe_x, axis=-1))
    return jnp.where(is_zero[..., 0], jnp.zeros_like(norm), norm)
