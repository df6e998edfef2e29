import jax
import jax.numpy as jnp


def rnn_final_state(params, h0, xs):
    def step(h, x):
        h = jnp.tanh(h @ params["w_h"] + x @ params["w_x"] + params["b"])
        return h, None

    # xs is batch-major (batch, time, features); lax.scan walks its leading axis, so time goes first.
    h_final, _ = jax.lax.scan(step, h0, jnp.swapaxes(xs, 0, 1))
    return h_final
