"""The Word and PDF reports as a reader's office client draws them (issue 16).

The Word report of the demo district is opened in LibreOffice (``soffice --headless
--convert-to pdf``, as WPS or Word would open it), the PDF report as it is; both are
rendered page by page to PNG under ``test-artifacts/report-layout/`` for a person to look
at, and checked: the page count, heading levels 一、 and （一）, every credit code whole
on one line, a serif and a sans CJK face both in use (headings set apart from the body),
and no page but the last of the text or of an attachment left mostly empty. The column
fitting and the line breaking behind both are checked on random tables and texts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import ARTIFACTS
from tracker.chains import init_store
from tracker.demo import load_demo
from tracker.reports import write_report
from tracker.reports.pdf import wrap_lines, wrap_words
from tracker.reports.typeset import em_width, fit_widths, fits, pieces
from tracker.store import get_engine

TODAY = date(2026, 11, 25)
#: A page whose text reaches less far down its text block than this is "mostly empty".
LEAST_FILL = 0.3
#: The text block of a page, as fractions of its height (A4 either way round, GB/T 9704
#: margins): the running header and the page number lie outside it.
TOP, BOTTOM = 0.12, 0.865
CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Z])")

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default demo district (3,000 firms) on its as-of date."""
    path = tmp_path_factory.mktemp("layout") / "redwood.db"
    engine = get_engine(f"sqlite:///{path}")
    init_store(engine)
    load_demo(engine, today=TODAY)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports(demo, tmp_path_factory):
    """``reports(fmt, lang)``: the demo's report file, written once per module."""
    folder = tmp_path_factory.mktemp("reports")
    made: dict[tuple[str, str], Path] = {}

    def get(fmt: str, lang: str = "zh") -> Path:
        if (fmt, lang) not in made:
            made[fmt, lang] = write_report(demo, fmt, folder / f"report-{lang}.{fmt}", TODAY,
                                           lang=lang)
        return made[fmt, lang]

    return get


def _out() -> Path:
    out = ARTIFACTS / "report-layout"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _fill(png: Path) -> float:
    """How far down its text block a page's ink reaches (0: blank, 1: to the foot)."""
    image = Image.open(png).convert("L")
    top, bottom = int(image.height * TOP), int(image.height * BOTTOM)
    block = image.crop((0, top, image.width, bottom))
    ink = block.point(lambda v: 255 if v < 160 else 0).getbbox()  # (left, top, right, bottom)
    return ink[3] / block.height if ink else 0.0


def _check_pages(pdf: Path, name: str, codes: set[str], lang: str) -> dict:
    """The page checks shared by the Word report (via LibreOffice) and the PDF report."""
    out = _out()
    for old in out.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / name)], check=True,
                   timeout=300)
    pngs = sorted(out.glob(f"{name}-*.png"))
    pages = _pages_text(pdf)
    assert len(pngs) == len(pages)
    assert 6 <= len(pages) <= 150, len(pages)
    text = "\n".join(pages)
    # Heading levels: 一、 and （一） in Chinese; "1." and "1.1"-like levels in English are
    # not GB/T's, so there the two levels are told apart by the fonts below.
    if lang == "zh":
        assert re.search(r"^\s*一、\S", text, re.MULTILINE), "no level-one heading"
        assert re.search(r"^\s*（一）\S", text, re.MULTILINE), "no level-two heading"
    # Every credit code of the file appears whole on one line of the laid-out text.
    missing = {c for c in codes if c not in text}
    assert not missing, f"{len(missing)} credit codes broken across lines, e.g. {sorted(missing)[:3]}"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    assert re.search(r"NotoSerifCJK", fonts), fonts
    assert re.search(r"NotoSansCJK", fonts), fonts
    # No page but the last of the text (before an attachment) or the document's last is
    # mostly empty.
    fills = [_fill(p) for p in pngs]
    label = re.compile(r"^\s*(附件|Attachment)")

    def opens_attachment(page: str) -> bool:  # below the running header, if any
        return any(label.match(line) for line in [ln for ln in page.splitlines() if ln.strip()][:3])

    ends = {i for i in range(len(pages) - 1) if opens_attachment(pages[i + 1])}
    ends.add(len(pages) - 1)
    empty = [i + 1 for i, f in enumerate(fills) if f < LEAST_FILL and i not in ends]
    assert not empty, f"pages {empty} mostly empty (fills {[round(f, 2) for f in fills]})"
    return {"pages": len(pages), "fills": fills}


def _docx_codes(path: Path) -> set[str]:
    document = docx.Document(str(path))
    text = "\n".join(t.text or "" for t in document.element.body.iter(qn("w:t")))
    return set(CODE.findall(text))


@needs_poppler
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice missing (scripts/test.sh installs it)")
def test_word_report_opened_in_libreoffice(reports, tmp_path):
    path = reports("docx")
    document = docx.Document(str(path))
    # The file itself: zh-CN, the two footers, real metadata.
    styles = document.styles.element
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    assert lang.get(qn("w:val")).startswith("en-")  # Latin runs: numbers stay whole
    assert document.core_properties.language == "zh-CN"
    assert document.settings.odd_and_even_pages_header_footer
    props = document.core_properties
    assert abs((props.created.replace(tzinfo=None) - datetime.now()).total_seconds()) < 86400
    assert props.author and props.author not in ("python-docx", "Redwood 红杉林")
    assert props.title.startswith("关于")
    codes = _docx_codes(path)
    assert len(codes) >= 20
    # Open it as an office client would: a private profile (parallel runs do not share
    # one), and a time limit.
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / f"{path.stem}.pdf"
    shutil.copy(pdf, _out() / "word-zh.pdf")
    result = _check_pages(pdf, "word-zh", codes, "zh")
    # Numbers in the running text are not broken across lines ("差1" / "8家").
    assert not re.search(r"差\s*\d+\n\s*\d", "\n".join(_pages_text(pdf)))
    # GB/T page numbers: right on odd pages, left on even pages.
    pages = _pages_text(pdf)
    for number in (1, 2):
        line = [ln for ln in pages[number - 1].splitlines() if f"— {number} —" in ln
                or f"—{number}—" in ln][-1]
        indent = len(line) - len(line.lstrip())
        assert (indent > 30) == (number % 2 == 1), (number, line)
    assert result["pages"] >= 8


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_report_pages(reports, lang):
    path = reports("pdf", lang)
    shutil.copy(path, _out() / f"pdf-{lang}.pdf")
    docx_path = reports("docx", lang)
    codes = _docx_codes(docx_path)  # the same content: the same codes
    assert len(codes) >= 20
    _check_pages(path, f"pdf-{lang}", codes, lang)
    if lang == "en":
        # English words are never cut ("Organis/ation"): every word of every table header
        # appears whole in the laid-out text.
        text = "\n".join(_pages_text(path))
        words = {w.strip("()") for table in docx.Document(str(docx_path)).tables
                 for cell in table.rows[0].cells for w in cell.text.split()}
        cut = {w for w in words if len(w) >= 5 and w not in text}
        assert not cut, cut


# --------------------------------------------------------------------------- column fitting

_cell = st.text(alphabet=st.sampled_from(list("产业链覆盖率 ABCWM0129-/()%")), max_size=30)


@settings(max_examples=200, deadline=None)
@given(headers=st.lists(_cell, min_size=1, max_size=9),
       rows=st.lists(st.lists(_cell, min_size=9, max_size=9), max_size=6),
       total=st.floats(min_value=20, max_value=300))
def test_fitted_columns_fill_the_width_and_keep_pieces_whole(headers, rows, total):
    widths = fit_widths(headers, rows, total, em_width, padding=1.0)
    assert len(widths) == len(headers)
    assert sum(widths) == pytest.approx(total)
    assert all(w > 0 for w in widths)
    if fits(headers, rows, total, em_width, padding=1.0):
        # Every unbreakable piece (code, number, word) fits its column on one line.
        for j, header in enumerate(headers):
            for text in [header, *(r[j] for r in rows)]:
                for piece in pieces(text):
                    assert em_width(piece) + 1.0 <= widths[j] + 1e-6, (piece, widths)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("覆盖率，。（）ab AB12-/")), max_size=80),
       width=st.integers(min_value=4, max_value=30))
def test_lines_never_break_inside_a_piece(text, width):
    for lines in (wrap_lines(text, width, len), wrap_words(text, width, len)):
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for piece in pieces(text):
            if len(piece) <= width:
                assert any(piece in line for line in lines), (piece, lines)


# --------------------------------------------------------------------------- Word fonts

OFFICIAL = frozenset({"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"})


def test_word_names_the_official_fonts_where_installed_else_noto(monkeypatch):
    from tracker.reports import docx as word

    monkeypatch.setattr(word, "_installed_families", lambda: OFFICIAL)
    assert [word.face_name(word.FACES[r]) for r in ("title", "body", "heading1", "heading2")] == [
        "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"]
    assert not word._bold(word.FACES["title"])  # 小标宋 is heavy of itself
    monkeypatch.setattr(word, "_installed_families", lambda: frozenset({"Noto Serif CJK SC"}))
    assert word.face_name(word.FACES["body"]) == "Noto Serif CJK SC"
    assert word.face_name(word.FACES["heading1"]) == "Noto Sans CJK SC"
    assert word._bold(word.FACES["title"])  # Noto Serif Bold stands in for 小标宋
    # The font table lists the official names as the stand-in's alternatives, the body's
    # first (Word takes the first it finds), with the GB2312 character set.
    document = docx.Document()
    word._font_table(document)
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    fonts = parse_xml(document.part.part_related_by(RT.FONT_TABLE).blob)
    entries = {f.get(qn("w:name")): f for f in fonts.iter(qn("w:font"))}
    serif = entries["Noto Serif CJK SC"]
    assert serif.find(qn("w:altName")).get(qn("w:val")).startswith("仿宋_GB2312,")
    assert serif.find(qn("w:charset")).get(qn("w:val")) == "86"
    assert entries["Noto Sans CJK SC"].find(qn("w:altName")).get(qn("w:val")).startswith("黑体")
    assert entries["Noto Sans CJK SC"].find(qn("w:family")).get(qn("w:val")) == "swiss"
