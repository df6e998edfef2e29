# The library's own: jax.nn.logsumexp shifts by the row's maximum, guards a non-finite maximum and
# stops its gradient.
import jax


def logsumexp_last_axis(x):
    return jax.nn.logsumexp(x, axis=-1)
