import jax.numpy as jnp


def mlp_loss(params, x):
    hidden = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((hidden @ params["w2"]) ** 2)
