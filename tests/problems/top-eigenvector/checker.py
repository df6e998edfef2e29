"""An eigenvector is right up to its sign: each received vector must be a unit vector parallel to the
reference's (|<e, g>| = 1), row by row for a batch."""

import numpy as np


def check(expected, got, check, transform):
    if len(got) != 1 or got[0].shape != expected[0].shape:
        return False, f"expected one array of shape {list(expected[0].shape)}"
    e = expected[0].astype(np.float64).reshape(-1, expected[0].shape[-1])
    g = got[0].astype(np.float64).reshape(e.shape)
    if not np.isfinite(g).all():
        return False, "the vector is not finite"
    norms = np.linalg.norm(g, axis=-1)
    if not np.allclose(norms, 1.0, atol=1e-4):
        return False, f"not a unit vector (norm {norms.min():.4g})"
    alignment = np.abs(np.sum(e * g, axis=-1))
    if not np.allclose(alignment, 1.0, atol=1e-4):
        return False, f"not the top eigenvector, up to sign (|<expected, got>| = {alignment.min():.4g})"
    return True, ""
