"""The planner's proposals (:func:`tracker.planning.plan.plan_store`) as a report section.

The figures are the planner's own; this module only lays them out as rows and sentences.
It sits below :mod:`tracker.reports.content` (which imports it): the section type lives
here, so data flows one way, planner → section → content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..i18n import percent, t
from ..model import PartyOrg
from ..planning.plan import Action, action_text, liaison_text, plan_store
from ..scope import Scope
from ..vocab import ORG_KIND, PLAN_ACTION

__all__ = ["PlanSection", "plan_section"]


@dataclass
class PlanSection:
    """The planner's proposals, as a table plus summary sentences."""

    title: str
    headers: list[str]
    rows: list[list[object]]
    summary: list[str] = field(default_factory=list)
    # One row per kind of action (for the written report; the full list goes in the ledger).
    brief_headers: list[str] = field(default_factory=list)
    brief_rows: list[list[object]] = field(default_factory=list)
    #: Credit code → the action proposed for that firm, as one line (the overdue queue's
    #: "suggested action", from this same run of the planner).
    actions: dict[str, str] = field(default_factory=dict)


def _who(action: Action, lang: str) -> str:
    """The organisation to join, the officer (with their unit: the ledger is also the
    department's assignment list) or the kind of the organisation to form."""
    if action.type == "join_joint_branch":
        return action.org or ""
    if action.type == "assign_liaison":
        if action.liaison:
            return t("reports.plan_who_liaison", lang, name=action.liaison["name"],
                     unit=action.liaison["unit"])
        return liaison_text(action, lang)
    return ORG_KIND.label(action.kind, lang) if action.kind else ""


def plan_section(engine: Engine, as_of: date, scope: Scope, lang: str,
                 names: dict[str, str], frame=None) -> PlanSection:
    """Run the planner on ``as_of`` within ``scope`` and lay its result out as rows.

    ``frame``: the ``chain_firms`` :func:`tracker.coverage.firm_status` of the same date
    and scope, when the caller has read it (see :func:`tracker.planning.plan.instance_from_store`).

    Examples
    --------
    >>> from tracker.chains import empty_store
    >>> from tracker.scope import EVERYTHING
    >>> section = plan_section(empty_store(), date(2025, 6, 30), EVERYTHING, "en", {})
    >>> section.rows, section.summary
    ([], ['The planner has nothing to propose: no firm in the scope needs action.'])
    """
    result = plan_store(engine, as_of, scope, frame=frame)
    order = {k: i for i, k in enumerate(PLAN_ACTION.codes)}
    actions = sorted(result.actions, key=lambda a: (order.get(a.type, 9), a.area or "", a.firms))
    sep = t("reports.sep_list", lang)
    rows = []
    for i, a in enumerate(actions, start=1):
        rows.append([
            i, PLAN_ACTION.label(a.type, lang),
            sep.join(names.get(code, code) for code in a.firms), len(a.firms),
            a.area or "", sep.join(a.chains), a.pooled_formal_members, _who(a, lang),
            a.reason_text(lang),
        ])
    headers = [t(f"reports.plan_col_{k}", lang) for k in
               ("no", "action", "firms", "count", "area", "chains", "formal", "who", "reason")]
    totals = result.totals
    summary = [t("reports.plan_summary", lang,
                 branches=totals.get("form_branch", 0), joint=totals.get("form_joint_branch", 0),
                 joined=totals.get("joined", 0), liaison=totals.get("liaison_assignments", 0),
                 new_liaisons=totals.get("new_liaisons_needed", 0),
                 before=percent(result.coverage_before), after=percent(result.coverage_after),
                 org_before=percent(result.org_coverage_before),
                 org_after=percent(result.org_coverage_after))] if actions else \
        [t("reports.plan_nothing", lang)]
    brief_headers = [t(f"reports.plan_col_{k}", lang) for k in ("action", "actions", "count", "formal")]
    brief_rows = []
    for kind in PLAN_ACTION.codes:
        of_kind = [a for a in actions if a.type == kind]
        if of_kind:
            brief_rows.append([PLAN_ACTION.label(kind, lang), len(of_kind),
                               sum(len(a.firms) for a in of_kind),
                               sum(a.pooled_formal_members for a in of_kind)])
    by_firm: dict[str, str] = {}
    if actions:
        O = PartyOrg.__table__
        with engine.connect() as conn:
            org_names = dict(conn.execute(sa.select(O.c.code, O.c.name)).all())
        for a in actions:
            text = action_text(a, lang, org_names)
            for code in a.firms:
                by_firm.setdefault(code, text)
    return PlanSection(title=t("reports.plan_title", lang, date=as_of.isoformat()),
                       headers=headers, rows=rows, summary=summary,
                       brief_headers=brief_headers, brief_rows=brief_rows, actions=by_firm)
