"""Organisation terms (任期) and the elections due (换届).

Every party organisation is elected for a term: a 党支部 or 党总支 generally for 3 years,
a 基层党委 for 5 (中办《关于党的基层组织任期的意见》, 2018; Party Constitution Art. 30).
Higher committees must remind them and see that the election is held on time; putting one
off or bringing it forward needs approval, for a year at most. Mature systems warn 6 and 3
months ahead, monthly once overdue, and flag organisations with no recorded term.

- **Due date** = 本届开始日期 (``term_start``) + 任期 (``term_years``, default by kind) years;
  29 February falls on 28 February in a year without one.
- On a date D, an organisation active on D is ``overdue`` when D ≥ due, ``due_soon`` when
  due − D ≤ 183 days, ``ok`` otherwise, and ``unknown`` without a ``term_start``.

Examples
--------
>>> from datetime import date
>>> term_due(date(2024, 2, 29), 3), term_due(date(2023, 6, 1), 5)
(datetime.date(2027, 2, 28), datetime.date(2028, 6, 1))
>>> term_status(date(2026, 6, 1), date(2026, 6, 1)), term_status(date(2026, 12, 1), date(2026, 6, 1))
(('overdue', 0), ('due_soon', 183))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .intervals import active_clause
from .model import PartyOrg

__all__ = ["DEFAULT_TERM_YEARS", "DUE_SOON_DAYS", "TermRow", "term_bucket", "term_due",
           "term_status", "terms"]

#: The term of each kind of organisation when the ledger gives none (years).
DEFAULT_TERM_YEARS = {"branch": 3, "general_branch": 3, "committee": 5}
#: Warn this many days (about 6 months) before the due date.
DUE_SOON_DAYS = 183
#: The nearer warning (about 3 months) that the dashboard's board shows apart.
DUE_VERY_SOON_DAYS = 92

O = PartyOrg.__table__


def term_due(start: date, years: int) -> date:
    """``start`` plus ``years`` years; 29 February becomes 28 February in a common year."""
    year = start.year + years
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 2, 28)


def term_status(due: date | None, on: date) -> tuple[str, int | None]:
    """(status, days to due) on ``on``; days are negative once overdue, None when unknown."""
    if due is None:
        return "unknown", None
    days = (due - on).days
    if days <= 0:
        return "overdue", days
    if days <= DUE_SOON_DAYS:
        return "due_soon", days
    return "ok", days


def term_bucket(status: str, days_to_due: int | None) -> str:
    """The board's column: ``overdue``, ``within_3_months``, ``within_6_months``, ``unknown``
    or ``ok``.

    >>> term_bucket("due_soon", 40), term_bucket("due_soon", 120), term_bucket("ok", 400)
    ('within_3_months', 'within_6_months', 'ok')
    """
    if status == "due_soon":
        return "within_3_months" if days_to_due <= DUE_VERY_SOON_DAYS else "within_6_months"
    return status


@dataclass
class TermRow:
    """One organisation's term on a date (a row of ``tracker terms --json``)."""

    org_code: str
    name: str
    kind: str
    term_start: date | None
    term_years: int
    due: date | None
    status: str
    days_to_due: int | None

    @property
    def bucket(self) -> str:
        return term_bucket(self.status, self.days_to_due)

    def as_dict(self) -> dict:
        return {"org_code": self.org_code, "name": self.name, "kind": self.kind,
                "term_start": self.term_start.isoformat() if self.term_start else None,
                "term_years": self.term_years,
                "due": self.due.isoformat() if self.due else None,
                "status": self.status, "days_to_due": self.days_to_due}


_ORDER = {"overdue": 0, "due_soon": 1, "unknown": 2, "ok": 3}


def terms(engine: Engine, as_of: date, codes: set[str] | None = None,
          due_only: bool = False) -> list[TermRow]:
    """Every organisation active on ``as_of`` with its term; most urgent first.

    ``codes`` restricts to those organisation codes (a user's scope). Overdue first (longest
    overdue first), then due soon (nearest first), unknown, and ok. ``due_only`` leaves out,
    already in SQL, the organisations elected too recently to be due on ``as_of`` under the
    shortest term in use (the rule check R7 reads only overdue and unknown terms: at a
    province's hundreds of thousands of organisations most are neither).
    """
    query = (sa.select(O.c.code, O.c.name, O.c.kind, O.c.term_start, O.c.term_years)
             .where(active_clause(O.c.founded, O.c.dissolved, as_of)))
    with engine.connect() as conn:
        if due_only:
            used = [y for y in conn.execute(sa.select(sa.func.min(O.c.term_years))).scalars() if y]
            shortest = max(1, min([*DEFAULT_TERM_YEARS.values(), *used]))
            # Due on D means elected on or before D minus the term; the due-soon margin
            # keeps every row whose status is not "ok".
            latest = term_due(as_of, -shortest) + timedelta(days=DUE_SOON_DAYS)
            query = query.where(sa.or_(O.c.term_start.is_(None), O.c.term_start <= latest))
        found = conn.execute(query).all()
    rows = []
    for r in found:
        if codes is not None and r.code not in codes:
            continue
        start = r.term_start
        if isinstance(start, str):  # SQLite through a raw text column
            start = date.fromisoformat(start[:10])
        years = r.term_years or DEFAULT_TERM_YEARS.get(r.kind, 3)
        due = term_due(start, years) if start is not None else None
        status, days = term_status(due, as_of)
        rows.append(TermRow(r.code, r.name, r.kind, start, years, due, status, days))
    rows.sort(key=lambda row: (_ORDER[row.status],
                               row.days_to_due if row.days_to_due is not None else 0,
                               row.org_code))
    return rows
