import jax
import jax.numpy as jnp


def logsumexp_last_axis(x):
    # Shift by the row's maximum so exp only sees numbers <= 0. A row whose maximum is not finite (all
    # -inf, or holding +inf or NaN) is shifted by 0 instead: -inf - -inf would be NaN where the answer is
    # -inf. stop_gradient keeps the shift out of the derivative, which is softmax(x) with or without it.
    m = jnp.max(x, axis=-1, keepdims=True)
    m = jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, jnp.zeros_like(m)))
    return jnp.log(jnp.sum(jnp.exp(x - m), axis=-1)) + m[..., 0]
