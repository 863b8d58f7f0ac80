"""The planner's output: actions with their reasons, totals and rates, and their text.

Both planners turn their placement decisions into a :class:`PlanResult` through
:func:`build_result`, so that a heuristic plan and an exact one read, total and print the
same way. An action's reason is a locale key of ``tracker/locales/planner.json`` with its
parameters (:attr:`Action.reason_key`, :attr:`Action.reason_params`), rendered in the
reader's language by :meth:`Action.reason_text`; :func:`action_text` is the one-line text of
an action that the dashboard and the reports show.

Examples
--------
>>> from datetime import date
>>> from tracker.planning.instance import FirmItem, Instance
>>> inst = Instance(date(2024, 6, 30), [FirmItem("A", 1, park="P")])
>>> result = build_result(inst, {}, [], {}, [inst.firms], "heuristic")
>>> action = result.actions[0]
>>> action.reason_key, action_text(action, "zh"), action_text(action, "en")
('new_liaison_reason', '选派联络员（新选派联络员1）', 'Assign a liaison officer (new liaison officer 1)')
>>> result.coverage_before, result.coverage_after, result.org_coverage_after
(0.0, 1.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..coverage import rate
from ..i18n import t
from ..vocab import PLAN_ACTION
from .instance import FirmItem, Instance, PlannerConfig, branch_kind

__all__ = [
    "ACTION_TYPES",
    "Action",
    "PlanResult",
    "action_text",
    "build_result",
    "liaison_text",
]

ACTION_TYPES = tuple(PLAN_ACTION.codes)


@dataclass
class Action:
    """One proposal for one or more firms: form, join, or be served by a liaison officer.

    ``reason_key`` names the reason in ``tracker/locales/planner.json`` (area ``planner``)
    and ``reason_params`` fills it; :attr:`reason` and :attr:`reason_en` are its Chinese and
    English renderings, kept for the JSON contract of ``tracker plan --json``.
    """

    type: str
    firms: list[str]
    org: str | None = None
    park: str | None = None
    street: str | None = None
    chain: str | None = None
    pooled_formal_members: int = 0
    reason_key: str = ""
    reason_params: dict = field(default_factory=dict)
    kind: str | None = None  # kind of a new organisation
    members: int = 0  # members (formal + probationary) the firms bring
    chains: list[str] = field(default_factory=list)
    liaison: dict | None = None  # {"id", "name", "unit"} of an existing officer
    new_liaison: int | None = None  # number of a new officer (1, 2, ...)
    area: str | None = None

    def reason_text(self, lang: str = "zh") -> str:
        """Why this action, in ``lang`` (empty when the action carries no reason)."""
        if not self.reason_key:
            return ""
        return t(f"planner.{self.reason_key}", lang, **self.reason_params)

    @property
    def reason(self) -> str:
        """The reason in Chinese (the ``reason`` of the JSON contract)."""
        return self.reason_text("zh")

    @property
    def reason_en(self) -> str:
        """The reason in English (the ``reason_en`` of the JSON contract)."""
        return self.reason_text("en")

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


def liaison_text(action: Action, lang: str = "zh") -> str:
    """Who serves the firms of an ``assign_liaison`` action: the existing officer's name, or
    ``t("planner.new_liaison")`` for a new officer; empty for other actions.

    >>> liaison_text(Action("assign_liaison", ["A"], new_liaison=2), "en")
    'new liaison officer 2'
    """
    if action.liaison:
        return action.liaison.get("name") or ""
    if action.new_liaison:
        return t("planner.new_liaison", lang, n=action.new_liaison)
    return ""


def action_text(action: Action, lang: str = "zh", org_names: dict[str, str] | None = None) -> str:
    """The one-line text of an action: its label, with the organisation to join or the officer.

    ``org_names`` maps organisation codes to names (the code stands when it has none).

    >>> action_text(Action("join_joint_branch", ["A"], org="J1"), "zh", {"J1": "科学城联合党支部"})
    '加入现有联合党组织（科学城联合党支部）'
    >>> action_text(Action("form_branch", ["A"]), "en")
    'Form own organisation'
    """
    label = PLAN_ACTION.label(action.type, lang)
    if action.org:
        detail = (org_names or {}).get(action.org, action.org)
    else:
        detail = liaison_text(action, lang)
    if not detail:
        return label
    return t("planner.action_with_detail", lang, action=label, detail=detail)


@dataclass
class PlanResult:
    """A plan: its actions, totals, and the firms covered before and after it on ``as_of``.

    The rates are :func:`tracker.coverage.rate` of these counts, the one rate of the package.
    """

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

    @property
    def coverage_before(self) -> float | None:
        return rate(self.covered_before, self.firms)

    @property
    def coverage_after(self) -> float | None:
        return rate(self.covered_after, self.firms)

    @property
    def org_coverage_before(self) -> float | None:
        return rate(self.org_before, self.firms)

    @property
    def org_coverage_after(self) -> float | None:
        return rate(self.org_after, self.firms)

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


def _action(action_type: str, firms: list[FirmItem], reason_key: str, **extra) -> Action:
    """An action over ``firms``, their shared park, street and area, their chains and members.

    ``chain`` is the chain most of the firms are in (ties: the first by code). One pass over
    the firms: a city's plan has tens of thousands of actions.
    """
    counts: dict[str, int] = {}
    formal = members = 0
    for f in firms:
        formal += f.formal
        members += f.formal + f.probationary
        for c in f.chains:
            counts[c] = counts.get(c, 0) + 1
    chain = None
    if counts:
        best = max(counts.values())
        chain = min(c for c, n in counts.items() if n == best)
    return Action(
        type=action_type,
        firms=[f.code for f in firms],
        park=_common(f.park for f in firms),
        street=_common(f.street for f in firms),
        chain=chain,
        chains=sorted(counts),
        pooled_formal_members=formal,
        members=members,
        area=_common(f.area for f in firms),
        reason_key=reason_key,
        **extra,
    )


def build_result(inst: Instance, joins: dict[str, list[FirmItem]],
                 groups: list[list[FirmItem]], officer_firms: dict[int, list[FirmItem]],
                 new_officers: list[list[FirmItem]], method: str) -> PlanResult:
    """Turn placement decisions into actions, totals and rates (shared by both planners).

    Parameters
    ----------
    inst : the instance planned
    joins : organisation code → the firms that join it
    groups : the firms of each new joint branch
    officer_firms : existing officer id → the firms it takes
    new_officers : the firms of each new officer, in the order the officers are numbered
    method : ``"heuristic"`` or ``"exact"``
    """
    cfg = inst.config
    n_min, n_units = cfg.min_formal, cfg.max_units
    actions: list[Action] = []
    for f in sorted(inst.forced(), key=lambda f: f.code):
        actions.append(_action("form_branch", [f], "form_branch_reason",
                               kind=branch_kind(f.members, cfg),
                               reason_params={"formal": f.formal, "min_formal": n_min}))
    orgs = {o.code: o for o in inst.orgs}
    for code in sorted(joins):
        firms = joins[code]
        if not firms:
            continue
        actions.append(_action("join_joint_branch", firms, "join_joint_branch_reason", org=code,
                               reason_params={"min_formal": n_min, "covered": orgs[code].covered,
                                              "max_units": n_units}))
    for firms in groups:
        actions.append(_action("form_joint_branch", firms, "form_joint_branch_reason",
                               kind=branch_kind(sum(f.members for f in firms), cfg),
                               reason_params={"firms": len(firms), "min_formal": n_min,
                                              "pooled": sum(f.formal for f in firms),
                                              "max_units": n_units}))
    officers = {o.id: o for o in inst.officers}
    for oid in sorted(officer_firms):
        firms = officer_firms[oid]
        if not firms:
            continue
        o = officers[oid]
        actions.append(_action("assign_liaison", firms, "existing_liaison_reason",
                               liaison={"id": o.id, "name": o.name, "unit": o.unit},
                               reason_params={"load": o.load, "capacity": cfg.liaison_capacity}))
    for n, firms in enumerate(new_officers, start=1):
        actions.append(_action("assign_liaison", firms, "new_liaison_reason", new_liaison=n,
                               reason_params={"capacity": cfg.liaison_capacity}))

    placed_org = {c for a in actions if a.type != "assign_liaison" for c in a.firms}
    placed_work = {c for a in actions if a.type == "assign_liaison" for c in a.firms}
    covered_before = org_before = covered_after = org_after = 0
    for f in inst.firms:  # one pass: a province has a million firms
        if f.status == "org":
            org_before += 1
            covered_before += 1
            covered_after += 1
            org_after += 1
            continue
        in_org = f.code in placed_org
        org_after += in_org
        if f.status != "none":
            covered_before += 1
            covered_after += 1
        elif in_org or f.code in placed_work:
            covered_after += 1
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
