"""Sub-commands that bring data in and change it: template, import, log and the edits.

``tracker import`` exits 0 when every row is in, 1 when rows were rejected (nothing is
written unless ``--partial``), 2 when the file cannot be read at all, 3 when the store
holds the synthetic demo data and ``--replace-demo`` is not given.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date

import click

from .. import edits
from ..audit import entries
from ..errors import TrackerError
from ..i18n import t
from ..ingest import import_path, parse_map, write_rejects
from ..ingest.template import write_template
from ..vocab import FORMATION, LIAISON_ROLE, ORG_KIND, OWNERSHIP, SEGMENT, VISIT_MODE
from .base import Context, main, parse_date, pass_context
from .output import progress_printer, table


def _default_user() -> str:
    try:
        return os.environ.get("TRACKER_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _date_callback(_ctx, _param, value):
    return parse_date(value)


def _edit_options(func):
    func = click.option("--user", default=None, help="记录在操作日志中的用户（默认当前登录名） / user for the audit log")(func)
    func = click.option("--correction", is_flag=True,
                        help="更正过去记录的日期（记为“更正”） / correct a past fact")(func)
    func = click.option("--date", "effective", callback=_date_callback, default=None,
                        metavar="YYYY-MM-DD", help="生效日期（默认今天） / effective date")(func)
    return func


def _show(result: dict) -> None:
    click.echo(json.dumps(result, ensure_ascii=False, sort_keys=True))


# --------------------------------------------------------------------------- template


@main.command()
@click.option("-o", "--output", "output", default="导入模板.xlsx", show_default=True,
              type=click.Path(dir_okay=False), help="输出文件 / output .xlsx")
@pass_context
def template(ctx: Context, output: str) -> None:
    """写出空白导入模板 / write the blank import workbook."""
    if not output.lower().endswith(".xlsx"):
        raise TrackerError("模板文件须为 .xlsx")
    try:
        engine = ctx.engine
    except Exception:  # noqa: BLE001 - without a store the shipped chain list is used
        engine = None
    path = write_template(output, engine)
    click.echo(f"已写出导入模板 / template written: {path}")


# --------------------------------------------------------------------------- import


@main.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True, help="只校验并报告将发生的变化 / validate and report only")
@click.option("--partial", is_flag=True, help="只写入合格的行 / write the valid rows only")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False), default=None,
              help="把被拒绝的行写入此文件（.xlsx 或 .csv） / write rejected rows here")
@click.option("--replace-demo", is_flag=True,
              help="数据库中是演示数据时，删除演示数据后导入 / replace the synthetic demo data")
@click.option("--map", "mapping", multiple=True, metavar="原列名=标准列名",
              help="指定列的对应（可重复；“企业:原列名=标准列名”只用于一个工作表，“原列名=”不导入该列）"
                   " / map a header to a standard column (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--quiet", is_flag=True, help="不显示进度 / no progress")
@click.option("--user", default=None, help="记录在操作日志中的用户 / user for the audit log")
@pass_context
def import_command(ctx: Context, paths, dry_run, partial, rejects, replace_demo, mapping, as_json,
                   quiet, user) -> None:
    """导入台账（.xlsx、.xls、.ods 等工作簿，或每表一个 CSV） / import a workbook or CSV files."""
    if rejects and not rejects.lower().endswith((".xlsx", ".csv")):
        raise TrackerError("--rejects 文件须为 .xlsx 或 .csv")
    explicit = parse_map(mapping)  # a bad --map is refused before the store is opened
    engine = ctx.ready_engine()
    report = import_path(engine, list(paths), dry_run=dry_run, partial=partial,
                         user=user or _default_user(), replace_demo=replace_demo,
                         progress=progress_printer("zh", quiet=quiet), mapping=explicit)
    if rejects and report.rejections:
        write_rejects(report, rejects)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report, rejects)
    if report.exit_code:
        # Exit code 1 through the one error path of `tracker.cli.run` (one line on stderr).
        raise TrackerError(f"{len(report.rejections)} 处错误，涉及 "
                           f"{sum(c.rejected for c in report.counts.values())} 行"
                           + ("（其余合格的行已写入）" if report.partial and not report.dry_run
                              else "（未写入任何数据）"))


def sheet_lines(report, lang: str = "zh") -> list[str]:
    """Per sheet read: the format, the header row, the mapping used and 未识别的列; then
    the firms found by name (the CLI prints these; the dashboard shows the same facts)."""
    lines = []
    sep = t("common.list_sep", lang)
    for name, raw in report.sheets.items():
        used = sep.join(
            m["column"] if m["column"] == m["standard"] else
            t("ingest.map_pair", lang, column=m["column"], standard=m["standard"],
              how=t(f"ingest.how_{m['how']}", lang))
            for m in raw.mapping() if m["standard"])
        lines.append(t("ingest.sheet_line", lang, sheet=name, source=raw.source, format=raw.fmt,
                       row=raw.header_row, mapping=used))
        if raw.unmatched:
            lines.append("  " + t("ingest.unmatched", lang, columns=sep.join(raw.unmatched)))
    for m in report.validated.name_matches[:200]:
        lines.append(t("ingest.name_match_line", lang, **m))
    if report.remembered:
        lines.append(t("ingest.mapping_remembered", lang, n=report.remembered))
    return lines


def _print_report(report, rejects) -> None:
    for line in sheet_lines(report):
        click.echo(line)
    for note in report.notes:
        click.echo(f"注意：{note}", err=True)
    for r in report.rejections[:200]:
        click.echo(str(r), err=True)
    if len(report.rejections) > 200:
        click.echo(f"……另有 {len(report.rejections) - 200} 条，完整清单见 --rejects 文件", err=True)
    rows = [[name, f"{c.rows:,}", f"{c.added:,}", f"{c.updated:,}", f"{c.unchanged:,}",
             f"{c.rejected:,}"] for name, c in report.counts.items() if c.rows]
    if rows:
        verb = "将" if report.dry_run or not report.written else ""
        click.echo(table(["工作表", "行数", f"{verb}新增", f"{verb}更新", "未变", "拒绝"], rows,
                         right={1, 2, 3, 4, 5}))
    if report.dry_run:
        outcome = "试运行：未写入任何数据 / dry run: nothing written"
    elif report.rejections and not report.partial:
        outcome = (f"有 {len(report.rejections)} 处错误，未写入任何数据（全部或全不）；"
                   "改正后重新导入，或用 --partial 只导入合格的行")
    elif report.rejections:
        outcome = "已写入合格的行；被拒绝的行未写入 / valid rows written"
    elif report.written:
        outcome = "全部导入成功 / all rows imported"
    else:
        outcome = "没有变化 / nothing changed"
    click.echo(outcome)
    if rejects and report.rejections:
        click.echo(f"被拒绝的行已写入 {rejects}（改正后可直接导入）")
    click.echo(f"用时 {report.seconds:.1f} 秒（{report.rows_per_second:,.0f} 行/秒）", err=True)


# --------------------------------------------------------------------------- log


@main.command(name="log")
@click.option("--since", callback=lambda c, p, v: parse_date(v) if v else None, default=None,
              metavar="YYYY-MM-DD", help="从这一天起（UTC） / from this day")
@click.option("--limit", type=int, default=None, help="只显示最近 N 条 / newest N entries")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@pass_context
def log_command(ctx: Context, since: date | None, limit: int | None, as_json: bool) -> None:
    """操作日志：谁在何时改了什么 / the audit log."""
    rows = entries(ctx.ready_engine(), since=since, limit=limit)
    if as_json:
        out = []
        for row in rows:
            row = dict(row)
            row["at"] = row["at"].isoformat()
            row["effective"] = row["effective"].isoformat() if row["effective"] else None
            out.append(row)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    kinds = {"import": "导入", "edit": "编辑", "correction": "更正"}

    def brief(values):
        if not values:
            return ""
        text = json.dumps(values, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= 60 else text[:59] + "…"

    click.echo(table(["时间(UTC)", "用户", "类型", "操作", "对象", "生效日", "改前", "改后", "来源"], [
        [r["at"].strftime("%Y-%m-%d %H:%M:%S"), r["user"], kinds.get(r["kind"], r["kind"]),
         r["action"], r["entity_key"], r["effective"] or "", brief(r["before"]),
         brief(r["after"]), r["source"] or ""] for r in rows]))
    if not rows:
        click.echo("（没有记录 / no entries）")


# --------------------------------------------------------------------------- edits


def _user(user):
    return user or _default_user()


@main.group()
def firm() -> None:
    """企业：新增、修改 / add or update a firm."""


@firm.command(name="add")
@click.argument("credit_code")
@click.argument("name")
@click.option("--ownership", default="民营", help=f"企业类型：{'、'.join(OWNERSHIP.labels())}")
@click.option("--above-size/--below-size", default=False, help="规上企业 / above designated size")
@click.option("--park", default=None)
@click.option("--street", default=None)
@click.option("--formal", "formal_members", type=int, default=0, help="正式党员数")
@click.option("--probationary", "probationary_members", type=int, default=0, help="预备党员数")
@_edit_options
@pass_context
def firm_add(ctx, credit_code, name, ownership, above_size, park, street, formal_members,
             probationary_members, effective, correction, user):
    """新增企业 / add a firm."""
    _show(edits.add_firm(ctx.ready_engine(), credit_code, name, effective=effective,
                         ownership=ownership, above_size=above_size, park=park, street=street,
                         formal_members=formal_members, probationary_members=probationary_members,
                         user=_user(user), source="cli"))


@firm.command(name="update")
@click.argument("credit_code")
@click.option("--name", default=None)
@click.option("--ownership", default=None)
@click.option("--above-size/--below-size", default=None)
@click.option("--park", default=None)
@click.option("--street", default=None)
@click.option("--formal", "formal_members", type=int, default=None)
@click.option("--probationary", "probationary_members", type=int, default=None)
@click.option("--expected-version", type=int, default=None,
              help="仅当记录仍是此版本时修改 / optimistic concurrency")
@_edit_options
@pass_context
def firm_update(ctx, credit_code, expected_version, effective, correction, user, **fields):
    """修改企业信息 / update a firm."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise TrackerError("没有要修改的字段")
    _show(edits.update_firm(ctx.ready_engine(), credit_code, expected_version=expected_version,
                            effective=effective, correct=correction, user=_user(user),
                            source="cli", **changes))


@main.group()
def membership() -> None:
    """企业入链、退链 / a firm joins or leaves a chain."""


@membership.command(name="join")
@click.argument("credit_code")
@click.argument("chain")
@click.option("--segment", default="中游", help=f"环节：{'、'.join(SEGMENT.labels())}")
@click.option("--master", is_flag=True, help="链主企业 / chain master")
@_edit_options
@pass_context
def membership_join(ctx, credit_code, chain, segment, master, effective, correction, user):
    """企业入链（生效日 = 入链日期） / record joining a chain."""
    _show(edits.join_chain(ctx.ready_engine(), credit_code, chain, effective, segment=segment,
                           chain_master=master, correct=correction, user=_user(user)))


@membership.command(name="leave")
@click.argument("credit_code")
@click.argument("chain")
@_edit_options
@pass_context
def membership_leave(ctx, credit_code, chain, effective, correction, user):
    """企业退出产业链（生效日 = 不再在链中的第一天） / record leaving a chain."""
    _show(edits.leave_chain(ctx.ready_engine(), credit_code, chain, effective,
                            correct=correction, user=_user(user)))


@main.group()
def org() -> None:
    """党组织：成立、换届、撤销 / found, elect or dissolve an organisation."""


@org.command(name="found")
@click.argument("code")
@click.argument("name", required=False, default="")
@click.option("--kind", default="党支部", help=f"类型：{'、'.join(ORG_KIND.labels())}")
@click.option("--formation", default="单独组建", help=f"组建方式：{'、'.join(FORMATION.labels())}")
@click.option("--parent", default=None, help="上级党组织代码")
@click.option("--members", "member_count", type=int, default=0, help="党员数")
@_edit_options
@pass_context
def org_found(ctx, code, name, kind, formation, parent, member_count, effective, correction, user):
    """成立党组织（生效日 = 成立日期） / record an organisation founded."""
    _show(edits.found_org(ctx.ready_engine(), code, name, effective, kind=kind,
                          formation=formation, parent=parent, member_count=member_count,
                          correct=correction, user=_user(user)))


@org.command(name="elect")
@click.argument("code")
@click.option("--date", "term_start", callback=_date_callback, required=True,
              metavar="YYYY-MM-DD", help="本届开始日期（换届选举日期） / the day of the election")
@click.option("--years", "term_years", type=int, default=None,
              help="任期（年，1–10；默认党支部、党总支3年，党委5年） / term in years")
@click.option("--correction", is_flag=True,
              help="更正已记录的本届开始日期（记为“更正”） / correct the recorded term start")
@click.option("--user", default=None, help="记录在操作日志中的用户（默认当前登录名） / user for the audit log")
@pass_context
def org_elect(ctx, code, term_start, term_years, correction, user):
    """记录换届（本届开始日期和任期） / record an election: the current term's start."""
    _show(edits.record_election(ctx.ready_engine(), code, term_start, term_years,
                                correct=correction, user=_user(user), source="cli"))


@org.command(name="dissolve")
@click.argument("code")
@click.option("--expected-version", type=int, default=None)
@_edit_options
@pass_context
def org_dissolve(ctx, code, expected_version, effective, correction, user):
    """撤销党组织 / record an organisation dissolved."""
    _show(edits.dissolve_org(ctx.ready_engine(), code, effective, expected_version=expected_version,
                             correct=correction, user=_user(user)))


@main.group(name="link")
def link_group() -> None:
    """覆盖关系：党组织覆盖企业 / coverage links."""


@link_group.command(name="add")
@click.argument("org_code")
@click.argument("credit_code")
@_edit_options
@pass_context
def link_add(ctx, org_code, credit_code, effective, correction, user):
    """党组织开始覆盖企业 / an organisation starts covering a firm."""
    _show(edits.link(ctx.ready_engine(), org_code, credit_code, effective, correct=correction,
                     user=_user(user)))


@link_group.command(name="end")
@click.argument("org_code")
@click.argument("credit_code")
@_edit_options
@pass_context
def link_end(ctx, org_code, credit_code, effective, correction, user):
    """结束覆盖关系 / end a coverage link."""
    _show(edits.unlink(ctx.ready_engine(), org_code, credit_code, effective, correct=correction,
                       user=_user(user)))


@main.group()
def liaison() -> None:
    """联络员 / 指导员派驻 / liaison assignments."""


@liaison.command(name="assign")
@click.argument("name")
@click.argument("unit")
@click.argument("credit_code")
@click.option("--role", default="联络员", help=f"类型：{'、'.join(LIAISON_ROLE.labels())}")
@_edit_options
@pass_context
def liaison_assign(ctx, name, unit, credit_code, role, effective, correction, user):
    """派驻联络员到企业 / assign a liaison to a firm."""
    _show(edits.assign_liaison(ctx.ready_engine(), name, unit, credit_code, effective, role=role,
                               correct=correction, user=_user(user)))


@liaison.command(name="end")
@click.argument("name")
@click.argument("unit")
@click.argument("credit_code")
@_edit_options
@pass_context
def liaison_end(ctx, name, unit, credit_code, effective, correction, user):
    """结束派驻 / end an assignment."""
    _show(edits.end_liaison(ctx.ready_engine(), name, unit, credit_code, effective,
                            correct=correction, user=_user(user)))


@main.group()
def visit() -> None:
    """走访记录 / liaison visits."""


@visit.command(name="add")
@click.argument("name")
@click.argument("unit")
@click.argument("credit_code")
@click.option("--date", "day", callback=_date_callback, required=True, metavar="YYYY-MM-DD",
              help="走访日期 / the day of the visit")
@click.option("--mode", default="走访", show_default=True,
              help=f"方式：{'、'.join(VISIT_MODE.labels())} / mode")
@click.option("--note", default="", help="备注 / note")
@click.option("--user", default=None, help="记录在操作日志中的用户（默认当前登录名） / user for the audit log")
@pass_context
def visit_add(ctx, name, unit, credit_code, day, mode, note, user):
    """记录一次走访（须在派驻期内） / record a visit (within an assignment)."""
    _show(edits.add_visit(ctx.ready_engine(), name, unit, credit_code, day, mode, note,
                          user=_user(user), source="cli"))
