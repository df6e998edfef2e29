"""Plain-words hints for the mistakes people make with JAX transformations.

Each rule matches ``"<ErrorType>: <message>"`` of an exception a check raised. The hints carry no data of
the case, so they are shown for hidden cases too.
"""

import re

_RULES = [
    (r"has no attribute 'defvjp'",
     "A @jax.custom_jvp function takes its rule with .defjvp (a forward-mode rule: (primals, tangents) → "
     "(primal_out, tangent_out)). .defvjp belongs to @jax.custom_vjp."),
    (r"has no attribute 'defjvps?'",
     "A @jax.custom_vjp function takes .defvjp(fwd, bwd); .defjvp belongs to @jax.custom_jvp."),
    (r"(?i)jvp rule .*must produce a pair|too many values to unpack|not enough values to unpack|"
     r"cannot unpack non-iterable",
     "A custom_jvp rule must return two things: (primal_out, tangent_out) — the forward value and its "
     "tangent — not the tangent alone."),
    (r"can't apply forward-mode autodiff \(jvp\) to a custom_vjp function",
     "jax.custom_vjp defines only reverse mode, so jax.jvp (forward mode) cannot go through it. "
     "Use @jax.custom_jvp: JAX derives the VJP from a JVP rule by transposition, so one rule serves both."),
    (r"ConcretizationTypeError|TracerBoolConversionError|TracerIntegerConversionError",
     "A Python `if`, `bool()` or `int()` met a traced value. Under jax.jit the arguments (the bounds too) "
     "are tracers without a concrete value; use jnp.where / jnp.clip / lax.cond instead of Python control "
     "flow on them."),
    (r"TracerArrayConversionError|__array__\(\) .* tracer|numpy\.ndarray conversion",
     "A NumPy function got a traced JAX value. NumPy cannot trace or differentiate: use jax.numpy "
     "(import jax.numpy as jnp; jnp.clip) rather than numpy inside the function."),
    (r"Custom JVP rule must produce primal and tangent outputs with corresponding shapes and dtypes",
     "A custom_jvp rule's tangent out must have the shape and dtype of its primal out: a bfloat16 primal "
     "takes a bfloat16 tangent. Do not cast the tangent (.astype(jnp.float32)) or build it from float32 "
     "constants; cast what it is multiplied by with .astype(x.dtype)."),
    (r"Custom VJP bwd rule must produce an output with the same (type|shape|container)",
     "A custom_vjp bwd rule returns a tuple with one cotangent per argument of the function, each with that "
     "argument's shape and dtype (a bfloat16 x takes a bfloat16 cotangent; cast with .astype(x.dtype)); "
     "a tuple even when there is one argument, and None or zeros for an argument without a derivative."),
    (r"(MemoryError|RESOURCE_EXHAUSTED)",
     "The computation ran out of memory: look for arrays much larger than the input."),
    (r"UnexpectedTracerError",
     "A tracer escaped its transformation: a value computed under jit/grad was stored outside the "
     "function (a global, a list) and used later."),
]
_COMPILED = [(re.compile(pattern, re.S), text) for pattern, text in _RULES]


def hint_for_error(error_type, message):
    """The plain-words hint for an exception, or None."""
    subject = f"{error_type}: {message}"
    for pattern, text in _COMPILED:
        if pattern.search(subject):
            return text
    return None


PLACEMENT_HINT = ("The function returned a NumPy array or a Python value where a jax.Array was expected. "
                  "Compute with jax.numpy so the result stays on the device (and can be differentiated).")
