"""Faults as a user meets them (issue 19): the error boundary around every page and a
database outage on SQLite, driven with ``AppTest``; the outage kinds told apart; the
structured server log.

A page that raises shows a short message with an incident number and no traceback; the
log has the traceback under that number and neither the exception's message nor a
password. A store locked by another writer shows the outage banner, refuses an edit
without writing half of it, and the next run after the lock is released works again.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
import sqlalchemy as sa

from tests.builders import checksum
from tests.test_app import (  # noqa: F401
    ADMIN,
    AS_OF,
    assert_clean,
    cheap_argon2,
    district,
    open_app,
    templates,
)
from tracker import edits, logs
from tracker.errors import TrackerError
from tracker.store import StoreError, get_engine, is_initialised, outage_message, outage_reason

INCIDENT = re.compile(r"\b20\d{6}-[0-9a-f]{6}\b")
# What must never be on a page: Python's traceback and the names of what runs underneath.
LEAKS = ("Traceback", 'File "/', "psycopg", "sqlite3", "sqlalchemy", ".py", "OperationalError")


def _texts(at) -> str:
    """Every text the page shows (messages, markdown, captions, exceptions)."""
    parts = []
    for kind in ("error", "warning", "info", "markdown", "caption", "exception", "title",
                 "header", "subheader", "text"):
        for element in getattr(at, kind):
            value = element.value
            parts.append(value if isinstance(value, str) else repr(value))
    return "\n".join(parts)


def _log_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    path = tmp_path / "logs" / "redwood.log"
    monkeypatch.setenv("TRACKER_LOG_FILE", str(path))
    monkeypatch.delenv("TRACKER_DEBUG", raising=False)
    return path


def test_a_page_that_raises_shows_an_incident_number_and_no_traceback(district, monkeypatch,
                                                                         log_file):
    _, url = district
    from tracker.dashboard import page

    # The message is data, as a member's name in a real error would be: the traceback's
    # lines are the raising frames' code (`raise RuntimeError(secret)`), not the data.
    secret = "secret: 张三 redwood-demo /srv/app/tracker/x.py"

    def broken(ctx):
        raise RuntimeError(secret)

    monkeypatch.setattr(page, "footer", broken)
    at = open_app(url, monkeypatch, as_of=AS_OF)
    assert not at.exception, [e.value for e in at.exception]
    shown = _texts(at)
    for leak in LEAKS + ("张三", "redwood-demo", "RuntimeError", "secret"):
        assert leak not in shown, leak
    (message,) = [e.value for e in at.error]
    assert "事件编号" in message
    incident = INCIDENT.search(message).group(0)
    # The figures drawn before the fault are still there: the boundary is around the page.
    assert at.metric

    lines = _log_lines(log_file)
    (error,) = [line for line in lines if line["event"] == "error"]
    assert error["incident"] == incident and error["user"] == ADMIN[0]
    assert error["page"] == "overview" and error["error"] == "builtins.RuntimeError"
    assert "Traceback" not in error["traceback"] and "in broken" in error["traceback"]
    assert list(error)[:7] == ["time", "level", "event", "user", "page", "duration_ms", "incident"]
    raw = log_file.read_text(encoding="utf-8")
    for secret in ("张三", "redwood-demo", ADMIN[1]):  # no message text, no password
        assert secret not in raw
    views = [line for line in lines if line["event"] == "page"]
    assert views[-1]["incident"] == incident and views[-1]["duration_ms"] >= 0


def test_english_message_and_developer_details_with_tracker_debug(district, monkeypatch,
                                                                   log_file):
    _, url = district
    from tracker.dashboard import page

    monkeypatch.setattr(page, "footer", lambda ctx: 1 / 0)
    at = open_app(url, monkeypatch, as_of=AS_OF, lang="English")
    (message,) = [e.value for e in at.error]
    assert message.startswith("Sorry") and INCIDENT.search(message)
    assert not at.exception

    monkeypatch.setenv("TRACKER_DEBUG", "1")
    at.run()
    assert at.exception and at.exception[0].value == "division by zero"
    assert any("1 / 0" in line for line in at.exception[0].stack_trace)


def test_page_views_are_logged_without_errors(district, monkeypatch, log_file):
    _, url = district
    at = open_app(url, monkeypatch, as_of=AS_OF)
    at.run()
    assert_clean(at)
    lines = _log_lines(log_file)
    assert len(lines) == 2 and {line["page"] for line in lines} == {"overview"}
    assert all(line["event"] == "page" and line["incident"] is None for line in lines)
    assert all(line["user"] == ADMIN[0] for line in lines)


def _lock(path) -> sqlite3.Connection:
    """Another process's writer holding the file: an exclusive lock that WAL readers
    cannot pass either."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE chain SET code = code WHERE 1 = 0")
    return holder


def test_a_locked_store_shows_the_outage_banner_and_recovers(district, monkeypatch, log_file,
                                                             tmp_path):
    world, url = district
    # A store of its own: its engine is made after the short busy wait is set.
    path = tmp_path / "locked.db"
    shutil.copy(url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_SQLITE_BUSY_MS", "200")
    at = open_app(url, monkeypatch, as_of=AS_OF)
    assert_clean(at)
    engine = get_engine(url)
    before = checksum(engine)

    engine.dispose()  # WAL readers pass a writer: only a lock taken alone stops them
    holder = _lock(path)
    try:
        at.run()
        assert not at.exception
        shown = _texts(at)
        for leak in LEAKS:
            assert leak not in shown, leak
        assert outage_message("locked", "zh") in shown
        assert "没有写入任何内容" in shown and INCIDENT.search(shown)
        errors = [line for line in _log_lines(log_file) if line["event"] == "error"]
        assert errors and errors[-1]["outage"] == "locked"

        # An edit while the store is out is refused whole.
        with pytest.raises((TrackerError, sa.exc.OperationalError)):
            edits.update_firm(engine, world.code("A"), formal_members=9, user="boss")
        with pytest.raises(StoreError) as caught:
            is_initialised(engine)
        assert caught.value.reason == "locked" and "database is locked" in caught.value.detail
        assert "database is locked" not in str(caught.value)
    finally:
        holder.close()

    at.run()  # the lock is gone: the next run works without a restart
    assert_clean(at)
    assert at.metric
    assert checksum(engine) == before


def test_outage_kinds():
    def sqlite_error(name, text):
        err = sqlite3.OperationalError(text)
        err.sqlite_errorname = name
        return sa.exc.OperationalError("SELECT 1", {}, err)

    assert outage_reason(sqlite_error("SQLITE_BUSY", "database is locked")) == "locked"
    assert outage_reason(sqlite_error("SQLITE_FULL", "database or disk is full")) == "full"
    assert outage_reason(sqlite_error("SQLITE_IOERR_WRITE", "disk I/O error")) == "io"
    assert outage_reason(sqlite_error("SQLITE_READONLY", "readonly database")) == "readonly"
    assert outage_reason(sqlite_error("SQLITE_ERROR", "no such table: x")) is None
    assert outage_reason(ValueError("x")) is None
    # Looked for along the causes: a user error raised from an outage is an outage.
    try:
        try:
            raise sqlite_error("SQLITE_FULL", "database or disk is full")
        except sa.exc.OperationalError as exc:
            raise TrackerError("导入失败") from exc
    except TrackerError as exc:
        assert outage_reason(exc) == "full"


def test_outage_kinds_of_postgresql():
    import psycopg
    from psycopg import errors

    refused = psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", '
                                       "port 5432 failed: Connection refused")
    assert outage_reason(refused) == "unreachable"
    assert outage_reason(psycopg.OperationalError(
        'connection failed: FATAL:  password authentication failed for user "x"')) == "config"
    assert outage_reason(errors.AdminShutdown("terminating connection")) == "lost"
    assert outage_reason(errors.DiskFull("could not extend file")) == "full"
    assert outage_reason(errors.UniqueViolation("duplicate key")) is None


def test_log_rotates_and_its_place_is_configurable(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_LOG_FILE", raising=False)
    monkeypatch.setenv("TRACKER_LOG_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRACKER_LOG_MAX_BYTES", "2000")
    monkeypatch.setenv("TRACKER_LOG_BACKUPS", "2")
    assert logs.log_file() == tmp_path / "var" / "redwood.log"
    for i in range(60):
        logs.page_view(user="wang", page="chain", duration_ms=i)
    files = sorted(p.name for p in (tmp_path / "var").iterdir())
    assert files == ["redwood.log", "redwood.log.1", "redwood.log.2"]
    for name in files:
        for line in (tmp_path / "var" / name).read_text(encoding="utf-8").splitlines():
            assert json.loads(line)["event"] == "page"


@pytest.mark.postgres
def test_a_connection_killed_by_the_server_is_replaced(postgres_server):
    """The server ends the store's pooled connections (an administrator, an idle timeout, a
    fail-over): the next use gets a fresh one (pool_pre_ping), no error reaches anyone."""
    url = postgres_server.new_database()
    engine = get_engine(url)
    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = get_engine(postgres_server.url)
    with admin.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    admin.dispose()
    engine.dispose()


def test_a_server_that_is_down_is_retried_briefly_then_reported(monkeypatch):
    """New connections are retried with backoff within TRACKER_DB_RETRY_SECONDS, then the
    outage is reported as one (StoreError with its reason, the driver's text kept aside)."""
    import psycopg

    from tracker.bench.pgserver import free_port

    monkeypatch.setenv("TRACKER_DB_RETRY_SECONDS", "1")
    attempts = []
    real = psycopg.connect

    def counted(*args, **kwargs):
        attempts.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counted)
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/redwood"
    engine = get_engine(url)
    with pytest.raises(StoreError) as caught:
        is_initialised(engine)
    assert caught.value.reason == "unreachable" and len(attempts) >= 3
    assert "Connection refused" in caught.value.detail and "refused" not in str(caught.value)
    assert str(caught.value).startswith("无法连接数据库")
    from tracker.store import ping

    attempts.clear()
    assert ping(engine) is False and len(attempts) == 1  # the banner's check: one attempt
    engine.dispose()


def test_streamlit_stop_and_rerun_pass_through_the_boundary(log_file):
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from tracker.dashboard.guard import boundary

        with boundary("probe"):
            st.markdown("before")
            if not st.session_state.get("again"):
                st.session_state["again"] = True
                st.rerun()
            st.stop()
            st.markdown("after the stop")  # never drawn

    at = AppTest.from_function(script).run()
    assert not at.error and not at.exception
    assert [m.value for m in at.markdown] == ["before"] and at.session_state["again"]
    lines = _log_lines(log_file)
    assert [line["event"] for line in lines] == ["page", "page"]  # the rerun and the stopped run
    assert all(line["incident"] is None and line["page"] == "probe" for line in lines)
