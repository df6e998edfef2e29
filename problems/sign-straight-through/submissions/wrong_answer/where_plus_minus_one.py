# A ±1 binarizer instead of sign: 0 becomes 1 and NaN becomes -1 (NaN >= 0 is False).
import jax
import jax.numpy as jnp


@jax.custom_jvp
def sign_straight_through(x):
    return jnp.where(x >= 0, 1.0, -1.0).astype(x.dtype)


@sign_straight_through.defjvp
def _rule(primals, tangents):
    return sign_straight_through(primals[0]), tangents[0]
