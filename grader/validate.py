"""`validate`: every example submission of a package must get the verdict its folder names.

Kattis' verifyproblem idea: a problem proves that its cases tell right from wrong before anyone is
judged by them.
"""

import concurrent.futures
import os

from .judge import judge
from .verdict import Verdict


def validate_problem(problem, *, device="cpu", limits=None, cache=None, workers=None):
    """Judge the reference and every example; returns [(name, expected, got, report)]."""
    entries = [("reference.py", Verdict.ACCEPTED, problem.reference)]
    entries += [(e.name, e.expected, e.source) for e in problem.examples]
    # Expected values first, once, so that the examples below do not all compute them. A reference that
    # fails its own checks is said once, with its message, and nothing else is judged.
    first = judge(problem, problem.reference, device=device, samples_only=True, limits=limits, cache=cache)
    if first["verdict"] == Verdict.INTERNAL_ERROR.value:
        return [("reference.py", Verdict.ACCEPTED, Verdict.INTERNAL_ERROR, first)]
    workers = workers or max(1, min(4, (os.cpu_count() or 2)))

    def one(entry):
        name, expected, source = entry
        report = judge(problem, source, device=device, limits=limits, cache=cache)
        return name, expected, Verdict(report["verdict"]), report

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, entries))
