"""Sub-command ``tracker demo``: load the synthetic district (合成演示数据)."""

from __future__ import annotations

import time
from datetime import date

import click

from ..chains import init_store
from ..demo import DEFAULT_FIRMS, DEFAULT_SEED, MAX_FIRMS, MIN_FIRMS, load_demo, store_has_firms
from ..errors import TrackerError
from ..provenance import is_synthetic
from ..store import is_initialised
from . import Context, main, parse_date
from .output import table

__all__ = ["demo"]

pass_context = click.make_pass_decorator(Context)

_LABELS = {
    "firms": "企业",
    "memberships": "入链记录",
    "orgs": "党组织",
    "links": "组织覆盖关系",
    "liaisons": "联络员/指导员",
    "assignments": "联络员派驻记录",
    "supply_links": "上下游关系",
}


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
        raise TrackerError(f"企业数应在 {MIN_FIRMS:,} 到 {MAX_FIRMS:,} 之间，收到 {firms:,}")
    engine = ctx.engine
    if not is_initialised(engine):
        init_store(engine)
    if store_has_firms(engine) and not is_synthetic(engine) and not force:
        raise TrackerError("数据库中已有非合成（导入的真实）数据，载入演示数据会将其替换；"
                           "确需替换请加 --force")
    began = time.perf_counter()
    verbose = firms > 20_000
    counts = load_demo(engine, firms=firms, seed=seed, today=today,
                       progress=(lambda msg: click.echo(msg, err=True)) if verbose else None)
    elapsed = time.perf_counter() - began
    click.echo(table(["内容", "条数"], [[_LABELS.get(k, k), f"{v:,}"] for k, v in counts.items()],
                     right={1}))
    click.echo(f"已载入合成演示数据（种子 {seed}，{elapsed:.1f} 秒）：企业名称、信用代码和党组织均为虚构，"
               "不代表任何真实企业 / synthetic demo data loaded: all names and codes are fictional")
