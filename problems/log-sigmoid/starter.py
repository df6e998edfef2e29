import jax
import jax.numpy as jnp


def log_sigmoid(x):
    """log(sigmoid(x)), finite wherever the true value is, with a finite gradient sigmoid(-x)."""
    return jnp.log(jax.nn.sigmoid(x))  # -inf and NaN gradients for very negative x: make it stable
