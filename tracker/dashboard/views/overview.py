"""The figures of the overview page: the district and each chain against the plan in force
on the as-of date, the deltas since the last month end, and the burn-up.

The plan is the one in force on the as-of date (:func:`tracker.plans.plan_in_force`). Each
chain carries the plan's verdict (:func:`tracker.verdict.verdict`): three distinct words,
截止日结果 (the result on the deadline), 统计日状态 (at or below the target on the as-of
date) and 趋势 (the last 3 months), never one ambiguous "status"; the chains come lowest
rate first. The counts are rows of the one history sweep
(:func:`tracker.dashboard.views.common.history_series`), which equals
:func:`tracker.coverage.coverage` with the plan's denominator at every date; the effective
rate (visited work coverage) is :func:`tracker.coverage.coverage`'s, read by the verdict.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> view = overview(empty_store(), date(2024, 6, 30))
>>> view.has_data, view.total.firms, len(view.chains), view.plan.status, view.plan.passed
(False, 0, 13, 'no_data', False)
>>> view.chains[0].verdict.result_at_deadline, view.chains[0].verdict.standing
('pending', 'no_data')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...coverage import DENOMINATORS, Counts, coverage, in_population, month_ends
from ...intervals import active_clause
from ...model import Assignment, CoverageLink, PartyOrg
from ...plans import list_plans, plan_in_force, plan_name
from ...scope import EVERYTHING, Scope
from ...verdict import ChainVerdict, PlanVerdict, verdict
from .cache import cached
from .common import (
    burnup_start,
    chain_list,
    counts_at,
    data_bounds,
    history_series,
    plan_info,
    previous_month_end,
)
from .format import in_lang
from .plan import forecast_result

__all__ = ["ChainRow", "Overview", "PlanStatus", "burnup_series", "ended_verdict", "overview",
           "plan_verdict"]


@dataclass
class ChainRow:
    code: str
    name: str
    counts: Counts
    target_rate: float
    gap: int
    status: str  # the forecast's (PLAN_STATUS): how the chain heads toward the deadline
    verdict: ChainVerdict | None = None  # against the plan in force; None without a plan
    ended: ChainVerdict | None = None  # against the last plan that ended before the as-of date


@dataclass
class PlanStatus:
    name: str  # in the page's language (:func:`tracker.plans.plan_name`)
    deadline: date
    target_rate: float
    passed: bool
    days_left: int
    at_deadline: Counts | None  # only once the deadline has passed
    status: str
    gap: int = 0  # firms still to cover on the as-of date to reach the target
    start: date | None = None
    is_example: bool = False  # an illustrative plan (示例), not a real policy
    verdict: ChainVerdict | None = None  # the district's verdict (key "*")

    @property
    def days_past(self) -> int:
        """Days from the deadline to the as-of date (negative while it is ahead)."""
        return -self.days_left


@dataclass
class Overview:
    as_of: date
    previous_date: date
    has_data: bool  # any firm in the store at all
    denominator: str
    denominator_text: str
    total: Counts
    previous: Counts
    orgs: int
    orgs_previous: int
    liaisons: int
    liaisons_previous: int
    plan: PlanStatus | None
    chains: list[ChainRow] = field(default_factory=list)  # lowest coverage rate first
    first_date: date | None = None  # the earliest dated fact in the store
    # :func:`tracker.coverage.coverage`'s effective rate: organisation-covered plus
    # work-covered firms visited within the plan's window (``visit_window`` days).
    effective_rate: float | None = None
    work_visited: int = 0
    visit_window: int = 90
    # The verdict of the last plan whose deadline is before the as-of date (the plan in force
    # itself when no plan follows it; None when no plan has ended yet).
    ended: PlanVerdict | None = None

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "total": self.total.as_dict(),
                "orgs": self.orgs, "liaisons": self.liaisons,
                "effective_rate": self.effective_rate, "work_visited": self.work_visited,
                "chains": [{"key": c.code, "status": c.status, "gap": c.gap, **c.counts.as_dict(),
                            **({k: v for k, v in c.verdict.as_dict().items()
                                if k in ("result_at_deadline", "standing", "trend")}
                               if c.verdict else {})}
                           for c in self.chains]}


def _status_without_forecast(counts: Counts, target: float, as_of: date, deadline: date) -> str:
    """The plan status of a chain the forecast does not judge (no plan to forecast)."""
    if counts.firms and counts.gap_to(target) == 0:
        return "achieved"
    if as_of > deadline:
        return "missed"
    return "pending"


def _forecast_statuses(engine: Engine, as_of: date, scope: Scope) -> dict[str, str] | None:
    """Key (``"*"`` or chain code) → status from :mod:`tracker.planning.forecast`, or None
    without a plan."""
    result = forecast_result(engine, as_of, scope)
    if result is None:
        return None
    return {f.key: f.status for f in [result.district, *result.chains]}


def _active_orgs_and_liaisons(engine: Engine, on: date, scope: Scope,
                              denominator: str) -> tuple[int, int]:
    """Organisations covering at least one firm of the population on ``on`` (all active
    organisations for the whole district), and liaisons assigned to one."""
    O, L, A = PartyOrg.__table__, CoverageLink.__table__, Assignment.__table__
    with engine.connect() as conn:
        if scope.is_everything:
            orgs = conn.execute(sa.select(sa.func.count()).select_from(O)
                                .where(active_clause(O.c.founded, O.c.dissolved, on))).scalar()
        else:
            orgs = conn.execute(
                sa.select(sa.func.count(sa.distinct(L.c.org_id)))
                .select_from(L.join(O, O.c.id == L.c.org_id))
                .where(active_clause(L.c.start, L.c.end, on))
                .where(active_clause(O.c.founded, O.c.dissolved, on))
                .where(in_population(L.c.firm_id, on, scope, denominator))).scalar()
        # Each active assignment asks whether its firm is in the population (an index
        # look-up), instead of building the whole population to join with.
        liaisons = conn.execute(
            sa.select(sa.func.count(sa.distinct(A.c.liaison_id)))
            .where(active_clause(A.c.start, A.c.end, on))
            .where(in_population(A.c.firm_id, on, scope, denominator))).scalar()
    return int(orgs or 0), int(liaisons or 0)


@cached
def plan_verdict(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                 lang: str = "zh") -> PlanVerdict | None:
    """:func:`tracker.verdict.verdict` of the plan in force on ``as_of`` (None: no plan)."""
    plan = plan_in_force(engine, as_of)
    if plan is None:
        return None
    return verdict(engine, plan, as_of, scope, lang)


@cached
def ended_verdict(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                  lang: str = "zh") -> PlanVerdict | None:
    """:func:`tracker.verdict.verdict` of the last plan whose deadline lies before ``as_of``
    (its final result stays to be stated while the next plan runs); None when none has ended."""
    ended = [p for p in list_plans(engine) if p.deadline < as_of]
    if not ended:
        return None
    last = max(ended, key=lambda p: (p.deadline, p.start))
    running = plan_verdict(engine, as_of, scope, lang)
    if running is not None and running.plan.name == last.name:
        return running
    return verdict(engine, last, as_of, scope, lang)


@cached
def overview(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> Overview:
    """Everything the overview page shows at ``as_of``.

    The totals and the per-chain counts are :func:`tracker.coverage.coverage` with the
    plan's denominator, the same as ``tracker coverage --by chain --json``; the plan is the
    one in force on ``as_of``, each chain with its verdict, lowest rate first.
    """
    plan = plan_info(engine, as_of)
    denominator = plan["denominator"] if plan else "chain_firms"
    # Every figure below is a row of the one history sweep (equal to coverage() there).
    series = history_series(engine, as_of, scope)
    before_date = previous_month_end(as_of)
    total, previous = counts_at(series, as_of), counts_at(series, before_date)
    orgs, liaisons = _active_orgs_and_liaisons(engine, as_of, scope, denominator)
    orgs_b, liaisons_b = _active_orgs_and_liaisons(engine, before_date, scope, denominator)
    bounds = data_bounds(engine)
    target = plan["target_rate"] if plan else 1.0
    deadline = plan["deadline"] if plan else None
    statuses = _forecast_statuses(engine, as_of, scope) or {}
    judged = plan_verdict(engine, as_of, scope, lang)
    verdicts = {c.key: c for c in judged.chains} if judged else {}
    last = ended_verdict(engine, as_of, scope, lang)
    finals = {c.key: c for c in last.chains} if last else {}
    rows = []
    for code, name in chain_list(engine, lang):
        if scope.chains is not None and code not in scope.chains:
            continue
        counts = counts_at(series, as_of, code)
        status = statuses.get(code) or (
            _status_without_forecast(counts, target, as_of, deadline) if deadline else "pending")
        found = verdicts.get(code)
        if judged is not None and found is None:  # a chain the coverage groups left out
            found = ChainVerdict(code, name, target, Counts() if judged.ended else None,
                                 counts, Counts())
        rows.append(ChainRow(code, name, counts, target, counts.gap_to(target), status, found,
                             finals.get(code)))
    # The laggards lead: lowest coverage rate first (chains without firms last).
    rows.sort(key=lambda r: (r.counts.coverage_rate is None, r.counts.coverage_rate or 0, r.code))
    plan_status = None
    if plan is not None:
        passed = as_of > deadline
        at_deadline = counts_at(series, deadline) if passed else None
        status = statuses.get("*") or _status_without_forecast(
            at_deadline if passed else total, target, as_of, deadline)
        plan_status = PlanStatus(plan_name(plan, lang), deadline, target, passed,
                                 (deadline - as_of).days, at_deadline, status,
                                 total.gap_to(target), plan["start"], plan["is_example"],
                                 judged.district if judged else None)
    # coverage() fills the visited work coverage (the sweep does not): the verdict read it.
    effective = judged.district.now if judged else coverage(engine, as_of, scope=scope).total
    return Overview(
        as_of=as_of, previous_date=before_date, has_data=bounds["firms"] > 0,
        denominator=denominator, denominator_text=in_lang(DENOMINATORS[denominator], lang),
        total=total, previous=previous, orgs=orgs, orgs_previous=orgs_b,
        liaisons=liaisons, liaisons_previous=liaisons_b, plan=plan_status, chains=rows,
        first_date=bounds["first"], effective_rate=effective.effective_rate,
        work_visited=effective.work_visited,
        visit_window=int(plan["visit_within_days"] or 90) if plan else 90, ended=last)


@cached
def burnup_series(engine: Engine, as_of: date, scope: Scope = EVERYTHING, key: str = "*") -> pd.DataFrame:
    """Monthly scope (firms) and covered firms from the plan's start (or the first data)
    to ``as_of``, for the district (``key="*"``) or one chain code.

    Columns: ``date, firms, covered, org_covered, work_covered, coverage_rate``.
    """
    start = burnup_start(plan_info(engine, as_of), data_bounds(engine), as_of)
    series = history_series(engine, as_of, scope)
    series = series[series["date"].isin(month_ends(start, as_of)) & (series["key"] == key)]
    series = series.reset_index(drop=True)
    return series[["date", "firms", "covered", "org_covered", "work_covered", "coverage_rate"]]
