"""End to end: the meeting-room view (大屏, ``/meeting``) on a 1920×1080 screen, in Chromium.

Signed in on the demo district at 2026-11-27 (after the 红杉林 plan's deadline), in each
language: the headline coverage rate is the store's (:func:`tracker.coverage.coverage`),
the uncovered count too, all 13 chains are tiles with a light, the deadline's verdict says
that the deadline has passed, the sidebar is collapsed, and nothing is wider than the
screen. Screenshots (the first screen as the room sees it) go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.conftest import log_in
from tests.e2e.test_browser import no_exception, settle
from tracker.coverage import coverage
from tracker.dashboard.views import fmt_int, fmt_pct
from tracker.plans import plan_in_force
from tracker.store import get_engine

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-27"
DAY = date.fromisoformat(AS_OF)


@pytest.fixture
def screen(browser, shots, request):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(shots / f"FAILED-meeting-{request.node.name[-8:]}.png"),
                        full_page=True)
    context.close()


@pytest.mark.parametrize("lang,heading,passed", [
    ("zh", "产业链党建覆盖", "截止日 2025-12-31 已过 331 天"),
    ("en", "weekly meeting", "2025-12-31, passed 331 days ago"),
])
def test_meeting_screen(served_store, screen, shots, lang, heading, passed):
    base, url = served_store
    engine = get_engine(url)
    plan = plan_in_force(engine, DAY)
    total = coverage(engine, DAY, denominator=plan.denominator).total
    label = "English" if lang == "en" else "中文"
    log_in(screen, f"{base}/meeting?as_of={AS_OF}&lang={label}")
    screen.locator("h1", has_text=heading).first.wait_for()
    settle(screen)
    no_exception(screen)

    rate = screen.locator('[data-testid="meeting-rate"] .rw-value').inner_text()
    assert rate == fmt_pct(total.coverage_rate)
    uncovered = screen.locator('[data-testid="meeting-uncovered"] .rw-value').inner_text()
    assert uncovered == fmt_int(total.uncovered)
    tiles = screen.locator('[data-testid="meeting-chain"]')
    assert tiles.count() == 13
    lights = {tiles.nth(i).get_attribute("data-light") for i in range(13)}
    assert lights <= {"red", "amber", "green", "grey"}
    assert passed in screen.locator('[data-testid="meeting-deadline"]').inner_text()
    overdue = screen.locator('[data-testid="meeting-overdue"] .rw-value').inner_text()
    assert re.fullmatch(r"[\d,]+", overdue)

    # The sidebar starts collapsed: the board has the whole width.
    assert screen.evaluate("""() => {
        const bar = document.querySelector('[data-testid="stSidebar"]');
        if (!bar) return true;
        const r = bar.getBoundingClientRect();
        return r.right <= 1 || r.width < 5;
    }""")
    # Nothing sideways: no horizontal scroll of the page or of its main area, and no tile
    # or figure whose content is wider than itself.
    wide = screen.evaluate("""() => {
        const out = [];
        const main = document.querySelector('[data-testid="stMain"]') || document.body;
        for (const el of [document.documentElement, main]) {
            if (el.scrollWidth > el.clientWidth + 1) out.push(el.tagName + ' ' + el.scrollWidth);
        }
        for (const el of document.querySelectorAll('.rw-figure, .rw-chain, .rw-name, .rw-value')) {
            if (el.scrollWidth > el.clientWidth + 1) out.push(el.className + ': ' + el.innerText);
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 1) out.push('off screen: ' + el.innerText);
        }
        return out;
    }""")
    assert wide == []
    screen.screenshot(path=str(shots / f"meeting-1920x1080-{lang}.png"))
    screen.screenshot(path=str(shots / f"meeting-1920x1080-{lang}-full.png"), full_page=True)
