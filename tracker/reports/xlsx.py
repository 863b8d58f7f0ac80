"""The Excel ledger (台账): one sheet per part of the report, laid out with openpyxl.

Sheets (Chinese names by default, English with ``lang="en"``): 汇总, 企业明细,
未覆盖企业, 逾期未覆盖 (the overdue queue with each firm's suggested action), 走访记录 (one
row per work-covered firm: its officers, last visit, visits in the window and whether it
counts for the effective rate), 换届提醒 (organisations overdue or due for election within
6 months, and those with no term recorded), 党组织, 规则检查, 计划 (when the planner is
available), 说明. Header rows are
frozen, columns sized to their text, rates in percent format, statuses coloured by
conditional formatting (so that the colours follow sorting and filtering). Every text
cell follows the rules of :mod:`tracker.reports.safe` (never a formula; characters XML
cannot hold are dropped).

At scale: openpyxl lays the workbook out in write-only mode (titles, header rows, the
small tables, styles) and the table rows are streamed into the saved package by
:mod:`tracker.reports.xlsxstream`, the one xlsx cell writer, so memory stays flat. A firm
list longer than one sheet (:data:`MAX_SHEET_ROWS`) continues on ``企业明细（续2）`` …
rather than being cut.
"""

from __future__ import annotations

import itertools
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..i18n import display_width, percent, t
from ..vocab import ORG_KIND, SEVERITY, STANDING, STATUS, TERM_STATUS, UNCOVERED_CAUSE
from .content import (
    FIRM_COLUMNS,
    ORG_COLUMNS,
    OVERDUE_COLUMNS,
    TERM_COLUMNS,
    VISIT_COLUMNS,
    ReportContent,
    result_text,
    standing_text,
)
from .safe import put_cell, stream_value
from .xlsxstream import Fill, save

__all__ = [
    "MAX_SHEET_ROWS",
    "SHEETS",
    "SUMMARY_COLUMNS",
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

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="9C1C1C")
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="BFBFBF")
FILLS = {
    "red": PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD"),
    "amber": PatternFill("solid", fgColor="FFE699", bgColor="FFE699"),
    "green": PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE"),
}


def sheet_name(key: str, lang: str = "zh") -> str:
    return t(f"reports.sheet_{key}", lang)


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


def _table(ws, header_row: int, headers: list[str], rows, percent_cols=(),
           autofilter: bool = False, max_width: int = 60, last_row_style: dict | None = None,
           wrap_cols=(), limit: int | None = None, preamble: list[list] = (),
           sample: list | None = None, min_widths: dict[int, float] | None = None) -> int:
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
    """
    min_widths = min_widths or {}
    rows = iter(rows)
    head: list = []
    for values in rows:
        head.append(values)
        if len(head) == 500:
            break
    widths = [display_width(h) for h in headers]
    for values in (head if sample is None else sample):
        for col, value in enumerate(values):
            widths[col] = max(widths[col], 7 if col in percent_cols else display_width(value))
    for col, width in enumerate(widths, start=1):
        width = min(max_width, max(8, width + 2))
        ws.column_dimensions[get_column_letter(col)].width = max(width, min_widths.get(col, 0))
    # The header row is frozen; callers may freeze more columns before this.
    if ws.freeze_panes is None:
        ws.freeze_panes = f"A{header_row + 1}"
    for values in preamble:
        ws.append(values)
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([_styled(ws, h, HEADER_FONT, HEADER_FILL, header_align) for h in headers])
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
    if not percent_cols and not wrap_cols:
        return [stream_value(ws, v) for v in values]
    out = []
    for col, value in enumerate(values):
        if col in percent_cols:
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


def _summary(ws, c: ReportContent) -> None:
    plan = c.plan["name"] if c.plan else c.tr("none")
    preamble = [[_styled(ws, c.tr("xlsx_title", scope=c.scope_text), TITLE_FONT)],
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
    # Column A holds the chain codes under a long title: at least 10 wide.
    _table(ws, 3, headers, rows, percent_cols, preamble=preamble, min_widths={1: 10},
           last_row_style={"font": Font(bold=True), "border": Border(top=THIN)})
    last = 3 + len(rows)
    met_col = SUMMARY_COLUMNS.index("met") + 1
    _colour_rule(ws, met_col, 4, last, yes, "green")
    _colour_rule(ws, met_col, 4, last, no, "red")
    if c.synthetic:
        ws.append([])
        ws.append([_styled(ws, t("common.synthetic_banner", c.lang), Font(bold=True, color="C00000"))])


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


def _firm_sheets(wb, c: ReportContent, key: str, frame) -> list[Fill]:
    """Lay out the firm list's sheet(s); returns the rows to stream into each.

    openpyxl writes each sheet's frame (column sizes, frozen panes, filter, colour rules,
    header row); the data rows, up to a million per sheet, are streamed in afterwards by
    :func:`tracker.reports.xlsxstream.save` (openpyxl's per-cell objects cost about
    25 µs a cell: minutes for a province's ledger).
    """
    headers = [c.tr(f"col_{k}") for k in FIRM_COLUMNS]
    status_col = FIRM_COLUMNS.index("status") + 1
    head = frame.head(500)
    sample = list(zip(*[head[k].tolist() for k in FIRM_COLUMNS]))
    fills = []
    for i, name in enumerate(firm_sheet_names(key, len(frame), c.lang)):
        ws = wb.create_sheet(name)
        ws.freeze_panes = "C2"  # keep code and name in view while scrolling right
        start = i * MAX_SHEET_ROWS
        n = min(MAX_SHEET_ROWS, len(frame) - start)
        # Only the header goes through openpyxl; the first rows size the columns.
        _table(ws, 1, headers, [], max_width=50, sample=sample if i == 0 else
               _sample(frame, start))
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{1 + max(n, 1)}"
        for code, fill in (("none", "red"), ("work", "amber"), ("org", "green")):
            _colour_rule(ws, status_col, 2, n + 1, STATUS.label(code, c.lang), fill)
        fills.append(Fill(ws, _frame_rows(frame, start, n), 2))
    return fills


def _sample(frame, start: int) -> list[tuple]:
    part = frame.iloc[start:start + 500]
    return list(zip(*[part[k].tolist() for k in FIRM_COLUMNS]))


_CHUNK = 20_000  # rows turned into Python lists at a time


def _frame_rows(frame, start: int, n: int, columns=FIRM_COLUMNS):
    """Rows ``start .. start + n`` of ``frame`` as tuples, converted a chunk at a time."""
    for offset in range(start, start + n, _CHUNK):
        part = frame.iloc[offset:min(start + n, offset + _CHUNK)]
        yield from zip(*[part[k].tolist() for k in columns])


def _streamed_table(ws, header_row: int, headers: list[str], rows: list, fills: list[Fill],
                    max_width: int = 60, preamble: list[list] = ()) -> None:
    """A filtered table whose rows are streamed in on saving (header and layout by openpyxl)."""
    _table(ws, header_row, headers, [], max_width=max_width, preamble=preamble,
           sample=rows[:500])
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + max(len(rows), 1)}"
    fills.append(Fill(ws, rows, header_row + 1))


def _org_sheet(ws, c: ReportContent, fills: list) -> None:
    headers = [c.tr(f"col_org_{k}") for k in ORG_COLUMNS]
    rows = list(_frame_rows(c.orgs, 0, len(c.orgs), ORG_COLUMNS))
    _streamed_table(ws, 1, headers, rows, fills)


def _findings_sheet(ws, c: ReportContent, fills: list) -> None:
    headers = [c.tr(f"col_finding_{k}") for k in FINDING_COLUMNS]
    rows = [[r[k] for k in FINDING_COLUMNS] for r in c.finding_rows()]
    _streamed_table(ws, 1, headers, rows, fills, max_width=80)
    col = FINDING_COLUMNS.index("severity") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("error", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("warning", c.lang), "amber")


def _overdue_sheet(ws, c: ReportContent, fills: list) -> None:
    """逾期未覆盖: the overdue queue, longest wait first, with each firm's suggested action."""
    headers = [c.tr(f"col_overdue_{k}") for k in OVERDUE_COLUMNS]
    rows = list(_frame_rows(c.overdue_rows, 0, len(c.overdue_rows), OVERDUE_COLUMNS))
    ws.freeze_panes = "C2"
    _streamed_table(ws, 1, headers, rows, fills, max_width=50)
    col = OVERDUE_COLUMNS.index("cause") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, UNCOVERED_CAUSE.label("lost", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, UNCOVERED_CAUSE.label("entered", c.lang), "amber")


def _visits_sheet(ws, c: ReportContent, fills: list) -> None:
    """走访记录: each work-covered firm, not visited first (see :func:`content._visits`)."""
    headers = [c.tr(f"col_visit_{k}", days=c.visit_window) for k in VISIT_COLUMNS]
    rows = list(_frame_rows(c.visits, 0, len(c.visits), VISIT_COLUMNS))
    ws.freeze_panes = "C2"
    _streamed_table(ws, 1, headers, rows, fills, max_width=50)
    col = VISIT_COLUMNS.index("counts") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, c.tr("no"), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, c.tr("yes"), "green")


def term_rows(c: ReportContent) -> list[list]:
    """The 换届提醒 rows: overdue, due within 6 months, unknown (in that order)."""
    return [[r.org_code, r.name, ORG_KIND.label(r.kind, c.lang),
             r.term_start.isoformat() if r.term_start else None, r.term_years,
             r.due.isoformat() if r.due else None, TERM_STATUS.label(r.status, c.lang),
             r.days_to_due] for r in c.terms]


def _terms_sheet(ws, c: ReportContent, fills: list) -> None:
    headers = [c.tr(f"col_term_{k}") for k in TERM_COLUMNS]
    rows = term_rows(c)
    ws.freeze_panes = "C2"
    _streamed_table(ws, 1, headers, rows, fills)
    col = TERM_COLUMNS.index("status") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, TERM_STATUS.label("overdue", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, TERM_STATUS.label("due_soon", c.lang), "amber")


def _plan_sheet(ws, c: ReportContent, fills: list) -> None:
    section = c.plan_section
    preamble = [[_styled(ws, section.title, TITLE_FONT)]]
    preamble += [[stream_value(ws, line)] for line in section.summary]
    preamble.append([])
    header_row = len(section.summary) + 3
    ws.freeze_panes = f"A{header_row + 1}"
    _streamed_table(ws, header_row, section.headers, section.rows, fills, preamble=preamble)


def _notes_sheet(ws, c: ReportContent) -> None:
    rows = notes_rows(c)
    _table(ws, 1, [c.tr("col_item"), c.tr("col_value")], rows, max_width=100, wrap_cols={1})


def notes_rows(c: ReportContent) -> list[list[str]]:
    """The 说明 rows: as-of date, scope, plan, denominator, provenance, generation time."""
    info = c.provenance
    yes, no = c.tr("yes"), c.tr("no")
    rows = [
        [c.tr("note_as_of"), c.as_of.isoformat()],
        [c.tr("note_scope"), c.scope_text],
        [c.tr("note_plan"), c.tr("note_plan_value", name=c.plan["name"], deadline=c.plan["deadline"],
                                   target=f"{c.plan['target_rate']:.0%}") if c.plan else c.tr("none")],
        [c.tr("note_denominator"), c.denominator_text],
        [c.tr("note_definitions"), c.tr("note_definitions_text")],
        [c.tr("note_effective"), c.tr("note_effective_text", days=c.visit_window)],
        [c.tr("note_source"), info.get("source") or c.tr("unknown")],
        [c.tr("note_licence"), info.get("licence") or c.tr("unknown")],
        [c.tr("note_synthetic"), (yes + "：" + t("common.synthetic_banner", c.lang)) if c.synthetic else no],
        [c.tr("note_last_import"), info.get("last_import") or c.tr("unknown")],
        [c.tr("note_generated"), c.generated_at.isoformat(sep=" ")],
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
    wb = Workbook(write_only=True)
    fills: list[Fill] = []
    for key in SHEETS:
        if key == "plan" and c.plan_section is None:
            continue
        if key in ("firms", "uncovered"):
            fills += _firm_sheets(wb, c, key, c.firms if key == "firms" else c.uncovered)
            continue
        ws = wb.create_sheet(sheet_name(key, c.lang))
        if key == "summary":
            _summary(ws, c)
        elif key == "overdue":
            _overdue_sheet(ws, c, fills)
        elif key == "visits":
            _visits_sheet(ws, c, fills)
        elif key == "terms":
            _terms_sheet(ws, c, fills)
        elif key == "orgs":
            _org_sheet(ws, c, fills)
        elif key == "findings":
            _findings_sheet(ws, c, fills)
        elif key == "plan":
            _plan_sheet(ws, c, fills)
        else:
            _notes_sheet(ws, c)
    wb.properties.title = c.tr("xlsx_title", scope=c.scope_text)
    wb.properties.creator = "Redwood 红杉林"
    save(wb, fills, stream)
