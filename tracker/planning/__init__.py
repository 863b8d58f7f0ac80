"""The gap-closing planner, the exact integer program it is held to, and forecasts.

For every firm of the population on D that is **uncovered**, or covered in a way rule R1
says is not enough (``>= 3`` formal members but no own 单独组建 organisation), the planner
proposes one action:

``form_branch``
    a firm with ``>= 3`` formal members forms its own branch (单独组建). This is forced for
    every R1 firm. A firm with more than 50 members forms a 党总支, with 100 or more a
    基层党委 (``kind`` of the action), so that the new organisation breaks no rule (R2).
``join_joint_branch``
    a firm joins an existing active 联合组建 organisation of its area that covers fewer
    than 5 firms on D (all its linked firms count, as in R3).
``form_joint_branch``
    firms with 0-2 formal members group into a new joint branch of at most 5 firms with at
    least 3 pooled formal members, all from one area; firms of the same chain are grouped
    together where the counts allow (行业相近).
``assign_liaison``
    the firms left get a liaison officer: an existing officer with spare capacity whose
    area holds the firm, else new officers (one area each), ``liaison_capacity`` firms each.

**Objective**, in order: (1) every firm covered (always reachable, liaisons are the last
resort); (2) as many firms as possible organisation-covered; (3) as few new organisations
plus new officers as possible. Joining an existing organisation and using an existing
officer's spare capacity cost nothing.

Modelling choices (documented product decisions)
-------------------------------------------------
- **Area (地域相邻)**: a firm's area is its park when it has one, else its street. A joint
  branch groups firms of one area; a firm with neither park nor street cannot join or form
  one (its neighbours are unknown) and gets a liaison. An existing joint organisation
  belongs to the area where most firms it covers on D lie (ties: the first by name).
- **Firms without formal members in joint branches**: 支部工作条例 Art. 5 says units with
  *fewer than 3* formal members form joint branches; a unit with none is such a unit. We
  allow it only while the pooled formal members of the branch stay ``>= 3`` (a new joint
  branch needs 3 pooled formal members whatever its other units; an existing one already
  meets the rule). ``PlannerConfig(allow_memberless_in_joint=False)`` gives the stricter
  reading: firms with no formal member get a liaison instead.
- **Room of an existing joint organisation**: ``5 - firms it covers on D``; for a 党支部 the
  room is also limited so that it cannot pass 50 members with the largest candidate of
  its area (so a plan never creates an R2 finding).
- **An officer's area** is the set of areas of the firms they serve on D; officers with no
  active assignment on D are not counted as available. New officers serve one area each.
- Firms already work-covered with fewer than 3 formal members are left as they are; firms
  organisation-covered by a joint organisation that R1 flags keep that link and get their
  own branch beside it.

Modules, in the order data flows through them:

================  ==========================================================================
``instance``      the input as plain data (:class:`Instance`, :class:`PlannerConfig`, items)
``read``          :func:`instance_from_store`: the input on D from the store
``heuristic``     :func:`~.heuristic.plan`: the greedy planner, exact per area, officers by max-flow
``exact``         :func:`solve`: the integer program the tests hold the heuristic to
``result``        :class:`Action`, :class:`PlanResult`, :func:`build_result`, :func:`action_text`
``check``         :func:`check_plan`: every constraint a plan keeps
``simulation``    :func:`simulate`: the plan applied to an in-memory copy, rules checked
``plan``          :func:`plan_store`, the entry point (and the names callers import)
``forecast``      :func:`~.forecast.forecast`: when the target will be reached, from the trends
================  ==========================================================================

The package exports the public names below, except the two functions named like their
module: the greedy planner :func:`tracker.planning.heuristic.plan` (also in
``tracker.planning.plan``) and :func:`tracker.planning.forecast.forecast`. A function
``tracker.planning.plan`` would shadow the module of that name (``import
tracker.planning.plan as m`` would then bind the function).

Examples
--------
>>> from datetime import date
>>> from tracker.planning.heuristic import plan
>>> inst = Instance(as_of=date(2024, 6, 30), firms=[
...     FirmItem("A", formal=1, park="科学城"), FirmItem("B", formal=2, park="科学城")])
>>> result = plan(inst)
>>> [a.type for a in result.actions], result.totals["new_orgs"], result.coverage_after
(['form_joint_branch'], 1, 1.0)
>>> action_text(result.actions[0], "en"), result.actions[0].reason_text("en")[:32]
('Form a joint branch', '2 firms of one area, each with f')
"""

from .check import check_plan
from .exact import ExactError, solve
from .forecast import ForecastResult
from .instance import FirmItem, Instance, OfficerItem, OrgItem, PlannerConfig
from .plan import plan_store
from .read import instance_from_store
from .result import ACTION_TYPES, Action, PlanResult, action_text, liaison_text
from .simulation import SimulationResult, simulate

__all__ = [
    "ACTION_TYPES",
    "Action",
    "ExactError",
    "FirmItem",
    "ForecastResult",
    "Instance",
    "OfficerItem",
    "OrgItem",
    "PlanResult",
    "PlannerConfig",
    "SimulationResult",
    "action_text",
    "check_plan",
    "instance_from_store",
    "liaison_text",
    "plan_store",
    "simulate",
    "solve",
]
