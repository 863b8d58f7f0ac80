"""What the graph answers: coverage figures, organisation roll-ups, the reach of chain
masters, the picture of one chain.

:func:`coverage_from_graph` computes the coverage figures from the graph alone; the tests
hold them equal to :func:`tracker.coverage.coverage`, which computes them in SQL.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> from tracker.graph import build_graph
>>> G = build_graph(empty_store(), date(2024, 1, 1))
>>> coverage_from_graph(G, by="chain").groups[0].counts.firms
0
>>> org_rollup(G), chain_master_reach(G)
({}, [])
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import networkx as nx

from ..coverage import DENOMINATORS, GROUPINGS, Counts, CoverageResult, Group, name_groups
from ..errors import TrackerError
from ..i18n import t
from ..scope import Scope
from .nodes import chain_node, names_from_attr

__all__ = [
    "chain_master_reach",
    "chain_subgraph",
    "coverage_from_graph",
    "cross_chain_orgs",
    "firm_flags",
    "org_rollup",
]


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
        counts.work_visited += bool(work and G.nodes[node].get("visited"))
    counts.uncovered = counts.firms - counts.org_covered - counts.work_covered
    return counts


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
        raise ValueError(t("common.err_unknown_grouping", by=by, choices="、".join(GROUPINGS)))
    denominator = denominator or G.graph.get("denominator") or "chain_firms"
    if denominator not in DENOMINATORS:
        raise ValueError(t("common.err_unknown_denominator", denominator=denominator,
                           choices="、".join(DENOMINATORS)))
    firms = [n for n in _of_type(G, "firm")
             if denominator == "chain_firms" or G.nodes[n].get("above_size")]
    total = _count(G, firms)
    groups = _graph_groups(G, firms, by, lang) if by else []
    plan = None
    if "plan_name" in G.graph:
        plan = {"name": G.graph["plan_name"], "name_en": G.graph.get("plan_name_en"),
                "start": G.graph["plan_start"],
                "deadline": G.graph["plan_deadline"], "target_rate": G.graph["plan_target_rate"]}
    scope = Scope(chains=names_from_attr(G.graph.get("scope_chains", "")),
                  areas=names_from_attr(G.graph.get("scope_areas", "")))
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
        raise TrackerError(t("common.err_graph_no_chain", code=chain_code))
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
        raise ValueError(t("common.err_negative_hops"))
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
        raise TrackerError(t("common.err_graph_no_chain", code=chain_code))
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
