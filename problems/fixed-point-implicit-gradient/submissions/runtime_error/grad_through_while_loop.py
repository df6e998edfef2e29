# The right fixed point, and no derivative rule: JAX cannot differentiate a while_loop in reverse mode
# (its number of iterations is a value, so nothing can be stored for the backward pass): "Reverse-mode
# differentiation does not work for lax.while_loop or lax.fori_loop with dynamic start/stop values."
import jax
import jax.numpy as jnp


def fixed_point(W, a):
    def going(state):
        z, z_prev = state
        return jnp.max(jnp.abs(z - z_prev)) > 1e-6

    def step(state):
        z, _ = state
        return jnp.tanh(W @ z + a), z

    z0 = jnp.zeros_like(a)
    return jax.lax.while_loop(going, step, (jnp.tanh(W @ z0 + a), z0))[0]
