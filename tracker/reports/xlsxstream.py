"""The one xlsx cell writer: table rows streamed as SpreadsheetML into a saved workbook.

openpyxl lays a workbook out in write-only mode (the package, styles, column widths,
frozen panes, filters, conditional formats, titles and header rows); the table rows, up
to a million per sheet, are then written by this module straight into each sheet's part
of the zip file (:func:`save`). Memory stays flat (one chunk of :data:`CHUNK_ROWS` rows
of XML text) and the time is that of building the text. Both xlsx writers of the code
base write their big tables here: the Excel ledger (:mod:`tracker.reports.xlsx`) and the
benchmark's generated firm sheets (:func:`write_sheet`, named
``tracker.bench.sheets.write_xlsx_stream`` there).

Cells
-----
- text: an inline string; text a spreadsheet would take for a formula gets the
  quote-prefix style (:mod:`tracker.reports.safe`); the characters XML cannot hold are
  dropped (:data:`tracker.reports.safe.XML_ILLEGAL`; text made only of them leaves the
  cell empty); a carriage return is written as ``&#13;`` (a parser turns a literal one
  into a line feed); spaces at either end are kept;
- ``bool``: a boolean; ``int`` and ``float``: a number (an infinite one raises
  ValueError: a spreadsheet has none);
- ``None``, empty text and NaN: no cell;
- anything else: its ``str()``, as text.

Why hand-written (issue 12): it was measured against XlsxWriter 3.3.1's
``Workbook(path, {"constant_memory": True})`` writing the same cells (``write_string`` /
``write_number`` / ``write_boolean``, the same formats, widths, frozen panes, filters and
conditional formats), on the development machine (2 cores; one run, 3 repetitions of
each in a fresh process, median; memory = peak RSS during the write less the RSS before
it, sampled every 2 ms):

=====================================================  ========  =====  ==========
what was written                                       time (s)  ratio  memory MiB
=====================================================  ========  =====  ==========
firm sheet, 100,000 rows x 13 columns: this module         0.92   1.00         4.9
- the benchmark's old writer (own package, no styles)      0.86   0.93         3.6
- XlsxWriter ``constant_memory``                           7.36    8.0         0.1
ledger of the 100,000-firm demo store: this module         1.46   1.00        40.5
- the ledger's old streaming code (20,000-row pieces)      2.39   1.64       106.8
- XlsxWriter ``constant_memory``                           9.39    6.4        21.9
=====================================================  ========  =====  ==========

(The firm sheet: the 3,000-firm demo store's import sheet repeated to 100,000 rows, text,
integers and empty cells. The ledger: 79,747 firm rows, 9,482 uncovered, 21,451
organisations, 2,154 findings, 4,919 plan rows; the time of writing only, after
gathering. At 300,000 rows the firm sheet still took 3.4 MiB.) XlsxWriter's memory is
flat too, but its time is 6-8 times this module's, far past the 1.5 times that would
have made it worth replacing the hand-written writer; a profile puts its time in its
per-cell Python (``_write_cell``, ``_write_string``, control-character escapes), not in
compression.

Examples
--------
>>> import os, tempfile
>>> from openpyxl import load_workbook
>>> path = os.path.join(tempfile.mkdtemp(), "t.xlsx")
>>> write_sheet(path, "企业", [["名称", "党员数"], ["=1+1", 3], ["甲\\x00乙", None]])
3
>>> [list(r) for r in load_workbook(path)["企业"].iter_rows(values_only=True)]
[['名称', '党员数'], ['=1+1', 3], ['甲乙', None]]
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from .safe import FORMULA_TRIGGERS, XML_ILLEGAL, put_cell

__all__ = ["CHUNK_ROWS", "Fill", "save", "write_sheet"]

#: Rows of XML text built before they are encoded and written (one write per row costs
#: more than the XML itself; a bigger chunk only holds more memory).
CHUNK_ROWS = 2000

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# Text that needs more than copying: something to escape or to drop.
_SPECIAL = re.compile("[&<>\r]|" + XML_ILLEGAL.pattern)
# XML's whitespace: at either end of a text it needs xml:space="preserve" to be kept.
_SPACES = " \t\r\n"
# First characters that need a closer look (a formula trigger's or a space): the common
# text, starting with none of them and ending in no space, takes one f-string.
_FIRST = frozenset(trigger[0] for trigger in FORMULA_TRIGGERS) | frozenset(_SPACES)


@dataclass
class Fill:
    """Rows to stream into the write-only sheet ``ws``, numbered from ``first``.

    ``rows``: sequences of cell values (see the module's rules), column A first.
    ``written``: the number of rows written, once :func:`save` has run.
    """

    ws: object
    rows: Iterable
    first: int = 1
    written: int = 0


def save(wb: Workbook, fills: list[Fill], stream: BinaryIO, level: int = 1) -> None:
    """Save the write-only workbook ``wb`` to ``stream``, streaming each fill's rows in.

    Each sheet of ``fills`` gets its rows after the rows openpyxl wrote (its titles and
    header). ``level``: the deflate level of the streamed sheets (1, the fastest, by
    default).
    """
    # The quote-prefix style, registered in the workbook's style table before it is saved.
    quote = put_cell(WriteOnlyCell(wb.worksheets[0]), FORMULA_TRIGGERS[0]).style_id
    frame = io.BytesIO()
    wb.save(frame)
    by_part = {f.ws.path.lstrip("/"): f for f in fills}
    with zipfile.ZipFile(frame) as source, \
            zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            fill = by_part.get(info.filename)
            if fill is None:
                target.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
                continue
            head, tail = body.split(b"</sheetData>", 1)
            with target.open(info.filename, "w", force_zip64=True) as out:
                out.write(head)
                for piece in _rows_xml(fill, quote):
                    out.write(piece)
                out.write(b"</sheetData>" + tail)


def write_sheet(path: Path | str, sheet: str, rows: Iterable, level: int = 1) -> int:
    """Write ``rows`` as the one sheet ``sheet`` of a new workbook at ``path``.

    Returns the number of rows written. Memory does not grow with the rows: a generator
    of a million rows is written as it comes.
    """
    wb = Workbook(write_only=True)
    fill = Fill(wb.create_sheet(sheet), rows)
    with open(path, "wb") as stream:
        save(wb, [fill], stream, level)
    return fill.written


def _rows_xml(fill: Fill, quote: int) -> Iterator[bytes]:
    """The ``<row>`` elements of ``fill``, UTF-8, :data:`CHUNK_ROWS` rows a piece."""
    letters: list[str] = []
    chunk: list[str] = []
    number = fill.first - 1
    for values in fill.rows:
        number += 1
        if len(values) > len(letters):
            letters += [get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1)]
        chunk.append(_row(number, letters, values, quote))
        if len(chunk) == CHUNK_ROWS:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    fill.written = number - fill.first + 1
    if chunk:
        yield "".join(chunk).encode("utf-8")


def _row(number: int, letters: list[str], values, quote: int) -> str:
    """One ``<row>``: the cells of ``values`` by the module's rules (the innermost loop)."""
    cells = []
    add = cells.append
    for letter, value in zip(letters, values):
        kind = type(value)
        if kind is int:
            add(f'<c r="{letter}{number}"><v>{value}</v></c>')
            continue
        if kind is not str:
            if value is None:
                continue
            if kind is bool:
                add(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
                continue
            if isinstance(value, int):
                add(f'<c r="{letter}{number}"><v>{int(value)}</v></c>')
                continue
            if isinstance(value, float):
                if not math.isfinite(value):
                    if math.isnan(value):  # a missing value in a pandas column
                        continue
                    raise ValueError(f"cannot write {value!r} to a workbook")
                add(f'<c r="{letter}{number}"><v>{float(value)!r}</v></c>')
                continue
            value = str(value)
        if not value:
            continue
        text = value
        if _SPECIAL.search(value) is not None:
            value = XML_ILLEGAL.sub("", value)
            if not value:  # only characters XML cannot hold: an empty cell
                continue
            text = value.translate(_ESCAPES)
        if value[0] not in _FIRST and value[-1] not in _SPACES:
            add(f'<c r="{letter}{number}" t="inlineStr"><is><t>{text}</t></is></c>')
            continue
        style = f' s="{quote}"' if value.startswith(FORMULA_TRIGGERS) else ""
        space = ' xml:space="preserve"' if value[0] in _SPACES or value[-1] in _SPACES else ""
        add(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'
