"""Pages in a real browser: Playwright driving Debian's Chromium against the app under uvicorn, with a
real embedded worker and the real sandbox. A failing test leaves a screenshot in test-artifacts/."""

import re
import shutil
from pathlib import Path

import pytest

from app.users.service import set_admin
from tests.app.conftest import server, server_factory, session_factory, settings  # noqa: F401 (fixtures)
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# Without the networking flags Chromium calls Google's hosts at start; this machine's closed network
# refuses each, noisily. --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
PASSWORD = "correct horse battery"
ADMIN = ("root", "admin password 1")


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (make test installs Debian's chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, server, request):
    """new_page() → a page in a fresh browser context (its own cookies and storage), at the server."""
    contexts = []

    def make(width=1280, height=900):
        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # A Content-Security-Policy refusal means the page tried something the policy forbids (or broke).
        page.on("console", lambda message: "Content Security Policy" in message.text
                and page.errors.append(message.text))
        return page

    yield make
    refused = [error for context in contexts for page in context.pages for error in page.errors]
    if getattr(request.node, "failed_call", False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert refused == [], "script errors or Content-Security-Policy refusals on the pages"


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def admin(session_factory):
    with session_factory() as session:
        set_admin(session, username=ADMIN[0], password=ADMIN[1])
        session.commit()
    return ADMIN


def _through_the_form(page, form, username, password):
    """From the home page, the nav link to `form` ("signup" or "login"), filled in and sent."""
    page.goto("/")
    page.get_by_test_id(f"nav-{form}").click()
    page.get_by_test_id(f"{form}-username").fill(username)
    page.get_by_test_id(f"{form}-password").fill(password)
    page.get_by_test_id(f"{form}-submit").click()
    page.get_by_test_id("nav-user").filter(has_text=username).wait_for()


def sign_up(page, username, password=PASSWORD):
    _through_the_form(page, "signup", username, password)


def sign_in(page, username, password):
    _through_the_form(page, "login", username, password)


def replace_code(page, source, testid="editor"):
    """Select everything in a code editor and put `source` in its place, as a paste would."""
    page.get_by_test_id(testid).locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(source)


def wait_verdict(page, timeout=120_000):
    """The verdict's text once judged (the element is empty while queued or running)."""
    verdict = page.get_by_test_id("verdict")
    verdict.filter(has_text=re.compile(r"[A-Z_]{5,}")).wait_for(timeout=timeout)
    return verdict.inner_text().strip()
