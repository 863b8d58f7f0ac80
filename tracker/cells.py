"""The two rules for text written into a spreadsheet cell: never a formula, only XML's characters.

**Formulas** (OWASP "CSV injection"). A spreadsheet treats a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, in some programs, a tab or a carriage return) as a formula.
Firm and organisation names, parks, streets and liaison names come from imported ledgers,
so every text cell of a report goes through this module, the one place that decides what
is dangerous:

- in **xlsx** such text is written as a string cell (data type ``s``) with the
  "quote prefix" style, so it reads back and shows as the literal text;
- in **csv** it is prefixed with a single quote ``'``, as OWASP recommends, because a
  CSV file has no cell types.

**Characters XML cannot hold.** An xlsx sheet is XML 1.0, which has no way to write the
control characters other than tab, line feed and carriage return, lone surrogates, and
U+FFFE / U+FFFF (:data:`XML_ILLEGAL`). Every xlsx writer of the package *drops* them
(:func:`xml_text`): the rest of the text is kept, and text made only of them leaves the
cell empty. (openpyxl would refuse the whole workbook; Excel's ``_x0001_`` escapes read
back as literal text in other programs.) CSV holds any character and keeps them.

Examples
--------
>>> looks_like_formula("=1+1"), looks_like_formula("黄埔科技")
(True, False)
>>> csv_text("@SUM(A1)")
"'@SUM(A1)"
>>> csv_text(42)
42
>>> xml_text("甲\\x00乙\\x1f")
'甲乙'
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import Cell, WriteOnlyCell

__all__ = [
    "FORMULA_TRIGGERS",
    "XML_ILLEGAL",
    "csv_text",
    "looks_like_formula",
    "put_cell",
    "stream_value",
    "xml_text",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The characters XML 1.0 cannot hold (dropped from every xlsx cell, see above).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def looks_like_formula(value: object) -> bool:
    """True when ``value`` is text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_text(value: object) -> object:
    """The value to write into a CSV field: dangerous text gets a leading ``'``."""
    return "'" + value if looks_like_formula(value) else value


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (:data:`XML_ILLEGAL`)."""
    return XML_ILLEGAL.sub("", text)


def put_cell(cell: Cell, value: object) -> Cell:
    """Write ``value`` into an openpyxl cell; text is always stored as text, never a formula.

    openpyxl turns any string starting with ``=`` into a formula; setting the data type
    back to ``s`` after assignment stores the literal string, and ``quotePrefix`` keeps
    Excel from re-reading it as a formula when the user edits the cell. Characters XML
    cannot hold are dropped first (the check for a formula sees the text as written).
    """
    if isinstance(value, str) and XML_ILLEGAL.search(value):
        value = xml_text(value) or None
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def stream_value(ws, value: object) -> object:
    """``value`` ready for ``ws.append`` on a write-only (streaming) worksheet.

    Safe values go as they are (the fast path: no cell object per value); text loses the
    characters XML cannot hold, and text that looks like a formula becomes a string cell
    with the quote prefix, as :func:`put_cell` does.
    """
    if isinstance(value, str):
        if XML_ILLEGAL.search(value):
            value = xml_text(value) or None
        if looks_like_formula(value):
            return put_cell(WriteOnlyCell(ws), value)
    return value
