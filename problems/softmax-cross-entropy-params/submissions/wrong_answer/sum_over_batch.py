# The sum over the batch instead of the mean: n times the loss and n times its gradient.
import jax
import jax.numpy as jnp


def softmax_cross_entropy(params, x, labels):
    logits = x @ params["w"] + params["b"]
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.sum(jnp.take_along_axis(log_probs, labels[:, None], axis=-1))
