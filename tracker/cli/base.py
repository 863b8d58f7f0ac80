"""The core of the ``tracker`` command: the group, the shared context, the error boundary.

Every sub-command takes the store from ``--db URL`` or ``TRACKER_DATABASE_URL`` (default:
``redwood.db`` in the current folder). Errors meant for the user are one line on stderr
with a non-zero exit; set ``TRACKER_DEBUG=1`` to see a traceback instead.

This module holds what every sub-command shares (the group :data:`main`, the store
context, date parsing, the error boundary of :func:`run`); the sub-commands live in the
``*_commands`` modules of this package and register themselves on :data:`main` when
:mod:`tracker.cli` imports them.
"""

from __future__ import annotations

import os
import sys
from datetime import date

import click
import sqlalchemy as sa

from ..errors import TrackerError
from ..store import StoreError, get_engine, is_initialised, resolve_url

__all__ = ["Context", "as_of_option", "entry", "main", "parse_date", "pass_context", "run", "safe_url"]


class Context:
    """What every sub-command shares: the store URL and, on demand, its engine."""

    def __init__(self, db: str | None):
        self.url = resolve_url(db)

    @property
    def engine(self):
        return get_engine(self.url)

    def ready_engine(self):
        """The engine of an initialised store, or a clear error telling what to run."""
        parsed = sa.engine.make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            # Do not leave an empty file behind a read-only command on a mistyped path.
            from pathlib import Path

            if not Path(parsed.database).expanduser().exists():
                raise TrackerError(f"数据库文件不存在：{parsed.database}；新建请先运行 `tracker init`")
        engine = self.engine
        if not is_initialised(engine):
            raise TrackerError(
                f"数据库尚未初始化或版本过旧，请先运行 `tracker init`（{safe_url(self.url)}）"
            )
        return engine


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password to hide
        return url


def parse_date(value: str | date | None) -> date:
    """``YYYY-MM-DD`` (or a date) to a date; ``None`` is today."""
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD，收到“{value}”") from None


def _date_callback(_ctx, _param, value):
    return parse_date(value)


def as_of_option(func):
    return click.option(
        "--as-of", "as_of", callback=_date_callback, default=None, metavar="YYYY-MM-DD",
        help="统计日期（默认今天） / the date to compute at (default: today)",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="TRACKER_DATABASE_URL", default=None, metavar="URL",
              help="数据库地址 / database URL (default: sqlite:///redwood.db)")
@click.version_option(package_name="redwood-tracker")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Redwood（红杉林）产业链党建覆盖跟踪 / industry-chain party-building coverage tracker."""
    ctx.obj = Context(db)


def _say(message: str) -> None:
    """Print a message for the user as exactly one line on stderr."""
    click.echo(" ".join(str(message).split()), err=True)


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code; user errors are one line on stderr."""
    debug = bool(os.environ.get("TRACKER_DEBUG"))
    try:
        # Without standalone mode click hands back `ctx.exit(n)` as the return value.
        result = main.main(args=argv, prog_name="tracker", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        _say("已取消 / aborted")
        return 130
    except click.ClickException as exc:
        _say(f"错误 / error: {exc.format_message()}")
        return exc.exit_code
    except (TrackerError, StoreError) as exc:
        if debug:
            raise
        _say(f"错误 / error: {exc}")
        return getattr(exc, "exit_code", 1)
    except (ValueError, OSError) as exc:
        if debug:
            raise
        _say(f"错误 / error: {exc}")
        return 1
    except sa.exc.SQLAlchemyError as exc:
        if debug:
            raise
        _say(f"数据库错误 / database error: {getattr(exc, 'orig', None) or exc}")
        return 1
    except Exception as exc:
        if debug:
            raise
        _say(f"内部错误 / internal error ({type(exc).__name__}): {exc}. "
             "设置 TRACKER_DEBUG=1 查看详情 / set TRACKER_DEBUG=1 for details")
        return 70


def entry() -> None:  # the console script
    sys.exit(run())


pass_context = click.make_pass_decorator(Context)
