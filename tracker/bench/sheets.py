"""The benchmark's generated firm sheets, written by the package's one xlsx cell writer.

:func:`write_xlsx_stream` is a name kept for the harness and its tests; the writing is
:func:`tracker.reports.xlsxstream.write_sheet` (its module says which cells it writes
and why it is hand-written, with the measurements).
"""

from __future__ import annotations

from pathlib import Path

from ..reports.xlsxstream import write_sheet

__all__ = ["write_xlsx_stream"]

#: Characters a sheet name cannot hold (Excel's rule; openpyxl refuses them too).
_NAME_FORBIDDEN = '[]:*?/\\'


def write_xlsx_stream(path: Path | str, sheet: str, rows, level: int = 1) -> int:
    """Write ``rows`` (lists of str / int / float / bool / None) as a one-sheet ``.xlsx``.

    Streaming: cells are written as they come, straight into the zip entry, so a million
    rows need no more memory than a chunk of rows. ``None`` and ``""`` leave the cell
    empty; characters XML cannot hold are dropped. Returns the number of rows written
    (the header row included). An invalid sheet name (empty, longer than 31 characters
    or holding one of ``[]:*?/\\``) raises ValueError.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.xlsx")
    >>> write_xlsx_stream(path, "企业", [["统一社会信用代码", "党员数"], ["A&B", 3]])
    2
    >>> from openpyxl import load_workbook
    >>> [list(r) for r in load_workbook(path)["企业"].iter_rows(values_only=True)]
    [['统一社会信用代码', '党员数'], ['A&B', 3]]
    """
    if any(ch in sheet for ch in _NAME_FORBIDDEN) or not 0 < len(sheet) <= 31:
        raise ValueError(f"工作表名称无效：{sheet}")
    return write_sheet(path, sheet, rows, level)
