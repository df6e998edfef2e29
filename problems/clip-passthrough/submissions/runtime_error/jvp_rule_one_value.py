# The rule returns only the tangent; it must return (primal_out, tangent_out).
import jax
import jax.numpy as jnp


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return jnp.clip(x, lo, hi)


@clip_passthrough.defjvp
def _rule(primals, tangents):
    return tangents[0]
