# The right derivative on the wrong function: the forward pass forgets to clip.
import jax


@jax.custom_jvp
def clip_passthrough(x, lo, hi):
    return x


@clip_passthrough.defjvp
def _rule(primals, tangents):
    return primals[0], tangents[0]
