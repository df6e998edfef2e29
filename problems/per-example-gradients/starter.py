import jax
import jax.numpy as jnp


def example_loss(params, x, y):
    """The loss of ONE example: x (d,), y a scalar."""
    prediction = jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]
    return 0.5 * (prediction - y) ** 2


def per_example_grads(params, x, y):
    """params: {"w1": (d, h), "b1": (h,), "w2": (h,)}; x: (n, d); y: (n,).

    The gradient of example_loss with respect to params for each example: a dict like params whose
    every leaf has a leading axis of n, {"w1": (n, d, h), "b1": (n, h), "w2": (n, h)}.
    """
    ...
