"""When will the target be reached? Projections of the coverage rate, with a range.

For the district and for each chain, from the observed monthly history
(:func:`tracker.coverage.monthly_series`, month ends up to ``as_of``):

1. **Two trends, not one.** The scope (firms in the chain, which grows as firms join) and
   the covered firms are projected separately, each by a robust linear trend (Theil-Sen:
   the median of all pairwise slopes) over the last ``window_months`` (default 12) of
   observations, anchored at the last observed value. The projected rate is
   ``covered / firms``, with covered never above firms.
2. **Range.** The Theil-Sen 90 % confidence bounds of the two slopes give an optimistic
   projection (covered fast, scope slow) and a pessimistic one (covered slow, scope fast);
   the reach date is reported as central, earliest and latest (None when it is not
   reached within ``horizon_months``; when the central date is None, so are both ends of
   the range, and a latest of None beside a central date means "after the horizon").
3. **Status against the plan deadline** (target rate ``T``, deadline ``DL``):

   - ``achieved``: ``as_of >= DL`` and the observed rate on ``DL`` is ``>= T``; or
     ``as_of < DL`` and the observed rate on ``as_of`` is already ``>= T``;
   - ``missed``: ``as_of >= DL`` and the observed rate on ``DL`` is below ``T``;
   - ``on_track``: ``as_of < DL``, below ``T`` now, and the central projection reaches
     ``T`` on or before the last month end not after ``DL`` (month ends are the grid);
   - ``at_risk``: ``as_of < DL``, below ``T`` now, and the central projection reaches ``T``
     only after ``DL`` or not at all;
   - ``no_data``: no firm in the scope on ``as_of`` (on ``DL`` once it has passed).

4. **What-if.** With ``K`` new organisations and ``L`` new liaison assignments a month, each
   covering one firm that was uncovered, covered firms grow by ``K + L`` a month from the
   last observation (instead of their trend) while the scope follows its trend; the result
   is the month the target is reached and the status it would give. The figures apply to
   each series on its own (the district's ``K``, ``L`` for the district line; the same
   numbers for a chain line answer "if this chain got K and L a month").

Observed and projected points are returned as **separate series** (``observed`` and
``projected``); a chart must draw them distinctly and show :attr:`ForecastResult.assumptions`.

Examples
--------
>>> from datetime import date
>>> months = [date(2023, m, 28) for m in range(1, 13)]
>>> f = project("*", "全区", months, [100] * 12, [40 + 5 * i for i in range(12)],
...             as_of=months[-1], target=1.0, deadline=date(2024, 12, 31))
>>> f.reach, f.status
(datetime.date(2024, 1, 31), 'on_track')
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..coverage import month_ends, monthly_series
from ..errors import TrackerError
from ..i18n import LANGS, both, t
from ..model import Chain
from ..plans import in_force_row
from ..scope import EVERYTHING
from ..vocab import PLAN_STATUS

__all__ = [
    "STATUSES",
    "STATUS_LABELS",
    "Forecast",
    "ForecastResult",
    "WhatIf",
    "assumptions_text",
    "forecast",
    "history_dates",
    "month_after",
    "project",
]

STATUSES = tuple(c for c in PLAN_STATUS.codes if c != "pending")  # what forecast() can return
#: Status code -> (zh, en) label, from :data:`tracker.vocab.PLAN_STATUS`.
STATUS_LABELS = {code: (PLAN_STATUS.label(code, "zh"), PLAN_STATUS.label(code, "en"))
                 for code in PLAN_STATUS.codes}
#: The chain table's name column in each language of :data:`tracker.i18n.LANGS`.
_NAME_COLUMN = {"zh": "name_zh", "en": "name_en"}
_EPS = 1e-9
#: The longest history read from the store (months before ``as_of``), unless the window is longer.
_MAX_HISTORY_MONTHS = 120


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


#: Month indices of the first and last months a :class:`datetime.date` can hold.
_FIRST_MONTH, _LAST_MONTH = _month_index(date.min), _month_index(date.max)


def month_after(d: date, months: int = 1) -> date:
    """The last day of the month ``months`` after ``d``'s month.

    >>> month_after(date(2024, 1, 15)), month_after(date(2024, 1, 31), 13)
    (datetime.date(2024, 2, 29), datetime.date(2025, 2, 28))
    """
    index = _month_index(d) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


@dataclass
class WhatIf:
    """Covered firms grow by ``orgs_per_month + assignments_per_month`` a month."""

    orgs_per_month: int
    assignments_per_month: int
    reach: date | None
    status: str
    projected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "orgs_per_month": self.orgs_per_month,
            "assignments_per_month": self.assignments_per_month,
            "reach": _iso(self.reach),
            "status": self.status,
            "projected": self.projected,
        }


@dataclass
class Forecast:
    """One series (the district ``"*"`` or a chain code): observed, projected, reach, status."""

    key: str
    name: str
    as_of: date
    target_rate: float
    deadline: date
    observed: list[dict]
    projected: list[dict]
    rate: float | None  # observed on as_of
    rate_at_deadline: float | None  # observed when the deadline has passed, else None
    slope_firms: float  # firms per month (central)
    slope_covered: float  # covered firms per month (central)
    slope_firms_range: tuple[float, float]
    slope_covered_range: tuple[float, float]
    reach: date | None
    reach_earliest: date | None
    reach_latest: date | None
    status: str
    needed_per_month: float | None  # extra covered firms a month to reach T by DL
    what_if: WhatIf | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status][0]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "as_of": self.as_of.isoformat(),
            "target_rate": self.target_rate,
            "deadline": self.deadline.isoformat(),
            "rate": self.rate,
            "rate_at_deadline": self.rate_at_deadline,
            "status": self.status,
            "status_label": STATUS_LABELS[self.status][0],
            "status_label_en": STATUS_LABELS[self.status][1],
            "reach": _iso(self.reach),
            "reach_earliest": _iso(self.reach_earliest),
            "reach_latest": _iso(self.reach_latest),
            "slope_firms": self.slope_firms,
            "slope_covered": self.slope_covered,
            "slope_firms_range": list(self.slope_firms_range),
            "slope_covered_range": list(self.slope_covered_range),
            "needed_per_month": self.needed_per_month,
            "observed": self.observed,
            "projected": self.projected,
            "what_if": self.what_if.as_dict() if self.what_if else None,
        }


@dataclass
class ForecastResult:
    as_of: date
    plan: dict
    district: Forecast
    chains: list[Forecast]
    window_months: int
    horizon_months: int
    assumptions: dict  # {"zh": ..., "en": ...}

    @property
    def horizon_end(self) -> date:
        """The last month end the projections look at: a reach date of None means "not by
        this day"."""
        return month_after(self.as_of, min(self.horizon_months,
                                           _LAST_MONTH - _month_index(self.as_of)))

    def get(self, key: str) -> Forecast | None:
        if key == "*":
            return self.district
        return next((f for f in self.chains if f.key == key), None)

    def as_dict(self) -> dict:
        """The JSON of ``tracker forecast --json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "plan": self.plan,
            "window_months": self.window_months,
            "horizon_months": self.horizon_months,
            "assumptions": self.assumptions,
            "district": self.district.as_dict(),
            "chains": [f.as_dict() for f in self.chains],
        }


def _month_position(d: date) -> float:
    """Months since year 0, with the day as a fraction of its month (month ends are whole)."""
    return _month_index(d) + d.day / calendar.monthrange(d.year, d.month)[1]


def _months_from(d: date, ref: date) -> float:
    """Calendar months from ``ref`` to ``d``: month end to month end is a whole number."""
    return _month_position(d) - _month_position(ref)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _rate(covered: float, firms: float) -> float | None:
    return None if firms <= 0 else min(1.0, max(0.0, covered / firms))


#: The standard normal quantile at 0.05 (a two-sided 90 % interval), as scipy computes it.
_Z_90 = -1.6448536269514729


def _repeat_counts(values: np.ndarray) -> np.ndarray:
    """How often each value that occurs more than once occurs (the ties of Sen's variance)."""
    _, counts = np.unique(values, return_counts=True)
    return counts[counts > 1].astype(float)


def _slopes(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Theil-Sen slope with its 90 % bounds (Sen 1968, eq. 2.6); a flat line with fewer
    than two distinct x.

    The same computation as ``scipy.stats.theilslopes(y, x, alpha=0.90)`` (its default
    ``method="separate"``; the tests hold the two equal), in numpy: importing
    ``scipy.stats`` costs about two seconds, which the first page of a fresh dashboard
    process paid.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        return 0.0, 0.0, 0.0
    dx = x[:, np.newaxis] - x
    dy = y[:, np.newaxis] - y
    pairs = dx > 0
    slopes = np.sort(dy[pairs] / dx[pairs])
    slope = float(np.median(slopes))
    n, total = len(y), len(slopes)
    ties = sum(float(np.sum(k * (k - 1) * (2 * k + 5))) for k in (_repeat_counts(x),
                                                                   _repeat_counts(y)))
    with np.errstate(invalid="ignore"):  # many ties: no interval (NaN), as in scipy
        sigma = np.sqrt((n * (n - 1) * (2 * n + 5) - ties) / 18.0)
    low, high = np.nan, np.nan
    if np.isfinite(sigma):
        upper = min(int(np.round((total - _Z_90 * sigma) / 2.0)), total - 1)
        lower = max(int(np.round((total + _Z_90 * sigma) / 2.0)) - 1, 0)
        if 0 <= lower < total and 0 <= upper < total:
            low, high = slopes[lower], slopes[upper]
    low = slope if not np.isfinite(low) else low
    high = slope if not np.isfinite(high) else high
    return slope, float(min(low, slope)), float(max(high, slope))


def _path(firms0, covered0, s_firms, s_covered, months, as_of):
    """Projected (date, firms, covered) at the month ends after ``as_of``."""
    out = []
    # A date far in the future (e.g. 9999-12-31) leaves fewer months than the horizon.
    for k in range(1, min(months, _LAST_MONTH - _month_index(as_of)) + 1):
        d = month_after(as_of, k)
        t = _months_from(d, as_of)
        firms = max(0.0, firms0 + s_firms * t)
        covered = min(firms, max(0.0, covered0 + s_covered * t))
        out.append((d, firms, covered))
    return out


def _first_reach(path, target) -> date | None:
    for d, firms, covered in path:
        r = _rate(covered, firms)
        if r is not None and r >= target - _EPS:
            return d
    return None


def _status(as_of, deadline, target, rate_now, rate_deadline, reach, firms_now) -> str:
    if as_of >= deadline:
        if rate_deadline is None:
            return "no_data"
        return "achieved" if rate_deadline >= target - _EPS else "missed"
    if not firms_now:
        return "no_data"
    if rate_now is not None and rate_now >= target - _EPS:
        return "achieved"
    return "on_track" if reach is not None and reach <= deadline else "at_risk"


def project(key: str, name: str, dates: list[date], firms: list[float], covered: list[float],
            as_of: date, target: float, deadline: date, window_months: int = 12,
            horizon_months: int = 120, what_if: tuple[int, int] | None = None) -> Forecast:
    """Forecast one series from its observed points (pure: no store).

    Parameters
    ----------
    dates, firms, covered : the observations, in date order, the last one on ``as_of``
        (points after ``as_of`` are ignored; the observed rate on the deadline is read from
        the point dated ``deadline`` when ``as_of >= deadline``)
    target, deadline : the plan's target rate (a fraction) and deadline
    window_months : months of history the trends are fitted on
    horizon_months : how far to look for the reach date
    what_if : ``(K, L)`` new organisations and assignments a month, or None
    """
    points = [(d, float(f), float(c)) for d, f, c in zip(dates, firms, covered) if d <= as_of]
    observed = [{"date": d.isoformat(), "firms": int(f), "covered": int(c), "rate": _rate(c, f)}
                for d, f, c in points]
    if not points:
        points = [(as_of, 0.0, 0.0)]
    _, firms0, covered0 = points[-1]
    rate_now = _rate(covered0, firms0)
    at_deadline = [p for p in points if p[0] == deadline]
    rate_deadline = _rate(at_deadline[-1][2], at_deadline[-1][1]) if at_deadline else None
    if as_of >= deadline and not at_deadline:
        # No point on the deadline: the last observation before it stands for it.
        before = [p for p in points if p[0] <= deadline]
        rate_deadline = _rate(before[-1][2], before[-1][1]) if before else None

    recent = [p for p in points if _months_from(p[0], as_of) >= -window_months - 1e-9]
    x = np.array([_months_from(p[0], as_of) for p in recent], dtype=float)
    s_f, s_f_lo, s_f_hi = _slopes(x, np.array([p[1] for p in recent]))
    s_c, s_c_lo, s_c_hi = _slopes(x, np.array([p[2] for p in recent]))

    central = _path(firms0, covered0, s_f, s_c, horizon_months, as_of)
    optimistic = _path(firms0, covered0, s_f_lo, s_c_hi, horizon_months, as_of)
    pessimistic = _path(firms0, covered0, s_f_hi, s_c_lo, horizon_months, as_of)
    reach = _first_reach(central, target)
    # The range is given around a central reach date only: when the central projection
    # does not reach the target within the horizon, neither end is a date (a range
    # "2028-11-30 ~ —" beside "not within the horizon" read as a contradiction).
    reach_early = _first_reach(optimistic, target) if reach is not None else None
    reach_late = _first_reach(pessimistic, target) if reach is not None else None
    status = _status(as_of, deadline, target, rate_now, rate_deadline, reach, firms0)

    # Months shown: to the later of the deadline and the latest reach (at least 12).
    last = max(d for d in (deadline, reach_late or reach or deadline) if d)
    shown = max(12, min(horizon_months, _months_between(as_of, last)))
    projected = [
        {"date": d.isoformat(), "firms": round(f, 2), "covered": round(c, 2), "rate": _rate(c, f),
         "rate_low": _rate(pc, pf), "rate_high": _rate(oc, of)}
        for (d, f, c), (_, pf, pc), (_, of, oc) in zip(central[:shown], pessimistic[:shown],
                                                       optimistic[:shown])
    ]
    needed = None
    if as_of < deadline and firms0 > 0:
        months_left = _months_from(deadline, as_of)
        firms_dl = max(0.0, firms0 + s_f * months_left)
        needed = max(0.0, (target * firms_dl - covered0) / months_left) if months_left > 0 else None

    result = Forecast(
        key=key, name=name, as_of=as_of, target_rate=target, deadline=deadline,
        observed=observed, projected=projected, rate=rate_now,
        rate_at_deadline=rate_deadline if as_of >= deadline else None,
        slope_firms=s_f, slope_covered=s_c, slope_firms_range=(s_f_lo, s_f_hi),
        slope_covered_range=(s_c_lo, s_c_hi), reach=reach, reach_earliest=reach_early,
        reach_latest=reach_late, status=status, needed_per_month=needed,
    )
    if what_if is not None:
        k, l = what_if
        if k < 0 or l < 0:
            raise ValueError(both("planner.error_negative_what_if"))
        path = _path(firms0, covered0, s_f, float(k + l), horizon_months, as_of)
        w_reach = _first_reach(path, target)
        result.what_if = WhatIf(
            orgs_per_month=k, assignments_per_month=l, reach=w_reach,
            status=_status(as_of, deadline, target, rate_now, rate_deadline, w_reach, firms0),
            projected=[{"date": d.isoformat(), "firms": round(f, 2), "covered": round(c, 2),
                        "rate": _rate(c, f)} for d, f, c in path[:shown]])
    return result


def _months_between(a: date, b: date) -> int:
    return max(0, _month_index(b) - _month_index(a))


def assumptions_text(window_months: int, horizon_months: int,
                     what_if: tuple[int, int] | None = None) -> dict:
    """The assumptions a chart of the forecast must state, in every language (``{lang: text}``).

    The texts are ``planner.forecast_assumptions`` and, with a what-if,
    ``planner.forecast_what_if`` appended.

    >>> sorted(assumptions_text(12, 120, (2, 3)))
    ['en', 'zh']
    """
    texts = {}
    for lang in LANGS:
        text = t("planner.forecast_assumptions", lang, window=window_months,
                 horizon=horizon_months)
        if what_if is not None:
            k, l = what_if
            text += t("planner.forecast_what_if", lang, orgs=k, assignments=l)
        texts[lang] = text
    return texts


def history_dates(as_of: date, plan_start: date | None, deadline: date,
                  window_months: int = 12) -> list[date]:
    """The dates :func:`forecast` reads the observed history at.

    Month ends from the plan's start (at least three years back, but at most ten years or
    ``window_months`` back, and not before year 1) to ``as_of``, plus the deadline when it
    has passed. A far date such as 9999-12-31 must not sweep ninety thousand month ends.

    >>> history_dates(date(2024, 3, 31), date(2024, 1, 1), date(2024, 2, 15))[-3:]
    [datetime.date(2024, 2, 15), datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]
    """
    longest = min(max(_MAX_HISTORY_MONTHS, window_months), _month_index(as_of) - _FIRST_MONTH)
    back = min(36, longest)
    start = min(plan_start if plan_start is not None else as_of, month_after(as_of, -back))
    start = max(start, month_after(as_of, -longest))
    dates = month_ends(start, as_of)
    if deadline < as_of and deadline not in dates:
        dates = sorted(set(dates) | {deadline})
    return dates


def forecast(engine, as_of: date, scope=None, target_rate: float | None = None,
             deadline: date | None = None, window_months: int = 12, horizon_months: int = 120,
             orgs_per_month: int | None = None, assignments_per_month: int | None = None,
             lang: str = "zh", series: pd.DataFrame | None = None) -> ForecastResult:
    """Forecasts for the district and every chain in the scope, from the store.

    Target and deadline default to those of the plan in force on ``as_of``
    (:func:`tracker.plans.plan_in_force`); the history is read at :func:`history_dates` (month ends from the plan's start, or 36
    months before ``as_of``, whichever is earlier, to ``as_of``, plus the deadline when it
    has passed).

    ``series`` is an optional precomputed :func:`tracker.coverage.monthly_series` frame
    (by chain, same scope, the plan's denominator) holding at least those dates, so that
    a caller that needs the history anyway (the dashboard's burn-up) computes it once;
    rows at other dates are ignored. Missing dates are computed from the store.
    """
    scope = scope or EVERYTHING
    C = Chain.__table__
    with engine.connect() as conn:
        # The plan in force on as_of (tracker.plans), as every other figure of the date.
        row = in_force_row(conn, as_of)
        names = dict(conn.execute(sa.select(C.c.code, C.c[_NAME_COLUMN.get(lang, "name_en")])).all())
    if row is None and (target_rate is None or deadline is None):
        raise TrackerError(t("planner.error_no_default_plan"))
    target = float(target_rate if target_rate is not None else row["target_rate"])
    deadline = deadline or row["deadline"]
    denominator = row["denominator"] if row is not None else "chain_firms"
    dates = history_dates(as_of, row["start"] if row is not None else None, deadline,
                          window_months)
    frame = None
    if series is not None:
        frame = series[series["date"].isin(dates)]
        if set(frame["date"]) != set(dates):
            frame = None  # not the history asked for: read it from the store
    if frame is None:
        frame = monthly_series(engine, dates, by_chain=True, scope=scope, denominator=denominator)
    what_if = None
    if orgs_per_month is not None or assignments_per_month is not None:
        what_if = (int(orgs_per_month or 0), int(assignments_per_month or 0))

    def one(key, name):
        part = frame[frame["key"] == key].sort_values("date")
        return project(key, name, list(part["date"]), list(part["firms"]), list(part["covered"]),
                       as_of=as_of, target=target, deadline=deadline,
                       window_months=window_months, horizon_months=horizon_months,
                       what_if=what_if)

    district = one("*", t("planner.district", lang))
    keys = [k for k in dict.fromkeys(frame["key"]) if k != "*"]
    chains = [one(k, names.get(k, k)) for k in keys]
    plan = {
        "name": row["name"] if row is not None else None,
        "start": row["start"].isoformat() if row is not None else None,
        "deadline": deadline.isoformat(),
        "target_rate": target,
        "denominator": denominator,
    }
    return ForecastResult(as_of=as_of, plan=plan, district=district, chains=chains,
                          window_months=window_months, horizon_months=horizon_months,
                          assumptions=assumptions_text(window_months, horizon_months, what_if))
