"""The content of a coverage report, gathered once from the package's computations.

:func:`gather` asks :mod:`tracker.coverage` (figures by chain and in total, the firm
ledger), :mod:`tracker.rules` (findings) and :mod:`tracker.planning.plan` (the
planner's proposals) for one date and one scope, and returns one :class:`ReportContent`.
Every format module (xlsx, docx, pdf, csv) only lays this object out: no figure is
computed anywhere else, so all formats agree with ``tracker coverage`` by construction.

The written summary (which chains met the target, which lag and by how many firms) is
built here too, from the same figures, in the report's language.

Examples
--------
>>> from datetime import date
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
>>> content = gather(engine, date(2025, 6, 30))
>>> content.total.counts.firms, len(content.chains)
(0, 13)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..coverage import Counts, coverage, firm_status
from ..i18n import percent, t
from ..intervals import active_clause
from ..model import Assignment, Chain, CoverageLink, Liaison, PartyOrg
from ..provenance import get_info
from ..rules import MIN_FORMAL_MEMBERS, RULES, Finding, check
from ..scope import EVERYTHING, Scope
from ..vocab import FORMATION, LIAISON_ROLE, ORG_KIND, OWNERSHIP, SEGMENT, SEVERITY, STATUS

__all__ = [
    "ChainFigures",
    "PlanSection",
    "ReportContent",
    "FIRM_COLUMNS",
    "ORG_COLUMNS",
    "gather",
    "chinese_date",
    "chinese_number",
    "percent",
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


_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1-99 in Chinese numerals, as used for section numbers and dates.

    >>> chinese_number(3), chinese_number(10), chinese_number(25)
    ('三', '十', '二十五')
    """
    if not 0 < n < 100:
        raise ValueError(f"超出范围：{n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def chinese_date(day: date) -> str:
    """A date the way Chinese official documents write it.

    >>> chinese_date(date(2026, 11, 25))
    '二〇二六年十一月二十五日'
    """
    year = "".join(_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


@dataclass
class ChainFigures:
    """The figures of one chain (or of the total) against the plan's target."""

    key: str
    name: str
    counts: Counts
    target_rate: float | None = None

    @property
    def target_firms(self) -> int | None:
        """Covered firms the target asks for: ``ceil(target_rate × firms)``."""
        if self.target_rate is None:
            return None
        # Rounded first so that 0.95 × 20 does not become 19.000000000000004 → 20.
        return math.ceil(round(self.target_rate * self.counts.firms, 9))

    @property
    def gap(self) -> int | None:
        """Firms still to cover to reach the target (0 when met)."""
        if self.target_firms is None:
            return None
        return max(0, self.target_firms - self.counts.covered)

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a plan or without firms."""
        if self.gap is None or self.counts.firms == 0:
            return None
        return self.gap == 0


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
                "message": f.text(self.lang),
            })
        return rows


# --------------------------------------------------------------------------- gathering

L = CoverageLink.__table__
O = PartyOrg.__table__
A = Assignment.__table__
LI = Liaison.__table__
C = Chain.__table__


def _chain_names(engine: Engine, lang: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(C.c.code, C.c.name_zh, C.c.name_en)).all()
    return {code: (zh if lang == "zh" else en) for code, zh, en in rows}


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
            liaisons.setdefault(firm_id, []).append(
                f"{name}（{unit}，{LIAISON_ROLE.label(role, lang)}）" if lang == "zh"
                else f"{name} ({unit}, {LIAISON_ROLE.label(role, lang)})")
    return orgs, liaisons


def _firm_ledger(engine: Engine, as_of: date, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ledger's display columns from ``frame`` (:func:`tracker.coverage.firm_status`)."""
    names = _chain_names(engine, lang)
    orgs, liaisons = _coverers(engine, as_of, lang)
    sep = "、" if lang == "zh" else "; "
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


def _plan_section(engine: Engine, as_of: date, scope: Scope, lang: str, notes: list[str],
                  names: dict[str, str], frame: pd.DataFrame | None) -> PlanSection | None:
    """The planner's proposals; None (with a note saying why) when the planner fails."""
    from .plan_adapter import plan_section  # it imports PlanSection from this module

    try:
        return plan_section(engine, as_of, scope, lang, names, frame)
    except Exception as exc:  # noqa: BLE001 - the report goes out without the plan, saying why
        notes.append(t("reports.note_plan_failed", lang, reason=f"{type(exc).__name__}: {exc}"))
        return None


def gather(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh",
           include_plan: bool = True, progress=None) -> ReportContent:
    """Gather the content of a report on ``as_of`` within ``scope``.

    Parameters
    ----------
    engine : the store
    as_of : the date of every figure
    scope : restricts the figures, the firm lists, the organisations and the findings
    lang : ``"zh"`` or ``"en"``
    include_plan : ask the planner for proposals when it is available
    progress : called with one line of text as each stage starts (a province's report
               gathers for minutes; the user sees where it is)
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"未知的语言：{lang}（可选：zh、en）")
    started = time.perf_counter()

    def stage(name: str) -> None:
        if progress is not None:
            progress(t(f"reports.progress_stage_{name}", lang,
                       seconds=f"{time.perf_counter() - started:.0f}"))

    notes: list[str] = []
    stage("coverage")
    result = coverage(engine, as_of, by="chain", scope=scope, lang=lang)
    target = result.plan["target_rate"] if result.plan else None
    chains = [ChainFigures(g.key, g.name, g.counts, target) for g in result.groups]
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
    orgs = _org_list(engine, as_of, scope, set(int(i) for i in firms["firm_id"]), lang)
    names = dict(zip(firms["credit_code"], firms["name"]))
    # The planner plans over every chain firm: it can reuse the ledger's read of the firms
    # (seconds at 100,000 firms) only when the report counts every chain firm too.
    shared = status if result.denominator == "chain_firms" else None
    del status
    if include_plan:
        stage("plan")
    plan_section = (_plan_section(engine, as_of, scope, lang, notes, names, shared)
                    if include_plan else None)
    del shared
    content = ReportContent(
        as_of=as_of, lang=lang, scope=scope, scope_text=_scope_text(engine, scope, lang),
        generated_at=datetime.now().replace(microsecond=0), plan=result.plan,
        denominator=result.denominator, denominator_text=result.denominator_text,
        total=total, chains=chains, firms=firms, uncovered=uncovered, orgs=orgs,
        findings=findings, plan_section=plan_section, provenance=get_info(engine), notes=notes,
    )
    content.summary = write_summary(content)
    return content


def _scope_text(engine: Engine, scope: Scope, lang: str) -> str:
    if scope.is_everything:
        return t("reports.scope_all", lang)
    parts = []
    if scope.chains is not None:
        names = _chain_names(engine, lang)
        sep = "、" if lang == "zh" else ", "
        parts.append(t("reports.scope_chains", lang,
                       chains=sep.join(names.get(c, c) for c in sorted(scope.chains))))
    if scope.areas is not None:
        parts.append(t("reports.scope_areas", lang, areas="、".join(sorted(scope.areas))))
    return ("；" if lang == "zh" else "; ").join(parts)


# --------------------------------------------------------------------------- summary


def write_summary(c: ReportContent) -> dict[str, list[str]]:
    """The written summary, one list of paragraphs per report section."""
    tot = c.total.counts
    sep = "、" if c.lang == "zh" else ", "
    overall = [c.tr(
        "sum_overall", date=_date_text(c, c.as_of), scope=c.scope_text, firms=f"{tot.firms:,}",
        org=f"{tot.org_covered:,}", work=f"{tot.work_covered:,}", none=f"{tot.uncovered:,}",
        rate=percent(tot.coverage_rate), org_rate=percent(tot.org_coverage_rate),
        single=percent(tot.single_unit_rate), denominator=c.denominator_text)]
    if c.synthetic:
        overall.append(t("common.synthetic_banner", c.lang))

    chains: list[str] = []
    if c.plan:
        deadline = c.deadline
        days = (deadline - c.as_of).days
        chains.append(c.tr("sum_target", plan=c.plan["name"], deadline=_date_text(c, deadline),
                           target=percent(c.target_rate, 0)))
        with_firms = [ch for ch in c.chains if ch.counts.firms > 0]
        met = [ch for ch in with_firms if ch.met]
        lagging = sorted((ch for ch in with_firms if ch.met is False),
                         key=lambda ch: (-ch.gap, ch.key))
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
            key = "sum_gap_days" if days > 0 else "sum_gap_overdue"
            chains.append(c.tr(key, gap=f"{c.total.gap:,}", days=abs(days)))
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
    return {"overall": overall, "chains": chains, "uncovered": uncovered,
            "findings": findings, "plan": plan}


def _date_text(c: ReportContent, day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if c.lang == "zh" else day.isoformat()
