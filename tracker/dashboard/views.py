"""What the dashboard shows, computed from the engine and cached per data version.

Every figure on a page comes from here (which in turn calls :mod:`tracker.coverage`,
:mod:`tracker.graph`, :mod:`tracker.rules`, ...); the pages only lay it out. Nothing in
this module imports Streamlit, so the benchmark and the tests call it directly.

Caching
-------
Computed figures are kept in one process-wide LRU cache keyed by
``(store URL, data version, function, arguments)``. The **data version**
(:func:`data_version`) is a tuple of cheap aggregates over every table (row counts,
largest ids, sums of the ``version`` columns, counts of filled end dates, the newest
``dataset_info.updated`` and the audit log's largest id when that table exists), read
with one query. Any import, edit or audit entry changes it, so a page never shows figures
of data that has changed, and an unchanged store is answered from memory. Values in the
cache are shared between sessions: callers must not mutate them (copy a frame first).

Examples
--------
>>> from datetime import date
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
>>> view = overview(engine, date(2024, 6, 30))
>>> view.has_data, view.total.firms, len(view.chains)
(False, 0, 13)
>>> fmt_pct(0.8734), fmt_int(12345)
('87.3%', '12,345')
"""

from __future__ import annotations

import contextvars
import inspect
import math
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..coverage import DENOMINATORS, Counts, coverage, firm_status, month_ends, monthly_series
from ..intervals import active_clause, is_active
from ..model import (Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg,
                    Plan)
from ..provenance import get_info
from ..scope import EVERYTHING, Scope
from ..i18n import percent
from ..vocab import FORMATION, PLAN_ACTION, PLAN_STATUS, SEGMENT, STATUS

__all__ = [
    "STATUSES",
    "ChainRow",
    "PlanStatus",
    "Overview",
    "ChainDetail",
    "Provenance",
    "data_version",
    "pinned_version",
    "store_key",
    "cached",
    "clear_cache",
    "cache_info",
    "fmt_pct",
    "fmt_int",
    "fmt_delta_pp",
    "fmt_delta_int",
    "previous_month_end",
    "gap_to_target",
    "plan_info",
    "overview",
    "burnup_series",
    "history_dates_of",
    "history_series",
    "chain_list",
    "chain_detail",
    "chain_graph",
    "suggestions",
    "uncovered_reason",
    "firm_table",
    "firm_filters",
    "firm_history",
    "org_tree",
    "rule_findings",
    "provenance",
    "data_bounds",
    "Projection",
    "projection",
    "recent_audit",
    "forecast_result",
    "plan_result",
    "plan_actions",
]

#: Plan statuses of a chain or the district (code → (zh, en)): the labels of
#: :data:`tracker.vocab.PLAN_STATUS` (``pending`` there is for a plan whose forecast is not
#: available: the deadline is ahead and the target not yet reached).
STATUSES = {t.code: (t.zh, t.en) for t in PLAN_STATUS.terms}


# --------------------------------------------------------------------------- formatting


def fmt_pct(rate: float | None) -> str:
    """A rate as a percentage with one decimal; a dash when undefined (no firms).

    :func:`tracker.i18n.percent`, the one rate formatter of the product.
    """
    return percent(rate, 1)


def fmt_int(value: int | None) -> str:
    """An integer with thousands separators; a dash when missing."""
    return "—" if value is None else f"{int(value):,}"


def fmt_delta_pp(now: float | None, before: float | None, lang: str = "zh") -> str | None:
    """Change of a rate in percentage points, signed, one decimal; None when undefined."""
    if now is None or before is None:
        return None
    unit = "个百分点" if lang == "zh" else " pp"
    return f"{(now - before) * 100:+.1f}{unit}"


def fmt_delta_int(now: int, before: int) -> str:
    return f"{now - before:+,}"


def previous_month_end(day: date) -> date:
    """The last day of the month before ``day``'s month (the "last month" of a delta).

    >>> previous_month_end(date(2024, 3, 15))
    datetime.date(2024, 2, 29)
    """
    return day.replace(day=1) - timedelta(days=1)


def gap_to_target(counts: Counts, target_rate: float) -> int:
    """Firms still to cover to reach ``target_rate`` of the population (never negative).

    >>> gap_to_target(Counts(firms=10, org_covered=6, work_covered=1, uncovered=3), 0.95)
    3
    """
    # Round the requirement up, with a tolerance so that 0.95 * 20 is 19, not 19.000001.
    needed = math.ceil(target_rate * counts.firms - 1e-9)
    return max(0, needed - counts.covered)


# --------------------------------------------------------------------------- caching

_TRACKED = {
    # table: (columns summed, nullable columns counted)
    "chain": ((), ()),
    "firm": (("version", "formal_members", "probationary_members"), ("park", "street")),
    "chain_membership": (("is_chain_master",), ("joined", "left")),
    "party_org": (("version", "member_count"), ("founded", "dissolved", "parent_id")),
    "coverage_link": ((), ("start", "end")),
    "liaison": (("version",), ()),
    "assignment": ((), ("start", "end")),
    "supply_link": ((), ()),
    "plan": (("target_rate",), ()),
}


def _version_queries(tables: set[str]) -> list[sa.Select]:
    """One aggregate statement per tracked table (one scan each: a table read once for all
    of its figures, not once per figure)."""
    queries: list[sa.Select] = []
    for name, (sums, nullable) in _TRACKED.items():
        if name not in tables:
            continue
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in sums + nullable))
        parts: list[Any] = [sa.func.count(), sa.func.max(table.c.id)]
        for column in sums:
            # PostgreSQL cannot cast a boolean to FLOAT (nor sum one): count the true values.
            value = (sa.case((table.c[column].is_(sa.true()), 1), else_=0)
                     if column == "is_chain_master" else table.c[column])
            parts.append(sa.func.sum(value))
        parts += [sa.func.count(table.c[column]) for column in nullable]
        queries.append(sa.select(*parts).select_from(table))
    if "dataset_info" in tables:
        info = sa.table("dataset_info", sa.column("key"), sa.column("updated"))
        queries.append(sa.select(sa.func.count(), sa.func.max(info.c.updated)).select_from(info))
    # The audit log, whatever its table is called, records every edit: its largest id
    # changes on any change made through the editing API, including in-place updates.
    for name in sorted(t for t in tables if "audit" in t):
        audit = sa.table(name, sa.column("id"))
        queries.append(sa.select(sa.func.max(audit.c.id), sa.func.count()).select_from(audit))
    return queries or [sa.select(sa.literal(0))]


def data_version(engine: Engine) -> tuple:
    """A value that changes whenever the data in the store changes (one aggregate
    statement per table)."""
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        row = [v for query in _version_queries(tables) for v in conn.execute(query).one()]
    return tuple(str(v) if v is not None else None for v in row)


_PINNED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("redwood_pinned", default=None)


@contextmanager
def pinned_version(engine: Engine):
    """Within the block, read the data version of ``engine`` once (a page run calls many
    cached functions; one version check serves them all).

    >>> with pinned_version(engine):            # doctest: +SKIP
    ...     overview(engine, day); burnup_series(engine, day)
    """
    token = _PINNED.set({**(_PINNED.get() or {}), store_key(engine): data_version(engine)})
    try:
        yield
    finally:
        _PINNED.reset(token)


def _version(engine: Engine) -> tuple:
    pinned = _PINNED.get()
    key = store_key(engine)
    if pinned is not None and key in pinned:
        return pinned[key]
    return data_version(engine)


def store_key(engine: Engine) -> str:
    """The store's URL (password hidden): the first part of every cache key."""
    return engine.url.render_as_string(hide_password=True)


class _LRU:
    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                self.hits += 1
                return True, self.data[key]
            self.misses += 1
            return False, None

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.maxsize:
                self.data.popitem(last=False)


_CACHE = _LRU(maxsize=96)


def cached(func: Callable) -> Callable:
    """Decorator: cache ``func(engine, *args, **kwargs)`` per store and data version.

    The arguments after the engine must be hashable (dates, strings, :class:`Scope`).
    """

    signature = inspect.signature(func)

    def wrapper(engine: Engine, *args, **kwargs):
        pinned = _PINNED.get()
        if pinned is None or store_key(engine) not in pinned:
            # The outermost cached call reads the data version once for every cached call
            # it makes (the overview makes about ten).
            with pinned_version(engine):
                return wrapper(engine, *args, **kwargs)
        # Bind to the signature with its defaults: f(e, day) and f(e, day, EVERYTHING, "zh")
        # are one computation and must share one entry.
        bound = signature.bind(engine, *args, **kwargs)
        bound.apply_defaults()
        key = (store_key(engine), _version(engine), func.__name__,
               tuple(list(bound.arguments.items())[1:]))
        found, value = _CACHE.get(key)
        if found:
            return value
        value = func(engine, *args, **kwargs)
        _CACHE.put(key, value)
        return value

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


def clear_cache() -> None:
    with _CACHE.lock:
        _CACHE.data.clear()


def cache_info() -> dict:
    return {"size": len(_CACHE.data), "hits": _CACHE.hits, "misses": _CACHE.misses}


# --------------------------------------------------------------------------- plan


def plan_info(engine: Engine) -> dict | None:
    """The default plan: name, start, deadline (dates), target_rate, denominator."""
    P = Plan.__table__
    with engine.connect() as conn:
        row = conn.execute(sa.select(P).where(P.c.is_default.is_(True))).mappings().first()
    if row is None:
        return None
    return {"name": row["name"], "start": row["start"], "deadline": row["deadline"],
            "target_rate": float(row["target_rate"]), "denominator": row["denominator"]}


def _status_without_forecast(counts: Counts, target: float, as_of: date, deadline: date) -> str:
    if counts.firms and counts.covered >= math.ceil(target * counts.firms - 1e-9):
        return "achieved"
    if as_of > deadline:
        return "missed"
    return "pending"


def _forecast_statuses(engine: Engine, as_of: date, scope: Scope) -> dict[str, str] | None:
    """Key (``"*"`` or chain code) → status from :mod:`tracker.planning.forecast`, or None while
    that module is not available."""
    result = forecast_result(engine, as_of, scope)
    if result is None:
        return None
    return {f.key: f.status for f in [result.district, *result.chains]}


@cached
def forecast_result(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh",
                    orgs_per_month: int | None = None, assignments_per_month: int | None = None):
    """:func:`tracker.forecast.forecast` (cached), or None while it is not available or
    there is no plan to forecast against."""
    try:
        from ..planning.forecast import forecast  # noqa: PLC0415 - the forecast's module
    except ImportError:
        return None
    if plan_info(engine) is None:
        return None
    # The history the forecast fits is part of the history the burn-up draws: one sweep.
    return forecast(engine, as_of, scope=scope, lang=lang, orgs_per_month=orgs_per_month,
                    assignments_per_month=assignments_per_month,
                    series=history_series(engine, as_of, scope))


def _burnup_start(plan: dict | None, bounds: dict, as_of: date) -> date:
    # From the plan's start: the chart is about the plan (organisations founded decades
    # ago would otherwise stretch it); before the plan's start, from the first record.
    start = plan["start"] if plan else (bounds["first"] or as_of)
    if start > as_of:
        start = min(bounds["first"] or as_of, as_of)
    return start


def history_dates_of(engine: Engine, as_of: date) -> list[date]:
    """Every date a page of ``as_of`` reads figures at, sorted: the burn-up's month ends,
    the forecast's history (:func:`tracker.planning.forecast.history_dates`), the month end before
    ``as_of`` (the deltas), the deadline once passed, and ``as_of`` itself."""
    plan = plan_info(engine)
    dates = set(month_ends(_burnup_start(plan, data_bounds(engine), as_of), as_of))
    dates |= {as_of, previous_month_end(as_of)}
    if plan is not None:
        from ..planning.forecast import history_dates  # noqa: PLC0415 - keeps views importable alone

        dates |= set(history_dates(as_of, plan["start"], plan["deadline"]))
        if as_of > plan["deadline"]:
            dates.add(plan["deadline"])
    return sorted(dates)


@cached
def history_series(engine: Engine, as_of: date, scope: Scope = EVERYTHING) -> pd.DataFrame:
    """:func:`tracker.coverage.monthly_series` by chain at :func:`history_dates_of` with the
    plan's denominator: one sweep shared by the overview's figures, the burn-up and the
    forecast (the series equals :func:`tracker.coverage.coverage` at every date)."""
    plan = plan_info(engine)
    denominator = plan["denominator"] if plan else "chain_firms"
    return monthly_series(engine, history_dates_of(engine, as_of), by_chain=True, scope=scope,
                          denominator=denominator)


def _counts_at(series: pd.DataFrame, on: date, key: str = "*") -> Counts:
    rows = series[(series["date"] == on) & (series["key"] == key)]
    if rows.empty:
        return Counts()
    row = rows.iloc[0]
    return Counts(firms=int(row["firms"]), org_covered=int(row["org_covered"]),
                  work_covered=int(row["work_covered"]), uncovered=int(row["uncovered"]),
                  single_unit=int(row["single_unit"]))


# --------------------------------------------------------------------------- overview


@dataclass
class ChainRow:
    code: str
    name: str
    counts: Counts
    target_rate: float
    gap: int
    status: str


@dataclass
class PlanStatus:
    name: str
    deadline: date
    target_rate: float
    passed: bool
    days_left: int
    at_deadline: Counts | None  # only once the deadline has passed
    status: str


@dataclass
class Overview:
    as_of: date
    previous_date: date
    has_data: bool  # any firm in the store at all
    denominator: str
    denominator_text: str
    total: Counts
    previous: Counts
    orgs: int
    orgs_previous: int
    liaisons: int
    liaisons_previous: int
    plan: PlanStatus | None
    chains: list[ChainRow] = field(default_factory=list)
    first_date: date | None = None  # the earliest dated fact in the store

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "total": self.total.as_dict(),
                "orgs": self.orgs, "liaisons": self.liaisons,
                "chains": [{"key": c.code, "status": c.status, "gap": c.gap, **c.counts.as_dict()}
                           for c in self.chains]}


def _active_orgs_and_liaisons(engine: Engine, on: date, scope: Scope,
                              denominator: str) -> tuple[int, int]:
    """Organisations covering at least one firm of the population on ``on`` (all active
    organisations for the whole district), and liaisons assigned to one."""
    from ..coverage import in_population  # the one definition of the population

    O, L, A = PartyOrg.__table__, CoverageLink.__table__, Assignment.__table__
    with engine.connect() as conn:
        if scope.is_everything:
            orgs = conn.execute(sa.select(sa.func.count()).select_from(O)
                                .where(active_clause(O.c.founded, O.c.dissolved, on))).scalar()
        else:
            orgs = conn.execute(
                sa.select(sa.func.count(sa.distinct(L.c.org_id)))
                .select_from(L.join(O, O.c.id == L.c.org_id))
                .where(active_clause(L.c.start, L.c.end, on))
                .where(active_clause(O.c.founded, O.c.dissolved, on))
                .where(in_population(L.c.firm_id, on, scope, denominator))).scalar()
        # Each active assignment asks whether its firm is in the population (an index
        # look-up), instead of building the whole population to join with.
        liaisons = conn.execute(
            sa.select(sa.func.count(sa.distinct(A.c.liaison_id)))
            .where(active_clause(A.c.start, A.c.end, on))
            .where(in_population(A.c.firm_id, on, scope, denominator))).scalar()
    return int(orgs or 0), int(liaisons or 0)


@cached
def data_bounds(engine: Engine) -> dict:
    """Firms in the store, and the earliest and latest dates of any dated fact."""
    tables = [(ChainMembership.__table__, ("joined", "left")),
              (PartyOrg.__table__, ("founded", "dissolved")),
              (CoverageLink.__table__, ("start", "end")),
              (Assignment.__table__, ("start", "end"))]
    lows, highs = [], []
    with engine.connect() as conn:
        firms = conn.execute(sa.select(sa.func.count()).select_from(Firm.__table__)).scalar()
        for table, columns in tables:
            # One scan per table for both of its date columns.
            row = conn.execute(sa.select(*(f(table.c[c]) for c in columns
                                           for f in (sa.func.min, sa.func.max)))).one()
            lows += [v for v in row[0::2] if v is not None]
            highs += [v for v in row[1::2] if v is not None]
    return {"firms": int(firms or 0), "first": min(lows) if lows else None,
            "last": max(highs) if highs else None}


@cached
def overview(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> Overview:
    """Everything the overview page shows at ``as_of``.

    The totals and the per-chain counts are :func:`tracker.coverage.coverage` with the
    plan's denominator, the same as ``tracker coverage --by chain --json``.
    """
    plan = plan_info(engine)
    denominator = plan["denominator"] if plan else "chain_firms"
    # Every figure below is a row of the one history sweep (equal to coverage() there).
    series = history_series(engine, as_of, scope)
    before_date = previous_month_end(as_of)
    total, previous = _counts_at(series, as_of), _counts_at(series, before_date)
    orgs, liaisons = _active_orgs_and_liaisons(engine, as_of, scope, denominator)
    orgs_b, liaisons_b = _active_orgs_and_liaisons(engine, before_date, scope, denominator)
    bounds = data_bounds(engine)
    target = plan["target_rate"] if plan else 1.0
    deadline = plan["deadline"] if plan else None
    statuses = _forecast_statuses(engine, as_of, scope) or {}
    rows = []
    for code, name in chain_list(engine, lang):
        if scope.chains is not None and code not in scope.chains:
            continue
        counts = _counts_at(series, as_of, code)
        status = statuses.get(code) or (
            _status_without_forecast(counts, target, as_of, deadline) if deadline else "pending")
        rows.append(ChainRow(code, name, counts, target, gap_to_target(counts, target), status))
    plan_status = None
    if plan is not None:
        passed = as_of > deadline
        at_deadline = _counts_at(series, deadline) if passed else None
        status = statuses.get("*") or _status_without_forecast(
            at_deadline if passed else total, target, as_of, deadline)
        plan_status = PlanStatus(plan["name"], deadline, target, passed,
                                 (deadline - as_of).days, at_deadline, status)
    text = DENOMINATORS[denominator][lang if lang in ("zh", "en") else "zh"]
    return Overview(
        as_of=as_of, previous_date=before_date, has_data=bounds["firms"] > 0,
        denominator=denominator, denominator_text=text,
        total=total, previous=previous, orgs=orgs, orgs_previous=orgs_b,
        liaisons=liaisons, liaisons_previous=liaisons_b, plan=plan_status, chains=rows,
        first_date=bounds["first"])


@cached
def burnup_series(engine: Engine, as_of: date, scope: Scope = EVERYTHING, key: str = "*") -> pd.DataFrame:
    """Monthly scope (firms) and covered firms from the plan's start (or the first data)
    to ``as_of``, for the district (``key="*"``) or one chain code.

    Columns: ``date, firms, covered, org_covered, work_covered, coverage_rate``.
    """
    plan = plan_info(engine)
    start = _burnup_start(plan, data_bounds(engine), as_of)
    series = history_series(engine, as_of, scope)
    series = series[series["date"].isin(month_ends(start, as_of)) & (series["key"] == key)]
    series = series.reset_index(drop=True)
    return series[["date", "firms", "covered", "org_covered", "work_covered", "coverage_rate"]]


# --------------------------------------------------------------------------- chains


@cached
def chain_list(engine: Engine, lang: str = "zh") -> list[tuple[str, str]]:
    """(code, name) of every chain, in the list's order."""
    C = Chain.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(C.c.code, C.c.name_zh, C.c.name_en)
                            .order_by(C.c.sort_order, C.c.code)).all()
    return [(code, zh if lang == "zh" else en) for code, zh, en in rows]


def uncovered_reason(formal: int, probationary: int, ended: date | None, lang: str = "zh") -> str:
    """Why a firm is uncovered, from its member counts and its past coverage.

    >>> uncovered_reason(4, 0, None)
    '有4名正式党员，达到单独组建条件，尚未建立党组织'
    >>> uncovered_reason(0, 0, None, "en")
    'no party members and no liaison officer assigned'
    """
    zh = lang == "zh"
    if formal >= 3:
        text = (f"有{formal}名正式党员，达到单独组建条件，尚未建立党组织" if zh else
                f"{formal} formal members: should form its own branch, has none")
    elif formal > 0:
        text = (f"正式党员{formal}名，不足3名，尚未纳入联合党支部，也未派驻联络员" if zh else
                f"{formal} formal member(s), fewer than 3: not in a joint branch, no liaison")
    elif probationary > 0:
        text = (f"仅有预备党员{probationary}名，未派驻联络员" if zh else
                f"only {probationary} probationary member(s); no liaison officer assigned")
    else:
        text = "无党员，未派驻联络员" if zh else "no party members and no liaison officer assigned"
    if ended is not None:
        text += (f"（原有覆盖已于{ended.isoformat()}终止）" if zh else
                 f" (earlier coverage ended on {ended.isoformat()})")
    return text


def _ended_coverage(engine: Engine, firm_ids: list[int], on: date) -> dict[int, date]:
    """For each firm, the latest end (on or before ``on``) of a coverage link or assignment."""
    if not firm_ids:
        return {}
    L, A, O = CoverageLink.__table__, Assignment.__table__, PartyOrg.__table__
    out: dict[int, date] = {}
    with engine.connect() as conn:
        for start in range(0, len(firm_ids), 900):
            batch = firm_ids[start:start + 900]
            for table, end in ((L, L.c.end), (A, A.c.end)):
                query = (sa.select(table.c.firm_id, sa.func.max(end))
                         .where(table.c.firm_id.in_(batch), end.is_not(None), end <= on)
                         .group_by(table.c.firm_id))
                for firm_id, value in conn.execute(query):
                    out[firm_id] = max(out.get(firm_id, value), value)
            dissolved = (sa.select(L.c.firm_id, sa.func.max(O.c.dissolved))
                         .select_from(L.join(O, O.c.id == L.c.org_id))
                         .where(L.c.firm_id.in_(batch), O.c.dissolved.is_not(None),
                                O.c.dissolved <= on)
                         .group_by(L.c.firm_id))
            for firm_id, value in conn.execute(dissolved):
                out[firm_id] = max(out.get(firm_id, value), value)
    return out


def _liaison_text(action, lang: str) -> str:
    """Who serves the firms of an ``assign_liaison`` action: the existing officer's name,
    or "new officer N"; empty for other actions."""
    if action.liaison:
        return action.liaison.get("name") or ""
    if action.new_liaison:
        return (f"新选派联络员{action.new_liaison}" if lang == "zh"
                else f"new officer {action.new_liaison}")
    return ""


def suggestions(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                lang: str = "zh") -> dict[str, dict]:
    """Credit code → the planner's proposed way to cover the firm
    (:func:`tracker.plan.plan_store` on ``as_of`` in ``scope``): ``type`` (a
    :data:`tracker.vocab.PLAN_ACTION` code), ``text`` (its label, with the organisation to
    join or the liaison officer), ``reason`` (the planner's why). Empty while the planner
    is not available."""
    result = plan_result(engine, as_of, scope)
    if result is None:
        return {}
    O = PartyOrg.__table__
    codes = sorted({a.org for a in result.actions if a.org})
    org_names: dict[str, str] = {}
    if codes:
        with engine.connect() as conn:
            for start in range(0, len(codes), 900):
                org_names.update(conn.execute(sa.select(O.c.code, O.c.name)
                                              .where(O.c.code.in_(codes[start:start + 900]))).all())
    out: dict[str, dict] = {}
    for action in result.actions:
        text = PLAN_ACTION.label(action.type, lang)
        detail = org_names.get(action.org, action.org) if action.org else _liaison_text(action, lang)
        if detail:
            text += f"（{detail}）" if lang == "zh" else f" ({detail})"
        reason = action.reason if lang == "zh" else (action.reason_en or action.reason)
        for code in action.firms:
            # The planner gives each firm one action; the first stands if it ever gave two.
            out.setdefault(code, {"type": action.type, "text": text, "reason": reason or ""})
    return out


@dataclass
class ChainDetail:
    code: str
    name: str
    exists: bool
    counts: Counts
    target_rate: float
    gap: int
    segments: list[dict]
    masters: pd.DataFrame  # credit_code, name, segment, status, orgs
    # credit_code, name, park, street, formal_members, probationary_members, reason,
    # suggestion (the planner's way: label and organisation/officer), suggestion_type (a
    # PLAN_ACTION code), suggestion_reason (the planner's why)
    uncovered: pd.DataFrame
    denominator_text: str


@cached
def chain_detail(engine: Engine, code: str, as_of: date, lang: str = "zh") -> ChainDetail:
    """One chain at ``as_of``: figures, segments, chain masters with their organisations,
    uncovered firms with the reason (and the planner's suggestion when available)."""
    names = dict(chain_list(engine, lang))
    scope = Scope.of(chains=[code])
    plan = plan_info(engine)
    target = plan["target_rate"] if plan else 1.0
    if code not in names:
        empty = pd.DataFrame()
        return ChainDetail(code, code, False, Counts(), target, 0, [], empty, empty, "")
    result = coverage(engine, as_of, by="segment", scope=scope, lang=lang)
    segments = [{"key": g.key, "name": g.name, **g.counts.as_dict()} for g in result.groups]
    frame = firm_status(engine, as_of, scope=scope, denominator=result.denominator)
    orgs = _covering_orgs(engine, frame["firm_id"].tolist(), as_of)
    masters = frame[frame["chain_master"]].copy()
    masters["orgs"] = [orgs.get(i, "") for i in masters["firm_id"]]
    masters["status_label"] = [STATUS.label(s, lang) for s in masters["status"]]
    masters["segment_label"] = [_segments_label(s, lang) for s in masters["segments"]]
    uncovered = frame[frame["status"] == "none"].copy()
    ended = _ended_coverage(engine, uncovered["firm_id"].tolist(), as_of)
    uncovered["reason"] = [
        uncovered_reason(int(f), int(p), ended.get(i), lang)
        for f, p, i in zip(uncovered["formal_members"], uncovered["probationary_members"],
                           uncovered["firm_id"])]
    # The planner's way for each uncovered firm (planned in this chain's scope, so the
    # joint branches it proposes group firms of this chain).
    ways = suggestions(engine, as_of, scope, lang) if len(uncovered) else {}
    none = {"type": "", "text": "", "reason": ""}
    found = [ways.get(c, none) for c in uncovered["credit_code"]]
    uncovered["suggestion"] = [w["text"] for w in found]
    uncovered["suggestion_type"] = [w["type"] for w in found]
    uncovered["suggestion_reason"] = [w["reason"] for w in found]
    for frame_ in (masters, uncovered):
        # No "None" on screen for a firm without a park or street.
        frame_["park"] = frame_["park"].fillna("")
        frame_["street"] = frame_["street"].fillna("")
    uncovered["segment_label"] = [_segments_label(s, lang) for s in uncovered["segments"]]
    return ChainDetail(code, names[code], True, result.total, target,
                       gap_to_target(result.total, target), segments,
                       masters.reset_index(drop=True), uncovered.reset_index(drop=True),
                       result.denominator_text)


def _segments_label(segments: str, lang: str) -> str:
    return "、".join(SEGMENT.label(s, lang) for s in str(segments or "").split(";") if s)


def _covering_orgs(engine: Engine, firm_ids: list[int], on: date) -> dict[int, str]:
    """Firm id → names of the organisations covering it on ``on``, joined by 、."""
    if not firm_ids:
        return {}
    L, O = CoverageLink.__table__, PartyOrg.__table__
    out: dict[int, list[str]] = {}
    with engine.connect() as conn:
        for start in range(0, len(firm_ids), 900):
            query = (sa.select(L.c.firm_id, O.c.name)
                     .select_from(L.join(O, O.c.id == L.c.org_id))
                     .where(L.c.firm_id.in_(firm_ids[start:start + 900]))
                     .where(active_clause(L.c.start, L.c.end, on))
                     .where(active_clause(O.c.founded, O.c.dissolved, on))
                     .order_by(O.c.name))
            for firm_id, name in conn.execute(query):
                out.setdefault(firm_id, []).append(name)
    return {k: "、".join(v) for k, v in out.items()}


@cached
def chain_graph(engine: Engine, code: str, as_of: date):
    """The network picture of one chain (:func:`tracker.graph.chain_subgraph`)."""
    from ..graph import build_graph, chain_subgraph

    G = build_graph(engine, as_of, Scope.of(chains=[code]))
    return chain_subgraph(G, code)


# --------------------------------------------------------------------------- firms


@cached
def firm_table(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame:
    """Every firm of the population at ``as_of`` with its status, chains and labels
    (:func:`tracker.coverage.firm_status` plus display columns)."""
    plan = plan_info(engine)
    denominator = plan["denominator"] if plan else "chain_firms"
    frame = firm_status(engine, as_of, scope=scope, denominator=denominator)
    names = dict(chain_list(engine, lang))
    frame["status_label"] = [STATUS.label(s, lang) for s in frame["status"]]
    frame["chain_names"] = ["、".join(names.get(c, c) for c in str(cs).split(";") if c)
                            for cs in frame["chains"]]
    frame["park"] = frame["park"].fillna("")
    frame["street"] = frame["street"].fillna("")
    frame["size_label"] = np.where(frame["above_size"].astype(bool),
                                   "规上" if lang == "zh" else "above size",
                                   "规下" if lang == "zh" else "below size")
    return frame


def firm_filters(frame: pd.DataFrame, text: str = "", chains=(), parks=(), streets=(),
                 statuses=(), sizes=()) -> pd.DataFrame:
    """Filter a :func:`firm_table` frame: ``text`` matches name or credit code (substring,
    case-insensitive); each other argument keeps rows whose value is in it (empty: all).
    ``sizes`` holds ``"above"`` / ``"below"``."""
    mask = pd.Series(True, index=frame.index)
    text = (text or "").strip()
    if text:
        mask &= (frame["name"].str.contains(text, case=False, regex=False)
                 | frame["credit_code"].str.contains(text.upper(), regex=False))
    if chains:
        wanted = set(chains)
        mask &= frame["chains"].map(lambda cs: bool(wanted & set(str(cs).split(";"))))
    if parks:
        mask &= frame["park"].isin(list(parks))
    if streets:
        mask &= frame["street"].isin(list(streets))
    if statuses:
        mask &= frame["status"].isin(list(statuses))
    if sizes:
        flags = {s == "above" for s in sizes}
        mask &= frame["above_size"].astype(bool).isin(list(flags))
    return frame[mask]


@cached
def firm_history(engine: Engine, credit_code: str, until: date, lang: str = "zh") -> pd.DataFrame:
    """A firm's coverage history up to ``until``: one row per period of constant status.

    Periods start at every date where a fact of the firm starts or ends (chain
    membership, coverage link and its organisation, liaison assignment); each row holds
    ``start, end`` (exclusive; ``until`` + 1 day for the open last period), ``status``
    (``org`` / ``work`` / ``none`` / ``out``: in no chain), ``status_label``, ``orgs``,
    ``liaisons``, ``chains`` (names). Empty when the firm is unknown or has no dated facts.
    """
    F, M, C = Firm.__table__, ChainMembership.__table__, Chain.__table__
    L, O, A, LI = CoverageLink.__table__, PartyOrg.__table__, Assignment.__table__, Liaison.__table__
    columns = ["start", "end", "status", "status_label", "orgs", "liaisons", "chains"]
    with engine.connect() as conn:
        firm_id = conn.execute(sa.select(F.c.id).where(F.c.credit_code == credit_code)).scalar()
        if firm_id is None:
            return pd.DataFrame(columns=columns)
        members = conn.execute(sa.select(M.c.joined, M.c.left, C.c.code)
                               .select_from(M.join(C, C.c.id == M.c.chain_id))
                               .where(M.c.firm_id == firm_id)).all()
        links = conn.execute(sa.select(L.c.start, L.c.end, O.c.founded, O.c.dissolved, O.c.name)
                             .select_from(L.join(O, O.c.id == L.c.org_id))
                             .where(L.c.firm_id == firm_id)).all()
        assigns = conn.execute(sa.select(A.c.start, A.c.end, LI.c.name, LI.c.unit)
                               .select_from(A.join(LI, LI.c.id == A.c.liaison_id))
                               .where(A.c.firm_id == firm_id)).all()
    names = dict(chain_list(engine, lang))
    points = {d for row in members for d in row[:2] if d is not None}
    points |= {d for row in links for d in row[:4] if d is not None}
    points |= {d for row in assigns for d in row[:2] if d is not None}
    points = sorted(p for p in points if p <= until)
    if not points:
        if not (members or links or assigns):
            return pd.DataFrame(columns=columns)
        points = [until]
    rows = []
    bounds = points + [until + timedelta(days=1)]
    for start, end in zip(bounds[:-1], bounds[1:]):
        if start >= end:
            continue
        chains = sorted({code for j, lft, code in members if is_active(j, lft, start)})
        orgs = sorted({name for s, e, f, dis, name in links
                       if is_active(s, e, start) and is_active(f, dis, start)})
        liaisons = sorted({f"{name}（{unit}）" for s, e, name, unit in assigns if is_active(s, e, start)})
        status = ("out" if not chains else "org" if orgs else "work" if liaisons else "none")
        label = (("未入链" if lang == "zh" else "not in a chain") if status == "out"
                 else STATUS.label(status, lang))
        rows.append({"start": start, "end": end, "status": status, "status_label": label,
                     "orgs": "、".join(orgs), "liaisons": "、".join(liaisons),
                     "chains": "、".join(names.get(c, c) for c in chains)})
    # Before the firm's first chain membership there is nothing to tell.
    while rows and rows[0]["status"] == "out":
        rows.pop(0)
    # Merge neighbours with the same content: a period is "constant status and coverers".
    merged: list[dict] = []
    for row in rows:
        if merged and all(merged[-1][k] == row[k] for k in ("status", "orgs", "liaisons", "chains")):
            merged[-1]["end"] = row["end"]
        else:
            merged.append(row)
    return pd.DataFrame(merged, columns=columns)


# --------------------------------------------------------------------------- organisations


@cached
def org_tree(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame:
    """The organisation tree at ``as_of`` in depth-first order with subtree roll-ups
    (:func:`tracker.graph.org_rollup`).

    Columns: ``code, name, depth, kind, formation, formation_label, own_members,
    members`` (subtree), ``covered_firms`` (subtree), ``direct_firms``, ``parent``.
    """
    from ..graph import build_graph, org_rollup
    from ..vocab import ORG_KIND

    G = build_graph(engine, as_of, scope)
    rollup = org_rollup(G)
    orgs = {data["code"]: data for _, data in G.nodes(data=True) if data["type"] == "org"}
    children: dict[str | None, list[str]] = {}
    for code, data in orgs.items():
        parent = data.get("parent") if data.get("parent") in orgs else None
        children.setdefault(parent, []).append(code)
    rows = []

    def walk(code: str, depth: int) -> None:
        data = orgs[code]
        roll = rollup.get(code, {})
        rows.append({
            "code": code, "name": data["name"], "depth": depth, "kind": data["kind"],
            "kind_label": ORG_KIND.label(data["kind"], lang),
            "formation": data["formation"], "formation_label": FORMATION.label(data["formation"], lang),
            "own_members": int(data.get("members", 0)), "members": roll.get("members", 0),
            "covered_firms": roll.get("covered_firms", 0), "direct_firms": roll.get("direct_firms", 0),
            "parent": data.get("parent", ""),
        })
        for child in sorted(children.get(code, [])):
            walk(child, depth + 1)

    for root in sorted(children.get(None, [])):
        walk(root, 0)
    return pd.DataFrame(rows, columns=["code", "name", "depth", "kind", "kind_label", "formation",
                                       "formation_label", "own_members", "members",
                                       "covered_firms", "direct_firms", "parent"])


@cached
def rule_findings(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame | None:
    """Findings of :func:`tracker.rules.check` as a frame, or None while that module is absent.

    Columns: whatever the findings carry as dicts (``rule``, ``severity``, ``article``,
    ``message``, ...).
    """
    try:
        from .. import rules  # noqa: PLC0415 - written by the rules work
    except ImportError:
        return None
    check = getattr(rules, "check", None)
    if check is None:
        return None
    try:
        found = check(engine, as_of, scope=scope, lang=lang)
    except TypeError:
        found = check(engine, as_of, scope=scope)
    records = [f.as_dict() if hasattr(f, "as_dict") else (
        dict(f) if isinstance(f, dict) else dict(vars(f))) for f in found]
    return pd.DataFrame.from_records(records)


# --------------------------------------------------------------------------- provenance


@dataclass
class Provenance:
    synthetic: bool
    source: str
    licence: str
    last_import: str
    last_import_file: str
    denominator: str
    denominator_text: str
    firms: int


@cached
def provenance(engine: Engine, lang: str = "zh") -> Provenance:
    """What every page states about its data: source, synthetic flag, last import,
    the denominator in use."""
    info = get_info(engine)
    plan = plan_info(engine)
    denominator = plan["denominator"] if plan else "chain_firms"
    text = DENOMINATORS.get(denominator, {}).get(lang if lang in ("zh", "en") else "zh", denominator)
    return Provenance(
        synthetic=info.get("synthetic") == "true", source=info.get("source", ""),
        licence=info.get("licence", ""), last_import=info.get("last_import", ""),
        last_import_file=info.get("last_import_file", ""), denominator=denominator,
        denominator_text=text, firms=data_bounds(engine)["firms"])


# --------------------------------------------------------------------------- forecast


@dataclass
class Projection:
    """A projection to draw on the burn-up: ``frame`` has ``date, covered`` and optionally
    ``low, high``; ``assumption`` says what it assumes (written under the chart)."""

    frame: pd.DataFrame
    assumption: str
    status: str | None = None
    reach_date: date | None = None


@cached
def projection(engine: Engine, as_of: date, scope: Scope = EVERYTHING, key: str = "*",
               lang: str = "zh") -> Projection | None:
    """The forecast of :mod:`tracker.planning.forecast` for the district (``key="*"``) or a chain,
    as a :class:`Projection` that starts at the last observation; None while the
    forecast is not available or has nothing to project."""
    result = forecast_result(engine, as_of, scope, lang)
    if result is None:
        return None
    found = result.get(key)
    if found is None or not found.projected or not found.observed:
        return None
    last = found.observed[-1]
    points = [{"date": date.fromisoformat(last["date"]), "firms": last["firms"],
               "covered": last["covered"]}]
    points += [{"date": date.fromisoformat(p["date"]), "firms": p["firms"], "covered": p["covered"]}
               for p in found.projected]
    frame = pd.DataFrame(points, columns=["date", "firms", "covered"])
    # Never project past the later of the deadline and a year after the as-of date.
    horizon = max(found.deadline, as_of.replace(year=as_of.year + 1) if not (
        as_of.month == 2 and as_of.day == 29) else as_of + timedelta(days=365))
    frame = frame[frame["date"] <= horizon].reset_index(drop=True)
    text = result.assumptions.get(lang) or result.assumptions.get("zh", "")
    return Projection(frame=frame, assumption=text, status=found.status, reach_date=found.reach)


# --------------------------------------------------------------------------- audit


@cached
def recent_audit(engine: Engine, limit: int = 100) -> list[dict] | None:
    """The newest ``limit`` audit entries, newest first (``at`` as text); None while the
    audit log is not available."""
    try:
        from ..audit import entries  # noqa: PLC0415 - written by the import work
    except ImportError:
        return None
    rows = entries(engine, limit=limit)
    out = []
    for row in reversed(rows):
        at = row.get("at")
        out.append({**row, "at": at.strftime("%Y-%m-%d %H:%M:%S") if hasattr(at, "strftime") else str(at)})
    return out


# --------------------------------------------------------------------------- planner

@cached
def plan_result(engine: Engine, as_of: date, scope: Scope = EVERYTHING):
    """:func:`tracker.plan.plan_store` (cached), or None while the planner is absent."""
    try:
        from ..planning.plan import plan_store  # noqa: PLC0415 - the planner's module
    except ImportError:
        return None
    return plan_store(engine, as_of, scope=scope)


@cached
def plan_actions(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                 lang: str = "zh") -> pd.DataFrame | None:
    """The planner's actions as a display frame: ``type, action, firms`` (count),
    ``firm_names``, ``org``, ``area``, ``chain``, ``pooled_formal_members``, ``reason``."""
    result = plan_result(engine, as_of, scope)
    if result is None:
        return None
    names = dict(zip(*[firm_table(engine, as_of, scope, lang)[c] for c in ("credit_code", "name")]))
    chains = dict(chain_list(engine, lang))
    rows = []
    for action in result.actions:
        liaison = action.liaison["name"] if action.liaison else (
            (f"新增联络员{action.new_liaison}" if lang == "zh" else f"new officer {action.new_liaison}")
            if action.new_liaison else "")
        rows.append({
            "type": action.type, "action": PLAN_ACTION.label(action.type, lang),
            "firms": len(action.firms),
            "firm_names": "、".join(names.get(c, c) for c in action.firms),
            "org": action.org or "", "liaison": liaison,
            "area": action.park or action.street or action.area or "",
            "chain": chains.get(action.chain, action.chain or ""),
            "pooled_formal_members": action.pooled_formal_members,
            "reason": action.reason if lang == "zh" else (action.reason_en or action.reason),
        })
    return pd.DataFrame(rows, columns=["type", "action", "firms", "firm_names", "org", "liaison",
                                       "area", "chain", "pooled_formal_members", "reason"])
