"""The Word report, in the layout of Chinese official documents (GB/T 9704-2012).

A4 paper; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; the title in
方正小标宋简体 二号 (22 pt) centred; body in 仿宋_GB2312 三号 (16 pt), first lines indented two
characters, about 22 lines a page; first-level headings 一、二、… in 黑体; tables in
仿宋_GB2312 小四; 落款 and the date in Chinese numerals at the right; page numbers
"— 1 —" at the foot. The East Asian font names are set through ``w:eastAsia`` so that
Word on an office machine picks the official fonts; Latin text uses Times New Roman.

The blocks come from :func:`tracker.reports.outline.build`; this module only typesets them.
"""

from __future__ import annotations

import copy
import io
from typing import BinaryIO

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .charts import ChartSet
from .content import ReportContent
from .outline import Attachment, Figure, Heading, Para, Recipient, Signature, Table, Title, build

__all__ = ["FONTS", "MARGINS_MM", "write_docx"]

#: Official font names (GB/T 9704) and the Latin font beside them.
FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "heading": "黑体",
         "subheading": "楷体_GB2312", "page": "宋体", "latin": "Times New Roman"}
#: Page margins in millimetres.
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 12  # 小四
SMALL_TABLE_PT = 10.5  # 五号: the wide tables (nine columns)
LINE_PT = 28.95  # 22 lines in the 225 mm text block


def _set_fonts(rpr_parent, east_asian: str, latin: str = FONTS["latin"]) -> None:
    """Set the East Asian and Latin font names on a style's or a run's ``w:rPr``."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asian),
                        ("w:cs", latin)):
        fonts.set(qn(attr), value)
    # Theme fonts would override the names above.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _style(doc, name: str, font: str, size: float, bold: bool = False, align=None,
           indent_chars: float = 0, line: float | None = LINE_PT, before: float = 0,
           after: float = 0, base: str = "Normal"):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != base:
        style.base_style = styles[base]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.name = FONTS["latin"]
    _set_fonts(style.element, font)
    pf = style.paragraph_format
    pf.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if align is not None:
        pf.alignment = align
    return style


def _setup(doc) -> dict:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(20)
    styles = {
        "body": _style(doc, "Normal", FONTS["body"], BODY_PT, indent_chars=2,
                       align=WD_ALIGN_PARAGRAPH.JUSTIFY),
        "title": _style(doc, "公文标题", FONTS["title"], TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
                        line=36, after=LINE_PT),
        "recipient": _style(doc, "主送机关", FONTS["body"], BODY_PT, indent_chars=0),
        "heading": _style(doc, "一级标题", FONTS["heading"], BODY_PT, indent_chars=2),
        "caption": _style(doc, "题注", FONTS["heading"], 14, align=WD_ALIGN_PARAGRAPH.CENTER,
                          line=None, before=6, after=4),
        "table": _style(doc, "表格文字", FONTS["body"], TABLE_PT, line=None,
                        align=WD_ALIGN_PARAGRAPH.LEFT),
        "table_head": _style(doc, "表头文字", FONTS["heading"], TABLE_PT, line=None,
                             align=WD_ALIGN_PARAGRAPH.CENTER),
        "table_small": _style(doc, "表格文字（五号）", FONTS["body"], SMALL_TABLE_PT, line=None,
                              align=WD_ALIGN_PARAGRAPH.LEFT),
        "table_head_small": _style(doc, "表头文字（五号）", FONTS["heading"], SMALL_TABLE_PT,
                                   line=None, align=WD_ALIGN_PARAGRAPH.CENTER),
        "figure": _style(doc, "图片", FONTS["body"], BODY_PT, line=None,
                         align=WD_ALIGN_PARAGRAPH.CENTER),
        "signature": _style(doc, "落款", FONTS["body"], BODY_PT, align=WD_ALIGN_PARAGRAPH.RIGHT),
        "banner": _style(doc, "数据提示", FONTS["heading"], 12, align=WD_ALIGN_PARAGRAPH.CENTER,
                         line=None, after=12),
        "attachment": _style(doc, "附件标识", FONTS["heading"], BODY_PT),
        "note": _style(doc, "表注", FONTS["body"], 12, line=None, before=2, after=6),
    }
    # A caption stays on the page of its table or figure; so does a heading with its text.
    styles["caption"].paragraph_format.keep_with_next = True
    styles["heading"].paragraph_format.keep_with_next = True
    # The outline numbering also lets Word's navigation pane list the sections.
    ppr = styles["heading"].element.get_or_add_pPr()
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    ppr.append(outline)
    styles["signature"].paragraph_format.right_indent = Pt(BODY_PT * 4)
    _page_numbers(section)
    return styles


def _page_numbers(section) -> None:
    """Footer "— n —" in 宋体 四号, centred."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in ("— ", None, " —"):
        run = p.add_run()
        run.font.size = Pt(14)
        _set_fonts(run._element, FONTS["page"])
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


def _table(doc, block: Table, styles: dict, text_width_mm: float) -> None:
    if block.caption:
        doc.add_paragraph(block.caption, style=styles["caption"])
    table = doc.add_table(rows=1, cols=len(block.headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(block.widths)
    widths = [Mm(text_width_mm * w / total) for w in block.widths]
    # The grid's column widths: Word and LibreOffice lay the table out by them (the cells'
    # own widths alone leave the columns equal).
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
    header = table.rows[0]
    _repeat_header(header)
    for cell, text, width in zip(header.cells, block.headers, widths):
        cell.width = width
        _cell_text(cell, text, styles["table_head_small" if block.small else "table_head"])
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
            _cell_text(cell, text, styles["table_small" if block.small else "table"], align,
                       bold=bold)
        if template is None and not bold:
            template = _template(table.rows[-1]._tr)
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
    styles = _setup(doc)
    text_width_mm = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
    for block in build(content, charts):
        if isinstance(block, Title):
            doc.add_paragraph(block.text, style=styles["title"])
            if block.banner:
                p = doc.add_paragraph(block.banner, style=styles["banner"])
                p.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)
        elif isinstance(block, Recipient):
            doc.add_paragraph(block.text, style=styles["recipient"])
        elif isinstance(block, Heading):
            doc.add_paragraph(block.text, style=styles["heading"])
        elif isinstance(block, Para):
            doc.add_paragraph(block.text, style=styles["body"])
        elif isinstance(block, Table):
            _table(doc, block, styles, text_width_mm)
        elif isinstance(block, Figure):
            p = doc.add_paragraph(style=styles["figure"])
            p.add_run().add_picture(io.BytesIO(block.chart.png), width=Mm(text_width_mm))
            doc.add_paragraph(block.caption, style=styles["caption"])
        elif isinstance(block, Signature):
            # Two blank lines between the body and the 落款, as in GB/T 9704.
            doc.add_paragraph(style=styles["body"])
            doc.add_paragraph(style=styles["body"])
            doc.add_paragraph(block.issuer, style=styles["signature"])
            doc.add_paragraph(block.date_text, style=styles["signature"])
        elif isinstance(block, Attachment):
            # Each attachment starts a section of its own: a new page, landscape for a
            # wide list; the page numbers run on (the footer is the first section's).
            text_width_mm = _new_section(doc, block.landscape)
            doc.add_paragraph(block.label, style=styles["attachment"])
            doc.add_paragraph(block.title, style=styles["title"])
    props = doc.core_properties
    props.title = content.tr("doc_title", scope=content.scope_text)
    props.author = "Redwood 红杉林"
    doc.save(stream)
