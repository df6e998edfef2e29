# Drops the right entries but forgets the 1 / (1 - rate) scale: the expected activation shrinks by
# (1 - rate) in training, so the network sees larger inputs at test time ("inverted" dropout rescales).
import jax
import jax.numpy as jnp


def dropout(key, x, rate):
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x, jnp.zeros_like(x))
