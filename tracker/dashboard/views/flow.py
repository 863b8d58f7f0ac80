"""The figures of 动态全覆盖 on the overview and the chain page: the officer's to-do list
(the overdue queue), the flow of firms between two dates, the firms that lost coverage, and
the time new firms wait for cover.

Each is the engine's (:mod:`tracker.overdue`, :mod:`tracker.flow`) with the plan in force's
window and denominator, cached per data version. All of them read one
:func:`district_timeline` per data version and denominator (the store's runs of days, as
columns), so a page that shows the queue, the flow, the losses and the time to cover reads
them from the store once. The engine reads the whole district (or
one chain); for a user with a narrower scope the rows are narrowed to the firms the user
may see (:func:`tracker.dashboard.views.firms.firm_table` in that scope).

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> queue = overdue_list(engine, date(2026, 11, 27))
>>> queue.days, queue.plan, len(queue.frame)
(90, '红杉林计划', 0)
>>> flow_between(engine, date(2025, 12, 31), date(2026, 11, 27)).as_dict()["end"]
{'firms': 0, 'covered': 0, 'uncovered': 0}
>>> lost_this_month(engine, date(2026, 11, 27)).empty
True
>>> time_to_cover(engine, "*", date(2026, 11, 27)).empty
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from ...flow import FlowResult, Timeline, flow, losses, read_timeline, time_to_cover_by_month
from ...i18n import join, t
from ...overdue import overdue_queue
from ...scope import EVERYTHING, Scope
from ...vocab import UNCOVERED_CAUSE
from .cache import cached
from .common import chain_list, plan_info, previous_month_end
from .firms import firm_table
from .plan import plan_result

__all__ = ["OverdueList", "district_timeline", "flow_between", "lost_this_month", "overdue_list",
           "time_to_cover"]

OVERDUE_COLUMNS = ["credit_code", "name", "chains", "chain_names", "uncovered_since", "days",
                   "cause", "cause_label", "action"]
LOST_COLUMNS = ["credit_code", "name", "chain_names", "ended", "ended_on"]
TTC_COLUMNS = ["month", "entered", "covered", "median_days", "p90_days"]


@cached
def district_timeline(engine: Engine, denominator: str | None = None) -> Timeline:
    """:func:`tracker.flow.read_timeline`: every firm's runs in the chains and covered, read
    once per data version and denominator and shared by every view of this module."""
    return read_timeline(engine, denominator)


def _denominator(engine: Engine, on: date) -> str:
    plan = plan_info(engine, on)
    return plan["denominator"] if plan else "chain_firms"


def _visible(engine: Engine, as_of: date, scope: Scope) -> set[str] | None:
    """Credit codes the scope holds on ``as_of`` (None: the whole district)."""
    if scope.is_everything:
        return None
    return set(firm_table(engine, as_of, scope)["credit_code"])


def _chain_names(codes, names: dict[str, str], lang: str) -> str:
    return join((names.get(c, c) for c in codes), lang)


@dataclass
class OverdueList:
    """The overdue queue on a date: the window (days) that made the firms overdue, the plan
    it came from, and one row per firm (``frame``, longest wait first): ``credit_code,
    name, chains`` (codes), ``chain_names, uncovered_since`` (date or None), ``days, cause,
    cause_label, action`` (the planner's proposal in the reader's language)."""

    as_of: date
    days: int
    plan: str | None
    frame: pd.DataFrame


@cached
def overdue_list(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                 lang: str = "zh") -> OverdueList:
    """:func:`tracker.overdue.overdue_queue` on ``as_of`` (the plan in force's window), the
    rows narrowed to ``scope``."""
    queue = overdue_queue(engine, as_of, lang=lang,
                          timeline_of=lambda denominator: district_timeline(engine, denominator),
                          plan_of=lambda within: plan_result(engine, as_of, within or EVERYTHING))
    visible = _visible(engine, as_of, scope)
    names = dict(chain_list(engine, lang))
    rows = [{"credit_code": r.credit_code, "name": r.name, "chains": ";".join(r.chains),
             "chain_names": _chain_names(r.chains, names, lang), "uncovered_since": r.uncovered_since,
             "days": r.days, "cause": r.cause, "cause_label": UNCOVERED_CAUSE.label(r.cause, lang),
             "action": r.action or ""}
            for r in queue.rows if visible is None or r.credit_code in visible]
    return OverdueList(as_of, queue.days, queue.plan, pd.DataFrame(rows, columns=OVERDUE_COLUMNS))


@cached
def flow_between(engine: Engine, start: date, end: date, chain: str | None = None) -> FlowResult:
    """:func:`tracker.flow.flow` from ``start`` to ``end`` (the district, or one chain) with
    the denominator of the plan in force on ``end``."""
    denominator = _denominator(engine, end)
    return flow(engine, start, end, chain, denominator,
                timeline=district_timeline(engine, denominator))


def _ended_text(item: dict, lang: str) -> str:
    if item["kind"] == "assignment_ended":
        return t("app.ended_assignment", lang, name=item.get("liaison", ""),
                 unit=item.get("unit", ""), day=item["on"])
    return t(f"app.ended_{item['kind']}", lang, name=item.get("org_name", ""),
             code=item.get("org", ""), day=item["on"])


@cached
def lost_this_month(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                    lang: str = "zh") -> pd.DataFrame:
    """The firms covered on the last day of the previous month and uncovered on ``as_of``
    (:func:`tracker.flow.losses`), each with what ended: ``credit_code, name, chain_names,
    ended`` (text: the organisation dissolved, the link or the officer's assignment ended),
    ``ended_on`` (the latest end)."""
    start = previous_month_end(as_of)
    denominator = _denominator(engine, as_of)
    found = losses(engine, start, as_of, None, denominator,
                   timeline=district_timeline(engine, denominator))
    visible = _visible(engine, as_of, scope)
    names = dict(chain_list(engine, lang))
    rows = [{"credit_code": loss.credit_code, "name": loss.name,
             "chain_names": _chain_names(loss.chains, names, lang),
             "ended": t("common.list_parts_sep", lang).join(_ended_text(item, lang) for item in loss.ended),
             "ended_on": max((item["on"] for item in loss.ended), default="")}
            for loss in found if visible is None or loss.credit_code in visible]
    return pd.DataFrame(rows, columns=LOST_COLUMNS)


@cached
def _time_to_cover_rows(engine: Engine, start: date, end: date, denominator: str,
                        chain: str | None = None) -> list[dict]:
    # A chain's rows read that chain's firms only: the chain page need not wait for the
    # district's timeline (0.4 s at 100,000 firms) when no other view has read it yet.
    line = (district_timeline(engine, denominator) if chain is None
            else read_timeline(engine, denominator, chain))
    return time_to_cover_by_month(engine, start, end, denominator, timeline=line)


def time_to_cover(engine: Engine, key: str, as_of: date, months: int = 12) -> pd.DataFrame:
    """Per month of the last ``months`` (to ``as_of``'s month), for the district (``key="*"``)
    or one chain: the firms that entered, how many were covered by ``as_of``, and the median
    and 90th-percentile days from entry to cover
    (:func:`tracker.flow.time_to_cover_by_month`). Months without entries are left out."""
    total = as_of.year * 12 + as_of.month - 1 - (months - 1)
    start = date(total // 12, total % 12 + 1, 1)
    rows = [r for r in _time_to_cover_rows(engine, start, as_of, _denominator(engine, as_of),
                                           None if key == "*" else key)
            if r["key"] == key]
    return pd.DataFrame(rows, columns=["key", *TTC_COLUMNS])[TTC_COLUMNS]
