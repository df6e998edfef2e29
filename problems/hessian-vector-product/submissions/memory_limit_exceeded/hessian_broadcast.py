# Forms the n x n Hessian, then multiplies instead of contracting: H * v broadcasts v along the rows and
# is an (n, n) matrix, not the vector H @ v, so the small cases are wrong. The judge stops it earlier
# than their verdict, though: for the hidden case of 65,536 elements H alone is 16 GiB of float32, over
# the memory limit, and that is the verdict it gets (so would jax.hessian(f)(x) @ v).
import jax
import jax.numpy as jnp


def f(x):
    return jnp.sum(jnp.sin(x) * x**2)


def hvp(x, v):
    return jax.hessian(f)(x) * v
