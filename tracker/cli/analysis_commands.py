"""Sub-commands of the analyses: ``tracker check`` (rules R1-R7) and ``tracker graph``."""

from __future__ import annotations

import json

import click

from ..chains import check_codes
from ..graph import FORMATS, build_graph, write_graph
from ..i18n import t
from ..rules import RULES, check
from ..scope import Scope
from ..vocab import SEVERITY
from .base import Context, as_of_option, main, pass_context
from .output import table

__all__ = ["check_command", "graph_command"]

_chain_option = click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
                             help="只看这些产业链（可重复） / restrict to these chains")


@main.command(name="check")
@as_of_option
@_chain_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def check_command(ctx: Context, as_of, chain_codes, as_json: bool, lang: str) -> None:
    """规则检查（R1-R7） / rule checks at a date."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    findings = check(engine, as_of, scope=scope, lang=lang)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
        return
    click.echo(t("common.cli_check_summary", lang, d=as_of, s=scope.describe(lang), n=len(findings)))
    if not findings:
        return
    headers = [t(f"common.cli_col_{c}", lang) for c in ("rule", "severity", "subject", "id", "finding")]
    click.echo(table(headers, [
        [f.rule, SEVERITY.label(f.severity, lang), t(f"common.cli_subject_{f.subject_type}", lang),
         f.subject_id, f.detail(lang)] for f in findings]))
    # Each rule's article once, under the table, instead of on every row.
    click.echo("")
    for rule_id in sorted({f.rule for f in findings}):
        rule = RULES[rule_id]
        click.echo(t("common.cli_rule_basis", lang, rule=rule_id, title=rule.title(lang),
                     article=rule.article(lang)))


@main.command(name="graph")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="图格式 / graph format")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="输出文件 / output file")
@as_of_option
@_chain_option
@pass_context
def graph_command(ctx: Context, fmt: str, output: str, as_of, chain_codes) -> None:
    """导出某日的网络图（GraphML / GEXF） / export the typed graph at a date."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    G = build_graph(engine, as_of, scope)
    path = write_graph(G, output, fmt)
    click.echo(t("common.cli_graph_written", path=path, nodes=G.number_of_nodes(),
                 edges=G.number_of_edges()))
