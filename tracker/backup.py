"""Backups and restores of the store.

SQLite
    :func:`backup` copies the live database with SQLite's online backup API
    (``sqlite3.Connection.backup``): the copy is one consistent snapshot even while the
    dashboard reads and an import writes (WAL mode lets the writer go on). The copy is
    written to a temporary file beside ``PATH``, checked (``PRAGMA integrity_check``) and
    then moved into place, so a failed backup never leaves half a file.
    :func:`restore` first backs up the current store beside it
    (``redwood.db.before-restore-YYYYmmddTHHMMSS``), then copies the backup into the live
    database with the same API, migrates it to the current schema if it is older, and
    ends every login session.

PostgreSQL
    The documented way is ``pg_dump``/``pg_restore`` (:func:`pg_dump_command`,
    :func:`pg_restore_command`)::

        pg_dump --format=custom --no-owner --file=PATH --dbname=postgresql://USER@HOST:PORT/DB
        pg_restore --clean --if-exists --no-owner --dbname=postgresql://USER@HOST:PORT/DB PATH

    The password, when the URL has one, goes in the ``PGPASSWORD`` environment variable,
    never on the command line.

Examples
--------
>>> pg_dump_command("postgresql+psycopg://staff:secret@db.local:5432/redwood", "r.dump")[0]
'pg_dump'
>>> " ".join(pg_dump_command("postgresql+psycopg://staff:secret@db.local/redwood", "r.dump")[1:])
'--format=custom --no-owner --file=r.dump --dbname=postgresql://staff@db.local/redwood'
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .errors import TrackerError
from .store import get_engine, head_revision, migrate, resolve_url

__all__ = [
    "BackupResult",
    "backup",
    "restore",
    "sqlite_path",
    "pg_dump_command",
    "pg_restore_command",
    "find_pg_tool",
]


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did."""

    path: Path
    bytes: int
    backend: str
    command: str | None = None  # the pg_dump line, for PostgreSQL
    safety_copy: Path | None = None  # restore: the store as it was before


def _url_of(target: Engine | str | None) -> sa.engine.URL:
    if isinstance(target, Engine):
        return target.url
    return sa.engine.make_url(resolve_url(target))


def sqlite_path(target: Engine | str | None) -> Path | None:
    """The database file of an SQLite store, ``None`` for other back ends."""
    url = _url_of(target)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise TrackerError("内存数据库无法备份或恢复，请使用数据库文件")
    return Path(url.database).expanduser().resolve()


def _libpq_url(url: sa.engine.URL) -> str:
    """The URL as libpq understands it: plain ``postgresql://``, no password."""
    # URL.set(password=None) keeps the password: build a new URL without it.
    plain = sa.engine.URL.create("postgresql", username=url.username, host=url.host,
                                 port=url.port, database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False)


def find_pg_tool(name: str) -> str | None:
    """``pg_dump``/``pg_restore`` on PATH, else the newest in ``/usr/lib/postgresql``."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return candidates[-1] if candidates else None


def pg_dump_command(target: Engine | str, path: str | Path, tool: str = "pg_dump") -> list[str]:
    """The documented ``pg_dump`` line (custom format, restorable with ``pg_restore``)."""
    url = _url_of(target)
    return [tool, "--format=custom", "--no-owner", f"--file={path}", f"--dbname={_libpq_url(url)}"]


def pg_restore_command(target: Engine | str, path: str | Path, tool: str = "pg_restore") -> list[str]:
    """The documented ``pg_restore`` line (drops and recreates what the dump contains)."""
    url = _url_of(target)
    return [tool, "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq_url(url)}", str(path)]


def _pg_env(url: sa.engine.URL) -> dict:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _check_sqlite_file(path: Path) -> None:
    """Raise when ``path`` is not a sound SQLite database."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise TrackerError(f"不是有效的 SQLite 数据库文件：{path}（{exc}）") from None
    if result != "ok":
        raise TrackerError(f"数据库文件已损坏：{path}（{result}）")


def _copy(source: Path, dest: Path) -> None:
    """Copy ``source`` into ``dest`` with the online backup API (one consistent snapshot)."""
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(dest), timeout=30)
        try:
            # All pages in one step: a snapshot that a concurrent writer cannot tear.
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(target: Engine | str | None, path: str | Path, *, overwrite: bool = False,
           run: bool = True) -> BackupResult:
    """Back up the store to ``path``.

    Parameters
    ----------
    target : the store (engine or URL; default ``TRACKER_DATABASE_URL`` / ``redwood.db``)
    path : the backup file
    overwrite : replace an existing file at ``path``
    run : PostgreSQL only: run ``pg_dump`` (else only return its command line)
    """
    path = Path(path).expanduser().resolve()
    if path.exists() and not overwrite:
        raise TrackerError(f"备份文件已存在：{path}（加 --overwrite 覆盖）")
    if not path.parent.exists():
        raise TrackerError(f"备份文件夹不存在：{path.parent}")
    url = _url_of(target)
    source = sqlite_path(target)
    if source is None:
        if url.get_backend_name() != "postgresql":
            raise TrackerError(f"不支持备份此类数据库：{url.get_backend_name()}")
        tool = find_pg_tool("pg_dump") if run else None
        command = pg_dump_command(target, path, tool or "pg_dump")
        shown = " ".join(pg_dump_command(target, path))
        if not run:
            return BackupResult(path=path, bytes=0, backend="postgresql", command=shown)
        if tool is None:
            raise TrackerError(f"找不到 pg_dump，请安装 PostgreSQL 客户端后运行：{shown}")
        result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True)
        if result.returncode != 0:
            raise TrackerError(f"pg_dump 失败：{result.stderr.strip()}")
        return BackupResult(path=path, bytes=path.stat().st_size, backend="postgresql",
                            command=shown)
    if not source.exists():
        raise TrackerError(f"数据库文件不存在：{source}")
    if source == path:
        raise TrackerError("备份文件不能是数据库本身")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        _check_sqlite_file(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=path, bytes=path.stat().st_size, backend="sqlite")


def _backup_revision(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
    return row[0] if row else None


def restore(target: Engine | str | None, path: str | Path) -> BackupResult:
    """Replace the SQLite store's content with the backup at ``path`` (asks no question:
    the command line asks for confirmation).

    The current content is first saved beside the store; a backup from an older schema is
    migrated to the current one; every login session ends (everyone logs in again).
    PostgreSQL stores are restored with :func:`pg_restore_command`.
    """
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise TrackerError(f"备份文件不存在：{path}")
    live = sqlite_path(target)
    if live is None:
        shown = " ".join(pg_restore_command(target, path))
        raise TrackerError(f"PostgreSQL 数据库请用 pg_restore 恢复：{shown}")
    if live == path:
        raise TrackerError("备份文件不能是数据库本身")
    _check_sqlite_file(path)
    revision = _backup_revision(path)
    if revision is None:
        raise TrackerError(f"{path.name} 不是 Redwood 的数据库备份（没有版本信息）")
    known = _known_revisions()
    if revision not in known:
        raise TrackerError(f"备份的数据库版本 {revision} 比本程序新或未知，请先升级程序")
    safety = None
    if live.exists():
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        safety = live.with_name(f"{live.name}.before-restore-{stamp}")
        _copy(live, safety)
    _copy(path, live)
    engine = target if isinstance(target, Engine) else get_engine(str(_url_of(target)))
    if revision != head_revision():
        migrate(engine)
    from .model import UserSession

    with engine.begin() as conn:
        conn.execute(sa.delete(UserSession.__table__))
    return BackupResult(path=path, bytes=path.stat().st_size, backend="sqlite",
                        safety_copy=safety)


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from .store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}
