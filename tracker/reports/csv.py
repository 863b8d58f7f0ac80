"""The firm ledger as CSV: UTF-8 with a byte-order mark, so that Excel opens it in Chinese.

One row per firm of the population (the same rows as the 企业明细 sheet), headers in the
report's language: the sheet's columns, its chain filter columns (one per chain of the
scope, :data:`tracker.reports.xlsx.CHAIN_MARK` where the firm belongs to the chain), then
three columns that say what the file is, on every row, since a CSV file has no place above
its header that every program reads alike (no comment lines): the as-of date (ISO 8601),
the scope, and the firm's chain codes (``BIO;DISPLAY``: the codes a program joins on).

Text that a spreadsheet would read as a formula is escaped by
:func:`tracker.cells.csv_text`. CSV has no row limit: this is the format that holds
a province's whole ledger in one file (about 250 bytes a firm).
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from ..cells import csv_text
from ..i18n import t
from .content import FIRM_COLUMNS, ReportContent

__all__ = ["CSV_EXTRA_COLUMNS", "csv_headers", "write_csv"]

_CHUNK = 50_000  # rows converted to Python lists and written at a time

#: The columns after the firm sheet's and its chain filter columns (``ledger.csv_<key>``).
CSV_EXTRA_COLUMNS = ("as_of", "scope", "chain_codes")


def csv_headers(content: ReportContent) -> list[str]:
    """The header row: the firm sheet's columns, the chain columns, :data:`CSV_EXTRA_COLUMNS`."""
    from .xlsx import chain_columns

    c = content
    return ([c.tr(f"col_{k}") for k in FIRM_COLUMNS] + [h for _, h in chain_columns(c)]
            + [t(f"ledger.csv_{k}", c.lang) for k in CSV_EXTRA_COLUMNS])


def write_csv(content: ReportContent, stream: BinaryIO) -> None:
    """Write the firm ledger of ``content`` to a binary stream (UTF-8 with BOM, CRLF rows)."""
    from .xlsx import CHAIN_MARK, chain_columns

    c = content
    keys = [k for k, _ in chain_columns(c)]
    as_of, scope = c.as_of.isoformat(), csv_text(c.scope_text)
    marks: dict[str, list] = {}  # chain codes → the chain columns and the codes column

    def tail(codes: str) -> list:
        got = marks.get(codes)
        if got is None:
            mine = set((codes or "").split(";"))
            got = marks[codes] = [CHAIN_MARK if k in mine else "" for k in keys] + [
                as_of, scope, codes or ""]
        return got

    # Straight to the stream, a chunk of rows at a time: memory does not grow with the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([csv_text(h) for h in csv_headers(c)])
        frame = c.firms
        for start in range(0, len(frame), _CHUNK):
            part = frame.iloc[start:start + _CHUNK]
            columns = [[csv_text(v) for v in part[k].tolist()] for k in FIRM_COLUMNS]
            writer.writerows([*row, *tail(codes)] for row, codes in
                             zip(zip(*columns), part["chain_codes"].tolist()))
        text.flush()
    finally:
        text.detach()  # the caller owns the stream
