from functools import partial

import jax
import jax.numpy as jnp


# bits is a Python int that decides the grid: declare it non-differentiable, so that custom_vjp
# never traces it. bwd then receives it first: bwd(bits, residuals, g).
@partial(jax.custom_vjp, nondiff_argnums=(2,))
def fake_quantize(x, scale, bits):
    """Forward: x rounded to the symmetric signed `bits`-bit grid of step `scale`, saturating.
    Backward: the cotangent where x is inside the grid's range, 0 where it saturated."""
    ...


def _fwd(x, scale, bits):
    ...  # return (the output, the residuals bwd needs)


def _bwd(bits, residuals, g):
    ...  # return (cotangent for x, cotangent for scale)


fake_quantize.defvjp(_fwd, _bwd)
