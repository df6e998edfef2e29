"""Learners and admins in a real browser (Chromium via Playwright), judged by the real sandbox."""

import re

import pytest
from playwright.sync_api import expect

from app.cli import import_problem_dirs
from grader import load_problem
from tests.conftest import CLIP
from tests.web.conftest import ARTIFACTS, PASSWORD, replace_code, sign_in, sign_up, wait_verdict

pytestmark = pytest.mark.browser

ACCEPTED = (CLIP / "submissions" / "accepted" / "custom_jvp.py").read_text()
PLAIN_CLIP = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_text()
CLIP_URL = "/problems/clip-passthrough"
CLIP_CASES = len(load_problem(CLIP).cases)


def editor_text(page):
    return page.get_by_test_id("editor").locator(".cm-content").inner_text().strip()


def open_clip(page):
    page.goto("/")
    page.get_by_test_id("problem-link-clip-passthrough").click()
    page.get_by_test_id("editor").locator(".cm-content").wait_for()


def run_plain_clip(page, username):
    """A new user runs plain jnp.clip on clip-passthrough; the address of its submission page."""
    sign_up(page, username)
    open_clip(page)
    replace_code(page, PLAIN_CLIP)
    page.get_by_test_id("run-button").click()
    wait_verdict(page)
    return page.locator("#my-submissions a").first.get_attribute("href")


class TestLearner:
    def test_sign_up_solve_and_see_the_solution(self, page):
        sign_up(page, "ada")
        open_clip(page)
        assert "def clip_passthrough" in editor_text(page)  # the starter code
        replace_code(page, ACCEPTED)
        page.get_by_test_id("submit-button").click()
        assert wait_verdict(page) == "ACCEPTED"
        cells = page.locator("[data-testid=checks-table] td.cell")
        assert cells.count() == 13 * CLIP_CASES  # every case × 13 checks, every one green
        assert page.locator("td.cell.pass").count() == cells.count()
        assert page.locator("#my-submissions tr").first.inner_text().count("ACCEPTED") == 1
        # After an ACCEPTED, the solution is shown without asking; the list marks the problem solved.
        page.get_by_test_id("solution-button").click()
        page.get_by_test_id("solution-code").filter(has_text="custom_jvp").wait_for()
        page.goto("/")
        assert page.get_by_test_id("solved-clip-passthrough").is_visible()
        assert page.errors == []

    def test_plain_clip_is_wrong_answer_with_the_gradient_marked(self, page):
        sign_up(page, "grace")
        open_clip(page)
        replace_code(page, PLAIN_CLIP)
        page.get_by_test_id("submit-button").click()
        assert wait_verdict(page) == "WRONG_ANSWER"
        wrong = page.locator("td.cell[data-status=wrong]")
        assert wrong.count() > 0
        assert {wrong.nth(i).get_attribute("data-check") for i in range(wrong.count())} >= {"grad", "vjp", "jvp"}
        # The forward values are right, and the table says so.
        value_cells = page.locator("td.cell[data-check=value]")
        assert value_cells.count() == 2 * CLIP_CASES  # eager and jit
        assert page.locator("td.cell.pass[data-check=value]").count() == 2 * CLIP_CASES
        # The columns carry the check registry's labels (grader/sandboxed/harness.py), not raw names.
        header = page.get_by_test_id("checks-table").locator("thead").inner_text()
        assert "VJP" in header and "vmap∘grad" in header and "grad(jit)" in header and "grad_of_jit" not in header
        grad_cell = page.locator("td.cell[data-check=grad][data-transform=eager][data-case=worked-example]")
        assert "expected 1.0, got 0.0" in grad_cell.get_attribute("title")
        assert "upstream gradient through unchanged" in grad_cell.get_attribute("title")  # the hint
        assert "upstream gradient" in page.get_by_test_id("report-hints").inner_text()
        grad_cell.focus()  # by keyboard (or a tap): the cell's details open under the table
        page.keyboard.press("Enter")
        detail = page.get_by_test_id("cell-detail").inner_text()
        assert "worked-example" in detail and "got" in detail and "Hint:" in detail
        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "problem-page-wrong-answer.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": 1250})  # docs/images/ has a copy

    def test_a_hints_code_is_shown_as_code(self, page):
        sign_up(page, "backticks")
        open_clip(page)
        replace_code(page, (CLIP / "submissions" / "runtime_error" / "python_if_on_bound.py").read_text())
        page.get_by_test_id("run-button").click()
        assert wait_verdict(page) == "RUNTIME_ERROR"
        hints = page.get_by_test_id("report-hints")
        assert hints.locator("code").all_inner_texts()[:3] == ["if", "bool()", "int()"]
        assert "`" not in hints.inner_text()

    def test_run_shows_sample_feedback_and_output(self, page):
        sign_up(page, "linus")
        open_clip(page)
        replace_code(page, PLAIN_CLIP + "\nprint('hello from my module')\n")
        page.get_by_test_id("run-button").click()
        assert wait_verdict(page) == "WRONG_ANSWER"
        rows = page.locator("[data-testid=checks-table] tbody tr")
        assert rows.count() == len(load_problem(CLIP).sample_cases)  # the sample cases only
        assert "hidden" not in page.get_by_test_id("checks-table").inner_text()
        failure = page.get_by_test_id("failure").first.inner_text()
        assert "expected" in failure and "got" in failure and "[1., 1., 1." in failure
        assert "hello from my module" in page.get_by_test_id("output").inner_text()

    def test_syntax_error_shows_the_compilation_error(self, page):
        sign_up(page, "barbara")
        open_clip(page)
        replace_code(page, "def clip_passthrough(x, lo, hi)\n    return x\n")
        page.get_by_test_id("run-button").click()
        assert wait_verdict(page) == "COMPILATION_ERROR"
        assert "SyntaxError" in page.get_by_test_id("module-error").inner_text()

    def test_draft_survives_a_reload_and_ctrl_enter_submits(self, page):
        sign_up(page, "edsger")
        open_clip(page)
        replace_code(page, "x = ")
        page.keyboard.type("(1")  # typed keys reach the editor, which closes the bracket itself
        page.reload()
        assert editor_text(page) == "x = (1)"
        page.get_by_test_id("editor").locator(".cm-content").press("Control+Enter")
        assert wait_verdict(page) == "COMPILATION_ERROR"
        page.get_by_test_id("reset-button").click()  # a confirm() asks first; Playwright dismisses it
        assert editor_text(page) == "x = (1)"

    def test_hints_are_revealed_one_at_a_time(self, page):
        sign_up(page, "alan")
        open_clip(page)
        hints = page.get_by_test_id("hints-list").locator("li")
        assert hints.count() == 0
        page.get_by_test_id("hint-button").click()
        hints.first.wait_for()
        assert hints.count() == 1 and "custom_jvp" in hints.first.inner_text()
        page.get_by_test_id("hint-button").click()
        page.get_by_test_id("hint-button").click()
        # A locator, not wait_for_function: a string predicate is eval'ed, which the page's CSP refuses
        # whenever it has to poll (a flaky failure).
        hints.nth(2).wait_for()
        assert page.get_by_test_id("hint-button").is_disabled()
        items = "items => items.map((item) => item.innerHTML.replace(/\\s+/g, ''))"
        shown = page.locator("#hints-list li").evaluate_all(items)
        page.reload()  # revealed hints are remembered, and rendered (Markdown) as they were shown
        assert page.get_by_test_id("hints-list").locator("li").count() == 3
        assert page.locator("#hints-list li").evaluate_all(items) == shown
        assert page.locator("#hints-list li.md p").count() == 3

    def test_asking_for_the_solution_takes_a_second_click(self, page):
        sign_up(page, "katherine")
        open_clip(page)
        page.get_by_test_id("solution-button").click()
        assert page.get_by_test_id("solution-code").inner_text() == ""
        page.get_by_test_id("solution-confirm").click()
        page.get_by_test_id("solution-code").filter(has_text="custom_jvp").wait_for()


class TestAccessControl:
    def test_signed_out_visitor_reads_but_cannot_submit(self, page):
        page.goto(CLIP_URL)
        assert "straight-through" in page.get_by_test_id("statement").inner_text()
        assert page.get_by_test_id("signin-to-attempt").is_visible()
        assert page.get_by_test_id("submit-button").count() == 0
        assert page.get_by_test_id("run-button").count() == 0
        # The API refuses it too, whatever a page does.
        response = page.request.post(f"/api/problems/clip-passthrough/submissions", data={"source": ACCEPTED})
        assert response.status == 401
        # Signing in from here comes back here.
        page.get_by_test_id("signin-to-attempt").get_by_role("link", name="create an account").click()
        page.get_by_test_id("signup-username").fill("newcomer")
        page.get_by_test_id("signup-password").fill(PASSWORD)
        page.get_by_test_id("signup-submit").click()
        page.get_by_test_id("submit-button").wait_for()
        assert page.url.endswith(CLIP_URL)

    def test_a_user_cannot_open_another_users_submission(self, new_page):
        owner, other = new_page(), new_page()
        submission_url = run_plain_clip(owner, "owner")
        owner.locator("#my-submissions a").first.click()
        assert wait_verdict(owner) == "WRONG_ANSWER"
        assert "jnp.clip" in owner.get_by_test_id("submission-source").inner_text()

        sign_up(other, "snoop")
        response = other.goto(submission_url)
        assert response.status == 404
        assert "No submission" in other.get_by_test_id("error-message").inner_text()
        assert "jnp.clip" not in other.content()
        api = other.request.get("/api" + submission_url)
        assert api.status == 404

    def test_signed_out_visitor_is_sent_to_sign_in_for_a_submission_page(self, page):
        response = page.goto("/submissions/1")
        assert response.ok and "/login?next=/submissions/1" in page.url

    def test_non_admin_gets_no_admin_pages(self, page):
        sign_up(page, "mallory")
        assert page.get_by_test_id("nav-admin").count() == 0
        assert page.goto("/admin").status == 403
        assert page.goto("/admin/problems/new").status == 403


class TestForms:
    def test_sign_up_errors_are_clear_and_keep_the_username(self, page):
        page.goto("/signup")
        page.get_by_test_id("signup-username").fill("shorty")
        page.get_by_test_id("signup-password").fill("short")
        # The browser's own check (minlength) stops the form first; bypass it to see the server's answer.
        page.locator("form.stack").evaluate("form => form.noValidate = true")
        page.get_by_test_id("signup-submit").click()
        assert "8 to 256 characters" in page.get_by_test_id("form-error").inner_text()
        assert page.get_by_test_id("signup-username").input_value() == "shorty"
        sign_up(page, "taken")
        page.get_by_test_id("nav-logout").click()
        page.get_by_test_id("nav-signup").click()
        page.get_by_test_id("signup-username").fill("TAKEN")
        page.get_by_test_id("signup-password").fill(PASSWORD)
        page.get_by_test_id("signup-submit").click()
        assert "is taken" in page.get_by_test_id("form-error").inner_text()

    def test_sign_in_with_the_keyboard_alone(self, page):
        sign_up(page, "keyes")
        page.get_by_test_id("nav-logout").click()
        page.goto("/login")
        # The username field has focus on arrival (the browser applies autofocus once the page is
        # rendered, which a loaded machine may do after the load event: waited for, not raced).
        expect(page.get_by_test_id("login-username")).to_be_focused()
        page.keyboard.type("keyes")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.get_by_test_id("nav-user").filter(has_text="keyes").wait_for()

    def test_sign_in_out_and_wrong_password(self, page):
        sign_up(page, "hopper")
        page.get_by_test_id("nav-logout").click()
        page.get_by_test_id("nav-login").wait_for()
        page.get_by_test_id("nav-login").click()
        page.get_by_test_id("login-username").fill("hopper")
        page.get_by_test_id("login-password").fill("not the password")
        page.get_by_test_id("login-submit").click()
        assert "Wrong username or password" in page.get_by_test_id("form-error").inner_text()
        sign_in(page, "hopper", PASSWORD)

    def test_forms_refuse_posts_without_their_csrf_token(self, page):
        # What a hostile site's hidden form would send: no CSRF token, or one that is not ours.
        sign_up(page, "victim")
        assert page.request.post("/logout", form={}).status == 403
        assert page.request.post("/logout", form={"csrf_token": "forged"}).status == 403
        page.goto("/")
        assert page.get_by_test_id("nav-user").inner_text() == "victim"  # still signed in
        response = page.request.post("/login", form={"username": "victim", "password": PASSWORD})
        assert response.status == 403
        response = page.request.post("/api/problems/clip-passthrough/submissions", data={"source": "x = 1"})
        assert response.status == 403  # the session cookie alone is not enough

    def test_next_cannot_send_people_off_site(self, page):
        page.goto("/login?next=//evil.example/phish")
        page.get_by_test_id("login-username").wait_for()
        assert page.locator("input[name=next]").input_value() == "/"


class TestLayout:
    def test_problem_page_fits_a_phone(self, new_page):
        page = new_page(width=390, height=844)
        sign_up(page, "phoebe")
        open_clip(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert page.get_by_test_id("submit-button").is_visible()

    def test_every_form_field_has_a_label(self, page, admin):
        sign_in(page, *admin)
        for url in ("/signup", "/login", "/admin", "/admin/problems/new", CLIP_URL):
            page.goto(url)
            unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                             && !e.getAttribute('aria-labelledby') && !e.closest('.cm-editor'))
                .map(e => e.outerHTML.slice(0, 80))""")
            assert unlabelled == [], url

    def test_pages_send_a_content_security_policy(self, page):
        response = page.goto(CLIP_URL)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        # An inline script, as an injection would add, is refused by the browser.
        # The browser says so with a securitypolicyviolation event, which this waits for (not a sleep).
        violated = page.evaluate("""() => new Promise(resolve => {
            document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective), {once: true});
            const s = document.createElement('div');
            s.innerHTML = '<img src=x onerror="window.injected = 1">'; document.body.append(s); })""")
        assert violated.startswith("script-src")
        assert page.evaluate("window.injected") is None
        page.errors.clear()  # that refusal is the point of this test

    def test_a_failed_sample_check_is_plotted(self, page):
        run_plain_clip(page, "plotter")
        page.locator("td.cell[data-check=grad][data-transform=eager][data-case=worked-example]").click()
        plot = page.get_by_test_id("cell-detail").get_by_test_id("check-plot")
        plot.locator("canvas").first.wait_for()
        # Plain clip's gradient is 0 outside [-1, 1] and 0.5 on the bounds: 5 of the 8 points differ.
        assert plot.get_attribute("data-differ") == "5"
        assert "grad of worked-example, output over x" in plot.inner_text()
        assert page.errors == []

    def test_a_broken_rule_and_the_score_are_shown(self, page, session_factory):
        # integer-cumsum's rules: must use scan, not cumsum. jnp.cumsum gets the values right.
        package = CLIP.parent.parent / "tests" / "problems" / "integer-cumsum"
        import_problem_dirs(session_factory, [package], publish=True)
        sign_up(page, "ruled")
        page.goto("/problems/integer-cumsum")
        page.get_by_test_id("editor").locator(".cm-content").wait_for()
        replace_code(page, (package / "submissions" / "wrong_answer" / "cumsum.py").read_text())
        page.get_by_test_id("submit-button").click()
        assert wait_verdict(page) == "WRONG_ANSWER"
        rules = page.get_by_test_id("rules")
        broken = rules.locator("li[data-status=failed]").all_inner_texts()
        assert any(text.endswith("must not contain cumsum: the jaxpr contains cumsum") for text in broken), broken
        assert rules.locator("li[data-status=passed]").count() == 1  # at most 40 equations
        assert page.get_by_test_id("score").inner_text().startswith("Score 0/100")
        assert page.errors == []

    def test_filters_by_tag_and_difficulty(self, page):
        page.goto("/")
        page.get_by_test_id("filter-difficulty").select_option("hard")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"difficulty=hard"))
        assert page.get_by_test_id("problem-link-clip-passthrough").count() == 0
        assert set(page.locator("table.problems .difficulty").all_inner_texts()) <= {"hard"}
        page.goto("/?tag=custom_jvp&difficulty=easy")
        assert page.get_by_test_id("problem-link-clip-passthrough").is_visible()
        page.goto("/?tag=no-such-tag")
        assert "No problem matches" in page.content()

    def test_the_list_suggests_an_order(self, page, session_factory):
        import_problem_dirs(session_factory, [CLIP.parent / "log-sigmoid", CLIP.parent / "stable-softplus"], publish=True)
        page.goto("/")
        slugs = [href.rsplit("/", 1)[1] for href in
                 page.locator("table.problems a[data-testid^=problem-link-]").evaluate_all("els => els.map(e => e.getAttribute('href'))")]
        assert slugs.index("clip-passthrough") < slugs.index("stable-softplus") < slugs.index("log-sigmoid")
        assert page.get_by_test_id("after-log-sigmoid").inner_text() == "after Softplus that neither overflows nor loses its gradient"


def fill_new_problem(page, slug):
    page.get_by_test_id("admin-slug").fill(slug)
    page.get_by_test_id("admin-title").fill("Double <i>it</i>")
    page.get_by_test_id("admin-tags").fill("warm-up, grad")
    page.get_by_test_id("admin-prerequisites").fill("clip-passthrough")
    page.get_by_test_id("admin-statement").fill(
        "# Double it\n\nWrite `solve(x)` returning `2 * x`.\n\n<script>window.pwned = 1</script>\n")
    page.get_by_test_id("admin-preview").filter(has_text="returning").wait_for()
    page.get_by_test_id("admin-hints").fill("Multiply by two.\njnp arrays support * directly.")
    replace_code(page, "def solve(x):\n    # your code\n    ...\n", testid="admin-starter")
    replace_code(page, "def solve(x):\n    return 2 * x\n", testid="admin-reference")
    page.get_by_test_id("admin-add-example").click()
    page.get_by_test_id("admin-example-name").fill("identity")
    page.get_by_test_id("admin-example-expected").select_option("wrong_answer")
    page.get_by_test_id("admin-example-source").fill("def solve(x):\n    return x\n")


class TestAdmin:
    def test_author_validate_publish_and_a_learner_solves_it(self, new_page, admin):
        author, learner = new_page(), new_page()
        sign_in(author, *admin)
        author.get_by_test_id("nav-admin").click()
        author.get_by_test_id("admin-new-problem").click()
        author.locator("#problem-form[data-ready]").wait_for()
        fill_new_problem(author, "double-it")
        assert "<script>" in author.get_by_test_id("admin-preview").inner_text()  # shown as text, not run
        author.get_by_test_id("admin-save").click()
        author.wait_for_url("**/admin/problems/double-it/edit?saved=1")
        assert author.evaluate("window.pwned") is None

        # A draft: learners cannot see it, and it cannot be published before validation passes.
        sign_up(learner, "student")
        assert learner.get_by_test_id("problem-link-double-it").count() == 0
        assert learner.goto("/problems/double-it").status == 404
        author.get_by_test_id("admin-publish").click()
        author.get_by_test_id("admin-message").filter(has_text="refused until validation passes").wait_for()

        author.get_by_test_id("admin-validate").click()
        author.get_by_test_id("validation-outcome").filter(has_text="Validation passed").wait_for(timeout=120_000)
        matrix = author.get_by_test_id("validation-matrix").inner_text()
        assert "reference.py" in matrix and "identity" in matrix
        author.get_by_test_id("admin-publish").click()
        author.get_by_test_id("admin-state").filter(has_text="published").wait_for()

        learner.goto("/")
        assert learner.get_by_test_id("problem-link-double-it").inner_text() == "Double <i>it</i>"  # text, not markup
        assert learner.get_by_test_id("after-double-it").inner_text() == "after Clip with a straight-through gradient"
        learner.get_by_test_id("problem-link-double-it").click()
        assert "returning" in learner.get_by_test_id("statement").inner_text()
        assert "window.pwned" in learner.get_by_test_id("statement").inner_text()
        assert learner.evaluate("window.pwned") is None
        replace_code(learner, "import jax.numpy as jnp\n\ndef solve(x):\n    return x + x\n")
        learner.get_by_test_id("submit-button").click()
        assert wait_verdict(learner) == "ACCEPTED"

    def test_a_failing_validation_keeps_the_problem_unpublished(self, page, admin):
        sign_in(page, *admin)
        page.goto("/admin/problems/new")
        fill_new_problem(page, "double-wrong")
        page.get_by_test_id("admin-example-expected").select_option("accepted")  # the identity is not right
        page.get_by_test_id("admin-save").click()
        page.wait_for_url("**/edit?saved=1")
        page.get_by_test_id("admin-validate").click()
        page.get_by_test_id("validation-outcome").filter(has_text="Validation failed").wait_for(timeout=120_000)
        page.get_by_test_id("admin-publish").click()
        page.get_by_test_id("admin-message").filter(has_text="wrong verdict").wait_for()
        assert page.get_by_test_id("admin-state").inner_text() == "draft"
        # The example's verdict opens its judgement, which shows its author the hidden cases too.
        page.get_by_test_id("validation-matrix").get_by_role("link", name="WRONG_ANSWER").click()
        page.get_by_test_id("shows-hidden").wait_for()

    def test_admin_opens_a_learners_submission_and_rejudges_it(self, new_page, admin):
        learner, author = new_page(), new_page()
        submission_url = run_plain_clip(learner, "pupil")
        sign_in(author, *admin)
        author.goto(submission_url)
        assert wait_verdict(author) == "WRONG_ANSWER"
        author.get_by_test_id("rejudge-button").click()
        author.get_by_test_id("result-status").filter(has_text=re.compile("queue|Judging")).wait_for()
        assert wait_verdict(author) == "WRONG_ANSWER"
        assert learner.goto(submission_url).ok and learner.get_by_test_id("rejudge-button").count() == 0

    def test_bad_fields_get_a_clear_error_and_nothing_is_saved(self, page, admin):
        sign_in(page, *admin)
        page.goto("/admin/problems/new")
        fill_new_problem(page, "broken")
        page.get_by_test_id("admin-cases").fill('[{"name": "a", "args": [')
        page.get_by_test_id("admin-save").click()
        page.get_by_test_id("admin-message").filter(has_text="Cases is not valid JSON").wait_for()
        page.get_by_test_id("admin-cases").fill('[{"name": "a", "sample": true, "args": [{"values": [1.0], "dtype": "float33"}]}]')
        page.get_by_test_id("admin-save").click()
        page.get_by_test_id("admin-message").filter(has_text=re.compile("unknown dtype 'float33'")).wait_for()
        page.goto("/admin")
        assert page.get_by_test_id("admin-edit-broken").count() == 0

    def test_saving_the_form_keeps_what_it_does_not_edit(self, page, admin, session_factory):
        # integer-cumsum has [checks], [rules], a limit and wrong-answer hints the form shows no field for.
        from app.models import Problem
        from app.problems.service import grader_problem

        package = CLIP.parent.parent / "tests" / "problems" / "integer-cumsum"
        import_problem_dirs(session_factory, [package], publish=False)
        sign_in(page, *admin)
        page.goto("/admin/problems/integer-cumsum/edit")
        page.locator("#problem-form[data-ready]").wait_for()
        page.get_by_test_id("admin-title").fill("Cumulative sum, with scan")
        page.get_by_test_id("admin-save").click()
        page.wait_for_url("**/edit?saved=2")
        original = load_problem(package)
        with session_factory() as session:
            stored = grader_problem(session.query(Problem).filter_by(slug="integer-cumsum").one().current_version)
        assert stored.title == "Cumulative sum, with scan"
        for name in ("checks", "rules", "groups", "entry", "limits", "wrong_answer_hints", "tolerances", "check_tolerances"):
            assert getattr(stored, name) == getattr(original, name), name
        # Checks, rules and groups are JSON fields of the form: an author edits them there.
        assert '"must_contain"' in page.get_by_test_id("admin-rules").input_value()
        page.get_by_test_id("admin-rules").fill('{"must_contain": ["scan"]}')
        page.get_by_test_id("admin-save").click()
        page.wait_for_url("**/edit?saved=3")
        with session_factory() as session:
            stored = grader_problem(session.query(Problem).filter_by(slug="integer-cumsum").one().current_version)
        assert (stored.rules.must_contain, stored.rules.must_not_contain, stored.rules.max_equations) == (("scan",), (), None)
        assert stored.checks == original.checks

    def test_edit_saves_a_new_version_and_import_a_zip(self, page, admin, tmp_path):
        import zipfile

        sign_in(page, *admin)
        page.goto("/admin")
        page.get_by_test_id("admin-edit-clip-passthrough").click()
        page.locator("#problem-form[data-ready]").wait_for()
        assert page.get_by_test_id("admin-slug").input_value() == "clip-passthrough"
        assert "worked-example" in page.get_by_test_id("admin-cases").input_value()
        assert page.get_by_test_id("admin-example").count() == len(load_problem(CLIP).examples)
        # The form writes problem.toml afresh (without the package's comments): the first save is a new
        # version; saving again unchanged adds none.
        page.get_by_test_id("admin-save").click()
        page.wait_for_url("**/edit?saved=2")
        page.get_by_test_id("admin-save").click()
        page.get_by_test_id("admin-message").filter(has_text="Nothing changed").wait_for()
        page.get_by_test_id("admin-title").fill("Clip, straight through")
        page.get_by_test_id("admin-save").click()
        page.wait_for_url("**/edit?saved=3")
        page.goto("/")
        assert page.get_by_test_id("problem-link-clip-passthrough").inner_text() == "Clip, straight through"

        package = tmp_path / "package.zip"
        with zipfile.ZipFile(package, "w") as archive:
            for path in CLIP.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, "clip-passthrough/" + str(path.relative_to(CLIP)))
        page.goto("/admin")
        page.get_by_test_id("admin-import-file").set_input_files(str(package))
        page.get_by_test_id("admin-import").click()
        page.get_by_test_id("admin-message").filter(has_text="as version 4").wait_for()
