"""Arguments of a case, built deterministically from its spec (the same bytes inside and outside).

A case's ``args`` list holds, per positional argument of the entry point, either a number (passed as a
Python scalar: weakly typed, and traced when the function is jitted), an array spec:

- ``{"values": [...], "dtype": "float32"}`` — literal values (TOML's nan/inf included);
- ``{"shape": [...], "dtype": "float32", "scale": 3.0, "specials": [...]}`` — seeded normal values times
  ``scale`` (or, with ``"dist"``: ``"uniform"`` in [low, high), ``"integers"`` in [low, high),
  ``"choice"`` of ``choices``), whose first entries (in C order) are replaced by ``specials``;

or a pytree of them: ``{"dict": {name: spec, ...}}``, ``{"tuple": [spec, ...]}`` or ``{"list": [...]}``.
A leaf's seed purpose is its argument's (``arg0``), followed by its path (``arg0['w']``, ``arg1[0]``).

Two more kinds of leaf: ``{"key": seed, "impl": "threefry2x32"}``, a typed PRNG key (``jax.random.key``;
built by the caller's `make_key`, since this module imports no JAX), and ``{"static": value}``, a plain
Python value (lists become tuples) that is passed to ``jax.jit`` as static, never traced.
"""

import zlib

import numpy as np

from .wire import ALLOWED_DTYPES

BATCH_SCALES = (1.0, -0.75, 0.5)
"""Row k of a vmap batch is the argument times BATCH_SCALES[k] (rows reversed for k == 1)."""


def rng_for(case, purpose):
    """A generator seeded by the case's seed and what the numbers are for."""
    return np.random.default_rng([int(case.get("seed", 0)), zlib.crc32(purpose.encode())])


CONTAINERS = {"dict": dict, "tuple": tuple, "list": list}


def tree_map(fn, tree, path=""):
    """`fn(leaf, path)` over a pytree of dicts, tuples and lists (dicts in sorted key order, as JAX
    flattens them), keeping its structure."""
    if isinstance(tree, dict):
        return {k: tree_map(fn, tree[k], f"{path}[{k!r}]") for k in sorted(tree)}
    if isinstance(tree, (tuple, list)):
        return type(tree)(tree_map(fn, v, f"{path}[{i}]") for i, v in enumerate(tree))
    return fn(tree, path)


def leaves(tree):
    """A pytree's leaves in JAX's order."""
    found = []
    tree_map(lambda leaf, _: found.append(leaf), tree)
    return found


def build_arg(spec, case, index, make_key=None):
    """One argument: a Python scalar, a NumPy array of the spec's dtype, a key, a static value, or a
    pytree of them. `make_key(seed, impl)` builds a typed key (without it: a KeySpec)."""
    return _map_spec(lambda leaf, path: _build_leaf(leaf, case, f"arg{index}{path}", make_key), spec)


def _map_spec(fn, spec, path=""):
    for kind, container in CONTAINERS.items():
        if isinstance(spec, dict) and kind in spec:
            inner = spec[kind]
            if kind == "dict":
                return {k: _map_spec(fn, inner[k], f"{path}[{k!r}]") for k in sorted(inner)}
            return container(_map_spec(fn, v, f"{path}[{i}]") for i, v in enumerate(inner))
    return fn(spec, path)


def spec_leaves(spec, with_paths=False):
    """An argument spec's leaf specs (a signature's too), in JAX's order: pytrees of specs walked; with
    `with_paths`, (path, leaf) pairs, the path as JAX writes it ("['w'][0]", "" for the argument itself)."""
    found = []
    _map_spec(lambda leaf, path: found.append((path, leaf) if with_paths else leaf), spec)
    return found


class KeySpec:
    """A typed PRNG key where no JAX builds it (the judge shows it): what `jax.random.key` is given."""

    def __init__(self, seed, impl):
        self.seed, self.impl = seed, impl

    def __repr__(self):
        return f"jax.random.key({self.seed}, impl={self.impl!r})"


def is_static(spec):
    return isinstance(spec, dict) and "static" in spec


def static_value(value):
    """A static argument as jax.jit hashes it: lists (TOML arrays) become tuples."""
    return tuple(static_value(v) for v in value) if isinstance(value, (list, tuple)) else value


def _build_leaf(spec, case, purpose, make_key):
    if isinstance(spec, (bool, int, float)):
        return spec
    if "static" in spec:
        return static_value(spec["static"])
    if "key" in spec:
        impl = spec.get("impl", "threefry2x32")
        return make_key(spec["key"], impl) if make_key else KeySpec(spec["key"], impl)
    dtype = ALLOWED_DTYPES[spec["dtype"]]
    if "values" in spec:
        return np.asarray(spec["values"], dtype=np.float64).astype(dtype)
    shape = tuple(spec["shape"])
    rng, dist = rng_for(case, purpose), spec.get("dist", "normal")
    if dist == "uniform":
        values = rng.uniform(float(spec.get("low", 0.0)), float(spec.get("high", 1.0)), shape)
    elif dist == "integers":
        values = rng.integers(int(spec.get("low", 0)), int(spec.get("high", 10)), shape).astype(np.float64)
    elif dist == "choice":
        values = rng.choice(np.asarray(spec["choices"], np.float64), shape)
    else:
        values = rng.standard_normal(shape) * float(spec.get("scale", 1.0))
    values = np.asarray(values, np.float64)  # a 0-d array stays one (arithmetic makes it a NumPy scalar)
    flat = values.reshape(-1)
    specials = list(spec.get("specials", ()))[: flat.size]
    flat[: len(specials)] = specials
    return values.astype(dtype)


def spec_shape(spec):
    """An array spec's shape: its literal values' or its `shape`."""
    return tuple(np.shape(spec["values"])) if "values" in spec else tuple(spec["shape"])


def signature(case):
    """What exporting the entry point needs of a case, and nothing of its values: per argument, an
    array's {"shape", "dtype"}, {"scalar": "bool" | "int" | "float"} for a Python scalar, or a pytree
    of them ({"dict": ...}, {"tuple": [...]}, {"list": [...]})."""
    def leaf(spec, _):
        if isinstance(spec, (bool, int, float)):
            return {"scalar": type(spec).__name__}
        if "static" in spec:
            return {"static": spec["static"]}  # static values are part of the program, so of the signature
        if "key" in spec:
            return {"key": spec.get("impl", "threefry2x32")}  # its seed is a value, and stays out
        return {"shape": list(spec_shape(spec)), "dtype": spec["dtype"]}
    return [_as_spec(_map_spec(leaf, spec)) for spec in case["args"]]


def _as_spec(tree):
    """A built pytree of leaf descriptions, written back as a spec ({"dict": ...} and so on)."""
    if isinstance(tree, dict) and not ("shape" in tree or "scalar" in tree or "static" in tree or "key" in tree):
        return {"dict": {k: _as_spec(v) for k, v in tree.items()}}
    if isinstance(tree, (tuple, list)):
        return {type(tree).__name__: [_as_spec(v) for v in tree]}
    return tree


def map_signature(fn, signature_arg):
    """`fn(leaf description)` over one argument's signature, as a pytree."""
    return _map_spec(lambda leaf, _: fn(leaf), signature_arg)


def tangent_like(case, index, arg):
    """Seeded tangent values for argument `index` (an array or a pytree of arrays), leaf by leaf."""
    return tree_map(lambda leaf, path: random_like(case, f"tangent{index}{path}", np.shape(leaf), leaf.dtype), arg)


def batch_like(arg, axis=0):
    """build_batch of every leaf of an argument, the rows stacked along its axis (`axis`: an int for
    every leaf, or a pytree of them as `axes_of` makes, None leaving a leaf as it is)."""
    return zip_axes(lambda leaf, ax: leaf if ax is None else build_batch(leaf, ax), arg, axis)


def axes_of(spec):
    """A `batch_axes` entry as vmap's in_axes takes it: an int, or a pytree table ({"dict": …},
    {"tuple": …}, {"list": …}) of ints and false (a leaf not mapped, vmap's None)."""
    return _map_spec(lambda leaf, _: None if leaf is False else leaf, spec)


def zip_axes(fn, arg, axis):
    """`fn(leaf, its axis)` over an argument's leaves; an int or None where the axes' tree ends holds
    for every leaf below it, as vmap reads a pytree prefix of in_axes."""
    if axis is None or isinstance(axis, int):
        return tree_map(lambda leaf, _: fn(leaf, axis), arg)
    if isinstance(axis, dict):
        return {k: zip_axes(fn, arg[k], axis[k]) for k in sorted(arg)}
    return type(arg)(zip_axes(fn, a, x) for a, x in zip(arg, axis))


def build_args(case, make_key=None):
    return [build_arg(spec, case, i, make_key) for i, spec in enumerate(case["args"])]


def build_batch(arg, axis=0):
    """A batch of len(BATCH_SCALES) rows for vmap, built from one array argument, stacked along `axis`."""
    rows = []
    for k, scale in enumerate(BATCH_SCALES):
        row = arg.astype(np.float64) * scale
        if k == 1 and row.ndim:
            row = row[::-1]
        rows.append(row.astype(arg.dtype))
    return np.stack(rows, axis=axis)


def random_like(case, purpose, shape, dtype):
    """Seeded normal values, e.g. a tangent or cotangent, of the given shape and dtype."""
    return rng_for(case, purpose).standard_normal(tuple(shape)).astype(dtype)
