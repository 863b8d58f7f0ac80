"""The PDF report for printing: the Word report's content, typeset with fpdf2.

The same blocks as the Word file (:func:`tracker.reports.outline.build`) on A4 with the
GB/T 9704 margins. Fonts are Noto CJK from Debian's ``fonts-noto-cjk`` (OpenType
collections, ``.ttc``; fpdf2 reads one face of a collection by index), embedded as
subsets: Noto Serif CJK SC for the body (the printed look of 仿宋/宋体), Noto Sans CJK SC
bold for the title and headings (the look of 黑体). ``TRACKER_CJK_FONT`` may
name another font file (``path`` or ``path#index``) used for everything. The charts are
PNG images rendered at over 400 dpi.
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
from .outline import Attachment, Figure, Heading, Para, Recipient, Signature, Table, Title, build

__all__ = ["APT_PACKAGES", "TYPESETTING", "FontSet", "Typesetting", "find_fonts", "write_pdf"]

#: The Debian packages this module needs on the machine.
APT_PACKAGES = ("fonts-noto-cjk",)
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto",
             "/usr/share/fonts/opentype", "/usr/share/fonts")
MARGINS = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT, TITLE_PT, TABLE_PT = 15, 22, 9.5
SMALL_TABLE_PT = 8.5  # the wide tables (nine columns)
LINE_MM = 9.4


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0


@dataclass(frozen=True)
class FontSet:
    body: FontFile
    title: FontFile
    heading: FontFile


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
    # Two faces, not three: subsetting a CJK CFF font costs time per face and glyph, and
    # the title in 黑体-like bold is as common in printed reports as 小标宋.
    return FontSet(body=serif, title=sans_bold, heading=sans_bold)


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


TYPESETTING = {
    "cjk": Typesetting(WrapMode.CHAR, True, "\u3000\u3000"),
    "latin": Typesetting(WrapMode.WORD, False, ""),
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
        self.set_author("Redwood 红杉林")
        self.set_creator("Redwood 红杉林")
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
        self.set_y(-25)
        self.use("body", 12)
        self.cell(0, 8, f"— {self.page_no()} —", align="C")


#: Characters that may not start a line (they hang in the margin instead) and that may
#: not end one (they move to the next line): the usual Chinese line-breaking rules (禁则).
NO_START = set("，。、；：？！）》」』”’%…—·,.;:?!)]}")
NO_END = set("（《「『“‘([{")
_ASCII = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,%/:+\-]*|.", re.DOTALL)


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


def _paragraph(pdf: _Document, text: str, indent: bool = True) -> None:
    pdf.use("body", BODY_PT)
    if not pdf.typesetting.cjk_lines:  # break at spaces, justify by word spacing
        pdf.multi_cell(0, LINE_MM, text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    prefix = pdf.typesetting.indent if indent else ""
    lines = wrap_lines(prefix + text, pdf.text_width, pdf.get_string_width)
    for i, line in enumerate(lines):
        # Justify every line but the last by spacing the characters out, as Chinese
        # typesetting does (there are no spaces to stretch).
        spacing = 0.0
        if i < len(lines) - 1 and len(line) > 1:
            spacing = (pdf.text_width - pdf.get_string_width(line)) / (len(line) - 1) / 0.3528
        pdf.set_char_spacing(max(-1.0, min(spacing, 3.0)))
        pdf.cell(0, LINE_MM, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)


def _table(pdf: _Document, block: Table) -> None:
    if block.caption:
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.use("heading", 12)
        pdf.ln(2)
        pdf.cell(0, 8, block.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    size = SMALL_TABLE_PT if block.small else TABLE_PT
    pdf.use("body", size)
    widths = _column_widths(block.widths, pdf.text_width, size)
    head = FontFace(family=pdf.face["heading"], size_pt=size, fill_color=(235, 235, 235))
    with pdf.table(col_widths=widths, width=pdf.text_width, headings_style=head,
                   line_height=5.2, text_align="LEFT", wrapmode=pdf.typesetting.wrapmode,
                   padding=(1, 1.5, 1, 1.5)) as table:
        row = table.row()
        for h in block.headers:
            row.cell(h, align="C")
        last = len(block.rows) - 1
        bold = FontFace(family=pdf.face["heading"], size_pt=size)
        for i, values in enumerate(block.rows):
            row = table.row()
            for j, value in enumerate(values):
                row.cell(value, align="R" if j in block.numeric else "L",
                         style=bold if block.bold_last and i == last else None)
    if block.note:
        pdf.use("body", 10)
        pdf.multi_cell(0, 6, block.note, wrapmode=pdf.typesetting.wrapmode, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(2)


#: A column never narrower than this many CJK characters plus padding: fpdf2 loops without
#: end (memory grew to 22 GB) when a cell cannot hold even one character.
MIN_COLUMN_CHARS = 2


def _column_widths(weights, text_width: float, size_pt: float) -> list[float]:
    """Column widths (mm) proportional to ``weights``, each wide enough for two characters.

    >>> [round(w, 1) for w in _column_widths([1, 20, 20], 150, 9)]
    [9.4, 70.3, 70.3]
    """
    char = size_pt * 0.3528  # one CJK character is about one em wide (pt → mm)
    least = MIN_COLUMN_CHARS * char + 3.0  # the cell's left and right padding
    total = sum(weights)
    widths = [max(least, text_width * w / total) for w in weights]
    excess = sum(widths) - text_width
    if excess > 0:  # take what the floor added back from the wider columns
        wide = [i for i, w in enumerate(widths) if w > least]
        room = sum(widths[i] - least for i in wide)
        for i in wide:
            widths[i] -= excess * (widths[i] - least) / room
    return widths


def _figure(pdf: _Document, block: Figure) -> None:
    chart = block.chart
    height = pdf.text_width * chart.height_px / chart.width_px
    if pdf.will_page_break(height + 10):
        pdf.add_page()
    pdf.image(io.BytesIO(chart.png), x=pdf.l_margin, w=pdf.text_width, h=height)
    pdf.use("heading", 12)
    pdf.cell(0, 8, block.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def write_pdf(content: ReportContent, charts: ChartSet, stream: BinaryIO) -> None:
    """Write the PDF report of ``content`` (with its rendered ``charts``) to a binary stream."""
    pdf = _Document(content, find_fonts())
    pdf.add_page()
    for block in build(content, charts):
        if isinstance(block, Title):
            pdf.use("title", TITLE_PT)
            pdf.multi_cell(0, 12, block.text, align="C", wrapmode=pdf.typesetting.wrapmode,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if block.banner:
                pdf.use("heading", 11)
                pdf.set_text_color(192, 0, 0)
                pdf.multi_cell(0, 7, block.banner, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.set_text_color(0, 0, 0)
            pdf.ln(LINE_MM / 2)
        elif isinstance(block, Recipient):
            _paragraph(pdf, block.text, indent=False)
        elif isinstance(block, Heading):
            if pdf.will_page_break(LINE_MM * 3):
                pdf.add_page()
            pdf.use("heading", BODY_PT)
            pdf.multi_cell(0, LINE_MM, pdf.typesetting.indent + block.text, align="L", new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)
        elif isinstance(block, Para):
            _paragraph(pdf, block.text)
        elif isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Figure):
            _figure(pdf, block)
        elif isinstance(block, Signature):
            if pdf.will_page_break(LINE_MM * 4):
                pdf.add_page()
            pdf.ln(LINE_MM * 2)
            pdf.use("body", BODY_PT)
            for line in (block.issuer, block.date_text):
                pdf.cell(pdf.text_width - BODY_PT * 0.3528 * 4, LINE_MM, line, align="R",
                         new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif isinstance(block, Attachment):
            pdf.add_page(orientation="L" if block.landscape else "P")
            pdf.use("heading", BODY_PT)
            pdf.cell(0, LINE_MM, block.label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.use("title", 18)
            pdf.multi_cell(0, 10, block.title, align="C", wrapmode=pdf.typesetting.wrapmode,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
    stream.write(bytes(pdf.output()))
