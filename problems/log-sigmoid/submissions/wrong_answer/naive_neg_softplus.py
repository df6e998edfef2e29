# -log(1 + exp(-x)) with log1p: fine for x > -88, but exp(1000) overflows, giving -inf and inf / inf = NaN.
import jax.numpy as jnp


def log_sigmoid(x):
    return -jnp.log1p(jnp.exp(-x))
