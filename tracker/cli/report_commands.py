"""Sub-command ``tracker report``: the coverage report as xlsx, docx, pdf or csv.

When the charts of a docx or pdf report cannot be rendered (no Chromium, a browser that
fails to start or does not answer in time: :mod:`tracker.reports.charts`), the report is
written without them and one line on stderr says why, even with ``--quiet``.
"""

from __future__ import annotations

import click

from ..chains import check_codes
from ..progress import Progress, ProgressCallback
from ..reports import FORMATS, default_filename, write_report
from ..scope import Scope
from .base import Context, as_of_option, main, pass_context
from .output import progress_printer

__all__ = ["report_command"]


def _warn_on_chart_failure(draw: ProgressCallback) -> ProgressCallback:
    """``draw``, except the event that says the charts failed: always one line on stderr.

    The report's ``charts`` stage carries a detail only when the charts could not be
    rendered (:func:`tracker.reports._render`).
    """

    def progress(event: Progress) -> None:
        if event.stage == "charts" and event.detail:
            click.echo(event.detail, err=True)
        else:
            draw(event)

    return progress


@main.command(name="report")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True,
              help="报表格式 / file format")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="输出文件（默认按日期和范围命名） / output file (default: named by date and scope)")
@as_of_option
@click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
              help="只含这些产业链（可重复） / restrict to these chains (repeatable)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
              help="报表语言 / language of the report")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度 / no progress lines")
@pass_context
def report_command(ctx: Context, fmt: str, output: str | None, as_of, chain_codes, lang: str,
                   quiet: bool) -> None:
    """生成覆盖情况报表（Excel 台账、Word 公文、PDF、CSV） / write a coverage report."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    path = output or default_filename(fmt, as_of, scope, lang)
    written = write_report(engine, fmt, path, as_of, scope=scope, lang=lang,
                           progress=_warn_on_chart_failure(progress_printer(lang, quiet=quiet)))
    click.echo(str(written))
