# "Gradient times v": one derivative short. grad f = 2x sin x + x^2 cos x, while the Hessian's diagonal
# is (2 - x^2) sin x + 4x cos x.
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    return v * jax.grad(f)(x)
