import jax
import jax.numpy as jnp


@jax.custom_jvp
def logsumexp(x):
    top = jnp.max(x)
    return top + jnp.log(jnp.sum(jnp.exp(x - top)))


@logsumexp.defjvp
def _jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return logsumexp(x), jnp.dot(jax.nn.softmax(x), t)
