# The definition read literally: sigmoid(-1000) underflows to 0, log(0) = -inf, and the gradient
# sigmoid'(x) / sigmoid(x) is 0 / 0 = NaN.
import jax
import jax.numpy as jnp


def log_sigmoid(x):
    return jnp.log(jax.nn.sigmoid(x))
