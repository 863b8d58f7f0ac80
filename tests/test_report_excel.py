"""The Excel ledger and the CSV as a planner prints and filters them (issue 16).

The ledger of the synthetic demo district is opened with openpyxl: print set-up on every
sheet, the chain filter columns against each firm's chains, date cells, named fonts,
headers; then rendered by LibreOffice (``soffice --headless --convert-to pdf``) and its
pages counted per sheet and looked at (PNG in the test artefacts). The CSV's columns are
read back the same way.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import date, datetime

import openpyxl
import pytest

from tests.conftest import ARTIFACTS
from tracker.chains import init_store
from tracker.demo import load_demo
from tracker.reports import render_report
from tracker.reports.content import gather
from tracker.reports.csv import csv_headers
from tracker.reports.xlsx import CHAIN_MARK, FONT_NAMES, chain_columns
from tracker.scope import Scope
from tracker.store import get_engine

AS_OF = date(2026, 11, 27)
# Sheets that list firms, and the column of their credit codes (0-based).
FIRM_LISTS = {"企业明细": 0, "未覆盖企业": 0, "逾期未覆盖": 0, "走访记录": 0}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'redwood.db'}")
    init_store(engine)
    load_demo(engine, today=AS_OF)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def ledger(demo):
    data = render_report(demo, "xlsx", AS_OF)
    return data, openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def ledger_en(demo):
    data = render_report(demo, "xlsx", AS_OF, lang="en")
    return data, openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def content(demo):
    return gather(demo, AS_OF)


def _header_row(ws) -> int:
    """The row of the sheet's table header: the one its print titles repeat."""
    return int(ws.print_title_rows.replace("$", "").split(":")[0])


def _headers(ws) -> list:
    row = _header_row(ws)
    return [c.value for c in next(ws.iter_rows(min_row=row, max_row=row))]


def test_every_sheet_prints_one_page_wide_with_titles_and_footer(ledger, content):
    _, wb = ledger
    assert len(wb.sheetnames) == 10
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert int(setup.paperSize) == 9, ws.title  # A4
        assert setup.orientation in ("portrait", "landscape"), ws.title
        assert re.fullmatch(r"\$?\d+:\$?\d+", ws.print_title_rows.replace("$", "")), ws.title
        footer = ws.oddFooter
        assert footer.center.text == "第 &P 页 共 &N 页", ws.title
        assert AS_OF.isoformat() in footer.left.text and content.scope_text in footer.left.text
        assert footer.right.text == "&A"
        for part in (footer.left, footer.center, footer.right):
            assert part.font.startswith("等线"), ws.title
    # Wide sheets print landscape; the firm list's print area ends before the chain columns.
    assert wb["汇总"].page_setup.orientation == "landscape"
    assert wb["企业明细"].page_setup.orientation == "landscape"
    assert wb["企业明细"].print_area.replace("$", "").startswith("'企业明细'!A1:O")
    assert wb["企业明细"].print_title_rows.replace("$", "") == "1:1"
    assert wb["汇总"].print_title_rows.replace("$", "") == "3:3"


def test_english_footer(ledger_en):
    _, wb = ledger_en
    for ws in wb.worksheets:
        assert ws.oddFooter.center.text == "Page &P of &N"
        assert ws.oddFooter.left.text.startswith(f"As of {AS_OF.isoformat()}")


def test_chain_columns_agree_with_the_firms_chains(ledger, content):
    _, wb = ledger
    chains = chain_columns(content)
    assert len(chains) == 13
    names = [h for _, h in chains]
    codes_of = dict(zip(content.firms["credit_code"], content.firms["chain_codes"]))
    for sheet, code_col in FIRM_LISTS.items():
        ws = wb[sheet]
        headers = _headers(ws)
        assert headers[-13:] == names, sheet
        first = len(headers) - 13
        # The filter covers the chain columns.
        assert ws.auto_filter.ref.split(":")[1].rstrip("0123456789") == \
            openpyxl.utils.get_column_letter(len(headers))
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert rows, sheet
        for row in rows:
            marked = {code for (code, _), v in zip(chains, row[first:]) if v == CHAIN_MARK}
            assert all(v in (CHAIN_MARK, None) for v in row[first:]), sheet
            assert marked == set(codes_of[row[code_col]].split(";")), (sheet, row[code_col])
    # Filtering ✓ in one chain's column gives the chain's firm count of 汇总.
    firms = list(wb["企业明细"].iter_rows(min_row=2, values_only=True))
    for i, ch in enumerate(content.chains):
        assert sum(r[15 + i] == CHAIN_MARK for r in firms) == ch.counts.firms, ch.key
    # Every chain column offers at most two filter values (✓ and blank), not 85 texts.
    joined = Counter(r[2] for r in firms)
    assert len(joined) > 13  # the 所属产业链 column alone cannot filter one chain


def test_dates_are_date_cells(ledger):
    _, wb = ledger
    checked = 0
    for sheet, header in (("党组织", "成立日期"), ("逾期未覆盖", "未覆盖起始日"),
                          ("走访记录", "最近一次走访"), ("换届提醒", "本届开始日期"),
                          ("换届提醒", "应换届日期")):
        ws = wb[sheet]
        col = _headers(ws).index(header)
        cells = [r[col] for r in ws.iter_rows(min_row=2) if r[col].value is not None]
        assert cells, (sheet, header)
        for cell in cells:
            assert cell.is_date and isinstance(cell.value, datetime), (sheet, header, cell.value)
            assert cell.number_format == "yyyy-mm-dd"
        checked += len(cells)
    assert checked > 100
    notes = {r[0].value: r[1] for r in wb["说明"].iter_rows(min_row=2)}
    assert notes["统计日"].is_date and notes["统计日"].value == datetime(2026, 11, 27)
    assert notes["生成时间"].is_date and notes["生成时间"].number_format == "yyyy-mm-dd hh:mm"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_font_is_named_and_no_header_twice(request, lang):
    data, wb = request.getfixturevalue("ledger" if lang == "zh" else "ledger_en")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("xl/styles.xml").decode("utf-8")
    fonts = re.findall(r"<font>(.*?)</font>|<font/>", styles, re.DOTALL)
    assert fonts
    name = FONT_NAMES[lang][0]
    for font in fonts:
        assert f'<name val="{name}"/>' in font, font  # named, and the ledger's one font
    for ws in wb.worksheets:
        headers = [h for h in _headers(ws) if h is not None]
        assert len(headers) == len(set(headers)), (ws.title, Counter(headers).most_common(2))
        for row in ws.iter_rows(max_row=30):
            for cell in row:
                assert cell.font.name == name, (ws.title, cell.coordinate)
    rules = _headers(wb.worksheets[wb.sheetnames.index("规则检查" if lang == "zh" else "Rule checks")])
    assert sum("Rule" == h or "规则" == h for h in rules) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_title_names_the_chain_once(demo, lang):
    wb = openpyxl.load_workbook(io.BytesIO(render_report(
        demo, "xlsx", AS_OF, Scope.of(chains=["MEDDEV"]), lang)))
    title = wb.worksheets[0]["A1"].value
    assert title == wb.properties.title
    words = re.findall(r"产业链|[A-Za-z]+", title)
    assert not [w for w, n in Counter(words).items() if n > 1 and w not in ("the", "of")], title
    assert "产业链产业链" not in title and "chains: chains:" not in title
    assert wb.worksheets[0].oddHeader.center.text.endswith(title)


def test_csv_columns_say_date_scope_and_chain_codes(demo, content):
    scope = Scope.of(chains=["BIO", "AI"])
    text = render_report(demo, "csv", AS_OF, scope).decode("utf-8-sig")
    assert text.startswith("统一社会信用代码,")  # the header first: no comment lines
    rows = list(csv.reader(io.StringIO(text)))
    scoped = gather(demo, AS_OF, scope)
    headers = rows[0]
    assert headers == csv_headers(scoped)
    assert headers[-5:] == ["生物技术", "人工智能", "统计日", "统计范围", "产业链代码"]
    assert len(rows) - 1 == scoped.total.counts.firms
    # The codes of the scope's chains the firm is in (those its 所属产业链 names).
    codes_of = dict(zip(scoped.firms["credit_code"], scoped.firms["chain_codes"]))
    district = dict(zip(content.firms["credit_code"], content.firms["chain_codes"]))
    for row in rows[1:]:
        assert row[-3:-1] == [AS_OF.isoformat(), scoped.scope_text]
        codes = row[-1].split(";")
        assert row[-1] == codes_of[row[0]] and set(codes) <= {"BIO", "AI"}
        assert set(codes) <= set(district[row[0]].split(";"))
        assert [row[-5] == CHAIN_MARK, row[-4] == CHAIN_MARK] == ["BIO" in codes, "AI" in codes]


def test_csv_neutralises_formulas_in_every_column(sqlite_engine):
    from tests.builders import World

    w = World(sqlite_engine)
    w.firm("A", chains=["BIO"], formal=1, name="=HYPERLINK(1)", street="+街道", park="@园区")
    text = render_report(sqlite_engine, "csv", AS_OF).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert "'=HYPERLINK(1)" in row and "'+街道" in row and "'@园区" in row
    assert not [f for f in row if f[:1] in ("=", "+", "@")]


def _soffice_pdf(data: bytes, folder, stem: str):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed to open the ledger (scripts/test.sh installs it)"
    source = folder / f"{stem}.xlsx"
    source.write_bytes(data)
    subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=240)
    return folder / f"{stem}.pdf"


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def test_ledger_renders_in_libreoffice(ledger, tmp_path):
    """Each sheet one page wide; the summary on one page; the firm list in far fewer pages."""
    data, wb = ledger
    pdf = _soffice_pdf(data, tmp_path, "ledger")
    pages = _pages(pdf)
    # The footer's right part names the sheet: the pages of each sheet, in order.
    sheet_of = []
    for page in pages:
        lines = [line for line in page.splitlines() if "第 " in line and " 页" in line]
        assert lines, page[:200]
        sheet_of.append(lines[-1].split()[-1])
    counts = Counter(sheet_of)
    assert list(dict.fromkeys(sheet_of)) == wb.sheetnames
    assert counts["汇总"] == 1
    # 2,836 firms: 417 pages before issue 16; a page now holds 30 or more firms.
    firms = wb["企业明细"].max_row - 1
    assert counts["企业明细"] < min(150, firms / 25), counts
    # One page wide: a page holding the first column's header holds the last printed one's.
    for sheet, first, last in (("汇总", "产业链代码", "有效覆盖率"),
                               ("企业明细", "统一社会信用代码", "预备党员数")):
        for number, page in enumerate(pages):
            if sheet_of[number] == sheet:
                assert first in page and last in page, (sheet, number)
    # Pages to look at: the summary, the first firm page, a rule-check page.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number in (1, 2, sheet_of.index("规则检查") + 1):
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf), str(ARTIFACTS / f"ledger-page-{number}")],
                       check=True, timeout=60)
        assert (ARTIFACTS / f"ledger-page-{number}.png").stat().st_size > 10_000
