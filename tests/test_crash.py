"""Crashes (issue 19): ``kill -9`` during an import, an edit, a backup and a restore, on
SQLite and on a real PostgreSQL server, and a full disk during an SQLite import.

Each operation runs as the ``tracker`` command in a child process. A small hook in the child
(:data:`HOOK`) holds the operation at a chosen point *inside* it, with its writes made but
not committed (or, for the copies, half-way through), and says so on stdout; the test
then kills the child with SIGKILL. The store must be exactly as before (checksum of every
table, :func:`tests.builders.checksum`) and sound; the same operation left to finish
gives the store as after the whole operation. A full disk is a file-size limit on the child
(``RLIMIT_FSIZE``, ``SIGXFSZ`` ignored, so a write past it fails with ``EFBIG`` as on a
full disk): one clear line on stderr, and the database intact.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.builders import World, checksum
from tests.test_import_fuzz import HEADERS
from tracker import uscc
from tracker.backup import backup, check_integrity, find_pg_tool, pg_restore_command
from tracker.chains import init_store
from tracker.model import Firm
from tracker.store import get_engine

ROOT = Path(__file__).resolve().parent.parent
HELD = "CRASH-TEST-HELD"

# Run in the child before the command: hold at the point CRASH_HOLD names.
#   commit  the first commit of a transaction that wrote rows (the operation's own)
#   copy    an SQLite copy (backup or restore) after its first pages, before its end
#   check   a backup written to its temporary file, before it is moved into place
HOOK = f'''
import os, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

HOLD = os.environ.get("CRASH_HOLD", "")


def held():
    print("{HELD}", flush=True)
    time.sleep(600)


if HOLD == "commit":
    wrote = set()

    @event.listens_for(Engine, "before_cursor_execute")
    def _mark(conn, cursor, statement, params, context, executemany):
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            wrote.add(id(conn))

    @event.listens_for(Engine, "commit")
    def _hold(conn):
        if id(conn) in wrote:
            held()

if HOLD == "copy":
    import tracker.backup as b

    def _stepped(source, dest):
        import sqlite3
        src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(dest))
        calls = []

        def progress(status, remaining, total):
            calls.append(remaining)
            if len(calls) == 2 and str(dest).endswith(os.environ["CRASH_COPY_INTO"]):
                held()
        src.backup(dst, pages=2, progress=progress)
        dst.close(); src.close()
    b._copy = _stepped

if HOLD == "check":
    import tracker.backup as b
    b._check_sqlite_file = lambda path: held()
    b._check_pg_dump = lambda path, url: held()

from tracker.cli import run
sys.exit(run(sys.argv[1:]))
'''


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **extra)
    env.pop("TRACKER_DATABASE_URL", None)
    env.pop("TRACKER_DEBUG", None)
    return env


def _tracker(url: str, *args, hold: str = "", into: str = "", preexec=None,
             timeout: float = 240):
    """Run ``tracker --db url args`` in a child; with ``hold``, kill it with SIGKILL once
    it holds there (``into``: the copy whose destination ends so). Returns the finished
    process and its output."""
    proc = subprocess.Popen([sys.executable, "-c", HOOK, "--db", url, *map(str, args)],
                            cwd=ROOT, env=_env(CRASH_HOLD=hold, CRASH_COPY_INTO=into),
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)  # noqa: PLW1509 - no threads in this child
    if not hold:
        out, err = proc.communicate(timeout=timeout)
        return proc, out + err
    seen = []
    deadline = time.monotonic() + timeout
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.strip() == HELD:
                proc.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, seen
    finally:
        if proc.poll() is None:
            proc.kill()  # held and already killed, or running past the deadline
        proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, ("ended before it was held", seen, err)
    return proc, err


def _workbook(path: Path, n: int, start: int = 0) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业")
    ws.append(HEADERS["企业"])
    for i in range(start, start + n):
        ws.append([uscc.make(f"91440112{i + 10**6:09d}"), f"崩溃测试企业{i}", "BIO;DISPLAY", "中游",
                   "否", "民营", "否", "科学城", "萝岗街道", i % 7, 0, "2023-01-01", None])
    wb.save(path)
    return path


def _firms(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Firm.__table__)).scalar()


def _sound(engine) -> None:
    assert check_integrity(engine) == []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """A store with a few firms, on both back ends: (engine, url, world)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    engine = get_engine(url)
    init_store(engine)
    w = World(engine)
    for i in range(5):
        w.firm(f"K{i}", chains=["BIO"], joined="2023-01-01", formal=3)
    yield engine, url, w
    engine.dispose()


def test_kill_during_an_import(store, tmp_path):
    engine, url, _ = store
    book = _workbook(tmp_path / "ledger.xlsx", 1500)
    before = checksum(engine)
    _tracker(url, "import", book, hold="commit")
    assert checksum(engine) == before
    _sound(engine)
    # Left to finish, the same import writes all of it.
    proc, out = _tracker(url, "import", book)
    assert proc.returncode == 0, out
    assert _firms(engine) == 5 + 1500
    _sound(engine)


def test_kill_during_an_edit(store):
    engine, url, w = store
    before = checksum(engine)
    _tracker(url, "firm", "update", w.code("K1"), "--formal", "42", hold="commit")
    assert checksum(engine) == before
    proc, out = _tracker(url, "firm", "update", w.code("K1"), "--formal", "42")
    assert proc.returncode == 0, out
    with engine.connect() as conn:
        assert conn.execute(sa.select(Firm.formal_members, Firm.version)
                            .where(Firm.credit_code == w.code("K1"))).one() == (42, 2)
    assert checksum(engine) != before
    _sound(engine)


def test_kill_during_a_backup(store, tmp_path):
    engine, url, _ = store
    before = checksum(engine)
    path = tmp_path / "b.bak"
    _tracker(url, "backup", path, hold="check")
    assert not path.exists()  # no half backup where the real one goes
    assert checksum(engine) == before
    if engine.url.get_backend_name() == "sqlite":
        _tracker(url, "backup", path, hold="copy", into=".partial")
        assert not path.exists() and checksum(engine) == before
    proc, out = _tracker(url, "backup", path)  # the next backup is not hindered
    assert proc.returncode == 0, out
    assert path.stat().st_size > 0 and not list(tmp_path.glob("*.partial"))
    _sound(engine)


def test_kill_during_an_sqlite_restore(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = get_engine(url)
    init_store(engine)
    w = World(engine)
    w.firm("A", chains=["BIO"], joined="2023-01-01")
    copy = tmp_path / "copy.db"
    backup(engine, copy)
    for i in range(300):  # the store moves on after its backup
        w.firm(f"N{i}", chains=["IC"], joined="2024-01-01")
    before = checksum(engine)
    after = checksum(get_engine(f"sqlite:///{copy}"))  # the backup holds no login session
    # In the middle of the copy into the store: as before.
    _tracker(url, "restore", copy, "--yes", hold="copy", into="live.db")
    engine.dispose()
    assert checksum(engine) == before
    _sound(engine)
    # The copy done, the login sessions not yet ended (the backup has none): as after.
    _tracker(url, "restore", copy, "--yes", hold="commit")
    engine.dispose()
    assert checksum(engine) == after
    _sound(engine)
    engine.dispose()
    proc, out = _tracker(url, "restore", copy, "--yes")
    assert proc.returncode == 0, out
    assert checksum(engine) == after
    _sound(engine)
    engine.dispose()


@pytest.mark.postgres
def test_kill_during_a_postgresql_restore(postgres_server, tmp_path):
    """The documented pg_restore line runs in one transaction: killed while it copies the
    rows, it leaves the database as it was; left to finish, as the dump."""
    source = get_engine(postgres_server.new_database())
    init_store(source)
    proc, out = _tracker(source.url.render_as_string(hide_password=False), "import",
                         _workbook(tmp_path / "big.xlsx", 4000))
    assert proc.returncode == 0, out
    dump = tmp_path / "r.dump"
    backup(source, dump)
    target_url = postgres_server.new_database()
    target = get_engine(target_url)
    init_store(target)
    World(target).firm("OLD", chains=["BIO"], joined="2022-01-01")
    before = checksum(target)
    command = pg_restore_command(target, dump, find_pg_tool("pg_restore"))
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watcher = get_engine(postgres_server.url)
    database = target.url.database
    try:
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            with watcher.connect() as conn:
                copying = conn.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d "
                    "AND application_name = 'pg_restore' AND query ILIKE 'COPY%'"),
                    {"d": database}).scalar()
            if copying:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if child.poll() is None and time.monotonic() >= deadline:
            child.kill()
        child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL, "pg_restore ended before it was killed"
    # The server rolls the transaction back once it sees the client gone.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with watcher.connect() as conn:
            if not conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE "
                                        "datname = :d AND application_name = 'pg_restore'"),
                                {"d": database}).scalar():
                break
        time.sleep(0.05)
    target.dispose()
    assert checksum(target) == before
    _sound(target)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    target.dispose()
    assert checksum(target) == checksum(source)
    for engine in (source, target, watcher):
        engine.dispose()


def _file_limit(limit: int):
    def preexec():
        # SIGXFSZ would kill the child; ignored, the write fails with EFBIG like a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def test_a_full_disk_during_an_sqlite_import(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    engine = get_engine(url)
    init_store(engine)
    World(engine).firm("A", chains=["BIO"], joined="2023-01-01")
    engine.dispose()  # checkpointed: the database file holds everything, the WAL is empty
    before = checksum(engine)
    engine.dispose()
    db = tmp_path / "full.db"
    book = _workbook(tmp_path / "ledger.xlsx", 3000)
    proc, out = _tracker(url, "import", book, preexec=_file_limit(db.stat().st_size + 256 * 1024))
    assert proc.returncode == 1, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("数据库错误"), out
    assert "disk is full" in lines[0] or "disk I/O" in lines[0]
    assert "Traceback" not in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert checksum(engine) == before
    # With room again, the same import goes through.
    proc, out = _tracker(url, "import", book)
    assert proc.returncode == 0, out
    assert _firms(engine) == 3001
    engine.dispose()
