"""Coverage reports for planners: Excel ledger, Word report, PDF, CSV.

One entry point for every caller (the ``tracker report`` command, the dashboard's 报表
page): :func:`write_report` writes a file, :func:`render_report` returns its bytes (for
a download button). Both gather the content once (:func:`tracker.reports.content.gather`,
the only place figures come from), render the charts once where the format shows them
(:mod:`tracker.reports.charts`), and hand both to the one function of the format:
:func:`~tracker.reports.xlsx.write_xlsx`, :func:`~tracker.reports.docx.write_docx`,
:func:`~tracker.reports.pdf.write_pdf`, :func:`~tracker.reports.csv.write_csv`.

Long reports (a province's ledger takes minutes) tell where they are through
:class:`tracker.progress.Progress` events: stage ``gather`` (one event per part of
:data:`~tracker.reports.content.GATHER_PARTS`, ``done`` of ``total``), ``charts``,
``write`` (``detail``: the format) and, from :func:`write_report`, ``written``
(``detail``: the file, its size and the time taken); their labels are ``progress.<stage>``.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> events = []
>>> data = render_report(engine, "csv", date(2025, 6, 30), progress=events.append)
>>> data[:3] == b"\\xef\\xbb\\xbf"
True
>>> [(e.stage, e.done, e.total) for e in events][-2:]
[('gather', 7, 7), ('write', None, None)]
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

from sqlalchemy.engine import Engine

from ..i18n import t
from ..progress import ProgressCallback, Reporter
from ..scope import EVERYTHING, Scope
from .content import ReportContent, gather, report_title

__all__ = [
    "FORMATS",
    "ReportContent",
    "ReportFormat",
    "default_filename",
    "gather",
    "render_report",
    "report_title",
    "write_report",
]


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
    return f"{stem}_{as_of.isoformat()}{part}{_format(fmt, lang).suffix}"


def _format(fmt: str, lang: str = "zh") -> ReportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(t("reports.error_format", lang, format=fmt,
                           formats="、".join(FORMATS))) from None


def render_report(engine: Engine, fmt: str, as_of: date, scope: Scope = EVERYTHING,
                  lang: str = "zh", progress: ProgressCallback | None = None) -> bytes:
    """The report file as bytes (for the dashboard's download buttons).

    Parameters
    ----------
    engine : the store
    fmt : a key of :data:`FORMATS` (``xlsx``, ``docx``, ``pdf``, ``csv``)
    as_of : the date of every figure
    scope : restricts everything in the file (figures, firm lists, organisations, findings)
    lang : ``"zh"`` (default) or ``"en"``
    progress : called with each :class:`tracker.progress.Progress` event (see above)
    """
    stream = io.BytesIO()
    _render(engine, fmt, stream, as_of, scope, lang, progress, Reporter(progress))
    return stream.getvalue()


def _render(engine: Engine, fmt: str, stream, as_of: date, scope: Scope, lang: str,
            progress: ProgressCallback | None, report: Reporter) -> None:
    """Gather, render the charts where the format has them, and write to ``stream``."""
    spec = _format(fmt, lang)
    content = gather(engine, as_of, scope, lang, progress=progress)
    # The format modules are imported when their format is asked for, not with the
    # package: plotly, python-docx, fpdf2 and openpyxl together take about 2 s to import,
    # which every `tracker` command (this package is imported by the command line) would pay.
    charts = None
    if spec.charts:
        from .charts import render_charts

        report("charts")
        charts = render_charts(content)
        if charts.error:
            report("charts", detail=t("reports.charts_failed", lang, reason=charts.error))
    report("write", detail=spec.label(lang))
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
                 scope: Scope = EVERYTHING, lang: str = "zh",
                 progress: ProgressCallback | None = None) -> Path:
    """Write the report to ``path`` (atomically: a half-written file never appears).

    The format writes straight into a temporary file beside ``path`` (a province's
    ledger is a few hundred megabytes: not held in memory), renamed when complete.
    Returns the path written. See :func:`render_report` for the parameters.
    """
    started = time.perf_counter()
    path = Path(path)
    # Before the work: a typo in the folder should not cost a whole report (and charts).
    if not path.parent.is_dir():
        raise ValueError(t("reports.error_folder", lang, folder=path.parent))
    _format(fmt, lang)
    report = Reporter(progress)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            _render(engine, fmt, handle, as_of, scope, lang, progress, report)
            size = handle.tell()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    report("written", detail=t("reports.written", lang, path=str(path), size=_size(size),
                               seconds=f"{time.perf_counter() - started:.1f}"))
    return path


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"
