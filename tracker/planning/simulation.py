"""What-if: a plan applied to an in-memory copy of the store, with coverage and rules checked.

Nothing is written to the store: the copy is an in-memory SQLite database that the same
:func:`tracker.coverage.coverage` and :func:`tracker.rules.check` read.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> from tracker.planning.plan import plan_store
>>> engine = empty_store()
>>> sim = simulate(plan_store(engine, date(2024, 6, 30)), engine)
>>> sim.coverage.firms, sim.findings, sim.rules
(0, [], ('R1', 'R2', 'R3'))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from ..coverage import Counts, coverage
from ..i18n import t
from ..model import Assignment, CoverageLink, Firm, Liaison, PartyOrg, metadata
from ..rules import RuleConfig, check
from ..scope import EVERYTHING
from .result import PlanResult

__all__ = ["SimulationResult", "simulate"]


@dataclass
class SimulationResult:
    """The district after the plan, on an in-memory copy of the store (nothing written)."""

    as_of: date
    coverage: Counts
    findings: list  # tracker.rules.Finding of the checked rules
    rules: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "coverage": self.coverage.as_dict(),
            "rules": list(self.rules),
            "findings": [f.as_dict() for f in self.findings],
        }


def _copy_store(engine):
    """An in-memory SQLite copy of every table of the store."""
    target = sa.create_engine("sqlite://", poolclass=StaticPool,
                              connect_args={"check_same_thread": False})
    metadata.create_all(target)
    with engine.connect() as src, target.begin() as dst:
        for table in metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if rows:
                dst.execute(table.insert(), rows)
    return target


def simulate(result: PlanResult, engine, scope=None, rules: tuple[str, ...] = ("R1", "R2", "R3"),
             rule_config: RuleConfig | None = None, lang: str = "zh") -> SimulationResult:
    """Apply ``result`` to an in-memory copy of the store and check coverage and rules.

    New organisations are founded, links and assignments start on the plan's date; a
    joined organisation gains the joining firms' members; each new officer is a new
    liaison row. The store itself is not touched. Coverage and findings are computed by
    :func:`tracker.coverage.coverage` and :func:`tracker.rules.check` on the copy, the same
    code that computes them on the real store.

    ``lang`` names the planned organisations and officers of the copy (``planner.planned_org``,
    ``planner.new_liaison``), which findings may quote.
    """
    scope = scope or EVERYTHING
    copy = _copy_store(engine)
    D = result.as_of
    F, O = Firm.__table__, PartyOrg.__table__
    with copy.begin() as conn:
        firm = dict(conn.execute(sa.select(F.c.credit_code, F.c.id)).all())
        members = dict(conn.execute(sa.select(F.c.credit_code,
                                              F.c.formal_members + F.c.probationary_members)).all())
        org_ids = dict(conn.execute(sa.select(O.c.code, O.c.id)).all())
        new_liaisons: dict[int, int] = {}
        for n, a in enumerate(result.actions, start=1):
            if a.type in ("form_branch", "form_joint_branch"):
                code = f"PLAN-{D:%Y%m%d}-{n:04d}"
                formation = "single" if a.type == "form_branch" else "joint"
                org_id = conn.execute(O.insert().values(
                    code=code, name=t("planner.planned_org", lang, n=n), kind=a.kind or "branch",
                    formation=formation, founded=D, member_count=sum(members[c] for c in a.firms), version=1,
                )).inserted_primary_key[0]
                for c in a.firms:
                    conn.execute(CoverageLink.__table__.insert().values(
                        org_id=org_id, firm_id=firm[c], start=D))
            elif a.type == "join_joint_branch":
                for c in a.firms:
                    conn.execute(CoverageLink.__table__.insert().values(
                        org_id=org_ids[a.org], firm_id=firm[c], start=D))
                conn.execute(O.update().where(O.c.code == a.org).values(
                    member_count=O.c.member_count + sum(members[c] for c in a.firms)))
            elif a.type == "assign_liaison":
                if a.liaison is not None:
                    lid = a.liaison["id"]
                else:
                    if a.new_liaison not in new_liaisons:
                        new_liaisons[a.new_liaison] = conn.execute(Liaison.__table__.insert().values(
                            name=t("planner.new_liaison", lang, n=a.new_liaison),
                            unit=t("planner.unit_to_be_chosen", lang), role="liaison",
                            version=1)).inserted_primary_key[0]
                    lid = new_liaisons[a.new_liaison]
                for c in a.firms:
                    conn.execute(Assignment.__table__.insert().values(
                        liaison_id=lid, firm_id=firm[c], start=D))
    try:
        counts = coverage(copy, D, scope=scope, denominator="chain_firms").total
        findings = check(copy, D, scope, config=rule_config or result.config.rules, rules=list(rules))
    finally:
        copy.dispose()
    return SimulationResult(as_of=D, coverage=counts, findings=findings, rules=tuple(rules))
