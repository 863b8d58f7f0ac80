"""The Excel ledger (台账): one sheet per part of the report, laid out with openpyxl.

Sheets (Chinese names by default, English with ``lang="en"``): 汇总, 企业明细,
未覆盖企业, 逾期未覆盖 (the overdue queue with each firm's suggested action), 走访记录 (one
row per work-covered firm: its officers, last visit, visits in the window and whether it
counts for the effective rate), 换届提醒 (organisations overdue or due for election within
6 months, and those with no term recorded), 党组织, 规则检查, 计划 (when the planner is
available), 说明. Header rows are
frozen, columns sized to their text, rates in percent format, dates real date cells
(``yyyy-mm-dd``: they sort, and a filter offers years and months), statuses coloured by
conditional formatting (so that the colours follow sorting and filtering). Every text
cell follows the rules of :mod:`tracker.cells` (never a formula; characters XML
cannot hold are dropped). Every font is named (:data:`FONT_NAMES`).

**Chain filters.** A firm in several chains has its chains joined with "、" in 所属产业链
(85 different texts in the demo district: a filter on it cannot pick "every firm of
生物技术"). The sheets that list firms (企业明细, 未覆盖企业, 逾期未覆盖, 走访记录) therefore
end with one column per chain of the scope, headed by the chain's short name, holding
:data:`CHAIN_MARK` where the firm belongs to the chain and nothing where it does not. An
officer filters "✓" in one column (and the status in another) and has every firm of that
chain, each firm still on one row: the row counts of the sheet stay the firm counts of
汇总, which a firm × chain sheet (one row per pair) would not keep.

**Printing.** Every sheet prints on A4, one page wide however long (fit to width, any
height), landscape where its columns are wider than a portrait page at 3/4 size
(:data:`PORTRAIT_MAX_WIDTH`), with its header row repeated on every page, grid lines,
a header with the title and a footer giving the as-of date and scope, the sheet, and
"第 n 页 共 m 页". The long texts of the firm lists and rule checks wrap in narrower
columns (:data:`FIRM_WRAPPED`, :data:`FINDING_WRAPPED`; their rows are made tall enough),
so that the demo district's 2,836 firms print on about 90 landscape pages at two-thirds
size, not 417 pages. The chain filter columns are for the screen: the print area ends
before them (所属产业链 names the chains on paper).

At scale: openpyxl lays the workbook out in write-only mode (titles, header rows, the
small tables, styles) and the table rows are streamed into the saved package by
:mod:`tracker.reports.xlsxstream`, the one xlsx cell writer, so memory stays flat. A firm
list longer than one sheet (:data:`MAX_SHEET_ROWS`) continues on ``企业明细（续2）`` …
rather than being cut.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime
from typing import BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import put_cell, stream_value
from ..i18n import display_width, percent, t
from ..plans import plan_name
from ..provenance import source_text
from ..vocab import ORG_KIND, SEVERITY, STANDING, STATUS, TERM_STATUS, UNCOVERED_CAUSE
from .content import (
    FIRM_COLUMNS,
    ORG_COLUMNS,
    OVERDUE_COLUMNS,
    TERM_COLUMNS,
    VISIT_COLUMNS,
    ReportContent,
    report_title,
    result_text,
    standing_text,
)
from .xlsxstream import DATE_FORMAT, DATETIME_FORMAT, LINE_HEIGHT, ROW_PADDING, Fill, save

__all__ = [
    "CHAIN_MARK",
    "FONT_NAMES",
    "MAX_SHEET_ROWS",
    "PORTRAIT_MAX_WIDTH",
    "SHEETS",
    "SUMMARY_COLUMNS",
    "chain_columns",
    "firm_sheet_names",
    "sheet_name",
    "write_xlsx",
]

#: Sheet keys in order; names come from ``reports.sheet_<key>``.
SHEETS = ("summary", "firms", "uncovered", "overdue", "visits", "terms", "orgs", "findings", "plan",
          "notes")
#: Columns of the 汇总 sheet.
SUMMARY_COLUMNS = ("chain_code", "chain_name", "firms", "org_covered", "work_covered",
                   "uncovered", "coverage_rate", "org_coverage_rate", "single_unit_rate",
                   "target_rate", "target_firms", "gap", "met", "work_visited", "effective_rate")
_RATES = {"coverage_rate", "org_coverage_rate", "single_unit_rate", "target_rate", "effective_rate"}
FINDING_COLUMNS = ("rule", "title", "severity", "subject_type", "subject_id", "subject_name",
                   "message")

#: The ledger's font by language: 等线 (DengXian, the CJK font of current Office, with
#: its own Latin letters and digits; charset 134 = GB 2312) for Chinese, Calibri for
#: English. A machine without it substitutes (LibreOffice: Noto Sans CJK).
FONT_NAMES = {"zh": ("等线", 134), "en": ("Calibri", None)}
HEADER_FILL = PatternFill("solid", fgColor="9C1C1C")
#: Greatest widths of the long text columns of the firm lists (by column key): their text
#: wraps instead, so that a firm list prints one A4 landscape page wide at about
#: two-thirds size (most names on one line) rather than at two-fifths.
FIRM_WRAPPED = {"name": 30, "chains": 14, "orgs": 26, "liaisons": 22, "park": 14, "street": 10,
                "action": 30}
#: The same for the rule checks' long texts.
FINDING_WRAPPED = {"title": 24, "subject_name": 24, "message": 50}
#: The mark of a chain filter column: the firm belongs to the chain (blank: it does not).
CHAIN_MARK = "✓"
THIN = Side(style="thin", color="BFBFBF")
FILLS = {
    "red": PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD"),
    "amber": PatternFill("solid", fgColor="FFE699", bgColor="FFE699"),
    "green": PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE"),
}


class _Look:
    """The named fonts of one ledger (:data:`FONT_NAMES` in the report's language)."""

    def __init__(self, lang: str):
        name, charset = FONT_NAMES.get(lang, FONT_NAMES["en"])
        self.name = name

        def font(**kw) -> Font:
            return Font(name=name, charset=charset, family=2, scheme=None, **{"size": 11, **kw})

        self.body = font()
        self.header = font(bold=True, color="FFFFFF")
        self.title = font(bold=True, size=14)
        self.bold = font(bold=True)
        self.banner = font(bold=True, color="C00000")

    def apply(self, wb: Workbook) -> None:
        """Make :attr:`body` the workbook's default font (style 0, the streamed cells' font).

        Before any cell is styled: openpyxl's default is an unnamed theme font (Calibri).
        """
        wb._fonts = IndexedList([self.body])
        wb._named_styles["Normal"].font = self.body


def sheet_name(key: str, lang: str = "zh") -> str:
    return t(f"reports.sheet_{key}", lang)


def chain_columns(c: ReportContent) -> list[tuple[str, str]]:
    """(code, header) of the chain filter columns: the chains of the scope, in order.

    The header is the chain's name without its parenthesis (汽车制造（智能网联与新能源汽车）
    → 汽车制造), short enough for a narrow column.
    """
    return [(ch.key, re.sub(r"\s*[（(].*$", "", ch.name) or ch.key) for ch in c.chains]


def _chain_marks(keys: list[str]):
    """A function: a firm's chain codes ("BIO;DISPLAY") → its marks in the filter columns."""
    cache: dict[str, tuple] = {}

    def marks(codes) -> tuple:
        got = cache.get(codes)
        if got is None:
            mine = set(str(codes or "").split(";"))
            got = cache[codes] = tuple(CHAIN_MARK if k in mine else None for k in keys)
        return got

    return marks


# A credit code's 18 letters and digits on one line, in a CJK font's wider Latin too.
_CODE_WIDTH = {1: 22}


def _caps(keys, wrapped: dict[str, int]) -> dict[int, float]:
    """Column number (1-based) → greatest width, for the columns of ``wrapped``."""
    return {i: wrapped[k] for i, k in enumerate(keys, start=1) if k in wrapped}


def _wrap(ws, caps: dict[int, float]) -> dict[int, float]:
    """The streamed writer's wrapped columns (0-based) → their widths, for ``caps``."""
    return {i - 1: ws.column_dimensions[get_column_letter(i)].width for i in caps}


def _day(value) -> date | None:
    """An ISO date text of the content (or a date) as a date cell's value; None when blank."""
    if value is None or value == "" or pd.isna(value):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _with_dates(frame, columns):
    """``frame`` with the ISO date texts of ``columns`` as dates."""
    return frame.assign(**{k: [_day(v) for v in frame[k].tolist()] for k in columns})


def _styled(ws, value, font=None, fill=None, alignment=None, number_format=None, border=None):
    """A write-only cell with a style (headers, titles, rates, the total row)."""
    cell = put_cell(WriteOnlyCell(ws), value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    if border is not None:
        cell.border = border
    return cell


def _table(ws, look: _Look, header_row: int, headers: list[str], rows, percent_cols=(),
           autofilter: bool = False, max_width: int = 60, last_row_style: dict | None = None,
           wrap_cols=(), limit: int | None = None, preamble: list[list] = (),
           sample: list | None = None, min_widths: dict[int, float] | None = None,
           header_cap: int = 16, caps: dict[int, float] | None = None) -> int:
    """Append a header row and data rows to a write-only sheet; returns the rows written.

    Streaming: column widths come from the first 500 rows, read ahead before anything is
    written (a write-only sheet takes its column sizes before its cells); then the
    rows go out one by one, so memory does not grow with the table. Only header cells,
    rates and the optional last-row style make cell objects; other values go as they are
    (text that looks like a formula goes through :func:`stream_value`).
    ``limit``: write at most this many data rows (the rest stay in ``rows``).
    ``preamble``: rows above the header (titles), written once the sheet's layout is set:
    a write-only sheet writes its column sizes and frozen panes before its first row.
    ``sample``: rows to size the columns by, when the rows are written elsewhere.
    ``min_widths``: column number (1-based) → least width.
    ``header_cap``: a header sizes its column up to this width, and wraps beyond it
    (the header row is made tall enough), so that a long header over short figures does
    not widen the printed page.
    ``caps``: column number (1-based) → greatest width (the column's text wraps, see
    :func:`_caps`); other columns take ``max_width`` at most.
    Dates (and date-times) become date cells in :data:`DATE_FORMAT` (:data:`DATETIME_FORMAT`).
    """
    min_widths = min_widths or {}
    caps = caps or {}
    rows = iter(rows)
    head: list = []
    for values in rows:
        head.append(values)
        if len(head) == 500:
            break
    # A header wraps between words, never inside one ("Organis/ation"): its longest run
    # of Latin characters (a word, with its brackets and slashes) sets the least width.
    widths = [max(min(header_cap, display_width(h)),
                  max(map(len, re.findall(r"[!-~]+", str(h))), default=0)) for h in headers]
    for values in (head if sample is None else sample):
        for col, value in enumerate(values):
            widths[col] = max(widths[col], 7 if col in percent_cols else display_width(value))
    lines = 1
    for col, width in enumerate(widths, start=1):
        width = max(min(caps.get(col, max_width), max(8, width + 2)), min_widths.get(col, 0))
        ws.column_dimensions[get_column_letter(col)].width = width
        # Bold headers are wider than their estimate: room for a character less.
        lines = max(lines, -(-display_width(headers[col - 1]) // int(width - 2)))
    if lines > 1:
        ws.row_dimensions[header_row].height = LINE_HEIGHT * lines + ROW_PADDING
    # The header row is frozen; callers may freeze more columns before this.
    if ws.freeze_panes is None:
        ws.freeze_panes = f"A{header_row + 1}"
    for values in preamble:
        ws.append(values)
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([_styled(ws, h, look.header, HEADER_FILL, header_align) for h in headers])
    wrap = Alignment(wrap_text=True, vertical="top")
    n = 0
    chained = itertools.chain(head, rows)
    if limit is not None:
        chained = itertools.islice(chained, limit)
    pending = None  # held back one row, so that the last row can be styled
    for values in chained:
        if pending is not None:
            ws.append(_row(ws, pending, percent_cols, wrap_cols, wrap))
            n += 1
        pending = values
    if pending is not None:
        style = last_row_style or {}
        out = _row(ws, pending, percent_cols, wrap_cols, wrap)
        if style:
            out = [_styled(ws, v if not hasattr(v, "value") else v.value,
                           number_format="0.0%" if i in percent_cols else None, **style)
                   for i, v in enumerate(out)]
        ws.append(out)
        n += 1
    if autofilter and headers:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + max(n, 1)}"
    return n


def _row(ws, values, percent_cols, wrap_cols, wrap) -> list:
    out = []
    for col, value in enumerate(values):
        if isinstance(value, date):
            fmt = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
            out.append(_styled(ws, value, number_format=fmt))
        elif col in percent_cols:
            out.append(_styled(ws, value, number_format="0.0%"))
        elif col in wrap_cols:
            out.append(_styled(ws, value, alignment=wrap))
        else:
            out.append(stream_value(ws, value))
    return out


def _colour_rule(ws, column: int, first: int, last: int, label: str, fill: str) -> None:
    letter = get_column_letter(column)
    # Excel wants string literals in formulas with doubled quotes.
    literal = label.replace('"', '""')
    ws.conditional_formatting.add(
        f"{letter}{first}:{letter}{max(first, last)}",
        FormulaRule(formula=[f'${letter}{first}="{literal}"'], fill=FILLS[fill], stopIfTrue=True))


class _Ledger:
    """What every sheet function needs: the content, the fonts, the rows to stream in."""

    def __init__(self, c: ReportContent):
        self.c = c
        self.look = _Look(c.lang)
        self.fills: list[Fill] = []
        self.chains = chain_columns(c)
        self.marks = _chain_marks([k for k, _ in self.chains])
        self._codes: dict[str, str] | None = None
        # Sheet → the number of columns that print (the chain filter columns do not).
        self.printed: dict[object, int] = {}

    def chain_codes(self, credit_code: str) -> str:
        """A firm's chain codes ("BIO;DISPLAY"), from the ledger's rows."""
        if self._codes is None:
            self._codes = dict(zip(self.c.firms["credit_code"].tolist(),
                                   self.c.firms["chain_codes"].tolist()))
        return self._codes.get(credit_code, "")


def _footer_text(text: str, limit: int = 80) -> str:
    """Text for a header or footer: ``&`` doubled (a code there), cut to ``limit`` characters."""
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("&", "&&")


def _print_setup(ws, L: _Ledger, title_rows: str) -> None:
    """A4, one page wide, ``title_rows`` repeated, grid lines, the footer (see the module).

    Called before the sheet's first row: a write-only sheet writes "fit to page" with its
    head. The orientation and print area follow from the widths (:func:`_orient`).
    """
    c, look = L.c, L.look
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows take
    ws.print_title_rows = title_rows
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    footer = ws.oddFooter
    footer.left.text = _footer_text(t("ledger.footer_scope", c.lang, date=c.as_of.isoformat(),
                                      scope=c.scope_text))
    footer.center.text = t("ledger.footer_page", c.lang)
    footer.right.text = "&A"  # the sheet's name
    header = ws.oddHeader
    header.center.text = _footer_text(report_title(c, "ledger"))
    for part in (footer.left, footer.center, footer.right, header.center):
        part.font = f"{look.name},Regular"
        part.size = 9


def _orient(ws, printed: int | None) -> None:
    """The orientation and the print area.

    Portrait while the printed columns fit a portrait page at 3/4 size or more (a long
    list then takes fewer pages than in landscape), landscape when wider.
    """
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
    letters = sorted(widths, key=lambda k: (len(k), k))
    if printed is not None:
        letters = letters[:printed]
        if letters:
            ws.print_area = f"A1:{letters[-1]}1048576"  # whole columns: rows are streamed in later
    total = sum(widths[k] for k in letters)
    ws.page_setup.orientation = "landscape" if total > PORTRAIT_MAX_WIDTH else "portrait"


#: Sheets whose printed columns are wider than this (Excel's character widths) print
#: landscape: an A4 portrait page holds about 95 at 100 %, so this is 3/4 size.
PORTRAIT_MAX_WIDTH = 126


def _summary(ws, L: _Ledger) -> None:
    c, look = L.c, L.look
    plan = plan_name(c.plan, c.lang) if c.plan else c.tr("none")
    _print_setup(ws, L, "3:3")
    preamble = [[_styled(ws, report_title(c, "ledger"), look.title)],
                [stream_value(ws, c.tr("xlsx_subtitle", date=c.as_of.isoformat(), plan=plan,
                                       denominator=c.denominator_text))]]
    headers = [c.tr(f"col_{k}") for k in SUMMARY_COLUMNS]
    percent_cols = {i for i, k in enumerate(SUMMARY_COLUMNS) if k in _RATES}
    # 统计日状态: where the chain stands on the as-of date (never the result on a deadline).
    yes, no, dash = STANDING.label("met", c.lang), STANDING.label("below", c.lang), "—"

    def row(ch):
        n = ch.counts
        met = dash if ch.met is None else (yes if ch.met else no)
        return [ch.key, ch.name, n.firms, n.org_covered, n.work_covered, n.uncovered,
                n.coverage_rate, n.org_coverage_rate, n.single_unit_rate, ch.target_rate,
                ch.target_firms, ch.gap, met, n.work_visited, n.effective_rate]

    rows = [row(ch) for ch in c.chains] + [row(c.total)]
    ws.freeze_panes = "A4"
    # Column A holds the chain codes under a long title: at least 10 wide. The headers
    # wrap (a rate's header is longer than its figures): 14 at most, so that the summary
    # prints one page wide at a readable size.
    _table(ws, look, 3, headers, rows, percent_cols, preamble=preamble, min_widths={1: 10},
           max_width=60, last_row_style={"font": look.bold, "border": Border(top=THIN)},
           header_cap=14)
    last = 3 + len(rows)
    met_col = SUMMARY_COLUMNS.index("met") + 1
    _colour_rule(ws, met_col, 4, last, yes, "green")
    _colour_rule(ws, met_col, 4, last, no, "red")
    if c.synthetic:
        ws.append([])
        ws.append([_styled(ws, t("common.synthetic_banner", c.lang), look.banner)])


#: Data rows of one sheet: Excel's 1,048,576 rows less the header row.
MAX_SHEET_ROWS = 1_048_575


def firm_sheet_names(key: str, rows: int, lang: str = "zh") -> list[str]:
    """The sheet names a firm list of ``rows`` rows takes: ``企业明细``, ``企业明细（续2）``, ….

    A province holds more firms than one Excel sheet has rows; the list then continues on
    further sheets, each with its header, filter and colours, rather than being cut.
    """
    sheets = max(1, -(-rows // MAX_SHEET_ROWS))
    base = sheet_name(key, lang)
    return [base] + [t("reports.sheet_continued", lang, name=base, n=i) for i in range(2, sheets + 1)]


def _firm_sheets(wb, L: _Ledger, key: str, frame) -> None:
    """Lay out the firm list's sheet(s); their rows are streamed in on saving.

    openpyxl writes each sheet's frame (column sizes, frozen panes, filter, colour rules,
    header row); the data rows, up to a million per sheet, are streamed in afterwards by
    :func:`tracker.reports.xlsxstream.save` (openpyxl's per-cell objects cost about
    25 µs a cell: minutes for a province's ledger). Each row ends with the chain filter
    columns.
    """
    c = L.c
    headers = [c.tr(f"col_{k}") for k in FIRM_COLUMNS] + [h for _, h in L.chains]
    status_col = FIRM_COLUMNS.index("status") + 1
    for i, name in enumerate(firm_sheet_names(key, len(frame), c.lang)):
        ws = wb.create_sheet(name)
        _print_setup(ws, L, "1:1")
        L.printed[ws] = len(FIRM_COLUMNS)
        ws.freeze_panes = "C2"  # keep code and name in view while scrolling right
        start = i * MAX_SHEET_ROWS
        n = min(MAX_SHEET_ROWS, len(frame) - start)
        # Only the header goes through openpyxl; the first rows size the columns.
        caps = _caps(FIRM_COLUMNS, FIRM_WRAPPED)
        _table(ws, L.look, 1, headers, [], max_width=50, header_cap=8, caps=caps,
               min_widths=_CODE_WIDTH,
               sample=list(_frame_rows(frame, start, min(n, 500), L=L)))
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{1 + max(n, 1)}"
        for code, fill in (("none", "red"), ("work", "amber"), ("org", "green")):
            _colour_rule(ws, status_col, 2, n + 1, STATUS.label(code, c.lang), fill)
        L.fills.append(Fill(ws, _frame_rows(frame, start, n, L=L), 2, wrap=_wrap(ws, caps)))


_CHUNK = 20_000  # rows turned into Python lists at a time


def _frame_rows(frame, start: int, n: int, columns=FIRM_COLUMNS, L: _Ledger | None = None):
    """Rows ``start .. start + n`` of ``frame`` as tuples, converted a chunk at a time.

    With ``L``: each row followed by its chain filter marks (from ``chain_codes``).
    """
    for offset in range(start, start + n, _CHUNK):
        part = frame.iloc[offset:min(start + n, offset + _CHUNK)]
        rows = zip(*[part[k].tolist() for k in columns])
        if L is None:
            yield from rows
        else:
            marks = L.marks
            for row, codes in zip(rows, part["chain_codes"].tolist()):
                yield row + marks(codes)


def _streamed_table(ws, L: _Ledger, header_row: int, headers: list[str], rows: list,
                    max_width: int = 60, preamble: list[list] = (), keys=(),
                    wrapped: dict[str, int] | None = None) -> None:
    """A filtered table whose rows are streamed in on saving (header and layout by openpyxl).

    ``keys``: the columns' keys; ``wrapped``: key → greatest width of the columns whose
    text wraps.
    """
    caps = _caps(keys, wrapped or {})
    _table(ws, L.look, header_row, headers, [], max_width=max_width, preamble=preamble,
           sample=rows[:500], header_cap=10, caps=caps,
           min_widths=_CODE_WIDTH if keys[:1] == ("credit_code",) else None)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + max(len(rows), 1)}"
    L.fills.append(Fill(ws, rows, header_row + 1, wrap=_wrap(ws, caps)))


def _with_chains(L: _Ledger, ws, headers: list[str], rows: list[tuple], code_col: int):
    """``headers`` and ``rows`` of a firm list, each row followed by its chain filter marks."""
    L.printed[ws] = len(headers)
    return ([*headers, *(h for _, h in L.chains)],
            [(*r, *L.marks(L.chain_codes(r[code_col]))) for r in rows])


def _org_sheet(ws, L: _Ledger) -> None:
    c = L.c
    _print_setup(ws, L, "1:1")
    headers = [c.tr(f"col_org_{k}") for k in ORG_COLUMNS]
    frame = _with_dates(c.orgs, ["founded"])
    rows = list(_frame_rows(frame, 0, len(frame), ORG_COLUMNS))
    _streamed_table(ws, L, 1, headers, rows, keys=ORG_COLUMNS)


def _findings_sheet(ws, L: _Ledger) -> None:
    c = L.c
    _print_setup(ws, L, "1:1")
    headers = [c.tr(f"col_finding_{k}") for k in FINDING_COLUMNS]
    rows = [[r[k] for k in FINDING_COLUMNS] for r in c.finding_rows()]
    _streamed_table(ws, L, 1, headers, rows, max_width=80, keys=FINDING_COLUMNS,
                    wrapped=FINDING_WRAPPED)
    col = FINDING_COLUMNS.index("severity") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("error", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("warning", c.lang), "amber")


def _overdue_sheet(ws, L: _Ledger) -> None:
    """逾期未覆盖: the overdue queue, longest wait first, with each firm's suggested action."""
    c = L.c
    _print_setup(ws, L, "1:1")
    headers = [c.tr(f"col_overdue_{k}") for k in OVERDUE_COLUMNS]
    frame = _with_dates(c.overdue_rows, ["uncovered_since"])
    rows = list(_frame_rows(frame, 0, len(frame), OVERDUE_COLUMNS))
    headers, rows = _with_chains(L, ws, headers, rows, OVERDUE_COLUMNS.index("credit_code"))
    ws.freeze_panes = "C2"
    _streamed_table(ws, L, 1, headers, rows, max_width=50, keys=OVERDUE_COLUMNS,
                    wrapped=FIRM_WRAPPED)
    col = OVERDUE_COLUMNS.index("cause") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, UNCOVERED_CAUSE.label("lost", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, UNCOVERED_CAUSE.label("entered", c.lang), "amber")


def _visits_sheet(ws, L: _Ledger) -> None:
    """走访记录: each work-covered firm, not visited first (see :func:`content._visits`)."""
    c = L.c
    _print_setup(ws, L, "1:1")
    headers = [c.tr(f"col_visit_{k}", days=c.visit_window) for k in VISIT_COLUMNS]
    frame = _with_dates(c.visits, ["last_visit"])
    rows = list(_frame_rows(frame, 0, len(frame), VISIT_COLUMNS))
    headers, rows = _with_chains(L, ws, headers, rows, VISIT_COLUMNS.index("credit_code"))
    ws.freeze_panes = "C2"
    _streamed_table(ws, L, 1, headers, rows, max_width=50, keys=VISIT_COLUMNS,
                    wrapped=FIRM_WRAPPED)
    col = VISIT_COLUMNS.index("counts") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, c.tr("no"), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, c.tr("yes"), "green")


def term_rows(c: ReportContent) -> list[list]:
    """The 换届提醒 rows: overdue, due within 6 months, unknown (in that order)."""
    return [[r.org_code, r.name, ORG_KIND.label(r.kind, c.lang), r.term_start, r.term_years,
             r.due, TERM_STATUS.label(r.status, c.lang), r.days_to_due] for r in c.terms]


def _terms_sheet(ws, L: _Ledger) -> None:
    c = L.c
    _print_setup(ws, L, "1:1")
    headers = [c.tr(f"col_term_{k}") for k in TERM_COLUMNS]
    rows = term_rows(c)
    ws.freeze_panes = "C2"
    _streamed_table(ws, L, 1, headers, rows, keys=TERM_COLUMNS)
    col = TERM_COLUMNS.index("status") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, TERM_STATUS.label("overdue", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, TERM_STATUS.label("due_soon", c.lang), "amber")


def _plan_sheet(ws, L: _Ledger) -> None:
    section = L.c.plan_section
    header_row = len(section.summary) + 3
    _print_setup(ws, L, f"{header_row}:{header_row}")
    preamble = [[_styled(ws, section.title, L.look.title)]]
    preamble += [[stream_value(ws, line)] for line in section.summary]
    preamble.append([])
    ws.freeze_panes = f"A{header_row + 1}"
    _streamed_table(ws, L, header_row, section.headers, section.rows, preamble=preamble)


def _notes_sheet(ws, L: _Ledger) -> None:
    c = L.c
    _print_setup(ws, L, "1:1")
    rows = notes_rows(c)
    _table(ws, L.look, 1, [c.tr("col_item"), c.tr("col_value")], rows, max_width=100,
           wrap_cols={1})


def notes_rows(c: ReportContent) -> list[list]:
    """The 说明 rows: as-of date, scope, plan, denominator, provenance, generation time.

    The as-of date and the generation time are date cells; the rest is text.
    """
    info = c.provenance
    yes, no = c.tr("yes"), c.tr("no")
    rows = [
        [c.tr("note_as_of"), c.as_of],
        [c.tr("note_scope"), c.scope_text],
        [c.tr("note_plan"), c.tr("note_plan_value", name=plan_name(c.plan, c.lang), deadline=c.plan["deadline"],
                                   target=f"{c.plan['target_rate']:.0%}") if c.plan else c.tr("none")],
        [c.tr("note_denominator"), c.denominator_text],
        [c.tr("note_definitions"), c.tr("note_definitions_text")],
        [c.tr("note_effective"), c.tr("note_effective_text", days=c.visit_window)],
        [t("ledger.note_chain_columns", c.lang), t("ledger.note_chain_columns_text", c.lang,
                                                    mark=CHAIN_MARK)],
        [c.tr("note_source"), source_text(info, c.lang) or c.tr("unknown")],
        [c.tr("note_licence"), info.get("licence") or c.tr("unknown")],
        [c.tr("note_synthetic"), (yes + "：" + t("common.synthetic_banner", c.lang)) if c.synthetic else no],
        [c.tr("note_last_import"), info.get("last_import") or c.tr("unknown")],
        [c.tr("note_generated"), c.generated_at.replace(tzinfo=None, microsecond=0)],
        [c.tr("note_software"), c.tr("note_software_text")],
    ]
    if c.overdue is not None:
        rows.append([c.tr("note_overdue"), c.tr("note_overdue_text", days=c.overdue.days,
                                                 plan=c.overdue.plan or c.tr("none"))])
    rows.append([c.tr("note_terms"), c.tr("note_terms_text")])
    if c.ended is not None:
        v, d = c.ended, c.ended.district
        rows.append([c.tr("note_verdict"), c.tr(
            "note_verdict_text", plan=v.plan.name, deadline=v.plan.deadline.isoformat(),
            rate_deadline=percent(d.at_deadline.coverage_rate if d.at_deadline else None),
            result=result_text(c, d), rate_now=percent(d.now.coverage_rate),
            standing=standing_text(c, d), trend=d.labels(c.lang)["trend"])])
    rows += [[c.tr("note_remark"), note] for note in c.notes]
    return rows


def write_xlsx(content: ReportContent, stream: BinaryIO) -> None:
    """Write the Excel ledger of ``content`` to a binary stream.

    The small sheets are written by openpyxl in write-only (streaming) mode; the big
    tables' rows are streamed into the saved package by
    :func:`tracker.reports.xlsxstream.save`. At 100,000 firms
    the ledger holds 1.5 million cells; a normal openpyxl workbook keeps them all as
    objects (850 MiB) and writes them at about 25 µs a cell.
    """
    c = content
    L = _Ledger(c)
    wb = Workbook(write_only=True)
    L.look.apply(wb)
    sheets = {"summary": _summary, "overdue": _overdue_sheet, "visits": _visits_sheet,
              "terms": _terms_sheet, "orgs": _org_sheet, "findings": _findings_sheet,
              "plan": _plan_sheet, "notes": _notes_sheet}
    for key in SHEETS:
        if key == "plan" and c.plan_section is None:
            continue
        if key in ("firms", "uncovered"):
            _firm_sheets(wb, L, key, c.firms if key == "firms" else c.uncovered)
            continue
        sheets[key](wb.create_sheet(sheet_name(key, c.lang)), L)
    for ws in wb.worksheets:
        _orient(ws, L.printed.get(ws))
    wb.properties.title = report_title(c, "ledger")
    wb.properties.creator = "Redwood 红杉林"
    save(wb, L.fills, stream)
