import jax
import jax.numpy as jnp


@jax.custom_jvp
def log_sigmoid(x):
    # log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): exp never sees a positive number.
    return jnp.minimum(x, 0) - jnp.log1p(jnp.exp(-jnp.abs(x)))


@log_sigmoid.defjvp
def _log_sigmoid_jvp(primals, tangents):
    # Term-by-term differentiation of the line above gives 1 at x = 0 (min's tie splits, |x|'s slope
    # at 0 is 1); the derivative is sigmoid(-x), which lax.logistic computes stably at ±inf.
    (x,), (x_dot,) = primals, tangents
    return log_sigmoid(x), jax.nn.sigmoid(-x) * x_dot
