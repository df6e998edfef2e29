# The loss of one example is logsumexp(logits) - logits[label] (optax's
# softmax_cross_entropy_with_integer_labels), the label logit picked by fancy indexing.
import jax
import jax.numpy as jnp


def softmax_cross_entropy(params, x, labels):
    logits = jnp.dot(x, params["w"]) + params["b"]
    label_logits = logits[jnp.arange(logits.shape[0]), labels]
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1) - label_logits)
