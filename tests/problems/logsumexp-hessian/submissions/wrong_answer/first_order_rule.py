import jax
import jax.numpy as jnp


# Right to first order; the stop_gradient in the rule makes the Hessian 0.
@jax.custom_jvp
def logsumexp(x):
    return jax.nn.logsumexp(x)


@logsumexp.defjvp
def _jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return logsumexp(x), jnp.dot(jax.lax.stop_gradient(jax.nn.softmax(x)), t)
