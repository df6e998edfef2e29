# log(sigmoid(x)) = -log(exp(0) + exp(-x)): jnp.logaddexp is stable and has its own derivative rule
# (this is how jax.nn.log_sigmoid is written). The Python 0.0 is weakly typed, so bfloat16 stays bfloat16.
import jax.numpy as jnp


def log_sigmoid(x):
    return -jnp.logaddexp(0.0, -x)
