"""The audit log: who, when, what, before/after, source; `tracker log`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from tracker import edits
from tracker.audit import entries, record
from tracker.cli import run


def test_record_and_read_back(engine):
    with engine.begin() as conn:
        record(conn, action="firm.add", entity="firm", key="K1", before=None,
               after={"name": "甲", "joined": date(2024, 1, 1)}, kind="import", user="王",
               source="台账.xlsx#企业!5", effective=date(2024, 1, 1))
    [entry] = entries(engine)
    assert entry["after"] == {"name": "甲", "joined": "2024-01-01"}
    assert entry["before"] is None and entry["source"] == "台账.xlsx#企业!5"
    assert entry["user"] == "王" and entry["kind"] == "import"
    now = datetime.now(timezone.utc)
    assert abs(entry["at"] - now) < timedelta(minutes=5)
    with pytest.raises(ValueError, match="未知的记录类型"):
        with engine.begin() as conn:
            record(conn, action="x", entity="x", key="x", before=None, after=None, kind="delete",
                   user="u", source=None)


def test_filters_since_and_limit(engine):
    for i in range(3):
        edits.add_firm(engine, _code(i), f"企业{i}", user=f"u{i}")
    assert len(entries(engine)) == 3
    assert len(entries(engine, since=date.today() + timedelta(days=1))) == 0
    assert len(entries(engine, since=date.today() - timedelta(days=1))) == 3
    assert [e["user"] for e in entries(engine, limit=2)] == ["u1", "u2"]
    assert len(entries(engine, entity="firm", key=_code(1))) == 1


def _code(i: int) -> str:
    from tracker import uscc

    return uscc.make(f"91440112{i:09d}")


def test_tracker_log_command(sqlite_url, sqlite_engine, capsys):
    edits.add_firm(sqlite_engine, _code(1), "甲", user="王")
    edits.update_firm(sqlite_engine, _code(1), name="乙", user="李", source="pages/firms")
    capsys.readouterr()
    assert run(["--db", sqlite_url, "log", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["action"] for d in data] == ["firm.add", "firm.update"]
    assert data[1]["before"] == {"name": "甲", "version": 1}
    assert data[1]["after"] == {"name": "乙", "version": 2}
    assert data[1]["source"] == "pages/firms" and data[1]["user"] == "李"
    assert run(["--db", sqlite_url, "log"]) == 0
    out = capsys.readouterr().out
    assert "firm.update" in out and "李" in out
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert run(["--db", sqlite_url, "log", "--since", tomorrow, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run(["--db", sqlite_url, "log", "--since", "昨天"]) != 0
