"""The Word report, in the layout of Chinese official documents (GB/T 9704-2012).

A4 paper; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; the title in
方正小标宋简体 二号 (22 pt) centred; body in 仿宋_GB2312 三号 (16 pt), first lines indented two
characters, 22 lines a page; headings 一、 in 黑体, （一） in 楷体_GB2312, 1. in 仿宋 bold and
（1） in 仿宋; tables in 仿宋_GB2312 小四 (五号 for the wide lists), their columns fitted to
the content (:func:`tracker.reports.typeset.fit_widths`: a credit code is never broken),
header rows repeated, rows never split; captions kept with their table or figure and
headings with their text; the 落款 and the date at the right; page numbers "— 1 —" in
宋体 四号, right on odd pages and left on even pages. The East Asian language is zh-CN;
Latin-script runs are marked English (see :func:`_defaults`); the document's language is
zh-CN (en-GB for an English report).

Fonts: :data:`FACES` names each role's official font and its free stand-in; see
:func:`face_name` for which one the file names.

The blocks come from :func:`tracker.reports.outline.build`; this module only typesets them.
"""

from __future__ import annotations

import copy
import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from ..i18n import t
from .charts import ChartSet
from .content import ReportContent
from .outline import (
    Attachment,
    Figure,
    Heading,
    Para,
    Recipient,
    Signature,
    Table,
    Title,
    build,
    issuer,
)
from .typeset import em_width, fit_widths, fits, kept_with_signature

__all__ = ["FACES", "MARGINS_MM", "Face", "face_name", "write_docx"]


@dataclass(frozen=True)
class Face:
    """The font of one role: GB/T 9704's font and the free font standing in for it."""

    official: str  # the name GB/T 9704 and the office machines use
    stand_in: str  # a font of Debian's fonts-noto-cjk with the same look
    bold: bool = False  # bold whichever font is named (level-3 headings: 仿宋 加粗)
    #: Bold only in the stand-in: 小标宋 is a heavy face of its own; Noto Serif needs Bold.
    bold_stand_in: bool = False
    sans: bool = False  # a sans-serif (黑体) role: its Latin text in a sans face too
    also: tuple[str, ...] = ()  # other names of the official font (Windows' own 仿宋, 楷体)


#: The faces of the report by role. Level two's 楷体 has no free stand-in of the same look
#: among the Noto fonts: Noto Serif Bold sets it apart from the body (GB/T's levels two and
#: three, 楷体 and bold 仿宋, are alike in weight too).
FACES = {
    "title": Face("方正小标宋简体", "Noto Serif CJK SC", bold_stand_in=True, also=("方正小标宋_GBK",)),
    "body": Face("仿宋_GB2312", "Noto Serif CJK SC", also=("仿宋", "FangSong")),
    "heading1": Face("黑体", "Noto Sans CJK SC", sans=True, also=("SimHei",)),
    "heading2": Face("楷体_GB2312", "Noto Serif CJK SC", bold_stand_in=True, also=("楷体", "KaiTi")),
    "heading3": Face("仿宋_GB2312", "Noto Serif CJK SC", bold=True, also=("仿宋", "FangSong")),
    "heading4": Face("仿宋_GB2312", "Noto Serif CJK SC", also=("仿宋", "FangSong")),
    "page": Face("宋体", "Noto Serif CJK SC", also=("SimSun",)),
}
LATIN = "Times New Roman"
LATIN_SANS = "Arial"
#: Page margins in millimetres.
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 12  # 小四
SMALL_TABLE_PT = 10.5  # 五号: the wide tables (nine columns)
TINY_TABLE_PT = 9  # 小五: a wide table whose words would not fit unbroken in 五号
PAGE_NUMBER_PT = 14  # 四号
LINE_PT = 28.95  # 22 lines in the 225 mm text block
#: A cell's left and right margins (pt): Word's default (0.19 cm), narrower in 小五 tables.
CELL_MARGIN_PT = {TABLE_PT: 5.4, SMALL_TABLE_PT: 5.4, TINY_TABLE_PT: 2.85}
CELL_SLACK_PT = 2.5  # what a line may need beyond the estimate of its text
#: Tables of this many columns and more are set a size smaller (五号), as the wide lists.
SMALL_FROM_COLUMNS = 8
#: Rows after a table's header kept on the header's page: a table starts on the next page
#: rather than leave its header and one row at the foot of this one.
KEEP_ROWS = 3


@lru_cache(maxsize=1)
def _installed_families() -> frozenset[str] | None:
    """Font family names fontconfig knows on this machine; None where there is no
    fontconfig (Windows, where office machines hold the official fonts)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True,
                             timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def face_name(face: Face) -> str:
    """The East Asian font name the file gives ``face``: the official font where this
    machine has it (or cannot tell), else the stand-in.

    Word has no fallback list per run, and the two kinds of reader need different names:

    - Word and WPS on an office PC hold the official fonts. Named in the file, they are used.
      Where a file names the stand-in instead, the font table (:func:`_font_table`) lists
      the official names as the stand-in's ``w:altName``: Word tries those names when the
      named font is missing (ECMA-376 17.8.3.1) before substituting by metrics.
    - LibreOffice ignores ``w:altName`` (and ``w:panose1``, ``w:family``) when it reads a
      .docx and substitutes a missing font through fontconfig, which maps 仿宋_GB2312,
      黑体 and 小标宋 alike to the one default CJK sans face: headings and body looked the
      same. Named directly, the Noto fonts are drawn as they should be.

    So a report made on a machine with the official fonts names them, and one made on a
    server with Noto only (Debian's fonts-noto-cjk) names Noto: each renders right where it
    was made, and in Word or WPS on an office PC through ``w:altName``. (The stand-in of
    the title and of level two is Noto Serif set bold, which an office PC then draws as
    bold 仿宋: the one difference left there.)
    """
    families = _installed_families()
    if families is None or face.official in families:
        return face.official
    return face.stand_in


def _bold(face: Face) -> bool:
    return face.bold or (face.bold_stand_in and face_name(face) != face.official)


def _set_fonts(rpr_parent, face: Face, latin: str | None = None) -> None:
    """Name the East Asian and Latin fonts on a style's or a run's ``w:rPr``."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    latin = latin or (LATIN_SANS if face.sans else LATIN)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", face_name(face)),
                        ("w:cs", latin)):
        fonts.set(qn(attr), value)
    # Theme fonts would override the names above.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _style(doc, name: str, face: Face, size: float, align=None, indent_chars: float = 0,
           line: float | None = LINE_PT, before: float = 0, after: float = 0,
           bold: bool | None = None, keep_next: bool = False, outline: int | None = None):
    styles = doc.styles
    names = {s.name for s in styles}
    style = styles[name] if name in names else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        style.base_style = styles["Normal"]
    style.font.size = Pt(size)
    style.font.bold = _bold(face) if bold is None else bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element, face)
    pf = style.paragraph_format
    pf.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.widow_control = True
    if align is not None:
        pf.alignment = align
    if keep_next:
        pf.keep_with_next = True
    if outline is not None:
        # The outline level lets Word's navigation pane (and a table of contents) list it.
        el = OxmlElement("w:outlineLvl")
        el.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(el)
    return style


def _setup(doc, content: ReportContent) -> dict:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(20)
    _defaults(doc, content)
    body, sans = FACES["body"], FACES["heading1"]
    # English has no 黑体 to tell a heading from the text: its headings are set bold.
    latin_bold = True if content.tr("pdf_script") == "latin" else None
    styles = {
        "body": _style(doc, "Normal", body, BODY_PT, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY),
        "title": _style(doc, "公文标题", FACES["title"], TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
                        line=36, after=LINE_PT, keep_next=True),
        "recipient": _style(doc, "主送机关", body, BODY_PT),
        "heading1": _style(doc, "一级标题", sans, BODY_PT, indent_chars=2, keep_next=True,
                           outline=0, bold=latin_bold),
        "heading2": _style(doc, "二级标题", FACES["heading2"], BODY_PT, indent_chars=2,
                           keep_next=True, outline=1, bold=latin_bold),
        "heading3": _style(doc, "三级标题", FACES["heading3"], BODY_PT, indent_chars=2,
                           keep_next=True, outline=2),
        "heading4": _style(doc, "四级标题", FACES["heading4"], BODY_PT, indent_chars=2,
                           keep_next=True, outline=3),
        # A table's caption is above it, a figure's below: both stay on their page.
        "caption": _style(doc, "题注", sans, 14, align=WD_ALIGN_PARAGRAPH.CENTER, line=None,
                          before=6, after=4, keep_next=True),
        "figure_caption": _style(doc, "图题", sans, 14, align=WD_ALIGN_PARAGRAPH.CENTER,
                                 line=None, before=2, after=8),
        "table": _style(doc, "表格文字", body, TABLE_PT, line=None, align=WD_ALIGN_PARAGRAPH.LEFT),
        "table_head": _style(doc, "表头文字", sans, TABLE_PT, line=None,
                             align=WD_ALIGN_PARAGRAPH.CENTER, bold=latin_bold),
        "table_small": _style(doc, "表格文字（五号）", body, SMALL_TABLE_PT, line=None,
                              align=WD_ALIGN_PARAGRAPH.LEFT),
        "table_head_small": _style(doc, "表头文字（五号）", sans, SMALL_TABLE_PT, line=None,
                                   align=WD_ALIGN_PARAGRAPH.CENTER, bold=latin_bold),
        "table_tiny": _style(doc, "表格文字（小五）", body, TINY_TABLE_PT, line=None,
                             align=WD_ALIGN_PARAGRAPH.LEFT),
        "table_head_tiny": _style(doc, "表头文字（小五）", sans, TINY_TABLE_PT, line=None,
                                  align=WD_ALIGN_PARAGRAPH.CENTER, bold=latin_bold),
        "figure": _style(doc, "图片", body, BODY_PT, line=None, align=WD_ALIGN_PARAGRAPH.CENTER,
                         keep_next=True),
        "signature": _style(doc, "落款", body, BODY_PT, align=WD_ALIGN_PARAGRAPH.RIGHT),
        "banner": _style(doc, "数据提示", sans, 12, align=WD_ALIGN_PARAGRAPH.CENTER, line=None,
                         after=12, keep_next=True),
        "attachment": _style(doc, "附件标识", sans, BODY_PT, keep_next=True, bold=latin_bold),
        "note": _style(doc, "表注", body, 12, line=None, before=2, after=6),
    }
    styles["signature"].paragraph_format.right_indent = Pt(BODY_PT * 4)
    _page_numbers(doc, section)
    _font_table(doc)
    return styles


def _defaults(doc, content: ReportContent) -> None:
    """The document's default run properties: fonts without theme, the report's languages.

    python-docx's template says en-US for every script (ja-JP in some styles): Word and
    LibreOffice then pick Japanese glyph forms and punctuation spacing for Chinese text.
    """
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for el in rpr.findall(qn("w:rFonts")) + rpr.findall(qn("w:lang")):
        rpr.remove(el)
    fonts = OxmlElement("w:rFonts")
    for attr, value in (("w:ascii", LATIN), ("w:hAnsi", LATIN),
                        ("w:eastAsia", face_name(FACES["body"])), ("w:cs", LATIN)):
        fonts.set(qn(attr), value)
    rpr.insert(0, fonts)
    lang = OxmlElement("w:lang")
    # w:val is the language of Latin-script runs (numbers, codes, English words): marked
    # Chinese, LibreOffice breaks them anywhere ("差1|8家", "93.7|%"). Chinese text is
    # marked by w:eastAsia, zh-CN in either report (an English one names Chinese places).
    lang.set(qn("w:val"), t("layout.latin_lang", content.lang))
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)
    for el in list(doc.styles.element.iter(qn("w:lang"))):  # the template's styles say ja-JP
        if el.getparent() is not rpr:
            el.getparent().remove(el)


def _font_table(doc) -> None:
    """The font table: each font the file names, with the data Word substitutes by.

    Every CJK font carries the GB2312 character set (86) and its family (roman: serif,
    swiss: sans), so that Word picks a font of the same kind when none of the names is
    found; a stand-in lists the official names as ``w:altName`` (see :func:`face_name`).
    """
    part = doc.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(part.blob)
    for el in list(root):
        root.remove(el)
    entries: dict[str, tuple[str, list[str]]] = {}
    # The body's names first: Word takes the first alternative it finds, and a stand-in
    # shared by several roles (Noto Serif) should become 仿宋, the face of most of the text.
    for face in sorted(FACES.values(), key=lambda f: f != FACES["body"]):
        name = face_name(face)
        family = "swiss" if face.sans else "roman"
        alt = entries.setdefault(name, (family, []))[1]
        other = [face.stand_in] if name == face.official else [face.official, *face.also]
        alt += [n for n in other if n not in alt]
    for name, (family, alt) in entries.items():
        alt_el = f'<w:altName w:val="{",".join(alt)}"/>' if alt else ""
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}">{alt_el}<w:charset w:val="86"/>'
            f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'))
    for name, family in ((LATIN, "roman"), (LATIN_SANS, "swiss")):
        root.append(parse_xml(f'<w:font {nsdecls("w")} w:name="{name}"><w:charset w:val="00"/>'
                              f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(doc, section) -> None:
    """Footers "— n —" in 宋体 四号: right on odd pages, left on even pages, one
    character in from the edge of the text (GB/T 9704 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        pf = p.paragraph_format
        pf.first_line_indent = Pt(0)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            pf.right_indent = Pt(PAGE_NUMBER_PT)
        else:
            pf.left_indent = Pt(PAGE_NUMBER_PT)
        for text in ("— ", None, " —"):
            run = p.add_run()
            run.font.size = Pt(PAGE_NUMBER_PT)
            _set_fonts(run._element, FACES["page"])
            if text is not None:
                run.text = text
                continue
            for kind, value in (("begin", None), ("instr", "PAGE"), ("end", None)):
                if kind == "instr":
                    el = OxmlElement("w:instrText")
                    el.set(qn("xml:space"), "preserve")
                    el.text = value
                else:
                    el = OxmlElement("w:fldChar")
                    el.set(qn("w:fldCharType"), kind)
                run._element.append(el)


def _keep_next(paragraph_element) -> None:
    ppr = paragraph_element.get_or_add_pPr()
    if ppr.find(qn("w:keepNext")) is None:
        ppr.append(OxmlElement("w:keepNext"))


def _cell_text(cell, text: str, style, align=None, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    # Set the style id directly: python-docx's ``p.style = ...`` looks the default style
    # up on every call, which made a 250-row table take seconds.
    p._p.style = style.style_id
    if align is not None:
        p.alignment = align
    run = p.add_run(text)
    if bold:
        run.bold = True


#: The table styles by size: body and header.
_TABLE_STYLES = {TABLE_PT: ("table", "table_head"), SMALL_TABLE_PT: ("table_small", "table_head_small"),
                 TINY_TABLE_PT: ("table_tiny", "table_head_tiny")}


def _table_size(block: Table, text_width_pt: float) -> float:
    """小四, or 五号 for a wide table; a size smaller where a word or a code would not fit
    unbroken (English headers are long)."""
    sizes = [SMALL_TABLE_PT, TINY_TABLE_PT]
    if not (block.small or len(block.headers) >= SMALL_FROM_COLUMNS):
        sizes.insert(0, TABLE_PT)
    for size in sizes:
        body, head = _measures(size)
        if fits(block.headers, block.rows, text_width_pt, body, padding=_padding(size),
                head_measure=head):
            return size
    return sizes[-1]


def _measures(size: float):
    """Text widths (pt) at ``size``: body cells, and headers, set in a sans face (bold in
    English) and so wider than the serif body. Latin text is estimated in the widest face
    it may be drawn in (:func:`tracker.reports.typeset.em_width`): LibreOffice on Debian
    draws Times New Roman in DejaVu Serif."""
    return (lambda s: em_width(s) * size), (lambda s: em_width(s) * size * 1.12)


def _widths_pt(block: Table, size: float, text_width_pt: float) -> list[float]:
    """Column widths (pt) fitted to the cells (see :func:`tracker.reports.typeset.fit_widths`)."""
    body, head = _measures(size)
    return fit_widths(block.headers, block.rows, text_width_pt, body, padding=_padding(size),
                      head_measure=head)


def _padding(size: float) -> float:
    return 2 * CELL_MARGIN_PT[size] + CELL_SLACK_PT


def _cell_margins(table, size: float) -> None:
    """Set the table's left and right cell margins (narrower than Word's in 小五 tables)."""
    if CELL_MARGIN_PT[size] == CELL_MARGIN_PT[TABLE_PT]:
        return
    twips = str(round(CELL_MARGIN_PT[size] * 20))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), twips)
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr = table._tbl.tblPr
    look = tblpr.find(qn("w:tblLook"))  # the schema's order: tblCellMar before tblLook
    if look is not None:
        look.addprevious(margins)
    else:
        tblpr.append(margins)


def _table(doc, block: Table, styles: dict, text_width_mm: float) -> None:
    if block.caption:
        doc.add_paragraph(block.caption, style=styles["caption"])
    table = doc.add_table(rows=1, cols=len(block.headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    text_width_pt = text_width_mm / 25.4 * 72
    size = _table_size(block, text_width_pt)
    body_style, head_style = (styles[k] for k in _TABLE_STYLES[size])
    widths = [Pt(w) for w in _widths_pt(block, size, text_width_pt)]
    _cell_margins(table, size)
    # The grid's column widths: Word and LibreOffice lay the table out by them (the cells'
    # own widths alone leave the columns equal).
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
    header = table.rows[0]
    _repeat_header(header)
    _cant_split(header)
    for cell, text, width in zip(header.cells, block.headers, widths):
        cell.width = width
        _cell_text(cell, text, head_style)
    last = len(block.rows) - 1
    template = None
    for i, row in enumerate(block.rows):
        bold = block.bold_last and i == last
        if template is not None and not bold and not any(
                ch in text for text in row for ch in _SPECIAL):
            # A copy of a finished row with the texts swapped: python-docx's cell API
            # costs about a millisecond a cell (half a minute for a 5,000-row list).
            tr = copy.deepcopy(template)
            for t_el, text in zip(tr.iter(qn("w:t")), row):
                t_el.text = text
            table._tbl.append(tr)
            continue
        added = table.add_row()
        _cant_split(added)
        cells = added.cells
        for j, (cell, text) in enumerate(zip(cells, row)):
            cell.width = widths[j]
            align = WD_ALIGN_PARAGRAPH.RIGHT if j in block.numeric else None
            _cell_text(cell, text, body_style, align,
                       bold=bold)
        if template is None and not bold:
            template = _template(table.rows[-1]._tr)
    # The header and the first rows stay together (and the caption, kept with the header):
    # a table begins on the next page rather than with a header and one row at a page foot.
    # Set after the rows are copied: the template row must not carry it to every row.
    # The last row (a total) does not stand alone at the head of a page either.
    rows = table._tbl.tr_lst
    for tr in [*rows[:KEEP_ROWS + 1][:len(block.rows)], *rows[-2:-1][:len(rows) > 2]]:
        for p in tr.iter(qn("w:p")):
            _keep_next(p)
    if block.note:
        doc.add_paragraph(block.note, style=styles["note"])


def _template(tr):
    """A copy of a data row whose every cell holds one run with one (empty) text element.

    The run keeps its properties (bold, fonts); anything else a run held (a tab, a
    break from the first row's text) is dropped.
    """
    tr = copy.deepcopy(tr)
    for tc in tr.iter(qn("w:tc")):
        p = next(tc.iter(qn("w:p")))
        runs = list(p.iter(qn("w:r")))
        for extra in runs[1:]:
            extra.getparent().remove(extra)
        if runs:
            run = runs[0]
            for child in list(run):
                if child.tag != qn("w:rPr"):
                    run.remove(child)
        else:
            run = OxmlElement("w:r")
            p.append(run)
        text = OxmlElement("w:t")
        text.set(qn("xml:space"), "preserve")
        run.append(text)
    return tr


#: Characters python-docx turns into elements of their own (tab, line break).
_SPECIAL = ("\t", "\n", "\r")


def _cant_split(row) -> None:
    """Keep a row on one page (a chain's name is not cut between two pages)."""
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _repeat_header(row) -> None:
    """Repeat the header row on every page the table spans."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _new_section(doc, landscape: bool) -> float:
    """Start a section on a new page (A4, landscape or portrait); returns its text width in mm."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    wide, high = (297, 210) if landscape else (210, 297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(wide), Mm(high)
    if landscape:  # the portrait margins turned with the page
        top, bottom = MARGINS_MM["right"], MARGINS_MM["left"]
        left, right = MARGINS_MM["top"], MARGINS_MM["bottom"]
    else:
        top, bottom = MARGINS_MM["top"], MARGINS_MM["bottom"]
        left, right = MARGINS_MM["left"], MARGINS_MM["right"]
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    return wide - left - right


def write_docx(content: ReportContent, charts: ChartSet, stream: BinaryIO) -> None:
    """Write the Word report of ``content`` (with its rendered ``charts``) to a binary stream."""
    doc = Document()
    styles = _setup(doc, content)
    text_width_mm = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
    blocks = build(content, charts)
    # The 落款 never stands alone on a page, nor parts the list of attachments above it.
    indent = BODY_PT * 2 if content.tr("pdf_script") == "cjk" else 0
    kept = kept_with_signature(blocks, lambda b: indent + em_width(b.text) * BODY_PT
                               <= text_width_mm / 25.4 * 72)
    for i, block in enumerate(blocks):
        if isinstance(block, Title):
            doc.add_paragraph(block.text, style=styles["title"])
            if block.banner:
                p = doc.add_paragraph(block.banner, style=styles["banner"])
                p.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)
        elif isinstance(block, Recipient):
            doc.add_paragraph(block.text, style=styles["recipient"])
        elif isinstance(block, Heading):
            level = min(max(int(getattr(block, "level", 1)), 1), 4)
            doc.add_paragraph(block.text, style=styles[f"heading{level}"])
        elif isinstance(block, Para):
            p = doc.add_paragraph(block.text, style=styles["body"])
            if i in kept:
                p.paragraph_format.keep_with_next = True
        elif isinstance(block, Table):
            _table(doc, block, styles, text_width_mm)
        elif isinstance(block, Figure):
            p = doc.add_paragraph(style=styles["figure"])
            p.add_run().add_picture(io.BytesIO(block.chart.png), width=Mm(text_width_mm))
            doc.add_paragraph(block.caption, style=styles["figure_caption"])
        elif isinstance(block, Signature):
            # Two blank lines between the body and the 落款, as in GB/T 9704.
            for _ in range(2):
                doc.add_paragraph(style=styles["body"]).paragraph_format.keep_with_next = True
            lines = [block.issuer, *str(block.date_text).splitlines()]
            for i, line in enumerate(lines):
                p = doc.add_paragraph(line, style=styles["signature"])
                p.paragraph_format.keep_with_next = i < len(lines) - 1
        elif isinstance(block, Attachment):
            # Each attachment starts a section of its own: a new page, landscape for a
            # wide list; the page numbers run on (the footers are the first section's).
            text_width_mm = _new_section(doc, block.landscape)
            doc.add_paragraph(block.label, style=styles["attachment"])
            doc.add_paragraph(block.title, style=styles["title"])
    props = doc.core_properties
    props.title = content.tr("doc_title", scope=content.scope_text)
    props.author = props.last_modified_by = issuer(content)
    props.created = props.modified = content.generated_at
    props.language = t("layout.doc_lang", content.lang)
    props.revision = 1
    props.comments = props.keywords = ""
    doc.save(stream)
