"""The officer's to-do list: firms uncovered for longer than the plan allows, with what to do.

:func:`tracker.flow.overdue` finds the firms whose uncovered spell is longer than the
window; this module adds the window of the plan in force (``cover_within_days``) when none
is given, and the planner's suggested action for each firm (:mod:`tracker.planning`), in
the reader's language.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> queue = overdue_queue(empty_store(), date(2026, 11, 27))
>>> queue.days, queue.plan, queue.rows
(90, '红杉林计划', [])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .flow import OverdueFirm, Timeline, overdue
from .model import PartyOrg
from .planning.plan import PlanResult, plan_store
from .planning.result import action_text
from .plans import plan_in_force, plan_name
from .scope import Scope

__all__ = ["OverdueQueue", "overdue_queue"]


@dataclass
class OverdueQueue:
    """The overdue firms on ``as_of`` and the window that made them overdue."""

    as_of: date
    days: int
    plan: str | None
    chain: str | None
    rows: list[OverdueFirm]

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "days": self.days, "plan": self.plan,
                "chain": self.chain, "firms": [r.as_dict() for r in self.rows]}


def overdue_queue(engine: Engine, as_of: date, days: int | None = None, chain: str | None = None,
                  lang: str = "zh", with_actions: bool = True,
                  timeline_of: Callable[[str | None], Timeline] | None = None,
                  plan_of: Callable[[Scope | None], PlanResult] | None = None) -> OverdueQueue:
    """The overdue firms on ``as_of``, longest wait first, each with the planner's action.

    Parameters
    ----------
    days : the window; default the plan in force's ``cover_within_days`` (90 without a plan)
    chain : a chain code: that chain's population only
    with_actions : run the planner on ``as_of`` (the same scope) for each firm's action
    timeline_of : denominator (None: the default plan's) → the store's
        :class:`tracker.flow.Timeline` counting it, for a caller that keeps one per data
        version (the dashboard); default read the store
    plan_of : scope (None: the district) → the planner's result on ``as_of`` in that scope,
        for a caller that keeps it (the dashboard); default run the planner
    """
    plan = plan_in_force(engine, as_of)
    if days is None:
        days = plan.cover_within_days if plan is not None else 90
    code = chain.strip().upper() if chain else None
    denominator = plan.denominator if plan is not None else None
    rows = overdue(engine, as_of, days=days, chain=code, denominator=denominator,
                   timeline=timeline_of(denominator) if timeline_of is not None else None)
    if rows and with_actions:
        scope = Scope.of(chains=[code]) if code else None
        result = plan_of(scope) if plan_of is not None else plan_store(engine, as_of, scope)
        O = PartyOrg.__table__  # noqa: N806 - the table's initial, as in tracker.coverage
        with engine.connect() as conn:
            names = dict(conn.execute(sa.select(O.c.code, O.c.name)).all())
        by_firm = {}
        for action in result.actions:
            for firm in action.firms:
                by_firm.setdefault(firm, action_text(action, lang, names))
        for row in rows:
            row.action = by_firm.get(row.credit_code)
    # The plan's name in the reader's language (its English name in English, when known).
    return OverdueQueue(as_of, days, plan_name(plan, lang) if plan is not None else None, code,
                        rows)
