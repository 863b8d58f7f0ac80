"""Reports (issue 5): every format produced from a small hand-built district and read back.

The figures of each file are compared with :func:`tracker.coverage.coverage` for the same
date and scope; the Chinese text is read back with openpyxl, python-docx and pdftotext;
a PDF page is rendered to PNG in the test artefacts for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import given, settings
from openpyxl.utils import get_column_letter
from hypothesis import strategies as st

from tests.builders import World
from tracker.cli import run
from tracker.cli.output import progress_line
from tracker.coverage import coverage
from tracker.reports import FORMATS, render_report, write_report
from tracker.reports.content import gather
from tracker.cells import FORMULA_TRIGGERS, csv_text, looks_like_formula, put_cell
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
    assert wb.sheetnames == ["汇总", "企业明细", "未覆盖企业", "逾期未覆盖", "走访记录", "换届提醒",
                             "党组织", "规则检查", "计划", "说明"]
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
    assert rows["BIO"][10:13] == [5, 2, "低于目标"]  # 统计日状态, never a bare 状态
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
    assert notes["统计日"] == datetime(2025, 6, 30)  # a date cell (issue 16)
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
    # The official font where the machine has it, else its free stand-in (issue 16).
    from tracker.reports.docx import FACES, face_name

    assert title.style.element.rPr.rFonts.get(qn("w:eastAsia")) == face_name(FACES["title"]) in (
        "方正小标宋简体", "Noto Serif CJK SC")
    body = document.styles["Normal"]
    assert body.font.size == Pt(16)
    assert body.element.rPr.rFonts.get(qn("w:eastAsia")) == face_name(FACES["body"]) in (
        "仿宋_GB2312", "Noto Serif CJK SC")
    heads = [p for p in document.paragraphs if p.style.name == "一级标题"]
    assert [h.text[:2] for h in heads][:4] == ["一、", "二、", "三、", "四、"]
    assert heads[0].style.element.rPr.rFonts.get(qn("w:eastAsia")) == face_name(FACES["heading1"]) in (
        "黑体", "Noto Sans CJK SC")
    assert document.paragraphs[1].text.endswith("：")  # 主送

    text = _docx_text(document)
    total = coverage(engine, AS_OF).total
    assert f"共{total.firms}家" in text and f"尚未覆盖{total.uncovered}家" in text
    # One name per measure: 覆盖率 (organisation + work), never a second "工作覆盖率".
    assert "覆盖率50.0%" in text and "工作覆盖率" not in text
    assert "工作覆盖（联络员/指导员）" in text
    # Lagging chains by rate, lowest first: AUTO 50.0 %, BIO 60.0 %.
    assert "生物技术（覆盖率60.0%，差2家）" in text
    assert "汽车制造（智能网联与新能源汽车）（覆盖率50.0%，差1家）" in text
    assert text.index("汽车制造（智能网联与新能源汽车）（覆盖率50.0%") < text.index("生物技术（覆盖率60.0%")
    # The 落款 date is the generation date in Arabic numerals (GB/T 9704-2012).
    today = date.today()
    signature = [p.text for p in document.paragraphs if p.style.name == "落款"]
    assert signature == ["红杉林计划工作专班", f"{today.year}年{today.month}月{today.day}日"]
    assert "数据日期：2025年6月30日" in text
    assert "附件" in text and DANGEROUS[0] in text  # the attachment lists the uncovered firms
    chain_table = document.tables[0]
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in chain_table.rows}
    assert cells["生物技术"][1:6] == ["5", "2", "1", "2", "60.0%"]
    assert cells["全区合计"][1] == str(total.firms)
    assert len(document.inline_shapes) >= 1, "charts are missing (is chromium installed?)"


# --------------------------------------------------------------------------- pdf


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_pdf_text_fonts_and_rendered_page(sqlite_district, tmp_path, artifacts):
    engine = sqlite_district
    events = []
    path = write_report(engine, "pdf", tmp_path / "报告.pdf", AS_OF, progress=events.append)
    assert path.read_bytes().startswith(b"%PDF")
    lines = [progress_line(e, "zh") for e in events]
    assert any(e.stage == "charts" for e in events) and lines[-1].startswith("已生成 ")
    assert str(path) in lines[-1]
    # Each stage of gathering says when it starts, in order (a province's report gathers
    # for minutes).
    stages = [e.detail for e in events if e.stage == "gather" and e.done < e.total]
    assert stages == ["统计覆盖率", "检查组织设置规则", "读取企业台账", "整理党组织名录", "测算补盲计划",
                      "截止日结果与逾期未覆盖", "走访与换届"]
    assert [e.done for e in events if e.stage == "gather"] == [0, 1, 2, 3, 4, 5, 6, 7]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    compact = "".join(text.split())
    assert "关于全区产业链党建工作覆盖情况的报告" in compact
    assert "全区产业链纳入统计的企业共10家" in compact
    assert "覆盖率50.0%" in compact and "工作覆盖率" not in compact
    assert "一、总体判断和建议" in compact and "二、覆盖情况" in compact
    assert "（一）总体情况" in compact and "（二）各产业链覆盖情况" in compact
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
    assert "1. Summary and recommendations" in text and "2. Coverage" in text
    assert "(a) Overall" in text and "Charts could not be rendered: no browser" in text
    assert "Biotechnology (60.0%, 2 firms short)" in text
    assert text.startswith("Report on party-work coverage of 2 chains (Automotive (intelligent "
                           "connected and new-energy vehicles); Biotechnology)\n")
    pdf = io.BytesIO()
    write_pdf(content, missing, pdf)
    assert pdf.getvalue().startswith(b"%PDF")


def test_summary_counts_uncovered_above_size_and_r1_firms(sqlite_engine):
    """The written summary counts from the firm flags, in either language."""
    w = build_district(sqlite_engine)
    w.firm("L", chains=["BIO"], formal=3, above_size=True, park="科学城", name="规上庚公司")
    w.firm("M", chains=["AUTO"], formal=5, name="大党员辛公司")
    zh = gather(sqlite_engine, AS_OF).summary["uncovered"]
    assert zh[0] == "尚未覆盖的企业共7家。"  # C, D, G, H, K, L, M
    assert "其中规上企业1家" in zh[1] and "单独组建条件的企业2家" in zh[1]
    en = gather(sqlite_engine, AS_OF, lang="en").summary["uncovered"]
    assert "1 are above designated size and 2 have 3 or more formal members" in en[1]


# --------------------------------------------------------------------------- scale


def test_firm_list_continues_on_further_sheets(sqlite_district, monkeypatch):
    """Past a sheet's row limit the ledger goes on in 企业明细（续2）…, each with its header."""
    from tracker.reports import xlsx

    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 4)
    wb, _ = _xlsx(sqlite_district)
    chains = xlsx.chain_columns(gather(sqlite_district, AS_OF, include_plan=False))
    assert wb.sheetnames[:4] == ["汇总", "企业明细", "企业明细（续2）", "企业明细（续3）"]
    assert wb.sheetnames[4:6] == ["未覆盖企业", "未覆盖企业（续2）"]
    header = [c.value for c in wb["企业明细"][1]]
    seen = []
    for name, expected_rows in (("企业明细", 4), ("企业明细（续2）", 4), ("企业明细（续3）", 2)):
        ws = wb[name]
        assert [c.value for c in ws[1]] == header and ws.freeze_panes == "C2"
        body = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(body) == expected_rows
        # 15 ledger columns, then one filter column per chain (issue 16).
        assert ws.auto_filter.ref == f"A1:{get_column_letter(15 + len(chains))}{expected_rows + 1}"
        seen += [r[0] for r in body]
    content = gather(sqlite_district, AS_OF)
    assert seen == list(content.firms["credit_code"])  # every firm once, in ledger order


@pytest.fixture(scope="module")
def small_content():
    from tracker.chains import init_store
    from tracker.store import get_engine

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


# --------------------------------------------------------------------------- after the deadline
#
# The 红杉林 plan (the one plan of a fresh store) ended on 2025-12-31: target 100 %, cover
# within 90 days, visits within 90 days. On AFTER (181 days past the deadline), by hand:
#
# firm chain  in P (joined/left)    cover                          deadline  AFTER
# A    BIO    2022-01-01            O1 from 2022-02-01              covered   covered
# B    BIO    2022-01-01            王 from 2023-01-01 (visit 6-01) covered   covered (visited)
# C    BIO    2022-01-01            李 from 2023-01-01 (visit 4-01) covered   covered (not visited:
#                                                                            4-01 is outside (4-01, 6-30])
# D    BIO    2022-01-01            none                            uncovered uncovered, 1,641 days
# E    BIO    2022-01-01            O2 2022-03-01 .. 2026-02-01     covered   lost, 149 days
# K    BIO    2026-01-10            O1 from 2026-01-20              —         entered, covered (10 d)
# F    AUTO   2026-03-01            none                            —         entered, 121 days
# G    AUTO   2026-05-01            none                            —         entered, 60 days (not overdue)
# H    AUTO   2026-02-01            王 from 2026-03-03 (visit 6-30) —         entered, covered (30 d)
# I    AUTO   2022-01-01 .. 2026-01-15  O1                          covered   left
# J    AUTO   2022-01-01            O1 from 2026-04-01              uncovered gained
#
# Flow 2025-12-31 → 2026-06-30: start 7 firms / 5 covered / 2 uncovered; end 10 / 6 / 4;
# entered 4 (covered 2), left 1 (covered 1), gained 1, lost 1 (5 − 1 + 2 + 1 − 1 = 6);
# time to cover: 4 entered, 2 covered, median (10 + 30) / 2 = 20, p90 = the 2nd smallest = 30.
# Overdue (> 90 days): D 1,641 (entered), E 149 (lost), F 121 (entered).
# Verdict: on the deadline BIO 4/5 = 80.0 % (missed by 1), AUTO 1/2 = 50.0 % (missed by 1),
# district 5/7 = 71.4 % (missed by 2); now BIO 4/6 = 66.7 % (below by 2), AUTO 2/4 = 50.0 %
# (below by 2), district 6/10 = 60.0 % (below by 4), change −11.4 points; 3 months before
# (2026-03-30) the district stood at 5/9 = 55.6 %: rising.
# Visits: work-covered B, C, H; visited B and H: effective (3 + 2) / 10 = 50.0 %.
# Terms on AFTER: O2 (2021-06-30 + 3 = 2024-06-30) overdue by 730 days; O1 (2023-07-01 + 3 =
# 2026-07-01) due in 1 day; O3 unknown; O4 committee (2022-01-01 + 5 = 2027-01-01, 185 days) ok.

AFTER = date(2026, 6, 30)


def build_after(engine) -> World:
    w = World(engine)
    w.org("O1", formation="joint", members=5, founded="2022-01-01", name="科学城联合党支部",
          term_start="2023-07-01")
    w.org("O2", formation="single", members=4, founded="2022-01-01", name="戊公司党支部",
          term_start="2021-06-30")
    w.org("O3", formation="single", members=3, founded="2022-01-01", name="无任期党支部")
    w.org("O4", formation="single", kind="committee", members=60, founded="2022-01-01",
          name="园区党委", term_start="2022-01-01")
    w.liaison("王联络", unit="区工业和信息化局")
    w.liaison("李指导", unit="区科技局", role="instructor")
    on = "2022-01-01"
    w.firm("A", chains=["BIO"], joined=on, street="萝岗街道", name="生物甲公司")
    w.link("O1", "A", start="2022-02-01")
    w.firm("B", chains=["BIO"], joined=on, street="萝岗街道", name="生物乙公司")
    w.assign("王联络", "B", start="2023-01-01")
    w.visit("王联络", "B", "2026-06-01")
    w.visit("李指导", "B", "2026-06-15")  # not assigned to B: does not count
    w.firm("C", chains=["BIO"], joined=on, street="萝岗街道", name="生物丙公司")
    w.assign("李指导", "C", start="2023-01-01")
    w.visit("李指导", "C", "2026-04-01", mode="talk")  # the window's excluded first day
    w.firm("D", chains=["BIO"], joined=on, street="萝岗街道", formal=2, name="生物丁公司")
    w.firm("E", chains=["BIO"], joined=on, street="萝岗街道", name="生物戊公司")
    w.link("O2", "E", start="2022-03-01", end="2026-02-01")
    w.firm("K", chains=["BIO"], joined="2026-01-10", street="萝岗街道", name="生物癸公司")
    w.link("O1", "K", start="2026-01-20")
    w.firm("F", chains=["AUTO"], joined="2026-03-01", street="联和街道", name="汽车己公司")
    w.firm("G", chains=["AUTO"], joined="2026-05-01", street="联和街道", name="汽车庚公司")
    w.firm("H", chains=["AUTO"], joined="2026-02-01", street="联和街道", name="汽车辛公司")
    w.assign("王联络", "H", start="2026-03-03")
    w.visit("王联络", "H", "2026-06-30")  # the window's last day
    w.firm("I", chains=["AUTO"], joined=on, left="2026-01-15", street="联和街道", name="汽车壬公司")
    w.link("O1", "I")
    w.firm("J", chains=["AUTO"], joined=on, street="联和街道", name="汽车子公司")
    w.link("O1", "J", start="2026-04-01")
    return w


def _compact(text: str) -> str:
    return "".join(text.split())


def test_after_deadline_content_by_hand(engine):
    w = build_after(engine)
    c = gather(engine, AFTER)
    assert c.after_deadline and c.ended.plan.name == "红杉林计划"
    assert c.ended.days_past_deadline == 181
    d = c.ended.district
    assert (d.at_deadline.firms, d.at_deadline.covered, d.short_at_deadline) == (7, 5, 2)
    assert (d.now.firms, d.now.covered, d.short_now, d.trend) == (10, 6, 4, "rising")
    assert [ch.key for ch in c.ended.chains if ch.now.firms] == ["AUTO", "BIO"]  # lowest first
    (part,) = c.flows
    r = part.result
    assert (r.start, r.end) == ({"firms": 7, "covered": 5, "uncovered": 2},
                                {"firms": 10, "covered": 6, "uncovered": 4})
    assert (r.entered, r.entered_covered, r.left, r.left_covered, r.gained, r.lost) == (4, 2, 1, 1, 1, 1)
    assert r.time_to_cover.as_dict() == {"entered": 4, "covered": 2, "median_days": 20.0,
                                         "p90_days": 30}
    rows = c.overdue_rows
    assert list(rows["credit_code"]) == [w.code("D"), w.code("E"), w.code("F")]
    assert list(rows["days"]) == [1641, 149, 121]
    assert list(rows["cause"]) == ["新入链未覆盖", "失去覆盖", "新入链未覆盖"]
    assert list(rows["uncovered_since"]) == ["2022-01-01", "2026-02-01", "2026-03-01"]
    # Each suggested action is the planner's of this report (its 下一步 section).
    assert list(rows["action"]) == [c.plan_section.actions.get(code, "") for code in rows["credit_code"]]
    assert all(rows["action"])
    assert [(n.name, n.firms, n.lost, n.longest) for n in c.overdue_by_chain] == [
        ("生物技术", 2, 1, 1641), ("汽车制造（智能网联与新能源汽车）", 1, 0, 121)]
    assert [(n.name, n.firms, n.lost) for n in c.overdue_by_street] == [("萝岗街道", 2, 1), ("联和街道", 1, 0)]
    assert (c.total.counts.work_covered, c.total.counts.work_visited) == (3, 2)
    assert c.total.counts.effective_rate == pytest.approx(0.5)
    assert [r.org_code for r in c.terms] == ["O2", "O1", "O3"]
    assert c.term_counts["overdue"] == 1 and c.term_counts["within_3_months"] == 1
    assert c.term_counts["unknown"] == 1 and c.orgs_active == 4


def _cell_day(text: str) -> datetime:
    """An ISO date as openpyxl reads a date cell back (the ledger's dates are date cells)."""
    return datetime.fromisoformat(text)


def test_after_deadline_ledger_sheets(engine):
    w = build_after(engine)
    wb = openpyxl.load_workbook(io.BytesIO(render_report(engine, "xlsx", AFTER)))
    assert wb.sheetnames[3:6] == ["逾期未覆盖", "走访记录", "换届提醒"]
    ws = wb["逾期未覆盖"]
    # 8 columns, then one filter column per chain (issue 16).
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == f"A1:{get_column_letter(8 + 13)}4"
    assert [c.value for c in ws[1]][:8] == ["统一社会信用代码", "企业名称", "所属产业链", "街道",
                                            "未覆盖起始日", "未覆盖天数", "原因", "建议措施"]
    body = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r[:7] for r in body] == [
        [w.code("D"), "生物丁公司", "生物技术", "萝岗街道", _cell_day("2022-01-01"), 1641, "新入链未覆盖"],
        [w.code("E"), "生物戊公司", "生物技术", "萝岗街道", _cell_day("2026-02-01"), 149, "失去覆盖"],
        [w.code("F"), "汽车己公司", "汽车制造（智能网联与新能源汽车）", "联和街道", _cell_day("2026-03-01"), 121,
         "新入链未覆盖"],
    ]
    assert all(r[7] for r in body)  # each with its suggested action

    ws = wb["走访记录"]
    assert [c.value for c in ws[1]][5:9] == ["最近一次走访", "距今天数", "近90天走访次数（现派驻人员）",
                                             "计入有效覆盖"]
    body = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    # Not visited first; C's visit on 2026-04-01 is one day too old; 李's visit to B does not count.
    assert [(r[0], r[4], r[5], r[6], r[7], r[8]) for r in body] == [
        (w.code("C"), "李指导（区科技局，指导员）", _cell_day("2026-04-01"), 90, 0, "否"),
        (w.code("B"), "王联络（区工业和信息化局，联络员）", _cell_day("2026-06-01"), 29, 1, "是"),
        (w.code("H"), "王联络（区工业和信息化局，联络员）", _cell_day("2026-06-30"), 0, 1, "是"),
    ]
    summary = _summary_rows(wb["汇总"])
    assert summary["*"][13:15] == [2, pytest.approx(0.5)]  # work_visited, effective rate
    assert sum(r[8] == "是" for r in body) == summary["*"][13]

    ws = wb["换届提醒"]
    assert [c.value for c in ws[1]] == ["党组织编码", "党组织名称", "类型", "本届开始日期", "任期（年）",
                                        "应换届日期", "换届状态", "距到期天数"]
    assert [list(r) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        ["O2", "戊公司党支部", "党支部", _cell_day("2021-06-30"), 3, _cell_day("2024-06-30"), "换届逾期", -730],
        ["O1", "科学城联合党支部", "党支部", _cell_day("2023-07-01"), 3, _cell_day("2026-07-01"), "即将到期", 1],
        ["O3", "无任期党支部", "党支部", None, 3, None, "未登记任期", None],
    ]
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["计划完成情况"].startswith("红杉林计划：截止日2025-12-31覆盖率71.4%（未达标，差2家）")
    en = openpyxl.load_workbook(io.BytesIO(render_report(engine, "xlsx", AFTER, lang="en")))
    assert en.sheetnames[3:6] == ["Overdue", "Visits", "Term reminders"]


def test_after_deadline_word_opens_with_the_verdict(engine):
    build_after(engine)
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx

    buffer = io.BytesIO()
    write_docx(gather(engine, AFTER), ChartSet(error="no browser"), buffer)
    document = docx.Document(io.BytesIO(buffer.getvalue()))
    heads = [p.text for p in document.paragraphs if p.style.name == "一级标题"]
    assert heads[:5] == ["一、总体判断和建议", "二、计划完成情况", "三、截止日以来企业增减和覆盖变化",
                         "四、逾期未覆盖企业", "五、统计日覆盖情况"]
    assert heads[5:7] == ["六、联络员走访情况", "七、党组织换届情况"]
    subheads = [p.text for p in document.paragraphs if p.style.name == "二级标题"]
    assert subheads[:4] == ["（一）总体情况", "（二）各产业链覆盖情况", "（三）各街道（园区）覆盖情况",
                            "（四）未覆盖企业情况"]
    text = _compact(_docx_text(document))
    # The first page opens with the verdict: days past the deadline, the rate then and now.
    lead = _compact(document.paragraphs[[p.text for p in document.paragraphs].index(heads[0]) + 1].text)
    assert lead == ("“红杉林计划”截止日（2025年12月31日）已过181天：截止日全区产业链覆盖率71.4%"
                    "（未达标，差2家），统计日60.0%（低于目标，差4家），较截止日下降11.4个百分点。")
    assert ("截止日全区产业链覆盖率71.4%，截止日结果：未达标，差2家；统计日覆盖率60.0%，"
            "较截止日下降11.4个百分点，统计日状态：低于目标，差4家；近3个月趋势：上升。") in text
    assert "新入链4家（统计日已覆盖2家），退出1家（其中原已覆盖1家）" in text
    assert "新实现覆盖1家，失去覆盖1家" in text and "已覆盖企业由5家变为6家" in text
    assert "用时中位数20天，90%在30天内完成" in text
    assert "超过90天仍未覆盖的企业3家" in text and "失去原有覆盖1家" in text
    assert "等待最久的已达1,641天" in text
    assert ("工作覆盖（联络员/指导员）企业3家，其中近90天按期走访2家，未按期走访1家。"
            "按期走访计入后，有效覆盖率为50.0%（覆盖率60.0%）") in text
    assert "换届逾期1个，6个月内到期1个（其中3个月内1个），未登记本届开始日期1个" in text
    assert "状态" not in text.replace("统计日状态", "").replace("换届状态", "").replace("覆盖状态", "")
    # Table 1: the verdict, lowest rate now first; the total last.
    verdict_rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert verdict_rows[0][:3] == ["产业链", "截止日覆盖率", "截止日结果"]
    assert verdict_rows[1] == ["汽车制造（智能网联与新能源汽车）", "50.0%", "未达标", "1", "50.0%",
                               "低于目标", "2", "0.0", "上升"]
    assert verdict_rows[2][:7] == ["生物技术", "80.0%", "未达标", "1", "66.7%", "低于目标", "2"]
    assert verdict_rows[-1][0] == "全区合计" and verdict_rows[-1][7] == "−11.4"
    # Table 2: the flow adds up.
    flow_rows = [[cell.text for cell in row.cells] for row in document.tables[1].rows]
    assert [r[1:] for r in flow_rows[1:]] == [["7", "5", "2"], ["+4", "+2", "+2"], ["−1", "−1", "0"],
                                              ["—", "+1", "−1"], ["—", "−1", "+1"], ["10", "6", "4"]]
    # Three attachments, in the order the text names them, each named once in the body.
    assert "逾期未覆盖企业及建议措施见附件1" in text and "未覆盖企业名单见附件2" in text
    assert "换届逾期和即将到期的党组织见附件3" in text
    assert text.count("名单见附件") == 1
    labels = [p.text for p in document.paragraphs if p.style.name == "附件标识"]
    assert labels == ["附件1", "附件2", "附件3"]
    overdue = [[cell.text for cell in row.cells] for row in document.tables[-3].rows]
    assert [r[1] for r in overdue[1:]] == ["生物丁公司", "生物戊公司", "汽车己公司"]
    assert [r[6] for r in overdue[1:]] == ["1,641", "149", "121"]
    terms_rows = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert [r[1] for r in terms_rows[1:]] == ["O2", "O1"]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_after_deadline_pdf_text(sqlite_engine, tmp_path):
    build_after(sqlite_engine)
    from tracker.reports.charts import ChartSet
    from tracker.reports.pdf import write_pdf

    path = tmp_path / "r.pdf"
    with open(path, "wb") as handle:
        write_pdf(gather(sqlite_engine, AFTER), ChartSet(error="no browser"), handle)
    text = _compact(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout)
    assert "一、总体判断和建议" in text and "二、计划完成情况" in text and "截止日（2025年12月31日）已过181天" in text
    assert "截止日结果：未达标，差2家" in text and "统计日状态：低于目标，差4家" in text
    assert "新入链4家" in text and "失去覆盖1家" in text
    assert "超过90天仍未覆盖的企业3家" in text and "有效覆盖率为50.0%" in text


def test_before_the_deadline_no_verdict_and_days_left(sqlite_engine):
    build_after(sqlite_engine)
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx

    content = gather(sqlite_engine, date(2025, 6, 30))
    assert not content.after_deadline and content.flows == []
    buffer = io.BytesIO()
    write_docx(content, ChartSet(error="no browser"), buffer)
    document = docx.Document(io.BytesIO(buffer.getvalue()))
    text = _compact(_docx_text(document))
    assert "计划完成情况" not in text and "截止日已过" not in text and "截止日结果" not in text
    assert "逾期未覆盖企业名单" not in text
    assert "距截止日还有184天" in text  # 2025-06-30 → 2025-12-31
    heads = [p.text for p in document.paragraphs if p.style.name == "一级标题"]
    assert heads[:2] == ["一、总体判断和建议", "二、覆盖情况"]
    assert "“红杉林计划”要求2025年12月31日前各产业链覆盖率达到100%，距截止日还有184天。" in text


def test_after_deadline_english_report(sqlite_engine):
    build_after(sqlite_engine)
    from tracker.reports.charts import ChartSet
    from tracker.reports.docx import write_docx

    buffer = io.BytesIO()
    write_docx(gather(sqlite_engine, AFTER, lang="en"), ChartSet(error="no browser"), buffer)
    text = _docx_text(docx.Document(io.BytesIO(buffer.getvalue())))
    assert "1. Summary and recommendations" in text and "2. The plan's result" in text
    # The plan's English name (data/default_plan.json name_en), not its Chinese one.
    assert "The Redwood Forest plan deadline (31 December 2025) passed 181 days ago" in text
    assert "result on the deadline: missed, 2 firms short" in text
    assert "4 entered (2 of them covered on the as-of date)" in text
    assert "effective coverage is 50.0%" in text
    assert not re.search(r"[\u4e00-\u9fff]", text.replace(
        "科学城联合党支部", "").replace("戊公司党支部", "").replace("王联络", "").replace(
        "李指导", "").replace("区工业和信息化局", "").replace("区科技局", "").replace(
        "区发展和改革局", "").replace(
        "萝岗街道", "").replace("联和街道", "").translate({ord(ch): None for ch in
        "生物甲乙丙丁戊己庚辛壬癸子汽车公司"}))
