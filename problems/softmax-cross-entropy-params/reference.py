import jax
import jax.numpy as jnp


def softmax_cross_entropy(params, x, labels):
    logits = x @ params["w"] + params["b"]
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    label_log_probs = jnp.take_along_axis(log_probs, labels[:, None], axis=-1)[:, 0]
    return -jnp.mean(label_log_probs)
