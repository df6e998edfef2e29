import jax.numpy as jnp


def mlp_loss(params, x):
    hidden = jnp.tanh(jnp.einsum("ni,ih->nh", x, params["w1"]) + params["b1"])
    out = jnp.einsum("nh,ho->no", hidden, params["w2"])
    return jnp.mean(jnp.square(out))
