"""The PDF report for printing: the Word report's content, typeset with fpdf2.

The same blocks as the Word file (:func:`tracker.reports.outline.build`) on A4 with the
GB/T 9704 margins. Fonts are Noto CJK from Debian's ``fonts-noto-cjk`` (OpenType
collections, ``.ttc``; fpdf2 reads one face of a collection by index), embedded as
subsets, the faces of the Word report's stand-ins (:data:`tracker.reports.docx.FACES`):
Noto Serif CJK SC for the body (the printed look of 仿宋/宋体) and level-four headings,
Noto Serif CJK SC Bold for the title (小标宋) and levels two and three (楷体, bold 仿宋),
Noto Sans CJK SC Bold for level one (黑体), captions and table headers.
``TRACKER_CJK_FONT`` may name another font file (``path`` or ``path#index``) used for
everything. The charts are PNG images rendered at over 400 dpi.

Breaks: a heading stays with what follows it; a table starts on a new page only when its
caption, header and first :data:`KEEP_ROWS` rows do not fit; a figure a little too tall
for the rest of the page is set smaller rather than moved; the last paragraph goes with
the signature. Table columns are fitted to their content
(:func:`tracker.reports.typeset.fit_widths`) and cells are broken into lines here, never
inside a credit code, a number or an English word. Page numbers "— 1 —" are right on odd
pages and left on even ones, as in the Word report.
"""

from __future__ import annotations

import glob
import io
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from ..errors import TrackerError
from ..i18n import t
from .charts import ChartSet
from .content import ReportContent
from .outline import (
    Attachment,
    Block,
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
from .typeset import fit_widths, kept_with_signature

__all__ = ["APT_PACKAGES", "KEEP_ROWS", "TYPESETTING", "FontSet", "Typesetting", "find_fonts",
           "wrap_lines", "write_pdf"]

#: The Debian packages this module needs on the machine.
APT_PACKAGES = ("fonts-noto-cjk",)
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto",
             "/usr/share/fonts/opentype", "/usr/share/fonts")
MARGINS = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT, TITLE_PT, TABLE_PT = 15, 22, 9.5
SMALL_TABLE_PT = 8.5  # the wide tables (nine columns)
SMALL_FROM_COLUMNS = 8  # tables of this many columns are set in SMALL_TABLE_PT
LINE_MM = 9.4
CELL_LINE_MM = 5.2  # a table cell's line
CELL_PADDING = (1, 1.5, 1, 1.5)  # top, right, bottom, left (mm)
CAPTION_MM = 10  # a caption's line and the space above it
#: Rows after a table's header that must fit on the page the table starts on.
KEEP_ROWS = 3
#: A figure at least this fraction of whose height fits on the page is set smaller there
#: instead of leaving the rest of the page empty.
FIGURE_SHRINK = 0.7
PT_MM = 25.4 / 72


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0


@dataclass(frozen=True)
class FontSet:
    body: FontFile  # serif: the body, level-four headings
    title: FontFile  # serif bold: the title, levels two and three
    heading: FontFile  # sans bold: level one, captions, table headers


def _sc_index(path: str) -> int:
    """Index of the Simplified Chinese face in a collection (0 for a single font)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    names = [font["name"].getDebugName(1) or "" for font in collection.fonts]
    for wanted in (" SC", "SC", "GB", "CN"):
        for i, name in enumerate(names):
            if name.endswith(wanted) and "Mono" not in name:
                return i
    return 0


def _find(pattern: str) -> FontFile | None:
    for folder in FONT_DIRS:
        hits = sorted(glob.glob(os.path.join(folder, "**", pattern), recursive=True))
        if hits:
            return FontFile(hits[0], _sc_index(hits[0]))
    return None


@lru_cache(maxsize=1)
def find_fonts() -> FontSet:
    """The CJK fonts to embed; raises :class:`TrackerError` naming the package to install."""
    override = os.environ.get("TRACKER_CJK_FONT")
    if override:
        path, _, index = override.partition("#")
        if not Path(path).is_file():
            raise TrackerError(f"TRACKER_CJK_FONT 指定的字体文件不存在：{path}")
        font = FontFile(path, int(index) if index else _sc_index(path))
        return FontSet(font, font, font)
    sans = _find("NotoSansCJK-Regular.ttc") or _find("NotoSansCJKsc-Regular.otf")
    if sans is None:
        raise TrackerError("找不到中文字体（Noto CJK），无法生成 PDF：请安装 Debian 软件包 "
                           "fonts-noto-cjk（apt-get install fonts-noto-cjk）")
    serif = _find("NotoSerifCJK-Regular.ttc") or sans
    sans_bold = _find("NotoSansCJK-Bold.ttc") or sans
    serif_bold = _find("NotoSerifCJK-Bold.ttc") or serif
    return FontSet(body=serif, title=serif_bold, heading=sans_bold)


@dataclass(frozen=True)
class Typesetting:
    """How the text of one script is set; a report's language names its script
    (``reports.pdf_script``) and its language tag (``reports.pdf_lang``)."""

    #: Where a line may break: between any two characters (CJK), or only at spaces.
    wrapmode: WrapMode
    #: Set by :func:`wrap_lines` and justified by spacing the characters out (Chinese has
    #: no spaces to stretch), or by fpdf2 with word spacing.
    cjk_lines: bool
    #: Put before body paragraphs and headings (Chinese indents them two characters).
    indent: str
    #: Space after a paragraph (mm): English paragraphs, not indented, are set apart so.
    gap: float = 0.0


TYPESETTING = {
    "cjk": Typesetting(WrapMode.CHAR, True, "\u3000\u3000"),
    "latin": Typesetting(WrapMode.WORD, False, "", gap=2.5),
}


def _typesetting(content: ReportContent) -> Typesetting:
    return TYPESETTING[content.tr("pdf_script")]


class _Document(FPDF):
    def __init__(self, content: ReportContent, fonts: FontSet):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.content = content
        self.typesetting = _typesetting(content)
        # Role (body, title, heading) -> family name; a face used twice is loaded once.
        self.face: dict[str, str] = {}
        loaded: dict[FontFile, str] = {}
        for role, font in (("body", fonts.body), ("title", fonts.title), ("heading", fonts.heading)):
            if font not in loaded:
                loaded[font] = f"cjk{len(loaded)}"
                self.add_font(loaded[font], "", font.path, collection_font_number=font.index)
                # Keep the whole font's bounding boxes in the subset instead of recomputing
                # them from every CFF glyph outline: that took most of the PDF's time, and
                # the original boxes contain the subset's glyphs anyway.
                self.fonts[loaded[font]].ttfont.recalcBBoxes = False
            self.face[role] = loaded[font]
        self.set_margins(MARGINS["left"], MARGINS["top"], MARGINS["right"])
        self.set_auto_page_break(True, margin=MARGINS["bottom"])
        self.set_title(content.tr("doc_title", scope=content.scope_text))
        self.set_author(issuer(content))
        self.set_creator("Redwood 红杉林")
        self.set_creation_date(content.generated_at.astimezone())
        self.set_lang(content.tr("pdf_lang"))

    def use(self, role: str, size: float) -> None:
        self.set_font(self.face[role], size=size)

    @property
    def text_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def header(self):
        if self.content.synthetic:
            self.use("heading", 8)
            self.set_text_color(192, 0, 0)
            self.set_y(18)
            self.cell(0, 5, t("common.synthetic_banner", self.content.lang), align="C")
            self.set_text_color(0, 0, 0)
            self.set_y(MARGINS["top"])

    def footer(self):
        # GB/T 9704 7.5: right on odd pages, left on even ones, one character in.
        self.set_y(-25)
        self.use("body", 14)
        odd = self.page_no() % 2 == 1
        em = 14 * PT_MM
        self.set_x(self.l_margin + (0 if odd else em))
        self.cell(self.text_width - em, 8, f"— {self.page_no()} —", align="R" if odd else "L")

    def measure(self, role: str, size: float):
        """Width (mm) of a text in ``role``'s face at ``size``, without selecting the font."""
        widths = self.fonts[self.face[role]].cw
        scale = size * 0.001 * PT_MM
        return lambda text: sum(widths[ord(ch)] for ch in text) * scale

    @property
    def room(self) -> float:
        """Height left on this page above the bottom margin (mm)."""
        return self.page_break_trigger - self.get_y()


#: Characters that may not start a line (they hang in the margin instead) and that may
#: not end one (they move to the next line): the usual Chinese line-breaking rules (禁则).
NO_START = set("，。、；：？！）》」』”’%…—·,.;:?!)]}")
NO_END = set("（《「『“‘([{")
_ASCII = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,%:+]*[-/]?|.", re.DOTALL)


def wrap_lines(text: str, width: float, measure) -> list[str]:
    """Break ``text`` into lines of at most ``width`` (by ``measure``), CJK style.

    A line may break between any two CJK characters, never inside a run of Latin letters
    or digits (``2,394`` and ``90.3%`` stay whole); closing punctuation hangs at the end
    of a line; opening punctuation moves to the next line.

    >>> wrap_lines("甲乙丙，丁", 3, len)
    ['甲乙丙，', '丁']
    """
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for unit in _ASCII.findall(text):
        w = measure(unit)
        if current and used + w > width and unit[0] not in NO_START:
            carry = []
            while current and current[-1][-1] in NO_END:
                carry.insert(0, current.pop())
            lines.append("".join(current))
            current, used = carry, sum(measure(u) for u in carry)
        current.append(unit)
        used += w
    if current:
        lines.append("".join(current))
    return lines


def wrap_words(text: str, width: float, measure) -> list[str]:
    """Break ``text`` into lines of at most ``width`` at spaces (Latin scripts); a word
    longer than the line stands alone on it rather than being cut.

    >>> wrap_words("Organisation coverage rate", 13, len)
    ['Organisation', 'coverage rate']
    >>> wrap_words("Work-covered (liaison/instructor)", 12, len)
    ['Work-covered', '(liaison/', 'instructor)']
    """
    lines: list[str] = []
    for part in text.split("\n"):
        current = ""
        for word in part.split(" "):
            # A word may also break after a hyphen or a slash ("liaison/instructor").
            for k, piece in enumerate(re.findall(r"[^-/]*[-/]|[^-/]+", word) or [""]):
                glue = "" if k or not current else " "
                candidate = current + glue + piece
                if current and measure(candidate) > width:
                    lines.append(current)
                    current = piece
                else:
                    current = candidate
        lines.append(current)
    return lines


def _lines(pdf: _Document, text: str, width: float, measure) -> list[str]:
    """``text`` broken into lines of ``width`` by the report's script."""
    if pdf.typesetting.cjk_lines:
        return [line for part in text.split("\n") for line in wrap_lines(part, width, measure) or [""]]
    return wrap_words(text, width, measure)


def _paragraph_lines(pdf: _Document, text: str, indent: bool = True) -> list[str]:
    prefix = pdf.typesetting.indent if indent else ""
    # A Latin line is set by multi_cell, inside the cell's margins.
    width = pdf.text_width - (0 if pdf.typesetting.cjk_lines else 2 * pdf.c_margin + 0.5)
    return _lines(pdf, prefix + text, width, pdf.measure("body", BODY_PT))


def _paragraph(pdf: _Document, text: str, indent: bool = True) -> None:
    pdf.use("body", BODY_PT)
    lines = _paragraph_lines(pdf, text, indent)
    if not pdf.typesetting.cjk_lines:  # broken at spaces, justified by word spacing
        # Line by line: fpdf2's multi_cell moved a whole long paragraph to the next page,
        # leaving half a page empty.
        for i, line in enumerate(lines):
            pdf.multi_cell(0, LINE_MM, line, align="J" if i < len(lines) - 1 else "L",
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(pdf.typesetting.gap)
        return
    for i, line in enumerate(lines):
        # Justify every line but the last by spacing the characters out, as Chinese
        # typesetting does (there are no spaces to stretch).
        spacing = 0.0
        if i < len(lines) - 1 and len(line) > 1:
            spacing = (pdf.text_width - pdf.get_string_width(line)) / (len(line) - 1) / 0.3528
        pdf.set_char_spacing(max(-1.0, min(spacing, 3.0)))
        pdf.cell(0, LINE_MM, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)


#: A heading's face by level (GB/T 9704: 黑体, 楷体, 仿宋 bold, 仿宋; see the module text).
HEADING_FACES = {1: "heading", 2: "title", 3: "title", 4: "body"}


def _level(block: Heading) -> int:
    return min(max(int(getattr(block, "level", 1)), 1), 4)


def _heading(pdf: _Document, block: Heading) -> None:
    pdf.use(HEADING_FACES[_level(block)], BODY_PT)
    pdf.multi_cell(0, LINE_MM, pdf.typesetting.indent + block.text, align="L",
                   wrapmode=pdf.typesetting.wrapmode, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table_size(block: Table) -> float:
    return SMALL_TABLE_PT if block.small or len(block.headers) >= SMALL_FROM_COLUMNS else TABLE_PT


@dataclass
class _TableLayout:
    """A table's columns and its cells broken into lines (computed once, used to decide
    the page break and to draw)."""

    size: float
    widths: list[float]
    headers: list[str]
    rows: list[list[str]]

    def row_height(self, i: int) -> float:
        """Height (mm) of row ``i`` (-1: the header)."""
        cells = self.headers if i < 0 else self.rows[i]
        lines = max(text.count("\n") + 1 for text in cells) if cells else 1
        return lines * CELL_LINE_MM + CELL_PADDING[0] + CELL_PADDING[2]


def _layout(pdf: _Document, block: Table) -> _TableLayout:
    size = _table_size(block)
    body, head = pdf.measure("body", size), pdf.measure("heading", size)
    pad = CELL_PADDING[1] + CELL_PADDING[3]
    widths = fit_widths(block.headers, block.rows, pdf.text_width, body, padding=pad + 0.6,
                        head_measure=head)

    em = size * PT_MM

    def wrapped(text: str, j: int, measure) -> str:
        room = widths[j] - pad - 0.4
        lines = _lines(pdf, text, room, measure)
        if any(measure(line) > room for line in lines):
            # Closing punctuation hangs past the line's end (wrap_lines); a cell has no
            # margin to hang it in, so break for a line one character shorter.
            lines = _lines(pdf, text, room - em, measure)
        return "\n".join(lines)

    headers = [wrapped(h, j, head) for j, h in enumerate(block.headers)]
    rows = [[wrapped(str(v), j, body) for j, v in enumerate(r)] for r in block.rows]
    return _TableLayout(size, widths, headers, rows)


def _table_start(pdf: _Document, block: Table, layout: _TableLayout) -> float:
    """Height of the part of a table that must begin on one page: caption, header and
    the first :data:`KEEP_ROWS` rows."""
    caption = CAPTION_MM if block.caption else 0
    return caption + sum(layout.row_height(i) for i in range(-1, min(KEEP_ROWS, len(layout.rows))))


def _table(pdf: _Document, block: Table, layout: _TableLayout) -> None:
    if pdf.room < _table_start(pdf, block, layout):
        pdf.add_page()
    if block.caption:
        pdf.use("heading", 12)
        pdf.ln(2)
        pdf.cell(0, 8, block.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    size = layout.size
    pdf.use("body", size)
    head = FontFace(family=pdf.face["heading"], size_pt=size, fill_color=(235, 235, 235))
    # The lines are broken already (:func:`_layout`): fpdf2 only draws them.
    with pdf.table(col_widths=layout.widths, width=pdf.text_width, headings_style=head,
                   line_height=CELL_LINE_MM, text_align="LEFT", wrapmode=WrapMode.CHAR,
                   padding=CELL_PADDING) as table:
        row = table.row()
        for h in layout.headers:
            row.cell(h, align="C")
        last = len(layout.rows) - 1
        bold = FontFace(family=pdf.face["heading"], size_pt=size)
        for i, values in enumerate(layout.rows):
            row = table.row()
            for j, value in enumerate(values):
                row.cell(value, align="R" if j in block.numeric else "L",
                         style=bold if block.bold_last and i == last else None)
    if block.note:
        pdf.use("body", 10)
        pdf.multi_cell(0, 6, block.note, wrapmode=pdf.typesetting.wrapmode, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(2)


def _figure_height(pdf: _Document, block: Figure) -> float:
    return pdf.text_width * block.chart.height_px / block.chart.width_px


def _figure(pdf: _Document, block: Figure) -> None:
    chart = block.chart
    height = _figure_height(pdf, block)
    width = pdf.text_width
    if pdf.room < height + CAPTION_MM:
        fits = pdf.room - CAPTION_MM
        if fits >= FIGURE_SHRINK * height:  # a little smaller here, not a half-empty page
            width, height = width * fits / height, fits
        else:
            pdf.add_page()
    pdf.image(io.BytesIO(chart.png), x=pdf.l_margin + (pdf.text_width - width) / 2, w=width,
              h=height)
    pdf.use("heading", 12)
    pdf.cell(0, 8, block.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _centred(pdf: _Document, text: str, size: float, line_mm: float) -> None:
    """A title: centred lines in the title face, broken by the script's rules (a closing
    bracket never starts a line)."""
    pdf.use("title", size)
    em = size * PT_MM
    for line in _lines(pdf, text, pdf.text_width - em, pdf.measure("title", size)):
        pdf.cell(0, line_mm, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _signature_lines(block: Signature) -> list[str]:
    return [block.issuer, *str(block.date_text).splitlines()]


def _start_height(pdf: _Document, block: Block | None, layouts: dict) -> float:
    """Height of the part of ``block`` that must share a page with what comes before it
    (a heading with the start of its text; the last paragraph with the signature)."""
    if isinstance(block, Para):
        return min(len(_paragraph_lines(pdf, block.text)), 2) * LINE_MM
    if isinstance(block, Table):
        return _table_start(pdf, block, layouts[id(block)])
    if isinstance(block, Figure):
        return FIGURE_SHRINK * _figure_height(pdf, block) + CAPTION_MM
    if isinstance(block, Heading):
        return 2 * LINE_MM
    if isinstance(block, Signature):
        return (2 + len(_signature_lines(block))) * LINE_MM
    return 0.0


def write_pdf(content: ReportContent, charts: ChartSet, stream: BinaryIO) -> None:
    """Write the PDF report of ``content`` (with its rendered ``charts``) to a binary stream."""
    pdf = _Document(content, find_fonts())
    pdf.add_page()
    blocks = build(content, charts)
    layouts: dict[int, _TableLayout] = {}
    # The signature never stands alone on a page, nor parts the list of attachments above it.
    kept = kept_with_signature(blocks, lambda b: len(_paragraph_lines(pdf, b.text)) == 1)
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(block, Attachment):
            pdf.add_page(orientation="L" if block.landscape else "P")
        if isinstance(following, Table) and id(following) not in layouts:
            layouts[id(following)] = _layout(pdf, following)
        if isinstance(block, Table) and id(block) not in layouts:
            layouts[id(block)] = _layout(pdf, block)
        if isinstance(block, Title):
            _centred(pdf, block.text, TITLE_PT, 12)
            if block.banner:
                pdf.use("heading", 11)
                pdf.set_text_color(192, 0, 0)
                pdf.multi_cell(0, 7, block.banner, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.set_text_color(0, 0, 0)
            pdf.ln(LINE_MM / 2)
        elif isinstance(block, Recipient):
            _paragraph(pdf, block.text, indent=False)
        elif isinstance(block, Heading):
            # Never at the foot of a page: the heading goes with the start of its text.
            if pdf.room < LINE_MM + _start_height(pdf, following, layouts):
                pdf.add_page()
            _heading(pdf, block)
        elif isinstance(block, Para):
            if i in kept and i - 1 not in kept:  # the first paragraph going with the signature
                run = [blocks[k] for k in sorted(kept) if k >= i and all(
                    m in kept for m in range(i, k + 1))]
                need = sum(len(_paragraph_lines(pdf, b.text)) * LINE_MM + pdf.typesetting.gap
                           for b in run)
                if pdf.room < need + _start_height(pdf, blocks[i + len(run)], layouts):
                    pdf.add_page()
            _paragraph(pdf, block.text)
        elif isinstance(block, Table):
            _table(pdf, block, layouts.pop(id(block)))
        elif isinstance(block, Figure):
            _figure(pdf, block)
        elif isinstance(block, Signature):
            if pdf.room < _start_height(pdf, block, layouts):
                pdf.add_page()
            pdf.ln(LINE_MM * 2)
            pdf.use("body", BODY_PT)
            for line in _signature_lines(block):
                pdf.cell(pdf.text_width - BODY_PT * PT_MM * 4, LINE_MM, line, align="R",
                         new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif isinstance(block, Attachment):
            pdf.use("heading", BODY_PT)
            pdf.cell(0, LINE_MM, block.label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            _centred(pdf, block.title, 18, 10)
            pdf.ln(3)
    stream.write(bytes(pdf.output()))
