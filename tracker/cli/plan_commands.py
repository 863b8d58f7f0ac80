"""Sub-commands of the planner and the forecast: ``tracker plan`` and ``tracker forecast``."""

from __future__ import annotations

import json

import click

from ..chains import check_codes
from ..i18n import join, t
from ..planning.forecast import forecast
from ..planning.plan import PlannerConfig, liaison_text, plan_store, simulate
from ..scope import Scope
from ..vocab import PLAN_ACTION, PLAN_STATUS
from .base import Context, as_of_option, main, pass_context
from .output import percent, table

__all__ = ["forecast_command", "plan_command"]


@main.command(name="plan")
@as_of_option
@click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
              help="只规划这些产业链（可重复） / restrict to these chains")
@click.option("--capacity", type=click.IntRange(min=1), default=PlannerConfig.liaison_capacity,
              show_default=True, help="每名联络员负责企业数上限 / firms per liaison officer")
@click.option("--strict-memberless", is_flag=True,
              help="无正式党员的企业不纳入联合党支部 / firms without formal members get a liaison")
@click.option("--exact", is_flag=True, help="用整数规划求最优（仅适合小规模） / exact integer program")
@click.option("--simulate", "with_simulation", is_flag=True,
              help="在内存副本上模拟执行计划并检查规则 / apply to an in-memory copy and check rules")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def plan_command(ctx: Context, as_of, chain_codes, capacity, strict_memberless, exact,
                 with_simulation, as_json, lang) -> None:
    """补齐覆盖缺口的计划 / the plan to close the coverage gap."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    config = PlannerConfig(liaison_capacity=capacity,
                           allow_memberless_in_joint=not strict_memberless)
    result = plan_store(engine, as_of, scope, config, method="exact" if exact else "heuristic")
    sim = simulate(result, engine, scope, lang=lang) if with_simulation else None
    if as_json:
        data = result.as_dict()
        if sim is not None:
            data["simulation"] = sim.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    totals = result.totals
    click.echo(t("planner.plan_summary", lang, d=result.as_of, s=scope.describe(lang),
                 n=result.firms, b=percent(result.coverage_before),
                 a=percent(result.coverage_after), o=percent(result.org_coverage_after)))
    click.echo(t("planner.plan_totals", lang, a=totals["new_orgs"], b=totals["form_branch"],
                 c=totals["form_joint_branch"], j=totals["joined"],
                 l=totals["liaison_assignments"], n=totals["new_liaisons_needed"]))
    headers = [t(f"planner.col_{k}", lang) for k in
               ("action", "firms", "org", "park", "street", "chain", "formal", "reason")]
    rows = [[PLAN_ACTION.label(a.type, lang), len(a.firms), liaison_text(a, lang) or a.org or "",
             a.park or "", a.street or "", a.chain or "", a.pooled_formal_members,
             a.reason_text(lang)]
            for a in result.actions]
    if rows:
        click.echo(table(headers, rows, right={1, 6}))
    if sim is not None:
        click.echo(t("planner.simulation_summary", lang, r=percent(sim.coverage.coverage_rate),
                     n=len(sim.findings), rules=join(sim.rules, lang)))


@main.command(name="forecast")
@as_of_option
@click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
              help="只预测这些产业链（可重复） / restrict to these chains")
@click.option("--orgs-per-month", type=click.IntRange(min=0), default=None, metavar="K",
              help="情景：每月新建党组织数 / what-if: new organisations a month")
@click.option("--assignments-per-month", type=click.IntRange(min=0), default=None, metavar="L",
              help="情景：每月新派联络员人次 / what-if: new liaison assignments a month")
@click.option("--window", type=click.IntRange(min=2), default=12, show_default=True,
              help="拟合所用月数 / months of history for the trends")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def forecast_command(ctx: Context, as_of, chain_codes, orgs_per_month, assignments_per_month,
                     window, as_json, lang) -> None:
    """按趋势预测何时达到目标覆盖率 / when the target rate will be reached."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    result = forecast(engine, as_of, scope, window_months=window,
                      orgs_per_month=orgs_per_month,
                      assignments_per_month=assignments_per_month, lang=lang)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    p = result.plan
    click.echo(t("planner.forecast_summary", lang, d=result.as_of, t=percent(p["target_rate"]),
                 dl=p["deadline"]))
    with_what_if = result.district.what_if is not None
    headers = [t(f"planner.col_{k}", lang) for k in
               ("key", "name", "rate", "reach", "earliest", "latest", "status")]
    if with_what_if:
        headers.append(t("planner.col_what_if_reach", lang))
    never = "—"
    rows = []
    for f in [result.district, *result.chains]:
        row = [f.key, f.name, percent(f.rate), str(f.reach or never),
               str(f.reach_earliest or never), str(f.reach_latest or never),
               PLAN_STATUS.label(f.status, lang)]
        if with_what_if:
            row.append(str(f.what_if.reach or never))
        rows.append(row)
    click.echo(table(headers, rows, right={2}))
    click.echo(result.assumptions[lang])
