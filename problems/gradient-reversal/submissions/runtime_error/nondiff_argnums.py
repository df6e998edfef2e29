# lam declared with nondiff_argnums. Fine eagerly and under plain jit, but grad(jit(f)) traces lam inside
# jit and then cannot transpose the rule that closes over that tracer ("No constant handler for type
# DynamicJaxprTracer"). JAX's advice (jax-ml/jax#20889): nondiff_argnums is for non-array arguments such
# as functions and shapes; pass numbers that may be traced as ordinary arguments.
import functools

import jax


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def gradient_reversal(x, lam):
    return x


@gradient_reversal.defjvp
def _rule(lam, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return x, -lam * x_dot
