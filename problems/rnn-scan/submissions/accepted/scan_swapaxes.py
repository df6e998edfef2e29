# The reference's technique: time first, then a scan whose carry is the state.
import jax
import jax.numpy as jnp


def rnn_final_state(params, h0, xs):
    def step(h, x):
        return jnp.tanh(h @ params["w_h"] + x @ params["w_x"] + params["b"]), None

    h_final, _ = jax.lax.scan(step, h0, jnp.swapaxes(xs, 0, 1))
    return h_final
