import shutil

import pytest

from grader import ProblemError, Verdict, load_problem, problem_from_files, read_package
from tests.conftest import CLIP


def test_clip_passthrough_package_loads(clip_problem):
    p = clip_problem
    assert p.slug == "clip-passthrough" and p.entry.name == "clip_passthrough"
    assert p.entry.diff_argnums == (0,)
    assert [c.name for c in p.sample_cases][0] == "worked-example"
    assert len(p.hints) >= 3
    assert len(p.examples) >= 15
    verdicts = {e.expected for e in p.examples}
    assert {Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.RUNTIME_ERROR, Verdict.COMPILATION_ERROR,
            Verdict.TIME_LIMIT_EXCEEDED, Verdict.MEMORY_LIMIT_EXCEEDED} <= verdicts


def test_hidden_cases_cover_the_edge_cases(clip_problem):
    dtypes = {a["dtype"] for c in clip_problem.cases for a in c.args if isinstance(a, dict)}
    assert {"float32", "bfloat16"} <= dtypes
    sizes = [a.get("shape", [len(a.get("values", []))]) for c in clip_problem.cases for a in c.args
             if isinstance(a, dict)]
    assert [0] in sizes and any(s[0] >= 2 ** 17 for s in sizes)
    assert any(c.args[1] == c.args[2] for c in clip_problem.cases)


@pytest.fixture
def package(tmp_path):
    """A copy of clip-passthrough to break."""
    target = tmp_path / "clip-passthrough"
    shutil.copytree(CLIP, target)
    return target


def _edit(package, old, new):
    toml = package / "problem.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("old, new, message", [
    ('dtype = "bfloat16"', 'dtype = "float33"', "cases[2].args[0].dtype: unknown dtype 'float33'"),
    ('name = "random-float32"', 'name = "worked-example"', "duplicate case name 'worked-example'"),
    ("wall_time_s = 20", "wall_clock = 20", "limits.wall_clock: unknown limit"),
    ("wall_time_s = 20", "wall_time_s = -1", "limits.wall_time_s: must be a positive number"),
    ('difficulty = "easy"', 'difficulty = "trivial"', "difficulty: must be one of easy, medium, hard"),
    ('name = "clip_passthrough"', 'name = "clip-passthrough"', "entry.name: 'clip-passthrough' is not"),
    ("sample = true", "sample = false", None),
    ("slug = ", "slug = 'x' #", "differs from the folder name"),
    ("args = [{ values", "args = [1.0, { values", "argument 0 is differentiated or batched"),
])
def test_malformed_package_is_refused_with_a_precise_message(package, old, new, message):
    _edit(package, old, new)
    if message is None:  # one sample case left: still valid
        load_problem(package)
        return
    with pytest.raises(ProblemError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_problem(package)


def test_no_sample_case_is_refused(package):
    text = (package / "problem.toml").read_text().replace("sample = true", "sample = false")
    (package / "problem.toml").write_text(text)
    with pytest.raises(ProblemError, match="at least one case must have sample = true"):
        load_problem(package)


def test_invalid_toml_names_the_file(package):
    (package / "problem.toml").write_text("slug = \n")
    with pytest.raises(ProblemError, match="problem.toml"):
        load_problem(package)


def test_missing_reference_is_refused(package):
    (package / "reference.py").unlink()
    with pytest.raises(ProblemError, match="reference.py: missing"):
        load_problem(package)


def test_unknown_submission_folder_is_refused(package):
    (package / "submissions" / "probably_fine").mkdir()
    (package / "submissions" / "probably_fine" / "x.py").write_text("x = 1\n")
    with pytest.raises(ProblemError, match="folder name is not a verdict"):
        load_problem(package)


def test_not_a_package(tmp_path):
    with pytest.raises(ProblemError, match="no problem.toml"):
        load_problem(tmp_path)


def test_package_from_files_round_trip(clip_problem):
    again = problem_from_files(read_package(CLIP), "clip-passthrough")
    # NaN != NaN, so cases compare through their JSON form.
    assert repr(again.job(again.cases)) == repr(clip_problem.job(clip_problem.cases))
    assert again.reference == clip_problem.reference
    assert again.files["problem.toml"] == (CLIP / "problem.toml").read_bytes()


def test_examples_outside_verdict_folders_are_refused(clip_problem):
    files = dict(clip_problem.files, **{"submissions/x.py": b"x = 1\n"})
    with pytest.raises(ProblemError, match="submissions/<verdict>"):
        problem_from_files(files)
