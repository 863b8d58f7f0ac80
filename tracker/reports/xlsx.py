"""The Excel ledger (台账): one sheet per part of the report, laid out with openpyxl.

Sheets (Chinese names by default, English with ``lang="en"``): 汇总, 企业明细,
未覆盖企业, 党组织, 规则检查, 计划 (when the planner is available), 说明. Header rows are
frozen, columns sized to their text, rates in percent format, statuses coloured by
conditional formatting (so that the colours follow sorting and filtering). Every text
cell goes through :func:`tracker.reports.safe.put_cell`.
"""

from __future__ import annotations

from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..i18n import display_width, t
from .content import FIRM_COLUMNS, ORG_COLUMNS, ReportContent
from ..vocab import SEVERITY, STATUS
from .safe import put_cell

__all__ = ["write_xlsx", "SHEETS", "sheet_name", "SUMMARY_COLUMNS"]

#: Sheet keys in order; names come from ``reports.sheet_<key>``.
SHEETS = ("summary", "firms", "uncovered", "orgs", "findings", "plan", "notes")
#: Columns of the 汇总 sheet.
SUMMARY_COLUMNS = ("chain_code", "chain_name", "firms", "org_covered", "work_covered",
                   "uncovered", "coverage_rate", "org_coverage_rate", "single_unit_rate",
                   "target_rate", "target_firms", "gap", "met")
_RATES = {"coverage_rate", "org_coverage_rate", "single_unit_rate", "target_rate"}
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


def _table(ws: Worksheet, header_row: int, headers: list[str], rows, percent_cols=(),
           autofilter: bool = False, max_width: int = 60) -> None:
    """Write a header row and data rows; size columns; freeze the header; optional filter."""
    widths = [display_width(h) for h in headers]
    for col, text in enumerate(headers, start=1):
        cell = put_cell(ws.cell(row=header_row, column=col), text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    n = 0
    for n, values in enumerate(rows, start=1):
        r = header_row + n
        for col, value in enumerate(values, start=1):
            cell = put_cell(ws.cell(row=r, column=col), value)
            if col - 1 in percent_cols:
                cell.number_format = "0.0%"
            if n <= 500:  # the first rows are enough to size a column
                widths[col - 1] = max(widths[col - 1], display_width(value) if col - 1 not in percent_cols else 7)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max_width, max(8, width + 2))
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if autofilter and headers:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + max(n, 1)}"


def _colour_rule(ws: Worksheet, column: int, first: int, last: int, label: str, fill: str) -> None:
    letter = get_column_letter(column)
    # Excel wants string literals in formulas with doubled quotes.
    literal = label.replace('"', '""')
    ws.conditional_formatting.add(
        f"{letter}{first}:{letter}{max(first, last)}",
        FormulaRule(formula=[f'${letter}{first}="{literal}"'], fill=FILLS[fill], stopIfTrue=True))


def _summary(ws: Worksheet, c: ReportContent) -> None:
    put_cell(ws.cell(row=1, column=1), c.tr("xlsx_title", scope=c.scope_text)).font = TITLE_FONT
    plan = c.plan["name"] if c.plan else c.tr("none")
    put_cell(ws.cell(row=2, column=1), c.tr("xlsx_subtitle", date=c.as_of.isoformat(), plan=plan,
                                            denominator=c.denominator_text))
    headers = [c.tr(f"col_{k}") for k in SUMMARY_COLUMNS]
    percent_cols = {i for i, k in enumerate(SUMMARY_COLUMNS) if k in _RATES}
    yes, no, dash = c.tr("met_yes"), c.tr("met_no"), "—"

    def row(ch):
        n = ch.counts
        met = dash if ch.met is None else (yes if ch.met else no)
        return [ch.key, ch.name, n.firms, n.org_covered, n.work_covered, n.uncovered,
                n.coverage_rate, n.org_coverage_rate, n.single_unit_rate, ch.target_rate,
                ch.target_firms, ch.gap, met]

    rows = [row(ch) for ch in c.chains] + [row(c.total)]
    _table(ws, 3, headers, rows, percent_cols)
    last = 3 + len(rows)
    for cell in ws[last]:
        cell.font = Font(bold=True)
        cell.border = Border(top=THIN)
    met_col = SUMMARY_COLUMNS.index("met") + 1
    _colour_rule(ws, met_col, 4, last, yes, "green")
    _colour_rule(ws, met_col, 4, last, no, "red")
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 10)
    if c.synthetic:
        put_cell(ws.cell(row=last + 2, column=1), t("common.synthetic_banner", c.lang)).font = \
            Font(bold=True, color="C00000")


def _firm_sheet(ws: Worksheet, c: ReportContent, frame) -> None:
    headers = [c.tr(f"col_{k}") for k in FIRM_COLUMNS]
    rows = frame[list(FIRM_COLUMNS)].itertuples(index=False, name=None)
    _table(ws, 1, headers, rows, autofilter=True, max_width=50)
    status_col = FIRM_COLUMNS.index("status") + 1
    last = len(frame) + 1
    for code, fill in (("none", "red"), ("work", "amber"), ("org", "green")):
        _colour_rule(ws, status_col, 2, last, STATUS.label(code, c.lang), fill)
    ws.freeze_panes = "C2"  # keep code and name in view while scrolling right


def _org_sheet(ws: Worksheet, c: ReportContent) -> None:
    headers = [c.tr(f"col_org_{k}") for k in ORG_COLUMNS]
    _table(ws, 1, headers, c.orgs[list(ORG_COLUMNS)].itertuples(index=False, name=None),
           autofilter=True)


def _findings_sheet(ws: Worksheet, c: ReportContent) -> None:
    headers = [c.tr(f"col_finding_{k}") for k in FINDING_COLUMNS]
    rows = [[r[k] for k in FINDING_COLUMNS] for r in c.finding_rows()]
    _table(ws, 1, headers, rows, autofilter=True, max_width=80)
    col = FINDING_COLUMNS.index("severity") + 1
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("error", c.lang), "red")
    _colour_rule(ws, col, 2, len(rows) + 1, SEVERITY.label("warning", c.lang), "amber")


def _plan_sheet(ws: Worksheet, c: ReportContent) -> None:
    section = c.plan_section
    put_cell(ws.cell(row=1, column=1), section.title).font = TITLE_FONT
    for i, line in enumerate(section.summary, start=2):
        put_cell(ws.cell(row=i, column=1), line)
    header_row = len(section.summary) + 3
    _table(ws, header_row, section.headers, section.rows, autofilter=True)


def _notes_sheet(ws: Worksheet, c: ReportContent) -> None:
    rows = notes_rows(c)
    _table(ws, 1, [c.tr("col_item"), c.tr("col_value")], rows, max_width=100)
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


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
        [c.tr("note_source"), info.get("source") or c.tr("unknown")],
        [c.tr("note_licence"), info.get("licence") or c.tr("unknown")],
        [c.tr("note_synthetic"), (yes + "：" + t("common.synthetic_banner", c.lang)) if c.synthetic else no],
        [c.tr("note_last_import"), info.get("last_import") or c.tr("unknown")],
        [c.tr("note_generated"), c.generated_at.isoformat(sep=" ")],
        [c.tr("note_software"), c.tr("note_software_text")],
    ]
    rows += [[c.tr("note_remark"), note] for note in c.notes]
    return rows


def write_xlsx(content: ReportContent, stream: BinaryIO) -> None:
    """Write the Excel ledger of ``content`` to a binary stream."""
    c = content
    wb = Workbook()
    wb.remove(wb.active)
    for key in SHEETS:
        if key == "plan" and c.plan_section is None:
            continue
        ws = wb.create_sheet(sheet_name(key, c.lang))
        if key == "summary":
            _summary(ws, c)
        elif key == "firms":
            _firm_sheet(ws, c, c.firms)
        elif key == "uncovered":
            _firm_sheet(ws, c, c.uncovered)
        elif key == "orgs":
            _org_sheet(ws, c)
        elif key == "findings":
            _findings_sheet(ws, c)
        elif key == "plan":
            _plan_sheet(ws, c)
        else:
            _notes_sheet(ws, c)
    wb.properties.title = c.tr("xlsx_title", scope=c.scope_text)
    wb.properties.creator = "Redwood 红杉林"
    wb.save(stream)
