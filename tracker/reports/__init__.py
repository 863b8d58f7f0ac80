"""Coverage reports for planners: Excel ledger, Word report, PDF, CSV.

One entry point for every caller (the ``tracker report`` command, the dashboard's 报表
page): :func:`write_report` writes a file, :func:`render_report` returns its bytes (for
a download button). Both gather the content once (:func:`tracker.reports.content.gather`,
the only place figures come from), render the charts once where the format shows them
(:mod:`tracker.reports.charts`), and hand both to the one function of the format:
:func:`~tracker.reports.xlsx.write_xlsx`, :func:`~tracker.reports.docx.write_docx`,
:func:`~tracker.reports.pdf.write_pdf`, :func:`~tracker.reports.csv.write_csv`.

Examples
--------
>>> from datetime import date
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
>>> data = render_report(engine, "csv", date(2025, 6, 30))
>>> data[:3] == b"\\xef\\xbb\\xbf"
True
>>> FORMATS["xlsx"].mime
'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine

from ..i18n import t
from ..scope import EVERYTHING, Scope
from .content import ReportContent, gather

__all__ = ["FORMATS", "ReportFormat", "render_report", "write_report", "default_filename",
           "gather", "ReportContent"]

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class ReportFormat:
    code: str
    suffix: str
    mime: str
    charts: bool  # whether the format shows charts (they cost a Chromium start)

    def label(self, lang: str = "zh") -> str:
        return t(f"reports.format_{self.code}", lang)


#: The report formats, by code (``--format``); iterate for the choices.
FORMATS: dict[str, ReportFormat] = {f.code: f for f in (
    ReportFormat("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ReportFormat("docx", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", True),
    ReportFormat("pdf", ".pdf", "application/pdf", True),
    ReportFormat("csv", ".csv", "text/csv", False),
)}


def default_filename(fmt: str, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> str:
    """A file name such as ``产业链党建覆盖报告_2025-06-30_BIO.docx``."""
    stem = t("reports.file_stem", lang)
    part = "" if scope.chains is None else "_" + "-".join(sorted(scope.chains))
    return f"{stem}_{as_of.isoformat()}{part}{_format(fmt).suffix}"


def _format(fmt: str) -> ReportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"未知的报表格式：{fmt}（可选：{'、'.join(FORMATS)}）") from None


def _say(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def render_report(engine: Engine, fmt: str, as_of: date, scope: Scope = EVERYTHING,
                  lang: str = "zh", progress: Progress = None) -> bytes:
    """The report file as bytes (for the dashboard's download buttons).

    Parameters
    ----------
    engine : the store
    fmt : a key of :data:`FORMATS` (``xlsx``, ``docx``, ``pdf``, ``csv``)
    as_of : the date of every figure
    scope : restricts everything in the file (figures, firm lists, organisations, findings)
    lang : ``"zh"`` (default) or ``"en"``
    progress : called with one line of text per step
    """
    stream = io.BytesIO()
    _render(engine, fmt, stream, as_of, scope, lang, progress)
    return stream.getvalue()


def _render(engine: Engine, fmt: str, stream, as_of: date, scope: Scope, lang: str,
            progress: Progress) -> None:
    """Gather, render the charts where the format has them, and write to ``stream``."""
    spec = _format(fmt)
    started = time.perf_counter()
    _say(progress, t("reports.progress_gather", lang, date=as_of.isoformat()))
    content = gather(engine, as_of, scope, lang, progress=progress)
    _say(progress, t("reports.progress_gathered", lang, firms=len(content.firms),
                     seconds=f"{time.perf_counter() - started:.1f}"))
    charts = None
    if spec.charts:
        from .charts import render_charts

        _say(progress, t("reports.progress_charts", lang))
        charts = render_charts(content)
        if charts.error:
            _say(progress, t("reports.progress_charts_failed", lang, reason=charts.error))
    _say(progress, t("reports.progress_write", lang, format=spec.label(lang)))
    if fmt == "xlsx":
        from .xlsx import write_xlsx

        write_xlsx(content, stream)
    elif fmt == "csv":
        from .csv import write_csv

        write_csv(content, stream)
    elif fmt == "docx":
        from .docx import write_docx

        write_docx(content, charts, stream)
    else:
        from .pdf import write_pdf

        write_pdf(content, charts, stream)


def write_report(engine: Engine, fmt: str, path: str | os.PathLike, as_of: date,
                 scope: Scope = EVERYTHING, lang: str = "zh", progress: Progress = None) -> Path:
    """Write the report to ``path`` (atomically: a half-written file never appears).

    The format writes straight into a temporary file beside ``path`` (a province's
    ledger is a few hundred megabytes: not held in memory), renamed when complete.
    Returns the path written. See :func:`render_report` for the parameters.
    """
    started = time.perf_counter()
    path = Path(path)
    # Before the work: a typo in the folder should not cost a whole report (and charts).
    if not path.parent.is_dir():
        raise ValueError(f"目录不存在：{path.parent}")
    _format(fmt)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            _render(engine, fmt, handle, as_of, scope, lang, progress)
            size = handle.tell()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _say(progress, t("reports.progress_done", lang, path=str(path), size=_size(size),
                     seconds=f"{time.perf_counter() - started:.1f}"))
    return path


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"
