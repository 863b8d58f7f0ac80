"""Reading the store into the typed graph of the district at a date (:func:`build_graph`).

Memory matters: at 1,000,000 firms the graph holds millions of nodes and edges. So the
database filters the dated facts (the one rule, :func:`tracker.intervals.active_clause`);
what must wait is kept as small tuples or int arrays of the columns used; firms and
supply links are streamed into the graph; repeated strings are interned; edges with equal
attributes share one read-only mapping (:mod:`tracker.graph.storage`).

The steps, in the order :func:`build_graph` runs them: read the dated facts (chains and
plan, memberships, the population, organisations, coverage links, liaisons), then add
the chains, the firms with their coverage flags, their memberships, the organisations
with their tree and links, the liaisons with their assignments, and the supply links.
Each fact table is let go once its edges are in.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import date

import networkx as nx
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..intervals import active_clause
from ..model import (
    Assignment,
    Chain,
    ChainMembership,
    CoverageLink,
    Firm,
    Liaison,
    PartyOrg,
    Plan,
    SupplyLink,
)
from ..plans import in_force_row
from ..scope import EVERYTHING, Scope
from ..visits import visited_query, window_of
from .nodes import attrs, chain_node, firm_node, iso, liaison_node, names_attr, org_node
from .storage import AttrTable, Interner, LeanMultiDiGraph, SharedAttrs, add_shared_edge

__all__ = ["build_graph"]

C, F, M = Chain.__table__, Firm.__table__, ChainMembership.__table__
O, L, A = PartyOrg.__table__, CoverageLink.__table__, Assignment.__table__
LI, S, P = Liaison.__table__, SupplyLink.__table__, Plan.__table__


def build_graph(engine: Engine, as_of: date, scope: Scope = EVERYTHING) -> nx.MultiDiGraph:
    """The typed graph of the facts active on ``as_of`` within ``scope``.

    Parameters
    ----------
    engine : the store
    as_of : the date D
    scope : restricts the firms (chains and/or areas); organisations, liaisons and supply
        links follow the firms kept

    Returns
    -------
    networkx.MultiDiGraph
        Graph attributes (strings and numbers only): ``as_of``, ``scope``,
        ``scope_chains`` and ``scope_areas`` (JSON lists of names, empty for all: an
        area name may itself contain ``;`` or ``,``),
        ``denominator`` (the plan in force's) and, when a plan exists,
        ``plan_name`` (``plan_name_en`` when it has one), ``plan_start``, ``plan_deadline``,
        ``plan_target_rate``.

    Examples
    --------
    >>> G = build_graph(engine, date(2024, 6, 30))          # doctest: +SKIP
    >>> G.nodes["firm:91440112MA5ABCDE1X"]["status"]          # doctest: +SKIP
    'org'
    """
    b = _Builder(as_of, scope)
    with engine.connect() as conn:
        chains = _read_chains(conn, scope, as_of)
        members = b.read_memberships(conn, chains)
        population = b.read_population(conn, members)
        orgs = _read_orgs(conn, as_of)
        links = b.read_links(conn, orgs)
        liaisons = b.read_liaisons(conn, population)

        _describe(b.G, as_of, scope, chains.plan)
        _add_chains(b.G, chains)
        size = max([0, *(max(x) for x in (members.firm, links.firm) if len(x)),
                    *(f for _, f, _ in liaisons.assignments)]) + 1
        firm_key = b.add_firms(conn, population, chains, members, links, orgs, liaisons, size)
        b.add_memberships(members, population, firm_key, chains)
        del members  # the fact tables are let go as soon as their edges are in
        b.add_organisations(orgs, links, population, firm_key, size)
        del orgs, links
        b.add_liaisons(liaisons, firm_key)
        b.add_supply_links(conn, chains, population, firm_key)
    return b.G


# --------------------------------------------------------------------------- the facts


@dataclass
class _Chains:
    """The chains and the plan in force on D."""

    all: list  # every chain row, in display order
    kept: list  # the rows within the scope
    code_of: dict[int, str]  # chain id -> code, within the scope
    plan: object | None  # the row of the plan in force on D

    @property
    def codes(self) -> list[str]:
        """Codes within the scope; a firm's chains are a bit mask over these positions."""
        return list(self.code_of.values())


@dataclass
class _Memberships:
    """Memberships active on D, as int arrays (a tuple per row held ~200 bytes each)."""

    firm: array  # firm id
    chain: array  # position of the chain in _Chains.codes
    attrs: array  # index of the edge's shared attributes
    where: list  # the SQL condition that selected them


@dataclass
class _Population:
    """The firms of the population on D: in a chain on D, within the scope."""

    ids: set[int]
    where: list  # the SQL condition that selects their rows


@dataclass
class _Links:
    """Coverage links active on D to an organisation active on D, as int arrays."""

    org: array
    firm: array
    attrs: array  # index of the edge's shared attributes


@dataclass
class _Liaisons:
    """Assignments on D to a population firm, and their liaisons (those of the scope)."""

    assignments: list[tuple[int, int, str | None]]  # (liaison id, firm id, since)
    rows: dict[int, object]  # liaison id -> row


def _read_chains(conn: Connection, scope: Scope, as_of: date) -> _Chains:
    chains = conn.execute(sa.select(C).order_by(C.c.sort_order, C.c.code)).mappings().all()
    plan = in_force_row(conn, as_of)
    kept = [c for c in chains if scope.chains is None or c["code"] in scope.chains]
    return _Chains(all=chains, kept=kept, code_of={c["id"]: c["code"] for c in kept}, plan=plan)


def _read_orgs(conn: Connection, as_of: date) -> dict[int, object]:
    """Organisations active on D, by id, in code order."""
    return {o.id: o for o in conn.execute(
        sa.select(O.c.id, O.c.code, O.c.name, O.c.kind, O.c.formation, O.c.parent_id,
                  O.c.founded, O.c.dissolved, O.c.member_count)
        .where(active_clause(O.c.founded, O.c.dissolved, as_of)).order_by(O.c.code))}


class _Builder:
    """One build: the graph, its date and scope, and the shared strings and edge attributes."""

    def __init__(self, as_of: date, scope: Scope):
        self.as_of = as_of
        self.scope = scope
        self.G = LeanMultiDiGraph()
        self.text = Interner()
        self.shared = SharedAttrs()
        self.edge_attrs = AttrTable()

    def read_memberships(self, conn: Connection, chains: _Chains) -> _Memberships:
        where = [active_clause(M.c.joined, M.c.left, self.as_of)]
        if self.scope.chains is not None:
            where.append(M.c.chain_id.in_(sorted(chains.code_of)))
        positions = {cid: i for i, cid in enumerate(chains.code_of)}
        out = _Memberships(array("q"), array("q"), array("q"), where)
        for m in conn.execute(
                sa.select(M.c.firm_id, M.c.chain_id, M.c.segment, M.c.is_chain_master, M.c.joined)
                .where(*where).order_by(M.c.id)):
            data = self.shared(label="in_chain", segment=m.segment,
                               chain_master=bool(m.is_chain_master), joined=iso(m.joined))
            out.firm.append(m.firm_id)
            out.chain.append(positions[m.chain_id])
            out.attrs.append(self.edge_attrs.index(data))
        return out

    def read_population(self, conn: Connection, members: _Memberships) -> _Population:
        where = [F.c.id.in_(sa.select(M.c.firm_id).where(*members.where))]
        if self.scope.areas is None:
            return _Population(set(members.firm), where)
        areas = sorted(self.scope.areas)
        where.append(sa.or_(F.c.park.in_(areas), F.c.street.in_(areas)))
        return _Population(set(conn.scalars(sa.select(F.c.id).where(*where))), where)

    def read_links(self, conn: Connection, orgs: dict[int, object]) -> _Links:
        """A link counts when it and its organisation are active."""
        out = _Links(array("q"), array("q"), array("q"))
        for lk in conn.execute(
                sa.select(L.c.org_id, L.c.firm_id, L.c.start)
                .where(active_clause(L.c.start, L.c.end, self.as_of)).order_by(L.c.id)):
            if lk.org_id in orgs:
                out.org.append(lk.org_id)
                out.firm.append(lk.firm_id)
                out.attrs.append(self.edge_attrs.index(self.shared(label="covers", since=iso(lk.start))))
        return out

    def read_liaisons(self, conn: Connection, population: _Population) -> _Liaisons:
        assignments = [(a.liaison_id, a.firm_id, self.text(iso(a.start))) for a in conn.execute(
            sa.select(A.c.liaison_id, A.c.firm_id, A.c.start)
            .where(active_clause(A.c.start, A.c.end, self.as_of)).order_by(A.c.id))
            if a.firm_id in population.ids]
        query = sa.select(LI.c.id, LI.c.name, LI.c.unit, LI.c.role).order_by(LI.c.id)
        if self.scope.is_everything:
            rows = {r.id: r for r in conn.execute(query)}
        else:
            rows = _rows_by_id(conn, query, LI.c.id, sorted({a[0] for a in assignments}))
        return _Liaisons(assignments, rows)

    # ----------------------------------------------------------------------- adding

    def add_firms(self, conn: Connection, population: _Population, chains: _Chains,
                  members: _Memberships, links: _Links, orgs: dict[int, object],
                  liaisons: _Liaisons, size: int) -> list[str | None]:
        """Stream the population's firms into the graph in credit-code order.

        Returns the node id of each firm id (None for firms not in the graph).
        """
        text, codes = self.text, chains.codes
        mask, is_master, org_flag, single_flag = _firm_facts(members, links, orgs, size,
                                                             self.edge_attrs)
        assigned = {firm for liaison, firm, _ in liaisons.assignments if liaison in liaisons.rows}
        # Visited: a work-covered firm with a counted visit in the plan's window (tracker.visits).
        seen = set(conn.execute(visited_query(self.as_of, window_of(chains.plan))).scalars())
        chain_text: dict[int, str] = {}
        firm_key: list[str | None] = [None] * size
        for f in conn.execute(
                sa.select(F.c.id, F.c.credit_code, F.c.name, F.c.ownership, F.c.above_size,
                          F.c.park, F.c.street, F.c.formal_members, F.c.probationary_members)
                .where(*population.where).order_by(F.c.credit_code)):
            node = firm_key[f.id] = firm_node(f.credit_code)
            bits = mask[f.id]
            if bits not in chain_text:
                chain_text[bits] = ";".join(sorted(code for i, code in enumerate(codes) if bits >> i & 1))
            self.G.add_node(node, **attrs(
                type="firm", credit_code=f.credit_code, name=f.name, ownership=text(f.ownership),
                above_size=bool(f.above_size), park=text(f.park), street=text(f.street),
                formal_members=int(f.formal_members),
                probationary_members=int(f.probationary_members),
                chains=chain_text[bits], chain_master=is_master[f.id],
                status="org" if org_flag[f.id] else ("work" if f.id in assigned else "none"),
                visited=bool(not org_flag[f.id] and f.id in assigned and f.id in seen),
                single_unit=single_flag[f.id]))
        return firm_key

    def add_memberships(self, members: _Memberships, population: _Population,
                        firm_key: list[str | None], chains: _Chains) -> None:
        chain_nodes = [chain_node(code) for code in chains.codes]
        for firm, chain, index in zip(members.firm, members.chain, members.attrs):
            if firm in population.ids:
                add_shared_edge(self.G, firm_key[firm], chain_nodes[chain], self.edge_attrs[index])

    def add_organisations(self, orgs: dict[int, object], links: _Links, population: _Population,
                          firm_key: list[str | None], size: int) -> None:
        """Organisations active on D, their tree and their coverage links.

        ``linked_firms``: the distinct firms each covers on D, in the population or not.
        """
        text = self.text
        linked = _pair_counts(np.frombuffer(links.org, dtype=np.int64),
                              np.frombuffer(links.firm, dtype=np.int64), size)
        kept = self._orgs_kept(orgs, links, population)
        org_key = {i: org_node(orgs[i].code) for i in kept}
        ordered = sorted(kept, key=org_key.__getitem__)  # "org:<code>": by code
        for org_id in ordered:
            o = orgs[org_id]
            parent = orgs.get(o.parent_id)
            self.G.add_node(org_key[org_id], **attrs(
                type="org", code=o.code, name=o.name, kind=text(o.kind),
                formation=text(o.formation), members=int(o.member_count),
                founded=text(iso(o.founded)), dissolved=text(iso(o.dissolved)),
                parent=parent.code if parent is not None else None,
                linked_firms=linked.get(org_id, 0)))
        for org_id in ordered:
            parent_id = orgs[org_id].parent_id
            if parent_id in kept:
                add_shared_edge(self.G, org_key[org_id], org_key[parent_id], self.shared(label="parent"))
        for org, firm, index in zip(links.org, links.firm, links.attrs):
            if org in kept and firm in population.ids:
                add_shared_edge(self.G, org_key[org], firm_key[firm], self.edge_attrs[index])

    def _orgs_kept(self, orgs: dict[int, object], links: _Links, population: _Population) -> set[int]:
        """All active organisations; in a restricted scope those covering a population
        firm, with their active ancestors."""
        if self.scope.is_everything:
            return set(orgs)
        kept: set[int] = set()
        for org_id in {org for org, firm in zip(links.org, links.firm) if firm in population.ids}:
            # Walk up while the ancestors are active; stopping at a kept one also ends a
            # (refused, but possible in old data) cycle.
            while org_id is not None and org_id in orgs and org_id not in kept:
                kept.add(org_id)
                org_id = orgs[org_id].parent_id
        return kept

    def add_liaisons(self, liaisons: _Liaisons, firm_key: list[str | None]) -> None:
        text = self.text
        for lid in sorted(liaisons.rows):
            li = liaisons.rows[lid]
            self.G.add_node(liaison_node(lid), **attrs(type="liaison", name=li.name,
                                                        unit=text(li.unit), role=text(li.role)))
        for liaison, firm, since in liaisons.assignments:
            if liaison in liaisons.rows:
                add_shared_edge(self.G, liaison_node(liaison), firm_key[firm],
                                self.shared(label="assigned", since=since))

    def add_supply_links(self, conn: Connection, chains: _Chains, population: _Population,
                         firm_key: list[str | None]) -> None:
        """Supply links between two firms of the population, streamed."""
        code_of_any = {c["id"]: c["code"] for c in chains.all}
        restricted = self.scope.chains is not None
        for supplier, buyer, chain_id in conn.execute(
                sa.select(S.c.supplier_id, S.c.buyer_id, S.c.chain_id).order_by(S.c.id)):
            if supplier not in population.ids or buyer not in population.ids:
                continue
            if chain_id is not None and restricted and chain_id not in chains.code_of:
                continue  # a link of a chain outside the scope
            add_shared_edge(self.G, firm_key[supplier], firm_key[buyer],
                            self.shared(label="supplies", chain=code_of_any.get(chain_id)))


def _describe(G: nx.MultiDiGraph, as_of: date, scope: Scope, plan) -> None:
    """The graph attributes: its date, scope and the plan in force on D."""
    G.graph.update(attrs(
        as_of=as_of.isoformat(),
        scope=scope.describe(),
        scope_chains=names_attr(scope.chains),
        scope_areas=names_attr(scope.areas),
        denominator=(plan["denominator"] if plan is not None else None) or "chain_firms",
        plan_name=plan["name"] if plan is not None else None,
        plan_name_en=plan.get("name_en") if plan is not None else None,
        plan_start=iso(plan["start"]) if plan is not None else None,
        plan_deadline=iso(plan["deadline"]) if plan is not None else None,
        plan_target_rate=float(plan["target_rate"]) if plan is not None else None,
    ))


def _add_chains(G: nx.MultiDiGraph, chains: _Chains) -> None:
    for c in chains.kept:
        G.add_node(chain_node(c["code"]), **attrs(
            type="chain", code=c["code"], name=c["name_zh"], name_en=c["name_en"],
            confirmed=bool(c["confirmed"]), sort_order=int(c["sort_order"]),
            lead_department=c["lead_department"]))


def _firm_facts(members: _Memberships, links: _Links, orgs: dict[int, object], size: int,
                edge_attrs: AttrTable) -> tuple[list[int], list[bool], list[bool], list[bool]]:
    """Per firm id, from the same facts as the edges: its chains as a bit mask (over
    :attr:`_Chains.codes`), chain master, organisation-covered, single-unit-covered."""
    firms_np = np.frombuffer(members.firm, dtype=np.int64)
    chains_np = np.frombuffer(members.chain, dtype=np.int64)
    mask = np.zeros(size, dtype=np.int64)
    np.bitwise_or.at(mask, firms_np, np.left_shift(1, chains_np))
    is_master = np.zeros(size, dtype=bool)
    master_attrs = np.array([bool(d.get("chain_master")) for d in edge_attrs.items] + [False])
    is_master[firms_np[master_attrs[np.frombuffer(members.attrs, dtype=np.int64)]]] = True
    lf = np.frombuffer(links.firm, dtype=np.int64)
    org_flag = np.zeros(size, dtype=bool)
    org_flag[lf] = True
    single_orgs = np.array(sorted(i for i, o in orgs.items() if o.formation == "single"),
                           dtype=np.int64)
    single_flag = np.zeros(size, dtype=bool)
    single_flag[lf[np.isin(np.frombuffer(links.org, dtype=np.int64), single_orgs)]] = True
    return mask.tolist(), is_master.tolist(), org_flag.tolist(), single_flag.tolist()


def _pair_counts(keys: np.ndarray, values: np.ndarray, size: int) -> dict[int, int]:
    """For each key, how many distinct values it is paired with (``values`` < ``size``).
    Sort-based: numpy's hash-based unique was slower at a million pairs.

    >>> _pair_counts(np.array([1, 1, 1, 2]), np.array([5, 5, 6, 5]), 10)
    {1: 2, 2: 1}
    """
    if not len(keys):
        return {}
    pairs = np.sort(keys * size + values)
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    owners = pairs // size
    starts = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
    counts = np.diff(np.append(starts, len(owners)))
    return dict(zip(owners[starts].tolist(), counts.tolist()))


def _rows_by_id(conn: Connection, query, id_column, ids: list[int]) -> dict[int, object]:
    """Rows of ``query`` whose ``id_column`` is in ``ids``, fetched in batches
    (bound-parameter limits), by id."""
    out: dict[int, object] = {}
    for i in range(0, len(ids), 5000):
        for row in conn.execute(query.where(id_column.in_(ids[i:i + 5000]))):
            out[row.id] = row
    return out
