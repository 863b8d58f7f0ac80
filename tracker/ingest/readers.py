"""Read the import workbook (``.xlsx``, ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``) or one CSV
file per sheet into raw rows.

Readers only locate sheets and columns and hand over cell values as they are (text,
numbers, dates); :mod:`tracker.ingest.validate` decides what they mean.

- **Workbook**: sheets are found by name (``企业`` … or the English aliases in
  :data:`~tracker.ingest.template.SHEET_ALIASES`); other sheets (``说明``) are ignored.
  Cells are read with their cached values: a formula is never evaluated from its text.
  A formula cell without a cached value (a file written by a program that does not
  compute) is handed over as its formula text, which the validator refuses; an error
  value as its text (``#DIV/0!``). A merged range of cells counts as its top-left value
  repeated over the range. Numbers that are whole are ints, date-formatted cells datetimes.
- **CSV**: one file per sheet, named like the sheet (``企业.csv``), UTF-8 with or without
  BOM, or GB18030 (what Excel in China writes). ``PATH`` may be a folder of such files.
- **Other workbook formats** (``.xls``, ``.xlsb``, ``.ods``): :func:`read_calamine`, the
  same values, dates and merged ranges (these formats always keep a formula's value).
- The header row is, of the first :data:`MAX_HEADER_SEARCH` rows, the one whose cells name
  the most columns (:mod:`tracker.ingest.headers`: synonyms, ``--map``, remembered
  mappings); title rows above it are allowed. Blank rows are skipped, so trailing blank
  rows do not matter. Columns with unknown headers are kept for the rejects file and
  listed (:attr:`RawSheet.unmatched`).

A file that cannot be read at all raises :class:`ReadError` (exit code 2).

One xlsx reader: python-calamine (Rust) reads the values and the merged ranges. Another
reader steps in only for what python-calamine 0.9 cannot hand over, and only on the sheets
that hold it: the formula text of a formula without a cached value and the text of an error
value (calamine returns "" for both; :func:`_xml_cells`, an expat pass over that sheet's
XML). Before calamine opens a file, :func:`_inspect` decompresses the parts it will read
(nothing is kept) and refuses a part beyond :data:`_MAX_PART_BYTES`, a part larger than
the archive says, and a sheet whose grid would exceed :data:`_MAX_CELLS` (calamine holds a
sheet as a dense grid: a 1.5 GB sheet part, or one value at XFD1048576, would not fit in
memory). A 1.5 GB sheet part deflated to 10 MB is refused in 0.55 s at 74 MiB peak (the
interpreter's own); the old reader ran 103 s into a 2.4 GB memory limit on it.

Measured on the benchmark's 100,000-row firm sheet (``tracker.bench`` layout, 8.5 MB,
65.5 MB of sheet XML), median of 3 runs interleaved in one session, each in a fresh
process, on this 2-core machine (load ~3-7 from other work):

==============================================  =========  ====================
reader                                          seconds    peak RSS (base 90)
==============================================  =========  ====================
regex/expat fast path (before; 794 lines)       2.50       198 MiB
this reader (calamine ``iter_rows``)            1.88       202 MiB
calamine ``to_python`` alone, no conversion     1.22       261 MiB
==============================================  =========  ====================

Of the 1.88 s: 0.37 the guard and formula scan, 0.91 calamine loading the sheet, 0.44 the
rows (values converted, repeated texts shared), 0.10 the header and row mapping.
``iter_rows`` with texts shared as rows arrive, rather than ``to_python``, keeps the peak
at the old reader's (``to_python`` builds every cell's text before any is shared: +60 MiB
at 100,000 rows). The whole ``tracker import --dry-run`` of that file went from 6.55 s
(327 MiB) to 5.56 s (311 MiB), same report.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from ..errors import TrackerError
from ..progress import ProgressCallback, Reporter
from .headers import HOW, HeaderMap, map_headers, sheet_for_name, signature
from .template import SHEETS, Column, columns_of

__all__ = ["ReadError", "RawRow", "RawSheet", "read_path", "read_workbook", "read_calamine",
           "read_csv", "decode_text", "sheet_for_name", "FORMATS", "MAX_HEADER_SEARCH"]

#: The header row may stand anywhere in this many first rows, under any title block.
MAX_HEADER_SEARCH = 15
#: Workbook formats read (python-calamine); ``.xlsx``/``.xlsm`` also get the zip guard and
#: the formula scan (:func:`read_workbook`), the others :func:`read_calamine`.
FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsm", ".xls": "xls", ".xlsb": "xlsb", ".ods": "ods"}
#: The older formats are read whole by calamine: a file beyond this size is refused.
_MAX_OTHER_BYTES = 256 << 20


class ReadError(TrackerError):
    """The file cannot be read at all (not a workbook, no known sheet, missing columns)."""

    exit_code = 2


@dataclass(slots=True)
class RawRow:
    number: int  # the row number as Excel (or a text editor, for CSV) shows it
    values: list  # one value per column of the file, in file order


@dataclass
class RawSheet:
    name: str  # the canonical sheet name (企业, 党组织, …)
    source: str  # file name, and for a workbook the sheet title: "台账.xlsx#企业"
    headers: list[str]  # the header texts as in the file
    columns: list[Column | None]  # the declared column of each file column (None: unknown)
    rows: list[RawRow] = field(default_factory=list)
    fmt: str = ""  # the format read: xlsx, xls, ods, csv (UTF-8) …
    header_row: int = 1  # the row of the headers, as Excel shows it
    how: list = field(default_factory=list)  # how each header was matched (headers.HOW)
    signature: str = ""  # of the headers (headers.signature): the key of a remembered mapping

    def mapping(self) -> list[dict]:
        """Each non-blank header with the standard column it was read as (None: not
        read) and how it was matched."""
        hows = self.how or [None] * len(self.headers)
        return [{"column": h, "standard": c.header if c is not None else None, "how": how}
                for h, c, how in zip(self.headers, self.columns, hows) if h]

    @property
    def unmatched(self) -> list[str]:
        """The headers that name no column (未识别的列, or left out by a mapping)."""
        return [h for h, c in zip(self.headers, self.columns) if h and c is None]

    def position(self, key: str) -> int | None:
        for i, column in enumerate(self.columns):
            if column is not None and column.key == key:
                return i
        return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_texts(row) -> list[str]:
    headers = ["" if v is None else str(v).strip() for v in row]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _build_sheet(sheet: str, source: str, matrix, fmt: str = "",
                 header_map: HeaderMap | None = None) -> RawSheet:
    """Find the header row in ``matrix`` (rows of values, row 1 first; a list or an
    iterator, consumed once) and map columns. Row lists are kept, not copied.

    The header row is, of the first :data:`MAX_HEADER_SEARCH` rows, the one with a
    remembered mapping, else the one whose cells name the most columns of the sheet (the
    first of equals): a title block of any height above it is skipped.
    """
    declared = columns_of(sheet)
    rows = iter(matrix)
    head: list[list] = []
    best, best_score = None, 0
    remembered = header_map.remembered if header_map is not None else {}
    for row in rows:
        head.append(row)
        texts = _header_texts(row)
        if remembered and signature(sheet, texts) in remembered:
            best, best_score = len(head) - 1, 1 << 30
            break
        score = sum(1 for column, _ in map_headers(sheet, texts, header_map) if column is not None)
        if score > best_score:
            best, best_score = len(head) - 1, score
        if len(head) >= MAX_HEADER_SEARCH:
            break
    if best is None:
        raise ReadError(f"{source}：找不到表头（前{MAX_HEADER_SEARCH}行中没有可识别的列名，"
                        f"如“{declared[0].header}”；可用 --map 指定列名）")
    headers = _header_texts(head[best])
    found = map_headers(sheet, headers, header_map)
    rank = {how: i for i, how in enumerate(HOW)}
    columns: list[Column | None] = [column for column, _ in found]
    how: list[str | None] = [h for _, h in found]
    seen: dict[str, int] = {}
    for i, column in enumerate(columns):
        if column is None:
            continue
        j = seen.get(column.key)
        if j is None:
            seen[column.key] = i
            continue
        # Two headers for one column: the better match keeps it (a mapping chosen by
        # the user beats a synonym); two equally good ones cannot be told apart.
        if rank[how[i]] == rank[how[j]]:
            error = ReadError(f"{source}：“{headers[j]}”（第{j + 1}列）和“{headers[i]}”（第{i + 1}列）"
                              f"都对应“{column.header}”，请用 --map 或在预览中指定其中一列")
            error.sheet = RawSheet(sheet, source, headers, columns, fmt=fmt, header_row=best + 1,
                                   how=how, signature=signature(sheet, headers))
            raise error
        loser = i if rank[how[i]] > rank[how[j]] else j
        columns[loser], how[loser] = None, None
        seen[column.key] = j if loser == i else i
    missing = [c.header for c in declared
               if c.required and c.key not in seen and not (c.either and c.either in seen)]
    if missing:
        error = ReadError(f"{source}：缺少必填列 {'、'.join(missing)}（第{best + 1}行为表头："
                          f"{'、'.join(h for h in headers if h)[:120]}）")
        # The sheet as far as it was read, so the upload preview can offer the mapping
        # that completes it.
        error.sheet = RawSheet(sheet, source, headers, columns, fmt=fmt, header_row=best + 1,
                               how=how, signature=signature(sheet, headers))
        raise error
    raw = RawSheet(sheet, source, headers, columns, fmt=fmt, header_row=best + 1, how=how,
                   signature=signature(sheet, headers))
    width = len(headers)
    number = best + 1
    append = raw.rows.append

    def rest():
        yield from head[best + 1:]
        yield from rows

    for values in rest():
        number += 1
        # The reader's own list is kept (a million rows: no second copy); cut or padded
        # to the header's width.
        if len(values) > width:
            del values[width:]
        elif len(values) < width:
            values.extend([None] * (width - len(values)))
        for v in values:
            if v is not None and (v.__class__ is not str or v.strip()):
                append(RawRow(number, values))
                break
    return raw


# --------------------------------------------------------------------------- xlsx

#: Largest decompressed part of a workbook that is read. A 1,000,000-row firm sheet is about
#: 655 MB of sheet XML (65.5 MB per 100,000 rows, measured); anything larger is refused
#: before python-calamine opens the file, since calamine holds a whole sheet in memory.
_MAX_PART_BYTES = 1 << 30
#: The workbook's index parts (workbook.xml and its relationships) are parsed whole here.
_MAX_INDEX_BYTES = 16 << 20
_SCAN_CHUNK = 1 << 20
#: Marks of cells python-calamine cannot hand over (it returns "" for them): a formula
#: (``<f>``, ``<f t="shared" …>``, ``<x:f>``; calamine exposes no formula text, so one
#: without a cached value would read as blank) and an error value (``t="e"``, ``#DIV/0!``).
#: Substring tests (a false alarm only costs the slower pass): one regular expression with
#: alternatives cost 4 s per 100,000 rows.
_NEEDS_XML = (b"<f", b":f", b't="e"')
#: Cell references far out: a column of two or three letters, a row of seven digits.
#: calamine holds a sheet as a dense grid from its first to its last cell, so one value
#: typed at XFD1048576 asks for 17 billion cells (the process aborts): the grid's size is
#: bounded before calamine reads the sheet (:data:`_MAX_CELLS`).
_FAR = re.compile(rb' r="(?:([A-Z]{2,3})(\d+)|[A-Z]?(\d{7,}))"')
_ROW_NUMBER = re.compile(rb' r="[A-Z]{0,3}(\d+)"')
#: Largest grid (rows × columns) a sheet may span: 32 Mi cells, about 1 GiB in calamine
#: (a 1,000,000-row firm sheet of 13 columns is 13 Mi).
_MAX_CELLS = 1 << 25
_BOOK, _BOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: What a broken or foreign archive raises while it is listed or decompressed.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, KeyError,
               ValueError, NotImplementedError, RuntimeError, ET.ParseError)
#: Integral numbers below this are handed over as int (Excel stores every number as a double).
_EXACT = 2.0 ** 53
#: Distinct texts shared per sheet (环节, parks, yes/no, dates typed as text…); beyond this
#: many, new texts are kept as they are, so the table stays small.
_TEXT_CACHE_LIMIT = 50_000
_PROGRESS_ROWS = 20_000


def _not_a_workbook(path: Path, exc: BaseException) -> ReadError:
    kind = FORMATS.get(path.suffix.lower(), "xlsx")
    return ReadError(f"无法读取工作簿 {path.name}：不是有效的 .{kind} 文件（{type(exc).__name__}）。"
                     "可在 Excel 或 WPS 中打开后另存为 .xlsx 再导入")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet title, part name) of every sheet, in workbook order."""
    targets = {}
    for rel in ET.fromstring(archive.read(_BOOK_RELS)):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return [(element.get("name"), targets.get(element.get(f"{{{_NS_REL}}}id"), ""))
            for element in ET.fromstring(archive.read(_BOOK)).iter()
            if _local(element.tag) == "sheet"]


def _inflate(archive: zipfile.ZipFile, part: str) -> tuple[bool, int]:
    """Decompress ``part`` in pieces (nothing kept): whether it holds cells python-calamine
    cannot hand over (see :data:`_NEEDS_XML`), and a bound on the cells of its grid.

    zipfile stops at the size the archive declares and checks the CRC at the end, so a part
    that is larger than it says is refused here, before calamine reads it.
    """
    found = False
    tail = b""
    columns, rows = 26, 999_999  # without a far reference: at most Z, at most six digits
    with archive.open(part) as handle:
        while block := handle.read(_SCAN_CHUNK):
            edge = tail + block[:32]  # what is cut between two blocks
            if not found:
                found = any(mark in block or mark in edge for mark in _NEEDS_XML)
            for piece in (edge, block):
                for letters, row, far_row in _FAR.findall(piece):
                    if letters:
                        columns = max(columns, _column_number(letters.decode()))
                    rows = max(rows, int(row or far_row))
            tail = block[-32:]
    if columns * rows > _MAX_CELLS:
        # Wider than Z (a sheet with extra columns): count its rows exactly (a slower pass,
        # for wide sheets only).
        rows = 0
        with archive.open(part) as handle:
            tail = b""
            while block := handle.read(_SCAN_CHUNK):
                numbers = _ROW_NUMBER.findall(tail + block)
                if numbers:
                    rows = max(rows, max(map(int, numbers)))
                tail = block[-32:]
    return found, columns * rows


def _inspect(path: Path) -> dict[str, tuple[str, bool]]:
    """The guard before python-calamine opens ``path``: a zip whose parts are all within
    :data:`_MAX_PART_BYTES` (declared and real), with a readable sheet index.

    Returns, for each sheet title, its part name and whether it needs :func:`_xml_cells`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise _not_a_workbook(path, exc) from None
    with archive:
        try:
            infos = {info.filename: info for info in archive.infolist()}
            for info in infos.values():
                limit = _MAX_INDEX_BYTES if info.filename in (_BOOK, _BOOK_RELS) else _MAX_PART_BYTES
                if info.file_size > limit:
                    raise ReadError(
                        f"{path.name}：{info.filename} 解压后 {info.file_size / 2**20:,.0f} MiB，"
                        f"超过上限 {limit / 2**20:,.0f} MiB，不读取（文件损坏，或不是台账）")
            parts = _sheet_parts(archive)
            wanted = {part for title, part in parts if sheet_for_name(title) is not None}
            found = {}
            for name in infos:
                # Every part calamine may read: the known sheets and the shared parts
                # (strings, styles, index); other sheets are never opened.
                if name.startswith("xl/") and (name in wanted or not name.startswith("xl/worksheets/")):
                    found[name], cells = _inflate(archive, name)
                    if name in wanted and cells > _MAX_CELLS:
                        raise ReadError(
                            f"{path.name}：{name} 的单元格范围过大（约 {cells:,} 个单元格，上限 "
                            f"{_MAX_CELLS:,}），请删除表格右侧或下方远处的内容后重新保存")
        except ReadError:
            raise
        except _ZIP_ERRORS as exc:
            raise _not_a_workbook(path, exc) from None
    return {title: (part, found.get(part, False)) for title, part in parts}


def _xml_cells(archive: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    """The cells of a sheet part that python-calamine hands over as "" although they hold
    something: ``{(row, column): value}``, 0-based.

    A formula without a cached value (a file written by a program that does not compute)
    becomes its formula text (``"=B2"``; a shared formula's follower ``"=（共享公式）"``),
    which the validator refuses; an error value stays its text (``"#DIV/0!"``). A formula
    whose cached result is the empty string is empty.
    """
    out: dict[tuple[int, int], str] = {}
    at = {"row": -1, "col": -1}
    cell: dict = {}
    text: list[str] = []

    def start(name, attrs):
        tag = name.rsplit(":", 1)[-1]
        if tag == "row":
            at["row"] = int(attrs["r"]) - 1 if "r" in attrs else at["row"] + 1
            at["col"] = -1
        elif tag == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                at["col"] = _column_number(letters) - 1
                if len(letters) < len(ref):
                    at["row"] = int(ref[len(letters):]) - 1
            else:
                at["col"] += 1
            cell.clear()
            cell["type"] = attrs.get("t", "n")
        elif tag in ("f", "v", "t"):
            cell[tag] = cell.get(tag, "")
            text.clear()

    def end(name):
        tag = name.rsplit(":", 1)[-1]
        if tag in ("f", "v", "t"):
            cell[tag] += "".join(text)
            text.clear()
        elif tag == "c":
            value = cell.get("v") or cell.get("t")
            if cell["type"] == "e" and value:
                out[at["row"], at["col"]] = value
            elif "f" in cell and not value and not (cell["type"] == "str" and "v" in cell):
                out[at["row"], at["col"]] = "=" + (cell["f"] or "（共享公式）")

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    with archive.open(part) as handle:
        while block := handle.read(_SCAN_CHUNK):
            parser.Parse(block, False)
    parser.Parse(b"", True)
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _sheet_rows(found, report: Reporter, sheet: str) -> list[list]:
    """The rows of a calamine sheet from row 1 and column A, with the values as the
    validator takes them: an empty cell is None, an integral number an int, a date a
    datetime (as a date-formatted cell always was), and repeated texts one object.

    Rows are taken one at a time (``iter_rows``) and their texts shared as they come: with
    ``to_python`` every cell's text is a new object until the whole sheet is built, which
    peaked 60 MiB higher on 100,000 rows (measured; see the module notes). Each row ends
    at its last value (calamine pads every row to the sheet's width), so the header row is
    as wide as its last header and a stray value right of the headers is no row.
    """
    if found.start is None:  # an empty sheet
        return []
    (top, left), (bottom, right) = found.start, found.end
    total = bottom + 1
    texts: dict[str, str] = {}
    share = texts.setdefault
    rows: list[list] = []
    pad: list | None = None
    for n, row in enumerate(found.iter_rows(), 1):
        if pad is None:
            # python-calamine 0.9 starts iter_rows at column ``left`` (and at row 1): put
            # the cells back under the columns they are in.
            pad = [None] * left if left and len(row) == right - left + 1 else []
        if pad:
            row[:0] = pad
        for i, v in enumerate(row):
            kind = v.__class__
            if kind is str:
                if not v:
                    row[i] = None
                elif len(texts) < _TEXT_CACHE_LIMIT:
                    row[i] = share(v, v)
                else:
                    row[i] = texts.get(v, v)
            elif kind is float:
                if v.is_integer() and -_EXACT < v < _EXACT:
                    row[i] = int(v)
            elif kind is date:
                row[i] = datetime(v.year, v.month, v.day)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
        if not n % _PROGRESS_ROWS and n != total:  # the last comes from read_workbook
            report("read", done=n, total=total, detail=sheet)
    if top and len(rows) == bottom - top + 1:  # a calamine that starts at the first used row
        rows[:0] = [[] for _ in range(top)]
    return rows


def _put(matrix: list[list], row: int, col: int, value) -> None:
    while len(matrix) <= row:
        matrix.append([])
    line = matrix[row]
    if len(line) <= col:
        line.extend([None] * (col + 1 - len(line)))
    line[col] = value


def _apply_merges(matrix: list[list], ranges) -> None:
    """Repeat the top-left value of every merged range over the range (0-based, inclusive)."""
    for (r0, c0), (r1, c1) in ranges or ():
        if r0 >= len(matrix):
            continue
        top = matrix[r0]
        value = top[c0] if c0 < len(top) else None
        for r in range(r0, min(r1, len(matrix) - 1) + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    _put(matrix, r, c, value)


def read_workbook(path: Path | str, progress: ProgressCallback | None = None,
                  header_map: HeaderMap | None = None) -> dict[str, RawSheet]:
    """Read the known sheets of an ``.xlsx`` (or ``.xlsm``) workbook with python-calamine.

    ``progress`` receives :class:`~tracker.progress.Progress` events (stage ``read``,
    detail the sheet). Raises :class:`ReadError` for a file that is not a workbook, one
    whose parts decompress beyond :data:`_MAX_PART_BYTES`, and one without a known sheet.
    """
    path = Path(path)
    report = Reporter(progress)
    parts = _inspect(path)
    sheets: dict[str, RawSheet] = {}
    try:
        book = CalamineWorkbook.from_path(path)
    except CalamineError as exc:
        raise _not_a_workbook(path, exc) from None
    with book, zipfile.ZipFile(path) as archive:
        for title in book.sheet_names:
            sheet = sheet_for_name(title)
            if sheet is None or title not in parts:
                continue
            if sheet in sheets:
                raise ReadError(f"{path.name}：工作表“{sheet}”出现了两次")
            report("read", done=0, detail=sheet)
            try:
                found = book.get_sheet_by_name(title)
                matrix = _sheet_rows(found, report, sheet)
                merged = found.merged_cell_ranges
            except CalamineError as exc:
                raise ReadError(f"无法读取工作簿 {path.name}#{title}：{type(exc).__name__}: {exc}"[:300]) from None
            del found  # calamine's copy of the sheet
            part, needs_xml = parts[title]
            if needs_xml:  # formulas without cached values, error values: see _xml_cells
                try:
                    cells = _xml_cells(archive, part)
                except (xml.parsers.expat.ExpatError, *_ZIP_ERRORS) as exc:
                    raise _not_a_workbook(path, exc) from None
                for (r, c), value in cells.items():
                    if r >= len(matrix) or c >= len(matrix[r]) or matrix[r][c] is None:
                        _put(matrix, r, c, value)
            _apply_merges(matrix, merged)
            total = len(matrix)
            sheets[sheet] = _build_sheet(sheet, f"{path.name}#{title}", matrix,
                                         FORMATS.get(path.suffix.lower(), "xlsx"), header_map)
            del matrix
            report("read", done=total, total=total, detail=sheet)
    if not sheets:
        raise ReadError(f"{path.name}：没有可导入的工作表（应为 {'、'.join(SHEETS)}）")
    return sheets


def read_calamine(path: Path | str, progress: ProgressCallback | None = None,
                  header_map: HeaderMap | None = None) -> dict[str, RawSheet]:
    """Read the known sheets of an ``.xls`` (Excel 97–2003, what WPS saves by default),
    ``.xlsb`` or ``.ods`` workbook with python-calamine: cached values of formulas, date
    cells as dates, merged ranges repeated, the same validation as ``.xlsx``.

    These formats keep every formula's value (Excel, WPS and LibreOffice always save it),
    so there is no formula scan. The file is read whole: one beyond
    :data:`_MAX_OTHER_BYTES` is refused.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower(), "xls")
    report = Reporter(progress)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from None
    if size > _MAX_OTHER_BYTES:
        raise ReadError(f"{path.name}：文件 {size / 2**20:,.0f} MiB，超过 .{fmt} 的上限 "
                        f"{_MAX_OTHER_BYTES / 2**20:,.0f} MiB，请另存为 .xlsx 或 CSV 后导入")
    try:
        book = CalamineWorkbook.from_path(path)
    except (CalamineError, ValueError, OSError) as exc:
        raise _not_a_workbook(path, exc) from None
    sheets: dict[str, RawSheet] = {}
    with book:
        for title in book.sheet_names:
            sheet = sheet_for_name(title)
            if sheet is None:
                continue
            if sheet in sheets:
                raise ReadError(f"{path.name}：工作表“{sheet}”出现了两次")
            report("read", done=0, detail=sheet)
            try:
                found = book.get_sheet_by_name(title)
                matrix = _sheet_rows(found, report, sheet)
                try:
                    merged = found.merged_cell_ranges
                except (CalamineError, AttributeError):
                    merged = None
            except (CalamineError, ValueError) as exc:
                raise ReadError(f"无法读取工作簿 {path.name}#{title}：{type(exc).__name__}: {exc}"[:300]) from None
            del found
            _apply_merges(matrix, merged)
            total = len(matrix)
            sheets[sheet] = _build_sheet(sheet, f"{path.name}#{title}", matrix, fmt, header_map)
            report("read", done=total, total=total, detail=sheet)
    if not sheets:
        raise ReadError(f"{path.name}：没有可导入的工作表（应为 {'、'.join(SHEETS)}）")
    return sheets


# --------------------------------------------------------------------------- csv


def decode_text(data: bytes, name: str = "") -> str:
    """Bytes of a CSV file to text: UTF-8 (with or without BOM), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise ReadError(f"{name}：文件以 UTF-8 标记开头，但内容不是有效的 UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ReadError(f"{name}：无法识别文件编码（应为 UTF-8 或 GB18030）") from None


def _csv_encoding(data: bytes, name: str) -> str:
    """The encoding :func:`decode_text` would use for ``data`` (checked by decoding it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        decode_text(data, name)
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    decode_text(data, name)  # raises ReadError when it is not GB18030 either
    return "gb18030"


#: Distinct CSV cell texts shared per column (one string object for every 中游 …), up to
#: this many per column; beyond it new texts are kept as they are.
_CSV_SHARE_LIMIT = 50_000


def _csv_rows(reader, name: str):
    """Rows of ``reader`` with blank cells as None and repeated texts shared."""
    shared: list[dict] = []
    missing = object()
    try:
        for row in reader:
            while len(shared) < len(row):
                shared.append({})
            out = []
            for i, v in enumerate(row):
                known = shared[i].get(v, missing)
                if known is missing:
                    known = v if v.strip() else None
                    if len(shared[i]) < _CSV_SHARE_LIMIT:
                        shared[i][v] = known
                out.append(known)
            yield out
    except csv.Error as exc:
        raise ReadError(f"{name}：CSV 格式错误（{exc}）") from None


def read_csv(path: Path | str, sheet: str | None = None,
             header_map: HeaderMap | None = None) -> RawSheet:
    """Read one CSV file as the sheet its name says (or ``sheet``).

    The file is read as a stream of rows (the whole text is decoded once to choose the
    encoding, then let go), so a million-row file is not held twice.
    """
    path = Path(path)
    sheet = sheet or sheet_for_name(path.stem)
    if sheet is None:
        raise ReadError(f"{path.name}：文件名应为工作表名之一（{'、'.join(SHEETS)}），如“企业.csv”")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from None
    encoding = _csv_encoding(data, path.name)
    # A NUL byte is a NUL character in UTF-8 and in GB18030 (no multi-byte code uses 0x00).
    if b"\x00" in data:
        raise ReadError(f"{path.name}：不是文本文件（含有空字符）")
    del data
    fmt = "csv (GB18030)" if encoding == "gb18030" else "csv (UTF-8)"
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return _build_sheet(sheet, path.name, _csv_rows(csv.reader(handle), path.name), fmt,
                                header_map)
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from None


#: The signature of an OLE2 compound file: an ``.xls`` whatever its name says.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_book(p: Path, progress, header_map) -> dict[str, RawSheet]:
    """A workbook by its extension (an unknown one by its first bytes)."""
    fmt = FORMATS.get(p.suffix.lower())
    if fmt in ("xlsx", "xlsm"):
        return read_workbook(p, progress, header_map)
    return read_calamine(p, progress, header_map)


def read_path(paths, progress: ProgressCallback | None = None,
              header_map: HeaderMap | None = None) -> dict[str, RawSheet]:
    """Read a workbook (``.xlsx``, ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``), a CSV file, a
    folder of these, or several of these.

    ``progress`` receives :class:`~tracker.progress.Progress` events (stage ``read``, detail
    the sheet): during a workbook's sheets, and once per CSV file read. ``header_map``: the
    explicit and remembered header mappings (:mod:`tracker.ingest.headers`).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sheets: dict[str, RawSheet] = {}
    report = Reporter(progress)

    def add(found: dict[str, RawSheet]) -> None:
        for name, raw in found.items():
            if name in sheets:
                raise ReadError(f"工作表“{name}”给出了两次：{sheets[name].source} 和 {raw.source}")
            sheets[name] = raw

    def read_csv_file(path: Path) -> dict[str, RawSheet]:
        raw = read_csv(path, header_map=header_map)
        report("read", done=len(raw.rows), total=len(raw.rows), detail=raw.name)
        return {raw.name: raw}

    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir()
                           if f.suffix.lower() == ".csv" or f.suffix.lower() in FORMATS)
            if not files:
                raise ReadError(f"文件夹 {p} 中没有工作簿（.xlsx、.xls、.ods 等）或 .csv 文件")
            for f in files:
                if f.suffix.lower() == ".csv" and sheet_for_name(f.stem) is None:
                    continue
                add(read_csv_file(f) if f.suffix.lower() == ".csv"
                    else _read_book(f, progress, header_map))
            continue
        if not p.exists():
            raise ReadError(f"找不到文件：{p}")
        suffix = p.suffix.lower()
        if suffix in FORMATS:
            add(_read_book(p, progress, header_map))
        elif suffix in (".csv", ".txt"):
            add(read_csv_file(p))
        else:
            # Unknown extension: a workbook if it is a zip or an OLE2 file, else try CSV.
            try:
                with open(p, "rb") as handle:
                    start = handle.read(len(_OLE2))
            except OSError as exc:
                raise ReadError(f"无法读取文件 {p.name}：{exc.strerror or exc}") from None
            if zipfile.is_zipfile(p):
                add(read_workbook(p, progress, header_map))
            elif start == _OLE2:
                add(read_calamine(p, progress, header_map))
            else:
                add(read_csv_file(p))
    if not sheets:
        raise ReadError("没有可导入的工作表")
    return sheets
