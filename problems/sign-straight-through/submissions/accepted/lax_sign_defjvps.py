# lax.sign with defjvps (one tangent function per argument).
import jax
from jax import lax


@jax.custom_jvp
def sign_straight_through(x):
    return lax.sign(x)


sign_straight_through.defjvps(lambda x_dot, ans, x: x_dot)
