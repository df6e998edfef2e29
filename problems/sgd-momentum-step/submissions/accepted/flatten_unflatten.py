# Leaves flattened in JAX's order (the same order for all three trees, since they share a structure),
# updated in a list, and put back into the parameters' structure.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    p_leaves, treedef = jax.tree_util.tree_flatten(params)
    v_leaves = treedef.flatten_up_to(velocity)
    g_leaves = treedef.flatten_up_to(grads)
    new_v = [momentum * v + g for v, g in zip(v_leaves, g_leaves)]
    new_p = [p - lr * v for p, v in zip(p_leaves, new_v)]
    return treedef.unflatten(new_p), treedef.unflatten(new_v)
