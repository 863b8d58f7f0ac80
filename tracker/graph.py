"""The typed networkx graph of the district at a date D, and what it answers.

:func:`build_graph` reads the store and keeps the facts active on D (the one rule,
:func:`tracker.intervals.active_clause`) as a :class:`networkx.MultiDiGraph`. Edge
attributes are read-only (one dict shared by all edges with equal attributes, to keep a
1,000,000-firm district under 2 GiB); ``G.copy()`` gives every edge a dict of its own:

========== ================================ ===============================================
node type  id                               attributes (never ``None``: a missing value is
                                            left out, so GraphML/GEXF export works)
========== ================================ ===============================================
chain      ``chain:<code>``                 code, name, name_en, confirmed, sort_order,
                                            lead_department
firm       ``firm:<credit code>``           credit_code, name, ownership, above_size, park,
                                            street, formal_members, probationary_members,
                                            chains, chain_master, status, single_unit
org        ``org:<org code>``               code, name, kind, formation, members, founded,
                                            dissolved, parent, linked_firms
liaison    ``liaison:<id>``                 name, unit, role
========== ================================ ===============================================

Edges carry ``label``: ``in_chain`` (firm → chain: segment, chain_master, joined),
``covers`` (org → firm), ``parent`` (child org → parent org), ``assigned`` (liaison →
firm), ``supplies`` (supplier firm → buyer firm: chain).

Only the **population on D** is in the graph: firms in at least one chain on D within
the scope. Organisations active on D are nodes even when they cover no chain firm (the
rules and the roll-ups need them); with a restricted scope only the organisations that
cover a scoped firm, plus their active ancestors, are kept. ``linked_firms`` on an
organisation counts *every* firm it covers on D, in the population or not (rule R3
counts units of a joint branch, whatever chain they are in).

:func:`coverage_from_graph` computes the coverage figures from the graph alone; the tests
hold them equal to :func:`tracker.coverage.coverage`, which computes them in SQL.

Examples
--------
>>> from datetime import date
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
>>> G = build_graph(engine, date(2024, 1, 1))
>>> sorted({d["type"] for _, d in G.nodes(data=True)})
['chain']
>>> coverage_from_graph(G).total.firms
0
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from array import array
from collections import defaultdict
from collections.abc import MutableMapping
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .coverage import DENOMINATORS, GROUPINGS, Counts, CoverageResult, Group, name_groups
from .errors import TrackerError
from .intervals import active_clause
from .model import Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg, Plan
from .model import SupplyLink
from .scope import EVERYTHING, Scope

__all__ = [
    "NODE_TYPES",
    "EDGE_LABELS",
    "FORMATS",
    "chain_node",
    "firm_node",
    "org_node",
    "liaison_node",
    "build_graph",
    "firm_flags",
    "coverage_from_graph",
    "org_rollup",
    "cross_chain_orgs",
    "chain_master_reach",
    "chain_subgraph",
    "write_graph",
]

NODE_TYPES = ("chain", "firm", "org", "liaison")
EDGE_LABELS = ("in_chain", "covers", "parent", "assigned", "supplies")
FORMATS = ("graphml", "gexf")


def chain_node(code: str) -> str:
    return f"chain:{code}"


def firm_node(credit_code: str) -> str:
    return f"firm:{credit_code}"


def org_node(code: str) -> str:
    return f"org:{code}"


def liaison_node(liaison_id: int) -> str:
    return f"liaison:{liaison_id}"


def _attrs(**values) -> dict:
    """Drop ``None`` values: GraphML and GEXF cannot write them."""
    return {k: v for k, v in values.items() if v is not None}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------- building


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
        ``denominator`` (the default plan's) and, when a default plan exists,
        ``plan_name``, ``plan_start``, ``plan_deadline``, ``plan_target_rate``.

    Examples
    --------
    >>> G = build_graph(engine, date(2024, 6, 30))          # doctest: +SKIP
    >>> G.nodes["firm:91440112MA5ABCDE1X"]["status"]          # doctest: +SKIP
    'org'
    """
    C, F, M = Chain.__table__, Firm.__table__, ChainMembership.__table__
    O, L, A = PartyOrg.__table__, CoverageLink.__table__, Assignment.__table__
    LI, S, P = Liaison.__table__, SupplyLink.__table__, Plan.__table__
    # Memory matters: at 1,000,000 firms the graph holds millions of nodes and edges. So
    # the database filters the dated facts; what must wait is kept as small tuples of the
    # columns used; firms and supply links are streamed into the graph; repeated strings
    # are interned; edges with equal attributes share one read-only mapping
    # (:class:`_SharedAttrs`); small maps are compact (:class:`_SmallMap`).
    text = _Interner()
    shared = _SharedAttrs()
    G = _LeanMultiDiGraph()
    with engine.connect() as conn:
        chains = conn.execute(sa.select(C).order_by(C.c.sort_order, C.c.code)).mappings().all()
        plan = conn.execute(sa.select(P).where(P.c.is_default.is_(True))).mappings().first()
        chain_rows = [c for c in chains if scope.chains is None or c["code"] in scope.chains]
        code_of = {c["id"]: c["code"] for c in chain_rows}
        member_where = [active_clause(M.c.joined, M.c.left, as_of)]
        if scope.chains is not None:
            member_where.append(M.c.chain_id.in_(sorted(code_of)))
        # Memberships as three int arrays (firm id, chain position, index of the edge's
        # shared attributes): a tuple per row held ~200 bytes for the whole build.
        positions = {cid: i for i, cid in enumerate(code_of)}
        chain_codes = list(code_of.values())
        m_firm, m_chain, m_attrs = array("q"), array("q"), array("q")
        edge_attrs: list[_FrozenAttrs] = []
        attr_index: dict[int, int] = {}  # id(shared attrs) -> index in edge_attrs
        for m in conn.execute(
                sa.select(M.c.firm_id, M.c.chain_id, M.c.segment, M.c.is_chain_master, M.c.joined)
                .where(*member_where).order_by(M.c.id)):
            data = shared(label="in_chain", segment=m.segment, chain_master=bool(m.is_chain_master),
                          joined=_iso(m.joined))
            if id(data) not in attr_index:
                attr_index[id(data)] = len(edge_attrs)
                edge_attrs.append(data)
            m_firm.append(m.firm_id)
            m_chain.append(positions[m.chain_id])
            m_attrs.append(attr_index[id(data)])
        firm_where = [F.c.id.in_(sa.select(M.c.firm_id).where(*member_where))]
        if scope.areas is None:
            population = set(m_firm)
        else:
            areas = sorted(scope.areas)
            firm_where.append(sa.or_(F.c.park.in_(areas), F.c.street.in_(areas)))
            population = set(conn.scalars(sa.select(F.c.id).where(*firm_where)))
        active_orgs = {o.id: o for o in conn.execute(
            sa.select(O.c.id, O.c.code, O.c.name, O.c.kind, O.c.formation, O.c.parent_id,
                      O.c.founded, O.c.dissolved, O.c.member_count)
            .where(active_clause(O.c.founded, O.c.dissolved, as_of)).order_by(O.c.code))}
        # Links (org id, firm id, index of the edge's shared attributes), as int arrays: a
        # link counts when it and its organisation are active.
        l_org, l_firm, l_attrs = array("q"), array("q"), array("q")
        for lk in conn.execute(
                sa.select(L.c.org_id, L.c.firm_id, L.c.start)
                .where(active_clause(L.c.start, L.c.end, as_of)).order_by(L.c.id)):
            if lk.org_id in active_orgs:
                data = shared(label="covers", since=_iso(lk.start))
                if id(data) not in attr_index:
                    attr_index[id(data)] = len(edge_attrs)
                    edge_attrs.append(data)
                l_org.append(lk.org_id)
                l_firm.append(lk.firm_id)
                l_attrs.append(attr_index[id(data)])
        # (liaison id, firm id, since)
        assignments = [(a.liaison_id, a.firm_id, text(_iso(a.start))) for a in conn.execute(
            sa.select(A.c.liaison_id, A.c.firm_id, A.c.start)
            .where(active_clause(A.c.start, A.c.end, as_of)).order_by(A.c.id))
            if a.firm_id in population]
        liaison_query = sa.select(LI.c.id, LI.c.name, LI.c.unit, LI.c.role).order_by(LI.c.id)
        if scope.is_everything:
            liaisons = {r.id: r for r in conn.execute(liaison_query)}
        else:
            liaisons = _rows_by_id(conn, liaison_query, LI.c.id, sorted({a[0] for a in assignments}))

        G.graph.update(_attrs(
            as_of=as_of.isoformat(),
            scope=scope.describe(),
            scope_chains=_names_attr(scope.chains),
            scope_areas=_names_attr(scope.areas),
            denominator=(plan["denominator"] if plan is not None else None) or "chain_firms",
            plan_name=plan["name"] if plan is not None else None,
            plan_start=_iso(plan["start"]) if plan is not None else None,
            plan_deadline=_iso(plan["deadline"]) if plan is not None else None,
            plan_target_rate=float(plan["target_rate"]) if plan is not None else None,
        ))
        for c in chain_rows:
            G.add_node(chain_node(c["code"]), **_attrs(
                type="chain", code=c["code"], name=c["name_zh"], name_en=c["name_en"],
                confirmed=bool(c["confirmed"]), sort_order=int(c["sort_order"]),
                lead_department=c["lead_department"]))

        # Per firm id: its chains as a bit mask, chain master, and its coverage flags, from
        # the same facts as the edges below.
        size = max([0, *(max(x) for x in (m_firm, l_firm) if len(x)),
                    *(f for _, f, _ in assignments)]) + 1
        firms_np, chains_np = np.frombuffer(m_firm, dtype=np.int64), np.frombuffer(m_chain, dtype=np.int64)
        mask = np.zeros(size, dtype=np.int64)
        np.bitwise_or.at(mask, firms_np, np.left_shift(1, chains_np))
        is_master = np.zeros(size, dtype=bool)
        master_attrs = np.array([bool(d.get("chain_master")) for d in edge_attrs] + [False])
        is_master[firms_np[master_attrs[np.frombuffer(m_attrs, dtype=np.int64)]]] = True
        lf = np.frombuffer(l_firm, dtype=np.int64)
        org_flag = np.zeros(size, dtype=bool)
        org_flag[lf] = True
        single_orgs = np.array(sorted(i for i, o in active_orgs.items() if o.formation == "single"),
                               dtype=np.int64)
        single_flag = np.zeros(size, dtype=bool)
        single_flag[lf[np.isin(np.frombuffer(l_org, dtype=np.int64), single_orgs)]] = True
        assigned = {firm for liaison, firm, _ in assignments if liaison in liaisons}
        mask, is_master = mask.tolist(), is_master.tolist()
        org_flag, single_flag = org_flag.tolist(), single_flag.tolist()
        chain_text: dict[int, str] = {}
        # Firms are streamed in credit-code order straight into the graph.
        firm_key: list[str | None] = [None] * size
        for f in conn.execute(
                sa.select(F.c.id, F.c.credit_code, F.c.name, F.c.ownership, F.c.above_size,
                          F.c.park, F.c.street, F.c.formal_members, F.c.probationary_members)
                .where(*firm_where).order_by(F.c.credit_code)):
            node = firm_key[f.id] = firm_node(f.credit_code)
            bits = mask[f.id]
            if bits not in chain_text:
                chain_text[bits] = ";".join(sorted(
                    code for i, code in enumerate(chain_codes) if bits >> i & 1))
            G.add_node(node, **_attrs(
                type="firm", credit_code=f.credit_code, name=f.name, ownership=text(f.ownership),
                above_size=bool(f.above_size), park=text(f.park), street=text(f.street),
                formal_members=int(f.formal_members),
                probationary_members=int(f.probationary_members),
                chains=chain_text[bits], chain_master=is_master[f.id],
                status="org" if org_flag[f.id] else ("work" if f.id in assigned else "none"),
                single_unit=single_flag[f.id]))
        del mask, is_master, org_flag, single_flag, assigned
        chain_nodes = [chain_node(code) for code in chain_codes]
        for firm, chain, attrs in zip(m_firm, m_chain, m_attrs):
            if firm in population:
                _add_edge(G, firm_key[firm], chain_nodes[chain], edge_attrs[attrs])
        del m_firm, m_chain, m_attrs

        # Organisations: active on D. ``linked_firms``: distinct firms each covers on D.
        linked = _pair_counts(np.frombuffer(l_org, dtype=np.int64), lf, size)
        if scope.is_everything:
            kept = set(active_orgs)
        else:
            kept = set()
            for org_id in {org for org, firm in zip(l_org, l_firm) if firm in population}:
                # Walk up while the ancestors are active; stopping at a kept one also ends a
                # (refused, but possible in old data) cycle.
                while org_id is not None and org_id in active_orgs and org_id not in kept:
                    kept.add(org_id)
                    org_id = active_orgs[org_id].parent_id
        org_key = {i: org_node(active_orgs[i].code) for i in kept}
        ordered = sorted(kept, key=org_key.__getitem__)  # "org:<code>": by code
        for org_id in ordered:
            o = active_orgs[org_id]
            parent = active_orgs.get(o.parent_id)
            G.add_node(org_key[org_id], **_attrs(
                type="org", code=o.code, name=o.name, kind=text(o.kind),
                formation=text(o.formation), members=int(o.member_count),
                founded=text(_iso(o.founded)), dissolved=text(_iso(o.dissolved)),
                parent=parent.code if parent is not None else None,
                linked_firms=linked.get(org_id, 0)))
        del linked
        for org_id in ordered:
            parent_id = active_orgs[org_id].parent_id
            if parent_id in kept:
                _add_edge(G, org_key[org_id], org_key[parent_id], shared(label="parent"))
        for org, firm, attrs in zip(l_org, l_firm, l_attrs):
            if org in kept and firm in population:
                _add_edge(G, org_key[org], firm_key[firm], edge_attrs[attrs])
        del l_org, l_firm, l_attrs, lf, active_orgs

        for lid in sorted(liaisons):
            li = liaisons[lid]
            G.add_node(liaison_node(lid), **_attrs(type="liaison", name=li.name,
                                                   unit=text(li.unit), role=text(li.role)))
        for liaison, firm, since in assignments:
            if liaison in liaisons:
                _add_edge(G, liaison_node(liaison), firm_key[firm],
                          shared(label="assigned", since=since))

        # Supply links between two firms of the population, streamed.
        all_chain_codes = {c["id"]: c["code"] for c in chains}
        for supplier, buyer, chain_id in conn.execute(
                sa.select(S.c.supplier_id, S.c.buyer_id, S.c.chain_id).order_by(S.c.id)):
            if supplier not in population or buyer not in population:
                continue
            if chain_id is not None and scope.chains is not None and chain_id not in code_of:
                continue  # a link of a chain outside the scope
            _add_edge(G, firm_key[supplier], firm_key[buyer],
                      shared(label="supplies", chain=all_chain_codes.get(chain_id)))
    return G


class _SmallMap(MutableMapping):
    """A mapping for the many small maps of a large graph: each node's neighbours and each
    node pair's parallel edges. Up to :attr:`LIMIT` items live in one flat tuple
    ``(key, value, key, value, ...)``, more in a dict. A dict of one or two items costs
    about 220 bytes; this costs about 100, for each of millions of maps."""

    __slots__ = ("_items", "_dict")
    LIMIT = 4

    def __init__(self, *args, **kwargs):
        self._items: tuple = ()
        self._dict: dict | None = None
        if args or kwargs:
            self.update(*args, **kwargs)

    def _find(self, key) -> int:
        items = self._items
        for i in range(0, len(items), 2):
            if items[i] == key:
                return i
        return -1

    def __getitem__(self, key):
        if self._dict is not None:
            return self._dict[key]
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._items[i + 1]

    def __setitem__(self, key, value) -> None:
        if self._dict is not None:
            self._dict[key] = value
            return
        i = self._find(key)
        items = self._items
        if i >= 0:
            self._items = items[:i + 1] + (value,) + items[i + 2:]
        elif len(items) < 2 * self.LIMIT:
            self._items = items + (key, value)
        else:
            self._dict = dict(zip(items[0::2], items[1::2]))
            self._dict[key] = value
            self._items = ()

    def __delitem__(self, key) -> None:
        if self._dict is not None:
            del self._dict[key]
            return
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        self._items = self._items[:i] + self._items[i + 2:]

    def __iter__(self):
        return iter(self._dict if self._dict is not None else self._items[0::2])

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else len(self._items) // 2

    def __contains__(self, key) -> bool:
        return key in self._dict if self._dict is not None else self._find(key) >= 0

    def copy(self) -> dict:
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class _LeanMultiDiGraph(nx.MultiDiGraph):
    """A :class:`networkx.MultiDiGraph` that keeps each node's neighbours and each node
    pair's parallel edges in a :class:`_SmallMap`; copies and subgraphs keep the class."""

    adjlist_inner_dict_factory = _SmallMap
    edge_key_dict_factory = _SmallMap


class _Interner:
    """Calls return one shared object per distinct value (None stays None): a park's name
    is stored once, not once per firm."""

    def __init__(self):
        self._seen: dict = {}

    def __call__(self, value):
        if value is None:
            return None
        return self._seen.setdefault(value, value)


class _FrozenAttrs(dict):
    """A dict that refuses changes (``TypeError``): the attributes shared by many edges.
    Copies (``dict(d)``, ``d.copy()``, ``G.copy()``) are plain dicts; pickling works."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("边的属性在多条边之间共用，不能修改；请先 G.copy() / "
                        "edge attributes are shared between edges: copy the graph to change them")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))


class _SharedAttrs:
    """One read-only attribute dict per distinct set of edge attributes (``None`` values
    dropped, see :func:`_attrs`). Edges are the bulk of a large graph and their attributes
    repeat (label, segment, a date), so sharing saves a dict per edge; being read-only, a
    shared dict cannot be changed through one edge for all of them."""

    def __init__(self):
        self._seen: dict = {}

    def __call__(self, **values) -> _FrozenAttrs:
        values = _attrs(**values)
        key = tuple(values.items())
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = _FrozenAttrs(values)
        return found


def _add_edge(G: nx.MultiDiGraph, u: str, v: str, data: _FrozenAttrs) -> None:
    """Add an edge whose attributes are the shared mapping ``data``.

    networkx keeps one key dict per (u, v) pair, seen from both ends, mapping each
    parallel edge's key to its attribute dict; the new edge's entry is pointed at ``data``
    instead of a fresh dict of its own.
    """
    key = G.add_edge(u, v)
    G._succ[u][v][key] = data


def _pair_counts(keys: np.ndarray, values: np.ndarray, size: int) -> dict[int, int]:
    """For each key, how many distinct values it is paired with (``values`` < ``size``).
    Sort-based: numpy's hash-based unique was slower at a million pairs."""
    if not len(keys):
        return {}
    pairs = np.sort(keys * size + values)
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    owners = pairs // size
    starts = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
    counts = np.diff(np.append(starts, len(owners)))
    return dict(zip(owners[starts].tolist(), counts.tolist()))


def _rows_by_id(conn, query, id_column, ids: list[int]) -> dict[int, object]:
    """Rows of ``query`` whose ``id_column`` is in ``ids``, fetched in batches
    (bound-parameter limits), by id."""
    out: dict[int, object] = {}
    for i in range(0, len(ids), 5000):
        for row in conn.execute(query.where(id_column.in_(ids[i:i + 5000]))):
            out[row.id] = row
    return out


# --------------------------------------------------------------------------- coverage


def _of_type(G: nx.MultiDiGraph, kind: str) -> list[str]:
    return [n for n, d in G.nodes(data=True) if d.get("type") == kind]


def firm_flags(G: nx.MultiDiGraph, node: str) -> tuple[bool, bool, bool]:
    """(organisation-covered, work-covered, single-unit) of a firm node, from its edges.

    Work-covered excludes organisation-covered firms, as in the definition.
    """
    org = work = single = False
    for source, _, data in G.in_edges(node, data=True):
        if data["label"] == "covers":
            org = True
            single = single or G.nodes[source].get("formation") == "single"
        elif data["label"] == "assigned":
            work = True
    return org, work and not org, single


def _count(G: nx.MultiDiGraph, firms) -> Counts:
    counts = Counts()
    for node in firms:
        org, work, single = firm_flags(G, node)
        counts.firms += 1
        counts.org_covered += org
        counts.work_covered += work
        counts.single_unit += single
    counts.uncovered = counts.firms - counts.org_covered - counts.work_covered
    return counts


def _names_attr(names) -> str:
    """A set of names as a graph attribute: GraphML holds strings, and a JSON list keeps
    names that contain any separator ("" = no restriction)."""
    return "" if names is None else json.dumps(sorted(names), ensure_ascii=False)


def _names_from_attr(text: str) -> frozenset | None:
    """The set of names of :func:`_names_attr` (``;``-joined text from older graphs too).

    >>> sorted(_names_from_attr(_names_attr({"科学城;东区", "BIO"})))
    ['BIO', '科学城;东区']
    >>> _names_from_attr("") is None
    True
    """
    if not text:
        return None
    if text.startswith("["):
        return frozenset(json.loads(text))
    return frozenset(text.split(";"))


def coverage_from_graph(
    G: nx.MultiDiGraph,
    by: str | None = None,
    denominator: str | None = None,
    lang: str = "zh",
) -> CoverageResult:
    """The coverage figures of :func:`tracker.coverage.coverage`, computed from the graph.

    Parameters
    ----------
    G : a graph made by :func:`build_graph` (its date and scope are those of the figures)
    by : one of :data:`tracker.coverage.GROUPINGS`, or None for the total only
    denominator : a key of :data:`tracker.coverage.DENOMINATORS`; default the plan's
    lang : language of the group names

    Examples
    --------
    >>> coverage_from_graph(G, by="chain").group("BIO").counts.firms   # doctest: +SKIP
    412
    """
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"未知的分组方式：{by}（可选：{'、'.join(GROUPINGS)}）")
    denominator = denominator or G.graph.get("denominator") or "chain_firms"
    if denominator not in DENOMINATORS:
        raise ValueError(f"未知的统计口径：{denominator}（可选：{'、'.join(DENOMINATORS)}）")
    firms = [n for n in _of_type(G, "firm")
             if denominator == "chain_firms" or G.nodes[n].get("above_size")]
    total = _count(G, firms)
    groups = _graph_groups(G, firms, by, lang) if by else []
    plan = None
    if "plan_name" in G.graph:
        plan = {"name": G.graph["plan_name"], "start": G.graph["plan_start"],
                "deadline": G.graph["plan_deadline"], "target_rate": G.graph["plan_target_rate"]}
    scope = Scope(chains=_names_from_attr(G.graph.get("scope_chains", "")),
                  areas=_names_from_attr(G.graph.get("scope_areas", "")))
    return CoverageResult(
        as_of=date.fromisoformat(G.graph["as_of"]),
        plan=plan,
        denominator=denominator,
        denominator_text=DENOMINATORS[denominator][lang if lang in ("zh", "en") else "zh"],
        by=by,
        total=total,
        groups=groups,
        scope=scope,
    )


def _graph_groups(G: nx.MultiDiGraph, firms: list[str], by: str, lang: str) -> list[Group]:
    members: dict[object, set[str]] = defaultdict(set)
    if by in ("chain", "segment"):
        for node in firms:
            for _, target, data in G.out_edges(node, data=True):
                if data["label"] == "in_chain":
                    key = G.nodes[target]["code"] if by == "chain" else data["segment"]
                    members[key].add(node)
    else:
        attribute = {"park": "park", "street": "street", "ownership": "ownership",
                     "scale": "above_size"}[by]
        for node in firms:
            members[G.nodes[node].get(attribute)].add(node)
    found = {key: _count(G, sorted(nodes)) for key, nodes in members.items()}
    chains = None
    if by == "chain":
        nodes = sorted((G.nodes[n] for n in _of_type(G, "chain")),
                       key=lambda d: (d["sort_order"], d["code"]))
        chains = [(d["code"], d["name"], d["name_en"]) for d in nodes]
    return name_groups(by, found, lang, chains)


# --------------------------------------------------------------------------- analyses


def _org_tree(G: nx.MultiDiGraph) -> nx.DiGraph:
    """The organisation tree as a plain digraph, edges parent → child."""
    tree = nx.DiGraph()
    tree.add_nodes_from(_of_type(G, "org"))
    tree.add_edges_from((parent, child) for child, parent, data in G.edges(data=True)
                        if data["label"] == "parent")
    return tree


def _covered_by(G: nx.MultiDiGraph, org: str) -> set[str]:
    return {target for _, target, data in G.out_edges(org, data=True) if data["label"] == "covers"}


def org_rollup(G: nx.MultiDiGraph) -> dict[str, dict[str, int]]:
    """Members and covered firms per subtree of the organisation tree.

    ``members`` sums ``member_count`` over the organisation and all its descendants (each
    organisation's count is taken as its own members, not those of its children);
    ``covered_firms`` counts the distinct graph firms covered by any organisation of the
    subtree; ``direct_firms`` those covered by the organisation itself.

    Returns
    -------
    dict
        ``{org_code: {"members": int, "covered_firms": int, "direct_firms": int}}``

    Examples
    --------
    >>> org_rollup(G)["DISPLAY-C"]                                   # doctest: +SKIP
    {'members': 89, 'covered_firms': 11, 'direct_firms': 1}
    """
    tree = _org_tree(G)
    firms: dict[str, set[str]] = {}
    members: dict[str, int] = {}
    # Children before parents: each subtree is finished before its parent is summed.
    for org in reversed(list(nx.topological_sort(tree))):
        covered = set(_covered_by(G, org))
        total = int(G.nodes[org].get("members", 0))
        for child in tree.successors(org):
            covered |= firms[child]
            total += members[child]
        firms[org], members[org] = covered, total
    return {
        G.nodes[org]["code"]: {"members": members[org], "covered_firms": len(firms[org]),
                               "direct_firms": len(_covered_by(G, org))}
        for org in sorted(tree.nodes)
    }


def _firm_chains(G: nx.MultiDiGraph, firm: str) -> set[str]:
    return {G.nodes[target]["code"] for _, target, data in G.out_edges(firm, data=True)
            if data["label"] == "in_chain"}


def cross_chain_orgs(G: nx.MultiDiGraph, subtree: bool = False) -> list[dict]:
    """Organisations whose covered firms are in two or more chains on the graph's date.

    Parameters
    ----------
    subtree : count the firms covered by the whole subtree instead of the organisation's own

    Returns
    -------
    list of dict
        ``{"org", "name", "chains": [codes], "firms": n}`` sorted by org code.
    """
    tree = _org_tree(G) if subtree else None
    out = []
    for org in sorted(_of_type(G, "org")):
        scope = {org} | (nx.descendants(tree, org) if tree is not None else set())
        covered = set().union(*(_covered_by(G, o) for o in scope))
        chains = set().union(*(_firm_chains(G, f) for f in covered)) if covered else set()
        if len(chains) >= 2:
            out.append({"org": G.nodes[org]["code"], "name": G.nodes[org]["name"],
                        "chains": sorted(chains), "firms": len(covered)})
    return out


def chain_master_reach(G: nx.MultiDiGraph, chain_code: str | None = None,
                       max_hops: int | None = None) -> list[dict]:
    """How far the organisations of chain-master firms reach along supply links.

    For every organisation that covers a chain-master firm (a master of ``chain_code`` if
    given, else of any chain), the firms reachable from those masters along supply links
    in either direction (only links and firms of ``chain_code`` if given), excluding the
    masters themselves, split by coverage status. ``max_hops`` bounds the path length
    (1: direct suppliers and buyers only); None follows the links to the end.

    Returns
    -------
    list of dict
        ``{"org", "org_name", "masters": [credit codes], "reachable": [...],
        "covered": [...], "uncovered": [...], "covered_by_org": [...]}``, sorted by org
        code; ``covered`` holds organisation- or work-covered firms, ``covered_by_org``
        those covered by this same organisation.
    """
    if chain_code is not None and chain_node(chain_code) not in G:
        raise TrackerError(f"图中没有产业链 {chain_code}")
    supply = nx.Graph()
    for u, v, data in G.edges(data=True):
        if data["label"] != "supplies":
            continue
        if chain_code is not None and (data.get("chain") != chain_code
                                       or chain_code not in _firm_chains(G, u)
                                       or chain_code not in _firm_chains(G, v)):
            continue
        supply.add_edge(u, v)
    masters_of: dict[str, set[str]] = defaultdict(set)
    for firm, target, data in G.edges(data=True):
        if data["label"] != "in_chain" or not data.get("chain_master"):
            continue
        if chain_code is not None and G.nodes[target]["code"] != chain_code:
            continue
        for org, _, edge in G.in_edges(firm, data=True):
            if edge["label"] == "covers":
                masters_of[org].add(firm)
    if max_hops is not None and max_hops < 0:
        raise ValueError("max_hops 不能为负数")
    # Unbounded reach is the connected component: find each component once.
    component: dict[str, frozenset[str]] = {}
    if max_hops is None:
        for part in nx.connected_components(supply):
            part = frozenset(part)
            component.update(dict.fromkeys(part, part))
    credit = {n: d["credit_code"] for n, d in G.nodes(data=True) if d.get("type") == "firm"}
    status = {n: G.nodes[n]["status"] for n in credit}
    out = []
    for org in sorted(masters_of):
        masters = masters_of[org]
        reach: set[str] = set()
        for firm in masters:
            if firm not in supply:
                continue
            if max_hops is None:
                reach |= component[firm]
            else:
                reach |= set(nx.single_source_shortest_path_length(supply, firm, cutoff=max_hops))
        reach -= masters
        own = _covered_by(G, org)
        reached = sorted(reach)  # node ids sort as their credit codes do
        out.append({
            "org": G.nodes[org]["code"],
            "org_name": G.nodes[org]["name"],
            "masters": [credit[n] for n in sorted(masters)],
            "reachable": [credit[n] for n in reached],
            "covered": [credit[n] for n in reached if status[n] != "none"],
            "uncovered": [credit[n] for n in reached if status[n] == "none"],
            "covered_by_org": [credit[n] for n in reached if n in own],
        })
    return out


def chain_subgraph(G: nx.MultiDiGraph, chain_code: str) -> nx.MultiDiGraph:
    """The picture of one chain: its node, its firms, their supply links within the chain
    (or without a chain), the organisations covering them with their ancestors, and the
    liaisons assigned to them. A copy: changing it leaves ``G`` alone.
    """
    centre = chain_node(chain_code)
    if centre not in G:
        raise TrackerError(f"图中没有产业链 {chain_code}")
    firms = {u for u, _, data in G.in_edges(centre, data=True) if data["label"] == "in_chain"}
    nodes = {centre} | firms
    tree = _org_tree(G)
    for firm in firms:
        for source, _, data in G.in_edges(firm, data=True):
            if data["label"] == "covers":
                nodes |= {source} | nx.ancestors(tree, source)
            elif data["label"] == "assigned":
                nodes.add(source)
    sub = G.subgraph(nodes).copy()
    sub.remove_edges_from([
        (u, v, k) for u, v, k, data in sub.edges(keys=True, data=True)
        if data["label"] == "supplies" and data.get("chain") not in (None, chain_code)])
    sub.graph["chain"] = chain_code
    return sub


# --------------------------------------------------------------------------- export


def write_graph(G: nx.MultiDiGraph, path: str | Path, fmt: str) -> Path:
    """Write the graph as GraphML or GEXF for analysts (Gephi, yEd, networkx).

    Parameters
    ----------
    fmt : ``"graphml"`` or ``"gexf"``

    Examples
    --------
    >>> write_graph(G, "district.graphml", "graphml")                  # doctest: +SKIP
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise TrackerError(f"不支持的图格式：{fmt}（可选：{'、'.join(FORMATS)}）")
    path = Path(path)
    if not path.parent.exists():
        raise TrackerError(f"输出文件夹不存在：{path.parent}")
    if fmt == "graphml":
        nx.write_graphml(G, path, encoding="utf-8")
    else:
        out = G.copy()
        # GEXF has no place for arbitrary graph attributes; keep them in the description.
        description = "; ".join(f"{k}={v}" for k, v in sorted(G.graph.items()))
        out.graph = {"mode": "static", "name": f"Redwood {G.graph.get('as_of', '')}".strip()}
        writer = nx.readwrite.gexf.GEXFWriter(encoding="utf-8", prettyprint=True)
        writer.add_graph(out)
        meta = writer.xml.find("meta")
        if meta is not None:
            ET.SubElement(meta, "description").text = description
        writer.write(path)
    return path
