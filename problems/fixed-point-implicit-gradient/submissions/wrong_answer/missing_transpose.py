# The implicit backward pass without the transpose: it solves (I - J) u = g, which is the forward-mode
# (JVP) system, instead of (I - J)^T u = g. The two agree only when J is symmetric, which
# diag(1 - z^2) W is not in general.
import jax
import jax.numpy as jnp


def _iterate(W, a):
    def going(state):
        z, z_prev, k = state
        return (jnp.max(jnp.abs(z - z_prev)) > 1e-6) & (k < 1000)

    def step(state):
        z, _, k = state
        return jnp.tanh(W @ z + a), z, k + 1

    z0 = jnp.zeros_like(a)
    return jax.lax.while_loop(going, step, (jnp.tanh(W @ z0 + a), z0, 1))[0]


@jax.custom_vjp
def fixed_point(W, a):
    return _iterate(W, a)


def _fwd(W, a):
    z = _iterate(W, a)
    return z, (W, z)


def _bwd(residuals, g):
    W, z = residuals
    slope = 1.0 - z * z
    u = jnp.linalg.solve(jnp.eye(z.shape[0], dtype=z.dtype) - slope[:, None] * W, g)
    s = slope * u
    return jnp.outer(s, z), s


fixed_point.defvjp(_fwd, _bwd)
