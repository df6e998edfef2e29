"""Arguments of a case, built deterministically from its spec (the same bytes inside and outside).

A case's ``args`` list holds, per positional argument of the entry point, either a number (passed as a
Python scalar: weakly typed, and traced when the function is jitted) or an array spec:

- ``{"values": [...], "dtype": "float32"}`` — literal values (TOML's nan/inf included);
- ``{"shape": [...], "dtype": "float32", "scale": 3.0, "specials": [...]}`` — seeded normal values times
  ``scale``, whose first entries (in C order) are replaced by ``specials``.
"""

import zlib

import numpy as np

from .wire import ALLOWED_DTYPES

BATCH_SCALES = (1.0, -0.75, 0.5)
"""Row k of a vmap batch is the argument times BATCH_SCALES[k] (rows reversed for k == 1)."""


def rng_for(case, purpose):
    """A generator seeded by the case's seed and what the numbers are for."""
    return np.random.default_rng([int(case.get("seed", 0)), zlib.crc32(purpose.encode())])


def build_arg(spec, case, index):
    """One argument: a Python scalar, or a NumPy array of the spec's dtype."""
    if isinstance(spec, (bool, int, float)):
        return spec
    dtype = ALLOWED_DTYPES[spec["dtype"]]
    if "values" in spec:
        return np.asarray(spec["values"], dtype=np.float64).astype(dtype)
    shape = tuple(spec["shape"])
    values = rng_for(case, f"arg{index}").standard_normal(shape) * float(spec.get("scale", 1.0))
    flat = values.reshape(-1)
    specials = list(spec.get("specials", ()))[: flat.size]
    flat[: len(specials)] = specials
    return values.astype(dtype)


def signature(case):
    """What exporting the entry point needs of a case, and nothing of its values: per argument, an
    array's {"shape", "dtype"}, or {"scalar": "bool" | "int" | "float"} for a Python scalar."""
    described = []
    for spec in case["args"]:
        if isinstance(spec, (bool, int, float)):
            described.append({"scalar": type(spec).__name__})
        else:
            shape = np.shape(spec["values"]) if "values" in spec else tuple(spec["shape"])
            described.append({"shape": list(shape), "dtype": spec["dtype"]})
    return described


def build_args(case):
    return [build_arg(spec, case, i) for i, spec in enumerate(case["args"])]


def build_batch(arg):
    """A batch of len(BATCH_SCALES) rows for vmap, built from one array argument."""
    rows = []
    for k, scale in enumerate(BATCH_SCALES):
        row = arg.astype(np.float64) * scale
        if k == 1 and row.ndim:
            row = row[::-1]
        rows.append(row.astype(arg.dtype))
    return np.stack(rows)


def random_like(case, purpose, shape, dtype):
    """Seeded normal values, e.g. a tangent or cotangent, of the given shape and dtype."""
    return rng_for(case, purpose).standard_normal(tuple(shape)).astype(dtype)
