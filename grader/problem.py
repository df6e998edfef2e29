"""Problem packages (after the Kattis package format) and their loader.

    problems/<slug>/
        problem.toml        title, difficulty, tags, hints, entry point, limits, tolerances, cases
        statement.md        the statement, in Markdown
        starter.py          what the editor starts with
        reference.py        the reference solution (never shown to the sandbox of a submission)
        submissions/<verdict>/*.py   examples, each expected to get its folder's verdict

`load_problem` checks everything it reads and raises `ProblemError` naming the file and field at fault.
"""

import dataclasses
import difflib
import hashlib
import json
import keyword
import tomllib
from pathlib import Path

import numpy as np

from .compare import DEFAULT_TOLERANCES, Tolerance
from .sandbox import Limits
from .sandboxed import inputs
from .sandboxed.harness import BATCHED, CHECKS, DEFAULT_CHECKS, DERIVATIVES
from .sandboxed.wire import ALLOWED_DTYPES
from .verdict import Verdict

DIFFICULTIES = ("easy", "medium", "hard")
DEVICES = ("any", "gpu")
MAX_SOURCE_BYTES = 64 * 1024


TOP_LEVEL_KEYS = ("slug", "title", "difficulty", "tags", "prerequisites", "device", "hints", "entry", "checks", "limits",
                  "tolerance", "wrong_answer_hints", "rules", "groups", "checker", "cases")
GROUP_KEYS = ("name", "points", "cases")
RULE_KEYS = ("must_contain", "must_not_contain", "max_equations")
ENTRY_KEYS = ("name", "signature", "diff_argnums", "batch_argnums", "batch_axes", "out_axes", "static_argnums")
CASE_KEYS = ("name", "sample", "description", "seed", "args")
ARRAY_KEYS = ("dtype", "values", "shape", "scale", "specials", "dist", "low", "high", "choices")
DISTRIBUTIONS = ("normal", "uniform", "integers", "choice")
KEY_KEYS = ("key", "impl")
KEY_IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")


class ProblemError(ValueError):
    """A problem package is malformed; the message names the file and field."""


@dataclasses.dataclass(frozen=True)
class EntryPoint:
    name: str
    signature: str
    diff_argnums: tuple[int, ...]
    batch_argnums: tuple[int, ...]
    static_argnums: tuple[int, ...] = ()
    # Per batched argument, its batch axis (vmap's in_axes; default 0): an int for every leaf, or a
    # pytree table of ints and false (not mapped), e.g. {"dict": {"x": 0, "mask": False}}.
    batch_axes: tuple = ()
    out_axes: int = 0                  # vmap's out_axes

    def parameter_name(self, position):
        """The name `signature` gives argument `position` ("x" of "f(x: jax.Array, lo)"), else "argument N"."""
        depth, names, current = 0, [], ""
        for char in self.signature.partition("(")[2]:  # up to its closing parenthesis
            depth += (char in "([{") - (char in ")]}")
            if depth < 0:
                break
            if char == "," and depth == 0:  # commas inside brackets (dict[str, jax.Array]) separate nothing
                names.append(current)
                current = ""
            else:
                current += char
        names.append(current)
        name = names[position].split(":")[0].split("=")[0].strip() if position < len(names) else ""
        return name if name.isidentifier() else f"argument {position}"


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    sample: bool
    seed: int
    args: tuple
    description: str = ""

    def to_json(self):
        return {"name": self.name, "sample": self.sample, "seed": self.seed, "args": list(self.args)}


@dataclasses.dataclass(frozen=True)
class Group:
    """Cases scored together (a subtask): its points are earned when every check of each of them passes."""

    name: str
    points: int
    cases: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Rules:
    """Implementation rules on the entry point's jaxpr: a learning aid, not a boundary (the jaxpr comes
    from the submission's process), so a rule can fail a verdict and never make one ACCEPTED."""

    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    max_equations: int | None = None

    def broken(self, summary, empty=False):
        """[(rule, why)] of the rules a jaxpr summary ({"primitives", "equations"}) breaks; `empty`: the
        signature has an empty array argument, where nothing need be in the jaxpr."""
        if not summary or not isinstance(summary.get("primitives"), list) or type(summary.get("equations")) is not int:
            return [("the jaxpr", "could not be made from the entry point")]
        present = set(summary["primitives"])
        broken = [(f"must contain {name}", f"the jaxpr has no {name}") for name in self.must_contain
                  if name not in present and not empty]
        broken += [(f"must not contain {name}", f"the jaxpr contains {name}") for name in self.must_not_contain
                   if name in present]
        if self.max_equations is not None and summary["equations"] > self.max_equations:
            broken.append((f"at most {self.max_equations} equations",
                           f"the jaxpr has {summary['equations']} (an unrolled Python loop?)"))
        return broken

    def describe(self):
        return ([f"must contain {n}" for n in self.must_contain] + [f"must not contain {n}" for n in self.must_not_contain]
                + ([f"at most {self.max_equations} equations"] if self.max_equations is not None else []))


@dataclasses.dataclass(frozen=True)
class ExampleSubmission:
    expected: Verdict
    name: str          # path relative to the package, e.g. submissions/accepted/custom_jvp.py
    source: bytes


@dataclasses.dataclass(frozen=True)
class Problem:
    slug: str
    title: str
    difficulty: str
    tags: tuple[str, ...]
    hints: tuple[str, ...]
    device: str
    entry: EntryPoint
    limits: Limits
    tolerances: dict        # dtype name -> Tolerance, for every check
    wrong_answer_hints: dict
    cases: tuple[Case, ...]
    checks: tuple          # (check, transform) pairs, in the registry's order (harness.CHECKS)
    statement: str
    starter: str
    reference: bytes
    examples: tuple[ExampleSubmission, ...]
    files: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)
    check_tolerances: dict = dataclasses.field(default_factory=dict)  # check -> {dtype name -> Tolerance}
    rules: "Rules | None" = None
    groups: tuple = ()  # Groups; without any, all cases are one group of 100 points (all or nothing)
    checker: bytes | None = None       # checker.py: decides the checks of `checker_checks`
    checker_checks: tuple = ()
    prerequisites: tuple = ()          # slugs of the problems to solve first (the list's suggested order)

    def tolerances_for(self, check):
        """dtype name -> Tolerance of `check`: its own where the package sets one, else the problem's."""
        return {**self.tolerances, **self.check_tolerances.get(check, {})}

    @property
    def sample_cases(self):
        return tuple(c for c in self.cases if c.sample)

    def job(self, cases):
        """The job line the harness reads: what to call and on which cases."""
        job = {"entry": self.entry.name, "diff_argnums": list(self.entry.diff_argnums),
               "batch_argnums": list(self.entry.batch_argnums), "cases": [c.to_json() for c in cases]}
        if self.checks != DEFAULT_CHECKS:  # the default stays out of the job, so its fingerprint is unchanged
            job["checks"] = [list(pair) for pair in self.checks]
        if any(type(a) is not int or a != 0 for a in self.entry.batch_axes) or self.entry.out_axes:
            job["batch_axes"], job["out_axes"] = list(self.entry.batch_axes) or [0] * len(self.entry.batch_argnums), self.entry.out_axes
        if self.rules is not None:
            job["rules"] = True  # the harness then reports each signature's jaxpr; the rules stay here
        return job

    def fingerprint(self):
        """A digest of everything that decides expected values (not the statement or hints)."""
        data = json.dumps([self.job(self.cases), self.device], sort_keys=True).encode()
        return hashlib.sha256(data + b"\0" + self.reference).hexdigest()


PACKAGE_TEXT_FILES = ("problem.toml", "statement.md", "starter.py", "reference.py", "checker.py")
MAX_PACKAGE_FILES = 200


def is_package_file(name):
    """Whether `name` (relative, '/'-separated) is part of a package: the known files, or an example at
    submissions/<verdict>/<name>.py (what `read_package` collects from a folder)."""
    parts = name.split("/")
    return name in PACKAGE_TEXT_FILES or (len(parts) == 3 and parts[0] == "submissions"
                                          and parts[2].endswith(".py"))


def read_package(path):
    """{relative path: bytes} of a package folder: the known files and submissions/<verdict>/*.py."""
    root = Path(path)
    if not (root / "problem.toml").is_file():
        raise ProblemError(f"{root}: no problem.toml (is this a problem package?)")
    files = {name: (root / name).read_bytes() for name in PACKAGE_TEXT_FILES if (root / name).is_file()}
    for file in sorted((root / "submissions").glob("*/*.py")):
        files[file.relative_to(root).as_posix()] = file.read_bytes()
    return files


def load_problem(path):
    """Read and check the package folder at `path`."""
    return problem_from_files(read_package(path), Path(path).name, origin=str(path))


def problem_from_files(files, folder_name=None, *, origin="package"):
    """Check and build a Problem from {relative path: bytes}, e.g. a folder, a zip or a stored version.

    `folder_name`, when given, must equal the slug (a package folder is named after its problem).
    """
    if len(files) > MAX_PACKAGE_FILES:
        raise ProblemError(f"{origin}: more than {MAX_PACKAGE_FILES} files")
    where = _Where(f"{origin}/problem.toml")
    if "problem.toml" not in files:
        raise ProblemError(f"{origin}: no problem.toml (is this a problem package?)")
    try:
        meta = tomllib.loads(files["problem.toml"].decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProblemError(f"{where.file}: {error}") from None
    where.known(meta, TOP_LEVEL_KEYS)
    slug = where.string(meta, "slug")
    if not _is_slug(slug):
        raise ProblemError(f"{where.file}: slug {slug!r} must be lowercase letters, digits and '-'")
    prerequisites = tuple(where.strings(meta, "prerequisites"))
    for other in prerequisites:
        if not _is_slug(other) or other == slug:
            where.fail("prerequisites", f"{other!r} is not the slug of another problem")
    if folder_name is not None and slug != folder_name:
        raise ProblemError(f"{where.file}: slug {slug!r} differs from the folder name {folder_name!r}")
    difficulty = where.choice(meta, "difficulty", DIFFICULTIES)
    device = where.choice(meta, "device", DEVICES, default="any")
    entry = _load_entry(where, meta)
    checks = _load_checks(where, meta, entry)
    cases = _load_cases(where, meta, entry)
    limits = _load_limits(where, meta)
    tolerances, check_tolerances = _load_tolerances(where, meta, checks)
    rules = _load_rules(where, meta)
    groups = _load_groups(where, meta, cases)
    checker, checker_checks = _load_checker(where, meta, files, origin, checks)
    wa_hints = where.table(meta, "wrong_answer_hints")
    text = _TextFiles(files, origin)
    return Problem(
        slug=slug, title=where.string(meta, "title"), difficulty=difficulty,
        tags=tuple(where.strings(meta, "tags")), prerequisites=prerequisites, hints=tuple(where.strings(meta, "hints")),
        device=device, entry=entry, limits=limits, tolerances=tolerances, check_tolerances=check_tolerances,
        rules=rules, groups=groups, checker=checker, checker_checks=checker_checks,
        wrong_answer_hints={str(k): str(v) for k, v in wa_hints.items()}, cases=cases, checks=checks,
        statement=text.get("statement.md"), starter=text.get("starter.py"),
        reference=text.get("reference.py").encode(), examples=_load_examples(files, origin),
        files=dict(files),
    )


def _is_slug(text):
    return bool(text) and text.replace("-", "").isalnum() and text == text.lower() and text.isascii()


class _TextFiles:
    def __init__(self, files, origin):
        self.files, self.origin = files, origin

    def get(self, name):
        if name not in self.files:
            raise ProblemError(f"{self.origin}/{name}: missing")
        try:
            return self.files[name].decode("utf-8")
        except UnicodeDecodeError:
            raise ProblemError(f"{self.origin}/{name}: not UTF-8") from None


class _Where:
    """Typed field access with errors that say which file and key are wrong."""

    def __init__(self, file):
        self.file = file  # a path or a label such as "upload.zip/problem.toml"

    def fail(self, key, message):
        raise ProblemError(f"{self.file}: {key}: {message}")

    def tables(self, meta, key, keys, message):
        """(key of each, table) of an array of tables ([[cases]], [[groups]]), each holding only `keys`."""
        raw = meta.get(key)
        if not isinstance(raw, list) or not raw:
            self.fail(key, message)
        for i, table in enumerate(raw):
            if not isinstance(table, dict):
                self.fail(f"{key}[{i}]", "must be a table")
            self.known(table, keys, f"{key}[{i}].")
            yield f"{key}[{i}]", table

    def known(self, table, keys, prefix=""):
        """Fail on the first key of `table` not in `keys`, with the closest known one."""
        for key in table:
            if key not in keys:
                close = difflib.get_close_matches(key, keys, n=1)
                self.fail(prefix + key, "unknown key" + (f"; did you mean {close[0]!r}?" if close else
                                                          f" (known: {', '.join(keys)})"))

    def string(self, table, key, prefix=""):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(prefix + key, "required, a non-empty string")
        return value

    def strings(self, table, key):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
        return value

    def choice(self, table, key, choices, default=None):
        value = table.get(key, default)
        if value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}")
        return value

    def table(self, meta, key):
        value = meta.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be a table")
        return value

    def ints(self, table, key, prefix):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(type(v) is int for v in value):
            self.fail(prefix + key, "must be a list of integers")
        return tuple(value)


def _load_entry(where, meta):
    table = where.table(meta, "entry")
    where.known(table, ENTRY_KEYS, "entry.")
    name = where.string(table, "name", "entry.")
    if not name.isidentifier() or keyword.iskeyword(name):
        where.fail("entry.name", f"{name!r} is not a Python identifier")
    entry = EntryPoint(name=name, signature=table.get("signature", f"{name}(...)"),
                       diff_argnums=where.ints(table, "diff_argnums", "entry."),
                       batch_argnums=where.ints(table, "batch_argnums", "entry."),
                       static_argnums=where.ints(table, "static_argnums", "entry."),
                       batch_axes=_load_batch_axes(where, table),
                       out_axes=table.get("out_axes", 0))
    if entry.batch_axes and len(entry.batch_axes) != len(entry.batch_argnums):
        where.fail("entry.batch_axes", "one axis per argument of batch_argnums")
    if type(entry.out_axes) is not int:
        where.fail("entry.out_axes", "must be an integer")
    for j in entry.static_argnums:
        if j in entry.diff_argnums + entry.batch_argnums:
            where.fail("entry.static_argnums", f"argument {j} is static, so it can be neither differentiated nor batched")
    return entry


def _load_batch_axes(where, table):
    value = table.get("batch_axes", [])
    if not isinstance(value, list):
        where.fail("entry.batch_axes", "must be a list, one axis per argument of batch_argnums")

    def check(axis, key):
        if isinstance(axis, dict) and len(axis) == 1 and next(iter(axis)) in CONTAINER_KEYS:
            kind, inner = next(iter(axis.items()))
            if not (isinstance(inner, dict) if kind == "dict" else isinstance(inner, list)) or not inner:
                where.fail(f"{key}.{kind}", "must be a non-empty " + ("table" if kind == "dict" else "list") + " of axes")
            for name, spec in (inner.items() if kind == "dict" else enumerate(inner)):
                check(spec, f"{key}.{kind}" + (f".{name}" if kind == "dict" else f"[{name}]"))
        elif type(axis) is not int and axis is not False:
            where.fail(key, "a batch axis is an integer, false (not mapped) or a pytree table of them "
                       "({dict = {…}}, {tuple = […]}, {list = […]})")

    for i, axis in enumerate(value):
        check(axis, f"entry.batch_axes[{i}]")
    return tuple(value)


def _check_batch_axes(where, key, spec, axis, path=""):
    """A batched argument's axes against its spec: the same containers and keys as far as the axes go,
    each int within the batched leaf's dimensions; returns whether any leaf is mapped."""
    if type(axis) is int:
        for below, leaf in inputs.spec_leaves(spec, with_paths=True):
            ndim = len(inputs.spec_shape(leaf))
            if not -(ndim + 1) <= axis <= ndim:
                where.fail(key, f"batch axis {axis} is out of range for{' ' + path + below if path + below else ''} "
                           f"a {ndim}-d array, batched to {ndim + 1}-d")
        return True
    if axis is False:
        return False
    kind, inner = next(iter(axis.items()))
    if not (isinstance(spec, dict) and kind in spec):
        where.fail(key, f"the axes are a {kind} where the argument is not")
    names = sorted(inner) if kind == "dict" else range(len(inner))
    if (sorted(spec[kind]) if kind == "dict" else range(len(spec[kind]))) != names:
        where.fail(key, f"the axes' {'keys' if kind == 'dict' else 'length'} differ from the argument's")
    return any([_check_batch_axes(where, key, spec[kind][name], inner[name], path + (f"[{name!r}]" if kind == "dict" else f"[{name}]"))
                for name in names])


def _load_checks(where, meta, entry):
    """[checks]: each check the problem asks for and its transforms, e.g. ``grad = ["eager", "jit"]``.
    Without the table, every check of harness.DEFAULT_CHECKS that applies: derivatives where arguments
    are differentiated, vmap where one is batched. A check that cannot apply is refused here, never met as a reference crash."""
    names = tuple(dict.fromkeys(c for c, _ in CHECKS))
    transforms = {name: [t for c, t in CHECKS if c == name] for name in names}

    def applies(check):
        if check in DERIVATIVES and not entry.diff_argnums:
            return "entry.diff_argnums is empty"
        if check in BATCHED and not entry.batch_argnums:
            return "entry.batch_argnums is empty"
        return None

    if "checks" not in meta:
        return tuple((c, t) for c, t in DEFAULT_CHECKS if applies(c) is None)
    table = where.table(meta, "checks")
    wanted = set()
    for check, chosen in table.items():
        if check not in names:
            close = difflib.get_close_matches(check, names, n=1)
            where.fail(f"checks.{check}", "unknown check" + (f"; did you mean {close[0]!r}?" if close else
                                                              f"; the checks are {', '.join(names)}"))
        if not isinstance(chosen, list) or not chosen or not all(t in transforms[check] for t in chosen):
            where.fail(f"checks.{check}", f"must be a non-empty list of {', '.join(map(repr, transforms[check]))}")
        if applies(check):
            where.fail(f"checks.{check}", f"cannot apply: {applies(check)}")
        wanted |= {(check, t) for t in chosen}
    if not wanted:
        where.fail("checks", "must name at least one check")
    return tuple(pair for pair in CHECKS if pair in wanted)


def _load_cases(where, meta, entry):
    cases, names = [], set()
    for i, (key, table) in enumerate(where.tables(meta, "cases", CASE_KEYS, "at least one [[cases]] table is required")):
        name = where.string(table, "name", key + ".")
        if name in names:
            where.fail(key + ".name", f"duplicate case name {name!r}")
        names.add(name)
        args = table.get("args")
        if not isinstance(args, list) or not args:
            where.fail(key + ".args", "required, a non-empty list")
        for j in entry.static_argnums:
            if j >= len(args) or not _plain(args[j]):
                where.fail(f"{key}.args[{j}]", "a static argument is a number, a string, a boolean or a list of them")
        args = [{"static": arg} if j in entry.static_argnums else arg for j, arg in enumerate(args)]
        for j, arg in enumerate(args):
            if j not in entry.static_argnums:
                _check_arg(where, f"{key}.args[{j}]", arg, j, entry)
        for j in entry.diff_argnums + entry.batch_argnums:
            if j >= len(args) or not _all_arrays(args[j]):
                where.fail(key + ".args", f"argument {j} is differentiated or batched, so must be an array "
                           "or a pytree of arrays")
        axes = dict(zip(entry.batch_argnums, entry.batch_axes or [0] * len(entry.batch_argnums)))
        if axes and not any([_check_batch_axes(where, f"{key}.args[{j}] with entry.batch_axes", args[j], axis)
                             for j, axis in axes.items()]):
            where.fail("entry.batch_axes", "no leaf is mapped: vmap needs at least one")
        for j in entry.diff_argnums:
            for path, leaf in inputs.spec_leaves(args[j], with_paths=True):
                if not leaf["dtype"].startswith(("float", "bfloat", "complex")):
                    where.fail(f"{key}.args[{j}]{path}", f"argument {j} is differentiated (entry.diff_argnums), "
                               f"so its arrays must be floating or complex, not {leaf['dtype']}: an integer or "
                               "boolean array has no tangent")
        seed = table.get("seed", i)
        if type(seed) is not int or seed < 0:
            where.fail(key + ".seed", "must be a non-negative integer")
        cases.append(Case(name=name, sample=bool(table.get("sample", False)), seed=seed, args=tuple(args),
                          description=str(table.get("description", ""))))
    if not any(c.sample for c in cases):
        where.fail("cases", "at least one case must have sample = true")
    return tuple(cases)


CONTAINER_KEYS = ("dict", "tuple", "list")


def _check_arg(where, key, arg, index, entry):
    """One argument's spec: a number, an array table, or a pytree table ({dict = {…}}, {tuple = […]},
    {list = […]}) of them; inside a pytree a number is a Python scalar leaf."""
    if isinstance(arg, (bool, int, float)):
        return
    if isinstance(arg, dict) and any(k in arg for k in CONTAINER_KEYS):
        kinds = [k for k in CONTAINER_KEYS if k in arg]
        if len(arg) != 1:
            where.fail(key, f"a pytree table has one key ({', '.join(CONTAINER_KEYS)}), not {', '.join(sorted(arg))}")
        inner = arg[kinds[0]]
        if kinds[0] == "dict":
            if not isinstance(inner, dict) or not inner:
                where.fail(f"{key}.dict", "must be a non-empty table of specs")
            for name, spec in inner.items():
                _check_arg(where, f"{key}.dict.{name}", spec, index, entry)
        else:
            if not isinstance(inner, list) or not inner:
                where.fail(f"{key}.{kinds[0]}", "must be a non-empty list of specs")
            for j, spec in enumerate(inner):
                _check_arg(where, f"{key}.{kinds[0]}[{j}]", spec, index, entry)
        return
    if not isinstance(arg, dict):
        where.fail(key, "must be a number, an array table ({values=…} or {shape=…}), a key ({key=…}) or a "
                   "pytree table ({dict=…}, {tuple=…}, {list=…})")
    if "key" in arg:
        where.known(arg, KEY_KEYS, key + ".")
        if type(arg["key"]) is not int or not 0 <= arg["key"] < 1 << 32:
            where.fail(key + ".key", "a key's seed is an integer in [0, 2**32)")
        if arg.get("impl", "threefry2x32") not in KEY_IMPLS:
            where.fail(key + ".impl", f"must be one of {', '.join(KEY_IMPLS)}")
        return
    where.known(arg, ARRAY_KEYS, key + ".")
    if arg.get("dtype") not in ALLOWED_DTYPES:
        where.fail(key + ".dtype", f"unknown dtype {arg.get('dtype')!r}")
    if "values" in arg:
        if not isinstance(arg["values"], list) or not _rectangular(arg["values"]):
            where.fail(key + ".values", "must be a list of numbers, or of equally long lists of them (n-D)")
    elif "shape" in arg:
        shape = arg["shape"]
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            where.fail(key + ".shape", "must be a list of non-negative integers")
        count = 1
        for d in shape:
            count *= d
        if count > 1 << 24:
            where.fail(key + ".shape", "more than 2**24 elements")
        dist = arg.get("dist", "normal")
        if dist not in DISTRIBUTIONS:
            where.fail(key + ".dist", f"must be one of {', '.join(DISTRIBUTIONS)}")
        for bound in ("low", "high", "scale"):
            if bound in arg and (isinstance(arg[bound], bool) or not isinstance(arg[bound], (int, float))):
                where.fail(f"{key}.{bound}", "must be a number")
        if dist in ("uniform", "integers") and not arg.get("low", 0) < arg.get("high", 1 if dist == "uniform" else 10):
            where.fail(key, "low must be below high")
        if dist == "choice" and (not isinstance(arg.get("choices"), list) or not arg["choices"]
                                 or not all(isinstance(v, (int, float)) for v in arg["choices"])):
            where.fail(key + ".choices", "a choice needs a non-empty list of numbers")
        if "choices" in arg and dist != "choice" or ("low" in arg or "high" in arg) and dist not in ("uniform", "integers"):
            where.fail(key, f"low, high and choices belong to dist = 'uniform', 'integers' or 'choice', not {dist!r}")
    else:
        where.fail(key, "an array table needs `values` or `shape`")


def _rectangular(values):
    """Numbers, or lists of equally shaped lists, down to numbers (an n-D literal)."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return True
    if not all(isinstance(v, list) and v for v in values):
        return False
    return len({len(v) for v in values}) == 1 and all(_rectangular(v) for v in values) and \
        len({np.shape(v) for v in values}) == 1


def _plain(value):
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (bool, int, float, str))


def _all_arrays(spec):
    if not isinstance(spec, dict) or "key" in spec or "static" in spec:
        return False
    for kind in CONTAINER_KEYS:
        if kind in spec:
            inner = spec[kind]
            return all(_all_arrays(v) for v in (inner.values() if kind == "dict" else inner))
    return True


def _load_checker(where, meta, files, origin, checks):
    """[checker] checks = [...] and checker.py: the package's own judge of those checks' results."""
    table = meta.get("checker")
    if table is None:
        if "checker.py" in files:
            where.fail("checker", "the package has a checker.py: say which checks it decides ([checker] checks = [...])")
        return None, ()
    if not isinstance(table, dict):
        where.fail("checker", "must be a table")
    where.known(table, ("checks",), "checker.")
    decided = where.strings(table, "checks")
    asked = {c for c, _ in checks}
    if not decided or not all(c in asked for c in decided):
        where.fail("checker.checks", f"must name checks the problem runs ({', '.join(sorted(asked))})")
    if "checker.py" not in files:
        raise ProblemError(f"{origin}/checker.py: missing ([checker] is set)")
    source = _TextFiles(files, origin).get("checker.py")
    try:
        compile(source, "checker.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        raise ProblemError(f"{origin}/checker.py: does not compile: {error}") from None
    return source.encode(), tuple(decided)


def _load_groups(where, meta, cases):
    """[[groups]]: name, points and the cases scored together; each case in exactly one group."""
    if meta.get("groups") is None:
        return (Group("all", 100, tuple(c.name for c in cases)),)
    groups, seen, names = [], {}, {c.name for c in cases}
    for key, table in where.tables(meta, "groups", GROUP_KEYS, "must be a list of [[groups]] tables"):
        name = where.string(table, "name", key + ".")
        points = table.get("points")
        if type(points) is not int or not 0 <= points <= 1_000_000:
            where.fail(key + ".points", "must be an integer from 0 to 1000000")
        members = where.strings(table, "cases")
        if not members:
            where.fail(key + ".cases", "must name at least one case")
        for case in members:
            if case not in names:
                close = difflib.get_close_matches(case, sorted(names), n=1)
                where.fail(key + ".cases", f"no case {case!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
            if case in seen:
                where.fail(key + ".cases", f"case {case!r} is already in group {seen[case]!r}")
            seen[case] = name
        if any(g.name == name for g in groups):
            where.fail(key + ".name", f"duplicate group name {name!r}")
        groups.append(Group(name, points, tuple(members)))
    missing = sorted(names - set(seen))
    if missing:
        where.fail("groups", f"every case must be in a group; not: {', '.join(missing)}")
    return tuple(groups)


def _load_rules(where, meta):
    """[rules]: must_contain and must_not_contain (primitive names), max_equations."""
    if "rules" not in meta:
        return None
    table = where.table(meta, "rules")
    where.known(table, RULE_KEYS, "rules.")
    limit = table.get("max_equations")
    if limit is not None and (type(limit) is not int or limit < 1):
        where.fail("rules.max_equations", "must be a positive integer")
    rules = Rules(must_contain=tuple(where.strings(table, "must_contain")),
                  must_not_contain=tuple(where.strings(table, "must_not_contain")), max_equations=limit)
    if not rules.describe():
        where.fail("rules", "names no rule")
    return rules


def _load_tolerances(where, meta, checks):
    """[tolerance.<dtype>] for every check, and [tolerance.<check>.<dtype>] for one; each with rtol, atol and
    mode ("elementwise", the default, or "norm")."""
    names = tuple(dict.fromkeys(c for c, _ in CHECKS))
    tolerances, per_check = dict(DEFAULT_TOLERANCES), {}

    def one(key, spec):
        if not isinstance(spec, dict):
            where.fail(key, "must be a table of rtol, atol and mode")
        where.known(spec, ("rtol", "atol", "mode"), key + ".")
        values = {}
        for bound in ("rtol", "atol"):
            value = spec.get(bound, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                where.fail(f"{key}.{bound}", "must be a non-negative number")
            values[bound] = float(value)
        mode = spec.get("mode", "elementwise")
        if mode not in ("elementwise", "norm"):
            where.fail(f"{key}.mode", "must be 'elementwise' or 'norm'")
        return Tolerance(mode=mode, **values)

    for name, spec in where.table(meta, "tolerance").items():
        if name in ALLOWED_DTYPES:
            tolerances[name] = one(f"tolerance.{name}", spec)
        elif name in names:
            if name not in {c for c, _ in checks}:
                where.fail(f"tolerance.{name}", "a tolerance for a check the problem does not run")
            if not isinstance(spec, dict):
                where.fail(f"tolerance.{name}", "must be a table of dtypes")
            for dtype, inner in spec.items():
                if dtype not in ALLOWED_DTYPES:
                    where.fail(f"tolerance.{name}.{dtype}", "unknown dtype")
                per_check.setdefault(name, {})[dtype] = one(f"tolerance.{name}.{dtype}", inner)
        else:
            close = difflib.get_close_matches(name, list(ALLOWED_DTYPES) + list(names), n=1)
            where.fail(f"tolerance.{name}", "neither a dtype nor a check" + (f"; did you mean {close[0]!r}?" if close else ""))
    return tolerances, per_check


def _load_limits(where, meta):
    table = where.table(meta, "limits")
    known = {f.name: f.type for f in dataclasses.fields(Limits)}
    changes = {}
    for key, value in table.items():
        if key not in known:
            where.fail(f"limits.{key}", f"unknown limit (known: {', '.join(known)})")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            where.fail(f"limits.{key}", "must be a positive number")
        changes[key] = int(value) if known[key] is int else float(value)
    return Limits().replace(**changes)


def _load_examples(files, origin):
    examples = []
    for name in sorted(files):
        parts = name.split("/")
        if parts[0] != "submissions":
            continue
        if len(parts) != 3 or not parts[2].endswith(".py"):
            raise ProblemError(f"{origin}/{name}: example submissions live in submissions/<verdict>/*.py")
        try:
            expected = Verdict.from_folder(parts[1])
        except ValueError:
            raise ProblemError(f"{origin}/submissions/{parts[1]}: folder name is not a verdict "
                               "(e.g. accepted, wrong_answer)") from None
        examples.append(ExampleSubmission(expected, name, files[name]))
    return tuple(examples)


def dump_toml(meta):
    """problem.toml text for `meta` (the subset of TOML problem packages use: tables, arrays of tables,
    strings, numbers with nan/inf, booleans, arrays and inline tables). Used to write packages that were
    authored as JSON."""
    lines = []
    scalars = {k: v for k, v in meta.items() if not isinstance(v, dict) and not _is_table_array(v)}
    for key, value in scalars.items():
        lines.append(f"{key} = {_toml_value(value)}")
    for key, value in meta.items():
        if isinstance(value, dict):
            lines += _toml_table(key, value)
    for key, value in meta.items():
        if _is_table_array(value):
            for item in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def _is_table_array(value):
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_table(name, table):
    # Nested tables (tolerance.float32) are written inline: `float32 = { rtol = 1e-06 }`.
    return ["", f"[{name}]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]


def _toml_key(key):
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ProblemError(f"cannot write {type(value).__name__} to problem.toml")
