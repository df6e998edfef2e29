"""Problem sets in a real browser: staff create a set, a student joins with its invite code and solves a
problem (judged by the real worker and sandbox), staff see it on the table and download the grades."""

import csv
import io

import pytest

from app.models import Role
from app.users.service import register_user
from tests.conftest import CLIP
from tests.web.conftest import PASSWORD, replace_code, sign_in, sign_up, wait_verdict

pytestmark = pytest.mark.browser

ACCEPTED = (CLIP / "submissions" / "accepted" / "custom_jvp.py").read_text()


@pytest.fixture
def staff(session_factory):
    with session_factory() as session:
        register_user(session, username="prof", password=PASSWORD, role=Role.STAFF)
        session.commit()
    return "prof"


def test_staff_create_a_set_a_student_solves_and_staff_download_the_grades(new_page, staff, tmp_path):
    teacher = new_page()
    sign_in(teacher, staff, PASSWORD)
    teacher.get_by_test_id("nav-sets").click()
    teacher.get_by_test_id("set-new").click()
    teacher.get_by_test_id("set-slug").fill("week-1")
    teacher.get_by_test_id("set-title").fill("Week 1: custom derivatives")
    teacher.get_by_test_id("set-problems").fill("clip-passthrough 10")
    teacher.get_by_test_id("set-save").click()
    teacher.wait_for_url("**/sets/week-1/staff")
    code = teacher.get_by_test_id("set-invite-code").inner_text().strip()
    assert len(code) >= 8

    student = new_page()
    sign_up(student, "ada")
    student.get_by_test_id("nav-sets").click()
    assert student.get_by_test_id("no-sets").is_visible()
    student.get_by_test_id("join-code").fill("not-the-code")
    student.get_by_test_id("join-submit").click()
    student.get_by_test_id("set-message").filter(has_text="invite code").wait_for()
    student.get_by_test_id("join-code").fill(code)
    student.get_by_test_id("join-submit").click()
    student.wait_for_url("**/sets/week-1")
    assert "left" in student.get_by_test_id("time-left").inner_text()
    assert student.get_by_test_id("my-points").inner_text() == "0"
    student.get_by_test_id("set-problem-clip-passthrough").click()
    student.get_by_test_id("editor").locator(".cm-content").wait_for()
    assert "Submit counts until" in student.get_by_test_id("in-set-week-1").inner_text()
    replace_code(student, ACCEPTED)
    student.get_by_test_id("submit-button").click()
    assert wait_verdict(student) == "ACCEPTED"
    student.goto("/sets/week-1")
    assert student.get_by_test_id("my-points").inner_text() == "10"
    assert "solved" in student.get_by_test_id("progress-clip-passthrough").inner_text()
    # A student has no staff page.
    assert student.goto("/sets/week-1/staff").status == 403

    teacher.reload()
    cell = teacher.get_by_test_id("cell-ada-clip-passthrough")
    assert cell.inner_text().startswith("10") and "✓" in cell.inner_text()
    assert teacher.get_by_test_id("total-ada").inner_text() == "10"
    assert teacher.get_by_test_id("summary-clip-passthrough").locator("td").first.inner_text() == "1"
    # The cell links to the student's submission, which staff may open.
    cell.locator("a").click()
    assert wait_verdict(teacher) == "ACCEPTED"
    teacher.go_back()
    with teacher.expect_download() as download:
        teacher.get_by_test_id("export-csv").click()
    saved = tmp_path / "grades.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "week-1-grades.csv"
    assert list(csv.reader(io.StringIO(saved.read_text()))) == [["username", "clip-passthrough", "total"],
                                                                  ["ada", "10", "10"]]


def test_staff_edit_a_set_and_enroll_by_username(new_page, staff, session_factory):
    import datetime as dt

    from app.models import ProblemSet, User
    from app.sets import service as sets
    from app.sets.schemas import ProblemSetIn

    opens = dt.datetime(2026, 3, 1, 9, 30, 17, tzinfo=dt.UTC)  # seconds that a minute-wide form would lose
    closes = dt.datetime(2031, 3, 8, 23, 59, 59, tzinfo=dt.UTC)
    with session_factory() as session:
        creator = session.query(User).filter_by(username_key=staff).one()
        register_user(session, username="bob", password=PASSWORD)
        sets.create_set(session, creator=creator, fields=ProblemSetIn(
            slug="week-2", title="Week 2", problems=[{"problem": "clip-passthrough", "points": 5}], opens_at=opens,
            closes_at=closes, late_policy="penalty", late_penalty_percent=40))
        session.commit()
    teacher = new_page()
    sign_in(teacher, staff, PASSWORD)
    teacher.goto("/sets/week-2/edit")
    assert teacher.get_by_test_id("set-problems").input_value() == "clip-passthrough 5"
    assert teacher.get_by_test_id("set-late-policy").input_value() == "penalty"
    teacher.get_by_test_id("set-title").fill("Week 2: vmap")
    teacher.get_by_test_id("set-save").click()
    teacher.wait_for_url("**/sets/week-2/staff")
    assert "Week 2: vmap" in teacher.locator("h1").inner_text()
    with session_factory() as session:
        saved = session.query(ProblemSet).filter_by(slug="week-2").one()
        assert (saved.title, saved.opens_at, saved.closes_at, saved.late_penalty_percent) == (
            "Week 2: vmap", opens, closes, 40)

    teacher.get_by_test_id("enroll-usernames").fill("bob, nobody")
    teacher.get_by_test_id("enroll-submit").click()
    teacher.get_by_test_id("set-message").filter(has_text="nobody").wait_for()
    teacher.get_by_test_id("enroll-usernames").fill("bob")
    teacher.get_by_test_id("enroll-submit").click()
    teacher.get_by_test_id("results-bob").wait_for()  # the page reloads with bob in the table

    learner = new_page()
    sign_in(learner, "bob", PASSWORD)
    learner.get_by_test_id("nav-sets").click()
    learner.get_by_test_id("set-link-week-2").click()
    assert learner.get_by_test_id("set-state").inner_text().startswith("open")
    assert learner.get_by_test_id("set-staff-link").count() == 0
