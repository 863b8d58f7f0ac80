"""Figures every page reads: the plan, the store's extent, the chain list, the provenance,
and the one history sweep that the overview, the burn-up and the forecast share.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> chain_list(engine)[0], chain_list(engine, "en")[0]
(('BIO', '生物技术'), ('BIO', 'Biotechnology'))
>>> data_bounds(engine)
{'firms': 0, 'first': None, 'last': None}
>>> previous_month_end(date(2024, 3, 15))
datetime.date(2024, 2, 29)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...coverage import DENOMINATORS, Counts, month_ends, monthly_series
from ...model import Assignment, Chain, ChainMembership, CoverageLink, Firm, PartyOrg, Plan
from ...planning.forecast import history_dates
from ...plans import in_force_row
from ...provenance import get_info, source_text
from ...scope import EVERYTHING, Scope
from .cache import cached
from .format import in_lang

__all__ = [
    "Provenance",
    "burnup_start",
    "chain_list",
    "counts_at",
    "data_bounds",
    "history_dates_of",
    "history_series",
    "plan_info",
    "previous_month_end",
    "provenance",
]


def plan_info(engine: Engine, on: date | None = None) -> dict | None:
    """The plan in force on ``on`` (:func:`tracker.plans.plan_in_force`: running on that day,
    else the last that ended); without a date, the shipped default plan.

    Keys: name, name_en (None when the plan has no English name; show the name through
    :func:`tracker.plans.plan_name`), start, deadline (dates), target_rate, denominator, is_default, is_example,
    cover_within_days, visit_within_days, source.
    """
    P = Plan.__table__
    with engine.connect() as conn:
        if on is None:
            row = conn.execute(sa.select(P).where(P.c.is_default.is_(True))).mappings().first()
        else:
            row = in_force_row(conn, on)
    if row is None:
        return None
    return {"name": row["name"], "name_en": row["name_en"], "start": row["start"], "deadline": row["deadline"],
            "target_rate": float(row["target_rate"]), "denominator": row["denominator"],
            "is_default": bool(row["is_default"]), "is_example": bool(row["is_example"]),
            "cover_within_days": row["cover_within_days"],
            "visit_within_days": row["visit_within_days"], "source": row["source"] or ""}


def previous_month_end(day: date) -> date:
    """The last day of the month before ``day``'s month (the "last month" of a delta)."""
    return day.replace(day=1) - timedelta(days=1)


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
def chain_list(engine: Engine, lang: str = "zh") -> list[tuple[str, str]]:
    """(code, name) of every chain, in the list's order."""
    C = Chain.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(C.c.code, C.c.name_zh, C.c.name_en)
                            .order_by(C.c.sort_order, C.c.code)).all()
    return [(code, in_lang({"zh": zh, "en": en}, lang)) for code, zh, en in rows]


def burnup_start(plan: dict | None, bounds: dict, as_of: date) -> date:
    """The first month of the burn-up: the plan's start (the chart is about the plan;
    organisations founded decades ago would otherwise stretch it); before the plan's
    start, the first record."""
    start = plan["start"] if plan else (bounds["first"] or as_of)
    if start > as_of:
        start = min(bounds["first"] or as_of, as_of)
    return start


def history_dates_of(engine: Engine, as_of: date) -> list[date]:
    """Every date a page of ``as_of`` reads figures at, sorted: the burn-up's month ends,
    the forecast's history (:func:`tracker.planning.forecast.history_dates`), the month end
    before ``as_of`` (the deltas), the deadline once passed, and ``as_of`` itself (the plan
    in force on ``as_of``)."""
    plan = plan_info(engine, as_of)
    dates = set(month_ends(burnup_start(plan, data_bounds(engine), as_of), as_of))
    dates |= {as_of, previous_month_end(as_of)}
    if plan is not None:
        dates |= set(history_dates(as_of, plan["start"], plan["deadline"]))
        if as_of > plan["deadline"]:
            dates.add(plan["deadline"])
    return sorted(dates)


@cached
def history_series(engine: Engine, as_of: date, scope: Scope = EVERYTHING) -> pd.DataFrame:
    """:func:`tracker.coverage.monthly_series` by chain at :func:`history_dates_of` with the
    plan's denominator: one sweep shared by the overview's figures, the burn-up and the
    forecast (the series equals :func:`tracker.coverage.coverage` at every date)."""
    plan = plan_info(engine, as_of)
    denominator = plan["denominator"] if plan else "chain_firms"
    return monthly_series(engine, history_dates_of(engine, as_of), by_chain=True, scope=scope,
                          denominator=denominator)


def counts_at(series: pd.DataFrame, on: date, key: str = "*") -> Counts:
    """The counts of the district (``key="*"``) or a chain on ``on`` in a
    :func:`history_series` frame (zero when the date or key is absent)."""
    rows = series[(series["date"] == on) & (series["key"] == key)]
    if rows.empty:
        return Counts()
    row = rows.iloc[0]
    return Counts(firms=int(row["firms"]), org_covered=int(row["org_covered"]),
                  work_covered=int(row["work_covered"]), uncovered=int(row["uncovered"]),
                  single_unit=int(row["single_unit"]))


@dataclass
class Provenance:
    """What every page states about its data (the banner and the footer)."""

    synthetic: bool
    source: str
    licence: str
    last_import: str
    last_import_file: str
    denominator: str
    denominator_text: str
    firms: int


@cached
def provenance(engine: Engine, lang: str = "zh", as_of: date | None = None) -> Provenance:
    """What every page states about its data: source (in ``lang`` when the store has it so:
    :func:`tracker.provenance.source_text`), synthetic flag, last import,
    the denominator in use (the plan in force on ``as_of``'s; the default plan's without)."""
    info = get_info(engine)
    plan = plan_info(engine, as_of)
    denominator = plan["denominator"] if plan else "chain_firms"
    text = in_lang(DENOMINATORS.get(denominator, {}), lang) or denominator
    return Provenance(
        synthetic=info.get("synthetic") == "true", source=source_text(info, lang),
        licence=info.get("licence", ""), last_import=info.get("last_import", ""),
        last_import_file=info.get("last_import_file", ""), denominator=denominator,
        denominator_text=text, firms=data_bounds(engine)["firms"])
