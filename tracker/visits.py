"""Liaison visits (走访记录): whether work coverage is real.

A firm is work-covered on D as soon as an officer is assigned to it (:mod:`tracker.coverage`,
unchanged). Departments judge work coverage by whether the officer comes: a work-covered
firm is **visited** on D when it has at least one visit, by a person assigned to it on the
visit's date, dated in (D − ``visit_within_days``, D]. A visit by someone not assigned to
the firm that day does not count (the import refuses such rows).

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> last_visits(engine, date(2026, 11, 27))
{}
>>> officers(engine, date(2026, 11, 27), 90)
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .intervals import active_clause
from .model import Assignment, Firm, Liaison, Visit

__all__ = ["VISIT_WINDOW_DAYS", "OfficerVisits", "is_visited", "last_visits", "officers",
           "visited_firms", "visited_query", "window_of"]

#: The default window (days) when no plan gives one.
VISIT_WINDOW_DAYS = 90

V = Visit.__table__
A = Assignment.__table__
L = Liaison.__table__
F = Firm.__table__


def _counted(as_of: date):
    """Visits up to ``as_of`` made by a person assigned to the firm on the visit's day."""
    return (sa.select(V.c.firm_id, V.c.liaison_id, V.c.day)
            .join(A, sa.and_(A.c.liaison_id == V.c.liaison_id, A.c.firm_id == V.c.firm_id,
                             sa.or_(A.c.start.is_(None), A.c.start <= V.c.day),
                             sa.or_(A.c.end.is_(None), A.c.end > V.c.day)))
            .where(V.c.day <= as_of))


def visited_query(as_of: date, window_days: int) -> sa.Select:
    """SQL: the ids of the firms with a counted visit in (as_of − window_days, as_of].

    The one SQL form of "visited", read by :func:`tracker.coverage.coverage` and the graph in
    their own connections.
    """
    counted = _counted(as_of).subquery()
    return (sa.select(counted.c.firm_id).distinct()
            .where(counted.c.day > as_of - timedelta(days=window_days)))


def window_of(plan_row) -> int:
    """The visit window of a plan (a row or a record), the default without a plan."""
    if plan_row is None:
        return VISIT_WINDOW_DAYS
    value = plan_row["visit_within_days"] if hasattr(plan_row, "keys") else plan_row.visit_within_days
    return int(value or VISIT_WINDOW_DAYS)


#: Up to this many firms asked for are named in the statement; more are filtered here.
_NAMED_AT_MOST = 5000


def _as_date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def last_visits(engine: Engine, as_of: date, firm_ids=None, by_code: bool = False) -> dict:
    """Each firm's last counted visit on or before ``as_of`` (firms with none are absent).

    Keyed by firm id, or with ``by_code`` by credit code (``firm_ids`` are then codes).
    """
    counted = _counted(as_of).subquery()
    key = F.c.credit_code if by_code else counted.c.firm_id
    query = sa.select(key, sa.func.max(counted.c.day)).group_by(key)
    if by_code:
        query = query.join_from(counted, F, F.c.id == counted.c.firm_id)
    wanted = None if firm_ids is None else list(firm_ids)
    named = wanted is not None and len(wanted) <= _NAMED_AT_MOST
    if named:
        query = query.where(key.in_(wanted))
    with engine.connect() as conn:
        found = {firm: _as_date(day) for firm, day in conn.execute(query)}
    if wanted is None or named:
        return found
    # Many firms: every firm's last visit in one statement, then kept here. A list of ids
    # in the statement is limited (65,535 parameters on PostgreSQL), and cut into batches
    # it made PostgreSQL repeat the whole join for each (35 s a batch at 1,000,000 firms).
    keep = set(wanted)
    return {firm: day for firm, day in found.items() if firm in keep}


def is_visited(last_visit: date | None, as_of: date, window_days: int) -> bool:
    """A last visit in (as_of − window_days, as_of] counts.

    >>> d = date(2026, 6, 30)
    >>> is_visited(date(2026, 4, 2), d, 90), is_visited(date(2026, 4, 1), d, 90), is_visited(None, d, 90)
    (True, False, False)
    """
    return last_visit is not None and as_of - timedelta(days=window_days) < last_visit <= as_of


def visited_firms(engine: Engine, as_of: date, window_days: int) -> set[int]:
    """Ids of the firms with a counted visit in the window ending on ``as_of``."""
    return {firm for firm, day in last_visits(engine, as_of).items()
            if is_visited(day, as_of, window_days)}


@dataclass
class OfficerVisits:
    """One officer's firms on a date and the visits behind them (the liaisons view)."""

    liaison_id: int
    name: str
    unit: str
    role: str
    firms: list[dict] = field(default_factory=list)

    @property
    def unvisited(self) -> int:
        return sum(not f["visited"] for f in self.firms)

    @property
    def visits_in_window(self) -> int:
        return sum(f["visits_in_window"] for f in self.firms)

    def as_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "role": self.role,
                "firms": self.firms, "unvisited": self.unvisited,
                "visits_in_window": self.visits_in_window}


def officers(engine: Engine, as_of: date, window_days: int = VISIT_WINDOW_DAYS) -> list[OfficerVisits]:
    """Every officer with an assignment active on ``as_of``: each firm, its last visit by that
    officer, the visits in the window, and whether it counts; most unvisited firms first."""
    since = as_of - timedelta(days=window_days)
    with engine.connect() as conn:
        assigned = conn.execute(
            sa.select(L.c.id, L.c.name, L.c.unit, L.c.role, F.c.id.label("firm_id"),
                      F.c.credit_code, F.c.name.label("firm_name"))
            .join(A, A.c.liaison_id == L.c.id).join(F, F.c.id == A.c.firm_id)
            .where(active_clause(A.c.start, A.c.end, as_of))).all()
        counted = _counted(as_of).subquery()
        stats = conn.execute(
            sa.select(counted.c.liaison_id, counted.c.firm_id, sa.func.max(counted.c.day),
                      sa.func.sum(sa.case((counted.c.day > since, 1), else_=0)))
            .group_by(counted.c.liaison_id, counted.c.firm_id)).all()
    by_pair = {(lid, fid): (_as_date(last), int(n or 0)) for lid, fid, last, n in stats}
    found: dict[int, OfficerVisits] = {}
    for r in assigned:
        officer = found.setdefault(r.id, OfficerVisits(r.id, r.name, r.unit, r.role))
        last, n = by_pair.get((r.id, r.firm_id), (None, 0))
        officer.firms.append({"credit_code": r.credit_code, "name": r.firm_name,
                              "last_visit": last.isoformat() if last else None,
                              "visits_in_window": n,
                              "visited": is_visited(last, as_of, window_days)})
    for officer in found.values():
        officer.firms.sort(key=lambda f: (f["visited"], f["last_visit"] or "", f["credit_code"]))
    return sorted(found.values(), key=lambda o: (-o.unvisited, o.name, o.unit))
