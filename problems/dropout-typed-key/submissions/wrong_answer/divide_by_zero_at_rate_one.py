# Flax's formula, select(mask, x / keep_prob, 0), without Flax's guard: right everywhere except rate = 1,
# where x / (1 - rate) is x / 0. The select hides it in the values (all 0), but not in the derivative:
# the dropped entries' cotangent 0 is divided by 0, so the gradient is NaN everywhere. (Flax returns
# zeros first with a Python `if rate == 1.0`, "to prevent gradient NaNs"; its rate is a static module
# attribute, while here it is traced: see runtime_error/python_if_on_rate.py.)
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)
