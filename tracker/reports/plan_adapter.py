"""The planner's proposals (:func:`tracker.planning.plan.plan_store`) as a report section.

The figures are the planner's own; this module only lays them out as rows and sentences.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from ..i18n import t
from ..planning.plan import plan_store
from ..scope import Scope
from ..vocab import ORG_KIND, PLAN_ACTION
from .content import PlanSection, percent

__all__ = ["plan_section"]


def _who(action, lang: str) -> str:
    if action.type == "join_joint_branch":
        return action.org or ""
    if action.type == "assign_liaison":
        if action.liaison:
            return f"{action.liaison['name']}（{action.liaison['unit']}）" if lang == "zh" else \
                f"{action.liaison['name']} ({action.liaison['unit']})"
        return t("reports.plan_new_liaison", lang, n=action.new_liaison)
    return ORG_KIND.label(action.kind, lang) if action.kind else ""


def plan_section(engine: Engine, as_of: date, scope: Scope, lang: str,
                 names: dict[str, str], frame=None) -> PlanSection:
    """Run the planner on ``as_of`` within ``scope`` and lay its result out as rows.

    ``frame``: the ``chain_firms`` :func:`tracker.coverage.firm_status` of the same date
    and scope, when the caller has read it (see :func:`tracker.planning.plan.instance_from_store`).
    """
    result = plan_store(engine, as_of, scope, frame=frame)
    order = {k: i for i, k in enumerate(PLAN_ACTION.codes)}
    actions = sorted(result.actions, key=lambda a: (order.get(a.type, 9), a.area or "", a.firms))
    sep = "、" if lang == "zh" else "; "
    rows = []
    for i, a in enumerate(actions, start=1):
        rows.append([
            i, PLAN_ACTION.label(a.type, lang),
            sep.join(names.get(code, code) for code in a.firms), len(a.firms),
            a.area or "", sep.join(a.chains), a.pooled_formal_members, _who(a, lang),
            a.reason if lang == "zh" else (a.reason_en or a.reason),
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
    return PlanSection(title=t("reports.plan_title", lang, date=as_of.isoformat()),
                       headers=headers, rows=rows, summary=summary,
                       brief_headers=brief_headers, brief_rows=brief_rows)
