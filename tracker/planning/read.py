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

import numpy as np
import sqlalchemy as sa

from ..coverage import PopulationFacts
from ..intervals import active_clause
from ..model import Assignment, Chain, CoverageLink, Firm, Liaison, PartyOrg
from ..scope import EVERYTHING
from .instance import (
    FirmItem,
    Instance,
    OfficerItem,
    OrgItem,
    PlannerConfig,
    area_key,
    gc_paused,
)

__all__ = ["instance_from_store"]

#: Chains a firm's set of chains is packed into (bits of an int64, sign bit spare).
_MASK_BITS = 62


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
    with gc_paused():
        return _read(engine, as_of, scope, config, frame)


def _read(engine, as_of: date, scope, config: PlannerConfig, frame) -> Instance:
    if frame is None:
        with engine.connect() as conn:
            firms = _population_items(conn, as_of, scope)
    else:
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


def _population_items(conn, as_of: date, scope) -> list[FirmItem]:
    """The population on ``as_of`` as :class:`FirmItem`, in credit-code order, read column-wise.

    Who is in the population and how each firm is covered come from
    :class:`tracker.coverage.PopulationFacts`, as :func:`tracker.coverage.population_facts`
    reads them (the arrays :func:`tracker.coverage.coverage`
    counts, the ids moved as one string); each firm's chains from its active memberships
    there. Only the firms' own columns travel as rows. The same items as
    :func:`tracker.coverage.firm_status` gives (the tests hold the two equal): at 1,000,000
    firms that frame, a pandas row per firm, took most of the half minute the read cost.
    """
    # population_facts without the plan in force: its visit window does not matter here.
    C = Chain.__table__
    every_chain = conn.execute(sa.select(C.c.id, C.c.code).order_by(C.c.sort_order, C.c.code)).all()
    chains = [r for r in every_chain if scope.chains is None or r.code in scope.chains]
    facts = PopulationFacts.read(conn, as_of, scope, "chain_firms", [r.id for r in chains],
                                 max([0, *(r.id for r in every_chain)]))
    if not facts.in_pop.any():
        return []
    # Each firm's chains as a tuple of codes in code order, each once: one bit per chain
    # (ranked by code) summed per firm, then one tuple per distinct set of chains.
    codes = [r.code for r in chains]
    ranked = sorted(range(len(codes)), key=lambda i: codes[i])
    rank = np.empty(len(codes), dtype=np.int64)
    rank[ranked] = np.arange(len(codes))
    if len(codes) <= _MASK_BITS:
        masks = np.zeros(facts.size, dtype=np.int64)
        np.add.at(masks, facts.member_firm, np.left_shift(1, rank[facts.member_chain]))
        sets = {m: tuple(codes[ranked[b]] for b in range(len(codes)) if m >> b & 1)
                for m in np.unique(masks).tolist()}
        chains_by_id = [sets[m] for m in masks.tolist()]
    else:  # more chains than bits: one Python pass over the (firm, chain) pairs
        per_firm: dict[int, set[int]] = {}
        for firm, position in zip(facts.member_firm.tolist(), rank[facts.member_chain].tolist()):
            per_firm.setdefault(firm, set()).add(position)
        chains_by_id = {k: tuple(codes[ranked[b]] for b in sorted(v)) for k, v in per_firm.items()}
    status = np.where(facts.org, 2, np.where(facts.work, 1, 0)).tolist()
    in_pop, single = facts.in_pop.tolist(), facts.single.tolist()
    names = ("none", "work", "org")
    F = Firm.__table__
    query = sa.select(F.c.id, F.c.credit_code, F.c.formal_members, F.c.probationary_members,
                      F.c.park, F.c.street)
    # SQLite compares text byte by byte, as Python compares str: sort here after one
    # sequential scan (ordering by the code's index read the table row by row at random,
    # 5 s at 1,000,000 firms). Other databases order by their own collation.
    in_python = conn.dialect.name == "sqlite"
    if not in_python:
        query = query.order_by(F.c.credit_code)
    cursor = conn.connection.dbapi_connection.cursor()  # plain tuples: no row objects
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if in_python:
        rows.sort(key=lambda r: r[1])
    texts: dict = {}  # parks and streets repeat: normalise each distinct value once
    items = []
    size = facts.size
    for fid, code, formal, probationary, park, street in rows:
        if fid >= size or not in_pop[fid]:
            continue
        if park not in texts:
            texts[park] = _text(park)
        if street not in texts:
            texts[street] = _text(street)
        items.append(FirmItem(code, int(formal), int(probationary), texts[park], texts[street],
                              chains_by_id[fid], names[status[fid]], bool(single[fid])))
    return items


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
