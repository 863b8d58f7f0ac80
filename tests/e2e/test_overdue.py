"""End to end: the officer's to-do list and the visit form, in Chromium on the demo district.

The overview at 2026-11-27 (after the 红杉林 plan's deadline) lists the overdue firms right
after the headline; ticking a row opens that firm on the firms page. The data page records
a visit of an officer to a firm they are assigned to, and the store holds it. Screenshots
of the overview in Chinese and English, the opened firm and the saved visit go to the test
artefacts (``e2e/``).
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.conftest import log_in, visit
from tests.e2e.test_browser import no_exception, settle
from tracker.dashboard import firm_officers, views
from tracker.intervals import is_active
from tracker.store import get_engine
from tracker.visits import last_visits, officers

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-27"
DAY = date.fromisoformat(AS_OF)
HEADER_PX = 35  # the height of a data frame's header row, and of each row
ROW_PX = 35


def test_overview_and_the_overdue_list_open_the_firm(served_store, page, shots):
    base, url = served_store
    engine = get_engine(url)
    first = views.overdue_list(engine, DAY).frame.iloc[0]
    log_in(page, f"{base}/?as_of={AS_OF}&lang=English")
    page.locator("h1", has_text="Overview").first.wait_for()
    settle(page)
    page.get_by_text("Overdue:").first.wait_for()
    no_exception(page)
    body = page.inner_text("body")
    assert "Result on the deadline" in body and "Standing on the as-of date" in body
    page.screenshot(path=str(shots / "overview-2026-11-27-en.png"), full_page=True)
    page.locator("h3", has_text="The chains").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "overview-2026-11-27-en-chains.png"))

    # The same browser, still signed in: the Chinese overview without a second sign-in.
    visit(page, f"{base}/?as_of={AS_OF}&lang=中文")
    page.locator("h1", has_text="总览").first.wait_for()
    settle(page, AS_OF)
    page.get_by_text("逾期未覆盖企业").first.wait_for()
    no_exception(page)
    body = page.inner_text("body")
    assert "截止日 2025-12-31 已过 331 天" in body
    assert "截止日结果" in body and "统计日状态" in body and "有效覆盖率" in body
    page.screenshot(path=str(shots / "overview-2026-11-27-zh.png"), full_page=True)
    page.locator("h3", has_text="各产业链").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "overview-2026-11-27-zh-chains.png"))
    # The overdue list is the first table on the page; its first row's selection box.
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + HEADER_PX + ROW_PX / 2)
    page.wait_for_function("() => location.pathname.endsWith('/firms')", timeout=60_000)
    settle(page, AS_OF)
    no_exception(page)
    assert f"firm={first['credit_code']}" in page.evaluate("location.search")
    page.locator("h3", has_text=f"{first['name']}（{first['credit_code']}）").wait_for()
    page.screenshot(path=str(shots / "overdue-opens-firm.png"), full_page=True)


def _visit_target(engine):
    """A firm whose first listed officer is assigned to it on the as-of date."""
    for officer in officers(engine, DAY):
        for firm in officer.firms:
            people = firm_officers(engine, firm["credit_code"])
            if people and any(is_active(s, e, DAY) for s, e in people[0]["periods"]):
                return firm, people[0]
    raise AssertionError("the demo has no assigned officer")


def test_record_a_visit(served_store, page, shots):
    base, url = served_store
    engine = get_engine(url)
    firm, person = _visit_target(engine)
    code = firm["credit_code"]
    log_in(page, f"{base}/data?as_of={AS_OF}")
    page.locator("h1", has_text="数据").first.wait_for()
    settle(page, AS_OF)
    page.locator('[data-testid="stSelectbox"]', has_text="编辑内容").click()
    page.get_by_role("option", name="登记走访").click()
    settle(page, AS_OF)
    page.get_by_label("企业统一社会信用代码").fill(code)
    page.get_by_label("企业统一社会信用代码").press("Enter")
    settle(page, AS_OF)
    page.get_by_role("button", name="载入").click()
    settle(page, AS_OF)
    page.get_by_text(re.compile(f"（{code}）")).first.wait_for()
    page.get_by_label("备注").fill("端到端测试走访")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").wait_for(timeout=60_000)
    settle(page, AS_OF)
    no_exception(page)
    page.screenshot(path=str(shots / "visit-recorded.png"), full_page=True)
    assert last_visits(engine, DAY, [code], by_code=True) == {code: DAY}
    assert person["name"] in page.inner_text("body")
