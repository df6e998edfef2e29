import jax
import jax.numpy as jnp


@jax.custom_jvp
def sign_straight_through(x):
    return jnp.sign(x)


@sign_straight_through.defjvp
def _sign_straight_through_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return sign_straight_through(x), x_dot
