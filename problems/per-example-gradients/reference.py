import jax
import jax.numpy as jnp


def example_loss(params, x, y):
    """The loss of one example: x (d,), y a scalar."""
    prediction = jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]
    return 0.5 * (prediction - y) ** 2


def per_example_grads(params, x, y):
    return jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(params, x, y)
