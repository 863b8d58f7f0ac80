"""The firm ledger as CSV: UTF-8 with a byte-order mark, so that Excel opens it in Chinese.

One row per firm of the population (the same rows as the 企业明细 sheet), headers in the
report's language. Text that a spreadsheet would read as a formula is escaped by
:func:`tracker.reports.safe.csv_text`. CSV has no row limit: this is the format that holds
a province's whole ledger in one file (about 190 bytes a firm).
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from .content import FIRM_COLUMNS, ReportContent
from .safe import csv_text

__all__ = ["write_csv"]

_CHUNK = 50_000  # rows converted to Python lists and written at a time


def write_csv(content: ReportContent, stream: BinaryIO) -> None:
    """Write the firm ledger of ``content`` to a binary stream (UTF-8 with BOM, CRLF rows)."""
    # Straight to the stream, a chunk of rows at a time: memory does not grow with the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([csv_text(content.tr(f"col_{k}")) for k in FIRM_COLUMNS])
        frame = content.firms
        for start in range(0, len(frame), _CHUNK):
            part = frame.iloc[start:start + _CHUNK]
            columns = [[csv_text(v) for v in part[k].tolist()] for k in FIRM_COLUMNS]
            writer.writerows(zip(*columns))
        text.flush()
    finally:
        text.detach()  # the caller owns the stream
