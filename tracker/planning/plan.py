"""The gap-closing planner: how to cover every firm within the party's rules.

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

Method: the problem splits by area for the organisation part; within an area the optimum
depends only on how many firms with 0, 1 and 2 formal members go where, and the planner
enumerates those counts exactly (a joint group of ``g1`` one-member and ``g2`` two-member
firms can be cut into at most ``min(g1, g2) + (g1 - a) // 3 + (g2 - a) // 2`` groups of
``>= 3`` formal members, ``a = min(g1, g2)``). The liaison part couples areas through the
officers; it is solved greedily (cheapest saved officer first, each step checked by a
max-flow). :mod:`tracker.planning.exact` solves the whole problem as one integer program for small
instances; the tests hold the two objectives equal.

The core works on plain data (:class:`Instance`); :func:`instance_from_store` reads one
from the store, :func:`simulate` applies a plan to an in-memory copy of the store and
runs the rule checks on it.

Examples
--------
>>> inst = Instance(as_of=date(2024, 6, 30), firms=[
...     FirmItem("A", formal=1, park="科学城"), FirmItem("B", formal=2, park="科学城")])
>>> result = plan(inst)
>>> [a.type for a in result.actions], result.totals["new_orgs"]
(['form_joint_branch'], 1)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import networkx as nx
import numpy as np
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from ..coverage import coverage, firm_status
from ..intervals import active_clause
from ..model import Assignment, CoverageLink, Firm, Liaison, PartyOrg, metadata
from ..rules import DEFAULT_CONFIG, RuleConfig, check
from ..scope import EVERYTHING
from ..vocab import PLAN_ACTION

__all__ = [
    "ACTION_TYPES",
    "PlannerConfig",
    "FirmItem",
    "OrgItem",
    "OfficerItem",
    "Instance",
    "Action",
    "PlanResult",
    "plan",
    "plan_store",
    "build_result",
    "check_plan",
    "max_groups",
    "area_key",
    "branch_kind",
    "instance_from_store",
    "simulate",
    "SimulationResult",
]

ACTION_TYPES = tuple(PLAN_ACTION.codes)


@dataclass(frozen=True)
class PlannerConfig:
    """Constraints of the planner; rule thresholds come from :class:`tracker.rules.RuleConfig`.

    Parameters
    ----------
    rules : the thresholds (3 formal members, 50 members per branch, 5 units per joint branch)
    liaison_capacity : firms one liaison officer can serve
    allow_memberless_in_joint : may a firm with no formal member be in a joint branch
    """

    rules: RuleConfig = DEFAULT_CONFIG
    liaison_capacity: int = 3
    allow_memberless_in_joint: bool = True

    def __post_init__(self):
        if self.liaison_capacity < 1:
            raise ValueError("每名联络员负责的企业数至少为1 / liaison capacity must be at least 1")

    @property
    def min_formal(self) -> int:
        return self.rules.min_formal_members

    @property
    def max_units(self) -> int:
        return self.rules.max_joint_units

    @property
    def max_branch_members(self) -> int:
        return self.rules.max_branch_members


def area_key(park: str | None, street: str | None) -> str | None:
    """The area of a firm: its park, else its street, else None (unknown)."""
    if park:
        return f"park:{park}"
    if street:
        return f"street:{street}"
    return None


def branch_kind(members: int, config: PlannerConfig = PlannerConfig()) -> str:
    """Kind of a new organisation with ``members`` members: branch, general branch, committee."""
    if members <= config.max_branch_members:
        return "branch"
    return "general_branch" if members < 2 * config.max_branch_members else "committee"


@dataclass(frozen=True)
class FirmItem:
    """A firm of the population, as the planner sees it."""

    code: str
    formal: int = 0
    probationary: int = 0
    park: str | None = None
    street: str | None = None
    chains: tuple[str, ...] = ()
    status: str = "none"  # org / work / none on D
    single_unit: bool = False

    @property
    def members(self) -> int:
        return self.formal + self.probationary

    @property
    def area(self) -> str | None:
        return area_key(self.park, self.street)


@dataclass(frozen=True)
class OrgItem:
    """An existing active 联合组建 organisation, with the firms it covers on D."""

    code: str
    area: str | None
    covered: int
    members: int = 0
    kind: str = "branch"
    chains: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfficerItem:
    """A liaison officer active on D: the areas of the firms served and the load."""

    id: int
    areas: frozenset
    load: int
    name: str = ""
    unit: str = ""


@dataclass
class Instance:
    as_of: date
    firms: list[FirmItem]
    orgs: list[OrgItem] = field(default_factory=list)
    officers: list[OfficerItem] = field(default_factory=list)
    config: PlannerConfig = field(default_factory=PlannerConfig)

    # ------------------------------------------------------------------ derived sets

    def needs_branch(self, f: FirmItem) -> bool:
        """R1: the firm must get its own branch."""
        return f.formal >= self.config.min_formal and not f.single_unit

    def forced(self) -> list[FirmItem]:
        return [f for f in self.firms if self.needs_branch(f)]

    def pool(self) -> list[FirmItem]:
        """Uncovered firms with fewer than 3 formal members: the firms to place."""
        return [f for f in self.firms if f.status == "none" and f.formal < self.config.min_formal]

    def joint_eligible(self, f: FirmItem) -> bool:
        return f.area is not None and (f.formal > 0 or self.config.allow_memberless_in_joint)

    def room(self, org: OrgItem, area_firms: list[FirmItem] | None = None,
             largest: int | None = None) -> int:
        """Places left in an existing joint organisation (units and the 50-member cap).

        ``largest``: the most members of any firm of ``area_firms``, when the caller has
        it (an area with many organisations would otherwise scan its firms for each).
        """
        free = max(0, self.config.max_units - org.covered)
        if org.kind == "branch" and free:
            if largest is None:
                largest = max((f.members for f in (area_firms or [])), default=0)
            headroom = self.config.max_branch_members - org.members
            if largest > 0:
                free = min(free, max(0, headroom // largest))
            elif headroom < 0:
                free = 0
        return free

    def spare(self, officer: OfficerItem) -> int:
        return max(0, self.config.liaison_capacity - officer.load)


# --------------------------------------------------------------------------- result


@dataclass
class Action:
    type: str
    firms: list[str]
    org: str | None = None
    park: str | None = None
    street: str | None = None
    chain: str | None = None
    pooled_formal_members: int = 0
    reason: str = ""
    reason_en: str = ""
    kind: str | None = None  # kind of a new organisation
    members: int = 0  # members (formal + probationary) the firms bring
    chains: list[str] = field(default_factory=list)
    liaison: dict | None = None  # {"id", "name", "unit"} of an existing officer
    new_liaison: int | None = None  # number of a new officer (1, 2, ...)
    area: str | None = None

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "firms": list(self.firms),
            "org": self.org,
            "park": self.park,
            "street": self.street,
            "chain": self.chain,
            "pooled_formal_members": self.pooled_formal_members,
            "reason": self.reason,
            "reason_en": self.reason_en,
            "kind": self.kind,
            "members": self.members,
            "chains": list(self.chains),
            "liaison": self.liaison,
            "new_liaison": self.new_liaison,
        }


@dataclass
class PlanResult:
    as_of: date
    actions: list[Action]
    totals: dict
    firms: int
    covered_before: int
    org_before: int
    covered_after: int
    org_after: int
    method: str = "heuristic"
    config: PlannerConfig = field(default_factory=PlannerConfig)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def coverage_before(self) -> float | None:
        return self._rate(self.covered_before, self.firms)

    @property
    def coverage_after(self) -> float | None:
        return self._rate(self.covered_after, self.firms)

    @property
    def org_coverage_before(self) -> float | None:
        return self._rate(self.org_before, self.firms)

    @property
    def org_coverage_after(self) -> float | None:
        return self._rate(self.org_after, self.firms)

    @property
    def objective(self) -> tuple[int, int, int]:
        """(uncovered after, -organisation-covered after, new organisations + new officers).

        Lower is better, compared in order.
        """
        return (self.firms - self.covered_after, -self.org_after,
                self.totals["new_orgs"] + self.totals["new_liaisons_needed"])

    def as_dict(self) -> dict:
        """The JSON contract of ``tracker plan --json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "actions": [a.as_dict() for a in self.actions],
            "totals": dict(self.totals),
            "coverage_before": self.coverage_before,
            "coverage_after": self.coverage_after,
            "org_coverage_after": self.org_coverage_after,
            "firms": self.firms,
            "org_coverage_before": self.org_coverage_before,
            "method": self.method,
            "liaison_capacity": self.config.liaison_capacity,
        }


def _common(values) -> str | None:
    values = set(values)
    return values.pop() if len(values) == 1 else None


def _chain_of(firms: list[FirmItem]) -> str | None:
    counts = Counter(c for f in firms for c in f.chains)
    if not counts:
        return None
    best = max(counts.values())
    return min(c for c, n in counts.items() if n == best)


def _action(action_type: str, firms: list[FirmItem], **extra) -> Action:
    formal = sum(f.formal for f in firms)
    members = sum(f.members for f in firms)
    return Action(
        type=action_type,
        firms=[f.code for f in firms],
        park=_common(f.park for f in firms),
        street=_common(f.street for f in firms),
        chain=_chain_of(firms),
        chains=sorted({c for f in firms for c in f.chains}),
        pooled_formal_members=formal,
        members=members,
        area=_common(f.area for f in firms),
        **extra,
    )


def build_result(inst: Instance, joins: dict[str, list[FirmItem]],
                 groups: list[list[FirmItem]], officer_firms: dict[int, list[FirmItem]],
                 new_officers: list[list[FirmItem]], method: str) -> PlanResult:
    """Turn placement decisions into actions, totals and rates (shared with :mod:`tracker.planning.exact`)."""
    cfg = inst.config
    n_min, n_units = cfg.min_formal, cfg.max_units
    actions: list[Action] = []
    for f in sorted(inst.forced(), key=lambda f: f.code):
        kind = branch_kind(f.members, cfg)
        actions.append(_action(
            "form_branch", [f], kind=kind,
            reason=f"有正式党员{f.formal}名（{n_min}名以上），应单独建立党组织"
                   f"（党章第三十条、支部工作条例第四条）",
            reason_en=f"{f.formal} formal members ({n_min} or more): forms its own "
                      f"organisation (Constitution Art. 30, Branch Regulations Art. 4)"))
    orgs = {o.code: o for o in inst.orgs}
    for code in sorted(joins):
        firms = joins[code]
        if not firms:
            continue
        org = orgs[code]
        a = _action("join_joint_branch", firms, org=code,
                    reason=f"正式党员不足{n_min}名，就近加入本区域联合党组织（现覆盖{org.covered}家，"
                           f"未满{n_units}家；支部工作条例第五条）",
                    reason_en=f"fewer than {n_min} formal members: joins the joint organisation "
                              f"of its area (covers {org.covered} firms, fewer than {n_units}; "
                              f"Branch Regulations Art. 5)")
        actions.append(a)
    for firms in groups:
        members = sum(f.members for f in firms)
        actions.append(_action(
            "form_joint_branch", firms, kind=branch_kind(members, cfg),
            reason=f"{len(firms)}家同区域企业正式党员均不足{n_min}名，合计{sum(f.formal for f in firms)}名，"
                   f"联合组建党支部（地域相邻、行业相近，不超过{n_units}家；支部工作条例第五条）",
            reason_en=f"{len(firms)} firms of one area, each with fewer than {n_min} formal "
                      f"members ({sum(f.formal for f in firms)} pooled), form a joint branch "
                      f"(at most {n_units} units; Branch Regulations Art. 5)"))
    officers = {o.id: o for o in inst.officers}
    for oid in sorted(officer_firms):
        firms = officer_firms[oid]
        if not firms:
            continue
        o = officers[oid]
        actions.append(_action(
            "assign_liaison", firms,
            liaison={"id": o.id, "name": o.name, "unit": o.unit},
            reason=f"暂不具备组织覆盖条件，由现有联络员兼顾（在岗{o.load}家，上限{cfg.liaison_capacity}家）",
            reason_en=f"cannot be organisation-covered now: served by an existing liaison "
                      f"officer ({o.load} firms now, capacity {cfg.liaison_capacity})"))
    for n, firms in enumerate(new_officers, start=1):
        actions.append(_action(
            "assign_liaison", firms, new_liaison=n,
            reason=f"暂不具备组织覆盖条件，现有联络员已满员或不在本区域，需新选派联络员（每人{cfg.liaison_capacity}家）",
            reason_en=f"cannot be organisation-covered now and no existing officer has room in "
                      f"the area: a new liaison officer is needed ({cfg.liaison_capacity} firms each)"))

    placed_org = {c for a in actions if a.type != "assign_liaison" for c in a.firms}
    placed_work = {c for a in actions if a.type == "assign_liaison" for c in a.firms}
    covered_before = sum(f.status != "none" for f in inst.firms)
    org_before = sum(f.status == "org" for f in inst.firms)
    covered_after = sum(f.status != "none" or f.code in placed_org or f.code in placed_work
                        for f in inst.firms)
    org_after = sum(f.status == "org" or f.code in placed_org for f in inst.firms)
    totals = {
        "new_orgs": sum(a.type in ("form_branch", "form_joint_branch") for a in actions),
        "joined": sum(len(a.firms) for a in actions if a.type == "join_joint_branch"),
        "liaison_assignments": sum(len(a.firms) for a in actions if a.type == "assign_liaison"),
        "new_liaisons_needed": len([g for g in new_officers if g]),
        "form_branch": sum(a.type == "form_branch" for a in actions),
        "form_joint_branch": sum(a.type == "form_joint_branch" for a in actions),
    }
    return PlanResult(as_of=inst.as_of, actions=actions, totals=totals, firms=len(inst.firms),
                      covered_before=covered_before, org_before=org_before,
                      covered_after=covered_after, org_after=org_after, method=method,
                      config=cfg)


# --------------------------------------------------------------------------- the planner


def max_groups(ones: int, twos: int) -> int:
    """Most groups of ``>= 3`` formal members from firms with one and with two members.

    >>> max_groups(3, 0), max_groups(1, 1), max_groups(0, 3), max_groups(2, 0)
    (1, 1, 1, 0)
    """
    a = min(ones, twos)
    return a + (ones - a) // 3 + (twos - a) // 2


def _best_counts(n0: int, n1: int, n2: int, room: int, units: int) -> tuple[int, int, int, int, int]:
    """Exact best (j0, j1, j2, grouped, groups) for one area, by enumerating the counts.

    ``j*`` firms of each kind join existing organisations (``room`` places in all);
    ``grouped`` of the rest go into ``groups`` new joint branches. Maximises
    ``j0 + j1 + j2 + grouped``, then minimises ``groups``; among equals the first in the
    order ``j1`` then ``j2`` ascending.

    Every ``(j1, j2)`` is scored with numpy, a block of ``j1`` rows at a time: a city's
    area has thousands of candidates and rooms, millions of pairs (a Python loop over
    them took 40 s at 1,000,000 firms).
    """
    best_score, best = None, None
    big = n0 + n1 + n2 + 2  # more than any number of groups: score = firms placed, then fewer groups
    j2_all = np.arange(min(n2, room) + 1, dtype=np.int64)[None, :]
    top = min(n1, room)
    for first in range(0, top + 1, 256):
        j1 = np.arange(first, min(top, first + 255) + 1, dtype=np.int64)[:, None]
        valid = j2_all <= np.minimum(n2, room - j1)
        j0 = np.minimum(n0, room - j1 - j2_all)
        r0, r1, r2 = n0 - j0, n1 - j1, n2 - j2_all
        a = np.minimum(r1, r2)
        g = a + (r1 - a) // 3 + (r2 - a) // 2
        grouped = np.minimum(r0 + r1 + r2, units * g)
        groups = -(-grouped // units)
        score = np.where(valid, (j0 + j1 + j2_all + grouped) * big - groups, -1)
        i = int(np.argmax(score))  # the first maximum in (j1, j2) order
        row, col = divmod(i, score.shape[1])
        if best_score is None or score[row, col] > best_score:
            best_score = score[row, col]
            best = (int(j0[row, col]), int(j1[row, 0]), col, int(grouped[row, col]),
                    int(groups[row, col]))
    return best


def _primary_chain(f: FirmItem) -> str:
    return f.chains[0] if f.chains else ""


def _take(firms: list[FirmItem], n: int, prefer: set[str]) -> list[FirmItem]:
    """Take ``n`` firms, those in a preferred chain first (stable), removing them from ``firms``."""
    if n <= 0 or not firms:  # most organisations of a large area are full: no sort for them
        return []
    # The first n of "preferred in order, then the others in order", in one early-stopping
    # scan (a sort per organisation cost seconds in areas with thousands of joiners).
    preferred: list[int] = []
    others: list[int] = []
    for i, f in enumerate(firms):
        if not prefer.isdisjoint(f.chains):
            preferred.append(i)
            if len(preferred) == n:
                break
        elif len(others) < n:
            others.append(i)
    chosen = sorted((preferred + others)[:n])
    taken = [firms[i] for i in chosen]
    for i in reversed(chosen):
        del firms[i]
    return taken


def _seeds(ones: list[FirmItem], twos: list[FirmItem]) -> list[list[FirmItem]]:
    """The most covering seeds (2+1, 1+1+1, 2+2), same chain together where possible."""
    ones = sorted(ones, key=lambda f: (_primary_chain(f), f.code))
    twos = sorted(twos, key=lambda f: (_primary_chain(f), f.code))
    a = min(len(ones), len(twos))
    used1, used2 = set(), set()
    pairs = []
    # 2+1 pairs: same chain first, then any.
    for same_chain in (True, False):
        for i, t in enumerate(twos):
            if i in used2 or len(pairs) == a:
                continue
            for j, o in enumerate(ones):
                if j in used1:
                    continue
                if not same_chain or set(t.chains) & set(o.chains):
                    pairs.append([t, o])
                    used1.add(j)
                    used2.add(i)
                    break
    rest1 = [o for j, o in enumerate(ones) if j not in used1]
    rest2 = [t for i, t in enumerate(twos) if i not in used2]
    seeds = pairs
    seeds += [rest1[k:k + 3] for k in range(0, len(rest1) - len(rest1) % 3, 3)]
    seeds += [rest2[k:k + 2] for k in range(0, len(rest2) - len(rest2) % 2, 2)]
    return seeds


def _make_groups(firms: list[FirmItem], count: int, units: int) -> list[list[FirmItem]]:
    """Cut ``firms`` into ``count`` joint branches of ``<= units`` firms, ``>= 3`` formal each."""
    ones = [f for f in firms if f.formal == 1]
    twos = [f for f in firms if f.formal == 2]
    seeds = _seeds(ones, twos)
    # Keep the seeds whose firms share a chain first.
    seeds.sort(key=lambda s: -max(Counter(c for f in s for c in f.chains).values(), default=0))
    groups = [list(s) for s in seeds[:count]]
    in_group = {f.code for g in groups for f in g}
    rest = sorted((f for f in firms if f.code not in in_group),
                  key=lambda f: (-f.formal, _primary_chain(f), f.code))
    for f in rest:
        open_groups = [g for g in groups if len(g) < units]
        same = [g for g in open_groups if any(set(f.chains) & set(h.chains) for h in g)]
        target = min(same or open_groups, key=len)
        target.append(f)
    return groups


def _liaison_demands(left: dict[str, int], officers: list[OfficerItem], spare: dict[int, int],
                     capacity: int) -> dict[str, int]:
    """How many firms of each area existing officers take, to save the most new officers.

    Greedy: the cheapest saving first (an area's remainder ``L mod c``, then whole blocks of
    ``c``), each accepted only if a max-flow shows the officers can carry all demands.
    """
    reach = defaultdict(list)
    for o in officers:
        if spare[o.id] > 0:
            for a in o.areas:
                if left.get(a):
                    reach[a].append(o.id)
    items = []
    for a, n in left.items():
        if not reach.get(a) or n == 0:
            continue
        first = n - capacity * (math.ceil(n / capacity) - 1)
        items.append((first, a))
        items += [(capacity, a)] * (math.ceil(n / capacity) - 1)
    items.sort(key=lambda t: (t[0], t[1] or ""))
    total_spare = sum(spare[o.id] for o in officers if any(reach.get(a) for a in o.areas))
    demand: dict[str, int] = defaultdict(int)
    used = 0
    for cost, a in items:
        if used + cost > total_spare:
            continue
        demand[a] += cost
        if _feasible(demand, reach, spare):
            used += cost
        else:
            demand[a] -= cost
    return {a: d for a, d in demand.items() if d}


def _flow(demand: dict[str, int], reach: dict[str, list[int]], spare: dict[int, int]):
    """Max flow source → officers → areas → sink; the flow keyed ``("off", id)`` → ``("area", a)``.

    The graph's nodes are numbered in insertion order: networkx's preflow-push keeps
    nodes in sets, and with string-keyed nodes their order (so which officer gets which
    firms) changed from one process to the next with Python's string hashing.
    """
    names: list = ["s", "t"]
    number: dict = {"s": 0, "t": 1}

    def node(key) -> int:
        if key not in number:
            number[key] = len(names)
            names.append(key)
        return number[key]

    G = nx.DiGraph()
    for a, d in demand.items():
        if d <= 0:
            continue
        G.add_edge(node(("area", a)), 1, capacity=d)
        for oid in reach.get(a, []):
            G.add_edge(0, node(("off", oid)), capacity=spare[oid])
            G.add_edge(node(("off", oid)), node(("area", a)), capacity=d)
    if 0 not in G or 1 not in G:
        return 0, {}
    value, flow = nx.maximum_flow(G, 0, 1)
    return value, {names[u]: {names[v]: f for v, f in out.items()} for u, out in flow.items()}


def _feasible(demand, reach, spare) -> bool:
    value, _ = _flow(demand, reach, spare)
    return value == sum(d for d in demand.values() if d > 0)


def _assign_liaisons(inst: Instance, left: dict[str, list[FirmItem]]):
    """Existing officers first (max saved officers), then new officers per area."""
    cap = inst.config.liaison_capacity
    spare = {o.id: inst.spare(o) for o in inst.officers}
    counts = {a: len(fs) for a, fs in left.items()}
    demand = _liaison_demands(counts, inst.officers, spare, cap)
    reach = defaultdict(list)
    for o in inst.officers:
        for a in o.areas:
            reach[a].append(o.id)
    officer_firms: dict[int, list[FirmItem]] = defaultdict(list)
    remaining = {a: sorted(fs, key=lambda f: f.code) for a, fs in left.items()}
    if demand:
        _, flow = _flow(demand, reach, spare)
        for a in sorted(demand):
            for oid in sorted(reach[a]):
                n = flow.get(("off", oid), {}).get(("area", a), 0)
                if n:
                    officer_firms[oid] += remaining[a][:n]
                    remaining[a] = remaining[a][n:]
                    spare[oid] -= n
    # Spare capacity that saves no officer still serves firms (lighter load on new officers).
    for a in sorted(remaining, key=lambda a: (a is None, a or "")):
        for oid in sorted(reach.get(a, [])):
            n = min(spare[oid], len(remaining[a]))
            if n:
                officer_firms[oid] += remaining[a][:n]
                remaining[a] = remaining[a][n:]
                spare[oid] -= n
    new_officers = []
    for a in sorted(remaining, key=lambda a: (a is None, a or "")):
        fs = remaining[a]
        new_officers += [fs[k:k + cap] for k in range(0, len(fs), cap)]
    return dict(officer_firms), new_officers


def plan(inst: Instance) -> PlanResult:
    """The planner on plain data: actions for every uncovered or R1 firm.

    Parameters
    ----------
    inst : the firms, existing joint organisations and officers on D, and the constraints

    Returns
    -------
    PlanResult
        ``as_dict()`` is the JSON of ``tracker plan --json``.
    """
    cfg = inst.config
    pool = inst.pool()
    by_area: dict[str | None, list[FirmItem]] = defaultdict(list)
    liaison_only: dict[str | None, list[FirmItem]] = defaultdict(list)
    for f in sorted(pool, key=lambda f: f.code):
        (by_area if inst.joint_eligible(f) else liaison_only)[f.area].append(f)
    orgs_by_area: dict[str | None, list[OrgItem]] = defaultdict(list)
    for o in inst.orgs:
        orgs_by_area[o.area].append(o)

    joins: dict[str, list[FirmItem]] = defaultdict(list)
    groups: list[list[FirmItem]] = []
    left: dict[str | None, list[FirmItem]] = defaultdict(list)
    for a, fs in liaison_only.items():
        left[a] += fs
    for a in sorted(by_area, key=lambda a: a or ""):
        fs = by_area[a]
        largest = max((f.members for f in fs), default=0)
        rooms = {o.code: inst.room(o, largest=largest)
                 for o in sorted(orgs_by_area.get(a, []), key=lambda o: o.code)}
        kinds = [[f for f in fs if f.formal == k] for k in range(3)]
        j0, j1, j2, grouped, n_groups = _best_counts(
            len(kinds[0]), len(kinds[1]), len(kinds[2]), sum(rooms.values()), cfg.max_units)
        # Joiners: the chosen counts, each to an organisation with room, same chain first.
        joiners = []
        for k, j in zip(range(3), (j0, j1, j2)):
            joiners += kinds[k][:j]
            kinds[k] = kinds[k][j:]
        org_items = {o.code: o for o in orgs_by_area.get(a, [])}
        for code in rooms:
            prefer = set(org_items[code].chains)
            joins[code] += _take(joiners, rooms[code], prefer)
        # Grouped: every member-firm that fits, then firms without members.
        candidates = kinds[2] + kinds[1] + kinds[0]
        chosen, rest = candidates[:grouped], candidates[grouped:]
        if n_groups:
            groups += _make_groups(chosen, n_groups, cfg.max_units)
        left[a] += rest
    officer_firms, new_officers = _assign_liaisons(inst, {a: fs for a, fs in left.items() if fs})
    return build_result(inst, joins, groups, officer_firms, new_officers, "heuristic")


# --------------------------------------------------------------------------- checking


def check_plan(inst: Instance, result: PlanResult) -> list[str]:
    """Every constraint a plan must keep; returns the broken ones (empty = valid)."""
    cfg = inst.config
    problems: list[str] = []
    firms = {f.code: f for f in inst.firms}
    orgs = {o.code: o for o in inst.orgs}
    officers = {o.id: o for o in inst.officers}
    seen: Counter = Counter()
    for a in result.actions:
        if a.type not in ACTION_TYPES:
            problems.append(f"unknown action {a.type}")
        members = [firms[c] for c in a.firms]
        seen.update(a.firms)
        if a.type == "form_branch":
            if len(members) != 1 or members[0].formal < cfg.min_formal:
                problems.append(f"form_branch needs one firm with >= {cfg.min_formal} formal: {a.firms}")
        elif a.type == "form_joint_branch":
            if not 2 <= len(members) <= cfg.max_units:
                problems.append(f"joint branch of {len(members)} firms")
            if sum(f.formal for f in members) < cfg.min_formal:
                problems.append(f"joint branch pools fewer than {cfg.min_formal} formal: {a.firms}")
            if any(f.formal >= cfg.min_formal for f in members):
                problems.append(f"joint branch with a firm that must form its own: {a.firms}")
            if len({f.area for f in members}) != 1 or members[0].area is None:
                problems.append(f"joint branch across areas: {a.firms}")
            if not cfg.allow_memberless_in_joint and any(f.formal == 0 for f in members):
                problems.append(f"memberless firm in a joint branch: {a.firms}")
        elif a.type == "join_joint_branch":
            org = orgs.get(a.org)
            if org is None:
                problems.append(f"join of unknown organisation {a.org}")
                continue
            if org.covered + len(members) > cfg.max_units:
                problems.append(f"{a.org} would cover more than {cfg.max_units} firms")
            if org.kind == "branch" and org.members + sum(f.members for f in members) > cfg.max_branch_members:
                problems.append(f"{a.org} would pass {cfg.max_branch_members} members")
            if any(f.area != org.area or f.area is None for f in members):
                problems.append(f"join outside the organisation's area: {a.firms}")
            if any(f.formal >= cfg.min_formal for f in members):
                problems.append(f"firm that must form its own joins {a.org}")
            if not cfg.allow_memberless_in_joint and any(f.formal == 0 for f in members):
                problems.append(f"memberless firm joins {a.org}")
        elif a.type == "assign_liaison":
            if len(members) > cfg.liaison_capacity and a.liaison is None:
                problems.append(f"new officer over capacity: {len(members)}")
            if a.liaison is not None:
                o = officers[a.liaison["id"]]
                if any(f.area not in o.areas for f in members):
                    problems.append(f"officer {o.id} outside the area")
            elif len({f.area for f in members}) > 1:
                problems.append("new officer across areas")
    per_officer = Counter()
    for a in result.actions:
        if a.type == "assign_liaison" and a.liaison is not None:
            per_officer[a.liaison["id"]] += len(a.firms)
    for oid, n in per_officer.items():
        if officers[oid].load + n > cfg.liaison_capacity:
            problems.append(f"officer {oid} over capacity")
    per_org = Counter()
    for a in result.actions:
        if a.type == "join_joint_branch":
            per_org[a.org] += len(a.firms)
    for code, n in per_org.items():
        if orgs[code].covered + n > cfg.max_units:
            problems.append(f"{code} over {cfg.max_units} units in total")
    twice = [c for c, n in seen.items() if n > 1]
    if twice:
        problems.append(f"firms in more than one action: {twice}")
    for f in inst.firms:
        if inst.needs_branch(f) and not any(a.type == "form_branch" and f.code in a.firms
                                            for a in result.actions):
            problems.append(f"R1 firm {f.code} gets no branch")
        if f.status == "none" and f.code not in seen:
            problems.append(f"uncovered firm {f.code} gets no action")
    return problems


# --------------------------------------------------------------------------- the store


def instance_from_store(engine, as_of: date, scope=None,
                        config: PlannerConfig | None = None, frame=None) -> Instance:
    """Read the planner's input on ``as_of`` from the store.

    Firms come from :func:`tracker.coverage.firm_status` (the population in the scope);
    joint organisations and officers are those active on ``as_of`` (an organisation counts
    every firm it covers on the date, as rule R3 does).

    Parameters
    ----------
    engine : the store
    as_of : the date D
    scope : the population's scope (default everything)
    config : the planner's constraints
    frame : ``firm_status(engine, as_of, scope)`` when the caller already has it (the
        report reads it for its ledger; at 100,000 firms a second read costs seconds).
        It must be the ``chain_firms`` population of the same date and scope.
    """
    config = config or PlannerConfig()
    scope = scope or EVERYTHING
    if frame is None:
        frame = firm_status(engine, as_of, scope)
    firms = _firm_items(frame)
    F, L, O = Firm.__table__, CoverageLink.__table__, PartyOrg.__table__
    A, Li = Assignment.__table__, Liaison.__table__
    chains_of = {f.code: f.chains for f in firms}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(O.c.code, O.c.name, O.c.kind, O.c.member_count, F.c.credit_code, F.c.park,
                      F.c.street)
            .select_from(O.join(L, L.c.org_id == O.c.id).join(F, F.c.id == L.c.firm_id))
            .where(O.c.formation == "joint")
            .where(active_clause(O.c.founded, O.c.dissolved, as_of))
            .where(active_clause(L.c.start, L.c.end, as_of))
        ).all()
        officer_rows = conn.execute(
            sa.select(Li.c.id, Li.c.name, Li.c.unit, F.c.credit_code, F.c.park, F.c.street)
            .select_from(Li.join(A, A.c.liaison_id == Li.c.id).join(F, F.c.id == A.c.firm_id))
            .where(active_clause(A.c.start, A.c.end, as_of))
        ).all()
    org_firms: dict[str, dict] = {}
    for code, name, kind, members, credit, park, street in rows:
        entry = org_firms.setdefault(code, {"name": name, "kind": kind, "members": int(members),
                                            "firms": {}})
        entry["firms"][credit] = area_key(park, street)
    orgs = []
    for code, entry in sorted(org_firms.items()):
        areas = Counter(a for a in entry["firms"].values() if a is not None)
        area = min(areas, key=lambda a: (-areas[a], a)) if areas else None
        chains = sorted({c for credit in entry["firms"] for c in chains_of.get(credit, ())})
        orgs.append(OrgItem(code=code, area=area, covered=len(entry["firms"]),
                            members=entry["members"], kind=entry["kind"], chains=tuple(chains)))
    officer_firms: dict[int, dict] = {}
    for oid, name, unit, credit, park, street in officer_rows:
        entry = officer_firms.setdefault(oid, {"name": name, "unit": unit, "firms": {}})
        entry["firms"][credit] = area_key(park, street)
    officers = [OfficerItem(id=oid, name=e["name"], unit=e["unit"], load=len(e["firms"]),
                            areas=frozenset(e["firms"].values()))
                for oid, e in sorted(officer_firms.items())]
    return Instance(as_of=as_of, firms=firms, orgs=orgs, officers=officers, config=config)


def _firm_items(frame) -> list[FirmItem]:
    """The frame's rows as :class:`FirmItem`, column by column (itertuples is slower)."""
    if len(frame) == 0:
        return []
    # Chains strings repeat a lot (a few hundred distinct values): split each once.
    split: dict[str, tuple[str, ...]] = {}

    def chains_of(text) -> tuple[str, ...]:
        key = text if isinstance(text, str) else ""
        found = split.get(key)
        if found is None:
            found = split[key] = tuple(c for c in key.split(";") if c)
        return found

    columns = (
        frame["credit_code"].tolist(),
        frame["formal_members"].astype("int64").tolist(),
        frame["probationary_members"].astype("int64").tolist(),
        [_text(v) for v in frame["park"].tolist()],
        [_text(v) for v in frame["street"].tolist()],
        [chains_of(v) for v in frame["chains"].tolist()],
        frame["status"].tolist(),
        frame["single_unit"].astype(bool).tolist(),
    )
    return [FirmItem(code, formal, probationary, park, street, chains, status, single)
            for code, formal, probationary, park, street, chains, status, single in zip(*columns)]


def _text(value) -> str | None:
    """A park or street from a frame cell: None for missing (None, NaN) or blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value).strip()
    return value or None


def plan_store(engine, as_of: date, scope=None, config: PlannerConfig | None = None,
               method: str = "heuristic", frame=None) -> PlanResult:
    """Read the store on ``as_of`` and plan; ``method="exact"`` uses :func:`tracker.planning.exact.solve`.

    ``frame``: see :func:`instance_from_store`.
    """
    inst = instance_from_store(engine, as_of, scope, config, frame=frame)
    if method == "exact":
        from .exact import solve

        return solve(inst)
    if method != "heuristic":
        raise ValueError(f"未知的规划方法：{method}（可选：heuristic、exact）")
    return plan(inst)


# --------------------------------------------------------------------------- simulation


@dataclass
class SimulationResult:
    """The district after the plan, on an in-memory copy of the store (nothing written)."""

    as_of: date
    coverage: object  # tracker.coverage.Counts
    findings: list  # tracker.rules.Finding of the checked rules
    rules: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "coverage": self.coverage.as_dict(),
            "rules": list(self.rules),
            "findings": [f.as_dict() for f in self.findings],
        }


def _copy_store(engine):
    """An in-memory SQLite copy of every table of the store."""
    target = sa.create_engine("sqlite://", poolclass=StaticPool,
                              connect_args={"check_same_thread": False})
    metadata.create_all(target)
    with engine.connect() as src, target.begin() as dst:
        for table in metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if rows:
                dst.execute(table.insert(), rows)
    return target


def simulate(result: PlanResult, engine, scope=None, rules: tuple[str, ...] = ("R1", "R2", "R3"),
             rule_config: RuleConfig | None = None) -> SimulationResult:
    """Apply ``result`` to an in-memory copy of the store and check coverage and rules.

    New organisations are founded, links and assignments start on the plan's date; a
    joined organisation gains the joining firms' members; each new officer is a new
    liaison row. The store itself is not touched. Coverage and findings are computed by
    :func:`tracker.coverage.coverage` and :func:`tracker.rules.check` on the copy, the same
    code that computes them on the real store.
    """
    scope = scope or EVERYTHING
    copy = _copy_store(engine)
    D = result.as_of
    F, O = Firm.__table__, PartyOrg.__table__
    with copy.begin() as conn:
        firm = dict(conn.execute(sa.select(F.c.credit_code, F.c.id)).all())
        members = dict(conn.execute(sa.select(F.c.credit_code,
                                              F.c.formal_members + F.c.probationary_members)).all())
        org_ids = dict(conn.execute(sa.select(O.c.code, O.c.id)).all())
        new_liaisons: dict[int, int] = {}
        for n, a in enumerate(result.actions, start=1):
            if a.type in ("form_branch", "form_joint_branch"):
                code = f"PLAN-{D:%Y%m%d}-{n:04d}"
                formation = "single" if a.type == "form_branch" else "joint"
                org_id = conn.execute(O.insert().values(
                    code=code, name=f"拟建党组织{n}", kind=a.kind or "branch", formation=formation,
                    founded=D, member_count=sum(members[c] for c in a.firms), version=1,
                )).inserted_primary_key[0]
                for c in a.firms:
                    conn.execute(CoverageLink.__table__.insert().values(
                        org_id=org_id, firm_id=firm[c], start=D))
            elif a.type == "join_joint_branch":
                for c in a.firms:
                    conn.execute(CoverageLink.__table__.insert().values(
                        org_id=org_ids[a.org], firm_id=firm[c], start=D))
                conn.execute(O.update().where(O.c.code == a.org).values(
                    member_count=O.c.member_count + sum(members[c] for c in a.firms)))
            elif a.type == "assign_liaison":
                if a.liaison is not None:
                    lid = a.liaison["id"]
                else:
                    if a.new_liaison not in new_liaisons:
                        new_liaisons[a.new_liaison] = conn.execute(Liaison.__table__.insert().values(
                            name=f"拟新增联络员{a.new_liaison}", unit="（待选派）", role="liaison",
                            version=1)).inserted_primary_key[0]
                    lid = new_liaisons[a.new_liaison]
                for c in a.firms:
                    conn.execute(Assignment.__table__.insert().values(
                        liaison_id=lid, firm_id=firm[c], start=D))
    try:
        counts = coverage(copy, D, scope=scope, denominator="chain_firms").total
        findings = check(copy, D, scope, config=rule_config or result.config.rules, rules=list(rules))
    finally:
        copy.dispose()
    return SimulationResult(as_of=D, coverage=counts, findings=findings, rules=tuple(rules))
