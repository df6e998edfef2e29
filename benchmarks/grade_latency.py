"""Seconds per verdict: the sandboxed judge against a naive fresh process, measured in the same run.

    python benchmarks/grade_latency.py [-n 10] [--device cpu|gpu] [--samples] [--pool] [--submission FILE]

Judges an accepted example (by default a copy of the reference) N times through `grader.judge`
(expected values computed beforehand), twice over: without the compile cache, and with the compile
cache the reference run filled (its own temporary folder, as a trusted run fills it). N times it also
runs the same checks in a plain fresh `python` outside any sandbox, compiling each check on its own:
what a naive judge pays per verdict (interpreter start, `import jax`, one compile per check).
Prints p50/p95 of each and their ratios. Not a test: nothing here asserts a time.
"""

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import ExpectedCache, SandboxPool, _compile_cache, judge, load_problem  # noqa: E402

PROBLEM = ROOT / "problems" / "clip-passthrough"
ACCEPTED = PROBLEM / "submissions" / "accepted" / "custom_jvp.py"


# The naive judge: the same checks, in the user's own process, with one compile per jit check.
NAIVE = """
import json, sys
import jax, numpy as np
from grader.sandboxed import harness, inputs
job = json.loads(sys.stdin.buffer.readline())
module = {}
exec(compile(sys.stdin.buffer.read(), 'submission.py', 'exec'), module)
runner = harness._CheckRunner(jax, jax.numpy, np, inputs, module[job['entry']], job, jax.devices()[0])
ran = 0
for case in job['cases']:
    for check, transform in harness.job_checks(job):
        x = runner._inputs(case, check)
        if transform == 'eager':
            outputs = runner._program(check)(x)
        elif transform == 'jit':
            outputs = jax.jit(runner._program(check))(x)
        else:
            outputs = runner._grad_of_sum(jax.jit(runner.f))(*x['args'])
        jax.block_until_ready(outputs)
        ran += 1
print(ran)
"""


def naive_once(job_line, source, device):
    """One fresh, unsandboxed python running every check; returns (seconds, checks run)."""
    env = dict(os.environ, JAX_PLATFORMS="cuda" if device == "gpu" else "cpu", PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", NAIVE], input=job_line + b"\n" + source, env=env,
                          capture_output=True, check=True)
    return time.perf_counter() - started, int(done.stdout)


def quantiles(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return statistics.median(values), p95


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--samples", action="store_true", help="sample cases only")
    parser.add_argument("--pool", action="store_true",
                        help="judge in sandboxes started ahead of need (a SandboxPool of 1)")
    parser.add_argument("--wall-time", type=float, help="override the problem's wall-time limit (s)")
    parser.add_argument("--submission", type=Path, default=ACCEPTED,
                        help="the accepted submission to judge (default: a copy of the reference)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    problem = load_problem(PROBLEM)
    if args.wall_time:
        limits = problem.limits.replace(wall_time_s=args.wall_time, cpu_time_s=4 * args.wall_time)
        problem = dataclasses.replace(problem, limits=limits)
    source = args.submission.read_bytes()
    cases = problem.sample_cases if args.samples else problem.cases
    job_line = json.dumps(problem.job(cases)).encode()
    # The sandbox's host uid must reach the cache folder: a folder of its own under /tmp.
    with tempfile.TemporaryDirectory() as cache_dir, tempfile.TemporaryDirectory(dir="/tmp") as compile_dir:
        os.chmod(compile_dir, 0o755)
        settings = {"without cache": _compile_cache.OFF, "with cache": str(Path(compile_dir) / "xla")}
        os.environ[_compile_cache.CACHE_DIR_ENV] = settings["with cache"]
        cache = ExpectedCache(cache_dir)
        cache.expected(problem, args.device)  # the trusted reference run, which fills the compile cache
        pools = {}
        for mode, setting in settings.items():  # each pool's sandboxes take the setting they start with
            os.environ[_compile_cache.CACHE_DIR_ENV] = setting
            pools[mode] = SandboxPool(1, device=args.device) if args.pool else None
            while pools[mode] is not None and not all(pools[mode]._ready.values()):  # started with `setting`
                time.sleep(0.05)
        times = {mode: [] for mode in settings} | {"naive": []}
        for _ in range(args.n):  # interleaved, so drift on the machine hits all alike
            for mode, setting in settings.items():
                os.environ[_compile_cache.CACHE_DIR_ENV] = setting
                started = time.perf_counter()
                report = judge(problem, source, device=args.device, samples_only=args.samples, cache=cache,
                               pool=pools[mode])
                times[mode].append(time.perf_counter() - started)
                assert report["verdict"] == "ACCEPTED", report["summary"]
            times["naive"].append(naive_once(job_line, source, args.device)[0])
        for pool in pools.values():
            if pool is not None:
                pool.close()
    n50, n95 = quantiles(times["naive"])
    figures = {"device": f"{report['device']['platform']} ({report['device']['kind']})", "n": args.n,
               "cases": len(cases), "checks": len(report["checks"]), "submission": args.submission.name,
               "naive_p50_s": round(n50, 3), "naive_p95_s": round(n95, 3)}
    print(f"device {figures['device']}, {len(cases)} cases, {figures['checks']} checks, n={args.n}, "
          f"{args.submission.name}")
    print(f"naive fresh proc:        p50 {n50:.3f} s  p95 {n95:.3f} s per verdict (no sandbox)")
    for mode in settings:
        p50, p95 = quantiles(times[mode])
        key = mode.replace(" ", "_")
        figures.update({f"{key}_p50_s": round(p50, 3), f"{key}_p95_s": round(p95, 3),
                        f"{key}_ratio_p50": round(p50 / n50, 2)})
        print(f"sandboxed{' (pool)' if args.pool else ''} {mode + ':':14} p50 {p50:.3f} s  p95 {p95:.3f} s  "
              f"ratio to naive {p50 / n50:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
