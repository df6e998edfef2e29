"""Problems of other shapes than clip's (issue 11): checks chosen per problem, integer inputs without
derivatives, custom_vjp without JVP, pytree outputs compared by structure first. The packages live in
tests/problems/, out of the published catalogue, and validate like it: every example gets its folder's
verdict."""

import json
import tomllib

import jsonschema
import numpy as np
import pytest

from grader import ProblemError, judge, load_problem, validate_problem
from grader.problem import problem_from_files, read_package
from grader.sandboxed import inputs
from tests.conftest import CLIP, ROOT
from tests.grader.conftest import ATTACK_LIMITS

PACKAGES = ROOT / "tests" / "problems"
MODEL_PACKAGES = sorted(p for p in PACKAGES.iterdir() if p.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize("package", MODEL_PACKAGES, ids=[p.name for p in MODEL_PACKAGES])
def test_every_example_gets_its_folder_verdict(package):
    problem = load_problem(package)
    results = validate_problem(problem, workers=2)
    failures = [f"{name}: expected {expected.value}, got {got.value} ({report['summary']})"
                for name, expected, got, report in results if expected is not got]
    assert not failures, "\n".join(failures)


def test_a_problem_checks_what_it_names_and_what_applies():
    vjp_problem = load_problem(PACKAGES / "clip-gradient-vjp")
    assert {c for c, _ in vjp_problem.checks} == {"value", "grad", "vjp", "vmap", "vmap_grad"}
    assert ("grad", "grad_of_jit") in vjp_problem.checks
    integers = load_problem(PACKAGES / "integer-cumsum")  # no [checks]: what applies without derivatives
    assert integers.checks == (("value", "eager"), ("value", "jit"), ("vmap", "eager"), ("vmap", "jit"))
    assert len(load_problem(CLIP).checks) == 13 and "checks" not in load_problem(CLIP).job([])


def test_a_dict_returned_for_a_tuple_is_wrong_with_both_structures(cache):
    problem = load_problem(PACKAGES / "mean-and-variance")
    source = (PACKAGES / "mean-and-variance" / "submissions" / "wrong_answer" / "a_dict.py").read_bytes()
    report = judge(problem, source, samples_only=True, cache=cache, limits=ATTACK_LIMITS)
    assert report["verdict"] == "WRONG_ANSWER"
    value = next(c for c in report["checks"] if (c["check"], c["transform"]) == ("value", "jit"))
    assert value["message"] == ("the output is a PyTreeDef({'mean': *, 'variance': *}), "
                                "expected a PyTreeDef((*, *))")
    assert value["trusted"]


def test_nondiff_argnums_holding_traced_bounds_fail_grad_of_jit(clip_problem, cache):
    # A user calling jax.grad(jax.jit(f)) gets UnexpectedTracerError; the judge reports the same.
    source = (PACKAGES / "nondiff_argnums_clip.py").read_bytes()
    report = judge(clip_problem, source, samples_only=True, cache=cache, limits=ATTACK_LIMITS)
    assert report["verdict"] == "RUNTIME_ERROR"
    grad_of_jit = [c for c in report["checks"] if c["transform"] == "grad_of_jit"]
    assert grad_of_jit and all(c["status"] == "error" and "UnexpectedTracerError" in c["message"]
                               for c in grad_of_jit)


def with_toml(package, edit):
    files = read_package(package)
    files["problem.toml"] = edit(files["problem.toml"].decode()).encode()
    return problem_from_files(files, package.name, origin=package.name)


@pytest.mark.parametrize("package, edit, message", [
    ("clip-gradient-vjp", lambda t: t.replace("[checks]\n", '[checks]\ngrads = ["jit"]\n'),
     "checks.grads: unknown check; did you mean 'grad'?"),
    ("clip-gradient-vjp", lambda t: t.replace('value = ["eager", "jit"]', 'value = ["grad_of_jit"]'),
     "checks.value: must be a non-empty list of 'eager', 'jit'"),
    ("integer-cumsum", lambda t: t + '\n[checks]\nvmap_grad = ["jit"]\n',
     "checks.vmap_grad: cannot apply: entry.diff_argnums is empty"),
    ("integer-cumsum", lambda t: t.replace("batch_argnums = [0]", "batch_argnums = []") + '\n[checks]\nvmap = ["eager"]\n',
     "checks.vmap: cannot apply: entry.batch_argnums is empty"),
    # An integer array has no tangent: refused here, not met as the reference's TypeError from jax.grad.
    ("integer-cumsum", lambda t: t.replace("diff_argnums = []", "diff_argnums = [0]"),
     "cases[0].args[0]: argument 0 is differentiated (entry.diff_argnums), so its arrays must be floating or "
     "complex, not int32: an integer or boolean array has no tangent"),
    ("mlp-loss", lambda t: t.replace('b1 = { shape = [8], dtype = "float32" }', 'b1 = { shape = [8], dtype = "bool" }'),
     "cases[0].args[0]['b1']: argument 0 is differentiated (entry.diff_argnums), so its arrays must be floating "
     "or complex, not bool: an integer or boolean array has no tangent"),
])
def test_a_check_that_cannot_apply_is_refused_when_the_package_loads(package, edit, message):
    with pytest.raises(ProblemError) as raised:
        with_toml(PACKAGES / package, edit)
    assert str(raised.value) == f"{package}/problem.toml: {message}"


EVERY_PACKAGE = sorted(p for p in (ROOT / "problems").iterdir() if p.is_dir()) + MODEL_PACKAGES


@pytest.mark.parametrize("package", EVERY_PACKAGE, ids=[p.name for p in EVERY_PACKAGE])
def test_every_problem_toml_follows_the_documented_schema(package):
    schema = json.loads((ROOT / "docs" / "problem.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(tomllib.loads((package / "problem.toml").read_text()), schema)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("[limits]", "[tolerances.float32]\nrtol = 1e-3\n\n[limits]"),
     "tolerances: unknown key; did you mean 'tolerance'?"),
    (lambda t: t.replace("diff_argnums", "diff_args"), "entry.diff_args: unknown key; did you mean 'diff_argnums'?"),
    (lambda t: t.replace('name = "worked-example"', 'name = "worked-example"\nsampel = true'),
     "cases[0].sampel: unknown key; did you mean 'sample'?"),
    (lambda t: t.replace('dtype = "float32" }]', 'dtype = "float32", sacle = 2.0 }]', 1),
     "unknown key; did you mean 'scale'?"),
])
def test_unknown_keys_are_refused_with_the_closest_known_one(edit, message):
    schema = json.loads((ROOT / "docs" / "problem.schema.json").read_text())
    with pytest.raises(ProblemError) as raised:
        with_toml(PACKAGES / "clip-gradient-vjp", edit)
    assert message in str(raised.value)
    edited = edit((PACKAGES / "clip-gradient-vjp" / "problem.toml").read_text())
    with pytest.raises(jsonschema.ValidationError):  # the schema says the same
        jsonschema.validate(tomllib.loads(edited), schema)


def test_a_check_may_have_its_own_tolerance():
    problem = with_toml(PACKAGES / "mean-and-variance", lambda t: t.replace(
        "[[cases]]", '[tolerance.grad.float32]\nrtol = 1e-3\natol = 1e-4\nmode = "norm"\n\n[[cases]]', 1))
    grad, value = problem.tolerances_for("grad")["float32"], problem.tolerances_for("value")["float32"]
    assert (grad.rtol, grad.atol, grad.mode) == (1e-3, 1e-4, "norm")
    assert (value.rtol, value.atol, value.mode) == (1e-5, 1e-6, "elementwise")
    assert problem.tolerances_for("grad")["bfloat16"] == problem.tolerances["bfloat16"]
    with pytest.raises(ProblemError, match="tolerance.grad.float32.mode: must be 'elementwise' or 'norm'"):
        with_toml(PACKAGES / "mean-and-variance", lambda t: t.replace(
            "[[cases]]", '[tolerance.grad.float32]\nmode = "relative"\n\n[[cases]]', 1))
    with pytest.raises(ProblemError, match="tolerance.gradd: neither a dtype nor a check; did you mean 'grad'"):
        with_toml(PACKAGES / "mean-and-variance", lambda t: t.replace(
            "[[cases]]", '[tolerance.gradd.float32]\nrtol = 1.0\n\n[[cases]]', 1))


def test_a_signature_holds_static_values_but_no_key_seed_or_array_value():
    dropout = load_problem(PACKAGES / "dropout-key")
    signature = inputs.signature(dropout.cases[1].to_json())
    assert signature == [{"key": "threefry2x32"}, {"shape": [100], "dtype": "float32"}, {"scalar": "float"}]
    normalize = load_problem(PACKAGES / "normalize-static-axis")
    assert inputs.signature(normalize.cases[1].to_json())[1] == {"static": 0}
    assert normalize.job(normalize.cases[:1])["cases"][0]["args"][1] == {"static": 1}


def test_static_arguments_are_refused_where_they_cannot_be():
    with pytest.raises(ProblemError, match="argument 0 is static, so it can be neither differentiated nor batched"):
        with_toml(PACKAGES / "normalize-static-axis", lambda t: t.replace("static_argnums = [1]", "static_argnums = [0]"))
    with pytest.raises(ProblemError, match=r"cases\[0\].args\[1\]: a static argument is a number"):
        with_toml(PACKAGES / "normalize-static-axis", lambda t: t.replace(
            'args = [{ shape = [4, 3], dtype = "float32" }, 1]', 'args = [{ shape = [4, 3], dtype = "float32" }, { shape = [1], dtype = "int32" }]', 1))


def test_generated_values_follow_their_distribution():
    def built(spec):
        return inputs.build_args({"seed": 3, "args": [spec]})[0]
    uniform = built({"shape": [1000], "dtype": "float32", "dist": "uniform", "low": -2.0, "high": 3.0})
    assert uniform.min() >= -2.0 and uniform.max() < 3.0 and uniform.std() > 1.0
    integers = built({"shape": [1000], "dtype": "int32", "dist": "integers", "low": -5, "high": 5})
    assert set(np.unique(integers)) == set(range(-5, 5))
    choice = built({"shape": [100], "dtype": "float32", "dist": "choice", "choices": [0.5, 2.0], "specials": [7.0]})
    assert choice[0] == 7.0 and set(np.unique(choice[1:])) == {0.5, 2.0}
    with pytest.raises(ProblemError, match="low must be below high"):
        with_toml(PACKAGES / "integer-cumsum", lambda t: t.replace("low = -50, high = 50", "low = 50, high = -50"))
    # A 0-d leaf is an array, as a jnp scalar parameter is (scaled, it once became a NumPy scalar, which the
    # harness left on the host), and takes its special value.
    for spec in ({"shape": [], "dtype": "float32", "scale": 0.5}, {"shape": [], "dtype": "bfloat16", "specials": [float("nan")]}):
        scalar = built(spec)
        assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar.dtype.name == spec["dtype"]
    assert np.isnan(built({"shape": [], "dtype": "float32", "specials": [float("nan")]}))


def test_implementation_rules_fail_a_verdict_with_each_rule_listed(cache):
    problem = load_problem(PACKAGES / "integer-cumsum")
    loop = (PACKAGES / "integer-cumsum" / "submissions" / "wrong_answer" / "python_loop.py").read_bytes()
    report = judge(problem, loop, cache=cache, limits=ATTACK_LIMITS)
    assert report["verdict"] == "WRONG_ANSWER" and all(c["status"] == "passed" for c in report["checks"])
    rules = {r["rule"]: r["status"] for r in report["rules"]}
    assert rules == {"must contain scan": "failed", "must not contain cumsum": "passed",
                     "at most 40 equations": "failed"}
    assert report["summary"].startswith("Rule not met: must contain scan (the jaxpr has no scan).")


def test_groups_score_what_passed_beside_the_verdict(cache):
    problem = load_problem(PACKAGES / "mean-and-variance")
    raw = (PACKAGES / "mean-and-variance" / "submissions" / "wrong_answer" / "raw_moments.py").read_bytes()
    report = judge(problem, raw, cache=cache, limits=ATTACK_LIMITS)
    assert report["verdict"] == "WRONG_ANSWER"
    assert report["score"] == {"points": 40, "max_points": 100, "groups": [
        {"name": "samples", "points": 0, "max_points": 0},
        {"name": "far-from-zero", "points": 0, "max_points": 60},
        {"name": "random", "points": 40, "max_points": 40}]}
    run = judge(problem, raw, cache=cache, limits=ATTACK_LIMITS, samples_only=True)
    assert run["score"]["max_points"] == 0 and [g["name"] for g in run["score"]["groups"]] == ["samples"]
    whole = judge(load_problem(PACKAGES / "integer-cumsum"), b"def cumsum_scan(x):\n    return x\n", cache=cache,
                  limits=ATTACK_LIMITS)
    assert whole["score"] == {"points": 0, "max_points": 100, "groups": [{"name": "all", "points": 0, "max_points": 100}]}


@pytest.mark.parametrize("groups, message", [
    ('[[groups]]\nname = "a"\npoints = 10\ncases = ["worked-example"]\n', "groups: every case must be in a group; not: far-from-zero, random-256"),
    ('[[groups]]\nname = "a"\npoints = 10\ncases = ["worked-exampel", "far-from-zero", "random-256"]\n',
     "groups[0].cases: no case 'worked-exampel'; did you mean 'worked-example'?"),
    ('[[groups]]\nname = "a"\npoints = -1\ncases = ["worked-example", "far-from-zero", "random-256"]\n',
     "groups[0].points: must be an integer from 0 to 1000000"),
])
def test_groups_are_checked_when_the_package_loads(groups, message):
    def edit(text):
        return text[:text.index("# Subtasks")] + groups
    with pytest.raises(ProblemError) as raised:
        with_toml(PACKAGES / "mean-and-variance", edit)
    assert str(raised.value).endswith(message)


def test_validate_stops_once_at_a_reference_that_fails_its_own_checks(cache):
    # JAX cannot apply forward mode to a custom_vjp function: asking for jvp breaks the reference itself.
    problem = with_toml(PACKAGES / "clip-gradient-vjp", lambda t: t.replace("[checks]\n", '[checks]\njvp = ["jit"]\n'))
    results = validate_problem(problem, cache=cache, limits=ATTACK_LIMITS)
    assert [(name, got.value) for name, _, got, _ in results] == [("reference.py", "INTERNAL_ERROR")]
    assert "reference.py fails to export jvp/jit: TypeError: can't apply forward-mode autodiff (jvp) to a " \
           "custom_vjp function" in results[0][3]["summary"]


def test_an_author_can_see_hidden_cases_in_full(cache):
    problem = load_problem(PACKAGES / "mean-and-variance")
    raw = (PACKAGES / "mean-and-variance" / "submissions" / "wrong_answer" / "raw_moments.py").read_bytes()
    for show_hidden in (False, True):
        report = judge(problem, raw, cache=cache, limits=ATTACK_LIMITS, show_hidden=show_hidden)
        hidden = next(c for c in report["checks"] if c["case"] == "far-from-zero" and c["status"] == "wrong")
        info = next(c for c in report["cases"] if c["name"] == "far-from-zero")
        if show_hidden:
            assert hidden["message"].startswith("output[1]: values differ") and len(hidden["expected"]) == 2
            assert "1000.125" in info["inputs"][0]
        else:
            assert hidden["message"] == "wrong result (details are hidden)" and "expected" not in hidden
            assert "inputs" not in info


def test_a_checker_decides_answers_that_are_not_unique(cache):
    package = PACKAGES / "top-eigenvector"
    negated = (package / "submissions" / "accepted" / "negated.py").read_bytes()
    checked = judge(load_problem(package), negated, cache=cache, limits=ATTACK_LIMITS)
    assert checked["verdict"] == "ACCEPTED", checked["summary"]
    # Without its checker the package compares values, and the other sign is wrong.
    files = read_package(package)
    del files["checker.py"]
    toml = files["problem.toml"].decode()
    files["problem.toml"] = toml.replace('[checker]\nchecks = ["value", "vmap"]\n', "").encode()
    plain = problem_from_files(files, package.name, origin=package.name)
    assert judge(plain, negated, cache=cache, limits=ATTACK_LIMITS)["verdict"] == "WRONG_ANSWER"
    smallest = (package / "submissions" / "wrong_answer" / "smallest.py").read_bytes()
    report = judge(load_problem(package), smallest, cache=cache, limits=ATTACK_LIMITS, samples_only=True)
    value = next(c for c in report["checks"] if (c["check"], c["transform"]) == ("value", "jit"))
    assert value["message"].startswith("the problem's checker: not the top eigenvector, up to sign")


def test_a_checker_that_fails_is_the_judges_fault(cache):
    files = read_package(PACKAGES / "top-eigenvector")
    files["checker.py"] = b"def check(expected, got, check, transform):\n    raise ValueError('a bug in the checker')\n"
    problem = problem_from_files(files, "top-eigenvector", origin="top-eigenvector")
    report = judge(problem, problem.reference, cache=cache, limits=ATTACK_LIMITS, samples_only=True)
    assert report["verdict"] == "INTERNAL_ERROR"
    assert "the problem's checker failed: ValueError: a bug in the checker" in report["summary"]


PYTREE_AXES = ("batch_argnums = [1]\nbatch_axes = [1]",
               "batch_argnums = [0, 1]\nbatch_axes = [{ dict = { w1 = false, b1 = 0, w2 = false } }, 1]")


def test_a_pytree_of_batch_axes_maps_some_leaves_and_passes_the_others_whole(cache):
    # vmap(mlp_loss, in_axes=({'w1': None, 'b1': 0, 'w2': None}, 1), out_axes=-1): a bias per row.
    problem = with_toml(PACKAGES / "mlp-loss", lambda t: t.replace(*PYTREE_AXES))
    params = {"w1": np.ones((4, 8), np.float32), "b1": np.arange(8, dtype=np.float32), "w2": np.ones((8, 1), np.float32)}
    axes = inputs.axes_of(problem.job(problem.cases)["batch_axes"][0])
    assert axes == {"b1": 0, "w1": None, "w2": None}
    batched = inputs.batch_like(params, axes)
    assert batched["w1"] is params["w1"] and batched["w2"] is params["w2"] and batched["b1"].shape == (3, 8)
    assert np.array_equal(batched["b1"][1], params["b1"][::-1] * -0.75)  # row 1: reversed, times -0.75
    report = judge(problem, problem.reference, cache=cache, limits=ATTACK_LIMITS, samples_only=True)
    assert report["verdict"] == "ACCEPTED", report["summary"]  # vmap agrees with jit(f) row by row
    assert {c["check"] for c in report["checks"]} >= {"vmap", "vmap_grad"}
    relu = (PACKAGES / "mlp-loss" / "submissions" / "wrong_answer" / "relu.py").read_bytes()
    assert judge(problem, relu, cache=cache, limits=ATTACK_LIMITS, samples_only=True)["verdict"] == "WRONG_ANSWER"


@pytest.mark.parametrize("axes, message", [
    ("[{ dict = { w1 = false, b1 = 0 } }, 1]", "the axes' keys differ from the argument's"),
    ("[{ tuple = [0, 0, 0] }, 1]", "the axes are a tuple where the argument is not"),
    ("[{ dict = { w1 = false, b1 = 2, w2 = false } }, 1]", "batch axis 2 is out of range for ['b1'] a 1-d array"),
    ("[false, false]", "no leaf is mapped"),
    ("[{ dict = { w1 = false, b1 = 0, w2 = \"none\" } }, 1]", "a batch axis is an integer, false (not mapped)"),
])
def test_batch_axes_that_do_not_fit_the_argument_are_refused(axes, message):
    with pytest.raises(ProblemError) as raised:
        with_toml(PACKAGES / "mlp-loss", lambda t: t.replace(PYTREE_AXES[0], f"batch_argnums = [0, 1]\nbatch_axes = {axes}"))
    assert message in str(raised.value)


def test_vmap_takes_the_batch_axis_and_out_axes_the_problem_names(cache):
    problem = load_problem(PACKAGES / "mlp-loss")
    assert problem.job(problem.cases)["batch_axes"] == [1] and problem.job(problem.cases)["out_axes"] == -1
    relu = (PACKAGES / "mlp-loss" / "submissions" / "wrong_answer" / "relu.py").read_bytes()
    report = judge(problem, relu, cache=cache, limits=ATTACK_LIMITS, samples_only=True)
    vmap_grad = next(c for c in report["checks"] if (c["check"], c["transform"]) == ("vmap_grad", "jit"))
    # {'b1': (8,), 'w1': (4, 8), 'w2': (8, 1)}, each with the batch of 3 last
    assert [text.rsplit("shape ", 1)[1] for text in vmap_grad["expected"]] == ["[8, 3])", "[4, 8, 3])", "[8, 1, 3])"]
