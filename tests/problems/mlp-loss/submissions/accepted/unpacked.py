import jax
import jax.numpy as jnp


def mlp_loss(params, x):
    w1, b1, w2 = params["w1"], params["b1"], params["w2"]
    return (jnp.dot(jnp.tanh(jnp.dot(x, w1) + b1), w2) ** 2).mean()
