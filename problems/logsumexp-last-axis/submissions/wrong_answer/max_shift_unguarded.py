# The max-shift as most people first write it: no guard for a row whose maximum is -inf (a fully masked
# row: -inf - -inf is NaN, where the answer is -inf) or +inf (inf - inf is NaN, where the answer is inf),
# and no stop_gradient on the shift.
import jax.numpy as jnp


def logsumexp_last_axis(x):
    m = jnp.max(x, axis=-1, keepdims=True)
    return m[..., 0] + jnp.log(jnp.sum(jnp.exp(x - m), axis=-1))
