"""End to end: the dashboard as the README starts it, in Debian's Chromium.

Opens every page, switches the as-of date through the sidebar control (and checks that the
URL keeps it), runs an import through the upload on the 数据 page, and saves a screenshot
of each step in the test artefacts (``test-artifacts/e2e``) to be looked at for missing
CJK glyphs. The tests run in file order on one server: the import, which replaces the
demo data, comes last.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, visit
from tracker import uscc

pytestmark = pytest.mark.e2e

# (URL path, heading, an element that shows the page has been drawn, not only run)
PAGES = [("", "总览", ".js-plotly-plot"), ("chain", "生物技术", ".js-plotly-plot"),
         ("firms", "企业", '[data-testid="data-grid-canvas"]'),
         ("orgs", "党组织", '[data-testid="stExpander"]'),
         ("liaisons", "联络员", '[data-testid="data-grid-canvas"]'),
         ("plan", "缺口与计划", '[data-testid="data-grid-canvas"]'),
         ("reports", "报表", '[data-testid="stSelectbox"]'),
         ("data", "数据", '[data-testid="stFileUploader"]'),
         ("meeting", "产业链党建覆盖", '[data-testid="meeting-chain"]')]
AS_OF = "2025-06-30"


def settle(page, day: str | None = None) -> None:
    """Wait until Streamlit has finished the script run and drawn it (no running icon,
    no stale element, no placeholder skeleton) and, with ``day``, until the provenance
    footer states that date."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        """(day) => !document.querySelector('[data-testid^="stStatusWidgetRunning"]')
              && !document.querySelector('[data-stale="true"]')
              && !document.querySelector('[data-testid="stSkeleton"]')
              && (day === null || document.body.innerText.includes('统计日：' + day))""",
        arg=day, timeout=120_000)
    page.wait_for_timeout(500)  # let plotly finish drawing before a screenshot


def metric(page, label: str):
    return page.locator('[data-testid="stMetric"]', has_text=label).first.locator(
        '[data-testid="stMetricValue"]')


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]


@pytest.mark.parametrize("path,heading,drawn", PAGES)
def test_every_page_opens(served_app, page, shots, path, heading, drawn):
    log_in(page, f"{served_app}/{path}?as_of={AS_OF}")
    page.locator("h1", has_text=heading).first.wait_for()
    settle(page, AS_OF)
    page.locator(drawn).first.wait_for()
    page.wait_for_timeout(1000)
    no_exception(page)
    body = page.inner_text("body")
    assert "演示数据" in body, "the synthetic-data banner is on every page"
    assert f"统计日：{AS_OF}" in body, "the provenance footer states the date"
    assert "Page not found" not in body
    if path in ("", "chain"):
        assert page.locator(".js-plotly-plot").count() >= 1
        assert re.search(r"\d+\.\d%", body), "rates with one decimal"
    page.screenshot(path=str(shots / f"{path or 'overview'}.png"), full_page=True)


def test_switch_the_as_of_date(served_app, page, shots):
    log_in(page, f"{served_app}/?as_of={AS_OF}")
    page.locator("h1", has_text="总览").first.wait_for()
    settle(page, AS_OF)
    firms_then = metric(page, "企业数").inner_text()
    # The date field is made of year / month / day segments; typing moves along them.
    page.locator('[data-testid="stDateInput"] [data-type="year"]').click()
    page.keyboard.type("20230131")
    page.locator("h1").first.click()  # the value is committed when the field loses focus
    page.wait_for_function("() => location.search.includes('as_of=2023-01-31')")
    settle(page, "2023-01-31")
    no_exception(page)
    assert metric(page, "企业数").inner_text() != firms_then, "the figures follow the date"
    page.screenshot(path=str(shots / "overview-2023-01-31.png"), full_page=True)
    # The date stays when another page is chosen in the navigation.
    page.locator('[data-testid="stSidebarNav"] a', has_text="产业链").click()
    page.wait_for_function("() => location.pathname.endsWith('/chain')")
    settle(page, "2023-01-31")
    assert "as_of=2023-01-31" in page.evaluate("location.href")
    no_exception(page)
    # A link with the date opens the same view (the sign-in survives: no form to fill).
    visit(page, f"{served_app}/chain?as_of=2023-01-31")
    settle(page, "2023-01-31")
    no_exception(page)


def test_english_switch(served_app, page, shots):
    log_in(page, f"{served_app}/?as_of={AS_OF}&lang=English")
    page.locator("h1", has_text="Overview").first.wait_for()
    settle(page)
    page.get_by_text(f"As of {AS_OF}").wait_for()
    no_exception(page)
    page.screenshot(path=str(shots / "overview-en.png"), full_page=True)


def _workbook(path, codes: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "企业名称", "产业链", "正式党员数", "入链日期"])
    for i, code in enumerate(codes):
        ws.append([code, f"端到端测试企业{i + 1}号有限公司", "BIO", i, "2024-01-15"])
    wb.save(path)


def test_import_through_the_upload(served_app, page, shots, tmp_path):
    codes = [uscc.make(f"91440112{n:09d}") for n in (987654321, 987654322, 987654323)]
    workbook = tmp_path / "端到端台账.xlsx"
    _workbook(workbook, codes)
    today = date.today().isoformat()
    log_in(page, f"{served_app}/data?as_of={today}")
    page.locator("h1", has_text="数据").first.wait_for()
    settle(page, today)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(workbook))
    page.get_by_text("全部行通过校验").wait_for()
    settle(page, today)
    no_exception(page)
    page.screenshot(path=str(shots / "data-preview.png"), full_page=True)
    # The store holds the demo: the ledger replaces it, once the user has ticked that the
    # demo data goes (the button stays disabled until then).
    replace = page.get_by_role("button", name="用此台账替换演示数据")
    expect(replace).to_be_disabled()
    page.get_by_text("我确认：删除全部演示数据").click()
    settle(page, today)
    expect(replace).to_be_enabled()
    replace.click()
    page.get_by_text("导入完成").wait_for(timeout=120_000)
    settle(page, today)
    no_exception(page)
    page.screenshot(path=str(shots / "data-imported.png"), full_page=True)
    # The overview now shows the imported district: three firms, no demo banner.
    visit(page, f"{served_app}/?as_of={today}")
    page.locator("h1", has_text="总览").first.wait_for()
    settle(page, today)
    expect(metric(page, "企业数")).to_have_text("3")
    assert "合成数据" not in page.inner_text("body")
    page.screenshot(path=str(shots / "overview-after-import.png"), full_page=True)
