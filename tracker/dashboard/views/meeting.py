"""The figures of the meeting-room view (大屏, ``/meeting``): the headline, the deadline's
verdict, the overdue count and the 13 chains as red / amber / green, for the department's
weekly meeting on a 1920×1080 screen.

Every figure is the overview's (:func:`tracker.dashboard.views.overview`, the plan in force
and the last plan that ended) or the overdue queue's
(:func:`tracker.dashboard.views.overdue_list`); this module only picks them and says which
light each chain gets (:func:`light`, the one place of the thresholds).

Examples
--------
>>> from tracker.coverage import Counts
>>> light(Counts(100, 90, 10, 0), 1.0), light(Counts(100, 90, 6, 4), 1.0)
('green', 'amber')
>>> light(Counts(100, 80, 5, 15), 1.0), light(Counts(), 1.0)
('red', 'grey')
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> b = board(empty_store(), date(2026, 11, 27))
>>> b.has_data, len(b.chains), b.overdue
(False, 13, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from ...coverage import Counts
from ...i18n import t
from ...plans import plan_name
from ...scope import EVERYTHING, Scope
from .cache import cached
from .flow import overdue_list
from .format import fmt_int, fmt_pct
from .overview import overview

__all__ = ["AMBER_BAND", "LIGHT_COLOURS", "REFRESH_SECONDS", "Board", "BoardChain", "board",
           "light"]

#: How often the meeting view refreshes itself (seconds): fresh figures for a meeting
#: that runs an hour, without reloading the page (a fragment reruns on its own).
REFRESH_SECONDS = 300
#: Amber: below the target by at most this much of the rate (0.05 = 5 percentage points).
AMBER_BAND = 0.05
#: The lights' colours (dark enough for white text on a projector).
LIGHT_COLOURS = {"green": "#2e7d32", "amber": "#e65100", "red": "#b71c1c", "grey": "#78909c"}


def light(counts: Counts, target_rate: float) -> str:
    """``green`` at or above the target (no firm short of it), ``amber`` below it by at most
    :data:`AMBER_BAND`, ``red`` further below; ``grey`` without firms."""
    if not counts.firms:
        return "grey"
    if counts.gap_to(target_rate) == 0:
        return "green"
    rate = counts.coverage_rate or 0.0
    return "amber" if rate >= target_rate - AMBER_BAND - 1e-12 else "red"


@dataclass
class BoardChain:
    code: str
    name: str
    firms: int
    uncovered: int
    rate: float | None
    gap: int  # firms short of the target
    light: str


@dataclass
class Board:
    """What the meeting view shows on ``as_of``: the district's ``counts`` (the figures of
    :func:`tracker.coverage.coverage`), the plan's ``target_rate``, ``deadline_lines`` (the
    verdict of the last plan that ended, then the plan in force when another follows it),
    ``overdue`` firms and the ``chains``, lowest rate first."""

    as_of: date
    has_data: bool
    counts: Counts
    target_rate: float
    deadline_lines: list[str]
    deadline_passed: bool
    overdue: int
    overdue_days: int
    chains: list[BoardChain] = field(default_factory=list)

    @property
    def lights(self) -> dict[str, int]:
        """How many chains have each light."""
        out = dict.fromkeys(LIGHT_COLOURS, 0)
        for chain in self.chains:
            out[chain.light] += 1
        return out


def _deadline_lines(view, lang: str) -> tuple[list[str], bool]:
    lines, passed = [], False
    ended = view.ended
    if ended is not None:
        passed = True
        d = ended.district
        result = d.result_at_deadline
        at = d.at_deadline or Counts()
        lines.append(t(f"meeting.deadline_passed_{'met' if result == 'met' else 'missed'}", lang,
                       plan=plan_name(ended.plan, lang), deadline=ended.plan.deadline.isoformat(),
                       days=fmt_int(ended.days_past_deadline), rate=fmt_pct(at.coverage_rate),
                       target=fmt_pct(ended.plan.target_rate),
                       short=fmt_int(d.short_at_deadline or 0)))
    plan = view.plan
    # The same plan by its dates: the view's name is already in ``lang``, the ended plan's not.
    if plan is not None and (ended is None
                             or (ended.plan.start, ended.plan.deadline) != (plan.start, plan.deadline)):
        key = "plan_in_force_example" if plan.is_example else "plan_in_force"
        lines.append(t(f"meeting.{key}", lang, plan=plan_name(plan, lang), deadline=plan.deadline.isoformat(),
                       days=fmt_int(max(0, plan.days_left)), target=fmt_pct(plan.target_rate),
                       short=fmt_int(plan.gap)))
    if not lines:
        lines.append(t("meeting.no_plan", lang))
    return lines, passed


@cached
def board(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> Board:
    """The meeting view's figures on ``as_of`` within ``scope``."""
    view = overview(engine, as_of, scope, lang)
    target = view.plan.target_rate if view.plan is not None else 1.0
    lines, passed = _deadline_lines(view, lang)
    queue = overdue_list(engine, as_of, scope, lang)
    chains = [BoardChain(r.code, r.name, r.counts.firms, r.counts.uncovered,
                         r.counts.coverage_rate, r.counts.gap_to(r.target_rate),
                         light(r.counts, r.target_rate)) for r in view.chains]
    return Board(as_of=as_of, has_data=view.has_data, counts=view.total, target_rate=target,
                 deadline_lines=lines, deadline_passed=passed, overdue=len(queue.frame),
                 overdue_days=queue.days, chains=chains)
