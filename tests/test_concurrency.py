"""Two staff editing the same record: the second save is refused, never a silent overwrite.

Each editor has its own engine (its own connections), as two dashboard processes would;
the "simultaneous" cases run the second editor in a separate OS process that saves while
the first one's transaction is still open. On SQLite (WAL, busy timeout) and on the real
PostgreSQL server.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, select

from tracker import auth, edits
from tracker.audit import entries
from tracker.edits import ConflictError
from tracker.model import Firm, Liaison, PartyOrg
from tracker.store import _sqlite_pragmas

CODE = "91350100M000100Y43"


def _own_engine(url: str):
    """A separate engine on the same store: another member of staff, another pool."""
    other = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):
        event.listen(other, "connect", _sqlite_pragmas)
    return other


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _seed(engine):
    edits.add_firm(engine, CODE, "原名称有限公司", park="广州科学城", user="seed")
    edits.found_org(engine, "ORG1", "某某党支部", date(2023, 1, 1), user="seed", member_count=3)
    edits.assign_liaison(engine, "张联络", "区工信局", CODE, date(2023, 1, 1), user="seed")


def _version(engine, table, **where) -> int:
    with Session(engine) as s:
        row = s.exec(select(table).filter_by(**where)).one()
        return row.version


SAVES = {
    # entity: (table and key, save(engine, expected_version, value, user), read value)
    "firm": ((Firm, {"credit_code": CODE}),
             lambda e, v, value, user: edits.update_firm(e, CODE, expected_version=v, name=value,
                                                         user=user, source="test"),
             lambda e: _one(e, Firm, credit_code=CODE).name),
    "org": ((PartyOrg, {"code": "ORG1"}),
            lambda e, v, value, user: edits.update_org(e, "ORG1", expected_version=v, name=value,
                                                       user=user, source="test"),
            lambda e: _one(e, PartyOrg, code="ORG1").name),
    "liaison": ((Liaison, {"name": "张联络"}),
                lambda e, v, value, user: edits.update_liaison(
                    e, "张联络", "区工信局", role=value, expected_version=v, user=user, source="test"),
                lambda e: _one(e, Liaison, name="张联络").role),
}
VALUES = {"firm": ("甲改的名称", "乙改的名称"), "org": ("甲改的支部", "乙改的支部"),
          "liaison": ("instructor", "liaison")}


def _one(engine, table, **where):
    with Session(engine) as s:
        return s.exec(select(table).filter_by(**where)).one()


@pytest.mark.parametrize("entity", ["firm", "org", "liaison"])
def test_a_stale_second_save_is_refused(engine, entity):
    _seed(engine)
    (table, key), save, read = SAVES[entity]
    first, second = VALUES[entity]
    staff_a, staff_b = engine, _own_engine(_url(engine))
    try:
        seen_a = _version(staff_a, table, **key)
        seen_b = _version(staff_b, table, **key)  # both open the record at the same version
        save(staff_a, seen_a, first, "甲")
        with pytest.raises(ConflictError, match="已被他人修改.*请刷新后重试"):
            save(staff_b, seen_b, second, "乙")
        assert read(staff_b) == first
        assert _version(staff_b, table, **key) == seen_a + 1
        # Re-reading and saving again is how the second editor goes on.
        save(staff_b, _version(staff_b, table, **key), second, "乙")
        assert read(staff_a) == second
    finally:
        staff_b.dispose()
    updates = [e for e in entries(engine) if e["action"].endswith(".update")]
    assert [e["user"] for e in updates] == ["甲", "乙"]


def _second_editor(url, entity, expected, value, ready, result):
    """Run in a separate process: wait for the first editor to be mid-save, then save."""
    engine = _own_engine(url)
    _, save, _ = SAVES[entity]
    ready.wait(30)
    try:
        save(engine, expected, value, "乙")
        result.put(("saved", ""))
    except ConflictError as exc:
        result.put(("refused", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the test process as text
        result.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


# A version compared in Python after the SELECT is not enough: a save that read before the
# other one committed passes the check and overwrites it (this test caught that on SQLite
# and PostgreSQL). tracker/edits.py now writes ``UPDATE ... WHERE id = :id AND version =
# :read`` and requires exactly one row.
@pytest.mark.parametrize("entity", ["firm", "org", "liaison"])
def test_simultaneous_saves_one_is_refused(engine, entity):
    """Both editors read version v; the first is saving (transaction open) when the second
    saves with v. The second must be refused once the first commits, not overwrite it."""
    _seed(engine)
    (table, key), save, read = SAVES[entity]
    first, second = VALUES[entity]
    seen = _version(engine, table, **key)
    context = multiprocessing.get_context("fork")
    ready, result = context.Event(), context.Queue()
    engine.dispose()  # no pooled connection crosses the fork
    other = context.Process(target=_second_editor,
                            args=(_url(engine), entity, seen, second, ready, result))
    other.start()
    try:
        with Session(engine) as session_a:
            save(session_a, seen, first, "甲")  # flushed: row written, not yet committed
            ready.set()
            time.sleep(1.5)  # the second editor is now reading and waiting for the lock
            session_a.commit()
        outcome, message = result.get(timeout=60)
    finally:
        other.join(60)
    assert outcome == "refused", (outcome, message)
    assert "已被他人修改" in message
    assert read(engine) == first
    assert _version(engine, table, **key) == seen + 1
    updates = [e for e in entries(engine) if e["action"].endswith(".update")]
    assert [e["user"] for e in updates] == ["甲"]


def test_audit_entries_carry_the_logged_in_user(sqlite_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("TRACKER_ARGON2_PARALLELISM", "1")
    _seed(sqlite_engine)
    auth.add_user(sqlite_engine, "li_editor", "editor", "long enough pw", areas=["广州科学城"])
    login = auth.authenticate(sqlite_engine, "li_editor", "long enough pw")
    user = auth.resume(sqlite_engine, login.token)
    assert auth.can_edit(user, firm=CODE, engine=sqlite_engine)
    edits.update_firm(sqlite_engine, CODE, expected_version=1, formal_members=4,
                      user=user.name, source="page:firms")
    last = entries(sqlite_engine)[-1]
    assert (last["action"], last["user"], last["source"]) == ("firm.update", "li_editor", "page:firms")
