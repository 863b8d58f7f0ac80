"""Coverage plans as records, and the plan in force on a date.

The store holds several plans: the shipped 红杉林 plan (2022-01-01 → 2025-12-31, target
100 %), and whatever comes next. A plan has a target coverage rate, optional targets for
the organisation-coverage and single-unit rates, a denominator, the days within which a
firm entering the population must be covered (``cover_within_days``), and its source.

The plan **in force** on a date is the one whose [start, deadline] contains it (the latest
started when several do); otherwise the last that ended; before any plan began, the first.

The verdict of a plan at a date is :mod:`tracker.verdict`.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> [p.name for p in list_plans(engine)]
['红杉林计划']
>>> plan_in_force(engine, date(2026, 11, 27)).deadline
datetime.date(2025, 12, 31)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .audit import record
from .errors import TrackerError
from .model import Plan
from .store import session_scope

__all__ = ["PLAN_FIELDS", "add_plan", "get_plan", "in_force", "in_force_row", "list_plans",
           "plan_as_dict", "plan_in_force", "plan_name"]

PLAN_FIELDS = ("name", "start", "deadline", "target_rate", "org_target_rate", "single_unit_target",
               "denominator", "cover_within_days", "visit_within_days", "source", "is_default",
               "is_example")



def plan_name(plan, lang: str = "zh") -> str:
    """The name of a plan to show in ``lang``: its English name in English when it has one.

    ``plan`` is a :class:`Plan` or a mapping with ``name`` (and ``name_en``).

    Examples
    --------
    >>> plan = Plan(name="红杉林计划", name_en="Redwood Forest plan", start=date(2022, 1, 1),
    ...             deadline=date(2025, 12, 31))
    >>> plan_name(plan, "zh"), plan_name(plan, "en"), plan_name({"name": "下一期"}, "en")
    ('红杉林计划', 'Redwood Forest plan', '下一期')
    """
    def field(name):
        return plan.get(name) if isinstance(plan, Mapping) else getattr(plan, name, None)

    return (lang == "en" and field("name_en")) or field("name")


def plan_as_dict(plan: Plan) -> dict:
    """A plan's fields as JSON values (the rows of ``tracker plans --json``)."""
    out = {name: getattr(plan, name) for name in PLAN_FIELDS}
    out["name_en"] = plan.name_en
    out["start"], out["deadline"] = plan.start.isoformat(), plan.deadline.isoformat()
    return out


def list_plans(engine: Engine) -> list[Plan]:
    """Every plan, in the order they started."""
    with Session(engine) as session:
        plans = session.exec(select(Plan).order_by(Plan.start, Plan.deadline, Plan.name)).all()
        for plan in plans:
            session.expunge(plan)
    return list(plans)


def get_plan(engine: Engine, name: str) -> Plan:
    """The plan called ``name``; a clear error naming the known plans when there is none."""
    plans = list_plans(engine)
    for plan in plans:
        if plan.name == name.strip():
            return plan
    known = "、".join(p.name for p in plans) or "（无）"
    raise TrackerError(f"没有名为“{name}”的计划（已有：{known}） / no plan named {name!r}")


def plan_in_force(engine: Engine, on: date) -> Plan | None:
    """The plan in force on ``on``: running on that day, else the last ended, else the first."""
    return in_force(list_plans(engine), on)


def in_force_row(conn, on: date):
    """The plan in force on ``on`` as a row mapping of the ``plan`` table (None: no plan), read
    on an open connection: for the figures that read the store in one connection."""
    P = Plan.__table__  # noqa: N806 - the table's initial, as elsewhere
    rows = conn.execute(sa.select(P).order_by(P.c.start, P.c.deadline, P.c.name)).mappings().all()
    return in_force(rows, on)


def in_force(plans, on: date):
    """Of ``plans`` (anything with ``start`` and ``deadline``), the one in force on ``on``.

    Running on that day (the latest started when several are), else the last that ended,
    else (before any began) the first; None when there are none.
    """
    def field(plan, name):
        return plan[name] if isinstance(plan, Mapping) else getattr(plan, name)

    def start(plan):
        return field(plan, "start")

    def deadline(plan):
        return field(plan, "deadline")

    running = [p for p in plans if start(p) <= on <= deadline(p)]
    if running:
        return max(running, key=lambda p: (start(p), deadline(p)))
    ended = [p for p in plans if deadline(p) < on]
    if ended:
        return max(ended, key=lambda p: (deadline(p), start(p)))
    return min(plans, key=lambda p: (start(p), deadline(p))) if plans else None


def _check_rate(name: str, value: float | None) -> None:
    if value is not None and not 0 < value <= 1:
        raise TrackerError(f"{name} 应在 0 与 1 之间（如 0.95），而不是 {value} / "
                           f"{name} must be a fraction in (0, 1]")


def add_plan(engine: Engine, name: str, start: date, deadline: date, *, target_rate: float = 1.0,
             org_target_rate: float | None = None, single_unit_target: float | None = None,
             cover_within_days: int = 90, visit_within_days: int = 90, source: str = "",
             denominator: str = "chain_firms", is_example: bool = False,
             user: str = "cli") -> Plan:
    """Add a plan (audited); refuses a duplicate name, a deadline before the start, bad rates."""
    name = (name or "").strip()
    if not name:
        raise TrackerError("计划名称不能为空 / the plan needs a name")
    if deadline <= start:
        raise TrackerError(f"截止日期 {deadline} 应晚于开始日期 {start} / "
                           "the deadline must come after the start")
    _check_rate("--target-rate", target_rate)
    _check_rate("--org-target-rate", org_target_rate)
    _check_rate("--single-unit-target", single_unit_target)
    if cover_within_days < 0:
        raise TrackerError(f"--cover-within-days 不能为负：{cover_within_days}")
    if visit_within_days < 1:
        raise TrackerError(f"--visit-within-days 至少为 1：{visit_within_days}")
    if denominator not in ("chain_firms", "above_size"):
        raise TrackerError(f"未知的统计口径：{denominator}（可选：chain_firms、above_size）")
    plan = Plan(name=name, start=start, deadline=deadline, target_rate=target_rate,
                org_target_rate=org_target_rate, single_unit_target=single_unit_target,
                cover_within_days=cover_within_days, visit_within_days=visit_within_days,
                source=source or "",
                denominator=denominator, is_example=is_example, is_default=False)
    with session_scope(engine) as session:
        if session.exec(select(Plan).where(Plan.name == name)).first() is not None:
            raise TrackerError(f"计划已存在：{name} / a plan named {name!r} exists")
        session.add(plan)
        session.flush()
        record(session, action="plan.add", entity="plan", key=name, before=None,
               after=plan_as_dict(plan), kind="edit", user=user, source="cli")
        session.expunge(plan)
    return plan
