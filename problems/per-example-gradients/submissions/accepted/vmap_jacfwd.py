# Forward mode per example: jax.jacfwd of the scalar loss with respect to params is its gradient (one
# JVP per parameter entry), vmapped over the examples with params shared.
import functools

import jax
import jax.numpy as jnp


def example_loss(params, x, y):
    prediction = jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]
    return 0.5 * (prediction - y) ** 2


def per_example_grads(params, x, y):
    gradient = functools.partial(jax.jacfwd(example_loss), params)
    return jax.vmap(gradient)(x, y)
