"""The constraints every plan keeps, checked action by action (the tests' referee of both planners).

Examples
--------
>>> from datetime import date
>>> from tracker.planning.instance import FirmItem, Instance
>>> from tracker.planning.heuristic import plan
>>> inst = Instance(date(2024, 6, 30), [FirmItem("A", 4, park="P"), FirmItem("B", 0, park="P")])
>>> check_plan(inst, plan(inst))
[]
"""

from __future__ import annotations

from collections import Counter

from .instance import Instance
from .result import ACTION_TYPES, PlanResult

__all__ = ["check_plan"]


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
