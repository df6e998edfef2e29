"""jaxjudge's grader: judge a JAX submission's values and derivatives in a bubblewrap sandbox.

Imports only the standard library, numpy and jax (the latter only inside the sandbox), so a worker on any
machine can run it, and ``python -m grader`` works on its own.

    problem = load_problem("problems/clip-passthrough")
    report = judge(problem, source_bytes, device="cpu")
    report["verdict"]  # "ACCEPTED", "WRONG_ANSWER", ...
"""

from .judge import ExpectedCache, ReferenceFailure, describe_samples, judge
from .problem import (MAX_SOURCE_BYTES, Case, EntryPoint, Problem, ProblemError, load_problem,
                      problem_from_files, read_package)
from .report import render_text
from .pool import SandboxPool
from .sandbox import Limits, SandboxUnavailable
from .validate import validate_problem
from .verdict import Verdict

__all__ = [
    "Case", "EntryPoint", "describe_samples", "ExpectedCache", "Limits", "MAX_SOURCE_BYTES", "Problem", "ProblemError",
    "ReferenceFailure", "SandboxPool", "SandboxUnavailable", "Verdict", "judge", "load_problem", "problem_from_files",
    "read_package", "render_text", "validate_problem",
]
