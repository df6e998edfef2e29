# defjvps: one tangent function per argument; the output tangent is x's tangent.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def round_straight_through(x):
    return jnp.round(x)


round_straight_through.defjvps(lambda x_dot, ans, x: x_dot)
