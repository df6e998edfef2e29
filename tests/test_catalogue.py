"""The problem catalogue (issue 13): every package in problems/ proves that its cases tell right from
wrong, and meets the bar a published problem is held to, so that the bar holds for problems added later.
"""

import re

import pytest

from grader import Verdict, load_problem, validate_problem
from tests.conftest import ROOT

# Every folder in problems/ is a package: one without a problem.toml fails to load below rather than
# being skipped.
PACKAGES = sorted(p for p in (ROOT / "problems").iterdir() if p.is_dir() and not p.name.startswith("."))
WORKED_EXAMPLE = re.compile(r"^#{1,6}\s+worked example", re.IGNORECASE | re.MULTILINE)


def test_the_catalogue_is_not_empty():
    assert len(PACKAGES) >= 7
    assert "clip-passthrough" in {p.name for p in PACKAGES}


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_every_example_gets_its_folder_verdict(package):
    problem = load_problem(package)
    # Four examples judged at once, as the clip package's validate test does: verdicts must not depend on it.
    results = validate_problem(problem, workers=4)
    assert len(results) == len(problem.examples) + 1  # the reference is judged too
    failures = [f"{name}: expected {expected.value}, got {got.value} ({report['summary']})"
                for name, expected, got, report in results if expected is not got]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_every_package_meets_the_bar(package):
    problem = load_problem(package)
    accepted = [e.name for e in problem.examples if e.expected is Verdict.ACCEPTED]
    wrong = [e.name for e in problem.examples if e.expected is not Verdict.ACCEPTED]
    assert len(accepted) >= 2, f"{problem.slug}: at least two accepted examples (different techniques)"
    assert len(wrong) >= 2, f"{problem.slug}: at least two examples that must not be accepted"
    assert problem.hints and all(h.strip() for h in problem.hints), f"{problem.slug}: hints"
    assert problem.tags and all(t.strip() for t in problem.tags), f"{problem.slug}: tags"
    assert WORKED_EXAMPLE.search(problem.statement), f"{problem.slug}: statement.md has no 'Worked example' section"


def test_prerequisites_name_packages_of_the_catalogue_and_form_no_cycle():
    prerequisites = {p.name: load_problem(p).prerequisites for p in PACKAGES}
    unknown = {slug: [s for s in before if s not in prerequisites] for slug, before in prerequisites.items()}
    assert not {slug: u for slug, u in unknown.items() if u}, "prerequisites naming no package in problems/"

    def reaches(slug, target, seen=()):
        return any(s == target or (s not in seen and reaches(s, target, (*seen, s))) for s in prerequisites[slug])
    assert not [slug for slug in prerequisites if reaches(slug, slug)], "a cycle of prerequisites"


def test_the_readme_lists_every_package():
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", readme[readme.index("## Problems"):], re.MULTILINE)
    assert sorted(listed) == sorted(p.name for p in PACKAGES)
