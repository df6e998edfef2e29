import jax


@jax.custom_jvp
def gradient_reversal(x, lam):
    return x


@gradient_reversal.defjvp
def _gradient_reversal_jvp(primals, tangents):
    # lam's own tangent is ignored: the layer's derivative is taken with respect to x only.
    x, lam = primals
    x_dot, _ = tangents
    return gradient_reversal(x, lam), -lam * x_dot
