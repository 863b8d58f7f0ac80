"""Sub-commands of the planner and the forecast: ``tracker plan`` and ``tracker forecast``."""

from __future__ import annotations

import json

import click

from ..planning.forecast import forecast
from ..planning.plan import PlannerConfig, plan_store, simulate
from ..scope import Scope
from ..vocab import PLAN_ACTION, PLAN_STATUS
from . import Context, as_of_option, main
from ..chains import check_codes
from .output import percent, table

__all__ = ["plan_command", "forecast_command"]

pass_context = click.make_pass_decorator(Context)

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
    sim = simulate(result, engine, scope) if with_simulation else None
    if as_json:
        data = result.as_dict()
        if sim is not None:
            data["simulation"] = sim.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    zh = lang == "zh"
    t = result.totals
    click.echo(("统计日 {d}；范围：{s}；企业 {n} 家；覆盖率 {b} → {a}；组织覆盖率 → {o}" if zh else
                "as of {d}; scope: {s}; {n} firms; coverage {b} → {a}; organisation coverage → {o}"
                ).format(d=result.as_of, s=scope.describe(lang), n=result.firms,
                         b=percent(result.coverage_before), a=percent(result.coverage_after),
                         o=percent(result.org_coverage_after)))
    click.echo(("新建党组织 {a} 个（单独组建 {b}，联合组建 {c}）；加入现有联合党组织 {j} 家；"
                "联络员覆盖 {l} 家；需新选派联络员 {n} 名" if zh else
                "new organisations {a} ({b} single, {c} joint); {j} firms join existing joint "
                "organisations; {l} firms get a liaison; {n} new liaison officers needed").format(
        a=t["new_orgs"], b=t["form_branch"], c=t["form_joint_branch"], j=t["joined"],
        l=t["liaison_assignments"], n=t["new_liaisons_needed"]))
    headers = (["措施", "企业数", "党组织", "园区", "街道", "产业链", "正式党员", "说明"] if zh else
               ["action", "firms", "org", "park", "street", "chain", "formal", "reason"])
    rows = []
    for a in result.actions:
        if a.liaison is not None:
            org = a.liaison["name"]
        elif a.new_liaison is not None:
            org = ("新联络员" if zh else "new officer ") + str(a.new_liaison)
        else:
            org = a.org or ""
        rows.append([PLAN_ACTION.label(a.type, lang), len(a.firms), org, a.park or "",
                     a.street or "", a.chain or "", a.pooled_formal_members,
                     a.reason if zh else a.reason_en])
    if rows:
        click.echo(table(headers, rows, right={1, 6}))
    if sim is not None:
        click.echo(("模拟执行后：覆盖率 {r}；规则问题 {n} 条（{rules}）" if zh else
                    "after the plan: coverage {r}; {n} findings ({rules})").format(
            r=percent(sim.coverage.coverage_rate), n=len(sim.findings), rules="、".join(sim.rules)))


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
    zh = lang == "zh"
    p = result.plan
    click.echo(("统计日 {d}；目标 {t}，期限 {dl}" if zh else "as of {d}; target {t} by {dl}").format(
        d=result.as_of, t=percent(p["target_rate"]), dl=p["deadline"]))
    with_what_if = result.district.what_if is not None
    headers = (["代码", "名称", "覆盖率", "预计达标", "最早", "最晚", "状态"] if zh else
               ["key", "name", "rate", "reach", "earliest", "latest", "status"])
    if with_what_if:
        headers.append("情景达标" if zh else "what-if reach")
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
    click.echo(result.assumptions["zh" if zh else "en"])
