# The identity alone: the value is right, but the gradient is not reversed.
def gradient_reversal(x, lam):
    return x
