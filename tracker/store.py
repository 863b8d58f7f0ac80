"""Engines, sessions and migrations.

The store is addressed by a SQLAlchemy URL: ``--db URL`` on the command line, else the
``TRACKER_DATABASE_URL`` environment variable, else an SQLite file ``redwood.db`` in the
current folder. PostgreSQL (``postgresql+psycopg://user@host/db``) runs the same code and
is the choice when several staff share one store.

The schema is owned by Alembic (``tracker/migrations``); :func:`migrate` brings any store
to the newest revision, and :func:`tracker.chains.init_store` adds the shipped chain list
and default plan.

Outages
    A store that cannot be reached now (a PostgreSQL server stopped or restarting, a
    connection the server killed, an SQLite file locked by another writer, a full disk) is
    an *outage*, told apart from bugs by :func:`outage_reason`. New PostgreSQL connections
    are retried with backoff for at most ``TRACKER_DB_RETRY_SECONDS`` (4 s by default, each
    attempt bounded by a 5 s connect timeout) so that a page never hangs for minutes; a
    pooled connection is tested before use (``pool_pre_ping``), so the first click after
    the server is back works. SQLite waits for a locked file with its own busy handler
    (``TRACKER_SQLITE_BUSY_MS``, 10 s). Every write runs in one transaction: an outage in the middle of an edit or an
    import leaves nothing half-written.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

__all__ = [
    "DEFAULT_URL",
    "OUTAGE_REASONS",
    "StoreError",
    "current_revision",
    "get_engine",
    "head_revision",
    "is_initialised",
    "migrate",
    "outage_message",
    "outage_reason",
    "ping",
    "refresh_statistics",
    "resolve_url",
    "session_scope",
]

DEFAULT_URL = "sqlite:///redwood.db"
ENV_VAR = "TRACKER_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")


#: The kinds of outage :func:`outage_reason` tells apart (``ops.store_<reason>`` says each).
OUTAGE_REASONS = ("unreachable", "lost", "locked", "full", "readonly", "io", "config")
RETRY_ENV = "TRACKER_DB_RETRY_SECONDS"
#: Seconds one PostgreSQL connection attempt may take (an unreachable host, not a refusal).
CONNECT_TIMEOUT = 5


class StoreError(RuntimeError):
    """The store cannot be reached or is not in a usable state (message for the user).

    ``reason`` is one of :data:`OUTAGE_REASONS` when the store is out of reach for now
    (then the message names the cause, never the driver's text: that stays in ``detail``
    and in the server log), else ``None``.
    """

    def __init__(self, message: str, *, reason: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


# SQLSTATEs of PostgreSQL that mean "the server is going away or not accepting work now":
# admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, disk_full,
# out of memory (class 53 insufficient resources, 08 connection exceptions).
_PG_STATES = {"57P01": "lost", "57P02": "lost", "57P03": "unreachable", "53300": "unreachable",
              "53100": "full", "53200": "io", "25006": "readonly"}
_SQLITE_NAMES = {"SQLITE_BUSY": "locked", "SQLITE_LOCKED": "locked", "SQLITE_FULL": "full",
                 "SQLITE_READONLY": "readonly", "SQLITE_CANTOPEN": "unreachable"}


def outage_reason(exc: BaseException) -> str | None:
    """The kind of outage ``exc`` stands for (one of :data:`OUTAGE_REASONS`), or ``None``
    when it is not one (a bug, a wrong input).

    Looks through SQLAlchemy's wrapper to the driver's error and along the chain of causes.

    Examples
    --------
    >>> import sqlite3
    >>> err = sqlite3.OperationalError("database or disk is full")
    >>> err.sqlite_errorname = "SQLITE_FULL"
    >>> outage_reason(err), outage_reason(ValueError("no"))
    ('full', None)
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StoreError) and exc.reason:
            return exc.reason
        if isinstance(exc, sa.exc.DBAPIError):
            if exc.connection_invalidated:
                return "lost"
            found = _driver_reason(exc.orig)
            if found:
                return found
        else:
            found = _driver_reason(exc)
            if found:
                return found
        exc = exc.__cause__ or exc.__context__
    return None


def _driver_reason(orig: BaseException | None) -> str | None:
    if orig is None:
        return None
    module = type(orig).__module__
    if module.startswith("sqlite3"):
        name = getattr(orig, "sqlite_errorname", "") or ""
        if name in _SQLITE_NAMES:
            return _SQLITE_NAMES[name]
        if name.startswith("SQLITE_IOERR"):
            return "io"
        text = str(orig).lower()
        for words, reason in (("locked", "locked"), ("disk is full", "full"),
                              ("readonly", "readonly"), ("disk i/o", "io"),
                              ("unable to open", "unreachable")):
            if words in text:
                return reason
        return None
    if module.startswith("psycopg"):
        state = getattr(orig, "sqlstate", None)
        if state in _PG_STATES:
            return _PG_STATES[state]
        if state and state.startswith("08"):
            return "lost"
        import psycopg

        if isinstance(orig, psycopg.OperationalError) and state is None:
            # No SQLSTATE: the client library itself failed to connect or lost the socket.
            # A refusal by the server's rules (password, unknown database or role, pg_hba)
            # is a setting to fix, not an outage to wait out.
            text = str(orig).lower()
            if any(words in text for words in ("authentication", "does not exist",
                                               "pg_hba.conf", "password")):
                return "config"
            return "unreachable" if "connect" in text else "lost"
    return None


def outage_message(reason: str, lang: str | None = None) -> str:
    """What an outage means for the user, in ``lang`` (both languages when ``None``).

    >>> outage_message("full", "en")
    'The database cannot write: the disk is full. Nothing was saved.'
    """
    from .i18n import both, t

    key = f"ops.store_{reason}"
    return both(key) if lang is None else t(key, lang)


def _outage(exc: BaseException) -> StoreError:
    reason = outage_reason(exc) or "unreachable"
    detail = str(getattr(exc, "orig", None) or exc)
    return StoreError(outage_message(reason), reason=reason, detail=detail)


def _retry_budget() -> float:
    try:
        return max(0.0, float(os.environ.get(RETRY_ENV, "4")))
    except ValueError:
        return 4.0


# Set while :func:`ping` runs: one attempt, no backoff (the banner asks again by itself).
_SINGLE_ATTEMPT: ContextVar[bool] = ContextVar("tracker_store_single_attempt", default=False)


def _connect_with_backoff(dialect, _record, cargs, cparams):
    """Open a PostgreSQL connection, retrying a refused or failed attempt with backoff
    (0.25 s, doubling) for at most :func:`_retry_budget` seconds: a server that is
    restarting is waited for briefly, one that is down is reported, not waited on for
    minutes."""
    deadline = time.monotonic() + (0 if _SINGLE_ATTEMPT.get() else _retry_budget())
    delay = 0.25
    while True:
        try:
            return dialect.loaded_dbapi.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as exc:
            if time.monotonic() + delay > deadline or _driver_reason(exc) == "config":
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def resolve_url(url: str | None = None) -> str:
    """The URL to use: explicit, else the environment, else the default SQLite file."""
    url = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    if url.startswith("postgresql://"):
        # Use psycopg 3, the driver we ship, when the user writes a plain URL.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _busy_ms() -> int:
    """How long an SQLite connection waits for a locked file (``TRACKER_SQLITE_BUSY_MS``,
    10 000 by default) before the store reports it busy."""
    try:
        return max(0, int(os.environ.get("TRACKER_SQLITE_BUSY_MS", "10000")))
    except ValueError:
        return 10000


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the dashboard) go on while one writer imports; the busy timeout
    # makes a second writer wait instead of failing at once.
    # SQLite's busy handler retries with growing sleeps: its own backoff, bounded here
    # (set first, so that switching to WAL waits no longer than any other statement).
    cursor.execute(f"PRAGMA busy_timeout={_busy_ms()}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=32)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process."""
    url = resolve_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"无法识别的数据库地址 / unrecognised database URL: {url}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.exists():
                raise StoreError(f"数据库所在文件夹不存在 / folder does not exist: {folder}")
        engine = sa.create_engine(url, connect_args={"timeout": _busy_ms() / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # pool_pre_ping: a pooled connection the server dropped (restart, idle kill) is
        # noticed and replaced before a page uses it; pool_recycle bounds a connection's
        # life below common firewall idle cut-offs.
        engine = sa.create_engine(url, pool_pre_ping=True, pool_recycle=1800,
                                  connect_args={"connect_timeout": CONNECT_TIMEOUT})
        if parsed.get_backend_name() == "postgresql":
            event.listen(engine, "do_connect", _connect_with_backoff)
    return engine


def ping(engine: Engine) -> bool:
    """True when the store answers a trivial query now (one attempt, no backoff): the
    dashboard's outage banner asks this to know when to come back by itself."""
    token = _SINGLE_ATTEMPT.set(True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.DBAPIError:
        return False
    finally:
        _SINGLE_ATTEMPT.reset(token)


@contextmanager
def session_scope(engine: Engine):
    """A session that commits on success and rolls back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (idempotent)."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as exc:
        raise _outage(exc) from exc


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_initialised(engine: Engine) -> bool:
    """True when the store has the newest schema; :class:`StoreError` when it cannot be
    reached at all (a server that is down is not "an uninitialised store")."""
    try:
        return current_revision(engine) == head_revision()
    except sa.exc.OperationalError as exc:
        raise _outage(exc) from exc


def refresh_statistics(engine: Engine) -> None:
    """Give the database's query planner fresh table statistics after a bulk write.

    Without them SQLite joins the population to the coverage subquery of ``firm_status``
    by a full scan per firm after a big load (60 s instead of 0.3 s for one chain at
    100,000 firms); PostgreSQL's autovacuum gets there eventually, an import should not
    wait for it. Called after the demo load and after every import that wrote rows.
    """
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
