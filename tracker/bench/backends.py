"""Where the stores of a benchmark run live: SQLite files in a folder, or PostgreSQL databases.

Examples
--------
>>> import tempfile
>>> backend = Backend("sqlite", Path(tempfile.mkdtemp()))
>>> url = backend.new_store("bench-10")
>>> backend.label, url.startswith("sqlite:///"), url.endswith("bench-10-0.db")
('SQLite', True, True)
>>> backend.drop(url)
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

import sqlalchemy as sa

from ..store import resolve_url
from .pgserver import PostgresServer

__all__ = ["Backend"]


class Backend:
    """Where the stores of a run live: SQLite files in a folder, or databases on a server.

    Each size gets its own store, and each import step a fresh empty one; a PostgreSQL
    backend creates them as new databases (``redwood_bench_<pid>_<n>``) on the server of
    ``url`` and drops them in :meth:`cleanup`: the database named in the URL is never
    written to.
    """

    def __init__(self, kind: str, folder: Path, url: str | None = None,
                 server: PostgresServer | None = None):
        self.kind = kind
        self.folder = folder
        self.server = server
        self.admin_url = url
        self.created: list[str] = []
        self._counter = itertools.count()
        self.version = None
        if kind == "postgresql":
            self.version = server.version if server else self._server_version()

    @property
    def label(self) -> str:
        """The backend's name for people."""
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def _admin_engine(self):
        return sa.create_engine(resolve_url(self.admin_url), isolation_level="AUTOCOMMIT")

    def _server_version(self) -> str | None:
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW server_version")).scalar()
        finally:
            engine.dispose()

    def new_store(self, name: str) -> str:
        """The URL of a new, empty store."""
        if self.kind == "sqlite":
            path = self.folder / f"{name}-{next(self._counter)}.db"
            return f"sqlite:///{path}"
        database = f"redwood_bench_{os.getpid()}_{next(self._counter)}"
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        except sa.exc.SQLAlchemyError as exc:
            raise RuntimeError(f"无法创建测试数据库（需要 CREATEDB 权限）/ cannot create a "
                               f"database: {getattr(exc, 'orig', exc)}") from None
        finally:
            engine.dispose()
        self.created.append(database)
        return self._url_of(database)

    def drop(self, url: str) -> None:
        """Remove the store of ``url`` (its files, or its database)."""
        if self.kind == "sqlite":
            path = Path(url[len("sqlite:///"):])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        database = sa.engine.make_url(url).database
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            engine.dispose()
        if database in self.created:
            self.created.remove(database)

    def end_sessions(self, url: str) -> None:
        """End the server sessions still open on the database of ``url`` (PostgreSQL).

        A killed step process leaves its query running on the server until the query tries
        to send its result; without this it would compete with the next step.
        """
        if self.kind != "postgresql":
            return
        database = sa.engine.make_url(url).database
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :d AND pid <> pg_backend_pid()"),
                             {"d": database})
        finally:
            engine.dispose()

    def cleanup(self) -> None:
        """Drop every database this backend created that is still there (PostgreSQL)."""
        if self.kind == "postgresql":
            for database in list(self.created):
                with contextlib.suppress(Exception):  # best effort on the way out
                    self.drop(self._url_of(database))

    def _url_of(self, database: str) -> str:
        return str(sa.engine.make_url(resolve_url(self.admin_url)).set(database=database)
                   .render_as_string(hide_password=False))
