"""Trusted comparison of one output array against the reference's: dtype, shape, NaN, ±inf, values.

A pure function of (expected, got, tolerance), in the manner of DMOJ's float checkers, with the NaN policy
spelled out: NaN must be NaN in exactly the same places, ±inf must match exactly, and finite values must
satisfy ``|got - expected| <= atol + rtol * |expected|`` (or, in "norm" mode, ``<= atol + rtol *
max|expected|``), computed in float64.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0
    # "elementwise": |got - expected| <= atol + rtol * |expected| at every entry; "norm": the largest error
    # against atol + rtol * max|expected|, for results whose entries span orders of magnitude.
    mode: str = "elementwise"


# Per dtype: bfloat16 is not float32 (8 mantissa bits against 24), so it gets its own, looser bound.
DEFAULT_TOLERANCES = {
    "float64": Tolerance(rtol=1e-12, atol=1e-12),
    "float32": Tolerance(rtol=1e-6, atol=1e-6),
    "float16": Tolerance(rtol=1e-3, atol=1e-3),
    "bfloat16": Tolerance(rtol=1e-2, atol=1e-2),
}


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """Why `got` differs from `expected`; `index` is the first differing position, if any."""

    reason: str
    index: tuple | None = None
    mask: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)  # where it differs


def compare_array(expected, got, tolerances=DEFAULT_TOLERANCES):
    """None when `got` matches `expected`, else a Mismatch. Both are plain NumPy arrays."""
    if got.dtype != expected.dtype:
        return Mismatch(f"dtype is {got.dtype.name}, expected {expected.dtype.name}")
    if got.shape != expected.shape:
        return Mismatch(f"shape is {got.shape}, expected {expected.shape}")
    # bfloat16 (from ml_dtypes) reports kind 'V', so it is named here; comparing it as raw values
    # would make NaN != NaN fail.
    if expected.dtype.kind not in "fc" and expected.dtype.name != "bfloat16":
        bad = got != expected
        return _first(bad, "values differ") if bad.any() else None
    tol = tolerances.get(expected.dtype.name, Tolerance())
    e = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
    g = got.astype(e.dtype)
    e_nan, g_nan = np.isnan(e), np.isnan(g)
    if (e_nan != g_nan).any():
        return _first(e_nan != g_nan, "NaN where a number was expected, or a number where NaN was")
    # NaN must fail: `abs(a - b) > eps` is False for NaN, so NaNs are settled above and masked here.
    e_inf, g_inf = np.isinf(e), np.isinf(g)
    bad_inf = (e_inf | g_inf) & ~e_nan & (e != g)
    if bad_inf.any():
        return _first(bad_inf, "infinity where a finite value was expected, or the other way round")
    finite = ~(e_nan | e_inf)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(g - e)  # inf - inf where got is infinite: NaN, caught by `bad` below
        scale = np.max(np.abs(e[finite]), initial=0.0) if tol.mode == "norm" else np.abs(e)
        bad = finite & ~(error <= tol.atol + tol.rtol * scale)
    if bad.any():
        worst = float(np.max(error[bad]))
        relative = "rtol (of max|expected|)" if tol.mode == "norm" else "rtol"
        return _first(bad, f"values differ (largest error {worst:.3g}, tolerance {relative}={tol.rtol:g} "
                           f"atol={tol.atol:g})")
    return None


def _first(mask, reason):
    index = tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()
    return Mismatch(reason, index, mask)
