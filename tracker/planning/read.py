"""The planner's input read from the store: the population, joint organisations and officers on D.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> inst = instance_from_store(engine, date(2024, 6, 30))
>>> inst.firms, inst.orgs, inst.officers
([], [], [])
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date

import sqlalchemy as sa

from ..coverage import firm_status
from ..intervals import active_clause
from ..model import Assignment, CoverageLink, Firm, Liaison, PartyOrg
from ..scope import EVERYTHING
from .instance import FirmItem, Instance, OfficerItem, OrgItem, PlannerConfig, area_key

__all__ = ["instance_from_store"]


def instance_from_store(engine, as_of: date, scope=None,
                        config: PlannerConfig | None = None, frame=None) -> Instance:
    """Read the planner's input on ``as_of`` from the store.

    Firms come from :func:`tracker.coverage.firm_status` (the population in the scope);
    joint organisations and officers are those active on ``as_of`` (an organisation counts
    every firm it covers on the date, as rule R3 does).

    Parameters
    ----------
    engine : the store
    as_of : the date D
    scope : the population's scope (default everything)
    config : the planner's constraints
    frame : ``firm_status(engine, as_of, scope)`` when the caller already has it (the
        report reads it for its ledger; at 100,000 firms a second read costs seconds).
        It must be the ``chain_firms`` population of the same date and scope.
    """
    config = config or PlannerConfig()
    scope = scope or EVERYTHING
    if frame is None:
        frame = firm_status(engine, as_of, scope)
    firms = _firm_items(frame)
    F, L, O = Firm.__table__, CoverageLink.__table__, PartyOrg.__table__
    A, Li = Assignment.__table__, Liaison.__table__
    chains_of = {f.code: f.chains for f in firms}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(O.c.code, O.c.name, O.c.kind, O.c.member_count, F.c.credit_code, F.c.park,
                      F.c.street)
            .select_from(O.join(L, L.c.org_id == O.c.id).join(F, F.c.id == L.c.firm_id))
            .where(O.c.formation == "joint")
            .where(active_clause(O.c.founded, O.c.dissolved, as_of))
            .where(active_clause(L.c.start, L.c.end, as_of))
        ).all()
        officer_rows = conn.execute(
            sa.select(Li.c.id, Li.c.name, Li.c.unit, F.c.credit_code, F.c.park, F.c.street)
            .select_from(Li.join(A, A.c.liaison_id == Li.c.id).join(F, F.c.id == A.c.firm_id))
            .where(active_clause(A.c.start, A.c.end, as_of))
        ).all()
    org_firms: dict[str, dict] = {}
    for code, name, kind, members, credit, park, street in rows:
        entry = org_firms.setdefault(code, {"name": name, "kind": kind, "members": int(members),
                                            "firms": {}})
        entry["firms"][credit] = area_key(park, street)
    orgs = []
    for code, entry in sorted(org_firms.items()):
        areas = Counter(a for a in entry["firms"].values() if a is not None)
        area = min(areas, key=lambda a: (-areas[a], a)) if areas else None
        chains = sorted({c for credit in entry["firms"] for c in chains_of.get(credit, ())})
        orgs.append(OrgItem(code=code, area=area, covered=len(entry["firms"]),
                            members=entry["members"], kind=entry["kind"], chains=tuple(chains)))
    officer_firms: dict[int, dict] = {}
    for oid, name, unit, credit, park, street in officer_rows:
        entry = officer_firms.setdefault(oid, {"name": name, "unit": unit, "firms": {}})
        entry["firms"][credit] = area_key(park, street)
    officers = [OfficerItem(id=oid, name=e["name"], unit=e["unit"], load=len(e["firms"]),
                            areas=frozenset(e["firms"].values()))
                for oid, e in sorted(officer_firms.items())]
    return Instance(as_of=as_of, firms=firms, orgs=orgs, officers=officers, config=config)


def _firm_items(frame) -> list[FirmItem]:
    """The frame's rows as :class:`FirmItem`, column by column (itertuples is slower)."""
    if len(frame) == 0:
        return []
    # Chains strings repeat a lot (a few hundred distinct values): split each once.
    split: dict[str, tuple[str, ...]] = {}

    def chains_of(text) -> tuple[str, ...]:
        key = text if isinstance(text, str) else ""
        found = split.get(key)
        if found is None:
            found = split[key] = tuple(c for c in key.split(";") if c)
        return found

    columns = (
        frame["credit_code"].tolist(),
        frame["formal_members"].astype("int64").tolist(),
        frame["probationary_members"].astype("int64").tolist(),
        [_text(v) for v in frame["park"].tolist()],
        [_text(v) for v in frame["street"].tolist()],
        [chains_of(v) for v in frame["chains"].tolist()],
        frame["status"].tolist(),
        frame["single_unit"].astype(bool).tolist(),
    )
    return [FirmItem(code, formal, probationary, park, street, chains, status, single)
            for code, formal, probationary, park, street, chains, status, single in zip(*columns)]


def _text(value) -> str | None:
    """A park or street from a frame cell: None for missing (None, NaN) or blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value).strip()
    return value or None
