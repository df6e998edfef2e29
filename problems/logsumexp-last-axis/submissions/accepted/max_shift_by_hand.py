# The max-shift written out: logsumexp(x) = m + log(sum(exp(x - m))) for any m, here the row's maximum,
# replaced by 0 where it is not finite (a row of -inf stays -inf instead of becoming -inf - -inf = NaN).
import jax
import jax.numpy as jnp


def logsumexp_last_axis(x):
    m = jnp.max(x, axis=1)
    m = jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0.0).astype(x.dtype))
    return m + jnp.log(jnp.exp(x - m[:, None]).sum(axis=1))
