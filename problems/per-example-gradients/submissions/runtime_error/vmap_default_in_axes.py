# vmap without in_axes maps axis 0 of EVERY argument, params included: w1's axis 0 is d, not n, and vmap
# refuses inconsistent sizes.
import jax
import jax.numpy as jnp


def example_loss(params, x, y):
    prediction = jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]
    return 0.5 * (prediction - y) ** 2


def per_example_grads(params, x, y):
    return jax.vmap(jax.grad(example_loss))(params, x, y)
