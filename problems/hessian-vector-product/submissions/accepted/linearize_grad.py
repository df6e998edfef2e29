# jax.linearize evaluates grad f at x once and returns its linear map y -> H(x) y, which is worth keeping
# when many vectors v are multiplied by the same Hessian.
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    _, hessian_times = jax.linearize(jax.grad(f), x)
    return hessian_times(v)
