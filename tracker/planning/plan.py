"""The planner's entry point, :func:`plan_store`, and the names callers import from here.

:func:`plan_store` reads the instance from the store (:mod:`tracker.planning.read`) and
solves it with the greedy planner (:mod:`tracker.planning.heuristic`) or the integer program
(:mod:`tracker.planning.exact`). The types, the checker and the simulation live in their own
modules; this module re-exports them so that ``from tracker.planning.plan import …`` keeps
working for the dashboard, the reports, the benchmarks and the command line.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> result = plan_store(engine, date(2024, 6, 30))
>>> result.actions, result.coverage_before, result.method
([], None, 'heuristic')
"""

from __future__ import annotations

from datetime import date

from ..i18n import t
from .check import check_plan
from .exact import solve
from .heuristic import max_groups, plan
from .instance import FirmItem, Instance, OfficerItem, OrgItem, PlannerConfig, area_key, branch_kind
from .read import instance_from_store
from .result import ACTION_TYPES, Action, PlanResult, action_text, build_result, liaison_text
from .simulation import SimulationResult, simulate

__all__ = [
    "ACTION_TYPES",
    "METHODS",
    "Action",
    "FirmItem",
    "Instance",
    "OfficerItem",
    "OrgItem",
    "PlanResult",
    "PlannerConfig",
    "SimulationResult",
    "action_text",
    "area_key",
    "branch_kind",
    "build_result",
    "check_plan",
    "instance_from_store",
    "liaison_text",
    "max_groups",
    "plan",
    "plan_store",
    "simulate",
]

#: The ways to solve an instance: the greedy planner, or the integer program (small instances).
METHODS = {"heuristic": plan, "exact": solve}


def plan_store(engine, as_of: date, scope=None, config: PlannerConfig | None = None,
               method: str = "heuristic", frame=None) -> PlanResult:
    """Read the store on ``as_of`` and plan.

    Parameters
    ----------
    engine : the store
    as_of : the date D
    scope : the population's scope (default everything)
    config : the planner's constraints
    method : ``"heuristic"`` (:func:`tracker.planning.heuristic.plan`) or ``"exact"``
        (:func:`tracker.planning.exact.solve`)
    frame : see :func:`tracker.planning.read.instance_from_store`
    """
    if method not in METHODS:
        raise ValueError(t("planner.error_unknown_method", method=method))
    return METHODS[method](instance_from_store(engine, as_of, scope, config, frame=frame))
