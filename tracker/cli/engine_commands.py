"""Sub-commands of the engine: init, chains, coverage, serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click

from ..chains import ChainListError, check_codes, init_store
from ..coverage import DENOMINATORS, GROUPINGS, coverage
from ..errors import TrackerError
from ..i18n import t
from ..model import Chain
from ..resources import APP_FILE
from ..scope import Scope
from ..vocab import Term
from .base import Context, as_of_option, main, pass_context
from .output import percent, progress_printer, table

__all__ = ["chains", "coverage_command", "init", "serve", "streamlit_command"]



@main.command()
@click.option("--chains", "chains_path", type=click.Path(dir_okay=False), default=None,
              help="产业链清单 CSV（默认 data/chains.csv） / chain list CSV")
@pass_context
def init(ctx: Context, chains_path: str | None) -> None:
    """创建或升级数据库，载入产业链清单和默认计划 / create or migrate the store."""
    try:
        added, updated = init_store(ctx.engine, chains_path)
    except ChainListError as exc:
        raise TrackerError(str(exc)) from None
    click.echo(t("common.cli_store_ready", added=added, updated=updated))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def chains(ctx: Context, as_json: bool, lang: str) -> None:
    """列出产业链 / list the chains."""
    from sqlmodel import Session, select

    with Session(ctx.ready_engine()) as session:
        rows = session.exec(select(Chain).order_by(Chain.sort_order, Chain.code)).all()
    if as_json:
        click.echo(json.dumps([
            {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "confirmed": c.confirmed,
             "lead_department": c.lead_department, "source": c.source}
            for c in rows], ensure_ascii=False, indent=2))
        return
    yes, no = t("common.cli_chain_confirmed", lang), t("common.cli_chain_inferred", lang)
    headers = [t(f"common.cli_col_{c}", lang) for c in ("code", "name", "lead", "source")]
    click.echo(table(headers, [
        [c.code, Term(c.code, c.name_zh, c.name_en).label(lang), c.lead_department or "",
         yes if c.confirmed else no] for c in rows]))


@main.command(name="coverage")
@as_of_option
@click.option("--by", type=click.Choice(GROUPINGS), default=None, help="分组 / grouping")
@click.option("--chain", "chain_codes", multiple=True, metavar="CODE",
              help="只统计这些产业链（可重复） / restrict to these chains")
@click.option("--denominator", type=click.Choice(sorted(DENOMINATORS)), default=None,
              help="统计口径（默认计划所定） / denominator (default: the plan's)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@pass_context
def coverage_command(ctx: Context, as_of, by, chain_codes, denominator, as_json, lang) -> None:
    """某日的覆盖情况 / coverage figures at a date."""
    engine = ctx.ready_engine()
    scope = Scope.of(chains=chain_codes)
    check_codes(engine, scope.chains)
    result = coverage(engine, as_of, by=by, scope=scope, denominator=denominator, lang=lang)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    headers = [t(f"common.cli_col_{c}", lang) for c in (
        "group", "name", "firms", "org", "work", "uncovered", "coverage", "org_coverage", "single_unit")]

    def row(key, name, c):
        return [key, name, f"{c.firms:,}", f"{c.org_covered:,}", f"{c.work_covered:,}",
                f"{c.uncovered:,}", percent(c.coverage_rate), percent(c.org_coverage_rate),
                percent(c.single_unit_rate)]

    rows = [row(g.key, g.name, g.counts) for g in result.groups]
    rows.append(row("*", t("common.cli_district_total", lang), result.total))
    plan = result.plan["name"] if result.plan else t("common.cli_plan_none", lang)
    click.echo(t("common.cli_coverage_summary", lang, d=result.as_of, p=plan,
                 t=result.denominator_text, s=result.scope.describe(lang)))
    click.echo(table(headers, rows, right=set(range(2, 9))))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to bind")
@click.option("--port", default=8501, show_default=True, type=int, help="端口 / port")
@click.option("--demo", is_flag=True,
              help="数据库为空时先载入演示数据（合成） / load the synthetic demo data into an empty store")
@pass_context
def serve(ctx: Context, host: str, port: int, demo: bool) -> None:
    """启动看板 / start the dashboard (Streamlit)."""
    from ..demo import ensure_demo

    init_store(ctx.engine)
    if demo and ensure_demo(ctx.engine, progress=progress_printer()):
        click.echo(t("common.cli_serve_demo_loaded"), err=True)
    # The demo store gets its documented login (shown on the login page); any other store
    # gets none, and a published demo password left in it is disabled.
    from ..auth import ensure_demo_user

    if ensure_demo_user(ctx.engine) is not None:
        click.echo(t("common.cli_serve_demo_login"), err=True)
    command, env = streamlit_command(host, port, ctx.url)
    click.echo(t("common.cli_serve_address", host=host, port=port), err=True)
    ctx.engine.dispose()  # the store's connections stay with this process, not the server's
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        # Become the Streamlit server (exec): SIGTERM or Ctrl-C sent to this process (by
        # scripts/dashboard.sh's uv, systemd, a terminal) reaches Streamlit itself, which
        # stops cleanly; a child would be left running when only its parent is stopped.
        os.execve(command[0], command, env)
    raise SystemExit(subprocess.call(command, env=env))  # pragma: no cover - not POSIX


def streamlit_command(host: str, port: int, database_url: str,
                      environ: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the Streamlit server that ``tracker serve`` runs.

    Every server and client option is in ``tracker/dashboard/.streamlit/config.toml`` (read
    by Streamlit because it lies next to the entry point); only the address and the port
    are added here. ``TRACKER_DEBUG=1`` shows a developer the full error details and the
    developer menu.

    Examples
    --------
    >>> command, env = streamlit_command("127.0.0.1", 8501, "sqlite:///r.db", environ={})
    >>> command[-4:], env["TRACKER_DATABASE_URL"]
    (['--server.address', '127.0.0.1', '--server.port', '8501'], 'sqlite:///r.db')
    >>> "full" in streamlit_command("127.0.0.1", 8501, "sqlite:///r.db",
    ...                             environ={"TRACKER_DEBUG": "1"})[0]
    True
    """
    env = dict(os.environ if environ is None else environ, TRACKER_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "streamlit", "run", str(APP_FILE)]
    if env.get("TRACKER_DEBUG", "").strip() == "1":
        # Flags: Streamlit lets them win over the config file (STREAMLIT_* variables do not).
        command += ["--client.showErrorDetails", "full", "--client.toolbarMode", "developer"]
    command += ["--server.address", host, "--server.port", str(port)]
    return command, env
