"""Plans as records (tracker.plans, ``tracker plans``): the plan in force, the verdict after
the deadline with its three words, and clear errors for bad input."""

import json
from datetime import date

import pytest

from tests.builders import World
from tracker.cli import run
from tracker.errors import TrackerError
from tracker.plans import add_plan, get_plan, list_plans, plan_in_force
from tracker.verdict import three_months_before, verdict

DEADLINE = date(2025, 12, 31)
AS_OF = date(2026, 6, 30)


@pytest.fixture
def district(world):
    """BIO: A covered throughout; B uncovered on the deadline, covered from 2026-03-01.
    IC: C covered on the deadline, its liaison left 2026-02-01; D enters 2026-05-01 uncovered.

    On the deadline: BIO 1/2 (missed by 1), IC 1/1 (met), district 2/3 (missed by 1).
    On 2026-03-31 (3 months before AS_OF): BIO 2/2, IC 0/1.
    On AS_OF: BIO 2/2 (met), IC 0/2 (below, short 2), district 2/4.
    """
    w: World = world
    w.firm("A", chains=["BIO"], joined="2022-01-01")
    w.firm("B", chains=["BIO"], joined="2022-01-01")
    w.firm("C", chains=["IC"], joined="2022-01-01")
    w.firm("D", chains=["IC"], joined="2026-05-01")
    w.org("O1", founded="2022-01-01")
    w.link("O1", "A")
    w.liaison("王五")
    w.assign("王五", "B", start="2026-03-01")
    w.assign("王五", "C", start="2023-01-01", end="2026-02-01")
    return w


def test_verdict_by_hand(district, engine):
    v = verdict(engine, "红杉林计划", AS_OF)
    assert v.ended and v.days_past_deadline == 181
    d = v.district.as_dict()
    assert (d["firms_at_deadline"], d["covered_at_deadline"], d["result_at_deadline"],
            d["short_at_deadline"]) == (3, 2, "missed", 1)
    assert (d["firms_now"], d["covered_now"], d["standing"], d["short_now"]) == (4, 2, "below", 2)
    assert d["change"] == pytest.approx(2 / 4 - 2 / 3)
    # 3 months before: A, B covered of A B C (D not yet in) -> 2/3; now 2/4: falling.
    assert d["rate_3_months_before"] == pytest.approx(2 / 3) and d["trend"] == "falling"
    chains = {c.key: c.as_dict() for c in v.chains}
    assert chains["BIO"]["result_at_deadline"] == "missed" and chains["BIO"]["standing"] == "met"
    assert chains["BIO"]["trend"] == "flat"  # 2/2 on 2026-03-31 and on AS_OF
    assert chains["IC"]["result_at_deadline"] == "met" and chains["IC"]["standing"] == "below"
    assert chains["IC"]["short_now"] == 2
    # Laggards first: the lowest rate on the as-of date leads.
    assert [c.key for c in v.chains][:2] == ["IC", "BIO"]
    assert v.district.labels("zh") == {"result_at_deadline": "未达标", "standing": "低于目标",
                                       "trend": "下降"}
    assert v.district.labels("en")["standing"] == "below target"


def test_a_running_plan_has_no_deadline_result(district, engine):
    add_plan(engine, "下一轮计划（示例）", date(2026, 1, 1), date(2030, 12, 31), target_rate=0.98,
             org_target_rate=0.9, cover_within_days=60, source="示例", is_example=True)
    v = verdict(engine, "下一轮计划（示例）", AS_OF)
    assert not v.ended and v.days_past_deadline < 0
    assert v.district.result_at_deadline == "pending" and v.district.short_at_deadline is None
    assert v.as_dict()["other_targets"]["org_coverage_rate"]["standing"] == "below"  # 1/4 < 0.9


def test_plan_in_force(engine):
    assert plan_in_force(engine, date(2024, 1, 1)).name == "红杉林计划"
    assert plan_in_force(engine, date(2026, 6, 1)).name == "红杉林计划"  # the last that ended
    add_plan(engine, "二期", date(2026, 7, 1), date(2028, 12, 31))
    assert plan_in_force(engine, date(2026, 6, 30)).name == "红杉林计划"
    assert plan_in_force(engine, date(2026, 7, 1)).name == "二期"
    assert plan_in_force(engine, date(2029, 1, 1)).name == "二期"
    assert plan_in_force(engine, date(2020, 1, 1)).name == "红杉林计划"  # before any: the first
    assert [p.name for p in list_plans(engine)] == ["红杉林计划", "二期"]
    assert get_plan(engine, "二期").cover_within_days == 90


def test_shipped_plan_keeps_its_terms_and_source(engine):
    plan = get_plan(engine, "红杉林计划")
    assert (plan.start, plan.deadline, plan.target_rate, plan.is_default, plan.is_example) == (
        date(2022, 1, 1), DEADLINE, 1.0, True, False)
    assert "红杉林" in plan.source and plan.cover_within_days == 90


@pytest.mark.parametrize("kwargs,message", [
    (dict(name="x", start=date(2026, 1, 1), deadline=date(2025, 1, 1)), "晚于"),
    (dict(name="x", start=date(2026, 1, 1), deadline=date(2026, 1, 1)), "晚于"),
    (dict(name="x", start=date(2026, 1, 1), deadline=date(2027, 1, 1), target_rate=95), "0 与 1"),
    (dict(name="x", start=date(2026, 1, 1), deadline=date(2027, 1, 1), org_target_rate=0), "0 与 1"),
    (dict(name="x", start=date(2026, 1, 1), deadline=date(2027, 1, 1), cover_within_days=-1), "负"),
    (dict(name=" ", start=date(2026, 1, 1), deadline=date(2027, 1, 1)), "名称"),
    (dict(name="红杉林计划", start=date(2026, 1, 1), deadline=date(2027, 1, 1)), "已存在"),
])
def test_bad_plans_are_refused(engine, kwargs, message):
    with pytest.raises(TrackerError, match=message):
        add_plan(engine, **kwargs)
    assert len(list_plans(engine)) == 1


def test_three_months_before():
    assert three_months_before(date(2026, 1, 31)) == date(2025, 10, 31)
    assert three_months_before(date(2024, 5, 31)) == date(2024, 2, 29)


def test_cli_plans(sqlite_url, capsys):
    assert run(["--db", sqlite_url, "init"]) == 0
    capsys.readouterr()
    assert run(["--db", sqlite_url, "plans", "add", "二期示例", "--start", "2026-01-01",
                "--deadline", "2030-12-31", "--target-rate", "0.98", "--org-target-rate", "0.9",
                "--single-unit-target", "0.5", "--cover-within-days", "60", "--source", "示例文本",
                "--example"]) == 0
    capsys.readouterr()
    assert run(["--db", sqlite_url, "plans", "--json"]) == 0
    plans = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in plans] == ["红杉林计划", "二期示例"]
    assert plans[1] == {"name": "二期示例", "name_en": None, "start": "2026-01-01", "deadline": "2030-12-31",
                        "target_rate": 0.98, "org_target_rate": 0.9, "single_unit_target": 0.5,
                        "denominator": "chain_firms", "cover_within_days": 60,
                        "visit_within_days": 90,
                        "source": "示例文本", "is_default": False, "is_example": True}
    assert run(["--db", sqlite_url, "plans", "show", "红杉林计划", "--as-of", "2026-11-27",
                "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ended"] and shown["days_past_deadline"] == 331
    assert set(shown["district"]) >= {"rate_at_deadline", "result_at_deadline", "standing", "trend"}
    assert run(["--db", sqlite_url, "plans", "show", "二期示例"]) == 0
    assert "示例" in capsys.readouterr().out
    # Unknown plan, bad date, deadline before start: one clear line and a non-zero exit.
    assert run(["--db", sqlite_url, "plans", "show", "没有这个"]) == 1
    assert "没有名为“没有这个”的计划" in capsys.readouterr().err
    assert run(["--db", sqlite_url, "plans", "add", "坏", "--start", "2026-13-01",
                "--deadline", "2027-01-01"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert run(["--db", sqlite_url, "plans", "add", "坏", "--start", "2027-01-01",
                "--deadline", "2026-01-01"]) == 1
    assert "应晚于" in capsys.readouterr().err


def test_cli_flow_and_overdue(sqlite_url, capsys):
    from tracker.store import get_engine

    assert run(["--db", sqlite_url, "init"]) == 0
    w = World(get_engine(sqlite_url))
    w.firm("N", chains=["BIO"], joined="2026-01-10")
    capsys.readouterr()
    assert run(["--db", sqlite_url, "flow", "--from", "2025-12-31", "--to", "2026-06-30",
                "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == ["from", "to", "chain", "start", "end", "entered", "entered_covered",
                            "left", "left_covered", "gained", "lost", "time_to_cover", "firms"]
    assert result["firms"] == [{"credit_code": w.code("N"), "change": "entered",
                                "covered_at_end": False}]
    assert run(["--db", sqlite_url, "overdue", "--as-of", "2026-06-30", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["credit_code"], r["days"], r["cause"]) for r in rows] == [(w.code("N"), 171, "entered")]
    assert list(rows[0]) == ["credit_code", "name", "chains", "uncovered_since", "days", "cause",
                             "action"]
    assert rows[0]["action"]  # the planner's proposal for this firm
    assert run(["--db", sqlite_url, "overdue", "--as-of", "2026-06-30", "--days", "200",
                "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run(["--db", sqlite_url, "flow", "--from", "2026-06-30", "--to", "2025-12-31"]) == 1
    assert run(["--db", sqlite_url, "flow", "--from", "2025-12-31", "--to", "2026-06-30",
                "--chain", "NOPE"]) != 0
    assert run(["--db", sqlite_url, "overdue", "--days", "-3"]) == 2
