"""Sub-command ``tracker demo``: load the synthetic district (合成演示数据)."""

from __future__ import annotations

import time
from datetime import date

import click

from ..chains import init_store
from ..demo import DEFAULT_FIRMS, DEFAULT_SEED, MAX_FIRMS, MIN_FIRMS, load_demo, store_has_firms
from ..errors import TrackerError
from ..i18n import t
from ..provenance import is_synthetic
from ..store import is_initialised
from .base import Context, main, parse_date, pass_context
from .output import progress_printer, table

__all__ = ["demo"]


def _optional_date(_ctx, _param, value) -> date | None:
    """Parse while click still knows the option, so that an error names ``--today``."""
    return None if value is None else parse_date(value)


@main.command()
@click.option("--firms", type=int, default=DEFAULT_FIRMS,
              show_default=True, help="企业数 / number of firms")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="随机种子（同一种子得到同一数据） / random seed")
@click.option("--today", "today", default=None, metavar="YYYY-MM-DD", callback=_optional_date,
              help="历史截止日（默认今天），便于复现 / end of the history (default: today)")
@click.option("--force", is_flag=True,
              help="覆盖非合成（真实导入）的数据 / overwrite real (non-synthetic) data")
@pass_context
def demo(ctx: Context, firms: int, seed: int, today: date | None, force: bool) -> None:
    """载入合成演示数据（替换现有企业、党组织和联络员数据） / load the synthetic demo data."""
    if not MIN_FIRMS <= firms <= MAX_FIRMS:
        raise TrackerError(t("common.cli_demo_firms_range", min=MIN_FIRMS, max=MAX_FIRMS, n=firms))
    engine = ctx.engine
    if not is_initialised(engine):
        init_store(engine)
    if store_has_firms(engine) and not is_synthetic(engine) and not force:
        raise TrackerError(t("common.cli_demo_real_data"))
    began = time.perf_counter()
    # Only a large district takes long enough for progress lines to help.
    counts = load_demo(engine, firms=firms, seed=seed, today=today,
                       progress=progress_printer() if firms > 20_000 else None)
    elapsed = time.perf_counter() - began
    click.echo(table([t("common.cli_col_content"), t("common.cli_col_rows")],
                     [[t(f"common.demo_{k}"), f"{v:,}"] for k, v in counts.items()], right={1}))
    click.echo(t("common.cli_demo_loaded", seed=seed, elapsed=elapsed))
