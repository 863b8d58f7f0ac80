"""The figures of the plan page: the forecast against the deadline (also drawn as a
projection on the burn-ups of the overview and the chain page) and the planner's actions.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> plan_result(engine, date(2024, 6, 30)).firms
0
>>> len(plan_actions(engine, date(2024, 6, 30)))
0
>>> forecast_result(engine, date(2024, 6, 30)).district.status
'no_data'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from ...i18n import join, t
from ...planning.forecast import forecast
from ...planning.plan import liaison_text, plan_store
from ...scope import EVERYTHING, Scope
from ...vocab import PLAN_ACTION, PLAN_STATUS
from .cache import cached
from .common import chain_list, history_series, plan_info
from .firms import firm_table, population_frame
from .format import in_lang

__all__ = [
    "Projection",
    "forecast_assumptions",
    "forecast_result",
    "plan_actions",
    "plan_result",
    "projection",
    "reach_text",
    "what_if_text",
]


@cached
def forecast_result(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh",
                    orgs_per_month: int | None = None, assignments_per_month: int | None = None):
    """:func:`tracker.planning.forecast.forecast` (cached), or None when there is no plan to
    forecast against. The target and the deadline are the plan in force's on ``as_of``."""
    plan = plan_info(engine, as_of)
    if plan is None:
        return None
    # The history the forecast fits is part of the history the burn-up draws: one sweep.
    return forecast(engine, as_of, scope=scope, lang=lang, orgs_per_month=orgs_per_month,
                    assignments_per_month=assignments_per_month,
                    target_rate=plan["target_rate"], deadline=plan["deadline"],
                    series=history_series(engine, as_of, scope))


def forecast_assumptions(result, lang: str = "zh") -> str:
    """What a :func:`forecast_result` assumes, in ``lang`` (written under its figures)."""
    return in_lang(result.assumptions, lang)


def reach_text(result, found, lang: str = "zh") -> dict:
    """How a forecast's reach date is written: ``value`` (short, for a card or a cell: the
    date, or "after <year>" when the target is not reached within the horizon), ``help``
    (the sentence) and ``range`` (earliest ~ latest; no date when there is no central date,
    "after <horizon end>" for a latest beyond the horizon).

    ``result`` is a :class:`tracker.planning.forecast.ForecastResult`, ``found`` its
    district or one of its chains.
    """
    end = result.horizon_end
    if found.reach is None:
        return {"value": t("meeting.plan_reach_after", lang, year=end.year),
                "help": t("meeting.plan_reach_never", lang, end=end.isoformat()),
                "range": "—"}
    early = found.reach_earliest.isoformat() if found.reach_earliest else found.reach.isoformat()
    late = (found.reach_latest.isoformat() if found.reach_latest
            else t("meeting.plan_range_later", lang, end=end.isoformat()))
    return {"value": found.reach.isoformat(),
            "help": t("meeting.plan_reach_on", lang, day=found.reach.isoformat(), early=early,
                      late=late),
            "range": f"{early} ~ {late}"}


def what_if_text(result, lang: str = "zh") -> str:
    """The sentence under the what-if: when the district would reach the target at that
    pace, or that it would not within the horizon (one verb, never both)."""
    w = result.district.what_if
    status = PLAN_STATUS.label(w.status, lang)
    if w.reach is None:
        return t("meeting.plan_what_if_never", lang, end=result.horizon_end.isoformat(),
                 status=status)
    return t("app.what_if_result", lang, reach=w.reach.isoformat(), status=status)


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
    """The forecast of :mod:`tracker.planning.forecast` for the district (``key="*"``) or a
    chain, as a :class:`Projection` that starts at the last observation; None without a
    plan or when the forecast has nothing to project."""
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
    return Projection(frame=frame, assumption=forecast_assumptions(result, lang),
                      status=found.status, reach_date=found.reach)


@cached
def plan_result(engine: Engine, as_of: date, scope: Scope = EVERYTHING):
    """:func:`tracker.planning.plan.plan_store` (cached). Within a chain or an area it reads
    the population from the shared :func:`tracker.dashboard.views.firms.population_frame`,
    which the chain page reads anyway (0.3 s saved at 100,000 firms); for the district the
    planner's own read is faster than building that frame (0.3 s against 1.4 s)."""
    frame = None if scope.is_everything else population_frame(engine, as_of, scope, "chain_firms")
    return plan_store(engine, as_of, scope=scope, frame=frame)


@cached
def plan_actions(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                 lang: str = "zh") -> pd.DataFrame:
    """The planner's actions as a display frame: ``type, action, firms`` (count),
    ``firm_names``, ``org``, ``liaison``, ``area``, ``chain``, ``pooled_formal_members``,
    ``reason``."""
    result = plan_result(engine, as_of, scope)
    names = dict(zip(*[firm_table(engine, as_of, scope, lang)[c] for c in ("credit_code", "name")]))
    chains = dict(chain_list(engine, lang))
    rows = [{
        "type": action.type, "action": PLAN_ACTION.label(action.type, lang),
        "firms": len(action.firms),
        "firm_names": join((names.get(c, c) for c in action.firms), lang),
        "org": action.org or "", "liaison": liaison_text(action, lang),
        "area": action.park or action.street or action.area or "",
        "chain": chains.get(action.chain, action.chain or ""),
        "pooled_formal_members": action.pooled_formal_members,
        "reason": action.reason_text(lang),
    } for action in result.actions]
    return pd.DataFrame(rows, columns=["type", "action", "firms", "firm_names", "org", "liaison",
                                       "area", "chain", "pooled_formal_members", "reason"])
