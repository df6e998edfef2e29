# softplus(x) = log(exp(x) + exp(0)): jnp.logaddexp is stable and has its own derivative rule
# (this is how jax.nn.softplus is written). The Python 0.0 is weakly typed, so bfloat16 stays bfloat16.
import jax.numpy as jnp


def stable_softplus(x):
    return jnp.logaddexp(x, 0.0)
