# The hand-written rounding floor(x + 0.5): halves go up instead of to even, and 0.49999997 becomes 1.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def round_straight_through(x):
    return jnp.floor(x + 0.5)


@round_straight_through.defjvp
def _rule(primals, tangents):
    return round_straight_through(primals[0]), tangents[0]
