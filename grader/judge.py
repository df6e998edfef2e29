"""Judge a submission: two sandboxes, its raw results against the reference's, a report.

This is the trusted side. It never imports or executes user code. The submission's sandbox (the
harness) is given the job without any case's values and exports the entry point's programs; only once
they are on the wire does it get the values, for the eager checks. A second sandbox (the evaluator),
which runs no user Python, compiles and runs the exported programs on every case: the jit checks, grad
of jit, and the anchor's witnesses. The verdict is decided from those arrays; the eager checks are the
submission's own account and can only lower it. Expected values come from running the reference
solution through the same two sandboxes, once per problem version, device and JAX version
(`ExpectedCache`).
"""

import builtins
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import threading
import time
from pathlib import Path

import ml_dtypes
import numpy as np

from . import hints, sandbox
from .compare import compare_array
from .problem import MAX_SOURCE_BYTES
from .report import CheckResult, Report
from .sandboxed import evaluator as evaluator_module
from .sandboxed import harness, inputs, wire
from .verdict import Verdict

log = logging.getLogger("grader")

PLATFORM_OF_DEVICE = {"cpu": "cpu", "gpu": "gpu"}
_SHOWN_CHARS = 400
# What a report may repeat of the submission's own words (its exceptions' messages and tracebacks, the
# arrays it returned). A run over the samples holds only the samples' data, so it is shown in full (each
# message capped). A submit run also holds the hidden cases, which the submission can read from the
# harness's memory and raise, chunk by chunk, in the samples' checks: there every text is short and all
# of them together draw on one small budget per submission.
RUN_MESSAGE_CHARS = harness.MAX_MESSAGE_CHARS
SUBMIT_MESSAGE_CHARS = 160
SUBMIT_MESSAGE_BUDGET = 1000
WITHHELD = (f"(withheld: in submit mode a report repeats at most {SUBMIT_MESSAGE_BUDGET} characters of what the "
            "submission said; Run the samples to see them in full)")
# Exception names a hidden case may show: the builtin ones and JAX's. Any other name is the submission's
# own invention (a class can be named anything, even after the case's data), shown as "Exception".
_KNOWN_ERRORS = frozenset(
    [name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)]
    + ["ConcretizationTypeError", "TracerBoolConversionError", "TracerIntegerConversionError",
       "TracerArrayConversionError", "UnexpectedTracerError", "NonConcreteBooleanIndexError", "KeyReuseError",
       "JaxRuntimeError", "XlaRuntimeError", "FloatingPointError", "RefusedProgram"])
# All of a submission's exported programs together; past it they are refused.
MAX_PROGRAM_BYTES = 64 << 20


class ReferenceFailure(RuntimeError):
    """The reference solution did not pass its own checks: a problem bug, judged as INTERNAL_ERROR."""


@functools.lru_cache(maxsize=1)
def harness_digest():
    digest = hashlib.sha256()
    for path in sorted(sandbox.HARNESS_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class ExpectedCache:
    """Reference results per (problem version, device, JAX version, harness), in memory and on disk.

    The disk copy is the raw result stream of the reference run, decoded with the same `wire` reader. Its
    folder is the judge's own; no sandbox ever has it mounted.
    """

    def __init__(self, directory=None):
        self.directory = Path(directory) if directory else None
        self._memory = {}
        self._lock = threading.Lock()

    def key(self, problem, device):
        parts = [problem.fingerprint(), device, importlib.metadata.version("jax"), harness_digest()]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def expected(self, problem, device):
        """{(case, check, transform): [arrays]} of the reference on every case of `problem`."""
        key = self.key(problem, device)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        stream = self._load(key)
        if stream is None:
            stream = self._compute(problem, device)
            self._store(key, stream)
        expected = _reference_results(stream)
        with self._lock:
            self._memory[key] = expected
        return expected

    def _load(self, key):
        if self.directory is None:
            return None
        try:
            return (self.directory / f"{key}.stream").read_bytes()
        except FileNotFoundError:
            return None

    def _store(self, key, stream):
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_bytes(stream)
        os.replace(tmp, self.directory / f"{key}.stream")

    @staticmethod
    def _compute(problem, device):
        # The reference is trusted: its runs fill the compile cache (the warm-up of every case's programs).
        runs = run_sandboxes(problem, problem.cases, problem.reference, limits=problem.limits, device=device,
                             compile_cache="rw")
        for (_, program), header in runs.exports.errors.items():
            raise ReferenceFailure(f"reference.py fails to export {program}: {header.get('error_type')}: "
                                   f"{header.get('message')}")
        stream = runs.reference_stream()
        _reference_results(stream, runs)
        return stream


class Leaves(list):
    """A check's expected output leaves, with the tree they came in: its structure and each leaf's path."""

    def __init__(self, arrays, header):
        super().__init__(arrays)
        self.structure = header.get("structure")
        self.paths = header.get("paths") or []


def _reference_results(stream, runs=None):
    frames, error = wire.decode(stream)
    expected = {}
    done = False
    for header, arrays in frames:
        kind = header.get("type")
        if kind == "module_error":
            raise ReferenceFailure(f"reference.py failed to load: {header.get('error_type')}: "
                                   f"{header.get('message')}")
        if kind == "check":
            key = (header["case"], header["check"], header["transform"])
            if header.get("status") != "ok":
                raise ReferenceFailure(f"reference.py fails check {key}: {header.get('error_type')}: "
                                       f"{header.get('message')}")
            expected[key] = Leaves(arrays, header)
        done = done or kind == "done"
    if error or not done:
        raise ReferenceFailure(f"the reference run did not finish: {error or 'no done frame'}"
                               f"{runs.describe() if runs is not None else ''}")
    return expected


@dataclasses.dataclass
class Runs:
    """What the two sandboxes of one judgement did: the harness's run, the evaluator's (None when the
    submission exported nothing to run), and the export phase as the judge took it."""

    harness: sandbox.SandboxRun
    evaluator: sandbox.SandboxRun | None
    exports: "_Exports"
    wall_s: float

    def runs(self):
        return [run for run in (self.harness, self.evaluator) if run is not None]

    def describe(self):
        return "".join(f" ({name}: exit status {run.exit_status}, wall {run.wall_s:.1f}s, stderr: "
                       f"{run.stderr_tail[-1500:].decode(errors='replace')})"
                       for name, run in (("harness", self.harness), ("evaluator", self.evaluator)) if run)

    def reference_stream(self):
        """The reference's results as one stream of check frames (the eager ones, then the evaluator's)."""
        frames, _ = wire.decode(self.harness.result_stream)
        evaluated, _ = wire.decode(self.evaluator.result_stream) if self.evaluator else ([], None)
        if self.exports.module_error is not None:
            return wire.encode(self.exports.module_error)
        checks = [(h, a) for h, a in frames[self.exports.consumed:] + evaluated if h.get("type") == "check"]
        done = all(any(h.get("type") == "done" for h, _ in fs) for fs in (frames, evaluated))
        return b"".join([wire.encode(h, a) for h, a in checks] + ([wire.encode({"type": "done"})] if done else []))


def signature_index(cases):
    """(the distinct signatures of `cases` (case specs), in order, {case name: its signature's index})."""
    signatures, index, signature_of = [], {}, {}
    for case in cases:
        signature = inputs.signature(case)
        key = json.dumps(signature, sort_keys=True)
        if key not in index:
            index[key] = len(signatures)
            signatures.append(signature)
        signature_of[case["name"]] = index[key]
    return signatures, signature_of


def _jobs(problem, cases, source):
    """(what the harness reads first, the cases it reads after exporting, what the evaluator reads).

    The first holds each case's signature (its arguments' shapes and dtypes) and no value."""
    job = problem.job(cases)
    signatures, signature_of = signature_index(job["cases"])
    for case in job["cases"]:
        case["signature"] = signature_of[case["name"]]
    shown = {**job, "signatures": signatures, "source_bytes": len(source),
             "cases": [{"name": c["name"], "sample": c.get("sample", False), "signature": c["signature"]}
                       for c in job["cases"]]}
    first = json.dumps(shown, allow_nan=True).encode() + b"\n" + source
    values = json.dumps({"cases": job["cases"]}, allow_nan=True).encode() + b"\n"
    return first, values, json.dumps(job, allow_nan=True).encode(), len(signatures)


class _Exports:
    """The export phase of the harness's stream, read as it arrives (`sandbox` calls it with each chunk).

    It takes `program` frames up to `exported`, then returns the cases' values for the harness and hands
    the programs to `on_exported`; a frame of any other kind in this phase (but a module error) ends it:
    no values are sent and nothing is evaluated."""

    def __init__(self, signatures, values, on_exported, on_frame=None):
        self._reader = wire.StreamReader()
        self._signatures, self._values, self._on_exported = signatures, values, on_exported
        self._on_frame = on_frame  # given the frames after the phase, as they arrive
        self.programs = {}   # (signature, program) -> bytes
        self.errors = {}     # (signature, program) -> the harness's error header
        self.jaxprs = {}     # signature -> the harness's jaxpr summary (for implementation rules)
        self.consumed = 0    # frames of the stream the phase took, hello and exported included
        self.module_error = None
        self.fault = None
        self._bytes = 0
        self._ended = False

    def __call__(self, chunk):
        outcome = None
        for header, arrays in self._reader.feed(chunk):
            if self._ended:
                if self._on_frame is not None:
                    self._on_frame(header, arrays)
                continue
            self.consumed += 1
            outcome = self._take(header, arrays)
            self._ended = outcome is not None
        if self._reader.error is not None and not self._ended:
            self.fault = f"a malformed message ({self._reader.error})"
            self._ended, outcome = True, b""
        return outcome

    def _take(self, header, arrays):
        kind = header.get("type")
        if self.consumed == 1:
            return None if kind == "hello" else self._stop("no hello")
        if kind == "module_error" and self.consumed == 2:
            self.module_error = header
            return b""
        if kind == "exported":
            self._on_exported(self)
            return self._values
        if kind == "jaxpr":
            signature = header.get("signature")
            if type(signature) is not int or not 0 <= signature < self._signatures or signature in self.jaxprs:
                return self._stop("a jaxpr not asked for, or sent twice")
            self.jaxprs[signature] = header
            return None
        if kind != "program":
            return self._stop(f"an unexpected {kind!r} message while exporting")
        key = (header.get("signature"), header.get("program"))
        if (type(key[0]) is not int or not 0 <= key[0] < self._signatures or key[1] not in harness.PROGRAMS
                or key in self.programs or key in self.errors):
            return self._stop(f"a program {key!r} not asked for, or sent twice")
        if header.get("status") != "ok":
            self.errors[key] = header
            return None
        if len(arrays) != 1 or arrays[0].dtype != np.uint8 or arrays[0].ndim != 1:
            return self._stop("a program that is not one array of bytes")
        self._bytes += arrays[0].nbytes
        if self._bytes > MAX_PROGRAM_BYTES:
            self.errors[key] = {"status": "error", "error_type": "RefusedProgram",
                                "message": f"the exported programs are over {MAX_PROGRAM_BYTES >> 20} MiB together"}
            return None
        self.programs[key] = arrays[0].tobytes()
        return None

    def _stop(self, why):
        self.fault = why
        return b""

    def evaluator_input(self, job):
        return job + b"\n" + b"".join(
            wire.encode({"type": "program", "signature": sig, "program": name}, [np.frombuffer(data, np.uint8)])
            for (sig, name), data in self.programs.items())


def run_sandboxes(problem, cases, source, *, limits, device, pool=None, compile_cache="ro", on_frame=None):
    """Judge `source` on `cases` in two sandboxes: the submission's, and the evaluator of its exported
    programs (taken from `pool` where given, else started now; the evaluator is started first, so it is
    warm by the time the programs arrive). Returns `Runs`. Only the reference may pass "rw".

    `on_frame(role, exports, header, arrays)`, if given, sees each frame of the eager checks ("harness")
    and of the evaluator as it arrives."""
    started = time.monotonic()
    if pool is not None:
        evaluator = pool.take("evaluator", limits=limits, device=device)
    else:
        evaluator = sandbox.Sandbox(limits, device, compile_cache, role="evaluator")
    try:
        submission = (pool.take("harness", limits=limits, device=device) if pool is not None
                      else sandbox.Sandbox(limits, device, compile_cache, role="harness"))
    except BaseException:
        evaluator.discard()
        raise
    first, values, job, signatures = _jobs(problem, cases, source)
    evaluated = {}

    def evaluate(exports):
        reader = wire.StreamReader()

        def frames(chunk):
            for header, arrays in reader.feed(chunk):
                on_frame("evaluator", exports, header, arrays)

        def run():
            try:
                evaluated["run"] = evaluator.run(exports.evaluator_input(job), limits,
                                                 on_result=frames if on_frame else None)
            except BaseException as error:  # said again on the judging thread
                evaluated["error"] = error
        evaluated["thread"] = threading.Thread(target=run, name="evaluator", daemon=True)
        evaluated["thread"].start()

    exports = _Exports(signatures, values, evaluate,
                       on_frame=(lambda header, arrays: on_frame("harness", exports, header, arrays)) if on_frame else None)
    try:
        run = submission.run(first, limits, on_result=exports, hold_stdin=True)
    finally:
        if "thread" in evaluated:
            evaluated["thread"].join()
        else:
            evaluator.discard()
    if "error" in evaluated:
        raise evaluated["error"]
    return Runs(run, evaluated.get("run"), exports, time.monotonic() - started)


def default_cache_dir():
    """$JAXJUDGE_CACHE_DIR, else the user's cache folder (~/.cache/jaxjudge/expected)."""
    configured = os.environ.get("JAXJUDGE_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jaxjudge" / "expected"


_default_caches = {}


def _default_cache():
    directory = default_cache_dir()
    return _default_caches.setdefault(directory, ExpectedCache(directory))


def judge(problem, source, *, device="cpu", samples_only=False, limits=None, cache=None, pool=None, on_check=None,
          show_hidden=False):
    """Judge `source` (bytes or str) against `problem` on `device` ("cpu" or "gpu"); returns the report.

    The report is a JSON-able dict (`grader.report.Report.to_json()`); `report["verdict"]` is a `Verdict`
    name. `limits` overrides the problem's sandbox limits (tests lower them for speed). `pool` (a
    `SandboxPool`) supplies sandboxes started ahead of need; without one they are started for this
    submission. `on_check`, if given, is called (from the judge's threads) with {case, sample, check,
    transform, status, verdict, trusted} of each check as soon as it is decided, before the report; the
    report is what counts. `show_hidden` (for a problem's authors) shows hidden cases like samples:
    inputs, messages, expected and got.
    """
    started = time.monotonic()
    cache = cache or _default_cache()
    limits = limits or problem.limits
    cases = problem.sample_cases if samples_only else problem.cases
    judged = {c.name for c in cases}
    groups = [{"name": g.name, "points": 0, "max_points": g.points} for g in problem.groups if set(g.cases) <= judged]
    base = Report(problem=problem.slug, samples_only=samples_only,
                  device={"requested": device, "platform": None, "kind": None},
                  limits={"wall_time_s": limits.wall_time_s, "cpu_time_s": limits.cpu_time_s,
                          "memory_mb": limits.memory_mb},
                  # Until the checks say otherwise: nothing earned (a verdict decided before any check).
                  score={"points": 0, "max_points": sum(g["max_points"] for g in groups), "groups": groups},
                  show_hidden=show_hidden)
    if isinstance(source, str):
        source = source.encode("utf-8", errors="surrogateescape")
    rejected = _reject_source(source)
    if rejected:
        return _finish(base, Verdict.COMPILATION_ERROR, rejected, started)
    try:
        expected = cache.expected(problem, device)
        live = _Live(problem, cases, expected, device, base, on_check) if on_check else None
        # The package's checker, if it has one, in a sandbox of its own, started now to be warm when needed.
        checker = sandbox.Sandbox(limits, "cpu", None, role="checker") if problem.checker else None
        try:
            runs = run_sandboxes(problem, cases, source, limits=limits, device=device, pool=pool, on_frame=live)
        except BaseException:
            if checker is not None:
                checker.discard()
            raise
    except (ReferenceFailure, sandbox.SandboxUnavailable) as error:
        log.exception("judge fault on problem %s", problem.slug)
        return _finish(base, Verdict.INTERNAL_ERROR, f"The judge failed, not your code: {error}", started)
    assessment = _Assessment(problem, cases, runs, expected, device, base, started, checker)
    try:
        return assessment.report()
    finally:
        if checker is not None:
            checker.discard()


def _reject_source(source):
    if len(source) > MAX_SOURCE_BYTES:
        return f"The source is {len(source)} bytes; the limit is {MAX_SOURCE_BYTES}."
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"The source is not valid UTF-8 (byte {error.start}). Save the file as UTF-8."
    if b"\0" in source:
        return "The source contains a NUL byte."
    return None


def _finish(report, verdict, summary, started, **fields):
    """The report, with its verdict, summary and the judgement's time, as the JSON-able dict."""
    report = dataclasses.replace(report, verdict=verdict.value, summary=summary, **fields)
    report.timings = {**report.timings, "judge_s": round(time.monotonic() - started, 3)}
    return report.to_json()


def _exported_error(exports, signature, check, transform, witness=False):
    """The harness's own error for the program behind a jit check (`witness`: behind its witness, the
    anchor), which stands in for what the evaluator says of that program: the submission's own words,
    which can only fail a check."""
    if witness or transform == "grad_of_jit":
        # A derivative of the anchor: why it has no VJP, where it was exported without one.
        derivative = transform == "grad_of_jit" or check in harness.DERIVATIVES
        return exports.errors.get((signature, "anchor")) or (
            exports.errors.get((signature, "anchor/vjp")) if derivative else None)
    if (signature, "fused") in exports.programs or (signature, "fused") in exports.errors:
        program = "fused"
    else:
        program = f"{check}/{transform}"
    return exports.errors.get((signature, program))


class _Live:
    """Each check's outcome as soon as its frames are in, for `judge`'s `on_check`: the check, its status,
    verdict and whether it is trusted, never a message (the report, once the judgement is done, is what
    counts and says why). Called from both sandboxes' readers."""

    def __init__(self, problem, cases, expected, device, base, on_check):
        self.assessment = _Assessment(problem, cases, None, expected, device, dataclasses.replace(base),
                                      time.monotonic())
        self.assessment.plotted = None  # a live check event carries no plot: none is computed here
        self.problem, self.on_check = problem, on_check
        self.cases = {c.name: c for c in cases}
        self.signature_of = self.assessment.signature_of
        self.eager = iter([(c.name, check, transform) for c in cases
                           for check, transform in problem.checks if transform == "eager"])
        self.in_order = True
        self.got, self.witnesses, self.decided = {}, {}, set()
        self.lock = threading.Lock()

    def __call__(self, role, exports, header, arrays):
        with self.lock:
            try:
                self._frame(role, exports, header, arrays)
            except Exception:  # progress must never cost a verdict
                log.exception("live progress of a check")

    def _frame(self, role, exports, header, arrays):
        kind = header.get("type")
        key = (header.get("case"), header.get("check"), header.get("transform"))
        case = self.cases.get(key[0])
        if case is None or kind not in ("check", "witness"):
            return
        if role == "harness":
            if kind != "check" or not self.in_order or key != next(self.eager, None):
                self.in_order = False  # the report will say what was wrong with the stream
                return
            self.got[key] = (header, arrays)
        elif key[1:] in self.problem.checks and key[2] != "eager":
            signature = self.signature_of[case.name]
            error = _exported_error(exports, signature, key[1], key[2], witness=kind == "witness")
            found = (error, []) if error is not None else (header, arrays)
            (self.got if kind == "check" else self.witnesses)[key] = found
        else:
            return
        for ready in (key, (key[0], "jvp", "jit")):
            self._decide(case, ready)

    def _decide(self, case, key):
        if key in self.decided or key not in self.got or key[1] in self.problem.checker_checks:
            return  # (a check the package's checker decides is decided with the report)
        header, _ = self.got[key]
        if header.get("status") == "ok" and key[2] != "eager":
            witness = (key[0], "vjp", "jit") if key[1:] == ("jvp", "jit") else key
            if witness[1:] in evaluator_module.WITNESSES and witness not in self.witnesses:
                return  # decided once its witness is in
        entry = self.assessment._check(case, key[1], key[2], self.got, self.witnesses, None, None, True)
        self.decided.add(key)
        self.on_check(entry.live())


class _Assessment:
    """Turns one judgement's two runs into a report: what ran, what matched, and the verdict."""

    def __init__(self, problem, cases, runs, expected, device, base, started, checker=None):
        self.problem, self.cases, self.runs, self.expected = problem, cases, runs, expected
        self.checker, self.checked, self.checker_fault = checker, {}, None
        self.signatures, self.signature_of = signature_index([c.to_json() for c in cases])
        self.run = runs.harness if runs is not None else None
        self.device, self.base, self.started = device, base, started  # base: the Report being made
        self.platform = PLATFORM_OF_DEVICE[device]
        self.hints = []
        self.plotted = set()  # (case, check) pairs whose result carries a plot; None: make no plots
        self.said = _Said(None if base.samples_only else SUBMIT_MESSAGE_BUDGET,
                          RUN_MESSAGE_CHARS if base.samples_only else SUBMIT_MESSAGE_CHARS)

    def hint(self, text):
        if text and text not in self.hints:
            self.hints.append(text)

    def shown(self, case):
        """Whether the report shows this case's details: samples always, hidden cases to their author."""
        return case.sample or self.base.show_hidden

    def report(self):
        run, base, exports = self.run, self.base, self.runs.exports
        evaluator = self.runs.evaluator
        base.timings = {"wall_s": round(self.runs.wall_s, 3), "cpu_s": round(sum(r.cpu_s for r in self.runs.runs()), 3)}
        if evaluator is not None:
            base.timings["evaluator_cpu_s"] = round(evaluator.cpu_s, 3)
        base.memory_limit_by = run.memory_enforced_by
        base.output = self._output()
        frames, wire_error = wire.decode(run.result_stream)
        limit_verdict, limit_message = self._limit_outcome()
        if not frames or frames[0][0].get("type") != "hello":
            if limit_verdict:
                return self._done(limit_verdict, limit_message)
            log.error("sandbox did not start: exit %s, stderr %r", run.exit_status, run.stderr_tail[-2000:])
            return self._done(Verdict.INTERNAL_ERROR, "The judge failed, not your code: the sandbox did "
                              f"not start (exit status {run.exit_status}).")
        hello = frames[0][0]
        base.device.update(platform=hello.get("platform"), kind=hello.get("device_kind"))
        base.jax_version = hello.get("jax_version")
        if hello.get("platform") != self.platform:
            log.error("asked for %s, JAX came up on %s", self.platform, hello.get("platform"))
            return self._done(Verdict.INTERNAL_ERROR, f"The judge failed, not your code: JAX started on "
                              f"{hello.get('platform')}, not {self.platform}.")
        if exports.module_error is not None:
            return self._module_error(exports.module_error, limit_verdict, limit_message)
        evaluated = self._evaluated()
        if evaluated is None and not limit_verdict:
            log.error("the evaluator did not start: exit %s, stderr %r", evaluator.exit_status,
                      evaluator.stderr_tail[-2000:])
            return self._done(Verdict.INTERNAL_ERROR, "The judge failed, not your code: the evaluator of the "
                              f"exported programs did not start (exit status {evaluator.exit_status}).")
        got, witnesses, evaluator_done = evaluated or ({}, {}, False)
        eager, tampered, done = self._read_frames(frames[exports.consumed:] if exports.consumed else [],
                                                  wire_error if exports.consumed else None)
        tampered = exports.fault or tampered
        if exports.consumed and exports.fault is None and not any(h.get("type") == "exported" for h, _ in frames):
            tampered = None  # the harness ended while exporting: each check says so
        got.update(eager)
        if self.checker is not None:
            self._run_checker(got, witnesses)
        checks = [self._check(case, check, transform, got, witnesses, tampered, limit_verdict,
                              done if transform == "eager" else evaluator_done)
                  for case in self.cases for check, transform in self.problem.checks]
        base.cases = [self._case_info(case) for case in self.cases]
        base.checks = checks
        base.rules = rules = self._rules()
        broken = [r for r in rules or [] if r["status"] == "failed"]
        base.score = self._score(checks, bool(broken))
        # A stream the submission wrote into proves nothing, however right its arrays look.
        checked = Verdict.worst([Verdict(c.verdict) for c in checks] + ([limit_verdict] if limit_verdict else [])
                                + ([Verdict.RUNTIME_ERROR] if tampered else []))
        verdict = Verdict.worst([checked] + ([Verdict.WRONG_ANSWER] if broken else []))
        summary = self._summary(checked, checks, limit_message, tampered)
        if self.checker_fault:
            return self._done(Verdict.INTERNAL_ERROR, f"The judge failed, not your code: the problem's checker "
                              f"failed: {self.checker_fault}")
        if broken:
            summary = f"Rule not met: {broken[0]['rule']} ({broken[0]['message']}). " + summary
        return self._done(verdict, summary)

    def _run_checker(self, got, witnesses):
        """Every result (and witness) of a check the package's checker decides, judged by it at once."""
        pairs = []
        for which, found in (("result", got), ("witness", witnesses)):
            for key, (header, arrays) in found.items():
                if key[1] in self.problem.checker_checks and header.get("status") == "ok" and key in self.expected:
                    pairs.append(((key, which), arrays))
        frames = b"".join(wire.encode({"type": "pair", "index": i, "expected": len(self.expected[key]),
                                       "check": key[1], "transform": key[2]}, list(self.expected[key]) + list(arrays))
                          for i, ((key, _), arrays) in enumerate(pairs))
        source = self.problem.checker
        run = self.checker.run(json.dumps({"source_bytes": len(source)}).encode() + b"\n" + source + frames)
        answers, _ = wire.decode(run.result_stream)
        for header, _ in answers:
            if header.get("type") == "checker_error":
                self.checker_fault = str(header.get("message"))[:400]
            elif header.get("type") == "checked" and type(header.get("index")) is int and 0 <= header["index"] < len(pairs):
                if "error" in header:
                    self.checker_fault = str(header["error"])[:400]
                self.checked[pairs[header["index"]][0]] = (bool(header.get("passed")), str(header.get("message", "")))
        if len(self.checked) < len(pairs) and self.checker_fault is None:
            self.checker_fault = (f"it answered {len(self.checked)} of {len(pairs)} results (exit status "
                                  f"{run.exit_status}{', stopped at a limit' if run.wall_exceeded or run.cpu_exceeded or run.overloaded else ''})")

    def _score(self, checks, broken):
        """Points per group of cases whose every check passed (none where a rule is broken); a group
        with a case this run did not judge (a Run over the samples) is left out."""
        judged = {c.name for c in self.cases}
        passed = {case: True for case in judged}
        for check in checks:
            passed[check.case] = passed[check.case] and check.status == "passed"
        groups = [{"name": g.name, "points": g.points if not broken and all(passed[c] for c in g.cases) else 0,
                   "max_points": g.points} for g in self.problem.groups if set(g.cases) <= judged]
        return {"points": sum(g["points"] for g in groups), "max_points": sum(g["max_points"] for g in groups),
                "groups": groups}

    def _rules(self):
        """The problem's implementation rules against each signature's jaxpr, as the harness reported it
        (a learning aid: the jaxpr is the submission's own account, so a rule only ever fails a verdict)."""
        rules = self.problem.rules
        if rules is None:
            return None
        broken = {}
        signatures = sorted(set(self.signature_of.values()))
        for signature in signatures:
            summary = self.runs.exports.jaxprs.get(signature, {})
            # With an empty array argument there may be nothing to loop over: what must be in the jaxpr
            # need not be there (a function may rightly skip its scan); what must not be, still must not.
            empty = any(0 in leaf.get("shape", ()) for arg in self.signatures[signature] for leaf in inputs.spec_leaves(arg))
            for rule, why in rules.broken({k: summary.get(k) for k in ("primitives", "equations")}, empty=empty):
                broken.setdefault(rule, why)
        named = rules.describe() + [rule for rule in broken if rule not in rules.describe()]
        return [{"rule": rule, "status": "failed" if rule in broken else "passed", "message": broken.get(rule, "")}
                for rule in named]

    def _done(self, verdict, summary):
        # Stopped only because the machine was too busy: a worker judges it again (app/worker.py).
        retry = verdict is Verdict.INTERNAL_ERROR and any(run.overloaded for run in self.runs.runs())
        return _finish(self.base, verdict, summary, self.started, hints=self.hints, retry=retry)

    def _limit_outcome(self):
        for run in self.runs.runs():
            if run.wall_exceeded:
                return Verdict.TIME_LIMIT_EXCEEDED, f"Stopped after the wall-time limit ({run.wall_s:.1f} s)."
            if run.cpu_exceeded:
                return Verdict.TIME_LIMIT_EXCEEDED, f"Stopped after using {run.cpu_s:.1f} s of CPU time."
            if run.overloaded:
                return Verdict.INTERNAL_ERROR, (f"The judge failed, not your code: the machine was too busy to "
                                                f"finish the run in {run.wall_s:.0f} s ({run.cpu_s:.1f} s of CPU time).")
            if run.memory_exceeded:
                return Verdict.MEMORY_LIMIT_EXCEEDED, "Stopped for using more memory than the limit."
            if run.output_exceeded:
                return Verdict.OUTPUT_LIMIT_EXCEEDED, "Stopped for printing more than the output limit."
            if run.result_exceeded:
                return Verdict.OUTPUT_LIMIT_EXCEEDED, "Stopped for returning more data than the result limit."
        return None, None

    def _output(self):
        run = self.run
        if self.base.samples_only:
            tail = 4000
            return {"bytes": run.output_bytes, "shown": True,
                    "stdout_tail": run.stdout_tail[-tail:].decode("utf-8", errors="replace"),
                    "stderr_tail": run.stderr_tail[-tail:].decode("utf-8", errors="replace")}
        # Printed output of a run over hidden cases could carry their data; it is counted, not shown.
        return {"bytes": run.output_bytes, "shown": False}

    def _evaluated(self):
        """({key: (header, arrays)} of the jit checks, the same of the witnesses, done), read from the
        evaluator's stream, where every program's export errors stand in for what it would have computed;
        None when the evaluator ran but never said hello."""
        got, witnesses = {}, {}
        exports, evaluator = self.runs.exports, self.runs.evaluator
        frames = []
        if evaluator is not None:
            frames, _ = wire.decode(evaluator.result_stream)
            if not frames or frames[0][0].get("type") != "hello":
                return None
        for header, arrays in frames[1:]:
            key = (header.get("case"), header.get("check"), header.get("transform"))
            if header.get("type") == "check":
                got[key] = (header, arrays)
            elif header.get("type") == "witness":
                witnesses[key] = (header, arrays)
        signature_of = self.signature_of
        for case in self.cases:
            for check, transform in self.problem.checks:
                if transform == "eager":
                    continue
                error = _exported_error(exports, signature_of[case.name], check, transform)
                if error is not None:
                    got[(case.name, check, transform)] = (error, [])
                error = _exported_error(exports, signature_of[case.name], check, transform, witness=True)
                witnessed = ("vjp", "jit") if (check, transform) == ("jvp", "jit") else (check, transform)
                if error is not None and witnessed in evaluator_module.WITNESSES:
                    witnesses[(case.name, *witnessed)] = (error, [])
        return got, witnesses, any(h.get("type") == "done" for h, _ in frames)

    def _read_frames(self, frames, wire_error):
        """The eager checks' frames after the export phase, taken only in the order the harness sends
        them: a frame that is duplicated, out of order or not asked for can only have been written by the
        submission, which shares the harness's process, and makes the stream `tampered`."""
        expected = iter([(c.name, check, transform) for c in self.cases
                         for check, transform in self.problem.checks if transform == "eager"])
        got, tampered, done = {}, None, False
        for header, arrays in frames:
            kind = header.get("type")
            key = (header.get("case"), header.get("check"), header.get("transform"))
            if done:
                tampered = "data arrived after the run said it was done"
            elif kind == "check" and key == next(expected, None):
                got[key] = (header, arrays)
            elif kind == "check":
                tampered = (f"a second result for {'/'.join(key)}" if key in got
                            else f"a result for {'/'.join(key)} out of order or not asked for")
            elif kind == "done":
                done = True
            else:
                tampered = f"an unexpected {kind!r} message"
            if tampered:
                break
        if wire_error and not tampered:
            tampered = f"a malformed message ({wire_error})"
        return got, tampered, done and not tampered

    def _module_error(self, header, limit_verdict, limit_message):
        kind = header.get("kind") if header.get("kind") in ("syntax", "exception", "no_entry") else "exception"
        raw_type, raw_message = header.get("error_type", "Error"), header.get("message", "")
        error_type, message = self.said(_error_type(raw_type)), self.said(raw_message)
        self.base.module_error = {"kind": kind, "error_type": error_type, "message": message,
                                  "traceback": self.said(header.get("traceback", ""))}
        self.hint(hints.hint_for_error(raw_type, raw_message))
        if limit_verdict:
            return self._done(limit_verdict, limit_message)
        if kind in ("syntax", "no_entry"):
            return self._done(Verdict.COMPILATION_ERROR, f"{error_type}: {message}")
        verdict = Verdict.MEMORY_LIMIT_EXCEEDED if raw_type == "MemoryError" else Verdict.RUNTIME_ERROR
        return self._done(verdict, f"Your module raised {error_type} while loading: {message}")

    def _check(self, case, check, transform, got, witnesses, tampered, limit_verdict, done):
        key = (case.name, check, transform)
        trusted = transform != "eager"
        entry = CheckResult(case=case.name, sample=case.sample, check=check, transform=transform, trusted=trusted)
        if key not in got:
            if limit_verdict:
                verdict, message = limit_verdict, "not run: the run was stopped at a limit"
            elif tampered:
                verdict, message = Verdict.RUNTIME_ERROR, f"not run: the result channel was written by the submission ({tampered})"
            elif trusted and self.runs.evaluator is None:
                verdict = Verdict.RUNTIME_ERROR
                message = (f"not run: the process ended (exit status {self.run.exit_status}) before its "
                           "programs were exported")
            else:
                run = self.run if not trusted else self.runs.evaluator
                verdict = Verdict.RUNTIME_ERROR
                message = f"not run: the process ended (exit status {run.exit_status}) before this check"
            return dataclasses.replace(entry, status="not_run", verdict=verdict.value, message=message)
        header, arrays = got[key]
        if header.get("status") != "ok":
            return self._error(entry, case, header)
        mismatch, hint = self._mismatch(case, key, header, arrays)
        if mismatch is None:
            mismatch = self._witness_mismatch(case, key, arrays, witnesses)
            if isinstance(mismatch, dict):  # the witness could not be computed
                return self._error(entry, case, mismatch, because="not confirmed: ")
        if mismatch is None:
            return entry  # passed
        hint = hint or self.problem.wrong_answer_hints.get(check)
        self.hint(hint)
        result = dataclasses.replace(
            entry, status="wrong", verdict=Verdict.WRONG_ANSWER.value, hint=hint or None,
            message=self.said(mismatch) if self.shown(case) else "wrong result (details are hidden)")
        if self.shown(case):
            expected = self.expected[key]
            parts = [f"{_part(check, expected, i)}: " if len(expected) > 1 else "" for i in range(len(expected))]
            result.expected = [part + text for part, text in zip(parts, _show_arrays(expected))]
            result.got = [part + self.said(text) for part, text in zip(parts + [""] * len(arrays), _show_arrays(arrays))]
            # A Run's sandbox holds only the samples, so what it returns can carry nothing hidden. One plot
            # per case and check (its transforms show the same curves, or the page would say so in text).
            if self.plotted is not None and self.base.samples_only and (case.name, check) not in self.plotted:
                result.plot = _plot(case, check, expected, arrays, self.problem.tolerances_for(check), self.problem.entry)
                if result.plot:
                    self.plotted.add((case.name, check))
        return result

    def _error(self, entry, case, header, because=""):
        error_type, message = header.get("error_type", "Error"), header.get("message", "")
        # A tracer's object id differs from check to check and means nothing to a person: without it, the
        # same mistake reads the same everywhere (and is listed once).
        message = _OBJECT_ID.sub("", str(message))
        hint = hints.hint_for_error(error_type, message)
        self.hint(hint)
        memory = error_type == "MemoryError" or "RESOURCE_EXHAUSTED" in message
        verdict = Verdict.MEMORY_LIMIT_EXCEEDED if memory else Verdict.RUNTIME_ERROR
        if self.shown(case):
            shown = f"{because}{self.said(_error_type(error_type))}: {self.said(message)}"
        else:
            shown = f"{because}{_error_type(error_type, known_only=True)} (details are hidden)"
        return dataclasses.replace(
            entry, status="error", verdict=verdict.value, message=shown, hint=hint or None,
            traceback=self.said(header["traceback"]) if self.shown(case) and header.get("traceback") else None)

    def _witness_mismatch(self, case, key, arrays, witnesses):
        """None when the check's result agrees with what the anchor, jit(f), gives for it; else what
        differs, or (a dict) the witness's error. jvp is held against the anchor's VJP by the dot-product
        test <ct, J t> = <J^T ct, t>."""
        witness_key = (key[0], "vjp", "jit") if key[1:] == ("jvp", "jit") else key
        if witness_key[1:] not in evaluator_module.WITNESSES:
            return None
        if witness_key not in witnesses:
            return {"error_type": "RuntimeError", "message": "the evaluator ended before this check's witness"}
        header, witnessed = witnesses[witness_key]
        if header.get("status") != "ok":
            return header
        name = evaluator_module.WITNESSES[witness_key[1:]]
        if key[1:] == ("jvp", "jit"):
            if "jvp" in self.problem.checker_checks:
                return None  # the checker decides what a right tangent is
            return self._dot_product_test(case, arrays, witnessed, name)
        mismatch, _ = self._mismatch(case, key, header, witnessed, which="witness")
        if mismatch is None:
            return None
        return f"this result is right, but {name}, the same function, gives another: {mismatch}"

    def _dot_product_test(self, case, jvp, vjp, name):
        """<ct, jvp tangent> against <vjp(ct), tangents> for the case's cotangent and tangents."""
        expected = self.expected[(case.name, "jvp", "jit")]
        reference_vjp = self.expected[(case.name, "vjp", "jit")]
        exact = (np.dtype(a.dtype).kind not in "fc" and a.dtype.name != "bfloat16" for a in jvp)
        if len(jvp) % 2 or any(exact) or not all(np.isfinite(a.astype(np.float64)).all()
                                                  for a in expected + reference_vjp):
            return None  # non-finite or non-float derivatives: the elementwise comparison alone decides
        spec = case.to_json()
        host = inputs.build_args(spec)
        outputs = len(jvp) // 2
        primals, tangent_outs = jvp[:outputs], jvp[outputs:]
        purposes = ["cotangent"] if outputs == 1 else [f"cotangent{k}" for k in range(outputs)]
        cotangents = [inputs.random_like(spec, p, a.shape, a.dtype) for p, a in zip(purposes, primals)]
        diff = self.problem.entry.diff_argnums
        tangents = [leaf for i in diff for leaf in inputs.leaves(inputs.tangent_like(spec, i, host[i]))]
        if len(vjp) != len(tangents) or any(v.shape != t.shape for v, t in zip(vjp, tangents)):
            return f"{name} returns {len(vjp)} array(s) of other shapes than the tangents"
        as64 = lambda a: np.asarray(a, np.float64)  # noqa: E731
        forward = [as64(c) * as64(t) for c, t in zip(cotangents, tangent_outs)]
        backward = [as64(v) * as64(t) for v, t in zip(vjp, tangents)]
        left, right = sum(f.sum() for f in forward), sum(b.sum() for b in backward)
        coarsest = max(tangent_outs + list(vjp), key=lambda a: float(ml_dtypes.finfo(a.dtype).eps)).dtype
        tolerance = self.problem.tolerances_for("jvp").get(coarsest.name)
        rtol = max(tolerance.rtol if tolerance else 0.0, 8 * float(ml_dtypes.finfo(coarsest).eps))
        atol = tolerance.atol if tolerance else 0.0
        bound = (rtol * sum(np.abs(t).sum() for t in forward + backward)
                 + atol * sum(np.abs(as64(a)).sum() for a in cotangents + tangents))
        if abs(left - right) <= bound:
            return None
        return (f"this tangent is right on its own, but not the transpose of {name}, the same function's: "
                f"<cotangent, tangent> = {left:.7g}, <{name} of the cotangent, tangents> = {right:.7g}")

    def _mismatch(self, case, key, header, arrays, which="result"):
        """(None, None) when the arrays match; else (what differs, a hint more specific than the problem's).
        A check the package's checker decides is its answer, once structure and placement are right."""
        expected = self.expected[key]
        placement = header.get("placement") or []
        if expected.structure is not None and header.get("structure") != expected.structure:
            return f"the output is a {header.get('structure')}, expected a {expected.structure}", None
        if key[1] in self.problem.checker_checks:
            if any(where != self.platform for where in placement):
                return f"a value not on {self.platform}", hints.PLACEMENT_HINT
            passed, message = self.checked.get((key, which), (False, "the checker gave no answer"))
            return (None, None) if passed else (f"the problem's checker: {message}", None)
        if len(arrays) != len(expected) or len(placement) != len(arrays):
            return f"returned {len(arrays)} array(s), expected {len(expected)}", None
        for i, (where, want, have) in enumerate(zip(placement, expected, arrays)):
            label = f"{_part(key[1], expected, i)}: " if len(expected) > 1 else ""
            if where != self.platform:
                return f"{label}a {where} value, not a jax.Array on {self.platform}", hints.PLACEMENT_HINT
            mismatch = compare_array(want, have, self.problem.tolerances_for(key[1]))
            if mismatch:
                at = ""
                if mismatch.index is not None and have.shape == want.shape and have.size:
                    at = (f" — first at index {list(mismatch.index)}: expected "
                          f"{_scalar(want[mismatch.index])}, got {_scalar(have[mismatch.index])}")
                return f"{label}{mismatch.reason}{at}", None
        return None, None

    def _case_info(self, case):
        info = {"name": case.name, "sample": case.sample}
        if self.shown(case):
            info["description"] = case.description
            info["inputs"] = _show_arrays(inputs.build_args(case.to_json()))
        return info

    def _summary(self, verdict, checks, limit_message, tampered):
        failed = [c for c in checks if c.status != "passed"]
        if verdict is Verdict.ACCEPTED:
            return f"All {len(checks)} checks passed on {len(self.cases)} cases."
        first = failed[0] if failed else None
        where = f" First: case '{first.case}', {first.check} ({first.transform})." if first else ""
        lead = limit_message or (f"The result channel was written by the submission: {tampered}." if tampered else "")
        return f"{lead + ' ' if lead else ''}{len(failed)} of {len(checks)} checks failed.{where}"


class _Said:
    """The submission's own words as a report repeats them: each text capped at `cap` characters, and
    all of them together at `budget` (None: no budget); past it, WITHHELD."""

    def __init__(self, budget, cap):
        self.left, self.cap = budget, cap

    def __call__(self, text):
        text = str(text)
        if len(text) > self.cap:
            text = text[:self.cap] + " …"
        if self.left is None or not text:
            return text
        if self.left <= 0:
            return WITHHELD
        text = text if len(text) <= self.left else text[:self.left] + " …"
        self.left -= len(text)
        return text


def _error_type(name, known_only=False):
    """An exception's class name fit to show: a short dotted identifier, or (`known_only`) one of
    _KNOWN_ERRORS; anything else is "Exception"."""
    plain = isinstance(name, str) and len(name) <= 64 and all(part.isidentifier() for part in name.split("."))
    if not plain or (known_only and name not in _KNOWN_ERRORS):
        return "Exception"
    return name


def describe_samples(problem):
    """The sample cases as shown to a learner: name, description and formatted inputs."""
    return [{"name": c.name, "description": c.description, "inputs": _show_arrays(inputs.build_args(c.to_json()))}
            for c in problem.sample_cases]


def _scalar(value):
    value = np.asarray(value)
    if value.dtype.name == "bfloat16":
        value = value.astype(np.float32)
    return repr(value.item())


_OBJECT_ID = re.compile(r" with object id \d+")
PLOT_POINTS = 256  # at most, per plot: a Run's report stays small with a plot per failed case and check


def _plot(case, check, expected, arrays, tolerances, entry):
    """Expected against got of the first output leaf that differs in value, for the page to draw: over the
    values of the case's 1-D array argument of the same length (sorted), else over the flat index;
    `differs` marks the entries the comparison failed. None where shapes or dtypes differ, for values a
    real line cannot show (complex), or too big."""
    for i, (want, have) in enumerate(zip(expected, arrays)):
        mismatch = compare_array(want, have, tolerances)
        if mismatch is None:
            continue
        if (mismatch.mask is None or want.shape != have.shape or want.dtype != have.dtype
                or not 0 < want.size <= PLOT_POINTS or not _real(want.dtype)):
            return None
        wanted, got, differs = (np.asarray(a, np.float64).ravel() for a in (want, have, mismatch.mask))
        x_label, x = "index", np.arange(wanted.size, dtype=np.float64)
        for position, arg in enumerate(inputs.build_args(case.to_json())):
            if isinstance(arg, np.ndarray) and arg.ndim == 1 and arg.size == wanted.size and arg.dtype.kind in "fiuV":
                values = np.asarray(arg, np.float64)
                if np.isfinite(values).all():
                    x_label, x = entry.parameter_name(position), values
                    break
        order = np.argsort(x, kind="stable")
        finite = lambda a: [float(v) if np.isfinite(v) else None for v in a[order]]  # noqa: E731 (JSON has no NaN)
        return {"leaf": _part(check, expected, i) if len(expected) > 1 else "output", "x_label": x_label,
                "x": finite(x), "expected": finite(wanted), "got": finite(got), "differs": [bool(v) for v in differs[order]]}
    return None


def _real(dtype):
    """Whether a line can show these values: bool, integers, real floats and bfloat16 (kind 'V', as in
    compare.py); not complex."""
    return dtype.kind in "biuf" or dtype.name == "bfloat16"


def _part(check, leaves, i):
    """What the i-th leaf of a check's output is, for a person: a JVP's are its primal and its tangent
    out (and their paths within, for a pytree output); other outputs' are their paths."""
    path = leaves.paths[i] if i < len(leaves.paths) else f"[{i}]"
    if check == "jvp" and path[:3] in ("[0]", "[1]"):
        return ("primal out", "tangent out")[int(path[1])] + path[3:]
    return f"output{path}"


def _show_arrays(values):
    return [_show(value) for value in values]


def _show(value):
    """An array as text (capped), its dtype and shape; a pytree argument as its leaves by key."""
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
        return text if len(text) <= 4 * _SHOWN_CHARS else text[:4 * _SHOWN_CHARS] + " …"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_show(v) for v in value)
        text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
        return text if len(text) <= 4 * _SHOWN_CHARS else text[:4 * _SHOWN_CHARS] + " …"
    if not isinstance(value, np.ndarray):
        return repr(value)
    printable = value.astype(np.float32) if value.dtype.name == "bfloat16" else value
    text = np.array2string(printable, threshold=12, edgeitems=3, precision=6, separator=", ")
    text = text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + " …"
    return f"{text} ({value.dtype.name}, shape {list(value.shape)})"
