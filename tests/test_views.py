"""The dashboard's figures (tracker.dashboard.views): the overview from one shared history sweep equals
the coverage engine, the burn-up and the forecast read that same sweep, and the chain page
gives every uncovered firm the planner's way to cover it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import World
from tracker.coverage import Counts, coverage, month_ends, monthly_series
from tracker.dashboard import charts, views
from tracker.i18n import percent
from tracker.model import Plan
from tracker.planning.forecast import _slopes, forecast
from tracker.planning.plan import plan_store
from tracker.scope import EVERYTHING, Scope
from tracker.vocab import PLAN_ACTION, PLAN_STATUS

DAY = date(2024, 6, 30)
AFTER_DEADLINE = date(2026, 3, 31)  # the default plan's deadline is 2025-12-31


@pytest.fixture
def district(engine):
    """Two chains with a history: firms joining and leaving, coverage starting and ending."""
    views.clear_cache()
    w = World(engine)
    # BIO: A (5 formal, uncovered), B (1 formal, next to a joint branch with room),
    # C (covered by that joint branch), D (no members, no area), E (work-covered).
    w.firm("A", chains=["BIO"], formal=5, park="广州科学城", joined="2022-01-01")
    w.firm("B", chains=["BIO"], formal=1, park="广州科学城", joined="2023-02-15")
    w.firm("C", chains=["BIO", "DISPLAY"], formal=1, park="广州科学城", joined="2022-03-01",
           above_size=True)
    w.firm("D", chains=["BIO"], formal=0, joined="2022-05-01")
    w.firm("E", chains=["BIO"], formal=0, street="萝岗街道", joined="2022-01-01",
           above_size=True)
    w.firm("F", chains=["DISPLAY"], formal=4, street="萝岗街道", joined="2022-01-01",
           left="2025-09-01")
    w.firm("G", chains=["DISPLAY"], formal=3, park="中新广州知识城", joined="2023-07-01")
    w.org("J", formation="joint", members=6, founded="2022-04-01", name="科学城第一联合党支部")
    w.link("J", "C", start="2022-04-01")
    w.org("S", formation="single", members=3, founded="2022-08-01", dissolved="2024-05-01",
          name="丁面板党支部")
    w.link("S", "G", start="2023-07-01")
    w.liaison("联络员一号")
    w.assign("联络员一号", "E", start="2023-01-01")
    w.assign("联络员一号", "F", start="2022-06-01", end="2024-06-01")
    yield w
    views.clear_cache()


def _same(counts, expected) -> None:
    assert (counts.firms, counts.org_covered, counts.work_covered, counts.uncovered,
            counts.single_unit) == (expected.firms, expected.org_covered, expected.work_covered,
                                    expected.uncovered, expected.single_unit)


# --------------------------------------------------------------------------- overview


@pytest.mark.parametrize("day", [DAY, date(2023, 1, 15), AFTER_DEADLINE])
def test_overview_figures_equal_coverage(district, engine, day):
    view = views.overview(engine, day)
    now = coverage(engine, day, by="chain")
    _same(view.total, now.total)
    _same(view.previous, coverage(engine, views.previous_month_end(day)).total)
    # Every chain, the laggards first: lowest coverage rate first, chains without firms last.
    assert sorted(row.code for row in view.chains) == sorted(g.key for g in now.groups)
    by_key = {g.key: g for g in now.groups}
    for row in view.chains:
        group = by_key[row.code]
        assert row.name == group.name
        _same(row.counts, group.counts)
        assert row.gap == group.counts.gap_to(row.target_rate)
    rates = [(r.counts.coverage_rate is None, r.counts.coverage_rate or 0) for r in view.chains]
    assert rates == sorted(rates)
    # The effective rate is coverage()'s (the sweep has no visits).
    assert view.effective_rate == now.total.effective_rate
    assert view.denominator == now.denominator
    assert view.denominator_text == now.denominator_text
    plan = views.plan_info(engine)
    if day > plan["deadline"]:
        _same(view.plan.at_deadline, coverage(engine, plan["deadline"]).total)
    else:
        assert view.plan.at_deadline is None
    # The statuses are the forecast's, computed from the store on its own.
    expected = forecast(engine, day)
    assert view.plan.status == expected.district.status
    assert {r.code: r.status for r in view.chains} == {f.key: f.status for f in expected.chains}


def test_overview_of_a_scope_and_without_a_plan(district, engine):
    scope = Scope.of(chains=["DISPLAY"])
    view = views.overview(engine, DAY, scope)
    _same(view.total, coverage(engine, DAY, scope=scope).total)
    assert [row.code for row in view.chains] == ["DISPLAY"]
    with engine.begin() as conn:
        conn.execute(Plan.__table__.delete())
    view = views.overview(engine, DAY)  # the data version changed: computed again
    assert view.plan is None
    _same(view.total, coverage(engine, DAY, denominator="chain_firms").total)
    assert {row.status for row in view.chains} <= {"achieved", "pending"}


def test_overview_with_the_above_size_denominator(district, engine):
    with engine.begin() as conn:
        conn.execute(sa.update(Plan.__table__).values(denominator="above_size"))
    view = views.overview(engine, DAY)
    expected = coverage(engine, DAY, by="chain")
    assert expected.denominator == "above_size" and view.denominator == "above_size"
    _same(view.total, expected.total)
    assert view.total.firms == 2  # C and E
    by_key = {g.key: g for g in expected.groups}
    for row in view.chains:
        _same(row.counts, by_key[row.code].counts)


def test_burnup_and_forecast_read_the_shared_history(district, engine):
    plan = views.plan_info(engine)
    expected = monthly_series(engine, month_ends(plan["start"], DAY), by_chain=True)
    for key in ("*", "BIO"):
        scope = EVERYTHING if key == "*" else Scope.of(chains=[key])
        burnup = views.burnup_series(engine, DAY, scope, key)
        part = expected[expected["key"] == key].reset_index(drop=True)
        assert list(burnup["date"]) == list(part["date"])
        assert list(burnup["firms"]) == list(part["firms"])
        assert list(burnup["covered"]) == list(part["covered"])
    # The forecast from the shared sweep is the forecast from the store.
    assert views.forecast_result(engine, DAY).as_dict() == forecast(engine, DAY).as_dict()
    # Defaults given or not, one computation (the overview and the burn-up's projection
    # once asked with different argument lists and ran the forecast twice).
    assert views.forecast_result(engine, DAY) is views.forecast_result(engine, DAY, EVERYTHING, "zh")
    assert views.overview(engine, DAY) is views.overview(engine, DAY, scope=EVERYTHING, lang="zh")


def test_a_forecast_given_another_history_reads_the_store(district, engine):
    wrong = monthly_series(engine, [DAY])  # not the dates the forecast needs
    assert forecast(engine, DAY, series=wrong).as_dict() == forecast(engine, DAY).as_dict()


# --------------------------------------------------------------------------- chain page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_uncovered_firm_gets_the_planners_way(district, engine, lang):
    w = district
    detail = views.chain_detail(engine, "BIO", DAY, lang)
    uncovered = detail.uncovered
    assert set(uncovered["credit_code"]) == {w.code("A"), w.code("B"), w.code("D")}
    assert uncovered["suggestion"].astype(bool).all(), "the page shows the column only if filled"
    planned = {code: action for action in plan_store(engine, DAY, Scope.of(chains=["BIO"])).actions
               for code in action.firms}
    for row in uncovered.itertuples():
        action = planned[row.credit_code]
        assert row.suggestion_type == action.type
        assert row.suggestion.startswith(PLAN_ACTION.label(action.type, lang))
        assert row.suggestion_reason == (action.reason if lang == "zh" else action.reason_en)
    by_code = dict(zip(uncovered["credit_code"], uncovered["suggestion_type"]))
    assert by_code[w.code("A")] == "form_branch"  # 5 formal members
    assert by_code[w.code("B")] == "join_joint_branch"  # J has room in its park
    assert by_code[w.code("D")] == "assign_liaison"  # no members, no area
    text = dict(zip(uncovered["credit_code"], uncovered["suggestion"]))[w.code("B")]
    assert "科学城第一联合党支部" in text, "the organisation to join, by name"
    # No "None" for a firm without a park.
    assert list(uncovered.loc[uncovered["credit_code"] == w.code("D"), "park"]) == [""]


def test_plan_actions_use_the_vocabulary(district, engine):
    frame = views.plan_actions(engine, DAY)
    assert len(frame) > 0
    assert list(frame["action"]) == [PLAN_ACTION.label(t) for t in frame["type"]]


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_come_from_the_vocabulary(lang):
    # The chart of the chains names and colours each plan status as the vocabulary does.
    rows = [views.ChainRow(term.code, term.code, Counts(firms=10, org_covered=5), 0.95, 5,
                           term.code) for term in PLAN_STATUS.terms]
    bars = {bar.legendgroup: bar for bar in charts.progress_bars(rows, lang).data}
    for term in PLAN_STATUS.terms:
        assert bars[term.code].name == term.label(lang)
        assert bars[term.code].marker.color == term.colour
    for rate in (None, float("nan"), 0.0, 0.8734, 1.0, 0.99951):
        assert views.fmt_pct(rate) == percent(rate)


# --------------------------------------------------------------------------- Theil-Sen


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")  # scipy's
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-24, 0), st.integers(0, 10_000)), min_size=2, max_size=30))
def test_theil_sen_equals_scipy(points):
    from scipy.stats import theilslopes

    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    if np.ptp(x) == 0:
        assert _slopes(x, y) == (0.0, 0.0, 0.0)
        return
    slope, _, low, high = theilslopes(y, x, alpha=0.90)
    low = slope if not np.isfinite(low) else low
    high = slope if not np.isfinite(high) else high
    assert _slopes(x, y) == (float(slope), float(min(low, slope)), float(max(high, slope)))


# --------------------------------------------------------------------------- the sweep


def test_series_counts_a_firm_twice_in_a_chain_once(district, engine):
    """Two membership rows of one firm in one chain (rejoined; overlapping rows) count once
    there, as in coverage(); the sweep then takes its deduplicating path."""
    w = district
    w.join("A", "BIO", joined="2021-01-01", left="2023-01-01", segment="upstream")
    w.join("E", "DISPLAY", joined="2022-06-01")
    w.join("E", "DISPLAY", joined="2023-06-01", segment="downstream")
    dates = [date(2021, 6, 30), date(2022, 12, 31), DAY, AFTER_DEADLINE]
    series = monthly_series(engine, dates)
    for d in dates:
        result = coverage(engine, d, by="chain")
        for key, counts in [("*", result.total), *((g.key, g.counts) for g in result.groups)]:
            row = series[(series["date"] == d) & (series["key"] == key)].iloc[0]
            assert (row.firms, row.org_covered, row.work_covered, row.single_unit) == (
                counts.firms, counts.org_covered, counts.work_covered, counts.single_unit), (d, key)


# --------------------------------------------------------------------------- wave 2: after the deadline


def test_overdue_flow_and_losses_narrowed_to_the_scope(district, engine):
    """On 2024-06-30 (the plan's 90 days): A (BIO, 5 members, never covered since
    2022-01-01), D (BIO, since 2022-05-01), B (BIO, since 2023-02-15), G (DISPLAY, covered by
    S until it was dissolved on 2024-05-01: 60 days, not overdue yet). A DISPLAY user sees
    none of the BIO firms."""
    from tracker.flow import flow

    w = district
    queue = views.overdue_list(engine, DAY)
    assert queue.days == 90 and queue.plan == "红杉林计划"
    assert list(queue.frame["credit_code"]) == [w.code("A"), w.code("D"), w.code("B")]
    assert list(queue.frame["days"]) == [911, 791, 501]
    assert list(queue.frame["cause"]) == ["entered"] * 3
    display = views.overdue_list(engine, DAY, Scope.of(chains=["DISPLAY"]))
    assert display.frame.empty
    later = views.overdue_list(engine, date(2024, 8, 1), Scope.of(chains=["DISPLAY"]))
    assert list(later.frame["credit_code"]) == [w.code("G")]
    assert list(later.frame["cause_label"]) == ["失去覆盖"] and list(later.frame["days"]) == [92]
    # The flow is the engine's; the losses of May name the dissolved organisation.
    start = date(2024, 4, 30)
    assert views.flow_between(engine, start, date(2024, 5, 31)).as_dict() == \
        flow(engine, start, date(2024, 5, 31)).as_dict()
    lost = views.lost_this_month(engine, date(2024, 5, 31))
    assert list(lost["credit_code"]) == [w.code("G")]
    assert lost.iloc[0]["ended"] == "党组织撤销：丁面板党支部（S，2024-05-01）"
    assert views.lost_this_month(engine, date(2024, 5, 31), Scope.of(chains=["BIO"])).empty


def test_term_board_and_liaison_board(district, engine):
    """S was dissolved: not on the board; J (joint branch, elected 2022-07-01 for 2 years) is due on
    2024-07-01, 1 day after 2024-06-30; the officer holds E (visited 2024-05-02, in the
    window) alone (F's assignment ended on 2024-06-01)."""
    from tracker import edits

    w = district
    edits.record_election(engine, "J", date(2022, 7, 1), 2, today=DAY)
    board = views.term_board(engine, DAY)
    assert list(board["within_3_months"]["org_code"]) == ["J"]
    assert list(board["within_3_months"]["days_to_due"]) == [1]
    assert board["overdue"].empty and board["unknown"].empty
    assert views.term_board(engine, date(2024, 4, 1))["unknown"]["org_code"].tolist() == ["S"]
    w.visit("联络员一号", "E", "2024-05-02")
    people = views.liaison_board(engine, DAY)
    assert people.window == 90
    assert people.officers[["name", "firms", "visits_in_window", "unvisited"]].values.tolist() == [
        ["联络员一号", 1, 1, 0]]
    assert views.liaison_board(engine, DAY, Scope.of(chains=["DISPLAY"])).officers.empty
    assert views.firm_visit(engine, w.code("E"), DAY) == {
        "last_visit": date(2024, 5, 2), "visited": True, "window": 90}
    assert views.firm_visit(engine, w.code("E"), date(2024, 7, 31))["visited"] is False
