"""Fixtures of the browser tests: the app started as the README starts it, and Chromium.

``served_app`` runs ``tracker serve --demo --port <free port>`` in a subprocess with
``TRACKER_DATABASE_URL`` pointing at a temporary SQLite file (the demo district is loaded
on first start, as in ``scripts/dashboard.sh``), waits until Streamlit answers its health
check, and stops the process group at the end. ``browser`` is Debian's Chromium driven by
Playwright (sync API).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.bench.localserve import served_dashboard

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 300  # seconds: the demo load and Streamlit's start on a busy 2-core machine


@pytest.fixture(scope="module")
def served_store(tmp_path_factory):
    """(base URL, store URL) of a running dashboard on a fresh SQLite store with the demo
    data: a test that must know what the page should show reads the same store."""
    folder = tmp_path_factory.mktemp("e2e-store")
    url = f"sqlite:///{folder / 'redwood.db'}"
    with open(folder / "serve.log", "w") as log, served_dashboard(
            url, "--demo", timeout=START_TIMEOUT, log=log, cwd=folder) as (base, _process):
        yield base, url


@pytest.fixture(scope="module")
def served_app(served_store):
    """Base URL of a running dashboard on a fresh SQLite store with the demo data."""
    return served_store[0]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture
def page(browser, request, shots):
    context = browser.new_context(viewport={"width": 1440, "height": 2200}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What the browser showed when the test failed, next to the other screenshots.
        name = "".join(c if c.isalnum() else "-" for c in request.node.name)
        page.screenshot(path=str(shots / f"FAILED-{name}.png"), full_page=True)
    context.close()


@pytest.fixture(scope="module")
def shots(artifacts) -> Path:
    folder = artifacts / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, url: str, name: str = "demo", password: str = "redwood-demo") -> None:
    """Open ``url`` and sign in through the login form (every page needs a login, and a
    new browser page is a new dashboard session). The demo store's login by default."""
    import re

    page.goto(url)
    page.get_by_label(re.compile("^(用户名|User name)$")).fill(name)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(password)
    page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
    page.get_by_role("button", name=re.compile("退出登录|Sign out")).wait_for()


def visit(page, url: str) -> None:
    """Open ``url``, signing in on that URL when the browser holds no session yet (a
    session survives a reload and a new URL: a second sign-in would find no form)."""
    import re

    page.goto(url)
    form = page.get_by_label(re.compile("^(用户名|User name)$"))
    signed_in = page.get_by_role("button", name=re.compile("退出登录|Sign out"))
    form.or_(signed_in).first.wait_for(timeout=120_000)
    if form.count():
        log_in(page, url)
