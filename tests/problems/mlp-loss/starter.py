import jax.numpy as jnp


def mlp_loss(params, x):
    ...
