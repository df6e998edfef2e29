# PyTorch's formulation, x * mask / (1 - rate): a dropped inf or NaN is inf * 0 = NaN instead of 0, and at
# rate = 1 every entry is 0 / 0 = NaN.
import jax


def dropout(key, x, rate):
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return x * keep.astype(x.dtype) / (1.0 - rate)
