"""Edits with history: effective dates, time travel, corrections, optimistic versions."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from tracker import edits
from tracker.audit import entries
from tracker.cli import run
from tracker.coverage import coverage
from tracker.errors import TrackerError

D = date


def totals(engine, on):
    t = coverage(engine, on).total
    return t.firms, t.org_covered, t.work_covered


def test_time_travel_through_a_history_of_edits(engine, world):
    a = world.code("A")
    edits.add_firm(engine, a, "甲公司", formal_members=4)
    edits.join_chain(engine, a, "BIO", D(2022, 1, 1))
    edits.found_org(engine, "O-1", "甲支部", D(2022, 6, 1), formation="单独组建", member_count=4)
    edits.link(engine, "O-1", a, D(2022, 6, 1))
    edits.assign_liaison(engine, "张三", "区工信局", a, D(2022, 3, 1))
    edits.end_liaison(engine, "张三", "区工信局", a, D(2022, 9, 1))
    edits.dissolve_org(engine, "O-1", D(2023, 6, 1))
    edits.leave_chain(engine, a, "生物技术", D(2024, 1, 1))
    assert totals(engine, D(2021, 12, 31)) == (0, 0, 0)
    assert totals(engine, D(2022, 4, 1)) == (1, 0, 1)
    assert totals(engine, D(2022, 7, 1)) == (1, 1, 0)
    assert totals(engine, D(2023, 7, 1)) == (1, 0, 0)  # organisation dissolved
    assert totals(engine, D(2024, 1, 1)) == (0, 0, 0)  # left the chain: not deleted
    assert totals(engine, D(2023, 12, 31)) == (1, 0, 0)
    log = entries(engine)
    assert [e["action"] for e in log] == [
        "firm.add", "membership.join", "org.found", "link.add", "liaison.add", "liaison.assign",
        "liaison.end", "org.dissolve", "membership.leave"]
    assert all(e["kind"] == "edit" and e["user"] == "cli" for e in log)
    assert log[-1]["effective"] == D(2024, 1, 1)
    assert log[-1]["before"] == {"left": None} and log[-1]["after"]["left"] == "2024-01-01"


def test_ordinary_edits_never_rewrite_the_past(engine, world):
    a = world.firm("A", chains=["BIO"], joined="2022-01-01", left="2023-01-01")
    with pytest.raises(TrackerError, match="没有正在进行"):
        edits.leave_chain(engine, a, "BIO", D(2023, 6, 1))  # already left
    with pytest.raises(TrackerError, match="重叠"):
        edits.join_chain(engine, a, "BIO", D(2022, 6, 1))  # inside the recorded period
    edits.join_chain(engine, a, "BIO", D(2024, 1, 1))  # a second period
    assert totals(engine, D(2023, 6, 1))[0] == 0 and totals(engine, D(2024, 6, 1))[0] == 1
    with pytest.raises(TrackerError, match="没有正在进行"):
        edits.leave_chain(engine, a, "BIO", D(2023, 12, 1))  # before the open period began
    with pytest.raises(TrackerError, match="不晚于"):
        edits.leave_chain(engine, a, "BIO", D(2023, 12, 1), correct=True)


def test_correction_changes_a_past_fact_and_is_recorded_as_such(engine, world):
    a = world.firm("A", chains=["BIO"], joined="2022-01-01")
    world.org("O-1", founded="2022-01-01")
    world.link("O-1", "A", start="2023-01-01")
    assert totals(engine, D(2022, 6, 1)) == (1, 0, 0)
    edits.link(engine, "O-1", a, D(2022, 5, 1), correct=True, user="王")
    assert totals(engine, D(2022, 6, 1)) == (1, 1, 0)
    edits.found_org(engine, "O-1", "", D(2022, 3, 1), correct=True)
    last = entries(engine, kind="correction")
    assert [e["action"] for e in last] == ["link.add", "org.found"]
    assert last[0]["before"] == {"start": "2023-01-01"} and last[0]["user"] == "王"
    assert last[1]["before"]["founded"] == "2022-01-01" and last[1]["after"]["founded"] == "2022-03-01"
    with pytest.raises(TrackerError, match="没有可更正"):
        edits.unlink(engine, "O-1", world.firm("B"), D(2024, 1, 1), correct=True)


def test_optimistic_versions(engine):
    code = "91350100M000100Y43"
    assert edits.add_firm(engine, code, "甲")["version"] == 1
    assert edits.update_firm(engine, code, expected_version=1, name="甲二")["version"] == 2
    with pytest.raises(edits.ConflictError, match="该记录已被他人修改"):
        edits.update_firm(engine, code, expected_version=1, name="甲三")
    assert edits.update_firm(engine, code, formal_members=3)["version"] == 3
    # An update that changes nothing bumps nothing and logs nothing.
    n = len(entries(engine))
    assert edits.update_firm(engine, code, formal_members=3)["version"] == 3
    assert len(entries(engine)) == n
    edits.found_org(engine, "O-1", "支部", D(2024, 1, 1))
    assert edits.update_org(engine, "O-1", expected_version=1, member_count=7)["version"] == 2
    with pytest.raises(edits.ConflictError):
        edits.dissolve_org(engine, "O-1", D(2025, 1, 1), expected_version=1)
    edits.assign_liaison(engine, "李四", "区委组织部", code, D(2024, 1, 1))
    assert edits.update_liaison(engine, "李四", "区委组织部", role="指导员", expected_version=1)["version"] == 2
    with pytest.raises(edits.ConflictError):
        edits.update_liaison(engine, "李四", "区委组织部", role="联络员", expected_version=1)


def test_edit_refusals(engine):
    with pytest.raises(TrackerError, match="校验位错误"):
        edits.add_firm(engine, "91350100M000100Y44", "甲")
    edits.add_firm(engine, "91350100M000100Y43", "甲")
    with pytest.raises(TrackerError, match="已存在"):
        edits.add_firm(engine, "９１３５０１００Ｍ０００１００Ｙ４３", "甲")
    with pytest.raises(TrackerError, match="未知的产业链"):
        edits.join_chain(engine, "91350100M000100Y43", "NOPE", D(2024, 1, 1))
    with pytest.raises(TrackerError, match="负数"):
        edits.update_firm(engine, "91350100M000100Y43", formal_members=-1)
    edits.found_org(engine, "P", "上级", D(2024, 1, 1))
    edits.found_org(engine, "C", "下级", D(2024, 1, 1), parent="P")
    with pytest.raises(TrackerError, match="循环"):
        edits.update_org(engine, "P", parent="C")
    with pytest.raises(TrackerError, match="党组织不存在"):
        edits.link(engine, "X", "91350100M000100Y43", D(2024, 1, 1))


def test_edits_join_the_callers_session(engine):
    with Session(engine) as session:
        edits.add_firm(session, "91350100M000100Y43", "甲")
        edits.join_chain(session, "91350100M000100Y43", "BIO", D(2024, 1, 1))
        session.rollback()  # the caller decides: nothing stays
    assert entries(engine) == [] and totals(engine, D(2024, 6, 1))[0] == 0


def test_cli_edit_commands(sqlite_url, sqlite_engine, capsys):
    code = "91350100M000100Y43"
    db = ["--db", sqlite_url]
    assert run(db + ["firm", "add", code, "甲公司", "--formal", "3", "--user", "王"]) == 0
    assert run(db + ["membership", "join", code, "BIO", "--date", "2024-01-01"]) == 0
    assert run(db + ["org", "found", "O-1", "甲支部", "--date", "2024-02-01"]) == 0
    assert run(db + ["link", "add", "O-1", code, "--date", "2024-02-01"]) == 0
    assert run(db + ["liaison", "assign", "张三", "区工信局", code, "--date", "2024-01-15"]) == 0
    assert run(db + ["liaison", "end", "张三", "区工信局", code, "--date", "2024-03-01"]) == 0
    assert run(db + ["link", "end", "O-1", code, "--date", "2024-05-01"]) == 0
    assert run(db + ["org", "dissolve", "O-1", "--date", "2024-06-01"]) == 0
    assert run(db + ["membership", "leave", code, "BIO", "--date", "2024-07-01"]) == 0
    assert run(db + ["membership", "leave", code, "BIO", "--date", "2024-08-01", "--correction"]) == 0
    assert run(db + ["firm", "update", code, "--formal", "5", "--expected-version", "1"]) == 0
    assert run(db + ["firm", "update", code, "--formal", "6", "--expected-version", "1"]) == 1
    assert "该记录已被他人修改" in capsys.readouterr().err
    assert totals(sqlite_engine, D(2024, 2, 15)) == (1, 1, 0)
    assert totals(sqlite_engine, D(2024, 7, 15)) == (1, 0, 0)
    assert totals(sqlite_engine, D(2024, 8, 1)) == (0, 0, 0)
    kinds = [e["kind"] for e in entries(sqlite_engine)]
    assert kinds.count("correction") == 1 and len(kinds) == 12
