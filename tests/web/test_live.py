"""The verdict table live in a real browser: drawn when judging starts, its cells filled from the event
stream, and at the verdict the same as the report."""

import pytest

from grader import load_problem
from tests.conftest import CLIP
from tests.web.conftest import replace_code, sign_up, wait_verdict

pytestmark = pytest.mark.browser

PLAIN_CLIP = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_text()


def test_the_table_is_drawn_while_judging_and_ends_as_the_report(page):
    sign_up(page, "livia")
    page.goto("/problems/clip-passthrough")
    page.get_by_test_id("editor").locator(".cm-content").wait_for()
    replace_code(page, PLAIN_CLIP)
    page.get_by_test_id("submit-button").click()
    # Judging has begun: every case × check drawn, pending, before any verdict.
    page.locator("[data-testid=checks-table] td.cell.pending").first.wait_for(timeout=120_000)
    assert page.get_by_test_id("verdict").inner_text() == ""
    assert page.get_by_test_id("live-progress").is_visible()
    assert page.locator("td.cell.pending").count() == 13 * len(load_problem(CLIP).cases)
    assert wait_verdict(page) == "WRONG_ANSWER"
    submission_id = page.locator("#my-submissions a").first.inner_text()
    report = page.request.get(f"/api/submissions/{submission_id}").json()["report"]
    # Each check reached the page as its own event, and the final table is the report's.
    assert page.locator("#result-body").get_attribute("data-live-checks") == str(len(report["checks"]))
    cells = page.locator("[data-testid=checks-table] td.cell")
    shown = cells.evaluate_all("cells => cells.map(c => [c.dataset.case, c.dataset.check, c.dataset.transform, c.dataset.status])")
    assert shown == [[c["case"], c["check"], c["transform"], c["status"]] for c in report["checks"]]
    assert page.locator("td.cell.pending").count() == 0
    assert page.locator("td.cell.fail").count() == sum(c["status"] != "passed" for c in report["checks"])


def test_the_same_failure_on_many_checks_is_listed_once(page):
    """numpy's clip cannot be traced: every traced check of every case fails with the same words, and
    the list says so once, naming the checks, instead of once per check."""
    sign_up(page, "numpy")
    page.goto("/problems/clip-passthrough")
    page.get_by_test_id("editor").locator(".cm-content").wait_for()
    replace_code(page, (CLIP / "submissions" / "runtime_error" / "numpy_clip.py").read_text())
    page.get_by_test_id("submit-button").click()
    assert wait_verdict(page) == "RUNTIME_ERROR"
    submission_id = page.locator("#my-submissions a").first.inner_text()
    failed = [c for c in page.request.get(f"/api/submissions/{submission_id}").json()["report"]["checks"]
              if c["status"] != "passed"]
    distinct = {(c["status"], c["message"], str(c.get("expected")), str(c.get("got")), c.get("traceback"))
                for c in failed}
    items = page.get_by_test_id("failure")
    assert items.count() == min(len(distinct), 12) < len(failed)
    assert any("more checks" in text for text in items.all_inner_texts())
    heading = page.locator(".failures h3").inner_text()
    assert f"{len(failed)} of" in heading and f"{len(distinct)} distinct" in heading


def test_on_a_phone_the_case_column_stays_while_the_table_scrolls(new_page):
    page = new_page(width=390, height=844)
    sign_up(page, "phone")
    page.goto("/problems/clip-passthrough")
    page.get_by_test_id("editor").locator(".cm-content").wait_for()
    replace_code(page, PLAIN_CLIP)
    page.get_by_test_id("run-button").click()
    assert wait_verdict(page) == "WRONG_ANSWER"
    scroller = page.locator(".table-scroll").first
    case = page.locator("[data-testid=checks-table] tbody th").first
    assert scroller.evaluate("s => s.scrollWidth > s.clientWidth")  # it does scroll at this width
    before = case.bounding_box()["x"]
    assert scroller.evaluate("s => { s.scrollLeft = s.scrollWidth; return s.scrollLeft; }") > 0
    assert abs(case.bounding_box()["x"] - before) < 1
    # A long line wraps in the editor rather than running off it.
    replace_code(page, "x = " + " + ".join(["1"] * 80) + "\n")
    editor = page.get_by_test_id("editor")
    assert editor.locator(".cm-content").bounding_box()["width"] <= editor.bounding_box()["width"]
    assert editor.locator(".cm-line").first.bounding_box()["height"] > 40  # the one line, wrapped


def test_submissions_list_score_and_time_and_a_diff_of_two(page):
    sign_up(page, "differ")
    page.goto("/problems/clip-passthrough")
    page.get_by_test_id("editor").locator(".cm-content").wait_for()
    replace_code(page, PLAIN_CLIP)
    page.get_by_test_id("run-button").click()
    assert wait_verdict(page) == "WRONG_ANSWER"
    assert page.get_by_test_id("acceptance").inner_text() == "no submissions yet"  # a Run is not counted
    replace_code(page, (CLIP / "submissions" / "accepted" / "custom_jvp.py").read_text())
    page.get_by_test_id("submit-button").click()
    assert wait_verdict(page) == "ACCEPTED"
    page.get_by_test_id("acceptance").filter(has_text="accepted 100% of 1").wait_for()  # without a reload
    page.reload()  # the list as the server draws it
    rows = page.locator("#my-submissions tr")
    assert rows.count() == 2
    newest = rows.nth(0).locator("td").all_inner_texts()
    assert newest[2] == "ACCEPTED" and newest[4].endswith(" s") and float(newest[4][:-2]) > 0
    button = page.get_by_test_id("compare-button")
    assert button.is_disabled()
    for i in range(2):
        rows.nth(i).locator("input.compare-pick").check()
    button.click()
    diff = page.get_by_test_id("diff")
    diff.locator("span.ins").first.wait_for()
    removed = diff.locator("span.del").all_inner_texts()
    added = diff.locator("span.ins").all_inner_texts()
    assert any("@jax.custom_jvp" in line and line.startswith("+ ") for line in added)
    assert not any("custom_jvp" in line for line in removed)
    kept = [line for line in diff.inner_text().splitlines() if line.startswith("  ")]
    assert "  import jax.numpy as jnp" in kept
