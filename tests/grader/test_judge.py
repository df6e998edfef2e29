"""Judging the clip-passthrough package end to end, through the real sandbox."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import MAX_SOURCE_BYTES, ExpectedCache, Verdict, judge, load_problem
from grader.judge import run_sandboxes
from grader.__main__ import main as grader_main
from grader.sandboxed import wire
from tests.conftest import CLIP
from tests.grader.conftest import ATTACK_LIMITS

SUBMISSIONS = CLIP / "submissions"
REFERENCE = (CLIP / "reference.py").read_text()


def test_accepted_full_report(clip_problem, cache):
    report = judge(clip_problem, clip_problem.reference, cache=cache)
    assert report["verdict"] == "ACCEPTED"
    assert report["device"] == {"requested": "cpu", "platform": "cpu", "kind": "cpu"}
    assert report["jax_version"]
    assert {"wall_s", "cpu_s", "judge_s"} <= set(report["timings"])
    checks = report["checks"]
    assert len(checks) == 13 * len(clip_problem.cases)
    assert {c["transform"] for c in checks} == {"eager", "jit", "grad_of_jit"}
    assert {c["check"] for c in checks} == {"value", "grad", "vjp", "jvp", "vmap", "vmap_grad"}
    assert all(c["status"] == "passed" for c in checks)
    # Output of a run over hidden cases is counted, never shown.
    assert report["output"] == {"bytes": 0, "shown": False}


def test_plain_clip_is_wrong_on_gradients_with_sample_feedback(judge_samples):
    report, _ = judge_samples((SUBMISSIONS / "wrong_answer" / "plain_clip.py").read_bytes())
    assert report["verdict"] == "WRONG_ANSWER"
    failed = {(c["check"], c["transform"]) for c in report["checks"] if c["status"] == "wrong"}
    assert ("grad", "eager") in failed and ("grad", "jit") in failed and ("vjp", "jit") in failed
    assert not any(c["check"] == "value" for c in report["checks"] if c["status"] == "wrong")
    grad = next(c for c in report["checks"] if (c["case"], c["check"], c["transform"]) ==
                ("worked-example", "grad", "eager"))
    assert grad["expected"] == ["[1., 1., 1., 1., 1., 1., 1., 1.] (float32, shape [8])"]
    assert grad["got"][0].startswith("[0. , 0. , 0.5, 1. , 1. , 1. , 0.5, 0. ]")
    assert any("straight-through" in h for h in report["hints"])
    worked = report["cases"][0]
    assert worked["name"] == "worked-example" and worked["inputs"][1:] == ["-1.0", "1.0"]


def test_hidden_cases_show_only_case_and_check(clip_problem, cache):
    source = (SUBMISSIONS / "wrong_answer" / "stop_gradient.py").read_bytes()
    report = judge(clip_problem, source, cache=cache)
    assert report["verdict"] == "WRONG_ANSWER"
    hidden = [c for c in report["checks"] if not c["sample"] and c["status"] != "passed"]
    assert {c["case"] for c in hidden} >= {"nan-and-infinities", "huge-magnitudes"}
    for check in hidden:
        assert "expected" not in check and "got" not in check
        assert check["message"] == "wrong result (details are hidden)"
    hidden_names = {c.name for c in clip_problem.cases if not c.sample}
    assert all("inputs" not in case for case in report["cases"] if case["name"] in hidden_names)


def test_runtime_error_hint_for_custom_vjp(judge_samples):
    report, _ = judge_samples((SUBMISSIONS / "runtime_error" / "custom_vjp.py").read_bytes())
    assert report["verdict"] == "RUNTIME_ERROR"
    assert {c["check"] for c in report["checks"] if c["status"] == "error"} == {"jvp"}
    assert any("custom_jvp" in hint for hint in report["hints"])


def test_a_tangent_of_the_wrong_dtype_fails_a_sample_with_a_dtype_hint(judge_samples):
    report, _ = judge_samples((SUBMISSIONS / "runtime_error" / "tangent_cast_to_float32.py").read_bytes())
    assert report["verdict"] == "RUNTIME_ERROR"
    failed = {c["case"] for c in report["checks"] if c["status"] != "passed"}
    assert failed == {"bfloat16-small"}  # the float32 samples pass; the bfloat16 one, in a Run, does not
    # Its values are right, and are confirmed: jit(f) is exported without the VJP the rule breaks.
    values = {(c["check"], c["transform"]): c["status"] for c in report["checks"]
              if c["case"] == "bfloat16-small" and c["check"] in ("value", "vmap")}
    assert set(values.values()) == {"passed"}, values
    assert any("bfloat16 primal takes a bfloat16 tangent" in hint for hint in report["hints"])


def test_a_jvp_says_which_array_is_the_primal_and_which_the_tangent(judge_samples):
    report, _ = judge_samples((SUBMISSIONS / "wrong_answer" / "plain_clip.py").read_bytes())
    jvp = next(c for c in report["checks"] if c["check"] == "jvp" and c["status"] == "wrong")
    assert jvp["message"].startswith("tangent out: values differ")
    assert [t.split(":")[0] for t in jvp["expected"]] == [t.split(":")[0] for t in jvp["got"]] == ["primal out", "tangent out"]


@pytest.mark.parametrize("dtype, plotted", [("float32", True), ("bfloat16", True), ("int32", True),
                                             ("complex64", False)])
def test_a_plot_is_drawn_only_of_values_a_real_line_can_show(clip_problem, dtype, plotted):
    # A complex output as a real line would drop its imaginary part: no plot rather than a wrong one.
    from grader.judge import Leaves, _plot
    from grader.sandboxed.wire import _bfloat16

    numpy_dtype = _bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    want = np.array([1, 2, 3, 4], numpy_dtype)
    have = np.array([1, 2, 3, 5], numpy_dtype)
    if dtype == "complex64":
        want, have = want * 1j, have * 1j
    case = clip_problem.sample_cases[0]
    plot = _plot(case, "value", Leaves([want], {}), [have], clip_problem.tolerances_for("value"), clip_problem.entry)
    assert (plot is not None) is plotted
    if plotted:
        assert plot["got"] == [1.0, 2.0, 3.0, 5.0] and plot["differs"] == [False, False, False, True]


def test_a_run_plots_expected_against_got_of_each_failed_sample_check(judge_samples):
    run, _ = judge_samples((SUBMISSIONS / "wrong_answer" / "plain_clip.py").read_bytes())
    plots = {(c["case"], c["check"], c["transform"]): c["plot"] for c in run["checks"] if "plot" in c}
    # Plain jnp.clip's gradient over the worked example's x, sorted: 0 outside [-1, 1], 0.5 on the bounds.
    assert plots[("worked-example", "grad", "eager")] == {
        "leaf": "output", "x_label": "x", "x": [-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0],
        "expected": [1.0] * 8, "got": [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0],
        "differs": [True, True, True, False, False, False, True, True]}
    assert plots[("worked-example", "jvp", "eager")]["leaf"] == "tangent out"
    # One per case and check, and none of a check that passed (the values are right).
    assert len(plots) == len({(case, check) for case, check, _ in plots})
    assert not [key for key in plots if key[1] == "value"]
    submit, _ = judge_samples((SUBMISSIONS / "wrong_answer" / "plain_clip.py").read_bytes(), samples_only=False)
    assert not [c for c in submit["checks"] if "plot" in c]  # that sandbox held the hidden cases too


def test_float32_products_are_judged_in_full_float32_on_any_device(judge_samples):
    # GPUs default to TF32 for float32 matmuls; the sandbox asks for full precision, so that tolerances
    # measured on a CPU hold on a GPU. Right only where the setting holds, under jit and eagerly.
    probe = REFERENCE.replace("    return jnp.clip(x, lo, hi)",
                              "    assert jax.config.jax_default_matmul_precision == 'highest'\n"
                              "    return jnp.clip(x, lo, hi)")
    assert probe != REFERENCE
    report, _ = judge_samples(probe.encode())
    assert report["verdict"] == "ACCEPTED", report["summary"]


def test_the_same_mistake_reads_the_same_in_every_check(judge_samples):
    # A Python `if` on x's values fails vmap on every sample; JAX names each tracer by its object id.
    source = REFERENCE.replace("    return jnp.clip(x, lo, hi)", "    if x.sum() > 1e9:\n        return x\n    return jnp.clip(x, lo, hi)")
    report, _ = judge_samples(source.encode())
    messages = {c["message"] for c in report["checks"] if c["check"].startswith("vmap") and c["transform"] == "eager"}
    assert len(messages) == 1 and "BatchTracer" in next(iter(messages)) and "object id" not in next(iter(messages))


def test_tracer_error_names_the_submission_line_and_never_the_harness(judge_samples):
    report, _ = judge_samples((SUBMISSIONS / "runtime_error" / "python_if_on_bound.py").read_bytes())
    assert report["verdict"] == "RUNTIME_ERROR"
    errors = [c for c in report["checks"] if c["status"] == "error"]
    # Only the jit transforms: eagerly the bounds are concrete, for the VJP's cotangent too (it is shaped
    # like an eager call's output, as a user's jax.vjp makes it, not traced abstractly).
    assert errors and all(c["transform"] != "eager" for c in errors)
    assert "submission.py" in errors[0]["traceback"]
    text = json.dumps(report)
    assert "harness" not in text and "/judge/" not in text
    assert any("Python `if`" in hint for hint in report["hints"])


@pytest.mark.parametrize("source, message", [
    (b"\xff\xfe def clip_passthrough(x, lo, hi): return x", "not valid UTF-8"),
    (b"x = 1\0\n", "NUL byte"),
    (b"#" * (MAX_SOURCE_BYTES + 1), "limit is 65536"),
])
def test_bad_source_is_a_compilation_error_without_running(judge_samples, source, message):
    report, _ = judge_samples(source)
    assert report["verdict"] == "COMPILATION_ERROR"
    assert message in report["summary"]
    assert report["checks"] == []


def test_broken_reference_is_an_internal_error(tmp_path):
    package = tmp_path / "clip-passthrough"
    shutil.copytree(CLIP, package)
    (package / "reference.py").write_text("def clip_passthrough(x, lo, hi):\n    return x * 2\n")
    broken = load_problem(package)
    (package / "reference.py").write_text("import jax\nraise RuntimeError('author bug')\n")
    crashing = load_problem(package)
    cache = ExpectedCache(tmp_path / "cache")
    # A reference that runs but is wrong is the author's business (validate catches it): it defines
    # the expected values. One that fails is a judge fault, never the submitter's.
    assert judge(broken, broken.reference, samples_only=True, cache=cache)["verdict"] == "ACCEPTED"
    report = judge(crashing, b"def clip_passthrough(x, lo, hi):\n    return x\n", samples_only=True,
                   cache=cache)
    assert report["verdict"] == "INTERNAL_ERROR"
    assert "author bug" in report["summary"] and "not your code" in report["summary"]
    assert not list((tmp_path / "cache").glob("*.stream"))[1:]  # the failed reference is not cached


def test_cli_grade_json(capsys):
    code = grader_main(["grade", str(CLIP), str(SUBMISSIONS / "compilation_error" / "syntax_error.py"),
                        "--json", "--samples"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["verdict"] == "COMPILATION_ERROR"
    assert report["module_error"]["message"] == "line 4: expected ':'"


def test_cli_refuses_a_missing_package(capsys, tmp_path):
    assert grader_main(["grade", str(tmp_path), str(tmp_path / "x.py")]) == 2
    assert "no problem.toml" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_validate_reports_every_example(capsys):
    # The command line over a small package (tests/test_catalogue.py validates every package, clip's
    # too), four examples at once on this machine's cores: verdicts must not depend on it.
    package = CLIP.parent / "sign-straight-through"
    assert grader_main(["validate", str(package), "--jobs", "4"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert f"{len(load_problem(package).examples) + 1}/{len(load_problem(package).examples) + 1}" in out
    assert grader_main(["validate", str(package), "--jobs", "0"]) == 2


class _Replay:
    """Stands where a pool stands and hands the judge streams the two sandboxes could have written: the
    property below is about what the judge makes of them, whoever wrote them."""

    def __init__(self, runs):
        self.base, self.streams = runs, {}

    def take(self, role, *, limits, device):
        return _ReplayedSandbox(getattr(self.base, role), self.streams[role])


class _ReplayedSandbox:
    def __init__(self, run, stream):
        self.run_, self.stream = run, stream

    def run(self, stdin_bytes, limits=None, on_result=None, hold_stdin=False):
        if on_result is not None:
            for start in range(0, len(self.stream), 97):
                on_result(self.stream[start:start + 97])
        return dataclasses.replace(self.run_, result_stream=self.stream)

    def discard(self):
        pass


@pytest.fixture(scope="module")
def reference_stream(clip_problem, judge_samples):
    runs = run_sandboxes(clip_problem, clip_problem.sample_cases, clip_problem.reference, limits=ATTACK_LIMITS,
                         device="cpu")
    streams = {}
    for role in ("harness", "evaluator"):
        frames, error = wire.decode(getattr(runs, role).result_stream)
        assert error is None and frames[-1][0]["type"] == "done"
        streams[role] = frames
    return runs, streams


@st.composite
def mutated_streams(draw, frames):
    """The reference's frames, shuffled, dropped, duplicated, forged or cut, as bytes."""
    encoded = [wire.encode(header, arrays) for header, arrays in frames]
    forged = draw(st.lists(st.dictionaries(
        st.sampled_from(wire.TEXT_FIELDS + ("placement", "extra")),
        st.none() | st.integers() | st.text(max_size=12) | st.sampled_from(
            ["check", "done", "module_error", "ok", "error", "worked-example", "value", "eager", "grad_of_jit"])
        | st.lists(st.text(max_size=5), max_size=3), max_size=8), max_size=3))
    pieces = encoded[:1] + draw(st.permutations(encoded[1:]))
    pieces = pieces[:draw(st.integers(1, len(pieces)))] + [wire.encode(h) for h in forged]
    pieces += draw(st.lists(st.sampled_from(encoded), max_size=3))
    data = bytearray(b"".join(pieces))
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[:draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), samples_only=st.booleans())
def test_the_judge_reports_on_any_stream(clip_problem, cache, reference_stream, data, samples_only):
    runs, frames = reference_stream
    replay = _Replay(runs)
    mutated = data.draw(st.sampled_from(["harness", "evaluator"]))
    for role in ("harness", "evaluator"):
        replay.streams[role] = (data.draw(st.binary(max_size=512) | mutated_streams(frames[role])) if role == mutated
                                else getattr(runs, role).result_stream)
    report = judge(clip_problem, clip_problem.reference, cache=cache, pool=replay, samples_only=samples_only)
    assert report["verdict"] in {v.value for v in Verdict}
    assert isinstance(report["summary"], str)
    json.dumps(report)



def test_each_check_is_reported_live_as_the_report_then_says(clip_problem, cache):
    plain = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_bytes()
    seen = []
    report = judge(clip_problem, plain, cache=cache, limits=ATTACK_LIMITS, on_check=seen.append)
    final = {(c["case"], c["check"], c["transform"]): (c["status"], c["verdict"], c["trusted"]) for c in report["checks"]}
    live = {(c["case"], c["check"], c["transform"]): (c["status"], c["verdict"], c["trusted"]) for c in seen}
    assert len(seen) == len(live) == len(final) == 13 * len(clip_problem.cases) and live == final
    assert all(set(c) == {"case", "sample", "check", "transform", "status", "verdict", "trusted"} for c in seen)
    assert {c["status"] for c in seen} == {"passed", "wrong"}
