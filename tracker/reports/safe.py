"""Keep text from user data from ever becoming a formula (OWASP "CSV injection").

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return) as a formula. Firm and organisation names, parks,
streets and liaison names come from imported ledgers, so every text cell of a report goes
through this module, the one place that decides what is dangerous:

- in **xlsx** such text is written as a string cell (data type ``s``) with the
  "quote prefix" style, so it reads back and shows as the literal text;
- in **csv** it is prefixed with a single quote ``'``, as OWASP recommends, because a
  CSV file has no cell types.

Examples
--------
>>> looks_like_formula("=1+1"), looks_like_formula("黄埔科技")
(True, False)
>>> csv_text("@SUM(A1)")
"'@SUM(A1)"
>>> csv_text(42)
42
"""

from __future__ import annotations

from openpyxl.cell.cell import Cell, WriteOnlyCell

__all__ = ["FORMULA_TRIGGERS", "looks_like_formula", "csv_text", "put_cell", "stream_value"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """True when ``value`` is text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_text(value: object) -> object:
    """The value to write into a CSV field: dangerous text gets a leading ``'``."""
    return "'" + value if looks_like_formula(value) else value


def put_cell(cell: Cell, value: object) -> Cell:
    """Write ``value`` into an openpyxl cell; text is always stored as text, never a formula.

    openpyxl turns any string starting with ``=`` into a formula; setting the data type
    back to ``s`` after assignment stores the literal string, and ``quotePrefix`` keeps
    Excel from re-reading it as a formula when the user edits the cell.
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def stream_value(ws, value: object) -> object:
    """``value`` ready for ``ws.append`` on a write-only (streaming) worksheet.

    Safe values go as they are (the fast path: no cell object per value); text that looks
    like a formula becomes a string cell with the quote prefix, as :func:`put_cell` does.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return put_cell(WriteOnlyCell(ws), value)
    return value
