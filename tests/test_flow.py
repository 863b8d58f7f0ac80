"""The flow between two dates, time to cover and the overdue queue (tracker.flow).

A hand-built district whose figures were computed by hand (the comments say how), on
SQLite and PostgreSQL, and property tests: the flow identity holds and the flow's two
ends equal two ``coverage`` calls on random districts; the columnar functions equal the
per-firm reference model (``tests/flow_model.py``) on random districts, and the columnar
runs (:class:`tracker.flow.RunSet`) equal the model's per-firm runs on random intervals.
"""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import flow_model
from tests.builders import fresh_world
from tests.flow_model import Runs
from tests.test_coverage import model_firm
from tracker.coverage import coverage, firm_status
from tracker.errors import TrackerError
from tracker.flow import RunSet, flow, losses, overdue, read_timeline, time_to_cover_by_month
from tracker.intervals import NO_DATE
from tracker.scope import Scope

D1 = date(2025, 12, 31)
D2 = date(2026, 6, 30)


@pytest.fixture
def district(world):
    """Ten firms between D1 = 2025-12-31 and D2 = 2026-06-30 (status on D1 -> on D2).

    A  BIO since 2022, own branch O1                          covered -> covered
    B  BIO from 2026-02-01, liaison from 2026-03-03           entered, covered after 30 days
    C  IC from 2026-01-10, nothing                            entered, uncovered 171 days
    D  IC since 2022, branch O2 dissolved 2026-04-01          covered -> lost (90 days)
    E  BIO 2022 until 2026-03-01, liaison since 2023          left while covered
    F  BIO since 2022, liaison from 2026-05-01                uncovered -> gained
    G  AUTO from 2026-06-01, linked to O3 from 2026-06-01     entered, covered on day 0
    H  BIO since 2022, liaison until 2026-06-15               covered -> lost (15 days)
    I  BIO from 2026-03-01, liaison 2026-03-11..2026-04-01    entered, covered after 10 days,
                                                              uncovered again for 90 days
    J  BIO 2022 until 2026-01-01, again from 2026-02-15       in P on both dates, uncovered;
                                                              its current stay began 2026-02-15
    """
    w = world
    w.firm("A", chains=["BIO"], joined="2022-01-01")
    w.firm("B", chains=["BIO"], joined="2026-02-01")
    w.firm("C", chains=["IC"], joined="2026-01-10")
    w.firm("D", chains=["IC"], joined="2022-01-01")
    w.firm("E", chains=["BIO"], joined="2022-01-01", left="2026-03-01")
    w.firm("F", chains=["BIO"], joined="2022-01-01")
    w.firm("G", chains=["AUTO"], joined="2026-06-01")
    w.firm("H", chains=["BIO"], joined="2022-01-01")
    w.firm("I", chains=["BIO"], joined="2026-03-01")
    w.firm("J", chains=["BIO"], joined="2022-01-01", left="2026-01-01")
    w.join("J", "BIO", joined="2026-02-15")
    w.org("O1", founded="2022-06-01")
    w.org("O2", founded="2022-01-01", dissolved="2026-04-01")
    w.org("O3", founded="2024-01-01")
    w.link("O1", "A")
    w.link("O2", "D")
    w.link("O3", "G", start="2026-06-01")
    w.liaison("张三")
    w.assign("张三", "B", start="2026-03-03")
    w.assign("张三", "E", start="2023-01-01")
    w.assign("张三", "F", start="2026-05-01")
    w.assign("张三", "H", start="2023-01-01", end="2026-06-15")
    w.assign("张三", "I", start="2026-03-11", end="2026-04-01")
    return w


def test_flow_by_hand(district, engine):
    result = flow(engine, D1, D2).as_dict()
    # P(D1) = A D E F H J, covered A D E H; P(D2) = A B C D F G H I J, covered A B F G.
    assert result["start"] == {"firms": 6, "covered": 4, "uncovered": 2}
    assert result["end"] == {"firms": 9, "covered": 4, "uncovered": 5}
    assert (result["entered"], result["entered_covered"]) == (4, 2)  # B C G I; B G covered
    assert (result["left"], result["left_covered"]) == (1, 1)  # E
    assert (result["gained"], result["lost"]) == (1, 2)  # F; D H
    start, end = result["start"]["covered"], result["end"]["covered"]
    assert end == (start - result["left_covered"] + result["entered_covered"]
                   + result["gained"] - result["lost"])
    # Entered in (D1, D2]: B C G I J (J's current stay began 2026-02-15). Covered: B after
    # 30 days, G after 0, I after 10: median 10; nearest rank ceil(0.9 * 3) = 3rd: 30.
    assert result["time_to_cover"] == {"entered": 5, "covered": 3, "median_days": 10,
                                       "p90_days": 30}
    w = district
    changes = {row["credit_code"]: (row["change"], row["covered_at_end"]) for row in result["firms"]}
    assert changes == {w.code("B"): ("entered", True), w.code("C"): ("entered", False),
                       w.code("G"): ("entered", True), w.code("I"): ("entered", False),
                       w.code("E"): ("left", False), w.code("F"): ("gained", True),
                       w.code("D"): ("lost", False), w.code("H"): ("lost", False)}
    assert [r["change"] for r in result["firms"]] == sorted(
        (r["change"] for r in result["firms"]), key=["entered", "left", "gained", "lost"].index)


def test_flow_of_one_chain(district, engine):
    result = flow(engine, D1, D2, chain="ic").as_dict()
    assert result["chain"] == "IC"
    assert result["start"] == {"firms": 1, "covered": 1, "uncovered": 0}  # D
    assert result["end"] == {"firms": 2, "covered": 0, "uncovered": 2}  # C D
    assert (result["entered"], result["lost"], result["gained"]) == (1, 1, 0)
    assert result["time_to_cover"] == {"entered": 1, "covered": 0, "median_days": None,
                                       "p90_days": None}


def test_overdue_by_hand(district, engine):
    w = district
    rows = [r.as_dict() for r in overdue(engine, D2, days=90)]
    # C uncovered since it entered (171 days), J since its new stay began (135 days). D and I
    # have waited exactly 90 days: not more than 90, so not yet overdue.
    assert [(r["credit_code"], r["uncovered_since"], r["days"], r["cause"]) for r in rows] == [
        (w.code("C"), "2026-01-10", 171, "entered"),
        (w.code("J"), "2026-02-15", 135, "entered"),
    ]
    assert rows[0]["chains"] == ["IC"] and rows[0]["name"] == "测试企业C"
    longer = [(r.credit_code, r.days, r.cause) for r in overdue(engine, D2, days=60)]
    assert longer[:2] == [(w.code("C"), 171, "entered"), (w.code("J"), 135, "entered")]
    # D lost its organisation, I its liaison: both 90 days, listed by credit code.
    assert sorted(longer[2:]) == sorted([(w.code("D"), 90, "lost"), (w.code("I"), 90, "lost")])
    # H lost its liaison 15 days before D2: caught at once with a short window.
    assert (w.code("H"), 15, "lost") in [(r.credit_code, r.days, r.cause)
                                         for r in overdue(engine, D2, days=0)]
    assert [r.credit_code for r in overdue(engine, D2, days=90, chain="BIO")] == [w.code("J")]


def test_time_to_cover_by_month_by_hand(district, engine):
    rows = {(r["key"], r["month"]): (r["entered"], r["covered"], r["median_days"], r["p90_days"])
            for r in time_to_cover_by_month(engine, date(2026, 1, 1), D2)}
    # District entries: C 01-10 (never covered), B 02-01 (30 days), J 02-15 (never), I 03-01
    # (10 days), G 06-01 (same day). Per chain, each in its own chain.
    assert {k: v for k, v in rows.items() if k[0] == "*"} == {
        ("*", "2026-01"): (1, 0, None, None), ("*", "2026-02"): (2, 1, 30, 30),
        ("*", "2026-03"): (1, 1, 10, 10), ("*", "2026-06"): (1, 1, 0, 0)}
    assert rows[("BIO", "2026-02")] == (2, 1, 30, 30) and rows[("IC", "2026-01")] == (1, 0, None, None)
    assert rows[("AUTO", "2026-06")] == (1, 1, 0, 0) and ("AUTO", "2026-01") not in rows


def test_losses_name_what_ended(district, engine):
    w = district
    found = {loss.credit_code: loss.as_dict()["ended"] for loss in losses(engine, D1, D2)}
    assert found == {
        w.code("D"): [{"kind": "org_dissolved", "on": "2026-04-01", "org": "O2",
                       "org_name": "O2党组织"}],
        w.code("H"): [{"kind": "assignment_ended", "on": "2026-06-15", "liaison": "张三",
                       "unit": "区工业和信息化局"}],
    }
    assert [loss.credit_code for loss in losses(engine, D1, D2, chain="IC")] == [w.code("D")]


def test_bad_input_is_a_clear_error(district, engine):
    with pytest.raises(TrackerError, match="早于"):
        flow(engine, D2, D1)
    with pytest.raises(TrackerError, match="产业链"):
        flow(engine, D1, D2, chain="NOPE")
    with pytest.raises(TrackerError, match="负"):
        overdue(engine, D2, days=-1)


def test_runs_merge_and_subtract():
    runs = Runs([(5, 9), (1, 3), (3, 4), (8, 12)])
    assert runs.spans == [(1, 4), (5, 12)]
    assert runs.first_from(4, 20) == 5 and runs.first_from(4, 4) is None
    assert runs.minus(Runs([(0, 2), (6, 7), (11, 30)])).spans == [(2, 4), (5, 6), (7, 11)]


# ------------------------------------------------------- property: flow == two coverage calls

day = st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 31))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(model_firm, min_size=0, max_size=8), d1=day, d2=day,
       chain=st.sampled_from([None, "BIO", "IC"]))
def test_flow_agrees_with_coverage(sqlite_engine, firms, d1, d2, chain):
    engine = sqlite_engine
    d1, d2 = min(d1, d2), max(d1, d2)
    fresh_world(engine, firms)  # fresh data for each example, same chains and plans
    scope = Scope.of(chains=[chain]) if chain else Scope.of()
    result = flow(engine, d1, d2, chain=chain).as_dict()
    for key, on in (("start", d1), ("end", d2)):
        counts = coverage(engine, on, scope=scope).total
        assert result[key] == {"firms": counts.firms, "covered": counts.covered,
                               "uncovered": counts.uncovered}
    assert result["end"]["covered"] == (result["start"]["covered"] - result["left_covered"]
                                        + result["entered_covered"] + result["gained"]
                                        - result["lost"])
    # The per-firm changes follow from the two firm_status frames.
    before = dict(zip(*[firm_status(engine, d1, scope=scope)[c] for c in ("credit_code", "status")]))
    after = dict(zip(*[firm_status(engine, d2, scope=scope)[c] for c in ("credit_code", "status")]))
    expected = {}
    for code in before.keys() | after.keys():
        was, now = before.get(code), after.get(code)
        if was is None:
            expected[code] = "entered"
        elif now is None:
            expected[code] = "left"
        elif was == "none" and now != "none":
            expected[code] = "gained"
        elif was != "none" and now == "none":
            expected[code] = "lost"
    assert {r["credit_code"]: r["change"] for r in result["firms"]} == expected
    ttc = result["time_to_cover"]
    assert ttc["covered"] <= ttc["entered"] and (ttc["median_days"] is None) == (ttc["covered"] == 0)
    # Every overdue firm is in P(d2) and uncovered there.
    for row in overdue(engine, d2, days=0, chain=chain):
        assert after[row.credit_code] == "none"


# ------------------------------------------- property: the columns equal the per-firm model


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(model_firm, min_size=0, max_size=8), d1=day, d2=day,
       chain=st.sampled_from([None, "BIO", "IC"]),
       denominator=st.sampled_from(["chain_firms", "above_size"]),
       days=st.sampled_from([0, 30, 365]))
def test_columns_equal_the_per_firm_model(sqlite_engine, firms, d1, d2, chain, denominator, days):
    engine = sqlite_engine
    d1, d2 = min(d1, d2), max(d1, d2)
    fresh_world(engine, firms)
    expected = (flow_model.flow(engine, d1, d2, chain, denominator).as_dict(),
                [r.as_dict() for r in flow_model.overdue(engine, d2, days, chain, denominator)],
                [r.as_dict() for r in flow_model.losses(engine, d1, d2, chain, denominator)],
                flow_model.time_to_cover_by_month(engine, d1, d2, denominator))
    line = read_timeline(engine, denominator)
    for timeline in (None, line):  # read from the store, and from a shared timeline
        assert (flow(engine, d1, d2, chain, denominator, timeline=timeline).as_dict(),
                [r.as_dict() for r in overdue(engine, d2, days, chain, denominator, timeline=timeline)],
                [r.as_dict() for r in losses(engine, d1, d2, chain, denominator, timeline=timeline)],
                time_to_cover_by_month(engine, d1, d2, denominator, timeline=timeline)) == expected


span = st.tuples(st.integers(0, 40), st.integers(0, 40))


@settings(max_examples=200, deadline=None)
@given(groups=st.lists(st.lists(span, max_size=6), min_size=1, max_size=4),
       probes=st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 44), st.integers(0, 44)),
                       max_size=12))
def test_runset_equals_runs(groups, probes):
    g, s, e = [], [], []
    for group, spans in enumerate(groups):
        for start, end in spans:
            g.append(group)
            s.append(start)
            e.append(end)
    runs = RunSet.merge(g, s, e)
    expected = {group: Runs(spans) for group, spans in enumerate(groups)}
    assert {group: list(zip(runs.start[runs.group == group].tolist(),
                            runs.end[runs.group == group].tolist()))
            for group in range(len(groups))} == {k: v.spans for k, v in expected.items()}
    probes = [p for p in probes if p[0] < len(groups)]
    if not probes:
        return
    pg, pd_, pu = (list(column) for column in zip(*probes))
    found = runs.locate(pg, pd_)
    first = runs.first_from(pg, pd_, pu)
    for i, (group, d, until) in enumerate(probes):
        model = expected[group]
        assert (found[i] >= 0) == model.contains(d)
        if found[i] >= 0:
            assert runs.start[found[i]] == model.run_start(d)
        hit = model.first_from(d, until)
        assert (None if first[i] == NO_DATE["start"] else first[i]) == hit
