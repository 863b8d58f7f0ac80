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
from ..planning.plan import Action, PlanResult, action_text, liaison_text, plan_store
from ..scope import Scope
from ..vocab import ORG_KIND, PLAN_ACTION

__all__ = ["MeasureTally", "PlanSection", "plan_section", "tally_measures"]


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
    #: The planner's own result (its actions and totals): the report's measures by chain and
    #: by area are tallied from it (:func:`tally_measures`), so they add up to its totals.
    result: PlanResult | None = None


@dataclass
class MeasureTally:
    """The planner's measures that fall to one chain, one area, or the whole scope.

    ``form_branch`` counts the new own organisations (单独组建); ``form_branch_uncovered``
    how many of them are in firms uncovered today (the rest are firms already covered by a
    joint organisation or a liaison that rule R1 asks to form their own). ``joint`` counts
    new joint branches and ``joint_firms`` their firms; ``joined`` and ``liaison`` are
    firms; ``new_liaisons`` new officers.
    """

    key: str
    name: str
    owner: str = ""
    form_branch: int = 0
    form_branch_uncovered: int = 0
    joint: int = 0
    joint_firms: int = 0
    joined: int = 0
    liaison: int = 0
    new_liaisons: int = 0

    @property
    def firms(self) -> int:
        """Firms the measures reach (each firm is in one action only)."""
        return self.form_branch + self.joint_firms + self.joined + self.liaison

    @property
    def any(self) -> bool:
        return self.firms > 0

    def add(self, action: Action, uncovered: set[str]) -> None:
        n = len(action.firms)
        if action.type == "form_branch":
            self.form_branch += 1
            self.form_branch_uncovered += sum(code in uncovered for code in action.firms)
        elif action.type == "form_joint_branch":
            self.joint += 1
            self.joint_firms += n
        elif action.type == "join_joint_branch":
            self.joined += n
        elif action.type == "assign_liaison":
            self.liaison += n
            self.new_liaisons += action.new_liaison is not None


def tally_measures(actions: list[Action], group_of: dict[str, str | None], order: list[str],
                   uncovered: set[str]) -> dict[str, MeasureTally]:
    """The actions tallied by group: each action counts once, in the group most of its firms
    belong to (ties: the group first in ``order``), so the groups add up to the planner's totals.

    Parameters
    ----------
    actions : the planner's actions
    group_of : credit code → the firm's group key (a chain code, an area); None: no group
        (tallied under the key ``""``)
    order : the group keys in display order (ties go to the earlier one)
    uncovered : credit codes of the firms uncovered today

    Examples
    --------
    >>> acts = [Action("form_branch", ["A"]), Action("form_joint_branch", ["B", "C", "D"]),
    ...         Action("assign_liaison", ["E"], new_liaison=1)]
    >>> groups = {"A": "X", "B": "X", "C": "Y", "D": "Y", "E": None}
    >>> t = tally_measures(acts, groups, ["X", "Y"], {"A", "B", "C", "D", "E"})
    >>> sorted(t), t["Y"].joint, t["Y"].joint_firms, t[""].new_liaisons, t["X"].form_branch
    (['', 'X', 'Y'], 1, 3, 1, 1)
    """
    rank = {k: i for i, k in enumerate(order)}
    out: dict[str, MeasureTally] = {}
    for action in actions:
        votes: dict[str, int] = {}
        for code in action.firms:
            key = group_of.get(code) or ""
            votes[key] = votes.get(key, 0) + 1
        key = min(votes, key=lambda k: (-votes[k], k == "", rank.get(k, len(rank)), k))
        out.setdefault(key, MeasureTally(key, key)).add(action, uncovered)
    return out


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
                 names: dict[str, str], frame=None, uncovered: set[str] | None = None) -> PlanSection:
    """Run the planner on ``as_of`` within ``scope`` and lay its result out as rows.

    ``frame``: the ``chain_firms`` :func:`tracker.coverage.firm_status` of the same date
    and scope, when the caller has read it (see :func:`tracker.planning.plan.instance_from_store`).
    ``uncovered``: credit codes of the firms uncovered on ``as_of``; the summary then says
    how many of the new own organisations are in uncovered firms and how many in firms
    already covered that rule R1 asks to form their own (the two add up to the planner's).

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
    branches = totals.get("form_branch", 0)
    if uncovered is None:
        split = ""
    else:
        in_uncovered = sum(code in uncovered for a in actions if a.type == "form_branch"
                           for code in a.firms)
        split = t("reports.plan_branch_split", lang, uncovered=in_uncovered,
                  covered=branches - in_uncovered) if branches else ""
    summary = [t("reports.plan_summary", lang, split=split,
                 branches=branches, joint=totals.get("form_joint_branch", 0),
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
    # Dates in the text in Arabic numerals, as the written report writes them (GB/T 9704-2012).
    day = t("reports.doc_date", lang, year=as_of.year, month=as_of.month, day=as_of.day,
            month_name=as_of.strftime("%B"))
    return PlanSection(title=t("reports.plan_title", lang, date=day),
                       headers=headers, rows=rows, summary=summary,
                       brief_headers=brief_headers, brief_rows=brief_rows, actions=by_firm,
                       result=result)
