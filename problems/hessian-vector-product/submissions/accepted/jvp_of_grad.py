# Forward over reverse: push the tangent v through the computation of grad f.
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    _, hv = jax.jvp(jax.grad(f), (x,), (v,))
    return hv
