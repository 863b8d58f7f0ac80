"""The firm ledger as CSV: UTF-8 with a byte-order mark, so that Excel opens it in Chinese.

One row per firm of the population (the same rows as the 企业明细 sheet), headers in the
report's language. Text that a spreadsheet would read as a formula is escaped by
:func:`tracker.reports.safe.csv_text`.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from .content import FIRM_COLUMNS, ReportContent
from .safe import csv_text

__all__ = ["write_csv"]


def write_csv(content: ReportContent, stream: BinaryIO) -> None:
    """Write the firm ledger of ``content`` to a binary stream (UTF-8 with BOM, CRLF rows)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([csv_text(content.tr(f"col_{k}")) for k in FIRM_COLUMNS])
    for row in content.firms[list(FIRM_COLUMNS)].itertuples(index=False, name=None):
        writer.writerow([csv_text(v) for v in row])
    stream.write(text.getvalue().encode("utf-8-sig"))
