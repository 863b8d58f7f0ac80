"""Read the import workbook (``.xlsx``) or one CSV file per sheet into raw rows.

Readers only locate sheets and columns and hand over cell values as they are (text,
numbers, dates); :mod:`tracker.ingest.validate` decides what they mean.

- **Workbook**: sheets are found by name (``企业`` … or the English aliases in
  :data:`~tracker.ingest.template.SHEET_ALIASES`); other sheets (``说明``) are ignored.
  Cells are read with their cached values (``data_only``): a formula is never evaluated
  from its text. A formula cell without a cached value (a file written by a program that
  does not compute) is handed over as its formula text, which the validator refuses.
  A merged range of cells counts as its top-left value repeated over the range.
- **CSV**: one file per sheet, named like the sheet (``企业.csv``), UTF-8 with or without
  BOM, or GB18030 (what Excel in China writes). ``PATH`` may be a folder of such files.
- The header row is the first of the first ten rows that holds the sheet's first
  column header (title rows above it are allowed). Blank rows are skipped, so trailing
  blank rows do not matter. Columns with unknown headers are kept for the rejects file.

A file that cannot be read at all raises :class:`ReadError` (exit code 2).
"""

from __future__ import annotations

import csv
import html
import re
import unicodedata
import zipfile
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TrackerError
from .template import SHEET_ALIASES, SHEETS, Column

__all__ = ["ReadError", "RawRow", "RawSheet", "read_path", "read_workbook", "read_csv",
           "decode_text", "sheet_for_name"]

_MAX_HEADER_SEARCH = 10
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


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

    def position(self, key: str) -> int | None:
        for i, column in enumerate(self.columns):
            if column is not None and column.key == key:
                return i
        return None


def _clean_header(value) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(text.split()).rstrip("*").lower()


def sheet_for_name(name: str) -> str | None:
    """The canonical sheet name for a sheet title or file stem, or None."""
    key = _clean_header(name)
    for sheet in SHEETS:
        if key == sheet:
            return sheet
    return SHEET_ALIASES.get(key)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _build_sheet(sheet: str, source: str, matrix) -> RawSheet:
    """Find the header row in ``matrix`` (rows of values, row 1 first; a list or an
    iterator, consumed once) and map columns. Row lists are kept, not copied."""
    declared = SHEETS[sheet]
    names = {}
    for column in declared:
        names[_clean_header(column.header)] = column
        names[_clean_header(column.alias)] = column
    first = {_clean_header(declared[0].header), _clean_header(declared[0].alias)}
    rows = iter(matrix)
    head: list[list] = []
    header_index = None
    for row in rows:
        head.append(row)
        if any(_clean_header(v) in first for v in row):
            header_index = len(head) - 1
            break
        if len(head) >= _MAX_HEADER_SEARCH:
            break
    if header_index is None:
        raise ReadError(f"{source}：找不到表头（第一列应为“{declared[0].header}”）")
    header_row = head[header_index]
    headers = ["" if v is None else str(v).strip() for v in header_row]
    columns: list[Column | None] = []
    seen: dict[str, int] = {}
    for i, text in enumerate(headers):
        column = names.get(_clean_header(text))
        if column is not None:
            if column.key in seen:
                raise ReadError(f"{source}：表头“{column.header}”出现了两次（第{seen[column.key] + 1}列和第{i + 1}列）")
            seen[column.key] = i
        columns.append(column)
    missing = [c.header for c in declared if c.required and c.key not in seen]
    if missing:
        raise ReadError(f"{source}：缺少必填列 {'、'.join(missing)}")
    raw = RawSheet(sheet, source, headers, columns)
    width = len(headers)
    number = header_index + 1
    append = raw.rows.append
    for values in rows:
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


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _apply_merges(matrix: list[list], xml: bytes) -> None:
    """Repeat the top-left value of every merged range over the range."""
    for m in _MERGE.finditer(xml):
        c0, r0 = _col_number(m.group(1)), int(m.group(2))
        c1 = _col_number(m.group(3)) if m.group(3) else c0
        r1 = int(m.group(4)) if m.group(4) else r0
        if r0 > len(matrix):
            continue
        top = matrix[r0 - 1]
        value = top[c0 - 1] if c0 - 1 < len(top) else None
        for r in range(r0, min(r1, len(matrix)) + 1):
            row = matrix[r - 1]
            if len(row) < c1:
                row.extend([None] * (c1 - len(row)))
            for c in range(c0, c1 + 1):
                if r == r0 and c == c0:
                    continue
                row[c - 1] = value


def _formula_text(value) -> str:
    text = getattr(value, "text", value)  # ArrayFormula / DataTableFormula carry .text
    text = str(text)
    return text if text.startswith("=") else "=" + text


_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _xml_root(archive: zipfile.ZipFile, name: str):
    import xml.etree.ElementTree as ET

    return ET.fromstring(archive.read(name))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _workbook_parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], list[str], set[int]]:
    """(sheet title, part name) pairs, the shared strings, and the date-formatted style ids."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    names = set(archive.namelist())
    book = "xl/workbook.xml"
    rels_name = "xl/_rels/workbook.xml.rels"
    targets = {}
    for rel in _xml_root(archive, rels_name):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    sheets = []
    for element in _xml_root(archive, book).iter():
        if _local(element.tag) == "sheet":
            sheets.append((element.get("name"), targets[element.get(f"{{{_NS_REL}}}id")]))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        for si in _xml_root(archive, "xl/sharedStrings.xml"):
            # Rich text: the runs' texts joined; phonetic runs (rPh) are not part of the value.
            parts = [t.text or "" for t in si.iter() if _local(t.tag) == "t"
                     and not _in_phonetic(si, t)]
            shared.append("".join(parts))
    dates: set[int] = set()
    if "xl/styles.xml" in names:
        styles = _xml_root(archive, "xl/styles.xml")
        custom = {}
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                custom[int(element.get("numFmtId"))] = element.get("formatCode", "")
        for element in styles:
            if _local(element.tag) == "cellXfs":
                for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                    fmt_id = int(xf.get("numFmtId", "0"))
                    fmt = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
                    if fmt and is_date_format(fmt):
                        dates.add(index)
    return sheets, shared, dates


def _in_phonetic(si, t) -> bool:
    for child in si:
        if _local(child.tag) == "rPh" and any(x is t for x in child.iter()):
            return True
    return False


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + (ord(ch) - 64)
        else:
            break
    return n


def _fast_rows(data: bytes, shared: list[str], dates: set[int], progress=None, sheet=""):
    """Rows of a sheet part as lists of values (expat, one pass; formulas as "=text" when
    they have no cached value)."""
    import xml.parsers.expat

    from openpyxl.utils.datetime import from_excel

    matrix: list[list] = []
    state = {"row": None, "col": 0, "type": None, "style": 0, "text": None, "in": None,
             "formula": None, "has_f": False}
    buffer: list[str] = []

    def start(name, attrs):
        tag = name.rsplit(":", 1)[-1]
        if tag == "row":
            r = int(attrs.get("r", len(matrix) + 1))
            while len(matrix) < r - 1:
                matrix.append([])
            state["row"] = []
            state["col"] = 0
        elif tag == "c":
            ref = attrs.get("r")
            state["col"] = _column_index(ref) if ref else state["col"] + 1
            state["type"] = attrs.get("t", "n")
            state["style"] = int(attrs.get("s", "0"))
            state["text"] = None
            state["formula"] = None
            state["has_f"] = False
        elif tag in ("v", "t", "f"):
            if tag == "f":
                state["has_f"] = True
            state["in"] = tag
            buffer.clear()

    def chars(text):
        if state["in"] is not None:
            buffer.append(text)

    def end(name):
        tag = name.rsplit(":", 1)[-1]
        if tag in ("v", "t", "f"):
            text = "".join(buffer)
            if tag == "f":
                state["formula"] = text
            elif tag == "t":
                state["text"] = (state["text"] or "") + text
            else:
                state["text"] = text
            state["in"] = None
        elif tag == "c":
            value = _cell_value(state, shared, dates, from_excel)
            row = state["row"]
            if row is not None and value is not None:
                col = state["col"]
                if len(row) < col:
                    row.extend([None] * (col - len(row)))
                row[col - 1] = value
        elif tag == "row":
            matrix.append(state["row"])
            state["row"] = None
            if progress and len(matrix) % 20000 == 0:
                progress("read", len(matrix), sheet)

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(data, True)
    return matrix


# One cell as Excel, WPS and openpyxl write it: <c r="B7" s="3" t="s"><f>…</f><v>…</v></c>
# (or <is><t>…</t></is> for inline text). Anything else falls back to the XML parser.
_CELL = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>(?:<f\b[^>]*?(?:/>|>(.*?)</f>))?'
    r'(?:<v>(.*?)</v>|<v/>|<is>(.*?)</is>)?</c>)', re.S)
_ATTR = re.compile(r'\b(t|s)="([^"]*)"')
_T = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_RPH = re.compile(r"<rPh\b.*?</rPh>", re.S)
_COLS: dict[str, int] = {}


class _Unusual(Exception):
    """The sheet XML is not in the common shape: use the general parser."""


_CHARREF = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));")
_OTHER_REF = re.compile(r"&(?!(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);)")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _charref(m) -> str:
    number, hexa, name = m.groups()
    if name is not None:
        return _NAMED[name]
    point = int(number) if number is not None else int(hexa, 16)
    if 0x20 <= point < 0x7F or 0xA0 <= point < 0xD800 or 0xE000 <= point < 0xFDD0 \
            or 0xFDF0 <= point < 0xFFFE:
        return chr(point)
    # Control characters, surrogates and the like: exactly what html.unescape makes of them.
    return html.unescape(m.group(0))


def _unescape(text: str) -> str:
    """XML text with its character references resolved, as ``html.unescape`` does.

    openpyxl's write-only mode writes every non-ASCII character as ``&#NNNNN;``:
    ``html.unescape`` costs several microseconds per reference, this one expression a
    fraction of that. A text with any other ``&`` goes to ``html.unescape`` whole.
    """
    if "&" not in text:
        return text
    if _OTHER_REF.search(text):
        return html.unescape(text)
    return _CHARREF.sub(_charref, text)


#: Distinct texts whose resolved form is remembered while reading one sheet (texts repeat:
#: 环节, parks, dates…); a full cache stops growing so memory stays bounded.
_TEXT_CACHE_LIMIT = 50_000


#: Bytes of sheet XML decoded and matched at a time (cut at a ``</row>``): a million-row
#: sheet is about 800 MB of XML, which is not held whole (nor twice, as bytes and text).
_PIECE = 8 << 20


def _pieces(handle, size: int = _PIECE):
    """The sheet XML from ``handle`` in pieces that each end just after a ``</row>``
    (the last piece holds whatever follows the last row)."""
    rest = b""
    while True:
        block = handle.read(size)
        if not block:
            if rest:
                yield rest
            return
        data = rest + block
        cut = data.rfind(b"</row>")
        if cut < 0:
            rest = data
            continue
        cut += len(b"</row>")
        rest = data[cut:]
        yield data[:cut]


def _regex_rows(data, shared: list[str], dates: set[int], progress=None, sheet="",
                merges: list | None = None):
    """Rows of a sheet part, matched by one regular expression per cell (several times
    faster than an XML parser on 100,000 rows). Raises :class:`_Unusual` when some cell
    is not in the shape the expression knows.

    ``data`` is the XML as bytes, or an iterable of pieces cut at row ends (see
    :func:`_pieces`); ``merges``, when given, collects the ``<mergeCell>`` tags seen."""
    from openpyxl.utils.datetime import from_excel

    matrix: list[list] = []
    state = {"type": "n", "style": 0, "text": None, "formula": None, "has_f": False}
    attr_cache: dict[str, tuple[str, int]] = {}
    texts: dict[str, str] = {}  # raw inline XML or <v> text -> resolved text
    numbers: dict = {}  # <v> text (with the style when it has one) -> number or date
    cols = _COLS
    row: list = []
    current = 0  # the row number ``row`` belongs to
    for piece in ([data] if isinstance(data, (bytes, bytearray)) else data):
        if merges is not None and b"mergeCell" in piece:
            merges.extend(m.group(0) for m in _MERGE.finditer(piece))
        text = piece.decode("utf-8")
        del piece
        row, current = _piece_rows(text, matrix, row, current, shared, dates, from_excel,
                                   state, attr_cache, texts, numbers, cols, progress, sheet)
    return matrix


def _piece_rows(text, matrix, row, current, shared, dates, from_excel, state, attr_cache,
                texts, numbers, cols, progress, sheet):
    """Cells of one piece of sheet XML into ``matrix``; returns the open row."""
    matched = 0
    for m in _CELL.finditer(text):
        matched += 1
        letters, number, attrs, formula, v, inline = m.groups()
        has_f = formula is not None or (v is None and inline is None and "<f" in m.group(0))
        if v is None and inline is None and not has_f:
            continue
        col = cols.get(letters)
        if col is None:
            col = cols[letters] = _column_index(letters)
        if attrs:
            found = attr_cache.get(attrs)
            if found is None:
                kind, style = "n", 0
                for key, value in _ATTR.findall(attrs):
                    if key == "t":
                        kind = value
                    else:
                        style = int(value)
                found = attr_cache[attrs] = (kind, style)
            kind, style = found
        else:
            kind, style = "n", 0
        if inline is not None:
            value = texts.get(inline)
            if value is None:
                if inline.startswith("<t>") and inline.endswith("</t>") and "<" not in inline[3:-4]:
                    value = _unescape(inline[3:-4])
                else:
                    if "<rPh" in inline:
                        inline_text = _RPH.sub("", inline)
                    else:
                        inline_text = inline
                    value = "".join(_unescape(t) for t in _T.findall(inline_text))
                if len(texts) < _TEXT_CACHE_LIMIT:
                    texts[inline] = value
        elif v is not None and "&" in v:
            value = texts.get(v)
            if value is None:
                value = _unescape(v)
                if len(texts) < _TEXT_CACHE_LIMIT:
                    texts[v] = value
        else:
            value = v
        if kind == "n" and not has_f and value is not None:
            # Numbers repeat (counts, dates as serials): convert each text once per style.
            key = (value, style) if style else value
            found = numbers.get(key)
            if found is None:
                state["type"], state["style"], state["has_f"] = kind, style, has_f
                state["formula"], state["text"] = None, value
                found = _cell_value(state, shared, dates, from_excel)
                if len(numbers) < _TEXT_CACHE_LIMIT:
                    numbers[key] = found
            value = found
        elif has_f or kind not in ("inlineStr", "s") or value is None:
            state["type"], state["style"], state["has_f"] = kind, style, has_f
            state["formula"] = _unescape(formula) if formula else None
            state["text"] = value
            value = _cell_value(state, shared, dates, from_excel)
            if value is None:
                continue
        elif kind == "s":
            value = shared[int(value)]
        r = int(number)
        if r != current:
            while len(matrix) < r:
                matrix.append([])
                if progress and len(matrix) % 20000 == 0:
                    progress("read", len(matrix), sheet)
            row = matrix[r - 1]
            current = r
        if len(row) < col:
            row.extend([None] * (col - len(row)))
        row[col - 1] = value
    if matched != text.count("<c ") + text.count("<c>"):
        raise _Unusual()
    return row, current


def _cell_value(state, shared, dates, from_excel):
    kind, text = state["type"], state["text"]
    if state["has_f"] and (text is None or text == ""):
        if kind == "str" and text == "":
            return None  # the formula's cached result is an empty string
        # A formula without a cached value: hand over its text, which is refused.
        return "=" + (state["formula"] or "（共享公式）")
    if text is None:
        return None
    if kind == "s":
        return shared[int(text)]
    if kind in ("inlineStr", "str"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return text  # "#DIV/0!" and the like: refused by the validator as a bad value
    if kind == "d":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return text
    try:
        number = float(text) if any(ch in text for ch in ".eE") else int(text)
    except ValueError:
        return text
    if state["style"] in dates and isinstance(number, (int, float)):
        try:
            return from_excel(number)
        except (ValueError, OverflowError):
            return number
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _read_fast(path: Path, progress=None) -> dict[str, RawSheet]:
    archive = zipfile.ZipFile(path)
    try:
        parts, shared, dates = _workbook_parts(archive)
        sheets: dict[str, RawSheet] = {}
        for title, part in parts:
            sheet = sheet_for_name(title)
            if sheet is None:
                continue
            if sheet in sheets:
                raise ReadError(f"{path.name}：工作表“{sheet}”出现了两次")
            merges: list[bytes] = []
            try:
                with archive.open(part) as handle:
                    matrix = _regex_rows(_pieces(handle), shared, dates, progress, sheet, merges)
                merged = b"".join(merges)
            except _Unusual:  # namespace prefixes (<x:c>), cells without r=…: parse the XML
                xml = archive.read(part)
                matrix = _fast_rows(xml, shared, dates, progress, sheet)
                merged = xml
                del xml
            _apply_merges(matrix, merged)
            sheets[sheet] = _build_sheet(sheet, f"{path.name}#{title}", matrix)
            if progress:
                progress("read", len(sheets[sheet].rows), sheet)
        return sheets
    finally:
        archive.close()


def read_workbook(path: Path | str, progress=None) -> dict[str, RawSheet]:
    """Read the known sheets of an ``.xlsx`` workbook.

    A one-pass reader over the sheet XML does the work (openpyxl's read-only mode is several
    times slower on 100,000 rows); a workbook it cannot follow is read by openpyxl instead.
    """
    path = Path(path)
    try:
        found = _read_fast(path, progress)
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - unusual layout or damage: let openpyxl try and explain
        return _read_openpyxl(path, progress)
    if not found:
        raise ReadError(f"{path.name}：没有可导入的工作表（应为 {'、'.join(SHEETS)}）")
    return found


def _read_openpyxl(path: Path, progress=None) -> dict[str, RawSheet]:

    """Read the known sheets of an ``.xlsx`` workbook."""
    from openpyxl import load_workbook

    path = Path(path)
    handles = []
    try:
        archive = zipfile.ZipFile(path)
        # A file object, not the name: openpyxl would refuse an unusual extension.
        handles.append(open(path, "rb"))
        wb = load_workbook(handles[-1], read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, EOFError) as exc:
        for h in handles:
            h.close()
        raise ReadError(f"无法读取工作簿 {path.name}：不是有效的 .xlsx 文件（{type(exc).__name__}）") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on a broken file
        for h in handles:
            h.close()
        raise ReadError(f"无法读取工作簿 {path.name}：{type(exc).__name__}") from None
    sheets: dict[str, RawSheet] = {}
    formula_wb = None
    try:
        for title in wb.sheetnames:
            sheet = sheet_for_name(title)
            if sheet is None:
                continue
            if sheet in sheets:
                raise ReadError(f"{path.name}：工作表“{sheet}”出现了两次")
            ws = wb[title]
            try:
                xml = archive.read(ws._worksheet_path)
            except KeyError:
                xml = b""
            ws.reset_dimensions()
            matrix = []
            for row in ws.iter_rows(values_only=True):
                matrix.append(list(row))
                if progress and len(matrix) % 20000 == 0:
                    progress("read", len(matrix), sheet)
            if b"<f" in xml or b":f>" in xml:
                # Formulas present: look at their text where no cached value exists.
                if formula_wb is None:
                    handles.append(open(path, "rb"))
                    formula_wb = load_workbook(handles[-1], read_only=True, data_only=False)
                fws = formula_wb[title]
                fws.reset_dimensions()
                for r, frow in enumerate(fws.iter_rows(values_only=True)):
                    if r >= len(matrix):
                        break
                    row = matrix[r]
                    for c, fvalue in enumerate(frow):
                        if c < len(row) and row[c] is None and fvalue is not None and (
                                not isinstance(fvalue, (str, int, float)) or
                                (isinstance(fvalue, str) and fvalue.startswith("="))):
                            row[c] = _formula_text(fvalue)
            _apply_merges(matrix, xml)
            sheets[sheet] = _build_sheet(sheet, f"{path.name}#{title}", matrix)
            if progress:
                progress("read", len(sheets[sheet].rows), sheet)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a valid zip
        raise ReadError(f"无法读取工作簿 {path.name}：{type(exc).__name__}: {exc}"[:300]) from None
    finally:
        wb.close()
        if formula_wb is not None:
            formula_wb.close()
        archive.close()
        for h in handles:
            h.close()
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


def read_csv(path: Path | str, sheet: str | None = None) -> RawSheet:
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
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return _build_sheet(sheet, path.name, _csv_rows(csv.reader(handle), path.name))
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from None


def read_path(paths, progress=None) -> dict[str, RawSheet]:
    """Read a workbook, a CSV file, a folder of CSV files, or several of these."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sheets: dict[str, RawSheet] = {}

    def add(found: dict[str, RawSheet]) -> None:
        for name, raw in found.items():
            if name in sheets:
                raise ReadError(f"工作表“{name}”给出了两次：{sheets[name].source} 和 {raw.source}")
            sheets[name] = raw

    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".xlsx"))
            if not files:
                raise ReadError(f"文件夹 {p} 中没有 .xlsx 或 .csv 文件")
            for f in files:
                if f.suffix.lower() == ".csv" and sheet_for_name(f.stem) is None:
                    continue
                add(read_workbook(f, progress) if f.suffix.lower() == ".xlsx"
                    else {(r := read_csv(f)).name: r})
            continue
        if not p.exists():
            raise ReadError(f"找不到文件：{p}")
        suffix = p.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            add(read_workbook(p, progress))
        elif suffix in (".csv", ".txt"):
            raw = read_csv(p)
            add({raw.name: raw})
        elif suffix == ".xls":
            raise ReadError(f"{p.name}：不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx")
        else:
            # Unknown extension: a workbook if it is a zip, else try CSV.
            if zipfile.is_zipfile(p):
                add(read_workbook(p, progress))
            else:
                raw = read_csv(p)
                add({raw.name: raw})
    if not sheets:
        raise ReadError("没有可导入的工作表")
    return sheets
