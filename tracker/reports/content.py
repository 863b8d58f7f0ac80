"""The content of a coverage report, gathered once from the package's computations.

:func:`gather` asks :mod:`tracker.coverage` (figures by chain and in total, the firm
ledger), :mod:`tracker.rules` (findings), :mod:`tracker.planning.plan` (the
planner's proposals), and for the work after a deadline :mod:`tracker.verdict` (the ended
plan's verdict), :mod:`tracker.flow` (the flow since the deadline),
:mod:`tracker.overdue` (the overdue queue), :mod:`tracker.visits` (whether work coverage
is visited) and :mod:`tracker.terms` (elections due) for one date and one scope, and
returns one :class:`ReportContent`.
Every format module (xlsx, docx, pdf, csv) only lays this object out: no figure is
computed anywhere else, so all formats agree with ``tracker coverage`` by construction.

The written summary (which chains met the target, which lag and by how many firms) is
built here too, from the same figures, in the report's language.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> content = gather(engine, date(2025, 6, 30))
>>> content.total.counts.firms, len(content.chains)
(0, 13)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..coverage import Counts, coverage, firm_status, firms_needed, gap_to_target, name_groups
from ..flow import FlowResult, flow, read_timeline
from ..i18n import LANGS, join, percent, t
from ..intervals import active_clause
from ..model import Assignment, Chain, CoverageLink, Liaison, PartyOrg, Plan
from ..overdue import OverdueQueue, overdue_queue
from ..planning.plan import area_key
from ..plans import list_plans, plan_in_force, plan_name
from ..progress import ProgressCallback, Reporter
from ..provenance import get_info
from ..rules import MIN_FORMAL_MEMBERS, RULES, Finding, check
from ..scope import EVERYTHING, Scope
from ..terms import TermRow, terms
from ..verdict import PlanVerdict, verdict
from ..visits import is_visited, last_visits, officers, window_of
from ..vocab import (
    DEADLINE_RESULT,
    FORMATION,
    LIAISON_ROLE,
    ORG_KIND,
    OWNERSHIP,
    SEGMENT,
    SEVERITY,
    STANDING,
    STATUS,
    TREND,
    UNCOVERED_CAUSE,
)
from .plan_adapter import MeasureTally, PlanSection, plan_section, tally_measures

__all__ = [
    "FIRM_COLUMNS",
    "GATHER_PARTS",
    "ORG_COLUMNS",
    "OVERDUE_COLUMNS",
    "TERM_COLUMNS",
    "VISIT_COLUMNS",
    "ChainFigures",
    "FlowPart",
    "OverdueCount",
    "ReportContent",
    "chinese_number",
    "data_date",
    "ended_plan",
    "gather",
    "issued_date",
    "report_title",
    "scope_phrase",
    "scope_title",
    "title_text",
    "write_summary",
]

#: The columns of the firm ledger, in order (header text: ``reports.col_<key>``).
FIRM_COLUMNS = (
    "credit_code", "name", "chains", "segments", "chain_master", "status", "single_unit",
    "orgs", "liaisons", "park", "street", "ownership", "above_size", "formal_members",
    "probationary_members",
)
#: The columns of the organisation list, in order.
ORG_COLUMNS = ("code", "name", "kind", "formation", "parent", "founded", "member_count",
               "firms_covered")
#: The columns of the overdue queue (逾期未覆盖; header text ``reports.col_overdue_<key>``).
OVERDUE_COLUMNS = ("credit_code", "name", "chains", "street", "uncovered_since", "days", "cause",
                   "action")
#: The columns of the visit check (走访记录): one row per work-covered firm.
VISIT_COLUMNS = ("credit_code", "name", "chains", "street", "liaisons", "last_visit",
                 "days_since", "visits_in_window", "counts")
#: The columns of the election reminders (换届提醒).
TERM_COLUMNS = ("org_code", "name", "kind", "term_start", "term_years", "due", "status",
                "days_to_due")
#: Term statuses the reminders list (``ok`` is not listed).
TERM_REMINDED = ("overdue", "due_soon", "unknown")


_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1-99 in Chinese numerals, as used for section numbers (dates use Arabic numerals,
    GB/T 9704-2012: :func:`data_date`, :func:`issued_date`).

    >>> chinese_number(3), chinese_number(10), chinese_number(25)
    ('三', '十', '二十五')
    """
    if not 0 < n < 100:
        raise ValueError(f"超出范围：{n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


@dataclass
class ChainFigures:
    """The figures of one chain (or of the total) against the plan's target."""

    key: str
    name: str
    counts: Counts
    target_rate: float | None = None
    #: The chain's lead department (牵头部门, from the chain list); None when not recorded.
    lead_department: str | None = None

    @property
    def target_firms(self) -> int | None:
        """Covered firms the target asks for (:func:`tracker.coverage.firms_needed`)."""
        if self.target_rate is None:
            return None
        return firms_needed(self.target_rate, self.counts.firms)

    @property
    def gap(self) -> int | None:
        """Firms still to cover to reach the target, 0 when met (:func:`tracker.coverage.gap_to_target`)."""
        if self.target_rate is None:
            return None
        return gap_to_target(self.counts.covered, self.counts.firms, self.target_rate)

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a plan or without firms."""
        if self.gap is None or self.counts.firms == 0:
            return None
        return self.gap == 0


@dataclass
class FlowPart:
    """The flow since the ended plan's deadline for the district (key ``*``) or one chain."""

    key: str
    name: str
    result: FlowResult

    def rows(self) -> list[tuple[str, int | None, int, int | None]]:
        """The flow as a table: (row key, firms, covered, uncovered); signed changes.

        Start, entered, left, gained, lost, end: the covered column adds up
        (``end.covered = start.covered − left_covered + entered_covered + gained − lost``),
        and so do the firms and uncovered columns.
        """
        r = self.result
        return [
            ("start", r.start["firms"], r.start["covered"], r.start["uncovered"]),
            ("entered", r.entered, r.entered_covered, r.entered - r.entered_covered),
            ("left", -r.left, -r.left_covered, -(r.left - r.left_covered)),
            ("gained", None, r.gained, -r.gained),
            ("lost", None, -r.lost, r.lost),
            ("end", r.end["firms"], r.end["covered"], r.end["uncovered"]),
        ]


@dataclass
class OverdueCount:
    """Overdue firms of one chain or one street: how many, how many lost cover, the longest wait."""

    name: str
    firms: int = 0
    lost: int = 0
    longest: int | None = None


@dataclass
class ReportContent:
    """Everything a report shows, for one date, scope and language."""

    as_of: date
    lang: str
    scope: Scope
    scope_text: str
    generated_at: datetime
    plan: dict | None
    denominator: str
    denominator_text: str
    total: ChainFigures
    chains: list[ChainFigures]
    firms: pd.DataFrame  # FIRM_COLUMNS, display values in ``lang``
    uncovered: pd.DataFrame  # the rows of ``firms`` with status none
    orgs: pd.DataFrame  # ORG_COLUMNS
    findings: list[Finding]
    plan_section: PlanSection | None
    provenance: dict[str, str]
    summary: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be included, and why
    #: The plan in force is an illustrative example (示例), not real policy.
    plan_example: bool = False
    #: The verdict of the last plan whose deadline lies before ``as_of`` (None: none ended).
    ended: PlanVerdict | None = None
    #: The flow from that deadline to ``as_of``: the district's, or each scoped chain's.
    flows: list[FlowPart] = field(default_factory=list)
    #: The overdue queue of the scope (its window, the plan that set it, its rows).
    overdue: OverdueQueue | None = None
    overdue_rows: pd.DataFrame | None = None  # OVERDUE_COLUMNS (display) + cause_code
    overdue_by_chain: list[OverdueCount] = field(default_factory=list)
    overdue_by_street: list[OverdueCount] = field(default_factory=list)
    #: Visits: the window (days), one row per work-covered firm, officers with unvisited firms.
    visit_window: int = 90
    visits: pd.DataFrame | None = None  # VISIT_COLUMNS (display) + counts_flag
    officer_gaps: list[tuple[str, int]] = field(default_factory=list)  # (officer text, firms)
    #: Organisation terms: the reminder rows (overdue, due soon, unknown) and counts by bucket.
    terms: list[TermRow] = field(default_factory=list)
    term_counts: dict[str, int] = field(default_factory=dict)
    orgs_active: int = 0
    #: Figures by area (a firm's park, else its street: the planner's area), lowest rate first.
    areas: list[ChainFigures] = field(default_factory=list)
    #: The planner's measures by chain (in :attr:`laggards` order, then the other chains),
    #: by area (in :attr:`areas` order) and in total; each list adds up to the total,
    #: which equals the planner's totals (:func:`tracker.reports.plan_adapter.tally_measures`).
    measures_by_chain: list[MeasureTally] = field(default_factory=list)
    measures_by_area: list[MeasureTally] = field(default_factory=list)
    measures_total: MeasureTally | None = None
    #: The date the measures are due: the as-of date plus the cover window of the plan in
    #: force (the overdue queue's), no later than that plan's deadline when it lies ahead.
    action_due: date | None = None

    @property
    def laggards(self) -> list[ChainFigures]:
        """The chains below the target on the as-of date, lowest coverage rate first."""
        return sorted((ch for ch in self.chains if ch.counts.firms and ch.met is False),
                      key=lambda ch: (ch.counts.coverage_rate, ch.key))

    @property
    def days_to_deadline(self) -> int | None:
        """Days from the as-of date to the deadline of the plan in force (0: the deadline day)."""
        return None if self.deadline is None else (self.deadline - self.as_of).days

    @property
    def synthetic(self) -> bool:
        return self.provenance.get("synthetic") == "true"

    @property
    def target_rate(self) -> float | None:
        return self.plan["target_rate"] if self.plan else None

    @property
    def deadline(self) -> date | None:
        return date.fromisoformat(self.plan["deadline"]) if self.plan else None

    @property
    def after_deadline(self) -> bool:
        """The as-of date lies after a plan's deadline: the report opens with its verdict."""
        return self.ended is not None

    @property
    def overdue_count(self) -> int:
        return 0 if self.overdue_rows is None else len(self.overdue_rows)

    def term_rows(self, statuses=TERM_REMINDED) -> list[TermRow]:
        """The reminder rows with these statuses, most urgent first."""
        return [r for r in self.terms if r.status in statuses]

    @property
    def status_counts(self) -> dict[str, int]:
        """Ledger rows per status code (equal to the total's counts)."""
        counts = self.firms["status_code"].value_counts() if len(self.firms) else {}
        return {code: int(counts.get(code, 0)) for code in STATUS.codes}

    def tr(self, key: str, **values) -> str:
        """A report string in this report's language."""
        return t(f"reports.{key}", self.lang, **values)

    def finding_rows(self) -> list[dict]:
        """Findings as display rows (rule, title, severity, subject, message)."""
        rows = []
        for f in self.findings:
            rows.append({
                "rule": f.rule,
                "title": RULES[f.rule].title(self.lang),
                "severity": SEVERITY.label(f.severity, self.lang),
                "severity_code": f.severity,
                "subject_type": self.tr(f"subject_{f.subject_type}"),
                "subject_id": f.subject_id,
                "subject_name": f.subject_name,
                "message": f.message(self.lang),
            })
        return rows


# --------------------------------------------------------------------------- gathering

L = CoverageLink.__table__
O = PartyOrg.__table__
A = Assignment.__table__
LI = Liaison.__table__
C = Chain.__table__


def _lead_departments(engine: Engine) -> dict[str, str | None]:
    """Chain code → its lead department (牵头部门) as the chain list gives it."""
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(C.c.code, C.c.lead_department)).all())


def _chain_names(engine: Engine, lang: str) -> dict[str, str]:
    """Code → name in ``lang`` of every chain (a firm's other chains too, out of scope)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(C.c.code, C.c.name_zh, C.c.name_en)).all()
    return {g.key: g.name for g in name_groups("chain", {}, lang, [tuple(r) for r in rows])}


def _coverers(engine: Engine, as_of: date, lang: str) -> tuple[dict, dict]:
    """Firm id → names of covering organisations, and → liaisons assigned, on ``as_of``."""
    orgs: dict[int, list[str]] = {}
    liaisons: dict[int, list[str]] = {}
    with engine.connect() as conn:
        for firm_id, name in conn.execute(
            sa.select(L.c.firm_id, O.c.name)
            .select_from(L.join(O, O.c.id == L.c.org_id))
            .where(active_clause(L.c.start, L.c.end, as_of))
            .where(active_clause(O.c.founded, O.c.dissolved, as_of))
            .order_by(L.c.firm_id, O.c.code)
        ):
            orgs.setdefault(firm_id, []).append(name)
        for firm_id, name, unit, role in conn.execute(
            sa.select(A.c.firm_id, LI.c.name, LI.c.unit, LI.c.role)
            .select_from(A.join(LI, LI.c.id == A.c.liaison_id))
            .where(active_clause(A.c.start, A.c.end, as_of))
            .order_by(A.c.firm_id, LI.c.name)
        ):
            liaisons.setdefault(firm_id, []).append(t(
                "reports.liaison_entry", lang, name=name, unit=unit,
                role=LIAISON_ROLE.label(role, lang)))
    return orgs, liaisons


def _firm_ledger(engine: Engine, as_of: date, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ledger's display columns from ``frame`` (:func:`tracker.coverage.firm_status`)."""
    names = _chain_names(engine, lang)
    orgs, liaisons = _coverers(engine, as_of, lang)
    sep = t("reports.sep_list", lang)
    yes, no = t("reports.yes", lang), t("reports.no", lang)

    def join_codes(text, label):
        return sep.join(label(c) for c in str(text or "").split(";") if c)

    def per_value(column, label) -> list:
        # A few hundred distinct values for a million firms: label each once, and every
        # row shares the one string (time and memory at a province's scale).
        values = frame[column].tolist()
        labels = {v: label(v) for v in set(values)}
        return [labels[v] for v in values]

    def flag(column) -> list:
        return [yes if v else no for v in frame[column].tolist()]

    out = pd.DataFrame({
        "firm_id": frame["firm_id"],
        "credit_code": frame["credit_code"],
        "name": frame["name"],
        "chains": per_value("chains", lambda v: join_codes(v, lambda c: names.get(c, c))),
        "chain_codes": frame["chains"],
        "segments": per_value("segments", lambda v: join_codes(v, lambda c: SEGMENT.label(c, lang))),
        "chain_master": flag("chain_master"),
        "status": per_value("status", lambda v: STATUS.label(v, lang)),
        "status_code": frame["status"],
        "single_unit": flag("single_unit"),
        # Only the coverage that counts is shown: a liaison of an org-covered firm is noted
        # too, since the ledger is also the department's assignment list.
        "orgs": [sep.join(orgs.get(i, ())) if s == "org" else "" for i, s in
                 zip(frame["firm_id"].tolist(), frame["status"].tolist())],
        "liaisons": [sep.join(liaisons.get(i, ())) for i in frame["firm_id"].tolist()],
        "park": frame["park"].fillna(""),
        "street": frame["street"].fillna(""),
        "ownership": per_value("ownership", lambda v: OWNERSHIP.label(v, lang)),
        "above_size": flag("above_size"),
        "above_size_flag": frame["above_size"].astype(bool),
        "formal_members": frame["formal_members"].astype(int),
        "probationary_members": frame["probationary_members"].astype(int),
    })
    # Readers look a firm up by chain, then by name.
    return out.sort_values(["chain_codes", "name", "credit_code"], kind="stable").reset_index(drop=True)


def _org_list(engine: Engine, as_of: date, scope: Scope, firm_ids: set[int],
              lang: str) -> pd.DataFrame:
    """Organisations active on ``as_of``; in a restricted scope, those covering a scoped firm."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(O.c.id, O.c.code, O.c.name, O.c.kind, O.c.formation, O.c.parent_id,
                      O.c.founded, O.c.member_count)
            .where(active_clause(O.c.founded, O.c.dissolved, as_of))
            .order_by(O.c.code)
        ).all()
        links = conn.execute(
            sa.select(L.c.org_id, L.c.firm_id).where(active_clause(L.c.start, L.c.end, as_of))
        ).all()
        all_names = dict(conn.execute(sa.select(O.c.id, O.c.name)).all())
    covered: dict[int, set[int]] = {}
    for org_id, firm_id in links:
        if firm_id in firm_ids:
            covered.setdefault(org_id, set()).add(firm_id)
    records = []
    for r in rows:
        n = len(covered.get(r.id, ()))
        if not scope.is_everything and n == 0:
            continue
        records.append({
            "code": r.code, "name": r.name, "kind": ORG_KIND.label(r.kind, lang),
            "formation": FORMATION.label(r.formation, lang),
            "parent": all_names.get(r.parent_id, "") if r.parent_id else "",
            "founded": r.founded.isoformat() if r.founded else "",
            "member_count": int(r.member_count), "firms_covered": n,
        })
    return pd.DataFrame(records, columns=list(ORG_COLUMNS))


#: The parts of :func:`gather`, in order: each is one ``gather`` progress event, labelled
#: ``reports.gather_<part>`` (``plan`` only when the planner is asked).
GATHER_PARTS = ("coverage", "rules", "firms", "orgs", "plan", "deadline", "visits")


def ended_plan(engine: Engine, as_of: date) -> Plan | None:
    """The last plan whose deadline lies before ``as_of`` (the plan a report gives the verdict of).

    >>> from tracker.chains import empty_store
    >>> engine = empty_store()
    >>> ended_plan(engine, date(2026, 11, 27)).name, ended_plan(engine, date(2025, 12, 31))
    ('红杉林计划', None)
    """
    ended = [p for p in list_plans(engine) if p.deadline < as_of]
    return max(ended, key=lambda p: (p.deadline, p.start)) if ended else None


def gather(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh",
           include_plan: bool = True, progress: ProgressCallback | None = None) -> ReportContent:
    """Gather the content of a report on ``as_of`` within ``scope``.

    Parameters
    ----------
    engine : the store
    as_of : the date of every figure
    scope : restricts the figures, the firm lists, the organisations and the findings
    lang : ``"zh"`` or ``"en"``
    include_plan : ask the planner for proposals (and for the overdue firms' actions)
    progress : called with a :class:`tracker.progress.Progress` event of stage ``gather``
        as each part (:data:`GATHER_PARTS`) starts, ``done`` parts of ``total``, and once
        more when all are done (a province's report gathers for minutes; the user sees
        where it is)
    """
    if lang not in LANGS:
        raise ValueError(t("reports.error_lang", lang, code=lang, langs="、".join(LANGS)))
    report = Reporter(progress)
    parts = tuple(p for p in GATHER_PARTS if include_plan or p != "plan")

    def stage(name: str) -> None:
        report("gather", done=parts.index(name), total=len(parts),
               detail=t(f"reports.gather_{name}", lang))

    stage("coverage")
    result = coverage(engine, as_of, by="chain", scope=scope, lang=lang)
    target = result.plan["target_rate"] if result.plan else None
    leads = _lead_departments(engine)
    chains = [ChainFigures(g.key, g.name, g.counts, target, leads.get(g.key)) for g in result.groups]
    total_name = t("reports.total_district" if scope.is_everything else "reports.total_scope", lang)
    total = ChainFigures("*", total_name, result.total, target)
    # The rule checks first: they build the district's graph, the largest thing in memory
    # here; built while the firm frames are alive, it set the report's peak memory.
    stage("rules")
    findings = check(engine, as_of, scope, lang=lang)
    stage("firms")
    status = firm_status(engine, as_of, scope=scope, denominator=result.denominator)
    firms = _firm_ledger(engine, as_of, status, lang)
    uncovered = firms[firms["status_code"] == "none"].reset_index(drop=True)
    stage("orgs")
    orgs = _org_list(engine, as_of, scope, {int(i) for i in firms["firm_id"]}, lang)
    names = dict(zip(firms["credit_code"], firms["name"]))
    # The planner plans over every chain firm: it can reuse the ledger's read of the firms
    # (seconds at 100,000 firms) only when the report counts every chain firm too.
    shared = status if result.denominator == "chain_firms" else None
    del status
    section = None
    if include_plan:
        stage("plan")
        section = plan_section(engine, as_of, scope, lang, names, shared,
                               uncovered=set(uncovered["credit_code"]))
    del shared
    in_force = plan_in_force(engine, as_of)
    content = ReportContent(
        as_of=as_of, lang=lang, scope=scope, scope_text=scope_phrase(engine, scope, lang),
        generated_at=datetime.now().replace(microsecond=0), plan=result.plan,
        denominator=result.denominator, denominator_text=result.denominator_text,
        total=total, chains=chains, firms=firms, uncovered=uncovered, orgs=orgs,
        findings=findings, plan_section=section, provenance=get_info(engine),
        plan_example=bool(in_force is not None and in_force.is_example),
    )
    stage("deadline")
    _after_deadline(engine, content, section)
    stage("visits")
    _visits(engine, content, in_force)
    _terms(engine, content)
    _areas(content)
    _measures(content)
    content.summary = write_summary(content)
    report("gather", done=len(parts), total=len(parts),
           detail=t("reports.gathered", lang, firms=f"{len(firms):,}"))
    return content


def _after_deadline(engine: Engine, c: ReportContent, section: PlanSection | None) -> None:
    """The ended plan's verdict, the flow since its deadline, and the overdue queue."""
    plan = ended_plan(engine, c.as_of)
    read = {}  # one read of the store's runs per denominator, for every flow and the queue

    def timeline_of(denominator):
        if denominator not in read:
            read[denominator] = read_timeline(engine, denominator)
        return read[denominator]

    if plan is not None:
        c.ended = verdict(engine, plan, c.as_of, c.scope, c.lang)
        if c.scope.areas is not None:
            # The flow counts a chain's (or the district's) population; an area has none.
            c.notes.append(c.tr("note_flow_areas"))
        elif c.scope.is_everything:
            c.flows = [FlowPart("*", c.total.name,
                                flow(engine, plan.deadline, c.as_of, denominator=plan.denominator,
                                     timeline=timeline_of(plan.denominator)))]
        else:
            c.flows = [FlowPart(ch.key, ch.name, flow(engine, plan.deadline, c.as_of, chain=ch.key,
                                                       denominator=plan.denominator,
                                                       timeline=timeline_of(plan.denominator)))
                       for ch in c.chains]
    # The overdue queue of the district, restricted to the scope's firms (the ledger's rows:
    # the same population); the actions are the planner's of this report (section).
    queue = overdue_queue(engine, c.as_of, lang=c.lang, with_actions=False, timeline_of=timeline_of)
    in_scope = dict(zip(c.firms["credit_code"], zip(c.firms["street"], c.firms["park"])))
    queue.rows = [r for r in queue.rows if r.credit_code in in_scope]
    actions = section.actions if section is not None else {}
    for row in queue.rows:
        row.action = actions.get(row.credit_code)
    c.overdue = queue
    names = _chain_names(engine, c.lang)
    sep = c.tr("sep_list")
    no_street = c.tr("no_street")
    records = []
    by_chain = {ch.key: OverdueCount(ch.name) for ch in c.chains}
    by_street: dict[str, OverdueCount] = {}
    for r in queue.rows:
        street = in_scope[r.credit_code][0] or no_street
        records.append({
            "credit_code": r.credit_code, "name": r.name,
            "chains": sep.join(names.get(k, k) for k in r.chains),
            "street": street,
            "uncovered_since": r.uncovered_since.isoformat() if r.uncovered_since else "",
            "days": r.days, "cause": UNCOVERED_CAUSE.label(r.cause, c.lang),
            "action": r.action or "", "cause_code": r.cause,
        })
        counts = [by_chain[k] for k in r.chains if k in by_chain]
        counts.append(by_street.setdefault(street, OverdueCount(street)))
        for count in counts:
            count.firms += 1
            count.lost += r.cause == "lost"
            if r.days is not None:
                count.longest = max(count.longest or 0, r.days)
    c.overdue_rows = pd.DataFrame(records, columns=[*OVERDUE_COLUMNS, "cause_code"])
    # Whole days or None (unknown start): not floats with NaN.
    c.overdue_rows["days"] = pd.Series([r["days"] for r in records], dtype=object)
    c.overdue_by_chain = sorted((n for n in by_chain.values() if n.firms),
                                key=lambda n: (-n.firms, n.name))
    c.overdue_by_street = sorted(by_street.values(), key=lambda n: (-n.firms, n.name))


def _visits(engine: Engine, c: ReportContent, in_force: Plan | None) -> None:
    """One row per work-covered firm of the scope: its officers, last visit, and whether it counts.

    "Counts" is :func:`tracker.visits.is_visited` of the firm's last counted visit (by anyone
    assigned to it on that day) in the plan in force's window: the rows marked yes are the
    ``work_visited`` of :func:`tracker.coverage.coverage`. The visits in the window are
    those of the firm's current officers (:func:`tracker.visits.officers`).
    """
    window = window_of(in_force)
    c.visit_window = window
    work = c.firms[c.firms["status_code"] == "work"]
    codes = list(work["credit_code"])
    last = last_visits(engine, c.as_of, codes, by_code=True) if codes else {}
    in_window: dict[str, int] = {}
    unvisited: dict[str, int] = {}
    wanted = set(codes)
    for officer in officers(engine, c.as_of, window):
        gaps = 0
        for f in officer.firms:
            if f["credit_code"] not in wanted:
                continue
            in_window[f["credit_code"]] = in_window.get(f["credit_code"], 0) + f["visits_in_window"]
            gaps += not f["visited"]
        if gaps:
            text = t("reports.liaison_short", c.lang, name=officer.name, unit=officer.unit)
            unvisited[text] = unvisited.get(text, 0) + gaps
    c.officer_gaps = sorted(unvisited.items(), key=lambda kv: (-kv[1], kv[0]))
    yes, no = c.tr("yes"), c.tr("no")
    records = []
    for r in work.itertuples(index=False):
        day = last.get(r.credit_code)
        counts = is_visited(day, c.as_of, window)
        records.append({
            "credit_code": r.credit_code, "name": r.name, "chains": r.chains,
            "street": r.street, "liaisons": r.liaisons,
            "last_visit": day.isoformat() if day else "",
            "days_since": (c.as_of - day).days if day else None,
            "visits_in_window": in_window.get(r.credit_code, 0),
            "counts": yes if counts else no, "counts_flag": counts,
        })
    # The firms to act on first: not visited, the longest without a visit first.
    records.sort(key=lambda x: (x["counts_flag"], x["last_visit"] or "", x["chains"], x["name"]))
    c.visits = pd.DataFrame(records, columns=[*VISIT_COLUMNS, "counts_flag"])
    c.visits["days_since"] = pd.Series([r["days_since"] for r in records], dtype=object)


def _terms(engine: Engine, c: ReportContent) -> None:
    """The organisations of the scope (those of :attr:`ReportContent.orgs`) and their terms."""
    codes = None if c.scope.is_everything else set(c.orgs["code"])
    rows = terms(engine, c.as_of, codes)
    c.orgs_active = len(rows)
    counts = {"overdue": 0, "within_3_months": 0, "within_6_months": 0, "unknown": 0, "ok": 0}
    for r in rows:
        counts[r.bucket] += 1
    counts["due_soon"] = counts["within_3_months"] + counts["within_6_months"]
    c.term_counts = counts
    c.terms = [r for r in rows if r.status in TERM_REMINDED]


def _areas(c: ReportContent) -> None:
    """Figures by area (park, else street) from the ledger, lowest rate first.

    The ledger is :func:`tracker.coverage.firm_status` of the report's scope, date and
    denominator, so the areas add up to the total.
    """
    target = c.total.target_rate
    counts: dict[str, Counts] = {}
    frame = c.firms
    for park, street, status in zip(frame["park"].tolist(), frame["street"].tolist(),
                                    frame["status_code"].tolist()):
        key = area_key(park or None, street or None) or ""
        n = counts.setdefault(key, Counts())
        n.firms += 1
        n.org_covered += status == "org"
        n.work_covered += status == "work"
        n.uncovered += status == "none"
    no_area = c.tr("no_area")
    # The planner's key is "park:名称" or "street:名称": the reader sees the name.
    areas = [ChainFigures(key, key.partition(":")[2] or no_area, n, target)
             for key, n in counts.items()]
    # Lowest rate first (the laggards lead); the unknown area last.
    c.areas = sorted(areas, key=lambda a: (a.key == "", a.counts.coverage_rate or 0, a.key))


def _measures(c: ReportContent) -> None:
    """The planner's measures by chain and by area, and the date they are due."""
    if c.overdue is not None:
        due = c.as_of + timedelta(days=c.overdue.days)
        if c.deadline is not None and c.as_of <= c.deadline < due:
            due = c.deadline
        c.action_due = due
    section = c.plan_section
    if section is None or section.result is None:
        return
    actions = section.result.actions
    uncovered = set(c.uncovered["credit_code"])
    # The laggards first (lowest rate first), then the other chains in the list's order.
    order = [ch.key for ch in c.laggards]
    order += [ch.key for ch in c.chains if ch.key not in order]
    in_scope = {ch.key for ch in c.chains}
    rank = {k: i for i, k in enumerate(order)}
    chain_of = {}
    for code, keys in zip(c.firms["credit_code"].tolist(), c.firms["chain_codes"].tolist()):
        # A firm in several chains counts for the one that lags most (first in ``order``).
        mine = [k for k in str(keys or "").split(";") if k in in_scope]
        chain_of[code] = min(mine, key=lambda k: rank.get(k, len(rank))) if mine else None
    area_of = {code: area_key(park or None, street or None) for code, park, street in
               zip(c.firms["credit_code"].tolist(), c.firms["park"].tolist(),
                   c.firms["street"].tolist())}
    by_chain = tally_measures(actions, chain_of, order, uncovered)
    by_area = tally_measures(actions, area_of, [a.key for a in c.areas], uncovered)
    chains = {ch.key: ch for ch in c.chains}
    c.measures_by_chain = []
    for key in [*order, ""]:
        if key in by_chain:
            m = by_chain[key]
            ch = chains.get(key)
            m.name = ch.name if ch else c.tr("no_chain")
            m.owner = (ch.lead_department if ch else None) or c.tr("dept_missing")
            c.measures_by_chain.append(m)
    c.measures_by_area = []
    known = [a for a in c.areas if a.key]  # c.areas holds the unknown area ("") last, if any
    for a in [*known, ChainFigures("", c.tr("no_area"), Counts())]:
        if a.key in by_area:
            m = by_area[a.key]
            m.name = a.name
            m.owner = c.tr("owner_area", area=a.name) if a.key else c.tr("dept_missing")
            c.measures_by_area.append(m)
    total = MeasureTally("*", c.total.name)
    for m in by_chain.values():
        for f in ("form_branch", "form_branch_uncovered", "joint", "joint_firms", "joined",
                  "liaison", "new_liaisons"):
            setattr(total, f, getattr(total, f) + getattr(m, f))
    c.measures_total = total


def scope_phrase(engine: Engine, scope: Scope, lang: str = "zh") -> str:
    """The scope as one phrase that names the chains once (a title's and a sentence's).

    Chinese: 全区产业链, 生物技术产业链, 生物技术、新型显示产业链, 生物技术、新型显示等5条产业链,
    科学城产业链, 科学城生物技术产业链; the word 产业链 (English "chain(s)") comes from the
    phrase only, so a title built on it (:func:`title_text`) never repeats it.

    >>> from tracker.chains import empty_store
    >>> engine = empty_store()
    >>> scope_phrase(engine, Scope.of(chains=["BIO", "DISPLAY"]))
    '生物技术、新型显示产业链'
    >>> scope_phrase(engine, Scope.of(chains=["BIO", "DISPLAY"]), "en")
    '2 chains (Biotechnology; New display)'
    >>> scope_phrase(engine, Scope.of(chains=["BIO"], areas=["科学城"]), "en")
    'the Biotechnology chain in 科学城'
    """
    if scope.is_everything:
        return t("reports.scope_all", lang)
    chains = None
    if scope.chains is not None:
        names = _chain_names(engine, lang)
        listed = [_bare_chain_name(names.get(c, c), lang) for c in sorted(scope.chains)]
        # Names are joined with the report's list separator (、 / "; "), never "and": a
        # chain's own name may hold an "and" (Biomedicine and high-end medical devices).
        sep = t("reports.sep_list", lang)
        if len(listed) == 1:
            chains = t("reports.scope_chain_one", lang, chains=listed[0])
        elif len(listed) <= 3:
            chains = t("reports.scope_chains", lang, n=len(listed), chains=sep.join(listed))
        else:
            chains = t("reports.scope_chains_many", lang, n=len(listed), chains=sep.join(listed[:2]))
    if scope.areas is None:
        return chains
    areas = join(sorted(scope.areas), lang)
    if chains is None:
        return t("reports.scope_areas", lang, areas=areas)
    return t("reports.scope_areas_chains", lang, areas=areas, chains=chains)


def _bare_chain_name(name: str, lang: str) -> str:
    """A chain's name without a trailing 产业链 / chain (the scope phrase adds it once)."""
    for suffix in (t("reports.scope_chain_noun_one", lang), t("reports.scope_chain_noun_many", lang)):
        stripped = name[: -len(suffix)].rstrip() if name.lower().endswith(suffix.lower()) else name
        if stripped:
            name = stripped
    return name


def scope_title(content: ReportContent) -> str:
    """The scope phrase every title of the report is built on (see :func:`report_title`)."""
    return content.scope_text


def title_text(scope: str, lang: str = "zh", kind: str = "doc") -> str:
    """A title from the scope phrase (:func:`scope_phrase`): ``kind`` ``"doc"`` (Word, PDF)
    or ``"ledger"`` (Excel). The one template of each kind: the chain word appears once.

    >>> title_text("生物医药及高端医疗器械产业链")
    '关于生物医药及高端医疗器械产业链党建工作覆盖情况的报告'
    """
    key = {"doc": "doc_title", "ledger": "xlsx_title"}[kind]
    return t(f"reports.{key}", lang, scope=scope)


def report_title(content: ReportContent, kind: str = "doc") -> str:
    """The report's title: ``kind`` ``"doc"`` (Word, PDF) or ``"ledger"`` (Excel).

    :func:`title_text` of the report's scope phrase (:func:`scope_title`).

    >>> from tracker.chains import empty_store
    >>> from tracker.scope import Scope
    >>> engine = empty_store()
    >>> report_title(gather(engine, date(2025, 6, 30), Scope.of(chains=["MEDDEV"]), include_plan=False))
    '关于生物医药及高端医疗器械产业链党建工作覆盖情况的报告'
    >>> report_title(gather(engine, date(2025, 6, 30), lang="en", include_plan=False), "ledger")
    "Party-work coverage ledger: the district's industrial chains"
    """
    return title_text(scope_title(content), content.lang, kind)


def data_date(content: ReportContent) -> str:
    """The data date (统计日, the as-of date) as the report's text writes it: 2026年11月27日."""
    return _date_text(content, content.as_of, official=True)


def issued_date(content: ReportContent) -> str:
    """The generation date, the date under the signature (GB/T 9704: Arabic numerals)."""
    return _date_text(content, content.generated_at.date(), official=True)


# --------------------------------------------------------------------------- summary


def write_summary(c: ReportContent) -> dict[str, list[str]]:
    """The written summary, one list of paragraphs per report section."""
    tot = c.total.counts
    sep = t("common.list_sep", c.lang)
    overall = [c.tr(
        "sum_overall", date=_date_text(c, c.as_of), scope=c.scope_text, firms=f"{tot.firms:,}",
        org=f"{tot.org_covered:,}", work=f"{tot.work_covered:,}", none=f"{tot.uncovered:,}",
        rate=percent(tot.coverage_rate), org_rate=percent(tot.org_coverage_rate),
        single=percent(tot.single_unit_rate), denominator=c.denominator_text)]

    chains: list[str] = []
    if c.plan:
        deadline = c.deadline
        days = (deadline - c.as_of).days
        example = c.tr("plan_example_mark") if c.plan_example else ""
        key = "sum_target" if days > 0 else "sum_target_today" if days == 0 else "sum_target_past"
        chains.append(c.tr(key, plan=plan_name(c.plan, c.lang),
                           example=example, deadline=_date_text(c, deadline),
                           target=percent(c.target_rate, 0), days=abs(days)))
        with_firms = [ch for ch in c.chains if ch.counts.firms > 0]
        met = [ch for ch in with_firms if ch.met]
        # The laggards lead, lowest rate first (issue 13).
        lagging = sorted((ch for ch in with_firms if ch.met is False),
                         key=lambda ch: (ch.counts.coverage_rate, ch.key))
        empty = [ch for ch in c.chains if ch.counts.firms == 0]
        if met:
            chains.append(c.tr("sum_met", n=len(met), names=sep.join(ch.name for ch in met)))
        else:
            chains.append(c.tr("sum_met_none"))
        if lagging:
            items = sep.join(c.tr("sum_lag_item", name=ch.name, rate=percent(ch.counts.coverage_rate),
                                  gap=ch.gap) for ch in lagging)
            chains.append(c.tr("sum_lagging", n=len(lagging), items=items))
        if empty:
            chains.append(c.tr("sum_empty", names=sep.join(ch.name for ch in empty)))
        if c.total.gap:
            key = "sum_gap_days" if days > 0 else "sum_gap_deadline_day" if days == 0 else "sum_gap_overdue"
            chains.append(c.tr(key, gap=f"{c.total.gap:,}", days=f"{abs(days):,}"))
        elif c.total.met:
            chains.append(c.tr("sum_total_met"))
    else:
        chains.append(c.tr("sum_no_plan"))

    uncovered = [c.tr("sum_uncovered", n=f"{tot.uncovered:,}")] if tot.uncovered else [c.tr("sum_all_covered")]
    if tot.uncovered:
        above = int(c.uncovered["above_size_flag"].sum())
        members = int((c.uncovered["formal_members"] >= MIN_FORMAL_MEMBERS).sum())
        uncovered.append(c.tr("sum_uncovered_detail", above=above, members=members))

    if not c.findings:
        findings = [c.tr("sum_rules_none")]
    else:
        errors = sum(1 for f in c.findings if f.severity == "error")
        warnings = len(c.findings) - errors
        by_rule: dict[str, int] = {}
        for f in c.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        rows = {r["rule"]: r["title"] for r in c.finding_rows()}
        items = sep.join(c.tr("sum_rule_item", rule=k, title=rows[k], n=v)
                         for k, v in sorted(by_rule.items()))
        findings = [c.tr("sum_rules", errors=errors, warnings=warnings, items=items)]

    plan = list(c.plan_section.summary) if c.plan_section else []
    if not plan:
        plan = [c.tr("sum_advice_generic", n=f"{tot.uncovered:,}")] if tot.uncovered else []
    return {"lead": _lead_text(c), "overall": overall, "chains": chains, "uncovered": uncovered,
            "findings": findings, "plan": plan, "verdict": _verdict_text(c),
            "flow": _flow_text(c), "overdue": _overdue_text(c), "visits": _visits_text(c),
            "terms": _terms_text(c)}


#: Most lagging chains the first page names (the rest are in the measures by chain).
LEAD_LAGGARDS = 3


def _lead_text(c: ReportContent) -> list[str]:
    """The first page's story: the verdict on the deadline (days past it, the rate then, now
    and the change), the lagging chains by rate with their lead departments, the measures
    (the planner's totals, with owners and a due date), and the one definition of 覆盖率."""
    out = []
    tot = c.total.counts
    lang = c.lang
    v = c.ended
    if v is not None:
        d = v.district
        example = c.tr("plan_example_mark") if v.plan.is_example else ""
        common = {"plan": plan_name(v.plan, c.lang), "example": example,
                  "deadline": _date_text(c, v.plan.deadline, official=True),
                  "days": f"{v.days_past_deadline:,}", "scope": c.scope_text,
                  "rate_now": percent(d.now.coverage_rate)}
        if d.result_at_deadline == "no_data":
            out.append(c.tr("lead_past_no_data", **common))
        else:
            out.append(c.tr("lead_past_one" if v.days_past_deadline == 1 else "lead_past",
                            rate_deadline=percent(d.at_deadline.coverage_rate),
                            result=result_text(c, d), standing=standing_text(c, d),
                            change=_points(d.change, lang), **common))
    elif c.plan:
        days = c.days_to_deadline
        example = c.tr("plan_example_mark") if c.plan_example else ""
        gap = c.total.gap or 0
        standing = (c.tr("short_by", label=STANDING.label("below", lang), n=f"{gap:,}") if gap
                    else STANDING.label("met" if tot.firms else "no_data", lang))
        out.append(c.tr("lead_today" if days == 0 else "lead_ahead", plan=plan_name(c.plan, c.lang),
                        example=example, deadline=_date_text(c, c.deadline, official=True),
                        target=percent(c.target_rate, 0), days=f"{days:,}", scope=c.scope_text,
                        rate_now=percent(tot.coverage_rate), standing=standing))
    else:
        out.append(c.tr("lead_no_plan", scope=c.scope_text, rate_now=percent(tot.coverage_rate)))
    lagging = c.laggards
    if lagging:
        sep = t("common.list_sep", lang)
        shown = lagging[:LEAD_LAGGARDS]
        items = sep.join(c.tr("lead_lag_item" if ch.lead_department else "lead_lag_item_nodept",
                              name=ch.name, rate=percent(ch.counts.coverage_rate),
                              gap=f"{ch.gap:,}", dept=ch.lead_department or "")
                         for ch in shown)
        if len(lagging) > len(shown):
            out.append(c.tr("lead_laggards_more", n=len(lagging), k=len(shown), items=items))
        elif len(lagging) == 1:
            out.append(c.tr("lead_laggards_one", items=items))
        else:
            out.append(c.tr("lead_laggards", n=len(lagging), items=items))
    elif c.plan and tot.firms:
        out.append(c.tr("lead_all_met"))
    m = c.measures_total
    if m is not None and m.any and c.action_due is not None:
        parts = []
        if m.form_branch:
            parts.append(c.tr("lead_m_branch", n=f"{m.form_branch:,}",
                              uncovered=f"{m.form_branch_uncovered:,}",
                              covered=f"{m.form_branch - m.form_branch_uncovered:,}"))
        if m.joint:
            parts.append(c.tr("lead_m_joint", n=f"{m.joint:,}", firms=f"{m.joint_firms:,}"))
        if m.joined:
            parts.append(c.tr("lead_m_join", n=f"{m.joined:,}"))
        if m.liaison:
            parts.append(c.tr("lead_m_liaison", n=f"{m.liaison:,}"))
        result = c.plan_section.result
        # One chain in the report: its department by name; else the departments together.
        owners = {ch.lead_department for ch in c.chains}
        owner = owners.pop() if len(owners) == 1 and None not in owners else c.tr("owner_chains")
        out.append(c.tr("lead_plan", measures=c.tr("sep_measures").join(parts), owner=owner,
                        before=percent(result.coverage_before), after=percent(result.coverage_after),
                        due=_date_text(c, c.action_due, official=True)))
    elif c.plan_section is not None:
        out.append(c.tr("lead_plan_nothing"))
    out.append(c.tr("definition_line"))
    return out


def _points(change: float | None, lang: str) -> str:
    """A change of rate in percentage points, in words (上升/下降/持平)."""
    if change is None:
        return "—"
    points = round(change * 100, 1)
    if points == 0:
        return t("reports.change_flat", lang)
    key = "reports.change_up" if points > 0 else "reports.change_down"
    return t(key, lang, points=f"{abs(points):.1f}")


def result_text(c: ReportContent, v) -> str:
    """截止日结果 of one :class:`tracker.verdict.ChainVerdict`: met, or missed by how many firms."""
    label = DEADLINE_RESULT.label(v.result_at_deadline, c.lang)
    if v.result_at_deadline == "missed":
        return c.tr("short_by", label=label, n=f"{v.short_at_deadline:,}")
    return label


def standing_text(c: ReportContent, v) -> str:
    """统计日状态 of one chain verdict: at target, or below by how many firms."""
    label = STANDING.label(v.standing, c.lang)
    if v.standing == "below":
        return c.tr("short_by", label=label, n=f"{v.short_now:,}")
    return label


def change_points(change: float | None) -> str:
    """The change from the deadline in signed percentage points (a table cell)."""
    if change is None:
        return "—"
    points = round(change * 100, 1)
    return "0.0" if points == 0 else f"{points:+.1f}".replace("-", "−")


def _verdict_text(c: ReportContent) -> list[str]:
    v = c.ended
    if v is None:
        return []
    d = v.district
    lang = c.lang
    # The plan, its deadline and the days since open the report (the lead); here the detail.
    out: list[str] = []
    if d.result_at_deadline == "no_data":
        out.append(c.tr("verdict_no_data"))
        return out
    out.append(c.tr("verdict_district", scope=c.scope_text,
                    rate_deadline=percent(d.at_deadline.coverage_rate),
                    result=result_text(c, d), rate_now=percent(d.now.coverage_rate),
                    change=_points(d.change, lang), standing=standing_text(c, d),
                    trend=TREND.label(d.trend, lang) if d.trend else "—"))
    with_firms = [ch for ch in v.chains if ch.result_at_deadline != "no_data" or ch.now.firms]
    missed = [ch for ch in with_firms if ch.result_at_deadline == "missed"]
    met = [ch for ch in with_firms if ch.result_at_deadline == "met"]
    below = [ch for ch in with_firms if ch.standing == "below"]
    falling = [ch for ch in with_firms if ch.trend == "falling"]
    out.append(c.tr("verdict_chains", met=len(met), missed=len(missed),
                    now_met=sum(ch.standing == "met" for ch in with_firms), below=len(below),
                    falling=len(falling)))
    for measure, extra in v.extra_targets.items():
        out.append(c.tr("verdict_other_target", measure=c.tr(f"col_{measure}"),
                        target=percent(extra["target"], 0),
                        at_deadline=percent(extra["at_deadline"]),
                        result=DEADLINE_RESULT.label(extra["result_at_deadline"], lang),
                        now=percent(extra["now"]),
                        standing=STANDING.label(extra["standing"], lang)))
    return out


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _flow_text(c: ReportContent) -> list[str]:
    out = []
    for part in c.flows:
        r = part.result
        prefix = "" if part.key == "*" else c.tr("flow_chain_prefix", name=part.name)
        out.append(prefix + c.tr(
            "flow_counts", deadline=_date_text(c, r.start_day), firms_start=f"{r.start['firms']:,}",
            firms_end=f"{r.end['firms']:,}", entered=f"{r.entered:,}",
            entered_covered=f"{r.entered_covered:,}", left=f"{r.left:,}",
            left_covered=f"{r.left_covered:,}", gained=f"{r.gained:,}", lost=f"{r.lost:,}",
            covered_start=f"{r.start['covered']:,}", covered_end=f"{r.end['covered']:,}",
            uncovered_start=f"{r.start['uncovered']:,}", uncovered_end=f"{r.end['uncovered']:,}"))
        ttc = r.time_to_cover
        if ttc.entered == 0:
            out.append(c.tr("flow_ttc_none"))
        elif ttc.covered == 0:
            out.append(c.tr("flow_ttc_uncovered", n=f"{ttc.entered:,}"))
        else:
            out.append(c.tr("flow_ttc", n=f"{ttc.entered:,}", covered=f"{ttc.covered:,}",
                            waiting=f"{ttc.entered - ttc.covered:,}",
                            median=_days(ttc.median_days), p90=_days(ttc.p90_days)))
    return out


def _overdue_text(c: ReportContent) -> list[str]:
    q = c.overdue
    if q is None:
        return []
    rule = c.tr("overdue_rule", plan=q.plan, days=q.days) if q.plan else \
        c.tr("overdue_rule_default", days=q.days)
    n = c.overdue_count
    if n == 0:
        return [rule + c.tr("overdue_none", days=q.days)]
    causes = c.overdue_rows["cause_code"]
    known = [d for d in c.overdue_rows["days"] if d is not None]
    return [rule + c.tr("overdue_counts", days=q.days, n=f"{n:,}",
                        uncovered=f"{c.total.counts.uncovered:,}",
                        entered=f"{int((causes == 'entered').sum()):,}",
                        lost=f"{int((causes == 'lost').sum()):,}",
                        longest=f"{int(max(known)):,}" if known else "—")]


def _visits_text(c: ReportContent) -> list[str]:
    tot = c.total.counts
    out = [c.tr("visits_rule", days=c.visit_window)]
    if tot.work_covered == 0:
        out.append(c.tr("visits_no_work"))
        return out
    out.append(c.tr("visits_counts", work=f"{tot.work_covered:,}", days=c.visit_window,
                    visited=f"{tot.work_visited:,}",
                    unvisited=f"{tot.work_covered - tot.work_visited:,}",
                    rate=percent(tot.coverage_rate), effective=percent(tot.effective_rate)))
    out.append(c.tr("visits_definitions"))
    if c.officer_gaps:
        sep = t("common.list_sep", c.lang)
        items = sep.join(c.tr("visits_officer_item", officer=o, n=n) for o, n in c.officer_gaps[:3])
        out.append(c.tr("visits_officers", n=len(c.officer_gaps), items=items))
    return out


def _terms_text(c: ReportContent) -> list[str]:
    n = c.term_counts
    if not c.orgs_active:
        return [c.tr("terms_no_orgs")]
    out = [c.tr("terms_counts", total=f"{c.orgs_active:,}", overdue=n["overdue"],
                soon=n["due_soon"], soon3=n["within_3_months"], unknown=n["unknown"]),
           c.tr("terms_rule")]
    return out


def _date_text(c: ReportContent, day: date, official: bool = True) -> str:
    """A date in the summary's text, as the written report writes it (GB/T 9704-2012:
    Arabic numerals, 2026年11月27日; English 27 November 2026); ``official=False``: the
    short form (English ISO)."""
    if official:
        return c.tr("doc_date", year=day.year, month=day.month, day=day.day,
                    month_name=day.strftime("%B"))
    return c.tr("date", year=day.year, month=day.month, day=day.day, iso=day.isoformat())
