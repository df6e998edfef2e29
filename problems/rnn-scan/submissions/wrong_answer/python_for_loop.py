# Right values, but a Python loop: jit unrolls it into one copy of the step per time step (compile time
# and program size grow with the sequence), and the jaxpr holds no scan, which the problem asks for.
import jax.numpy as jnp


def rnn_final_state(params, h0, xs):
    h = h0
    for t in range(xs.shape[1]):
        h = jnp.tanh(h @ params["w_h"] + xs[:, t] @ params["w_x"] + params["b"])
    return h
