"""axe-core (from npm, installed with the front-end build: frontend/package.json) over every page, signed
out, as a learner after a wrong answer, and as an admin: no serious or critical violation."""

import json

import httpx
import pytest

from tests.conftest import CLIP, ROOT
from tests.web.conftest import replace_code, sign_in, sign_up, wait_verdict

pytestmark = pytest.mark.browser

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PLAIN_CLIP = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_text()
SERIOUS = ("serious", "critical")


def violations(page, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return violations_here(page)


def test_no_serious_violation_on_any_page(browser, server, admin):
    if not AXE.exists():
        pytest.skip(f"no {AXE.relative_to(ROOT)} (make install runs npm ci in frontend/)")
    # bypass_csp: the pages' Content-Security-Policy admits only their own scripts; axe is the test's.
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    found = {}

    def check(path):
        serious = violations(page, path)
        if serious:
            found[path] = serious

    try:
        for path in ("/", "/login", "/signup", "/problems/clip-passthrough", "/sets", "/no-such-page"):
            check(path)
        # A learner with a wrong answer on the page: the verdict table, failures, hints.
        sign_up(page, "reader")
        page.goto("/problems/clip-passthrough")
        page.get_by_test_id("editor").locator(".cm-content").wait_for()
        replace_code(page, PLAIN_CLIP)
        page.get_by_test_id("run-button").click()
        assert wait_verdict(page) == "WRONG_ANSWER"
        serious = violations_here(page)
        if serious:
            found["/problems/clip-passthrough (judged)"] = serious
        submission = page.locator("#my-submissions a").first.get_attribute("href")
        check("/")
        check(submission)
        # An admin: authoring pages, a set with its staff view, scoreboard and cases.
        context.clear_cookies()
        sign_in(page, *admin)
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/api/auth/token", data={"username": admin[0], "password": admin[1]}).json()
            created = client.post("/api/sets", headers={"Authorization": f"Bearer {token['access_token']}"},
                                  json={"slug": "week-1", "title": "Week 1", "problems": [{"problem": "clip-passthrough"}],
                                        "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2036-01-01T00:00:00Z",
                                        "scoreboard": "public"})
            assert created.status_code == 201, created.text
        for path in ("/admin", "/admin/problems/new", "/admin/problems/clip-passthrough/edit", "/sets",
                     "/sets/new", "/sets/week-1", "/sets/week-1/edit", "/sets/week-1/staff",
                     "/sets/week-1/scoreboard", "/sets/week-1/problems/clip-passthrough/cases", submission):
            check(path)
    finally:
        context.close()
    assert found == {}, json.dumps(found, indent=1)


def violations_here(page):
    # The page gives overflowing code blocks their tab stop on the next animation frame after a change.
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    }""")
    return [v for v in found if v["impact"] in SERIOUS]
