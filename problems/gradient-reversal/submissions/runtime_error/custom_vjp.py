# The usual way gradient reversal is written (custom_vjp, as in DANN ports): grad is right, but
# custom_vjp defines no forward mode, so the jvp check raises.
import functools

import jax


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def gradient_reversal(x, lam):
    return x


def _fwd(x, lam):
    return x, None


def _bwd(lam, _, g):
    return (-lam * g,)


gradient_reversal.defvjp(_fwd, _bwd)
