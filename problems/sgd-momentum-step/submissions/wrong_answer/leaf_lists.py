# Right numbers, wrong container: lists of leaves instead of dicts shaped like params.
import jax


def sgd_momentum_step(params, velocity, grads, lr, momentum):
    new_v = [momentum * v + g for v, g in zip(jax.tree.leaves(velocity), jax.tree.leaves(grads))]
    new_p = [p - lr * v for p, v in zip(jax.tree.leaves(params), new_v)]
    return new_p, new_v
