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
    never on the command line. :func:`backup` runs ``pg_dump`` into a temporary file beside
    ``PATH``, reads it back (``pg_restore --list``) and only then moves it into place; the
    restore runs in one transaction (``--single-transaction``), so a restore that is
    killed or fails half-way leaves the database as it was.

Integrity
    :func:`check_integrity` says whether a store is sound: SQLite's
    ``PRAGMA integrity_check`` and ``foreign_key_check``; on PostgreSQL ``pg_amcheck``
    (B-tree indexes against their tables, and the tables' heap) when it is installed,
    else the same promise checked by hand: every table read whole, every index probed
    against it, and every foreign key matched (see the function).

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
    "check_integrity",
    "find_pg_tool",
    "pg_dump_command",
    "pg_restore_command",
    "restore",
    "sqlite_path",
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
    return [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
            f"--dbname={_libpq_url(url)}", str(path)]


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


def _check_pg_dump(path: Path, url: sa.engine.URL) -> None:
    """Raise when ``path`` is not a whole custom-format dump (``pg_restore --list`` reads
    its table of contents, which pg_dump writes last)."""
    tool = find_pg_tool("pg_restore")
    if tool is None:
        return
    result = subprocess.run([tool, "--list", str(path)], env=_pg_env(url), capture_output=True,
                            text=True, check=False)
    if result.returncode != 0 or "TABLE DATA" not in result.stdout:
        raise TrackerError(f"pg_dump 生成的备份无法读回：{result.stderr.strip()}")


def check_integrity(target: Engine | str | None) -> list[str]:
    """The faults found in the store: an empty list when it is sound.

    SQLite
        ``PRAGMA integrity_check`` (pages, records, indexes) and ``PRAGMA
        foreign_key_check``.
    PostgreSQL
        ``pg_amcheck --heapallindexed`` over the store's database when the tool and its
        ``amcheck`` extension are there (the extension is installed on first use, which
        needs a role that may create it). Otherwise an equivalent check through SQL: each
        table is read whole (a damaged page fails the read), each index is probed against
        the table by counting the rows reached through it with an index-only plan equal to
        the rows of a sequential scan, and every foreign key is matched.
    """
    url = _url_of(target)
    engine = target if isinstance(target, Engine) else get_engine(str(url))
    if url.get_backend_name() == "sqlite":
        with engine.connect() as conn:
            faults = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")
                      if row[0] != "ok"]
            faults += [f"foreign key: {tuple(row)}"
                       for row in conn.exec_driver_sql("PRAGMA foreign_key_check")]
        return faults
    tool = find_pg_tool("pg_amcheck")
    if tool is not None:
        command = [tool, "--heapallindexed", "--install-missing", _libpq_url(url)]
        result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True,
                                check=False)
        if result.returncode == 0:
            return []
        if "permission denied" not in result.stderr and "extension" not in result.stderr:
            return [line for line in (result.stdout + result.stderr).splitlines() if line]
    return _pg_integrity_by_sql(engine)


def _pg_integrity_by_sql(engine: Engine) -> list[str]:
    """pg_amcheck's promise through SQL, for a server without it (see :func:`check_integrity`)."""
    from .model import metadata

    faults = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            name = conn.dialect.identifier_preparer.format_table(table)
            # The heap read whole, every value taken apart (TOASTed ones fetched): a
            # damaged page or value fails here.
            for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
                conn.exec_driver_sql(f"SET LOCAL {setting} = off")
            rows, _ = conn.exec_driver_sql(
                f"SELECT count(*), sum(length(t::text)) FROM {name} AS t").one()
            # The same rows reached through the primary key's index only.
            for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
                conn.exec_driver_sql(f"SET LOCAL {setting} = on")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            for column in list(table.primary_key.columns)[:1]:
                through = conn.execute(sa.select(sa.func.count(column)).select_from(table)
                                       .where(column.isnot(None))).scalar()
                if through != rows:
                    faults.append(f"{table.name}: {rows} rows, {through} through its key index")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
            for fk in table.foreign_keys:
                parent = fk.column
                orphans = conn.execute(
                    sa.select(sa.func.count()).select_from(table)
                    .where(fk.parent.isnot(None))
                    .where(~sa.exists().where(parent == fk.parent))).scalar()
                if orphans:
                    faults.append(f"{table.name}.{fk.parent.name}: {orphans} rows without "
                                  f"their {parent.table.name}")
        conn.rollback()
    return faults


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
        raise TrackerError(f"备份文件已存在：{path}（加 --force 覆盖）")
    if not path.parent.exists():
        raise TrackerError(f"备份文件夹不存在：{path.parent}")
    url = _url_of(target)
    source = sqlite_path(target)
    if source is None:
        if url.get_backend_name() != "postgresql":
            raise TrackerError(f"不支持备份此类数据库：{url.get_backend_name()}")
        tool = find_pg_tool("pg_dump") if run else None
        shown = " ".join(pg_dump_command(target, path))
        if not run:
            return BackupResult(path=path, bytes=0, backend="postgresql", command=shown)
        if tool is None:
            raise TrackerError(f"找不到 pg_dump，请安装 PostgreSQL 客户端后运行：{shown}")
        # pg_dump writes where it is told as it goes: into a temporary name, so that a dump
        # that is killed or fails never leaves half a file at PATH.
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            command = pg_dump_command(target, partial, tool)
            result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True,
                                    check=False)
            if result.returncode != 0:
                raise TrackerError(f"pg_dump 失败：{result.stderr.strip()}")
            _check_pg_dump(partial, url)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
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
