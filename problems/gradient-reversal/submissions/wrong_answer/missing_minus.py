# Scales the gradient by lam but forgets the minus sign: that is gradient scaling, not reversal.
import jax


@jax.custom_jvp
def gradient_reversal(x, lam):
    return x


@gradient_reversal.defjvp
def _rule(primals, tangents):
    x, lam = primals
    return gradient_reversal(x, lam), lam * tangents[0]
