"""The one xlsx cell writer (:mod:`tracker.reports.xlsxstream`, issue 12).

Its cell rules, read back with openpyxl; the one rule for characters XML cannot hold
(dropped) in the streamed rows and in the cells openpyxl writes; and that no other module
of the package writes cell XML.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tracker.reports.content import gather
from tracker.cells import XML_ILLEGAL, put_cell, stream_value, xml_text
from tracker.reports.xlsx import write_xlsx
from tracker.reports.xlsxstream import CHUNK_ROWS, LINE_HEIGHT, ROW_PADDING, Fill, save, write_sheet

AS_OF = date(2025, 6, 30)
PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def _read(path) -> list[list]:
    return [list(r) for r in openpyxl.load_workbook(path)["s"].iter_rows(values_only=True)]


def test_cell_rules(tmp_path):
    path = tmp_path / "t.xlsx"
    row = ["a\rb", " x ", math.nan, True, False, 2**53, -1.5, date(2025, 1, 2), "", None,
           "A&B <C>", "\n", datetime(2026, 11, 27, 16, 30), date(1900, 3, 1)]
    assert write_sheet(path, "s", [row]) == 1
    got = _read(path)[0]
    assert got == ["a\rb", " x ", None, True, False, 2**53, -1.5, datetime(2025, 1, 2), None, None,
                   "A&B <C>", "\n", datetime(2026, 11, 27, 16, 30), datetime(1900, 3, 1)]
    assert type(got[5]) is int and type(got[3]) is bool
    cells = next(openpyxl.load_workbook(path)["s"].iter_rows())
    assert cells[7].is_date and cells[7].number_format == "yyyy-mm-dd"
    assert cells[12].number_format == "yyyy-mm-dd hh:mm"


def test_wrapped_columns_are_top_aligned_and_rows_tall_enough(tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.column_dimensions["B"].width = 11  # ten widths a line: five CJK characters
    rows = [["A1", "甲乙丙", 1], ["A2", "甲乙丙丁戊己庚辛", 2], ["A3", "=甲乙丙丁戊己庚辛壬癸子丑", 3],
            ["A4", "abcdefghijklmnopqrstu", date(2025, 1, 2)]]
    path = tmp_path / "t.xlsx"
    with open(path, "wb") as stream:
        save(wb, [Fill(ws, rows, wrap={1: 11})], stream)
    sheet = openpyxl.load_workbook(path)["s"]
    heights = [sheet.row_dimensions[i].height for i in range(1, 5)]
    assert heights == [LINE_HEIGHT * n + ROW_PADDING for n in (1, 2, 3, 3)]
    for row in sheet.iter_rows():
        assert all(c.alignment.vertical == "top" for c in row)
        assert row[1].alignment.wrap_text and not row[0].alignment.wrap_text
    assert sheet["B3"].quotePrefix and sheet["B3"].value.startswith("=")
    assert sheet["C4"].is_date


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = tmp_path / "t.xlsx"
    texts = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tTAB", "\rCR", "\x01=HYPERLINK(1)", "a=1"]
    write_sheet(path, "s", [[v] for v in texts])
    cells = [r[0] for r in openpyxl.load_workbook(path)["s"].iter_rows()]
    assert [c.value for c in cells] == [xml_text(v) for v in texts]
    assert all(c.data_type == "s" for c in cells)
    # The quote prefix goes by the text as written, after the dropped characters.
    assert [c.quotePrefix for c in cells] == [True] * 7 + [False]


def test_characters_xml_cannot_hold_are_dropped(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [["甲\x00乙", "\x1f", "\ud800x\ufffe", "\x0b\x0c"], [1, "ok\x08", None, "\x7f"]]
    assert write_sheet(path, "s", rows) == 2
    assert _read(path) == [["甲乙", None, "x", None], [1, "ok", None, "\x7f"]]
    assert XML_ILLEGAL.search("\t\n\r") is None  # the three control characters XML has


def test_infinity_is_refused(tmp_path):
    with pytest.raises(ValueError, match="inf"):
        write_sheet(tmp_path / "t.xlsx", "s", [[1.0, math.inf]])


def test_rows_are_streamed_from_a_generator(tmp_path):
    path = tmp_path / "t.xlsx"
    n = 2 * CHUNK_ROWS + 7
    rows = ([i, f"企业{i}", None, i / 2] for i in range(n))
    assert write_sheet(path, "s", rows) == n
    got = _read(path)
    assert len(got) == n and got[-1] == [n - 1, f"企业{n - 1}", None, (n - 1) / 2]


def test_openpyxl_cells_follow_the_same_rule():
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    assert stream_value(ws, "甲\x02") == "甲"
    quoted = stream_value(ws, "\x02=1")
    assert quoted.value == "=1" and quoted.quotePrefix
    assert stream_value(ws, "\x02") is None
    cell = put_cell(openpyxl.Workbook().active["A1"], "\x03-1")
    assert cell.value == "-1" and cell.data_type == "s" and cell.quotePrefix


@pytest.fixture
def small_content(sqlite_engine):
    from tests.builders import World

    w = World(sqlite_engine)
    w.org("O1", formation="single", members=6, founded="2022-01-01", name="甲公司党支部")
    w.firm("A", chains=["BIO"], formal=6, name="生物甲公司")
    w.link("O1", "A", start="2022-02-01")
    w.firm("B", chains=["BIO"], formal=1, name="生物乙公司")
    w.firm("C", chains=["AUTO"], formal=0, name="汽车丙公司")
    return gather(sqlite_engine, AS_OF)


def test_ledger_drops_characters_xml_cannot_hold(small_content):
    """Text from imported data with control characters no longer stops the ledger."""
    content = small_content
    names = ["甲\x00乙", "\x01=1+1", "\x1f"]
    content.firms = content.firms.assign(name=names, street=["a\rb", " 空格 ", None])
    content.notes.append("备注\x02")
    buffer = io.BytesIO()
    write_xlsx(content, buffer)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    rows = list(wb["企业明细"].iter_rows(min_row=2))
    assert [r[1].value for r in rows] == ["甲乙", "=1+1", None]
    assert rows[1][1].quotePrefix and rows[1][1].data_type == "s"
    assert [r[10].value for r in rows] == ["a\rb", " 空格 ", None]
    notes = [r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)]
    assert "备注" in notes


def test_one_module_writes_cell_xml():
    """The SpreadsheetML of cells is written in one place; no second xlsx library."""
    writers = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "inlineStr" in text or re.search(r"""['"]<c r=""", text) or "xlsxwriter" in text:
            writers.append(path.relative_to(PACKAGE).as_posix())
    assert writers == ["reports/xlsxstream.py"]
