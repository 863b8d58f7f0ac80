"""The figures of the liaisons page and of the visit lines on the chain and firm pages:
whether work coverage is real (:mod:`tracker.visits`).

A work-covered firm is **visited** on D when an officer assigned to it on the visit's day
visited it in (D − window, D]; the window is the plan in force's ``visit_within_days``.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> board = liaison_board(engine, date(2026, 11, 27))
>>> board.window, board.officers.empty, board.firms.empty
(90, True, True)
>>> firm_visit(engine, "91440112MA0000000X", date(2026, 11, 27))
{'last_visit': None, 'visited': False, 'window': 90}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from ...i18n import t
from ...scope import EVERYTHING, Scope
from ...visits import is_visited, last_visits, officers, window_of
from ...vocab import LIAISON_ROLE
from .cache import cached
from .common import plan_info
from .firms import firm_table, population_frame

__all__ = ["LiaisonBoard", "chain_visits", "firm_visit", "liaison_board", "visit_window"]

OFFICER_COLUMNS = ["officer", "name", "unit", "role_label", "firms", "visits_in_window",
                   "unvisited"]
FIRM_COLUMNS = ["officer", "credit_code", "name", "last_visit", "visits_in_window", "visited"]


def visit_window(engine: Engine, as_of: date) -> int:
    """The visit window (days) of the plan in force on ``as_of`` (:func:`tracker.visits.window_of`)."""
    plan = plan_info(engine, as_of)
    return window_of(plan)


@dataclass
class LiaisonBoard:
    """The officers with an assignment on the as-of date, most unvisited firms first
    (``officers``: ``officer`` (a key: name (unit), its brackets in ``lang``), ``name, unit, role_label, firms,
    visits_in_window, unvisited``), and their firms (``firms``: ``officer, credit_code, name,
    last_visit`` (ISO date or None), ``visits_in_window, visited``)."""

    as_of: date
    window: int
    officers: pd.DataFrame
    firms: pd.DataFrame


@cached
def liaison_board(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                  lang: str = "zh") -> LiaisonBoard:
    """:func:`tracker.visits.officers` on ``as_of`` with the plan in force's window. For a
    narrower scope, each officer's firms are narrowed to the firms of the scope, and officers
    left with none are not listed."""
    window = visit_window(engine, as_of)
    visible = None if scope.is_everything else set(firm_table(engine, as_of, scope)["credit_code"])
    people, firms = [], []
    for officer in officers(engine, as_of, window):
        mine = [f for f in officer.firms if visible is None or f["credit_code"] in visible]
        if not mine:
            continue
        key = t("drill.aside", lang, text=officer.name, detail=officer.unit)
        people.append({"officer": key, "name": officer.name, "unit": officer.unit,
                       "role_label": LIAISON_ROLE.label(officer.role, lang), "firms": len(mine),
                       "visits_in_window": sum(f["visits_in_window"] for f in mine),
                       "unvisited": sum(not f["visited"] for f in mine)})
        firms += [{"officer": key, **{c: f[c] for c in FIRM_COLUMNS[1:]}} for f in mine]
    frame = pd.DataFrame(people, columns=OFFICER_COLUMNS)
    if not frame.empty:  # narrowing can change the order: most unvisited first again
        frame = frame.sort_values(["unvisited", "name", "unit"], ascending=[False, True, True],
                                  kind="stable").reset_index(drop=True)
    return LiaisonBoard(as_of, window, frame, pd.DataFrame(firms, columns=FIRM_COLUMNS))


def firm_visit(engine: Engine, credit_code: str, as_of: date) -> dict:
    """A firm's last counted visit on or before ``as_of`` (:func:`tracker.visits.last_visits`)
    and whether it counts in the plan in force's window: ``last_visit`` (date or None),
    ``visited``, ``window``."""
    window = visit_window(engine, as_of)
    last = last_visits(engine, as_of, [credit_code], by_code=True).get(credit_code)
    return {"last_visit": last, "visited": is_visited(last, as_of, window), "window": window}


@cached
def chain_visits(engine: Engine, code: str, as_of: date, scope: Scope | None = None) -> pd.DataFrame:
    """The work-covered firms of one chain on ``as_of`` (in ``scope`` when given), each with its
    last counted visit and whether it counts: ``credit_code, name, last_visit, visited``;
    the unvisited first."""
    window = visit_window(engine, as_of)
    plan = plan_info(engine, as_of)
    scope = scope or Scope.of(chains=[code])
    frame = population_frame(engine, as_of, scope,
                             plan["denominator"] if plan else "chain_firms")
    work = frame[frame["status"] == "work"]
    last = last_visits(engine, as_of, list(work["credit_code"]), by_code=True)
    rows = [{"credit_code": c, "name": n, "last_visit": last.get(c),
             "visited": is_visited(last.get(c), as_of, window)}
            for c, n in zip(work["credit_code"], work["name"])]
    out = pd.DataFrame(rows, columns=["credit_code", "name", "last_visit", "visited"])
    return out.sort_values(["visited", "last_visit", "credit_code"], na_position="first",
                           kind="stable").reset_index(drop=True)
