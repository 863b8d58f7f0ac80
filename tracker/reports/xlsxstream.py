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
  quote-prefix style (:mod:`tracker.cells`); the characters XML cannot hold are
  dropped (:data:`tracker.cells.XML_ILLEGAL`; text made only of them leaves the
  cell empty); a carriage return is written as ``&#13;`` (a parser turns a literal one
  into a line feed); spaces at either end are kept;
- ``bool``: a boolean; ``int`` and ``float``: a number (an infinite one raises
  ValueError: a spreadsheet has none);
- ``datetime.date``: a date cell (its serial number, format :data:`DATE_FORMAT`);
  ``datetime.datetime``: a date-time cell (:data:`DATETIME_FORMAT`), so that a column of
  dates sorts and filters by date (a filter offers years, months and days);
- ``None``, empty text, NaN and NaT: no cell;
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
>>> from datetime import date
>>> write_sheet(path, "企业", [["名称", "党员数", "成立"], ["=1+1", 3, date(2024, 5, 6)],
...                            ["甲\\x00乙", None, None]])
3
>>> [list(r) for r in load_workbook(path)["企业"].iter_rows(values_only=True)]
[['名称', '党员数', '成立'], ['=1+1', 3, datetime.datetime(2024, 5, 6, 0, 0)], ['甲乙', None, None]]
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from ..cells import FORMULA_TRIGGERS, XML_ILLEGAL, put_cell

__all__ = ["CHUNK_ROWS", "DATETIME_FORMAT", "DATE_FORMAT", "LINE_HEIGHT", "ROW_PADDING", "Fill",
           "save", "write_sheet"]

#: Rows of XML text built before they are encoded and written (one write per row costs
#: more than the XML itself; a bigger chunk only holds more memory).
CHUNK_ROWS = 2000
#: The number formats of date and date-time cells (ISO 8601, as the rest of the product).
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: Points a line of wrapped 11-point text takes (等线 about 14.5, Noto Sans CJK, which
#: LibreOffice puts in its place, 16), and the cell's padding.
LINE_HEIGHT = 16
ROW_PADDING = 3
#: Day 0 of a spreadsheet's serial dates (the 1900 system, as Excel's 1900-02-29 is skipped).
_EPOCH = datetime.datetime(1899, 12, 30)

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
    ``wrap``: column (0-based) → its width (Excel's character widths), for the columns
    whose text wraps within the column. When there are any, every cell of the rows is
    aligned to the top (a wrapped row is read from its top line), and each row is made
    tall enough for its lines (:data:`LINE_HEIGHT` a line, by an
    estimate of the text's width: office clients do not grow rows on opening a file).
    ``written``: the number of rows written, once :func:`save` has run.
    """

    ws: object
    rows: Iterable
    first: int = 1
    written: int = 0
    wrap: dict[int, float] = field(default_factory=dict)


def save(wb: Workbook, fills: list[Fill], stream: BinaryIO, level: int = 1) -> None:
    """Save the write-only workbook ``wb`` to ``stream``, streaming each fill's rows in.

    Each sheet of ``fills`` gets its rows after the rows openpyxl wrote (its titles and
    header). ``level``: the deflate level of the streamed sheets (1, the fastest, by
    default).
    """
    # The styles of the streamed cells, registered in the workbook's style table before
    # it is saved: plain, top-aligned, wrapped.
    plain = _Styles.of(wb, None)
    top = _Styles.of(wb, Alignment(vertical="top")) if any(f.wrap for f in fills) else plain
    wrap = _Styles.of(wb, Alignment(vertical="top", wrap_text=True)) if top is not plain else plain
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
                column = (lambda i, f=fill: wrap if i in f.wrap else top) if fill.wrap \
                    else (lambda i: plain)
                for piece in _rows_xml(fill, column):
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


class _Styles(NamedTuple):
    """The style attributes (`` s="n"``) of a column's cells: plain, quote prefix, dates."""

    plain: str
    quote: str
    date: str
    datetime: str

    @classmethod
    def of(cls, wb: Workbook, alignment: Alignment | None) -> _Styles:
        """Register the styles with ``alignment`` in ``wb``'s style table (before it is
        saved); their attributes (none for a plain cell without alignment: style 0)."""
        ws = wb.worksheets[0]
        cells = [WriteOnlyCell(ws), put_cell(WriteOnlyCell(ws), FORMULA_TRIGGERS[0])]
        for fmt in (DATE_FORMAT, DATETIME_FORMAT):
            cells.append(WriteOnlyCell(ws))
            cells[-1].number_format = fmt
        if alignment is not None:
            for cell in cells:
                cell.alignment = alignment
        ids = [cell.style_id for cell in cells]
        return cls(*("" if i == 0 else f' s="{i}"' for i in ids))


def _serial(value: datetime.date) -> str:
    """The spreadsheet serial number of a date or date-time, as cell text."""
    if isinstance(value, datetime.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return repr(round(delta.days + delta.seconds / 86400, 8))
    return str((value - _EPOCH.date()).days)


def _rows_xml(fill: Fill, column) -> Iterator[bytes]:
    """The ``<row>`` elements of ``fill``, UTF-8, :data:`CHUNK_ROWS` rows a piece.

    ``column``: column number (0-based) → its :class:`_Styles`.
    """
    columns: list[tuple[str, _Styles]] = []
    chunk: list[str] = []
    number = fill.first - 1
    # Characters a wrapped column holds on a line (a little less than its width).
    wrapped = [(col, max(1.0, width - 1)) for col, width in fill.wrap.items()]
    for values in fill.rows:
        number += 1
        if len(values) > len(columns):
            columns += [(get_column_letter(i + 1), column(i))
                        for i in range(len(columns), len(values))]
        height = ""
        if wrapped:
            lines = 1
            for col, room in wrapped:
                text = values[col] if col < len(values) else None
                if type(text) is str and len(text) > room / 2:
                    # CJK characters take 3 bytes in UTF-8 and about 1.85 widths (a
                    # little less than the two the column widths allow them); ASCII one.
                    width = len(text) + (len(text.encode("utf-8")) - len(text)) * 0.425
                    lines = max(lines, math.ceil(width / room))
            # Every row: a client's own height for one line may be too small for the
            # font it substitutes (LibreOffice's for 等线).
            height = f' ht="{lines * LINE_HEIGHT + ROW_PADDING}" customHeight="1"'
        chunk.append(_row(number, columns, values, height))
        if len(chunk) == CHUNK_ROWS:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    fill.written = number - fill.first + 1
    if chunk:
        yield "".join(chunk).encode("utf-8")


def _row(number: int, columns: list[tuple[str, _Styles]], values, height: str = "") -> str:
    """One ``<row>``: the cells of ``values`` by the module's rules (the innermost loop)."""
    cells = []
    add = cells.append
    for (letter, styles), value in zip(columns, values):
        kind = type(value)
        if kind is int:
            add(f'<c r="{letter}{number}"{styles.plain}><v>{value}</v></c>')
            continue
        if kind is not str:
            if value is None:
                continue
            if kind is bool:
                add(f'<c r="{letter}{number}"{styles.plain} t="b"><v>{int(value)}</v></c>')
                continue
            if isinstance(value, int):
                add(f'<c r="{letter}{number}"{styles.plain}><v>{int(value)}</v></c>')
                continue
            if isinstance(value, float):
                if not math.isfinite(value):
                    if math.isnan(value):  # a missing value in a pandas column
                        continue
                    raise ValueError(f"cannot write {value!r} to a workbook")
                add(f'<c r="{letter}{number}"{styles.plain}><v>{float(value)!r}</v></c>')
                continue
            if isinstance(value, datetime.date):
                if value != value:  # noqa: PLR0124 - NaT, a missing date in a pandas column
                    continue
                style = styles.datetime if isinstance(value, datetime.datetime) else styles.date
                add(f'<c r="{letter}{number}"{style}><v>{_serial(value)}</v></c>')
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
            add(f'<c r="{letter}{number}"{styles.plain} t="inlineStr"><is><t>{text}</t></is></c>')
            continue
        style = styles.quote if value.startswith(FORMULA_TRIGGERS) else styles.plain
        space = ' xml:space="preserve"' if value[0] in _SPACES or value[-1] in _SPACES else ""
        add(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}"{height}>{"".join(cells)}</row>'
