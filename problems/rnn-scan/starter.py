import jax
import jax.numpy as jnp


def rnn_final_state(params, h0, xs):
    """An Elman RNN over batch-major sequences, with jax.lax.scan.

    params: {"w_x": (d, hidden), "w_h": (hidden, hidden), "b": (hidden,)}
    h0:     (batch, hidden), the initial state
    xs:     (batch, time, d), the inputs
    returns (batch, hidden): h_T, where h_t = tanh(h_{t-1} @ w_h + x_t @ w_x + b)
    """
    ...
