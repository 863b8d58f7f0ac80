"""The chain network an officer can read: the chain's structure by default, one
organisation's or one firm's neighbourhood on demand.

The old picture drew every firm, organisation and liaison of a chain at once (hundreds of
nodes, a spring layout of four seconds at 3,000 firms): nothing could be read. Now:

- :func:`chain_structure` reduces the chain to its **structure**: the chain → its
  segments (环节: 上游/中游/下游) → the party organisations covering firms of each
  segment (the :data:`TOP_ORGS` largest by firms, the rest in one "other organisations"
  node) and, per segment, the firms under liaison work only and the uncovered firms.
  Each node carries its firm counts by status; the layout is a fixed left-to-right tree
  (no force layout), computed once per data version, chain, as-of date and scope
  (:func:`tracker.dashboard.views.cached`).
- :func:`structure_figure` draws it with readable labels, coloured by coverage status
  (:data:`tracker.vocab.STATUS`): organisation-covered, work-covered, uncovered.
- :func:`neighbourhood` and :func:`neighbourhood_figure`: one organisation (the firms
  it covers in the chain, its parent and children) or one firm (its organisations,
  liaisons, suppliers and buyers), at most :data:`MAX_NEIGHBOURS` neighbours.

The structure is read by SQL (:func:`facts_from_store`: 0.2 s where building the chain's
graph took 2.5 s at 100,000 firms); the same structure drawn from the chain's graph
(:func:`facts_from_graph`), which is built independently, must be equal: the tests hold
the two equal, and the segment counts equal to :func:`tracker.coverage.coverage`'s.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> s = chain_structure(empty_store(), "BIO", date(2024, 6, 30))
>>> s.total, s.segments, len(s.nodes)
({'firms': 0, 'org': 0, 'work': 0, 'none': 0}, [], 1)
>>> structure_figure(s, "en").layout.title.text
'Chain structure: segments → party organisations'
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import networkx as nx
import plotly.graph_objects as go
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..coverage import rate
from ..graph import build_graph, chain_node, firm_node, org_node
from ..i18n import percent, t
from ..intervals import active_clause
from ..model import Chain, ChainMembership, CoverageLink, PartyOrg
from ..scope import EVERYTHING, Scope
from ..vocab import ORG_KIND, SEGMENT, STATUS
from . import views
from .charts import FONT

__all__ = [
    "MAX_NEIGHBOURS",
    "TOP_ORGS",
    "Neighbourhood",
    "Structure",
    "StructureFacts",
    "chain_graph",
    "chain_structure",
    "facts_from_graph",
    "facts_from_store",
    "neighbourhood",
    "neighbourhood_figure",
    "structure_figure",
    "structure_of",
]

#: Organisations drawn by name under each segment; the others share one node.
TOP_ORGS = 8
#: Neighbours drawn around an expanded organisation or firm (the rest are counted).
MAX_NEIGHBOURS = 40
#: Longest label drawn beside a node (characters); the hover has the whole name.
LABEL_CHARS = 16
ORG_COLOUR, LIAISON_COLOUR, SEGMENT_COLOUR, CHAIN_COLOUR = "#8e0000", "#ff6f00", "#37474f", "#1a237e"
STATUSES = ("org", "work", "none")
C, M = Chain.__table__, ChainMembership.__table__
L, O = CoverageLink.__table__, PartyOrg.__table__
#: Labels in near-black: the theme's grey is too faint for names beside small markers.
TEXT_COLOUR = "#263238"


def _s(key: str, lang: str, **values) -> str:
    return t(f"meeting.net_{key}", lang, **values)


def _short(text: str, chars: int = LABEL_CHARS) -> str:
    text = str(text or "")
    return text if len(text) <= chars else text[:chars - 1] + "…"


@dataclass(frozen=True)
class Structure:
    """One chain's structure, laid out.

    ``nodes``: dicts with ``id`` (``segment:<key>``, ``segment:<key>/<org node>``,
    ``other:<segment>``, ``work:<segment>``, ``none:<segment>``; the chain's graph node),
    ``ref`` (for an organisation, its graph node ``org:<code>``), ``kind`` (chain, segment,
    org, other, work, none), ``name``, ``segment``, ``firms`` and ``org``/``work``/``none``
    (firm counts by status), ``x``, ``y``; ``edges``: (from id, to id, firms).
    ``segments``: per segment ``key, firms, org, work, none`` (distinct firms); ``total``
    the chain's. ``orgs``: (org code, name, firms) of every organisation covering firms of
    the chain, most firms first; ``firms``: (credit code, name) of every firm, by name.
    """

    code: str
    name: str
    name_en: str
    total: dict
    segments: list[dict]
    nodes: list[dict]
    edges: list[tuple]
    orgs: list[tuple] = field(default_factory=list)
    firms: list[tuple] = field(default_factory=list)


def _counts(statuses) -> dict:
    out = {"firms": 0, "org": 0, "work": 0, "none": 0}
    for status in statuses:
        out["firms"] += 1
        out[status if status in STATUSES else "none"] += 1
    return out


@dataclass(frozen=True)
class StructureFacts:
    """What a chain's structure is drawn from, by graph node id (``firm:<credit code>``,
    ``org:<code>``): ``firms`` node → (segment in the chain, status, credit code, name);
    ``covers`` (organisation node, firm node) pairs: active links of active organisations;
    ``orgs`` node → (code, name, kind). Read from the store (:func:`facts_from_store`)
    or from the chain's graph (:func:`facts_from_graph`): the two must be equal."""

    code: str
    name: str
    name_en: str
    firms: dict[str, tuple[str, str, str, str]]
    covers: list[tuple[str, str]]
    orgs: dict[str, tuple[str, str, str | None]]


def facts_from_graph(G: nx.MultiDiGraph, code: str) -> StructureFacts:
    """The structure's facts of chain ``code`` in ``G`` (a district or chain graph)."""
    centre = chain_node(code)
    chain = G.nodes[centre] if centre in G else {}
    firms: dict[str, tuple] = {}
    if centre in G:
        for firm, _, data in G.in_edges(centre, data=True):
            if data.get("label") == "in_chain" and firm not in firms:
                node = G.nodes[firm]
                firms[firm] = (data.get("segment") or "", node.get("status", "none"),
                               node.get("credit_code", firm), node.get("name", firm))
    covers = [(org, firm) for firm in firms for org, _, data in G.in_edges(firm, data=True)
              if data.get("label") == "covers"]
    orgs = {org: (G.nodes[org].get("code", ""), G.nodes[org].get("name", org),
                  G.nodes[org].get("kind")) for org, _ in covers}
    return StructureFacts(code, chain.get("name", code), chain.get("name_en", code), firms,
                          covers, orgs)


def facts_from_store(engine: Engine, code: str, as_of: date, scope: Scope) -> StructureFacts:
    """The structure's facts of chain ``code`` on ``as_of`` within ``scope``, read by SQL:
    the population and status of :func:`tracker.coverage.firm_status` (the chain's firms,
    as the graph counts them), each firm's segment (its first active membership row of the
    chain), and the active links of active organisations to those firms."""
    frame = views.population_frame(engine, as_of, scope, "chain_firms")
    ids = frame["firm_id"].tolist()
    node_of = dict(zip(ids, (firm_node(c) for c in frame["credit_code"])))
    with engine.connect() as conn:
        chain = conn.execute(sa.select(C.c.id, C.c.name_zh, C.c.name_en)
                             .where(C.c.code == code)).one_or_none()
        segment_of: dict[int, str] = {}
        covers: list[tuple[int, int]] = []
        orgs: dict[int, tuple] = {}
        if chain is not None and ids:
            for firm_id, segment in conn.execute(
                    sa.select(M.c.firm_id, M.c.segment)
                    .where(M.c.chain_id == chain.id, active_clause(M.c.joined, M.c.left, as_of))
                    .order_by(M.c.id)):
                segment_of.setdefault(firm_id, segment or "")
            for org_id, firm_id, org_code, name, kind in conn.execute(
                    sa.select(L.c.org_id, L.c.firm_id, O.c.code, O.c.name, O.c.kind)
                    .join_from(L, O, O.c.id == L.c.org_id)
                    .join(M, sa.and_(M.c.firm_id == L.c.firm_id, M.c.chain_id == chain.id))
                    .where(active_clause(L.c.start, L.c.end, as_of),
                           active_clause(O.c.founded, O.c.dissolved, as_of),
                           active_clause(M.c.joined, M.c.left, as_of))
                    .distinct()):
                if firm_id in node_of:
                    covers.append((org_id, firm_id))
                    orgs[org_id] = (org_code, name, kind)
    firms = {node_of[i]: (segment_of.get(i, ""), status, credit_code, name)
             for i, status, credit_code, name in zip(ids, frame["status"], frame["credit_code"],
                                                    frame["name"])}
    org_node_of = {i: org_node(info[0]) for i, info in orgs.items()}
    return StructureFacts(
        code, chain.name_zh if chain else code, (chain.name_en or code) if chain else code,
        firms, sorted({(org_node_of[o], node_of[f]) for o, f in covers}),
        {org_node_of[i]: info for i, info in orgs.items()})


def structure_of(facts: StructureFacts) -> Structure:
    """The chain's structure from its facts, laid out."""
    code, centre = facts.code, chain_node(facts.code)
    segment_of = {firm: info[0] for firm, info in facts.firms.items()}
    status = {firm: info[1] for firm, info in facts.firms.items()}
    # (org, segment) -> the firms of the segment it covers.
    covered: dict[tuple[str, str], set] = defaultdict(set)
    for org, firm in facts.covers:
        covered[(org, segment_of[firm])].add(firm)
    org_name = {org: info[1] for org, info in facts.orgs.items()}
    order = {key: i for i, key in enumerate(SEGMENT.codes)}
    keys = sorted(set(segment_of.values()), key=lambda k: (order.get(k, len(order)), k))
    by_segment: dict[str, list[str]] = defaultdict(list)
    for firm, segment in segment_of.items():
        by_segment[segment].append(firm)

    nodes = [{"id": centre, "kind": "chain", "name": facts.name, "name_en": facts.name_en,
              "segment": "", **_counts(status.values())}]
    edges: list[tuple] = []
    segments: list[dict] = []
    for key in keys:
        members = by_segment[key]
        counts = _counts(status[f] for f in members)
        segments.append({"key": key, **counts})
        seg_id = f"segment:{key}"
        nodes.append({"id": seg_id, "kind": "segment", "name": key, "segment": key, **counts})
        edges.append((centre, seg_id, counts["firms"]))
        # Most firms first; equal counts by name, then by code (the same order from any source).
        orgs = sorted(((org, firms) for (org, seg), firms in covered.items() if seg == key),
                      key=lambda item: (-len(item[1]), org_name.get(item[0], item[0]), item[0]))
        for org, firms in orgs[:TOP_ORGS]:
            org_code, name, kind = facts.orgs[org]
            # One organisation may cover firms of several segments: a node under each,
            # with an id of its own (``ref`` is the graph's node, what a click expands).
            nodes.append({"id": f"{seg_id}/{org}", "ref": org, "kind": "org", "name": name,
                          "code": org_code, "org_kind": kind,
                          "segment": key, **_counts(status[f] for f in firms)})
            edges.append((seg_id, f"{seg_id}/{org}", len(firms)))
        rest = orgs[TOP_ORGS:]
        if rest:
            firms = set().union(*(f for _, f in rest))
            nodes.append({"id": f"other:{key}", "kind": "other", "name": str(len(rest)),
                          "segment": key, **_counts(status[f] for f in firms)})
            edges.append((seg_id, f"other:{key}", len(firms)))
        for kind in ("work", "none"):
            # Firms under liaison work only, and uncovered firms: one node each.
            if counts[kind]:
                nodes.append({"id": f"{kind}:{key}", "kind": kind, "name": kind, "segment": key,
                              "firms": counts[kind], "org": 0, "work": 0, "none": 0,
                              kind: counts[kind]})
                edges.append((seg_id, f"{kind}:{key}", counts[kind]))
    _lay_out(nodes)
    org_firms: dict[str, set] = defaultdict(set)
    for (org, _), firms in covered.items():
        org_firms[org] |= firms
    org_list = sorted(((facts.orgs[o][0], facts.orgs[o][1], len(f)) for o, f in org_firms.items()),
                      key=lambda r: (-r[2], r[1], r[0]))
    firm_list = sorted(((info[2], info[3]) for info in facts.firms.values()),
                       key=lambda r: (r[1], r[0]))
    return Structure(code=code, name=facts.name, name_en=facts.name_en,
                     total={k: nodes[0][k] for k in ("firms", *STATUSES)},
                     segments=segments, nodes=nodes, edges=edges, orgs=org_list, firms=firm_list)


def _lay_out(nodes: list[dict]) -> None:
    """A fixed tree from left to right: chain (x=0), segments (x=1), their organisations and
    buckets (x=2), one row each, top to bottom; a segment beside the middle of its rows."""
    row = 0
    for segment in [n for n in nodes if n["kind"] == "segment"]:
        children = [n for n in nodes if n["kind"] not in ("chain", "segment")
                    and n["segment"] == segment["segment"]]
        first = row
        for child in children:
            child["x"], child["y"] = 2.0, -float(row)
            row += 1
        segment["x"], segment["y"] = 1.0, -(first + max(0, row - 1)) / 2.0
        row += 0.6  # a gap between segments
    nodes[0]["x"], nodes[0]["y"] = 0.0, -max(0.0, row - 1.6) / 2.0


def _scope(code: str, scope: Scope) -> Scope:
    return Scope.of(chains=[code]) if scope == EVERYTHING else scope


@views.cached
def chain_graph(engine: Engine, code: str, as_of: date, scope: Scope = EVERYTHING):
    """The graph of the chain's scope on ``as_of`` (:func:`tracker.graph.build_graph` of the
    chain, narrowed to ``scope``'s areas), shared by the structure and the neighbourhoods.

    Not :func:`tracker.graph.chain_subgraph`'s copy of it: the structure reads the chain's
    node, its firms and their covering organisations, all in the chain's build already (the
    copy cost as much as the build at 100,000 firms)."""
    return build_graph(engine, as_of, _scope(code, scope))


@views.cached
def chain_structure(engine: Engine, code: str, as_of: date, scope: Scope = EVERYTHING) -> Structure:
    """:func:`structure_of` the chain on ``as_of`` within ``scope`` (the chain page's scope:
    the chain, narrowed to the user's areas), read by SQL (:func:`facts_from_store`; the
    chain's graph, which the neighbourhoods need, is built only when one is opened) and
    computed once per data version."""
    return structure_of(facts_from_store(engine, code, as_of, _scope(code, scope)))


def _size(firms: int) -> float:
    return min(44.0, 10.0 + 3.2 * math.sqrt(max(0, firms)))


def _label(node: dict, lang: str) -> str:
    kind, n = node["kind"], node["firms"]
    if kind == "chain":
        name = node["name"] if lang == "zh" else node.get("name_en") or node["name"]
        return f"<b>{name}</b><br>" + _s("firms_rate", lang, n=f"{n:,}",
                                          rate=percent(_rate(node)))
    if kind == "segment":
        return (f"<b>{SEGMENT.label(node['segment'], lang)}</b><br>"
                + _s("firms_rate", lang, n=f"{n:,}", rate=percent(_rate(node))))
    if kind == "org":
        return _s("org_label", lang, name=_short(node["name"]), n=f"{n:,}")
    if kind == "other":
        return _s("other_label", lang, orgs=node["name"], n=f"{n:,}")
    return _s(f"{kind}_label", lang, n=f"{n:,}")


def _rate(node: dict) -> float | None:
    return rate(node["org"] + node["work"], node["firms"])


def _hover(node: dict, lang: str) -> str:
    parts = [STATUS.label(s, lang) + f" {node[s]:,}" for s in STATUSES if node.get(s)]
    head = node["name"] if node["kind"] in ("org",) else _label(node, lang).replace("<br>", " · ")
    if node["kind"] == "org":
        head += f"<br>{node.get('code', '')} · {ORG_KIND.label(node.get('org_kind'), lang)}"
        head += "<br>" + _s("click_to_expand", lang)
    return head + "<br>" + " · ".join(parts)


def _colour(node: dict) -> tuple[str, str]:
    """(marker symbol, colour) of a node."""
    kind = node["kind"]
    if kind == "chain":
        return "star", CHAIN_COLOUR
    if kind == "segment":
        return "hexagon", SEGMENT_COLOUR
    if kind in ("org", "other"):
        return "square", STATUS.colour("org")
    if kind == "work":
        return "circle", STATUS.colour("work")
    return "circle-open", "#616161"


def structure_figure(structure: Structure, lang: str = "zh") -> go.Figure:
    """The structure as a left-to-right tree; ``customdata`` of each node is its graph node
    (``ref``) or its id: a click on an organisation expands it."""
    nodes = {n["id"]: n for n in structure.nodes}
    fig = go.Figure()
    widest = max([1, *(e[2] for e in structure.edges)])
    for source, target, firms in structure.edges:
        a, b = nodes[source], nodes[target]
        fig.add_scatter(x=[a["x"], b["x"]], y=[a["y"], b["y"]], mode="lines", hoverinfo="skip",
                        showlegend=False,
                        line={"color": "#b0bec5", "width": 1 + 7 * firms / widest})
    legend = {"org": _s("legend_org", lang), "work": _s("legend_work", lang),
              "none": _s("legend_none", lang)}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for node in structure.nodes:
        groups[_colour(node)].append(node)
    for (symbol, colour), members in groups.items():
        kind = members[0]["kind"]
        name = legend.get({"other": "org", "org": "org"}.get(kind, kind))
        position = "middle right" if kind not in ("chain", "segment") else "bottom center"
        fig.add_scatter(
            x=[n["x"] for n in members], y=[n["y"] for n in members], mode="markers+text",
            text=[_label(n, lang) for n in members], textposition=position,
            textfont={"size": 13 if kind in ("chain", "segment") else 12, "color": TEXT_COLOUR},
            customdata=[n.get("ref", n["id"]) for n in members],
            hovertext=[_hover(n, lang) for n in members], hoverinfo="text",
            marker={"symbol": symbol, "color": colour, "size": [_size(n["firms"]) for n in members],
                    "line": {"width": 2 if kind == "none" else 0.5, "color": colour}},
            name=name or "", showlegend=name is not None)
    rows = sum(1 for n in structure.nodes if n["kind"] not in ("chain", "segment"))
    fig.update_xaxes(visible=False, range=[-0.35, 3.3], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-max(1, rows + 1.5), 0.9], fixedrange=True)
    fig.update_layout(height=max(320, 34 * rows + 120), font={"family": FONT, "size": 13},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.0, "x": 1, "xanchor": "right",
                              "yanchor": "bottom"},
                      title=_s("structure_title", lang), clickmode="event+select",
                      dragmode=False)
    return fig


@dataclass(frozen=True)
class Neighbourhood:
    """One node (``centre``) and its neighbours (``nodes``: dicts with ``id, kind, name,
    status, x, y``), ``hidden`` neighbours left out beyond :data:`MAX_NEIGHBOURS`."""

    centre: dict
    nodes: list[dict]
    edges: list[tuple]
    hidden: int


_NEIGHBOUR_RANK = {"org": 0, "liaison": 1, "firm": 2}


def _links(G: nx.MultiDiGraph, node: str) -> dict[str, set]:
    """Neighbour → the labels of the edges between it and ``node`` (either way)."""
    out: dict[str, set] = defaultdict(set)
    for _, other, data in G.out_edges(node, data=True):
        out[other].add(data.get("label"))
    for other, _, data in G.in_edges(node, data=True):
        out[other].add(data.get("label"))
    return out


def _supplies_here(G: nx.MultiDiGraph, a: str, b: str, code: str) -> bool:
    """Whether a supply link between ``a`` and ``b`` belongs to chain ``code`` (or none)."""
    datas = [*G.get_edge_data(a, b, default={}).values(), *G.get_edge_data(b, a, default={}).values()]
    return any(d.get("label") == "supplies" and d.get("chain") in (None, code) for d in datas)


def _node_info(G: nx.MultiDiGraph, node: str) -> dict:
    data = G.nodes[node]
    kind = data.get("type")
    name = data.get("name", node)
    return {"id": node, "kind": kind, "name": name, "status": data.get("status"),
            "code": data.get("credit_code") or data.get("code") or "",
            "master": bool(data.get("chain_master"))}


@views.cached
def neighbourhood(engine: Engine, code: str, as_of: date, node: str,
                  scope: Scope = EVERYTHING) -> Neighbourhood | None:
    """The neighbourhood of ``node`` (``org:<code>`` or ``firm:<credit code>``) in the
    chain's graph: every node one edge away but the chain itself; None when the node is not
    in the chain's picture. Neighbours are drawn on a circle around it, by kind and name."""
    G = chain_graph(engine, code, as_of, scope)
    if node not in G or chain_node(code) not in G:
        return None
    # Supply links made in another chain are that chain's (as in chain_subgraph).
    other_chain = {n for n, labels in _links(G, node).items()
                   if labels == {"supplies"} and not _supplies_here(G, node, n, code)}
    around = (set(G.successors(node)) | set(G.predecessors(node))) - {node} - other_chain
    around = {n for n in around if G.nodes[n].get("type") in ("firm", "org", "liaison")}
    infos = sorted((_node_info(G, n) for n in around),
                   key=lambda i: (_NEIGHBOUR_RANK.get(i["kind"], 3), not i["master"],
                                  i["status"] != "none", i["name"]))
    shown, hidden = infos[:MAX_NEIGHBOURS], max(0, len(infos) - MAX_NEIGHBOURS)
    centre = {**_node_info(G, node), "x": 0.0, "y": 0.0}
    count = len(shown)
    for i, info in enumerate(shown):
        angle = math.pi / 2 - 2 * math.pi * i / max(1, count)
        # Two rings when crowded, so that neighbouring labels do not sit on each other.
        radius = 1.0 if count <= 14 or i % 2 == 0 else 1.45
        info["x"], info["y"] = radius * math.cos(angle), radius * math.sin(angle)
    edges = []
    for info in shown:
        labels = {d.get("label") for d in G.get_edge_data(node, info["id"], default={}).values()}
        labels |= {d.get("label") for d in G.get_edge_data(info["id"], node, default={}).values()}
        edges.append((node, info["id"], sorted(label for label in labels if label)))
    return Neighbourhood(centre=centre, nodes=shown, edges=edges, hidden=hidden)


def _node_look(info: dict) -> tuple[str, str]:
    kind = info["kind"]
    if kind == "org":
        return "square", ORG_COLOUR
    if kind == "liaison":
        return "diamond", LIAISON_COLOUR
    status = info.get("status") or "none"
    if status == "none":
        return "circle-open", "#616161"
    return "circle", STATUS.colour(status)


def _side(info: dict) -> str:
    """Where a neighbour's label goes: outwards, so that labels on the circle do not meet."""
    if abs(info["x"]) < 0.35:
        return "top center" if info["y"] >= 0 else "bottom center"
    return "middle right" if info["x"] > 0 else "middle left"


def neighbourhood_figure(hood: Neighbourhood, lang: str = "zh") -> go.Figure:
    """The neighbourhood as a star: the node in the middle, its neighbours around it, each
    labelled; edges coloured by what links them (covers, assigned, supplies, parent)."""
    styles = {"covers": "#e57373", "assigned": "#ffb74d", "supplies": "#546e7a",
              "parent": "#b71c1c"}
    fig = go.Figure()
    for _, target, labels in hood.edges:
        info = next(n for n in hood.nodes if n["id"] == target)
        colour = styles.get(labels[0] if labels else "", "#b0bec5")
        fig.add_scatter(x=[0, info["x"]], y=[0, info["y"]], mode="lines", hoverinfo="skip",
                        showlegend=False, line={"color": colour, "width": 1.5})
    # What links each neighbour to the centre, said in its hover.
    relations = {target: [r for r in labels if r in styles] for _, target, labels in hood.edges}
    everyone = [hood.centre, *hood.nodes]
    kinds = {"org": _s("legend_org_node", lang), "liaison": _s("legend_liaison", lang)}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for info in everyone:
        groups[_node_look(info)].append(info)
    for (symbol, colour), members in groups.items():
        first = members[0]
        name = kinds.get(first["kind"]) or _s(f"legend_{first.get('status') or 'none'}", lang)
        fig.add_scatter(
            x=[m["x"] for m in members], y=[m["y"] for m in members], mode="markers+text",
            text=[(f"<b>{_short(m['name'], 24)}</b>" if m is hood.centre else _short(m["name"]))
                  for m in members],
            textposition=[_side(m) for m in members],
            textfont={"size": 12, "color": TEXT_COLOUR}, customdata=[m["id"] for m in members],
            hovertext=[f"{m['name']}<br>{m['code']}"
                       + (f"<br>{STATUS.label(m['status'], lang)}" if m.get("status") else "")
                       + "".join(f"<br>{_s(f'rel_{r}', lang)}" for r in relations.get(m["id"], ()))
                       for m in members], hoverinfo="text",
            marker={"symbol": symbol, "color": colour,
                    "size": [26 if m is hood.centre else (16 if m.get("master") else 12)
                             for m in members],
                    "line": {"width": 2 if symbol == "circle-open" else 0.5, "color": colour}},
            name=name, showlegend=True)
    title = _s("hood_title", lang, name=hood.centre["name"], n=len(hood.nodes) + hood.hidden)
    if hood.hidden:
        title += _s("hood_hidden", lang, n=hood.hidden, shown=len(hood.nodes))
    fig.update_xaxes(visible=False, range=[-3.0, 3.0], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-1.8, 1.8], fixedrange=True, scaleanchor="x")
    fig.update_layout(height=540, font={"family": FONT, "size": 13},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.02}, title=title,
                      clickmode="event+select", dragmode=False)
    return fig
