# The scale_gradient helper of the MuZero pseudocode, tensor * scale + stop_gradient(tensor) * (1 - scale),
# with scale = -lam. The gradient is right, but the value is (1 + lam) * x - lam * x: digits are lost
# for a large lam, 2 * 3e38 overflows, and inf - inf is NaN.
import jax


def gradient_reversal(x, lam):
    scale = -lam
    return x * scale + jax.lax.stop_gradient(x) * (1 - scale)
