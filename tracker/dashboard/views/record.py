"""The figures of one firm's and one organisation's page: what a link from any list opens.

A **firm's card** (:func:`firm_card`) says its status on the as-of date, how it is covered
(each organisation and liaison officer, since when), why it is not when it is not (the
chain page's reason, :func:`tracker.dashboard.views.chain.uncovered_reason`, and, when the
firm is overdue, the overview's cause and wait), the suggested action (the planner's, as
the overdue list gives it), the rule findings that concern it, and its history.

An **organisation's record** (:func:`org_events`, :func:`findings_of`) adds to
:func:`tracker.dashboard.views.orgs.org_detail` the dated events of the organisation (founded,
dissolved, each firm's coverage starting and ending, the current term) and its findings.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> firm_card(engine, "91440112MA0000000X", date(2026, 11, 27)) is None
True
>>> org_events(engine, "P1", date(2026, 11, 27)).empty
True
>>> period_end(date(2024, 7, 1), date(2024, 6, 30)), period_end(date(2024, 2, 1), date(2024, 6, 30))
(None, datetime.date(2024, 1, 31))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...i18n import t
from ...intervals import active_clause
from ...model import Assignment, CoverageLink, Firm, Liaison, PartyOrg
from ...scope import EVERYTHING, Scope
from .cache import cached
from .chain import suggestions, uncovered_reason
from .firms import firm_history, firm_table
from .flow import overdue_list
from .orgs import rule_findings

__all__ = ["FirmCard", "findings_of", "firm_card", "org_events", "period_end"]

FINDING_COLUMNS = ["rule", "title", "severity", "severity_label", "message"]
EVENT_COLUMNS = ["on", "event", "firm", "credit_code"]


def period_end(end: date, until: date) -> date | None:
    """The last day of a history period whose ``end`` is exclusive, or None when the period
    is still running on ``until`` (:func:`tracker.dashboard.views.firms.firm_history` closes
    the open period at ``until`` + 1 day): shown as 至今 / ongoing, never as an end date."""
    return None if end > until else end - timedelta(days=1)


@dataclass
class FirmCard:
    """One firm on the as-of date, for its page.

    ``row`` is its row of :func:`tracker.dashboard.views.firms.firm_table` (status, chains,
    park, street, members ...). ``orgs``: the organisations covering it (``code, name,
    since``); ``liaisons``: its officers (``name, unit, since``); ``since``: the day its
    current status began (the start of its last history period). For an uncovered firm:
    ``reason`` (why), ``overdue`` (``days, cause_label``; None when it is not overdue) and
    ``action`` (the planner's suggestion, "" when none). ``findings``: the rule findings
    about the firm (:data:`FINDING_COLUMNS`); ``history``: its history periods.
    """

    credit_code: str
    name: str
    row: dict
    since: date | None
    orgs: list[dict] = field(default_factory=list)
    liaisons: list[dict] = field(default_factory=list)
    reason: str = ""
    overdue: dict | None = None
    action: str = ""
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)


def findings_of(engine: Engine, subject_type: str, subject_id: str, as_of: date,
                scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame:
    """The rule findings on ``as_of`` about one firm (``subject_type="firm"``, its credit
    code) or one organisation (``"org"``, its code): :data:`FINDING_COLUMNS`."""
    found = rule_findings(engine, as_of, scope, lang)
    if found.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    mine = found[(found["subject_type"] == subject_type) & (found["subject_id"] == subject_id)]
    return mine[FINDING_COLUMNS].reset_index(drop=True)


def _coverers(engine: Engine, credit_code: str, on: date) -> tuple[list[dict], list[dict]]:
    """The organisations and officers covering the firm on ``on``, each with the day from
    which it has (the later of the link's start and the organisation's founding)."""
    F, L, O = Firm.__table__, CoverageLink.__table__, PartyOrg.__table__
    A, LI = Assignment.__table__, Liaison.__table__
    with engine.connect() as conn:
        links = conn.execute(
            sa.select(O.c.code, O.c.name, L.c.start, O.c.founded)
            .select_from(L.join(O, O.c.id == L.c.org_id).join(F, F.c.id == L.c.firm_id))
            .where(F.c.credit_code == credit_code, active_clause(L.c.start, L.c.end, on),
                   active_clause(O.c.founded, O.c.dissolved, on))
            .order_by(O.c.name)).all()
        people = conn.execute(
            sa.select(LI.c.name, LI.c.unit, A.c.start)
            .select_from(A.join(LI, LI.c.id == A.c.liaison_id).join(F, F.c.id == A.c.firm_id))
            .where(F.c.credit_code == credit_code, active_clause(A.c.start, A.c.end, on))
            .order_by(LI.c.name)).all()
    orgs = [{"code": code, "name": name,
             "since": max((d for d in (start, founded) if d is not None), default=None)}
            for code, name, start, founded in links]
    return orgs, [{"name": n, "unit": u, "since": s} for n, u, s in people]


@cached
def firm_card(engine: Engine, credit_code: str, as_of: date, scope: Scope = EVERYTHING,
              lang: str = "zh") -> FirmCard | None:
    """One firm's page on ``as_of`` (None when it is not in the population then, or not in
    ``scope``: its page shows nothing a user may not see)."""
    table = firm_table(engine, as_of, scope, lang)
    found = table[table["credit_code"] == credit_code]
    if found.empty:
        return None
    row = found.iloc[0].to_dict()
    history = firm_history(engine, credit_code, as_of, lang)
    since = history["start"].iloc[-1] if len(history) else None
    orgs, liaisons = _coverers(engine, credit_code, as_of)
    card = FirmCard(credit_code, row["name"], row, since, orgs, liaisons,
                    findings=findings_of(engine, "firm", credit_code, as_of, scope, lang),
                    history=history)
    if row["status"] == "none":
        # The coverage that ended last, if any: the end of the last covered period.
        covered = history[history["status"].isin(["org", "work"])]
        ended = covered["end"].iloc[-1] if len(covered) else None
        card.reason = uncovered_reason(int(row["formal_members"]),
                                       int(row["probationary_members"]), ended, lang)
        queue = overdue_list(engine, as_of, scope, lang).frame
        late = queue[queue["credit_code"] == credit_code]
        if len(late):
            first = late.iloc[0]
            card.overdue = {"days": int(first["days"]), "cause_label": first["cause_label"]}
            card.action = first["action"] or ""
        if not card.action:
            # The same planner run on the whole district as the overdue list's.
            card.action = suggestions(engine, as_of, EVERYTHING, lang).get(
                credit_code, {}).get("text", "")
    return card


@cached
def org_events(engine: Engine, code: str, as_of: date, lang: str = "zh") -> pd.DataFrame:
    """The dated events of one organisation up to ``as_of``, newest first: founded,
    dissolved, the current term's start, and each firm's coverage starting and ending.

    Columns: ``on`` (date), ``event`` (text in ``lang``), ``firm`` and ``credit_code``
    (empty for the organisation's own events).
    """
    O, L, F = PartyOrg.__table__, CoverageLink.__table__, Firm.__table__
    with engine.connect() as conn:
        org = conn.execute(sa.select(O.c.id, O.c.founded, O.c.dissolved, O.c.term_start)
                           .where(O.c.code == code)).first()
        if org is None:
            return pd.DataFrame(columns=EVENT_COLUMNS)
        links = conn.execute(sa.select(L.c.start, L.c.end, F.c.name, F.c.credit_code)
                             .select_from(L.join(F, F.c.id == L.c.firm_id))
                             .where(L.c.org_id == org.id)).all()
    rows = []
    for day, key in ((org.founded, "org_founded"), (org.dissolved, "org_dissolved"),
                     (org.term_start, "org_term_start")):
        if day is not None and day <= as_of:
            rows.append({"on": day, "event": t(f"drill.{key}", lang), "firm": "", "credit_code": ""})
    for start, end, name, credit_code in links:
        for day, key in ((start, "link_started"), (end, "link_ended")):
            if day is not None and day <= as_of:
                rows.append({"on": day, "event": t(f"drill.{key}", lang), "firm": name,
                             "credit_code": credit_code})
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return frame.sort_values(["on", "credit_code"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
