"""Sub-commands for accounts and backups: ``tracker user …``, ``tracker backup``, ``tracker restore``.

Passwords are read from a hidden prompt (typed twice) or, with ``--password-stdin``, from
one line of standard input (for scripts: ``printf '%s\\n' "$PW" | tracker user add …``).
They are never echoed, logged or written to the audit log.
"""

from __future__ import annotations

import getpass
import json
import sys

import click

from .. import auth
from ..audit import record
from ..backup import backup as run_backup
from ..backup import restore as run_restore
from ..backup import sqlite_path
from ..errors import TrackerError
from .base import Context, main, pass_context, safe_url
from .output import table


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    if not items:
        raise click.BadParameter("列表为空 / empty list")
    return items


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise TrackerError("标准输入中没有密码（需要一行） / no password on standard input")
        return password
    return click.prompt("密码 / password", hide_input=True,
                        confirmation_prompt="再次输入密码 / repeat password")


def _operator() -> str:
    """Who runs the command, for the audit log (the system account)."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _audit(engine, action: str, name: str, before: dict | None, after: dict | None) -> None:
    with engine.begin() as conn:
        record(conn, action=action, entity="user", key=name, before=before, after=after,
               kind="edit", user=_operator(), source="cli")


def _public(info: auth.UserInfo) -> dict:
    data = info.as_dict()
    return {k: data[k] for k in ("role", "chains", "areas", "disabled")}


@main.group()
def user() -> None:
    """用户管理 / manage user accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(auth.ROLES), required=True,
              help="角色：admin 管理员 / editor 编辑 / viewer 查看")
@click.option("--chains", default=None, metavar="C1,C2",
              help="只能访问这些产业链（代码，逗号分隔） / restrict to these chains")
@click.option("--areas", default=None, metavar="A1,A2",
              help="只能访问这些街道或园区（逗号分隔） / restrict to these streets or parks")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取一行作为密码 / read the password from stdin")
@pass_context
def user_add(ctx: Context, name, role, chains, areas, password_stdin) -> None:
    """新增用户 / add a user."""
    engine = ctx.ready_engine()
    chain_list, area_list = _split(chains), _split(areas)
    # Check everything but the password before asking for it.
    if auth.get_user(engine, name.strip()) is not None:
        raise TrackerError(f"用户“{name.strip()}”已存在")
    auth.validate_scope(engine, role, chain_list, area_list)
    password = _read_password(password_stdin)
    info = auth.add_user(engine, name, role, password, chains=chain_list, areas=area_list)
    _audit(engine, "user.add", info.name, None, _public(info))
    click.echo(f"已新增用户 {info.name}（{info.role_label}，范围：{info.scope.describe()}）")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@pass_context
def user_list(ctx: Context, as_json: bool) -> None:
    """列出用户 / list users."""
    users = [u.as_dict() for u in auth.list_users(ctx.ready_engine())]
    if as_json:
        click.echo(json.dumps(users, ensure_ascii=False, indent=2))
        return
    rows = []
    for u in users:
        state = "已停用" if u["disabled"] else ("已锁定" if u["locked"] else "正常")
        rows.append([u["name"], auth.ROLE_LABELS[u["role"]], u["scope"], state,
                     (u["created"] or "")[:10]])
    click.echo(table(["用户名", "角色", "范围", "状态", "创建日期"], rows))


@user.command("disable")
@click.argument("name")
@pass_context
def user_disable(ctx: Context, name: str) -> None:
    """停用用户并结束其登录 / disable a user and end their sessions."""
    engine = ctx.ready_engine()
    info = auth.disable_user(engine, name.strip())
    _audit(engine, "user.disable", info.name, {"disabled": False}, {"disabled": True})
    click.echo(f"已停用用户 {info.name}")


@user.command("enable")
@click.argument("name")
@pass_context
def user_enable(ctx: Context, name: str) -> None:
    """重新启用用户并解除锁定 / enable a user again and clear a lockout."""
    engine = ctx.ready_engine()
    info = auth.enable_user(engine, name.strip())
    _audit(engine, "user.enable", info.name, None, {"disabled": False})
    click.echo(f"已启用用户 {info.name}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取一行作为密码 / read the password from stdin")
@pass_context
def user_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """修改密码（并解除锁定、结束已有登录） / set a new password."""
    engine = ctx.ready_engine()
    if auth.get_user(engine, name.strip()) is None:
        raise TrackerError(f"没有名为“{name.strip()}”的用户")
    password = _read_password(password_stdin)
    info = auth.set_password(engine, name.strip(), password)
    _audit(engine, "user.passwd", info.name, None, {"password": "changed"})
    click.echo(f"已修改用户 {info.name} 的密码")


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", "--overwrite", "overwrite", is_flag=True,
              help="覆盖已有的备份文件（否则拒绝） / replace an existing file (else refused)")
@click.option("--print-only", is_flag=True,
              help="PostgreSQL：只打印 pg_dump 命令 / PostgreSQL: print the pg_dump line only")
@pass_context
def backup_command(ctx: Context, path: str, overwrite: bool, print_only: bool) -> None:
    """备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump） / back up the store."""
    engine = ctx.ready_engine()
    result = run_backup(engine, path, overwrite=overwrite, run=not print_only)
    if result.command:
        click.echo(result.command)
        if print_only:
            return
    click.echo(f"已备份到 {result.path}（{result.bytes:,} 字节）")


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="不再确认，直接恢复 / do not ask for confirmation")
@pass_context
def restore_command(ctx: Context, path: str, yes: bool) -> None:
    """从备份恢复 SQLite 数据库（覆盖当前数据） / restore an SQLite store from a backup."""
    live = sqlite_path(ctx.url)
    if live is not None and not yes:
        click.confirm(f"将用 {path} 覆盖 {safe_url(ctx.url)} 的全部数据，继续吗？ / "
                      "replace all data of the store?", abort=True)
    result = run_restore(ctx.engine, path)
    if result.safety_copy:
        click.echo(f"恢复前的数据已保存到 {result.safety_copy}")
    click.echo(f"已从 {result.path} 恢复；所有用户需重新登录")
