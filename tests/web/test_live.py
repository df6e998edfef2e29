"""The verdict table live in a real browser: drawn when judging starts, its cells filled from the event
stream, and at the verdict the same as the report."""

import pytest

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
    assert page.locator("td.cell.pending").count() == 13 * 13
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
