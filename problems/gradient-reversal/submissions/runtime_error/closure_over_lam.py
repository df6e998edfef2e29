# A custom_jvp built per call whose rule closes over lam. Eagerly and under plain jit it works, but in
# grad(jit(f)) lam is a tracer of the jit, and transposing a rule that closed over it fails ("No constant
# handler for type DynamicJaxprTracer"), just as with nondiff_argnums. Pass lam as an argument.
import jax


def gradient_reversal(x, lam):
    @jax.custom_jvp
    def reverse(x):
        return x

    @reverse.defjvp
    def _rule(primals, tangents):
        return primals[0], -lam * tangents[0]

    return reverse(x)
