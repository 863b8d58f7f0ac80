"""End to end: one language at a time (issue 15), every page, in Debian's Chromium.

Each page of the navigation (read from ``tracker/dashboard/app.py``, so a new page is
scanned too), a firm's and an organisation's own page, and the login form are opened in
each language, and what the browser shows is read: the text of the app (Material icons,
drawn from ligature names such as ``upload_file``, left out), the placeholders of its
fields and the text of its charts.

- In English no Chinese character may remain, except in data values the store holds and
  the test enumerates (firm, organisation and liaison names, parks, streets, the plan's
  cited source) and the language switch, which names Chinese in Chinese.
- In Chinese none of Streamlit's own English words may show (:data:`STREAMLIT_ENGLISH`),
  no English month name may label a chart, and the words Streamlit draws itself are
  replaced by Chinese ones (``tracker.dashboard.face``).
- In both, no Deploy button and no developer menu.

The findings of all pages are gathered and reported together, page by page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.e2e.conftest import log_in
from tests.e2e.test_browser import AS_OF, settle
from tracker.dashboard.face import DATE_FIELD, WIDGET_WORDS
from tracker.i18n import t
from tracker.model import CoverageLink, Firm, Liaison, PartyOrg, Plan
from tracker.store import get_engine

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parents[2] / "tracker" / "dashboard" / "app.py"
LABELS = {"zh": "中文", "en": "English"}

#: Words Streamlit itself draws in English (widgets, menu, toolbar, status, errors).
STREAMLIT_ENGLISH = [
    "Deploy", "Upload", "Browse files", "Drag and drop", "per file", "Select all",
    "Choose an option", "Choose options", "No results", "Clear cache", "Record screen",
    "Rerun", "Settings", "Press Enter", "Skip to main content", "Ask Google", "Ask ChatGPT",
    "Made with Streamlit", "Running...", "Developer options", "Print", "About",
]
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\b")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

READ = """() => {
  const root = document.querySelector('[data-testid="stApp"]');
  const icons = [...root.querySelectorAll('[data-testid="stIconMaterial"]')];
  icons.forEach(e => { e.dataset.shown = e.style.display; e.style.display = 'none'; });
  const text = root.innerText;
  icons.forEach(e => { e.style.display = e.dataset.shown; delete e.dataset.shown; });
  const placeholders = [...root.querySelectorAll('input[placeholder], textarea[placeholder]')]
    .filter(e => !e.value).map(e => e.placeholder);
  const charts = [...root.querySelectorAll('.js-plotly-plot text')].map(e => e.textContent);
  const developer = root.querySelectorAll(
    '[data-testid="stAppDeployButton"], [data-testid="stMainMenu"]').length;
  return {text, placeholders, charts, developer};
}"""


def _pages() -> list[str]:
    """The URL paths of the navigation (the overview is ``/``)."""
    paths = re.findall(r'\(\s*"\w+\.py",\s*"(\w+)"', APP.read_text(encoding="utf-8"))
    assert "overview" in paths and "chain" in paths, paths
    return ["" if p == "overview" else p for p in paths]


def _store_values(url: str) -> tuple[list[str], str, str]:
    """(data values that may be Chinese in English, a firm's code, an organisation's code)."""
    with Session(get_engine(url)) as session:
        values = set(session.exec(select(Firm.name)).all())
        values |= {v for v in session.exec(select(Firm.park)).all() if v}
        values |= {v for v in session.exec(select(Firm.street)).all() if v}
        values |= set(session.exec(select(PartyOrg.name)).all())
        values |= set(session.exec(select(Liaison.name)).all())
        values |= set(session.exec(select(Liaison.unit)).all())
        values |= {v for v in session.exec(select(Plan.source)).all() if v}
        firm = session.exec(select(Firm.credit_code).order_by(Firm.credit_code)).first()
        org = session.exec(select(PartyOrg.code).join(CoverageLink, CoverageLink.org_id == PartyOrg.id)
                           .order_by(PartyOrg.code)).first()
    # The switch names each language in that language: 语言 / Language, 中文.
    values |= {"语言 / Language", LABELS["zh"]}
    return sorted(values, key=len, reverse=True), firm, org


def _findings(lang: str, seen: dict, allowed: list[str]) -> list[str]:
    found = []
    if seen["developer"]:
        found.append("a Deploy button or the developer menu is shown")
    shown = seen["text"] + "\n" + "\n".join(seen["placeholders"])
    if lang == "en":
        for line in dict.fromkeys(shown.splitlines()):
            if not CJK.search(line):
                continue
            rest = line
            for value in allowed:
                if value in rest:
                    rest = rest.replace(value, "‹data›")
            if CJK.search(rest):
                found.append(f"Chinese: {line.strip()[:160]}")
        for text in dict.fromkeys(seen["charts"]):
            if CJK.search(text) and not any(v in text for v in allowed):
                found.append(f"Chinese in a chart: {text[:120]}")
    else:
        for word in STREAMLIT_ENGLISH:
            for line in shown.splitlines():
                if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", line):
                    found.append(f"Streamlit's English '{word}': {line.strip()[:160]}")
        for text in dict.fromkeys(seen["charts"]):
            if MONTHS.search(text):
                found.append(f"English month on a chart: {text[:80]}")
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_one_language(served_store, page, shots, lang):
    base, url = served_store
    allowed, firm, org = _store_values(url)
    label = LABELS[lang]
    report: dict[str, list[str]] = {}

    # The login form first, as a colleague's link opens it.
    page.goto(f"{base}/?as_of={AS_OF}&lang={label}")
    page.get_by_role("button", name=t("app.login_submit", lang)).wait_for()
    settle(page)
    report["login"] = _findings(lang, page.evaluate(READ), allowed)
    log_in(page, f"{base}/?as_of={AS_OF}&lang={label}")

    targets = [(path, {}) for path in _pages()]
    targets += [("firms", {"firm": firm}), ("orgs", {"org": org})]
    for path, params in targets:
        query = "&".join(f"{k}={v}" for k, v in {**params, "as_of": AS_OF, "lang": label}.items())
        page.goto(f"{base}/{path}?{query}")
        page.get_by_role("button", name=t("app.logout", lang)).wait_for()
        settle(page)
        name = path or "overview"
        if params:
            name += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        report[name] = _findings(lang, page.evaluate(READ), allowed)
        page.screenshot(path=str(shots / f"language-{lang}-{path or 'overview'}"
                                 f"{'-record' if params else ''}.png"), full_page=True)

    problems = {name: found for name, found in report.items() if found}
    assert not problems, f"{lang}: strings of the other language\n" + "\n".join(
        f"[{name}]\n  " + "\n  ".join(found) for name, found in problems.items())


def _drawn(page, selector: str) -> list[str]:
    """The word drawn in place of each element matched (its ``::before`` content)."""
    return page.eval_on_selector_all(
        selector, "els => els.map(e => getComputedStyle(e, '::before').content)")


def test_streamlit_own_words_are_drawn_in_chinese(served_store, page, shots):
    """The uploader's button and limit, a multiselect's "Select all" and "No results":
    hidden in English and drawn in Chinese in the Chinese page; untouched in English."""
    base, _url = served_store
    log_in(page, f"{base}/data?as_of={AS_OF}")
    page.locator('[data-testid="stFileUploader"]').first.wait_for()
    settle(page)
    words = {key: sel for sel, key in WIDGET_WORDS}
    assert _drawn(page, words["widget_upload"]) == ['"上传"']
    assert _drawn(page, words["widget_upload_limit"]) == ['"单个文件不超过 200 MB"']
    uploader = page.locator('[data-testid="stFileUploader"]').first
    assert "Upload" not in uploader.inner_text() and "per file" not in uploader.inner_text()
    uploader.screenshot(path=str(shots / "language-zh-uploader.png"))

    page.goto(f"{base}/firms?as_of={AS_OF}")
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.locator('[role="option"][data-key="__select_all__"]').wait_for()
    assert _drawn(page, words["widget_select_all"]) == ['"全选"']
    page.keyboard.type("no such chain zzz")
    page.locator('[role="listbox"][data-empty="true"]').wait_for()
    assert _drawn(page, words["widget_no_results"]) == ['"无匹配项"']
    page.screenshot(path=str(shots / "language-zh-multiselect.png"))
    page.keyboard.press("Escape")

    page.goto(f"{base}/data?as_of={AS_OF}&lang=English")
    page.locator('[data-testid="stFileUploader"]').first.wait_for()
    settle(page)
    assert _drawn(page, words["widget_upload"]) == ["none"]
    assert "Upload" in page.locator('[data-testid="stFileUploader"]').first.inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_as_of_field_says_how_a_typed_date_applies(served_store, page, lang):
    """Under the sidebar's date, in the page's language: a typed date applies after Tab
    (or a click elsewhere). And so it does: a year typed, then Tab, changes the as-of date."""
    base, _url = served_store
    log_in(page, f"{base}/liaisons?as_of={AS_OF}&lang={LABELS[lang]}")
    settle(page)
    drawn = page.eval_on_selector(DATE_FIELD, "e => getComputedStyle(e, '::after').content")
    assert drawn == f'"{t("session.date_hint", lang)}"'
    page.locator(f'{DATE_FIELD} [data-type="year"]').click()
    page.keyboard.type("2024")
    for _ in range(3):  # month, day, the calendar button, then out of the field
        page.keyboard.press("Tab")
    page.wait_for_url(re.compile(r"as_of=2024-06-30"))
