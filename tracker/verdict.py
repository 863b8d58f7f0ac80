"""An ended (or running) plan's verdict: per chain and for the district, three words.

The **verdict** of a plan (:mod:`tracker.plans`) at an as-of date gives, per chain and for
the district, three distinct things, each with its own word (never one ambiguous "status"):

- **截止日结果** (``result_at_deadline``): met or missed on the deadline, and by how many
  firms (``short_at_deadline``); ``pending`` while the deadline is ahead;
- **统计日状态** (``standing``): at or below the target on the as-of date
  (``short_now`` firms to cover);
- **趋势** (``trend``): rising, flat or falling over the last 3 months (the coverage rate on
  the as-of date against the rate 3 months before; flat within 0.1 percentage point).

Chains are listed lowest rate first: the laggards lead.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> v = verdict(empty_store(), "红杉林计划", date(2026, 11, 27))
>>> v.ended, v.days_past_deadline, v.district.firms_now
(True, 331, 0)
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from .coverage import Counts, coverage, gap_to_target
from .model import Plan
from .plans import get_plan, plan_as_dict
from .scope import EVERYTHING, Scope
from .vocab import DEADLINE_RESULT, STANDING, TREND

__all__ = ["FLAT_WITHIN", "ChainVerdict", "PlanVerdict", "three_months_before", "trend_of",
           "verdict"]

#: A change of the coverage rate smaller than this (0.1 percentage point) reads as flat.
FLAT_WITHIN = 0.001


def three_months_before(day: date) -> date:
    """The same day three months earlier (the month's last day when it has fewer days).

    >>> three_months_before(date(2026, 5, 31)), three_months_before(date(2026, 11, 27))
    (datetime.date(2026, 2, 28), datetime.date(2026, 8, 27))
    """
    total = day.year * 12 + (day.month - 1) - 3
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def trend_of(now: float | None, before: float | None) -> str | None:
    """``rising`` / ``flat`` / ``falling`` from two rates; None when either is undefined.

    >>> trend_of(0.95, 0.99), trend_of(0.9905, 0.99), trend_of(0.99, 0.95), trend_of(None, 0.5)
    ('falling', 'flat', 'rising', None)
    """
    if now is None or before is None:
        return None
    if abs(now - before) < FLAT_WITHIN:
        return "flat"
    return "rising" if now > before else "falling"


@dataclass
class ChainVerdict:
    """One chain (or the district, key ``*``) against a plan: deadline, now, and the trend."""

    key: str
    name: str
    target_rate: float
    at_deadline: Counts | None
    now: Counts
    before: Counts

    @property
    def firms_now(self) -> int:
        return self.now.firms

    @property
    def short_at_deadline(self) -> int | None:
        if self.at_deadline is None:
            return None
        return gap_to_target(self.at_deadline.covered, self.at_deadline.firms, self.target_rate)

    @property
    def result_at_deadline(self) -> str:
        """``met`` / ``missed`` on the deadline; ``pending`` while it is ahead."""
        if self.at_deadline is None:
            return "pending"
        if not self.at_deadline.firms:
            return "no_data"
        return "met" if self.short_at_deadline == 0 else "missed"

    @property
    def short_now(self) -> int:
        return self.now.gap_to(self.target_rate)

    @property
    def standing(self) -> str:
        """``met`` (at or above target) or ``below`` on the as-of date; ``no_data`` without firms."""
        if not self.now.firms:
            return "no_data"
        return "met" if self.short_now == 0 else "below"

    @property
    def change(self) -> float | None:
        """Coverage rate on the as-of date minus the rate on the deadline (a fraction)."""
        if self.at_deadline is None or self.now.coverage_rate is None \
                or self.at_deadline.coverage_rate is None:
            return None
        return self.now.coverage_rate - self.at_deadline.coverage_rate

    @property
    def trend(self) -> str | None:
        return trend_of(self.now.coverage_rate, self.before.coverage_rate)

    def as_dict(self) -> dict:
        d = self.at_deadline
        return {
            "key": self.key, "name": self.name,
            "firms_at_deadline": d.firms if d else None,
            "covered_at_deadline": d.covered if d else None,
            "rate_at_deadline": d.coverage_rate if d else None,
            "result_at_deadline": self.result_at_deadline,
            "short_at_deadline": self.short_at_deadline,
            "firms_now": self.now.firms, "covered_now": self.now.covered,
            "rate_now": self.now.coverage_rate, "standing": self.standing,
            "short_now": self.short_now, "change": self.change,
            "rate_3_months_before": self.before.coverage_rate, "trend": self.trend,
        }

    def labels(self, lang: str = "zh") -> dict:
        """The three words in the reader's language."""
        return {"result_at_deadline": DEADLINE_RESULT.label(self.result_at_deadline, lang),
                "standing": STANDING.label(self.standing, lang),
                "trend": TREND.label(self.trend, lang) if self.trend else "—"}


@dataclass
class PlanVerdict:
    plan: Plan
    as_of: date
    district: ChainVerdict
    chains: list[ChainVerdict] = field(default_factory=list)
    extra_targets: dict = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.as_of > self.plan.deadline

    @property
    def days_past_deadline(self) -> int:
        """Days from the deadline to the as-of date (negative while the deadline is ahead)."""
        return (self.as_of - self.plan.deadline).days

    def as_dict(self) -> dict:
        return {
            "plan": plan_as_dict(self.plan), "as_of": self.as_of.isoformat(),
            "ended": self.ended, "days_past_deadline": self.days_past_deadline,
            "trend_since": three_months_before(self.as_of).isoformat(),
            "district": self.district.as_dict(),
            "chains": [c.as_dict() for c in self.chains],
            "other_targets": self.extra_targets,
        }


def _by_key(result) -> dict[str, tuple[str, Counts]]:
    return {g.key: (g.name, g.counts) for g in result.groups}


def verdict(engine: Engine, plan: Plan | str, as_of: date, scope: Scope = EVERYTHING,
            lang: str = "zh") -> PlanVerdict:
    """The plan's verdict at ``as_of`` per chain and for the district (see the module docstring)."""
    if isinstance(plan, str):
        plan = get_plan(engine, plan)
    denominator = plan.denominator
    now = coverage(engine, as_of, by="chain", scope=scope, denominator=denominator, lang=lang)
    before = coverage(engine, three_months_before(as_of), by="chain", scope=scope,
                      denominator=denominator, lang=lang)
    ended = as_of > plan.deadline
    deadline = (coverage(engine, plan.deadline, by="chain", scope=scope, denominator=denominator,
                         lang=lang) if ended else None)
    names = {g.key: g.name for g in now.groups}
    at_now, at_before = _by_key(now), _by_key(before)
    at_deadline = _by_key(deadline) if deadline else {}
    for result in (before, deadline):
        for g in (result.groups if result else ()):
            names.setdefault(g.key, g.name)
    chains = [ChainVerdict(key, names[key], plan.target_rate,
                           at_deadline.get(key, (None, Counts()))[1] if ended else None,
                           at_now.get(key, (None, Counts()))[1],
                           at_before.get(key, (None, Counts()))[1])
              for key in names]
    chains.sort(key=lambda c: (c.now.coverage_rate is None, c.now.coverage_rate or 0, c.key))
    district = ChainVerdict("*", "", plan.target_rate,
                            deadline.total if deadline else None, now.total, before.total)
    extra = {}
    for measure, target, attr in (("org_coverage_rate", plan.org_target_rate, "org_coverage_rate"),
                                  ("single_unit_rate", plan.single_unit_target, "single_unit_rate")):
        if target is None:
            continue
        at = getattr(deadline.total, attr) if deadline else None
        current = getattr(now.total, attr)
        extra[measure] = {
            "target": target, "at_deadline": at,
            "result_at_deadline": ("pending" if deadline is None else
                                   "no_data" if at is None else
                                   "met" if at + 1e-12 >= target else "missed"),
            "now": current,
            "standing": ("no_data" if current is None else
                         "met" if current + 1e-12 >= target else "below"),
        }
    return PlanVerdict(plan, as_of, district, chains, extra)
