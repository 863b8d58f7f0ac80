"""Sub-commands on whether coverage is real: ``tracker terms`` (organisation terms, 换届) and
``tracker liaisons`` (each officer's firms and visits)."""

from __future__ import annotations

import json

import click

from ..i18n import t
from ..plans import plan_in_force
from ..terms import terms
from ..visits import VISIT_WINDOW_DAYS, officers
from ..vocab import ORG_KIND, TERM_STATUS
from .base import Context, as_of_option, main, pass_context
from .output import table

__all__ = ["liaisons_command", "terms_command"]

_lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                            help="输出语言 / output language")
_json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")


@main.command(name="terms")
@as_of_option
@_json_option
@_lang_option
@pass_context
def terms_command(ctx: Context, as_of, as_json: bool, lang: str) -> None:
    """党组织任期与换届提醒 / organisation terms and elections due."""
    rows = terms(ctx.ready_engine(), as_of)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    counts = {s: sum(r.status == s for r in rows) for s in ("overdue", "due_soon", "unknown")}
    click.echo(t("quality.terms_head", lang, as_of=as_of, n=len(rows), **counts))
    headers = [t(f"quality.col_{c}", lang) for c in
               ("org_code", "org_name", "kind", "term_start", "term_years", "due", "status",
                "days_to_due")]
    click.echo(table(headers, [[r.org_code, r.name, ORG_KIND.label(r.kind, lang),
                                r.term_start or "—", r.term_years, r.due or "—",
                                TERM_STATUS.label(r.status, lang),
                                "—" if r.days_to_due is None else r.days_to_due]
                               for r in rows], right={4, 7}))


@main.command(name="liaisons")
@as_of_option
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="走访时限（天，默认取现行计划） / the visit window (default: the plan in force)")
@_json_option
@_lang_option
@pass_context
def liaisons_command(ctx: Context, as_of, days, as_json: bool, lang: str) -> None:
    """联络员走访情况：负责企业、近期走访、未走访企业 / each officer's firms and visits."""
    engine = ctx.ready_engine()
    if days is None:
        plan = plan_in_force(engine, as_of)
        days = plan.visit_within_days if plan is not None else VISIT_WINDOW_DAYS
    found = officers(engine, as_of, days)
    if as_json:
        click.echo(json.dumps({"as_of": as_of.isoformat(), "days": days,
                               "officers": [o.as_dict() for o in found]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(t("quality.liaisons_head", lang, as_of=as_of, days=days, n=len(found),
                 unvisited=sum(o.unvisited for o in found)))
    headers = [t(f"quality.col_{c}", lang) for c in
               ("officer", "unit", "firms", "visits", "unvisited")]
    click.echo(table(headers, [[o.name, o.unit, len(o.firms), o.visits_in_window, o.unvisited]
                               for o in found], right={2, 3, 4}))
