"""Reports (issue 5): every format produced from a small hand-built district and read back.

The figures of each file are compared with :func:`tracker.coverage.coverage` for the same
date and scope; the Chinese text is read back with openpyxl, python-docx and pdftotext;
a PDF page is rendered to PNG in the test artefacts for a person to look at.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import date

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import World
from tracker.cli import run
from tracker.coverage import coverage
from tracker.reports import FORMATS, render_report, write_report
from tracker.reports.content import chinese_date, gather
from tracker.reports.safe import FORMULA_TRIGGERS, csv_text, looks_like_formula, put_cell
from tracker.scope import Scope

AS_OF = date(2025, 6, 30)
DANGEROUS = ["=1+2", "+SUM(A1:A3)", "-2+3", "@cmd", "\tTAB"]


def build_district(engine) -> World:
    """Three chains, eleven firms: organisation, work and no coverage; one firm in two chains."""
    w = World(engine)
    w.org("O1", formation="single", members=6, founded="2022-01-01", name="甲公司党支部")
    w.org("O2", formation="joint", members=5, founded="2022-01-01", name="科学城联合党支部")
    w.org("O3", formation="single", members=3, founded="2022-01-01", name="显示企业党支部")
    w.org("OLD", formation="single", members=4, founded="2020-01-01", dissolved="2024-01-01",
          name="已撤销党支部")
    w.liaison("王联络", unit="区工业和信息化局")
    # BIO: A org (own), B work, C none, D none (name starts with "="), E org (joint, also DISPLAY)
    w.firm("A", chains=["BIO"], formal=6, park="科学城", name="生物甲公司", master=True)
    w.link("O1", "A", start="2022-02-01")
    w.firm("B", chains=["BIO"], formal=1, park="科学城", name="生物乙公司")
    w.assign("王联络", "B", start="2023-01-01")
    w.firm("C", chains=["BIO"], formal=0, park="科学城", name="生物丙公司")
    w.firm("D", chains=["BIO"], formal=2, street="萝岗街道", name=DANGEROUS[0])
    w.firm("E", chains=["BIO", "DISPLAY"], formal=4, park="科学城", name="双链戊公司")
    w.link("O2", "E", start="2022-03-01")
    # DISPLAY: F org, G none (dangerous name), H covered only by a dissolved org → none
    w.firm("F", chains=["DISPLAY"], formal=3, park="知识城", name="显示己公司")
    w.link("O3", "F")
    w.firm("G", chains=["DISPLAY"], formal=0, park="知识城", name=DANGEROUS[1])
    w.firm("H", chains=["DISPLAY"], formal=1, park="知识城", name=DANGEROUS[2])
    w.link("OLD", "H")
    # AUTO: I org via joint, J left the chain before the date (not counted), K none
    w.firm("I", chains=["AUTO"], formal=1, park="知识城", name=DANGEROUS[3])
    w.link("O2", "I")
    w.firm("J", chains=["AUTO"], formal=0, park="知识城", name="已出链公司", left="2024-01-01")
    w.firm("K", chains=["AUTO"], formal=0, street="联和街道", name=DANGEROUS[4])
    return w


@pytest.fixture
def district(engine):
    build_district(engine)
    return engine


@pytest.fixture
def sqlite_district(sqlite_engine):
    build_district(sqlite_engine)
    return sqlite_engine


def _xlsx(engine, scope=Scope(), lang="zh"):
    data = render_report(engine, "xlsx", AS_OF, scope, lang)
    return openpyxl.load_workbook(io.BytesIO(data)), data


def _summary_rows(ws) -> dict[str, list]:
    """汇总 rows by chain code (column A), from the header row on."""
    rows = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0]:
            rows[row[0]] = list(row)
    return rows


# --------------------------------------------------------------------------- xlsx


def test_xlsx_figures_equal_coverage(district):
    wb, _ = _xlsx(district)
    assert wb.sheetnames == ["汇总", "企业明细", "未覆盖企业", "党组织", "规则检查", "计划", "说明"]
    expected = coverage(district, AS_OF, by="chain")
    rows = _summary_rows(wb["汇总"])
    for group in expected.groups:
        row = rows[group.key]
        c = group.counts
        assert row[1] == group.name
        assert row[2:6] == [c.firms, c.org_covered, c.work_covered, c.uncovered]
        assert row[6] == pytest.approx(c.coverage_rate) if c.firms else row[6] is None
    total = rows["*"]
    t = expected.total
    assert total[1] == "全区合计"
    assert total[2:6] == [t.firms, t.org_covered, t.work_covered, t.uncovered] == [10, 4, 1, 5]
    # Target 100 %: the gap is the uncovered count; BIO 5 firms, 3 covered → gap 2.
    assert rows["BIO"][10:13] == [5, 2, "未达标"]
    assert total[11] == 5
    ws = wb["汇总"]
    assert ws.freeze_panes == "A4"
    assert ws.cell(row=4, column=7).number_format == "0.0%"
    assert ws.conditional_formatting  # 已达标 / 未达标 colours

    firms = wb["企业明细"]
    assert firms.freeze_panes == "C2"
    assert firms.auto_filter.ref.startswith("A1:")
    header = [c.value for c in firms[1]]
    assert header[:6] == ["统一社会信用代码", "企业名称", "所属产业链", "环节", "链主企业", "覆盖状态"]
    body = list(firms.iter_rows(min_row=2, values_only=True))
    assert len(body) == t.firms
    status = [r[5] for r in body]
    assert (status.count("组织覆盖"), status.count("工作覆盖"), status.count("未覆盖")) == (4, 1, 5)
    by_name = {r[1]: r for r in body}
    assert by_name["双链戊公司"][2] == "生物技术、新型显示"
    assert by_name["双链戊公司"][7] == "科学城联合党支部"
    assert by_name["生物乙公司"][8].startswith("王联络（区工业和信息化局")
    assert "已出链公司" not in by_name
    assert len(list(wb["未覆盖企业"].iter_rows(min_row=2))) == t.uncovered

    orgs = {r[0]: r for r in wb["党组织"].iter_rows(min_row=2, values_only=True)}
    assert set(orgs) == {"O1", "O2", "O3"}  # the dissolved organisation is not active
    assert orgs["O2"][7] == 2  # covers E and I
    rules = [r[0] for r in wb["规则检查"].iter_rows(min_row=2, values_only=True)]
    assert "R1" in rules  # E has 4 formal members and only a joint organisation
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["统计日"] == "2025-06-30"
    assert notes["统计口径（分母）"] == expected.denominator_text
    assert notes["是否合成数据"] == "否"
    assert "生成时间" in notes


def test_xlsx_english_sheet_names(sqlite_district):
    wb, _ = _xlsx(sqlite_district, lang="en")
    assert wb.sheetnames[:2] == ["Summary", "Firms"]
    assert _summary_rows(wb["Summary"])["*"][1] == "District total"


def test_formula_injection_reads_back_as_text(sqlite_district):
    wb, data = _xlsx(sqlite_district)
    names = {}
    for ws in (wb["企业明细"],):
        for row in ws.iter_rows(min_row=2):
            names[row[1].value] = row[1]
    for text in DANGEROUS:
        cell = names[text]
        assert cell.value == text and cell.data_type == "s", text
    # No formula anywhere in the package: the sheets hold no <f> element.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name

    text = render_report(sqlite_district, "csv", AS_OF).decode("utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(text)) for f in row]
    for danger in DANGEROUS:
        assert "'" + danger in fields
        assert danger not in fields


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
       st.sampled_from(("", *[t for t in FORMULA_TRIGGERS if t != "\r"])))
@settings(max_examples=60, deadline=None)
def test_any_text_survives_xlsx_and_csv(text, prefix):
    value = prefix + text
    wb = openpyxl.Workbook()
    put_cell(wb.active["A1"], value)
    buffer = io.BytesIO()
    wb.save(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert (cell.value or "") == value
    escaped = csv_text(value)
    assert not looks_like_formula(escaped)
    assert escaped == value or escaped == "'" + value


# --------------------------------------------------------------------------- csv


def test_csv_is_the_ledger_with_bom(district):
    data = render_report(district, "csv", AS_OF)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["统一社会信用代码", "企业名称"]
    assert len(rows) - 1 == coverage(district, AS_OF).total.firms
    status = [r[5] for r in rows[1:]]
    assert status.count("未覆盖") == 5


# --------------------------------------------------------------------------- scope


def test_scope_restricts_everything(sqlite_district):
    engine = sqlite_district
    scope = Scope.of(chains=["BIO"])
    expected = coverage(engine, AS_OF, by="chain", scope=scope)
    wb, _ = _xlsx(engine, scope)
    rows = _summary_rows(wb["汇总"])
    assert set(rows) == {"BIO", "*"}
    assert rows["*"][1] == "范围合计"
    assert rows["*"][2:6] == [expected.total.firms, expected.total.org_covered,
                              expected.total.work_covered, expected.total.uncovered] == [5, 2, 1, 2]
    names = {r[1] for r in wb["企业明细"].iter_rows(min_row=2, values_only=True)}
    assert names == {"生物甲公司", "生物乙公司", "生物丙公司", DANGEROUS[0], "双链戊公司"}
    orgs = {r[0] for r in wb["党组织"].iter_rows(min_row=2, values_only=True)}
    assert orgs == {"O1", "O2"}  # O3 covers a DISPLAY firm only
    subjects = {r[5] for r in wb["规则检查"].iter_rows(min_row=2, values_only=True)}
    assert not subjects & {"显示己公司", DANGEROUS[1], DANGEROUS[2], DANGEROUS[3], DANGEROUS[4]}
    plan_text = " ".join(str(v) for r in wb["计划"].iter_rows(values_only=True) for v in r if v)
    for outside in ("显示己公司", DANGEROUS[4]):
        assert outside not in plan_text
    ledger = render_report(engine, "csv", AS_OF, scope).decode("utf-8-sig")
    assert len(ledger.strip().splitlines()) == 1 + 5
    assert "显示己公司" not in ledger and "+SUM" not in ledger

    content = gather(engine, AS_OF, scope)
    assert [c.key for c in content.chains] == ["BIO"]
    assert content.scope_text == "生物技术产业链"


# --------------------------------------------------------------------------- docx


def _docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_docx_official_layout_and_figures(sqlite_district):
    engine = sqlite_district
    data = render_report(engine, "docx", AS_OF)
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    # Word stores twips: compare to a tenth of a millimetre.
    assert [round(x.mm, 1) for x in (section.page_width, section.page_height)] == [210, 297]
    assert [round(x.mm, 1) for x in (section.top_margin, section.bottom_margin,
                                     section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    title = document.paragraphs[0]
    assert title.text == "关于全区产业链党建工作覆盖情况的报告"
    assert title.style.font.size == Pt(22)
    assert title.style.element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = document.styles["Normal"]
    assert body.font.size == Pt(16)
    assert body.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    heads = [p for p in document.paragraphs if p.style.name == "一级标题"]
    assert [h.text[:2] for h in heads][:4] == ["一、", "二、", "三、", "四、"]
    assert heads[0].style.element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert document.paragraphs[1].text.endswith("：")  # 主送

    text = _docx_text(document)
    total = coverage(engine, AS_OF).total
    assert f"共{total.firms}家" in text and f"尚未覆盖{total.uncovered}家" in text
    assert "工作覆盖率50.0%" in text
    # Lagging chains by gap: BIO 2 firms short, DISPLAY 2, AUTO 1.
    assert "生物技术（覆盖率60.0%，差2家）" in text
    assert "汽车制造（智能网联与新能源汽车）（覆盖率50.0%，差1家）" in text
    assert chinese_date(date.today()) in text  # 落款 date in Chinese numerals
    assert "红杉林计划工作专班" in text
    assert "附件" in text and DANGEROUS[0] in text  # the attachment lists the uncovered firms
    chain_table = document.tables[0]
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in chain_table.rows}
    assert cells["生物技术"][1:6] == ["5", "2", "1", "2", "60.0%"]
    assert cells["全区合计"][1] == str(total.firms)
    assert len(document.inline_shapes) >= 1, "charts are missing (is chromium installed?)"


def test_chinese_date():
    assert chinese_date(date(2026, 11, 25)) == "二〇二六年十一月二十五日"
    assert chinese_date(date(2030, 1, 10)) == "二〇三〇年一月十日"
    assert chinese_date(date(2025, 12, 31)) == "二〇二五年十二月三十一日"


# --------------------------------------------------------------------------- pdf


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_pdf_text_fonts_and_rendered_page(sqlite_district, tmp_path, artifacts):
    engine = sqlite_district
    lines: list[str] = []
    path = write_report(engine, "pdf", tmp_path / "报告.pdf", AS_OF, progress=lines.append)
    assert path.read_bytes().startswith(b"%PDF")
    assert any("正在生成图表" in line for line in lines) and "已生成" in lines[-1]
    # Each stage of gathering says when it starts, in order (a province's report gathers
    # for minutes).
    stages = [line.split("（")[0].strip(" ·") for line in lines if line.startswith("  · ")]
    assert stages == ["统计覆盖率", "检查组织设置规则", "读取企业台账", "整理党组织名录", "测算补盲计划"]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    compact = "".join(text.split())
    assert "关于全区产业链党建工作覆盖情况的报告" in compact
    assert "全区纳入统计的产业链企业共10家" in compact
    assert "工作覆盖率50.0%" in compact
    assert "一、总体情况" in compact and "二、各产业链覆盖情况" in compact
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSerifCJKSC" in fonts and " yes yes yes " in fonts  # embedded subset, unicode
    stem = artifacts / "report-page"
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "2", str(path), str(stem)],
                   check=True)
    pages = sorted(artifacts.glob("report-page*.png"))
    assert pages and pages[0].stat().st_size > 20_000


# --------------------------------------------------------------------------- entry points


def test_cli_report_writes_each_format(sqlite_district, sqlite_url, tmp_path):
    out = tmp_path / "台账.xlsx"
    code = run(["--db", sqlite_url, "report", "--format", "xlsx", "-o", str(out),
                "--as-of", "2025-06-30", "--chain", "DISPLAY", "-q"])
    assert code == 0
    rows = _summary_rows(openpyxl.load_workbook(out)["汇总"])
    assert set(rows) == {"DISPLAY", "*"} and rows["*"][2] == 4  # E, F, G, H
    csv_out = tmp_path / "ledger.csv"
    assert run(["--db", sqlite_url, "report", "--format", "csv", "-o", str(csv_out),
                "--as-of", "2025-06-30", "--lang", "en", "-q"]) == 0
    assert csv_out.read_text(encoding="utf-8-sig").startswith("Credit code,Firm")
    assert run(["--db", sqlite_url, "report", "--format", "csv", "-o", str(csv_out),
                "--chain", "NOPE"]) != 0
    assert run(["--db", sqlite_url, "report", "--format", "odt", "-o", str(csv_out)]) != 0
    # A missing folder is refused before any work (no progress line, no file).
    lines: list[str] = []
    with pytest.raises(ValueError, match="目录不存在"):
        write_report(sqlite_district, "pdf", tmp_path / "missing" / "r.pdf", AS_OF,
                     progress=lines.append)
    assert lines == [] and not (tmp_path / "missing").exists()


def test_formats_and_render_are_consistent(sqlite_district):
    assert list(FORMATS) == ["xlsx", "docx", "pdf", "csv"]
    with pytest.raises(ValueError):
        render_report(sqlite_district, "odt", AS_OF)
    a = render_report(sqlite_district, "csv", AS_OF)
    b = render_report(sqlite_district, "csv", AS_OF)
    assert a == b  # the ledger depends on the data and the date only


def test_english_written_report_without_charts(sqlite_district):
    """Every English string exists, and a report without charts says why (no Chromium used)."""
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx
    from tracker.reports.pdf import write_pdf

    content = gather(sqlite_district, AS_OF, Scope.of(chains=["BIO", "AUTO"]), lang="en")
    assert content.total.name == "Total of the scope"
    missing = ChartSet(error="no browser")
    buffer = io.BytesIO()
    write_docx(content, missing, buffer)
    text = _docx_text(docx.Document(io.BytesIO(buffer.getvalue())))
    assert "1. Overview" in text and "Charts could not be rendered: no browser" in text
    assert "Biotechnology (60.0%, 2 firms short)" in text
    pdf = io.BytesIO()
    write_pdf(content, missing, pdf)
    assert pdf.getvalue().startswith(b"%PDF")


def test_summary_counts_uncovered_above_size_and_r1_firms(sqlite_engine):
    """The written summary counts from the firm flags, in either language."""
    w = build_district(sqlite_engine)
    w.firm("L", chains=["BIO"], formal=3, above_size=True, park="科学城", name="规上庚公司")
    w.firm("M", chains=["AUTO"], formal=5, name="大党员辛公司")
    zh = gather(sqlite_engine, AS_OF).summary["uncovered"]
    assert zh[0] == "尚未覆盖的企业共7家，名单见附件。"  # C, D, G, H, K, L, M
    assert "其中规上企业1家" in zh[1] and "单独组建条件的企业2家" in zh[1]
    en = gather(sqlite_engine, AS_OF, lang="en").summary["uncovered"]
    assert "1 are above designated size and 2 have 3 or more formal members" in en[1]


# --------------------------------------------------------------------------- scale


def test_firm_list_continues_on_further_sheets(sqlite_district, monkeypatch):
    """Past a sheet's row limit the ledger goes on in 企业明细（续2）…, each with its header."""
    from tracker.reports import xlsx

    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 4)
    wb, _ = _xlsx(sqlite_district)
    assert wb.sheetnames[:4] == ["汇总", "企业明细", "企业明细（续2）", "企业明细（续3）"]
    assert wb.sheetnames[4:6] == ["未覆盖企业", "未覆盖企业（续2）"]
    header = [c.value for c in wb["企业明细"][1]]
    seen = []
    for name, expected_rows in (("企业明细", 4), ("企业明细（续2）", 4), ("企业明细（续3）", 2)):
        ws = wb[name]
        assert [c.value for c in ws[1]] == header and ws.freeze_panes == "C2"
        body = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(body) == expected_rows
        assert ws.auto_filter.ref == f"A1:O{expected_rows + 1}"
        seen += [r[0] for r in body]
    content = gather(sqlite_district, AS_OF)
    assert seen == list(content.firms["credit_code"])  # every firm once, in ledger order


@pytest.fixture(scope="module")
def small_content():
    from tracker.store import get_engine
    from tracker.chains import init_store

    engine = get_engine("sqlite://")
    init_store(engine)
    build_district(engine)
    return gather(engine, AS_OF)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
                | st.sampled_from(DANGEROUS), min_size=10, max_size=10),
       st.integers(min_value=0, max_value=10**6))
@settings(max_examples=25, deadline=None)
def test_streamed_rows_read_back_exactly(small_content, names, members):
    """The firm rows streamed into the package read back as written: any text, numbers."""
    from tracker.reports.xlsx import write_xlsx

    content = small_content
    firms = content.firms.copy()
    firms["name"] = names
    firms["street"] = [" " + n + " " for n in names]  # spaces kept at both ends
    firms["formal_members"] = members
    original, content.firms = content.firms, firms
    try:
        buffer = io.BytesIO()
        write_xlsx(content, buffer)
    finally:
        content.firms = original
    ws = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["企业明细"]
    rows = list(ws.iter_rows(min_row=2))
    assert [(r[1].value or "") for r in rows] == names
    assert [r[10].value for r in rows] == [" " + n + " " for n in names]
    assert {r[13].value for r in rows} == {members}
    for r in rows:
        assert r[1].data_type == "s" or r[1].value is None
        assert r[1].quotePrefix == looks_like_formula(r[1].value)


def test_written_report_lists_at_most_the_limit(sqlite_district, monkeypatch):
    """Past ATTACHMENT_LIMIT the attachment keeps the firms with most formal members and says so."""
    from tracker.reports import outline
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx

    monkeypatch.setattr(outline, "ATTACHMENT_LIMIT", 3)
    content = gather(sqlite_district, AS_OF)
    # Uncovered: C (0 formal), D (2), G (0), H (1), K (0): the three with most members are
    # D, H and one of C/G/K by ledger order; shown in ledger order.
    shown = outline.attachment_firms(content)
    assert sorted(shown["formal_members"], reverse=True)[:2] == [2, 1]
    assert len(shown) == 3
    ledger = list(content.uncovered["credit_code"])
    assert list(shown["credit_code"]) == [c for c in ledger if c in set(shown["credit_code"])]
    zero = [c for c, n in zip(ledger, content.uncovered["formal_members"]) if n == 0]
    assert zero[0] in set(shown["credit_code"])
    buffer = io.BytesIO()
    write_docx(content, ChartSet(error="no browser"), buffer)
    document = docx.Document(io.BytesIO(buffer.getvalue()))
    text = _docx_text(document)
    assert "附件列出其中正式党员最多的3家" in text and "全部5家见 Excel 台账" in text
    assert len(document.tables[-1].rows) == 1 + 3
    monkeypatch.setattr(outline, "ATTACHMENT_LIMIT", 2000)
    assert len(outline.attachment_firms(content)) == 5


def test_docx_long_table_rows_equal_their_data(sqlite_district):
    """Rows after the first are copies of a finished row: each holds its own texts, in order."""
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx

    content = gather(sqlite_district, AS_OF)
    buffer = io.BytesIO()
    write_docx(content, ChartSet(error="no browser"), buffer)
    table = docx.Document(io.BytesIO(buffer.getvalue())).tables[-1]
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    expected = [[str(i), r.name, r.credit_code, r.chains, r.park, str(r.formal_members)]
                for i, r in enumerate(content.uncovered.itertuples(), start=1)]
    assert body == expected
    aligned = {row.cells[5].paragraphs[0].alignment for row in table.rows[1:]}
    assert len(aligned) == 1 and aligned != {None}  # numbers right-aligned in every row
