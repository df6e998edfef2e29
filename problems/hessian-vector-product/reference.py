import jax
import jax.numpy as jnp


def _f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    # Forward over reverse: the directional derivative of grad f at x along v is H(x) v. One forward
    # pass through the gradient's computation, and the n x n Hessian is never formed.
    return jax.jvp(jax.grad(_f), (x,), (v,))[1]
