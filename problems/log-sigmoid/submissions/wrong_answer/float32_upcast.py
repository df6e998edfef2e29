# Computes in float32 "for stability" and forgets to cast back: bfloat16 in, float32 out.
import jax
import jax.numpy as jnp


def log_sigmoid(x):
    return jax.nn.log_sigmoid(x.astype(jnp.float32))
