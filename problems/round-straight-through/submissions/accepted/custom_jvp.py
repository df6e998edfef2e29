# custom_jvp: jnp.round forward, the tangent passed through unchanged.
import jax
import jax.numpy as jnp


@jax.custom_jvp
def round_straight_through(x):
    return jnp.round(x)


@round_straight_through.defjvp
def _rule(primals, tangents):
    return round_straight_through(primals[0]), tangents[0]
