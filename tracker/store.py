"""Engines, sessions and migrations.

The store is addressed by a SQLAlchemy URL: ``--db URL`` on the command line, else the
``TRACKER_DATABASE_URL`` environment variable, else an SQLite file ``redwood.db`` in the
current folder. PostgreSQL (``postgresql+psycopg://user@host/db``) runs the same code and
is the choice when several staff share one store.

The schema is owned by Alembic (``tracker/migrations``); :func:`migrate` brings any store
to the newest revision, and :func:`tracker.chains.init_store` adds the shipped chain list
and default plan.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

__all__ = [
    "DEFAULT_URL",
    "StoreError",
    "resolve_url",
    "get_engine",
    "session_scope",
    "migrate",
    "current_revision",
    "head_revision",
    "is_initialised",
]

DEFAULT_URL = "sqlite:///redwood.db"
ENV_VAR = "TRACKER_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(RuntimeError):
    """The store cannot be reached or is not in a usable state (message for the user)."""


def resolve_url(url: str | None = None) -> str:
    """The URL to use: explicit, else the environment, else the default SQLite file."""
    url = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    if url.startswith("postgresql://"):
        # Use psycopg 3, the driver we ship, when the user writes a plain URL.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the dashboard) go on while one writer imports; the busy timeout
    # makes a second writer wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
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
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    return engine


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
        raise StoreError(f"无法连接数据库 / cannot open the database: {exc.orig}") from exc


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from alembic.config import Config

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
        raise StoreError(f"无法连接数据库 / cannot open the database: {exc.orig}") from exc
