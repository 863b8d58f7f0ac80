"""The exact planner for small instances: one integer program solved by HiGHS.

The same problem as :func:`tracker.planning.heuristic.plan` (same
:class:`~tracker.planning.instance.Instance`, same constraints, same objective), written firm
by firm with no decomposition, so that it checks the planner's reasoning rather than
repeating it; it shares only the input and output types with the heuristic. For every firm ``f`` to place
(uncovered, fewer than 3 formal members):

- ``x[f,o]`` joins the existing joint organisation ``o`` of its area (room as in the planner);
- ``y[f,g]`` is in new joint branch slot ``g`` of its area, ``z[g]`` opens the slot
  (``sum y <= 5 z``, ``sum formal * y >= 3 z``; slots ordered ``z[g] >= z[g+1]``);
- ``w[f,k]`` is served by existing officer ``k`` (area and spare capacity);
- ``v[f]`` is served by a new officer of its area, ``u[a]`` new officers in area ``a``
  (``sum v <= capacity * u``).

Each firm takes exactly one. Firms with ``>= 3`` formal members without their own
organisation form a branch (forced, a constant of the objective). The lexicographic
objective is one weighted sum: ``minimise sum z + sum u - W (sum x + sum y)`` with
``W = 2n + 2`` larger than any possible ``sum z + sum u``.

Meant for ``<= ~30`` firms to place; the size grows as firms x slots per area.

Examples
--------
>>> from datetime import date
>>> from tracker.planning.instance import FirmItem, Instance
>>> inst = Instance(date(2024, 6, 30), [FirmItem("A", 1, park="P"), FirmItem("B", 2, park="P")])
>>> solve(inst).objective
(0, -2, 1)
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..errors import TrackerError
from ..i18n import t
from .instance import FirmItem, Instance
from .result import PlanResult, build_result

__all__ = ["ExactError", "solve"]


class ExactError(TrackerError):
    """The integer program found no optimum (time limit or solver failure)."""


class _Model:
    def __init__(self):
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, cost: float, upper: float = 1.0) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(1)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((coefs, lo, hi))

    def solve(self, time_limit: float | None):
        # Imported here, not at the top: scipy.optimize takes about a second to import, and
        # every dashboard page that shows the plan imports this module through plan_store
        # while only ``tracker plan --exact``, the tests and the benchmark ever solve.
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        n = len(self.cost)
        data, ri, ci, lo, hi = [], [], [], [], []
        for r, (coefs, a, b) in enumerate(self.rows):
            for c, v in coefs.items():
                ri.append(r)
                ci.append(c)
                data.append(v)
            lo.append(a)
            hi.append(b)
        constraints = []
        if self.rows:
            A = coo_matrix((data, (ri, ci)), shape=(len(self.rows), n)).tocsr()
            constraints.append(LinearConstraint(A, np.array(lo), np.array(hi)))
        options = {"disp": False}
        if time_limit is not None:
            options["time_limit"] = time_limit
        return milp(c=np.array(self.cost), constraints=constraints,
                    integrality=np.array(self.integer),
                    bounds=Bounds(np.zeros(n), np.array(self.upper)), options=options)


def solve(inst: Instance, time_limit: float | None = 60.0) -> PlanResult:
    """The optimal plan of ``inst`` (``method="exact"``).

    Raises
    ------
    ExactError
        When HiGHS stops without a proven optimum (e.g. the time limit on a large instance).
    """
    cfg = inst.config
    pool = sorted(inst.pool(), key=lambda f: f.code)
    n = len(pool)
    W = 2 * n + 2
    m = _Model()
    eligible_by_area: dict[str | None, list[FirmItem]] = defaultdict(list)
    for f in pool:
        if inst.joint_eligible(f):
            eligible_by_area[f.area].append(f)

    choices: dict[str, list[int]] = defaultdict(list)  # firm code -> its variables
    x: dict[tuple[str, str], int] = {}
    y: dict[tuple[str, int], int] = {}
    w: dict[tuple[str, int], int] = {}
    v: dict[str, int] = {}

    # Existing joint organisations.
    for o in inst.orgs:
        firms = eligible_by_area.get(o.area, [])
        room = inst.room(o, firms) if o.area is not None else 0
        if room <= 0 or not firms:
            continue
        for f in firms:
            x[f.code, o.code] = m.var(-W)
            choices[f.code].append(x[f.code, o.code])
        m.row({x[f.code, o.code]: 1.0 for f in firms}, 0, room)

    # New joint branch slots, per area.
    slots: list[tuple[int, list[FirmItem], list[int]]] = []
    for area, firms in eligible_by_area.items():
        previous = None
        for g in range(len(firms) // 2):
            z = m.var(1.0)
            members = []
            for f in firms:
                y[f.code, len(slots)] = m.var(-W)
                members.append(y[f.code, len(slots)])
                choices[f.code].append(y[f.code, len(slots)])
            coefs = {yy: 1.0 for yy in members}
            coefs[z] = -float(cfg.max_units)
            m.row(coefs, -np.inf, 0)
            coefs = {y[f.code, len(slots)]: float(f.formal) for f in firms}
            coefs[z] = -float(cfg.min_formal)
            m.row(coefs, 0, np.inf)
            if previous is not None:
                m.row({previous: 1.0, z: -1.0}, 0, np.inf)
            previous = z
            slots.append((z, firms, members))

    # Existing officers.
    for o in inst.officers:
        spare = inst.spare(o)
        firms = [f for f in pool if f.area in o.areas]
        if spare <= 0 or not firms:
            continue
        for f in firms:
            w[f.code, o.id] = m.var(0.0)
            choices[f.code].append(w[f.code, o.id])
        m.row({w[f.code, o.id]: 1.0 for f in firms}, 0, spare)

    # New officers, per area.
    by_area: dict[str | None, list[FirmItem]] = defaultdict(list)
    for f in pool:
        by_area[f.area].append(f)
    for area, firms in by_area.items():
        u = m.var(1.0, upper=float(len(firms)))
        for f in firms:
            v[f.code] = m.var(0.0)
            choices[f.code].append(v[f.code])
        coefs = {v[f.code]: 1.0 for f in firms}
        coefs[u] = -float(cfg.liaison_capacity)
        m.row(coefs, -np.inf, 0)

    for f in pool:
        m.row({c: 1.0 for c in choices[f.code]}, 1, 1)

    if pool:
        res = m.solve(time_limit)
        if res.x is None or res.status != 0:
            raise ExactError(t("planner.error_no_optimum", message=res.message))
        value = np.round(res.x).astype(int)
    else:
        value = np.zeros(0, dtype=int)

    joins: dict[str, list[FirmItem]] = defaultdict(list)
    groups = []
    officer_firms: dict[int, list[FirmItem]] = defaultdict(list)
    new_by_area: dict[str | None, list[FirmItem]] = defaultdict(list)
    firm = {f.code: f for f in pool}
    for (code, org), i in x.items():
        if value[i]:
            joins[org].append(firm[code])
    for s, (z, firms, members) in enumerate(slots):
        if value[z]:
            group = [f for f, yy in zip(firms, members) if value[yy]]
            if group:
                groups.append(group)
    for (code, oid), i in w.items():
        if value[i]:
            officer_firms[oid].append(firm[code])
    for code, i in v.items():
        if value[i]:
            new_by_area[firm[code].area].append(firm[code])
    cap = cfg.liaison_capacity
    new_officers = []
    for area in sorted(new_by_area, key=lambda a: (a is None, a or "")):
        fs = new_by_area[area]
        new_officers += [fs[k:k + cap] for k in range(0, len(fs), cap)]
    return build_result(inst, dict(joins), groups, dict(officer_firms), new_officers, "exact")
