# One tree map returning a pair per leaf, without transposing: the result is one dict whose leaves are
# (parameter, velocity) tuples, not a (params, velocity) pair of dicts.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    def leaf_step(p, v, g):
        v_new = momentum * v + g
        return p - lr * v_new, v_new

    return jax.tree.map(leaf_step, params, velocity, grads)
