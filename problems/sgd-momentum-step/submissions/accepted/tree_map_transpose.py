# One tree map that returns a (parameter, velocity) pair per leaf, then jax.tree.transpose to turn the
# tree of pairs into a pair of trees.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    def leaf_step(p, v, g):
        v_new = momentum * v + g
        return p - lr * v_new, v_new

    pairs = jax.tree.map(leaf_step, params, velocity, grads)
    outer = jax.tree.structure(params)
    inner = jax.tree.structure((0, 0))
    new_params, new_velocity = jax.tree.transpose(outer, inner, pairs)
    return new_params, new_velocity
