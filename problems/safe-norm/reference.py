import jax.numpy as jnp


def safe_norm(x):
    sum_sq = jnp.sum(x * x, axis=-1)
    is_zero = sum_sq == 0
    # The double where: the inner one keeps sqrt away from 0, where its derivative is inf and the
    # outer where's zero cotangent would make 0 * inf = NaN. `== 0`, not `> 0`, so that NaN stays NaN.
    safe_sum_sq = jnp.where(is_zero, jnp.ones_like(sum_sq), sum_sq)
    return jnp.where(is_zero, jnp.zeros_like(sum_sq), jnp.sqrt(safe_sum_sq))
