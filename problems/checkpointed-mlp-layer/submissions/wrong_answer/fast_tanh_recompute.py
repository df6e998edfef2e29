# Hand-rolled rematerialisation: the forward is exact, but the rule that recomputes tanh for the
# derivative uses a cheap Pade approximant, z (27 + z^2) / (27 + 9 z^2) clipped at |z| = 3, which is
# 2 % off at z = 1 and flat beyond 3. Recomputation must use the same formula as the forward.
import jax
import jax.numpy as jnp


def _fast_tanh(z):
    z = jnp.clip(z, -3.0, 3.0)
    return z * (27 + z * z) / (27 + 9 * z * z)


@jax.custom_jvp
def checkpointed_layer(x, w):
    return jnp.tanh(x * w) ** 2


@checkpointed_layer.defjvp
def _rule(primals, tangents):
    (x, w), (x_dot, w_dot) = primals, tangents
    h = _fast_tanh(x * w)
    return checkpointed_layer(x, w), 2 * h * (1 - h * h) * (x_dot * w + x * w_dot)
