"""Forecasts on synthetic series with known answers, the status cases, the what-if, the store."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.builders import World
from tracker.coverage import coverage
from tracker.planning.forecast import forecast, month_after, project

DL = date(2025, 12, 31)


def month_series(start: date, n: int):
    return [month_after(start, k) for k in range(n)]


def linear(n, f0, df, c0, dc):
    return [f0 + df * k for k in range(n)], [c0 + dc * k for k in range(n)]


def test_linear_growth_reaches_target_on_known_month():
    # Month ends Jan..Dec 2023; firms constant 200, covered +10 a month from 50 -> 160.
    dates = month_series(date(2023, 1, 31), 12)
    firms, covered = linear(12, 200, 0, 50, 10)
    f = project("*", "全区", dates, firms, covered, as_of=dates[-1], target=1.0, deadline=DL)
    # 160 + 10 t >= 200 at t = 4 months: 2024-04-30 is the first month end with t >= 4.
    assert f.reach == date(2024, 4, 30)
    assert f.status == "on_track"
    assert f.slope_covered == pytest.approx(10, rel=0.02)
    assert f.reach_earliest <= f.reach <= f.reach_latest
    # Observed and projected are separate series; projections start after as_of.
    assert [p["date"] for p in f.observed][-1] == "2023-12-31"
    assert all(p["date"] > "2023-12-31" for p in f.projected)


def test_scope_growth_delays_the_target():
    dates = month_series(date(2023, 1, 31), 12)
    firms, covered = linear(12, 178, 2, 50, 10)  # 200 firms and 160 covered at the end
    f = project("BIO", "生物技术", dates, firms, covered, as_of=dates[-1], target=1.0, deadline=DL)
    # 160 + 10 t >= 200 + 2 t at t = 5 months.
    assert f.reach == date(2024, 5, 31)
    assert f.slope_firms == pytest.approx(2, rel=0.02)
    # A target of 90 %: 160 + 10 t >= 0.9 (200 + 2 t) -> t >= 2.27 -> third month end.
    g = project("BIO", "生物技术", dates, firms, covered, as_of=dates[-1], target=0.9, deadline=DL)
    assert g.reach == date(2024, 3, 31)


def test_status_cases():
    dates = month_series(date(2024, 1, 31), 24)  # to 2025-12-31
    # at risk: slow growth will not reach 100 % by the deadline
    firms, covered = linear(24, 100, 0, 10, 1)
    slow = project("*", "", dates[:12], firms[:12], covered[:12], as_of=dates[11], target=1.0,
                   deadline=DL)
    assert slow.status == "at_risk" and (slow.reach is None or slow.reach > DL)
    # achieved before the deadline: at the target on as_of
    done = project("*", "", dates[:3], [10, 10, 10], [9, 10, 10], as_of=dates[2], target=1.0,
                   deadline=DL)
    assert done.status == "achieved"
    # after the deadline: judged on the observed rate on the deadline
    firms, covered = linear(24, 100, 0, 60, 2)  # 106 covered... capped by firms? no: 60 + 46
    missed = project("*", "", dates, firms, [min(c, 99) for c in covered],
                     as_of=date(2026, 3, 31), target=1.0, deadline=DL)
    assert missed.status == "missed" and missed.rate_at_deadline == pytest.approx(0.99)
    hit = project("*", "", dates, firms, [min(c, 100) for c in covered],
                  as_of=date(2026, 3, 31), target=1.0, deadline=DL)
    assert hit.status == "achieved"
    empty = project("*", "", dates[:3], [0, 0, 0], [0, 0, 0], as_of=dates[2], target=1.0,
                    deadline=DL)
    assert empty.status == "no_data"


def test_what_if():
    dates = month_series(date(2023, 1, 31), 12)
    firms, covered = linear(12, 100, 0, 30, 0)  # stalled at 30 %
    f = project("*", "", dates, firms, covered, as_of=dates[-1], target=1.0, deadline=DL,
                what_if=(4, 3))
    assert f.reach is None and f.status == "at_risk"
    # 7 firms a month: 30 + 7 t >= 100 at t = 10 -> 2024-10-31
    assert f.what_if.reach == date(2024, 10, 31)
    assert f.what_if.status == "on_track"
    assert f.needed_per_month == pytest.approx(70 / 24)
    with pytest.raises(ValueError):
        project("*", "", dates, firms, covered, as_of=dates[-1], target=1.0, deadline=DL,
                what_if=(-1, 0))


def test_forecast_from_store(world):
    w = world
    # A chain whose coverage grows: one firm covered per month from 2024-01 on, 6 firms.
    for i in range(6):
        w.firm(f"b{i}", chains=["BIO"], park="科学城", joined="2023-06-01")
        w.liaison(f"联络员{i}")
        w.assign(f"联络员{i}", f"b{i}", start=month_after(date(2023, 12, 31), i))
    as_of = date(2024, 3, 31)
    result = forecast(w.engine, as_of, orgs_per_month=1, assignments_per_month=0)
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert {"zh", "en"} <= set(data["assumptions"])
    assert data["plan"]["deadline"] == "2025-12-31"
    bio = result.get("BIO")
    assert bio.rate == coverage(w.engine, as_of).total.coverage_rate
    assert bio.observed[-1]["covered"] == 4
    assert bio.status == "on_track"
    assert bio.what_if.reach is not None
    assert result.district.rate == bio.rate
    assert result.get("IC").status == "no_data"


def test_cli_forecast(world):
    import contextlib
    import io

    from tracker.cli import run

    world.firm("a", chains=["BIO"], joined="2024-01-01")
    url = world.engine.url.render_as_string(hide_password=False)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert run(["--db", url, "forecast", "--as-of", "2024-06-30", "--json", "--chain", "BIO",
                    "--orgs-per-month", "1", "--assignments-per-month", "2"]) == 0
    data = json.loads(buffer.getvalue())
    assert [c["key"] for c in data["chains"]] == ["BIO"]
    assert data["district"]["what_if"]["orgs_per_month"] == 1
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert run(["--db", url, "forecast", "--as-of", "2024-06-30"]) == 0
    assert "预测基于" in buffer.getvalue()


def test_dates_at_the_ends_of_the_calendar(sqlite_engine):
    """A date near year 1 or year 9999 gives a forecast, not an out-of-range error."""
    w = World(sqlite_engine)
    w.firm("a", chains=["BIO"], joined="2024-01-01")
    for as_of in (date(1, 1, 31), date(1, 6, 30), date(9999, 12, 31), date(9999, 10, 31)):
        result = forecast(sqlite_engine, as_of, orgs_per_month=1)
        assert result.district.as_of == as_of
        assert all(p["date"] <= "9999-12-31" for p in result.district.projected)
    late = forecast(sqlite_engine, date(9999, 10, 31)).district
    assert [p["date"] for p in late.projected] == ["9999-11-30", "9999-12-31"]
    assert late.status == "achieved" or late.status == "missed"
    assert forecast(sqlite_engine, date(1, 1, 31)).district.status == "no_data"
