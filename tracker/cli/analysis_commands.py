"""Sub-commands of the analyses: ``tracker check`` (rules R1-R5) and ``tracker graph``."""

from __future__ import annotations

import json

import click

from ..graph import FORMATS, build_graph, write_graph
from ..rules import RULES, check
from ..scope import Scope
from ..vocab import SEVERITY
from . import Context, as_of_option, main
from ..chains import check_codes
from .engine_commands import pass_context
from .output import table

_chain_option = click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
                             help="只看这些产业链（可重复） / restrict to these chains")


@main.command(name="check")
@as_of_option
@_chain_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def check_command(ctx: Context, as_of, chain_codes, as_json: bool, lang: str) -> None:
    """规则检查（R1-R5） / rule checks at a date."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    findings = check(engine, as_of, scope=scope, lang=lang)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
        return
    zh = lang == "zh"
    click.echo(("统计日 {d}；范围：{s}；发现问题 {n} 条" if zh else
                "as of {d}; scope: {s}; {n} findings").format(
        d=as_of, s=scope.describe(lang), n=len(findings)))
    if not findings:
        return
    headers = (["规则", "级别", "对象", "代码", "说明"] if zh else
               ["rule", "severity", "subject", "id", "finding"])
    kinds = {"firm": ("企业", "firm"), "org": ("党组织", "org")}
    click.echo(table(headers, [
        [f.rule, SEVERITY.label(f.severity, lang), kinds[f.subject_type][0 if zh else 1],
         f.subject_id, f.short(lang)] for f in findings]))
    # Each rule's article once, under the table, instead of on every row.
    click.echo("")
    for rule_id in sorted({f.rule for f in findings}):
        rule = RULES[rule_id]
        basis = "——依据：" if zh else ". Basis: "
        click.echo(f"{rule_id} {rule.title(lang)}{basis}{rule.article(lang)}")


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
    click.echo(f"已写出 / written: {path}（节点 {G.number_of_nodes()}，边 {G.number_of_edges()}）")
