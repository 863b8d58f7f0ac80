"""Backups and restores: SQLite online backup and restore, PostgreSQL pg_dump / pg_restore."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.builders import World
from tracker import auth
from tracker.backup import backup, pg_dump_command, pg_restore_command, restore
from tracker.chains import init_store
from tracker.cli import main, run
from tracker.coverage import coverage
from tracker.errors import TrackerError
from tracker.store import current_revision, get_engine, head_revision, migrate

ON = date(2024, 6, 30)


def _figures(engine) -> dict:
    """Coverage by chain and in total: what a restore must give back exactly."""
    result = coverage(engine, ON, by="chain")
    return {"total": result.as_dict()["total"],
            "groups": [(g["key"], g["firms"], g["org_covered"], g["work_covered"])
                       for g in result.as_dict()["groups"]]}


def _populate(engine, prefix: str, n: int) -> World:
    w = World(engine)
    w.liaison(f"{prefix}联络员")
    for i in range(n):
        key = f"{prefix}{i}"
        w.firm(key, chains=[["BIO"], ["IC"], ["BIO", "DISPLAY"]][i % 3], joined="2023-01-01",
               park="广州科学城" if i % 2 else "中新广州知识城")
        if i % 3 == 0:
            w.org(f"{key}-O", founded="2023-03-01", members=3)
            w.link(f"{key}-O", key, start="2023-03-01")
        elif i % 3 == 1:
            w.assign(f"{prefix}联络员", key, start="2023-05-01")
    return w


def _cli(*args, input=None):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_backup_restore_round_trip_gives_equal_coverage(sqlite_url, sqlite_engine, tmp_path):
    _populate(sqlite_engine, "A", 12)
    before = _figures(sqlite_engine)
    assert before["total"]["firms"] == 12 and before["total"]["uncovered"] == 4
    copy = tmp_path / "backup.db"
    r = _cli("--db", sqlite_url, "backup", copy)
    assert r.exit_code == 0 and "已备份到" in r.output and copy.exists()

    _populate(sqlite_engine, "B", 5)  # the store moves on after the backup
    changed = _figures(sqlite_engine)
    assert changed != before

    r = _cli("--db", sqlite_url, "restore", copy, "--yes")
    assert r.exit_code == 0, r.output
    assert _figures(sqlite_engine) == before
    # The state before the restore was kept beside the store, and is itself a sound store.
    safety = list(tmp_path.glob("redwood.db.before-restore-*"))
    assert len(safety) == 1
    kept = get_engine(f"sqlite:///{safety[0]}")
    assert _figures(kept) == changed
    kept.dispose()


def test_backup_is_a_consistent_snapshot_while_a_writer_works(sqlite_url, sqlite_engine, tmp_path):
    """Each writer transaction adds a firm and its membership; a torn copy would differ."""
    w = World(sqlite_engine)
    stop = threading.Event()
    written = []

    def write():
        conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        i = 0
        while not stop.is_set() and i < 2000:
            with conn:  # one transaction: firm + membership
                cur = conn.execute(
                    "INSERT INTO firm (credit_code, name, ownership, above_size, formal_members,"
                    " probationary_members, version) VALUES (?, ?, 'private', 0, 0, 0, 1)",
                    (f"W{i:017d}", f"写入{i}"))
                conn.execute("INSERT INTO chain_membership (firm_id, chain_id, segment, is_chain_master)"
                             " VALUES (?, ?, 'midstream', 0)", (cur.lastrowid, w.chain_ids["BIO"]))
            written.append(i)
            i += 1
        conn.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        copies = []
        for n in range(3):
            path = tmp_path / f"copy{n}.db"
            backup(sqlite_engine, path)
            copies.append(path)
    finally:
        stop.set()
        thread.join()
    counts = []
    for path in copies:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            firms = conn.execute("SELECT count(*) FROM firm").fetchone()[0]
            members = conn.execute("SELECT count(*) FROM chain_membership").fetchone()[0]
        assert firms == members  # no transaction torn in half
        counts.append(firms)
    assert 20 <= counts[0] <= counts[-1] <= len(written)


def test_backup_refuses_to_overwrite_unless_told(sqlite_engine, tmp_path):
    path = tmp_path / "b.db"
    path.write_text("keep me")
    with pytest.raises(TrackerError, match="已存在"):
        backup(sqlite_engine, path)
    assert path.read_text() == "keep me"
    backup(sqlite_engine, path, overwrite=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM chain").fetchone()[0] == 13
    with pytest.raises(TrackerError, match="文件夹不存在"):
        backup(sqlite_engine, tmp_path / "no" / "b.db")
    assert not list(tmp_path.glob("*.partial"))


def test_restore_asks_first_and_refuses_what_is_not_a_backup(sqlite_url, sqlite_engine, tmp_path, capsys):
    _populate(sqlite_engine, "A", 3)
    before = _figures(sqlite_engine)
    good = tmp_path / "good.db"
    backup(sqlite_engine, good)
    _populate(sqlite_engine, "B", 2)
    after = _figures(sqlite_engine)
    # Without --yes: a question; answering no leaves the store as it is.
    r = CliRunner().invoke(main, ["--db", sqlite_url, "restore", str(good)], input="n\n")
    assert r.exit_code != 0 and "继续吗" in r.output
    assert _figures(sqlite_engine) == after

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE t (x)")
    future = tmp_path / "future.db"
    backup(sqlite_engine, future)
    with sqlite3.connect(future) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for path, needle in [(junk, "不是有效的 SQLite"), (plain, "不是 Redwood"), (future, "9999")]:
        code = run(["--db", sqlite_url, "restore", str(path), "--yes"])
        err = capsys.readouterr().err
        assert code != 0 and needle in err and len(err.strip().splitlines()) == 1
    assert _figures(sqlite_engine) == after
    restore(sqlite_engine, good)
    assert _figures(sqlite_engine) == before


def test_restore_of_an_older_schema_migrates_and_ends_sessions(sqlite_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("TRACKER_ARGON2_PARALLELISM", "1")
    old = get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(old, "0002")  # before accounts existed
    old.dispose()
    auth.add_user(sqlite_engine, "wang", "editor", "long enough pw")
    login = auth.authenticate(sqlite_engine, "wang", "long enough pw")
    restore(sqlite_engine, tmp_path / "old.db")
    assert current_revision(sqlite_engine) == head_revision()
    assert auth.list_users(sqlite_engine) == []
    with pytest.raises(auth.AuthError):
        auth.resume(sqlite_engine, login.token)


def test_restored_sessions_do_not_come_back(sqlite_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("TRACKER_ARGON2_PARALLELISM", "1")
    auth.add_user(sqlite_engine, "wang", "editor", "long enough pw")
    login = auth.authenticate(sqlite_engine, "wang", "long enough pw")
    backup(sqlite_engine, tmp_path / "b.db")  # holds the open session
    restore(sqlite_engine, tmp_path / "b.db")
    with pytest.raises(auth.AuthError):
        auth.resume(sqlite_engine, login.token)
    assert auth.authenticate(sqlite_engine, "wang", "long enough pw").user.name == "wang"


def test_pg_dump_line_keeps_the_password_off_the_command_line():
    url = "postgresql+psycopg://staff:s3cret@db.example:5433/redwood"
    dump = pg_dump_command(url, "/backups/r.dump")
    assert dump == ["pg_dump", "--format=custom", "--no-owner", "--file=/backups/r.dump",
                    "--dbname=postgresql://staff@db.example:5433/redwood"]
    assert "s3cret" not in " ".join(dump + pg_restore_command(url, "/backups/r.dump"))
    assert pg_restore_command(url, "r.dump")[-1] == "r.dump"


@pytest.mark.postgres
def test_postgresql_backup_with_pg_dump_and_restore_with_pg_restore(postgres_server, tmp_path):
    import subprocess

    from tracker.backup import find_pg_tool

    source = get_engine(postgres_server.new_database())
    init_store(source)
    _populate(source, "P", 9)
    before = _figures(source)
    dump = tmp_path / "redwood.dump"
    r = _cli("--db", source.url.render_as_string(hide_password=False), "backup", dump)
    assert r.exit_code == 0, r.output
    assert "pg_dump --format=custom" in r.output and dump.stat().st_size > 0
    printed = _cli("--db", source.url.render_as_string(hide_password=False), "backup",
                   tmp_path / "x.dump", "--print-only")
    assert printed.output.startswith("pg_dump ") and not (tmp_path / "x.dump").exists()

    target = get_engine(postgres_server.new_database())
    command = pg_restore_command(target, dump, find_pg_tool("pg_restore"))
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _figures(target) == before
    assert current_revision(target) == head_revision()
    # tracker restore does not pretend to restore PostgreSQL: it names the pg_restore line.
    with pytest.raises(TrackerError, match="pg_restore --clean"):
        restore(target, dump)
    for engine in (source, target):
        engine.dispose()


# --- issue 19: backups you can trust -------------------------------------------------------

def test_backup_command_refuses_to_overwrite_unless_forced(sqlite_url, sqlite_engine, tmp_path,
                                                           capsys):
    path = tmp_path / "b.db"
    path.write_text("keep me")
    code = run(["--db", sqlite_url, "backup", str(path)])
    err = capsys.readouterr().err
    assert code == 1 and "备份文件已存在" in err and "--force" in err
    assert path.read_text() == "keep me"
    assert run(["--db", sqlite_url, "backup", str(path), "--force"]) == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run(["--db", sqlite_url, "backup", str(path), "--overwrite"]) == 0  # the old name


def test_integrity_check_finds_a_damaged_sqlite_store(sqlite_url, sqlite_engine, tmp_path):
    from tracker.backup import check_integrity

    _populate(sqlite_engine, "A", 30)
    assert check_integrity(sqlite_engine) == []
    copy = tmp_path / "damaged.db"
    backup(sqlite_engine, copy)
    with sqlite3.connect(copy) as conn:  # an index that no longer matches its table
        conn.execute("PRAGMA writable_schema=ON")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE type='index' "
                            "AND tbl_name='firm' LIMIT 1").fetchone()[0]
        conn.execute("PRAGMA writable_schema=OFF")
    data = bytearray(copy.read_bytes())
    page = 4096 if len(data) % 4096 == 0 else 1024
    start = (root - 1) * page
    data[start + 100:start + page - 8] = b"\x00" * (page - 108)
    copy.write_bytes(bytes(data))
    damaged = get_engine(f"sqlite:///{copy}")
    assert check_integrity(damaged) != []
    damaged.dispose()


DRILL_FIRMS = 40


def _drill_store(engine) -> World:
    """The drill's starting point: firms in BIO, none covered; one organisation."""
    init_store(engine)
    w = World(engine)
    for i in range(DRILL_FIRMS):
        w.firm(f"D{i}", chains=["BIO"], joined="2023-01-01")
    w.org("DRILL-O", founded="2023-01-01", members=5)
    return w


def _linked(engine) -> set[str]:
    from tracker.model import CoverageLink, Firm

    with engine.connect() as conn:
        rows = conn.execute(sa.select(Firm.credit_code).join(
            CoverageLink, CoverageLink.firm_id == Firm.id)).scalars().all()
    return set(rows)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_backup_drill_while_edits_run(backend, tmp_path, request):
    """The drill: edits run (one organisation linked to one firm after another, each edit one
    transaction) while a backup is taken; the backup restores into an empty store that
    passes the integrity check, whose links are exactly the first k edits, and whose
    figures equal those of a store that received exactly those k edits."""
    import subprocess

    from tracker.backup import check_integrity, find_pg_tool

    if backend == "sqlite":
        new_url = lambda name: f"sqlite:///{tmp_path / name}"
    else:
        server = request.getfixturevalue("postgres_server")
        new_url = lambda name: server.new_database()
    live = get_engine(new_url("live.db"))
    w = _drill_store(live)
    done = []
    failed = []

    def edit_all():
        from tracker import edits

        try:
            for i in range(DRILL_FIRMS):
                edits.link(live, "DRILL-O", w.code(f"D{i}"), date(2024, 1, 1), user="drill")
                done.append(i)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            failed.append(exc)

    writer = threading.Thread(target=edit_all)
    writer.start()
    try:
        while len(done) < 3 and writer.is_alive():
            threading.Event().wait(0.01)
        path = tmp_path / ("drill.db" if backend == "sqlite" else "drill.dump")
        backup(live, path)
    finally:
        writer.join()
    assert not failed, failed
    assert len(done) == DRILL_FIRMS

    restored = get_engine(new_url("restored.db"))
    if backend == "sqlite":
        init_store(restored)
        restore(restored, path)
    else:
        command = pg_restore_command(restored, path, find_pg_tool("pg_restore"))
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
    assert check_integrity(restored) == []

    linked = _linked(restored)
    k = len(linked)
    assert 3 <= k <= DRILL_FIRMS
    assert linked == {w.code(f"D{i}") for i in range(k)}  # a prefix: no edit torn or lost

    # The figures at the backup's moment: a store that received exactly those k edits.
    replay = get_engine(new_url("replay.db"))
    r = _drill_store(replay)
    from tracker import edits

    for i in range(k):
        edits.link(replay, "DRILL-O", r.code(f"D{i}"), date(2024, 1, 1), user="drill")
    assert _figures(restored) == _figures(replay)
    assert _figures(restored)["total"]["firms"] == DRILL_FIRMS
    if k < DRILL_FIRMS:
        assert _figures(restored) != _figures(live)
    for engine in (live, restored, replay):
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_integrity_check_and_an_interrupted_dump(postgres_server, tmp_path):
    from tracker.backup import check_integrity

    engine = get_engine(postgres_server.new_database())
    init_store(engine)
    _populate(engine, "P", 6)
    assert check_integrity(engine) == []  # pg_amcheck
    from tracker.backup import _pg_integrity_by_sql

    assert _pg_integrity_by_sql(engine) == []  # the check by SQL, for a server without it
    with engine.begin() as conn:  # an orphan the foreign keys would refuse, let in by hand
        conn.exec_driver_sql("SET session_replication_role = replica")
        conn.exec_driver_sql("UPDATE chain_membership SET firm_id = 999999 WHERE id = "
                             "(SELECT min(id) FROM chain_membership)")
    assert any("chain_membership.firm_id" in fault for fault in _pg_integrity_by_sql(engine))
    # A dump that fails leaves nothing at PATH (nor a temporary file beside it).
    broken = sa.engine.make_url(engine.url.render_as_string(hide_password=False)).set(
        database="no_such_database")
    with pytest.raises(TrackerError, match="pg_dump"):
        backup(broken.render_as_string(hide_password=False), tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []
    engine.dispose()
