"""End to end: the officer's drill-down in Chromium (issue 15).

From the overview a click on a chain's row or bar opens the chain page, and a click on a
firm's row there opens the firm's page; a deep link ``/firms?firm=…&lang=English`` opened
cold shows that firm right after the sign-in on the same URL, with why it is uncovered and
what to do; the overview's chain table shows all 13 chains without a scroll box and offers
its downloads (the Excel file named with the as-of date holds the 13 chains); the firm
search forgives (广州市…, spaces, pinyin initials, a lower-case code). Screenshots in both
languages go to ``test-artifacts/e2e/drill-*.png``.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import log_in, visit
from tests.e2e.test_browser import no_exception, settle
from tracker.dashboard import views
from tracker.i18n import t
from tracker.search import build_index, initials, strip_place
from tracker.store import get_engine

pytestmark = pytest.mark.e2e

AS_OF = "2025-06-30"
DAY = date.fromisoformat(AS_OF)
TALL = {"width": 1440, "height": 4400}  # Streamlit scrolls inside the page: show it all


@pytest.fixture(scope="module")
def engine(served_store):
    engine = get_engine(served_store[1])
    yield engine
    engine.dispose()


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def open_overview(page, base: str, lang: str = "中文") -> None:
    page.set_viewport_size(TALL)
    visit(page, f"{base}/?as_of={AS_OF}&lang={lang}")
    page.locator("h3", has_text=re.compile("各产业链：|The chains:")).wait_for(timeout=180_000)
    settle(page)
    page.wait_for_timeout(1500)
    no_exception(page)


def chains_grid(page):
    """The overview's chain table (the last table of the page)."""
    return page.locator('[data-testid="stDataFrame"]').last


def click_row(page, grid, row: int = 0) -> None:
    """Pick a row of a table: a click on its row marker (the first 40 pixels)."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 36 + 35 * row + 17)


def click_bar(page, index: int = 0) -> None:
    """Click a bar of the overview's chain chart (the first trace: the smallest gap)."""
    chart = page.locator(".js-plotly-plot", has_text="各产业链覆盖率").first
    bar = chart.locator(".bars .point path").nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_overview_to_chain_to_firm_by_clicking(served_app, engine, page, shots):
    view = views.overview(engine, DAY)
    open_overview(page, served_app)
    page.screenshot(path=str(shots / "drill-overview-zh.png"), full_page=True)
    # The chain table's first row (the lowest rate) opens that chain.
    click_row(page, chains_grid(page), 0)
    page.wait_for_url(re.compile(r"/chain\?"), timeout=60_000)
    assert query(page)["chain"] == view.chains[0].code
    assert query(page)["as_of"] == AS_OF
    page.locator("h1", has_text=view.chains[0].name).wait_for()
    # Back on the overview, a click on a bar opens its chain (the top bar: the largest gap).
    open_overview(page, served_app)
    first = min(view.chains, key=lambda r: (r.gap, -(r.counts.coverage_rate or 0)))
    click_bar(page)
    page.wait_for_url(re.compile(r"/chain\?"), timeout=60_000)
    assert query(page)["chain"] == first.code
    page.locator("h1", has_text=first.name).wait_for()
    # Back to the overview through the navigation: the old click opens nothing again, and
    # a new click on the bar opens the chain again.
    page.locator('[data-testid="stSidebarNav"] a', has_text="总览").click()
    page.locator("h3", has_text="各产业链：").wait_for(timeout=180_000)
    settle(page)
    page.wait_for_timeout(3000)
    assert "/chain" not in page.url
    click_bar(page)
    page.wait_for_url(re.compile(r"/chain\?"), timeout=60_000)
    page.locator("h1", has_text=first.name).wait_for()
    settle(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "drill-chain-zh.png"), full_page=True)
    # On the chain page a firm's row opens the firm (the first table whose rows do).
    grids = page.locator('[data-testid="stDataFrame"]')
    for i in range(grids.count()):
        click_row(page, grids.nth(i), 0)
        page.wait_for_timeout(4_000)
        settle(page)
        if "/firms?" in page.url:
            break
    else:
        pytest.fail("no row of the chain page opened a firm")
    code = query(page)["firm"]
    card = views.firm_card(engine, code, DAY)
    assert card is not None and first.code in card.row["chains"].split(";")
    page.locator("h3", has_text=f"（{code}）").wait_for()
    settle(page)
    body = page.inner_text("body")
    assert card.name in body and "覆盖状态" in body
    assert "止（不含）" not in body
    page.screenshot(path=str(shots / "drill-firm-zh.png"), full_page=True)


def test_deep_link_to_a_firm_after_sign_in(served_app, engine, page, shots):
    """A link to an uncovered, overdue firm in English, opened in a new browser: the sign-in
    shows first, then that firm with its reason and the suggested action."""
    page.set_viewport_size(TALL)
    queue = views.overdue_list(engine, DAY, lang="en").frame
    code = queue["credit_code"].iloc[0]
    card = views.firm_card(engine, code, DAY, lang="en")
    log_in(page, f"{served_app}/firms?firm={code}&as_of={AS_OF}&lang=English")
    # The heading in English brackets: "name (code)".
    heading = t("drill.aside", "en", text=card.name, detail=code)
    page.locator("h3", has_text=heading).wait_for(timeout=120_000)
    settle(page)
    page.wait_for_timeout(1000)
    no_exception(page)
    assert query(page)["firm"] == code
    body = page.inner_text("body")
    assert card.name in body
    assert f"Why uncovered: {card.reason}" in body
    assert "Overdue: uncovered for" in body
    assert card.action and f"Suggested action: {card.action}" in body
    assert "Rule findings" in body
    page.screenshot(path=str(shots / "drill-firm-en.png"), full_page=True)
    # A lower-case code in a link opens the same firm.
    page.goto(f"{served_app}/firms?firm={code.lower()}&as_of={AS_OF}&lang=English")
    page.locator("h3", has_text=heading).wait_for(timeout=120_000)


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_chain_table_shows_every_chain_and_downloads(served_app, engine, page, shots, lang):
    open_overview(page, served_app, lang)
    grid = chains_grid(page)
    grid.scroll_into_view_if_needed()
    # Full height: the grid scrolls nothing vertically (all 13 rows are drawn).
    inner, shown = grid.locator(".dvn-scroller").evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert inner <= shown + 2, (inner, shown)
    assert grid.bounding_box()["height"] >= 36 + 13 * 35
    suffix = "zh" if lang == "中文" else "en"
    grid.screenshot(path=str(shots / f"drill-chains-table-{suffix}.png"))
    page.locator(".js-plotly-plot", has_text=re.compile("各产业链覆盖率|Coverage by chain")) \
        .first.screenshot(path=str(shots / f"drill-chains-chart-{suffix}.png"))
    button = page.get_by_role("button", name=re.compile("下载 Excel|Download Excel")).last
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(f"_{AS_OF}.xlsx")
    # The saved download has no extension, which openpyxl wants: read its bytes.
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    chains = {name for _, name in views.chain_list(engine, "zh" if lang == "中文" else "en")}
    assert len(rows) == 14 and {r[0] for r in rows[1:]} == chains
    # The to-do list and the chain table (the month's losses are none on that day).
    assert page.get_by_role("button", name=re.compile("下载 CSV|Download CSV")).count() >= 2


def test_search_forgives(served_app, engine, page, shots):
    """The ways an officer types a firm all find it on the firms page."""
    page.set_viewport_size(TALL)
    frame = views.firm_table(engine, DAY)
    target = next(n for n in frame["name"] if n.startswith("广州") and not n.startswith("广州市"))
    code = frame.loc[frame["name"] == target, "credit_code"].iloc[0]
    core = strip_place(target)[:2]
    index = build_index(frame["name"], frame["credit_code"])
    visit(page, f"{served_app}/firms?as_of={AS_OF}")
    box = page.get_by_label(re.compile("搜索企业"))
    for typed in (f"广州市{core}", " ".join(core), code.lower(), initials(target)[:4]):
        box.fill(typed)
        box.press("Enter")
        found = index.find(typed)
        assert code in set(frame["credit_code"].iloc[found]), typed
        page.get_by_text(re.compile(f"找到 {len(found):,} 家")).wait_for(timeout=60_000)
        settle(page)
        if len(found) == 1:
            page.locator("h3", has_text=f"{target}（{code}）").wait_for()
    page.screenshot(path=str(shots / "drill-search-zh.png"), full_page=True)
