# Reverse over reverse: H v is the gradient of the scalar <grad f(x), v> with respect to x (v held
# fixed). Two reverse passes; it costs more memory than forward over reverse, but the result is the same.
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    return jax.grad(lambda y: jnp.vdot(jax.grad(f)(y), v))(x)
