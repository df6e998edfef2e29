# A forward difference of the gradient along v with a step of 1e-2: off by about step / 2 * f''' v^2
# (truncation error), and a smaller step trades that for float32 rounding error instead.
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    step = 1e-2
    g = jax.grad(f)
    return (g(x + step * v) - g(x)) / step
