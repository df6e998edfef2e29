import jax
import jax.numpy as jnp


def softmax_cross_entropy(params, x, labels):
    """params: {"w": (d, k), "b": (k,)}; x: (n, d); labels: (n,) int32 in [0, k).

    The mean over the batch of -log softmax(x @ w + b)[label], a scalar.
    """
    logits = x @ params["w"] + params["b"]
    ...
