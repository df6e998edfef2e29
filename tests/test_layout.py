"""Imports point one way: grader uses only the standard library, numpy and jax; never app or a web stack."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ml_dtypes is jax's own dtype package (bfloat16), installed with jax.
GRADER_ALLOWED = set(sys.stdlib_module_names) | {"numpy", "jax", "ml_dtypes", "grader"}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_grader_imports_only_stdlib_numpy_and_jax():
    offenders = {}
    for path in (ROOT / "grader").rglob("*.py"):
        bad = set(imported_modules(path)) - GRADER_ALLOWED
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_sandboxed_code_imports_nothing_of_the_trusted_side():
    for path in (ROOT / "grader" / "sandboxed").glob("*.py"):
        assert "grader" not in set(imported_modules(path)), path
