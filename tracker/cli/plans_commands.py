"""Sub-commands after the deadline: ``tracker plans`` (records and verdicts), ``tracker flow``
(what changed between two dates) and ``tracker overdue`` (the officer's to-do list)."""

from __future__ import annotations

import json

import click

from ..chains import check_codes
from ..flow import flow
from ..i18n import t
from ..overdue import overdue_queue
from ..plans import add_plan, list_plans, plan_as_dict
from ..verdict import verdict
from ..vocab import DEADLINE_RESULT, FLOW_CHANGE, STANDING, TREND, UNCOVERED_CAUSE
from .base import Context, as_of_option, main, parse_date, pass_context
from .output import percent, table

__all__ = ["flow_command", "overdue_command", "plans_group"]

_lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                            help="输出语言 / output language")
_json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _date(_ctx, _param, value):
    return None if value is None else parse_date(value)


def _pp(change: float | None) -> str:
    if change is None:
        return "—"
    return f"{change * 100:+.1f}pp"


@main.group(name="plans", invoke_without_command=True)
@_json_option
@_lang_option
@click.pass_context
def plans_group(click_ctx: click.Context, as_json: bool, lang: str) -> None:
    """覆盖计划：列出、新增、查看结论 / coverage plans: list, add, verdict."""
    if click_ctx.invoked_subcommand is not None:
        return
    engine = click_ctx.find_object(Context).ready_engine()
    plans = list_plans(engine)
    if as_json:
        _echo_json([plan_as_dict(p) for p in plans])
        return
    headers = [t(f"plans.col_{c}", lang) for c in
               ("name", "start", "deadline", "target", "cover_within", "kind")]
    rows = [[p.name, p.start, p.deadline, percent(p.target_rate, 0), p.cover_within_days,
             t("plans.kind_example" if p.is_example else
               "plans.kind_default" if p.is_default else "plans.kind_plan", lang)]
            for p in plans]
    click.echo(table(headers, rows, right={3, 4}))


@plans_group.command(name="add")
@click.argument("name")
@click.option("--start", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="开始日期 / first day of the plan")
@click.option("--deadline", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="截止日期 / the deadline")
@click.option("--target-rate", type=float, default=1.0, show_default=True,
              help="覆盖率目标（0-1） / target coverage rate, a fraction")
@click.option("--org-target-rate", type=float, default=None,
              help="组织覆盖率目标（可选） / optional organisation-coverage target")
@click.option("--single-unit-target", type=float, default=None,
              help="单独组建率目标（可选） / optional single-unit target")
@click.option("--cover-within-days", type=int, default=90, show_default=True,
              help="新入链企业应在多少天内覆盖 / days to cover a firm that enters a chain")
@click.option("--visit-within-days", type=int, default=90, show_default=True,
              help="工作覆盖须在多少天内有走访 / days within which a work-covered firm must be visited")
@click.option("--source", default="", help="依据（文件、文章） / the plan's source text")
@click.option("--denominator", type=click.Choice(["chain_firms", "above_size"]),
              default="chain_firms", show_default=True, help="统计口径 / denominator")
@click.option("--example", "is_example", is_flag=True,
              help="标为示例（非真实政策） / mark as an illustrative example, not real policy")
@pass_context
def plans_add(ctx: Context, name: str, start, deadline, target_rate: float, org_target_rate,
              single_unit_target, cover_within_days: int, visit_within_days: int, source: str,
              denominator: str, is_example: bool) -> None:
    """新增计划 / add a plan."""
    plan = add_plan(ctx.ready_engine(), name, start, deadline, target_rate=target_rate,
                    org_target_rate=org_target_rate, single_unit_target=single_unit_target,
                    cover_within_days=cover_within_days,
                    visit_within_days=visit_within_days, source=source,
                    denominator=denominator, is_example=is_example)
    click.echo(t("plans.added", "zh", name=plan.name, start=plan.start, deadline=plan.deadline))


@plans_group.command(name="show")
@click.argument("name")
@as_of_option
@click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
              help="只看这些产业链（可重复） / restrict to these chains")
@_json_option
@_lang_option
@pass_context
def plans_show(ctx: Context, name: str, as_of, chain_codes, as_json: bool, lang: str) -> None:
    """计划结论：截止日结果、统计日状态、趋势 / a plan's verdict."""
    from ..scope import Scope

    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    result = verdict(engine, name, as_of, scope=scope, lang=lang)
    if as_json:
        _echo_json(result.as_dict())
        return
    plan = result.plan
    key = "plans.verdict_ended" if result.ended else "plans.verdict_running"
    click.echo(t(key, lang, name=plan.name, deadline=plan.deadline, as_of=as_of,
                 days=abs(result.days_past_deadline), target=percent(plan.target_rate, 0)))
    if plan.is_example:
        click.echo(t("plans.example_notice", lang))
    headers = [t(f"plans.col_{c}", lang) for c in
               ("chain", "rate_deadline", "result_deadline", "short_deadline", "rate_now",
                "change", "standing", "short_now", "trend")]

    def row(v, label):
        d = v.as_dict()
        return [label, percent(d["rate_at_deadline"]),
                DEADLINE_RESULT.label(d["result_at_deadline"], lang), d["short_at_deadline"],
                percent(d["rate_now"]), _pp(d["change"]), STANDING.label(d["standing"], lang),
                d["short_now"], TREND.label(d["trend"], lang) if d["trend"] else "—"]

    rows = [row(v, v.name) for v in result.chains]
    rows.append(row(result.district, t("plans.district", lang)))
    click.echo(table(headers, rows, right={1, 3, 4, 5, 7}))
    if plan.source:
        click.echo(t("plans.source", lang, source=plan.source))


@main.command(name="flow")
@click.option("--from", "start", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="起始日期 D1 / the first date")
@click.option("--to", "end", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="结束日期 D2 / the second date")
@click.option("--chain", default=None, metavar="CODE", help="只看一条产业链 / one chain only")
@_json_option
@_lang_option
@pass_context
def flow_command(ctx: Context, start, end, chain, as_json: bool, lang: str) -> None:
    """两个日期之间的变动与覆盖时长 / what changed between two dates."""
    engine = ctx.ready_engine()
    if chain:
        check_codes(engine, [chain])
    result = flow(engine, start, end, chain=chain).as_dict()
    if as_json:
        _echo_json(result)
        return
    s, e = result["start"], result["end"]
    click.echo(t("plans.flow_head", lang, start=result["from"], end=result["to"],
                 scope=result["chain"] or t("plans.district", lang)))
    click.echo(t("plans.flow_covered", lang, start=s["covered"], start_firms=s["firms"],
                 end=e["covered"], end_firms=e["firms"]))
    click.echo(t("plans.flow_terms", lang, **{k: result[k] for k in (
        "entered", "entered_covered", "left", "left_covered", "gained", "lost")}))
    ttc = result["time_to_cover"]
    click.echo(t("plans.flow_time", lang, entered=ttc["entered"], covered=ttc["covered"],
                 median="—" if ttc["median_days"] is None else f"{ttc['median_days']:g}",
                 p90="—" if ttc["p90_days"] is None else ttc["p90_days"]))
    if result["firms"]:
        headers = [t("plans.col_code", lang), t("plans.col_change_kind", lang),
                   t("plans.col_covered_end", lang)]
        click.echo(table(headers, [[f["credit_code"], FLOW_CHANGE.label(f["change"], lang),
                                    t("plans.yes" if f["covered_at_end"] else "plans.no", lang)]
                                   for f in result["firms"]]))


@main.command(name="overdue")
@as_of_option
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="覆盖时限（天，默认取现行计划） / the window in days (default: the plan in force)")
@click.option("--chain", default=None, metavar="CODE", help="只看一条产业链 / one chain only")
@_json_option
@_lang_option
@pass_context
def overdue_command(ctx: Context, as_of, days, chain, as_json: bool, lang: str) -> None:
    """逾期未覆盖企业（待办清单） / firms uncovered for longer than the window."""
    engine = ctx.ready_engine()
    if chain:
        check_codes(engine, [chain])
    queue = overdue_queue(engine, as_of, days=days, chain=chain, lang=lang)
    if as_json:
        _echo_json([r.as_dict() for r in queue.rows])
        return
    click.echo(t("plans.overdue_head", lang, as_of=as_of, days=queue.days, n=len(queue.rows),
                 plan=queue.plan or "—"))
    if not queue.rows:
        return
    headers = [t(f"plans.col_{c}", lang) for c in
               ("code", "firm", "chains", "since", "days", "cause", "action")]
    click.echo(table(headers, [[r.credit_code, r.name, ",".join(r.chains),
                                r.uncovered_since or "—", r.days if r.days is not None else "—",
                                UNCOVERED_CAUSE.label(r.cause, lang), r.action or ""]
                               for r in queue.rows], right={4}))
