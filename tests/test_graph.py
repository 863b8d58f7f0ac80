"""The typed graph at a date: content, figures equal to the SQL coverage, analyses, export."""

from __future__ import annotations

import json
from datetime import date, timedelta

import networkx as nx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import World
from tracker.cli import run
from tracker.coverage import DENOMINATORS, GROUPINGS, coverage
from tracker.errors import TrackerError
from tracker.graph import (build_graph, chain_master_reach, chain_subgraph, coverage_from_graph,
                           cross_chain_orgs, firm_node, org_rollup, write_graph)
from tracker.model import (Assignment, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg,
                           SupplyLink)
from tracker.scope import EVERYTHING, Scope

D = date(2024, 6, 30)


def _labels(G, label):
    return sorted((u, v) for u, v, data in G.edges(data=True) if data["label"] == label)


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def district(world: World) -> World:
    """A small district with a known answer on D = 2024-06-30.

    BIO: A (chain master, own branch O1 under committee P), B (joint branch J), E (left
    BIO on 2024-06-30: out), F (liaison only). DISPLAY: A again, C (joint J, from 2024-07-01
    only: uncovered on D), G (nothing). H is in no chain (linked to J all the same).
    """
    w = world
    w.firm("A", chains=["BIO", "DISPLAY"], formal=30, park="科学城", master=True,
           above_size=True, segment="upstream", joined="2022-01-01")
    w.firm("B", chains=["BIO"], formal=1, park="科学城", street="萝岗街道", segment="downstream")
    w.firm("C", chains=["DISPLAY"], formal=2, street="萝岗街道", ownership="foreign")
    w.firm("E", chains=["BIO"], formal=4, joined="2022-01-01", left="2024-06-30")
    w.firm("F", chains=["BIO"], park="知识城", above_size=True)
    w.firm("G", chains=["DISPLAY"], park="知识城", joined="2024-06-30")
    w.firm("H", chains=[], formal=1)
    w.org("P", kind="committee", formation="regional", members=10, founded="2022-01-01")
    w.org("O1", members=30, parent="P", founded="2022-06-01")
    w.org("J", formation="joint", members=3, parent="P", founded="2023-01-01")
    w.org("OLD", members=5, founded="2020-01-01", dissolved="2024-01-01")
    w.org("LONE", members=4, founded="2023-01-01")
    w.link("O1", "A", start="2022-06-01")
    w.link("J", "B")
    w.link("J", "C", start="2024-07-01")
    w.link("J", "H")
    w.link("OLD", "F")
    w.link("O1", "E")
    w.liaison("王联络", unit="区工信局")
    w.liaison("赵闲置", unit="区商务局")
    w.assign("王联络", "F", start="2024-01-01")
    w.assign("王联络", "B")
    w.supply("A", "B", "BIO")
    w.supply("B", "F", "BIO")
    w.supply("G", "A", "DISPLAY")
    w.supply("A", "C")
    return w


def test_graph_holds_the_population_and_active_facts(district):
    w = district
    G = build_graph(w.engine, D)
    firms = {n for n, d in G.nodes(data=True) if d["type"] == "firm"}
    assert firms == {firm_node(w.code(k)) for k in "ABCFG"}  # E left on D, H in no chain
    orgs = {d["code"] for n, d in G.nodes(data=True) if d["type"] == "org"}
    assert orgs == {"P", "O1", "J", "LONE"}  # OLD dissolved; LONE covers no one but counts
    assert sum(1 for _, d in G.nodes(data=True) if d["type"] == "liaison") == 2
    assert sum(1 for _, d in G.nodes(data=True) if d["type"] == "chain") == 13
    a, b, f = (firm_node(w.code(k)) for k in "ABF")
    assert _labels(G, "covers") == sorted([("org:O1", a), ("org:J", b)])
    assert _labels(G, "parent") == [("org:J", "org:P"), ("org:O1", "org:P")]
    assert sorted(_labels(G, "in_chain")) == sorted(
        [(a, "chain:BIO"), (a, "chain:DISPLAY"), (b, "chain:BIO"), (f, "chain:BIO"),
         (firm_node(w.code("C")), "chain:DISPLAY"), (firm_node(w.code("G")), "chain:DISPLAY")])
    assert len(_labels(G, "supplies")) == 4
    assert len(_labels(G, "assigned")) == 2
    assert G.nodes[a]["status"] == "org" and G.nodes[a]["single_unit"] is True
    assert G.nodes[a]["chain_master"] is True and G.nodes[a]["chains"] == "BIO;DISPLAY"
    assert G.nodes[b]["status"] == "org" and G.nodes[b]["single_unit"] is False
    assert G.nodes[f]["status"] == "work"
    assert G.nodes[firm_node(w.code("C"))]["status"] == "none"
    assert G.nodes["org:J"]["linked_firms"] == 2  # B and H (not in a chain); C starts later
    for _, data in G.nodes(data=True):
        assert None not in data.values()
    # One day later C is covered by J, E is still out, and G still in.
    H = build_graph(w.engine, D + timedelta(days=1))
    assert H.nodes[firm_node(w.code("C"))]["status"] == "org"
    assert H.nodes["org:J"]["linked_firms"] == 3


def test_figures_match_hand_count_and_sql(district):
    w = district
    G = build_graph(w.engine, D)
    result = coverage_from_graph(G, by="chain")
    t = result.total
    # A org(single), B org(joint), F work, C none, G none.
    assert (t.firms, t.org_covered, t.work_covered, t.uncovered, t.single_unit) == (5, 2, 1, 2, 1)
    bio, display = result.group("BIO").counts, result.group("DISPLAY").counts
    assert (bio.firms, bio.org_covered, bio.work_covered, bio.uncovered) == (3, 2, 1, 0)
    assert (display.firms, display.org_covered, display.uncovered) == (3, 1, 2)
    assert result.group("AUTO").counts.firms == 0
    for by in (None, *GROUPINGS):
        for denominator in DENOMINATORS:
            for lang in ("zh", "en"):
                sql = coverage(w.engine, D, by=by, denominator=denominator, lang=lang)
                graph = coverage_from_graph(G, by=by, denominator=denominator, lang=lang)
                assert graph.as_dict() == sql.as_dict(), (by, denominator)
                assert graph.total == sql.total and graph.groups == sql.groups


def test_chain_scope_keeps_scoped_firms_and_their_organisations(district):
    w = district
    scope = Scope.of(chains=["display"])
    G = build_graph(w.engine, D, scope)
    assert {d["code"] for _, d in G.nodes(data=True) if d["type"] == "chain"} == {"DISPLAY"}
    assert {d["credit_code"] for _, d in G.nodes(data=True) if d["type"] == "firm"} == {
        w.code("A"), w.code("C"), w.code("G")}
    # O1 covers A, P is its ancestor; J covers no DISPLAY firm on D, LONE no one.
    assert {d["code"] for _, d in G.nodes(data=True) if d["type"] == "org"} == {"O1", "P"}
    assert sum(1 for _, d in G.nodes(data=True) if d["type"] == "liaison") == 0
    # Supply links of another chain are left out even between scoped firms.
    assert len(_labels(G, "supplies")) == 2  # G→A (DISPLAY) and A→C (no chain)
    assert coverage_from_graph(G, by="chain").as_dict() == coverage(
        w.engine, D, by="chain", scope=scope).as_dict()
    areas = Scope.of(areas=["知识城"])
    H = build_graph(w.engine, D, areas)
    assert {d["credit_code"] for _, d in H.nodes(data=True) if d["type"] == "firm"} == {
        w.code("F"), w.code("G")}
    assert coverage_from_graph(H, by="park").as_dict() == coverage(
        w.engine, D, by="park", scope=areas).as_dict()


def test_scope_with_separators_in_area_names_round_trips(world):
    # An area name may contain ";" (the graph once joined names with ";" and split a
    # name like this one into two areas that match nothing).
    w = world
    w.firm("A", chains=["BIO"], formal=5, park="科学城;东区", joined="2022-01-01")
    w.firm("B", chains=["BIO"], formal=5, park="黄埔港", joined="2022-01-01")
    scope = Scope.of(areas=["科学城;东区"], chains=["BIO"])
    G = build_graph(w.engine, D, scope)
    figures = coverage_from_graph(G, by="park")
    assert figures.scope == scope
    assert figures.total.firms == 1
    assert figures.as_dict() == coverage(w.engine, D, by="park", scope=scope).as_dict()
    assert coverage_from_graph(build_graph(w.engine, D)).scope == EVERYTHING


def test_org_rollup_sums_subtrees(district):
    G = build_graph(district.engine, D)
    rollup = org_rollup(G)
    assert rollup["O1"] == {"members": 30, "covered_firms": 1, "direct_firms": 1}
    assert rollup["J"] == {"members": 3, "covered_firms": 1, "direct_firms": 1}
    assert rollup["P"] == {"members": 43, "covered_firms": 2, "direct_firms": 0}
    assert rollup["LONE"] == {"members": 4, "covered_firms": 0, "direct_firms": 0}
    assert set(rollup) == {"P", "O1", "J", "LONE"}


def test_rollup_counts_a_firm_once_per_subtree(world):
    w = world
    w.firm("X", formal=5)
    w.firm("Y")
    w.org("ROOT", kind="committee", members=1)
    w.org("MID", kind="general_branch", members=2, parent="ROOT")
    w.org("LEAF1", members=3, parent="MID")
    w.org("LEAF2", members=4, parent="MID")
    w.link("LEAF1", "X")
    w.link("LEAF2", "X")
    w.link("LEAF2", "Y")
    w.link("ROOT", "Y")
    rollup = org_rollup(build_graph(w.engine, D))
    assert rollup["ROOT"] == {"members": 10, "covered_firms": 2, "direct_firms": 1}
    assert rollup["MID"] == {"members": 9, "covered_firms": 2, "direct_firms": 0}
    assert rollup["LEAF1"]["covered_firms"] == 1


def test_cross_chain_orgs(district):
    G = build_graph(district.engine, D)
    assert cross_chain_orgs(G) == [
        {"org": "O1", "name": "O1党组织", "chains": ["BIO", "DISPLAY"], "firms": 1}]
    # Through its subtree, P reaches A (BIO, DISPLAY) and B (BIO).
    by_subtree = {r["org"]: r for r in cross_chain_orgs(G, subtree=True)}
    assert set(by_subtree) == {"O1", "P"} and by_subtree["P"]["firms"] == 2
    later = build_graph(district.engine, D + timedelta(days=1))
    assert {r["org"] for r in cross_chain_orgs(later)} == {"O1", "J"}  # J: B (BIO), C (DISPLAY)


def test_chain_master_reach(district):
    w = district
    G = build_graph(w.engine, D)
    (reach,) = chain_master_reach(G)
    assert reach["org"] == "O1" and reach["masters"] == [w.code("A")]
    # Undirected along supply links: A-B, B-F, G-A, A-C.
    assert reach["reachable"] == sorted(w.code(k) for k in "BCFG")
    assert reach["covered"] == sorted([w.code("B"), w.code("F")])
    assert reach["uncovered"] == sorted([w.code("C"), w.code("G")])
    assert reach["covered_by_org"] == []
    (bio,) = chain_master_reach(G, "BIO")
    assert bio["reachable"] == sorted([w.code("B"), w.code("F")])
    (display,) = chain_master_reach(G, "DISPLAY")
    assert display["reachable"] == [w.code("G")]  # A→C has no chain
    assert chain_master_reach(G, "AUTO") == []
    (near,) = chain_master_reach(G, max_hops=1)  # F is two hops away, through B
    assert near["reachable"] == sorted(w.code(k) for k in "BCG")
    assert chain_master_reach(G, max_hops=0)[0]["reachable"] == []
    with pytest.raises(TrackerError):
        chain_master_reach(build_graph(w.engine, D, Scope.of(chains=["BIO"])), "DISPLAY")


def test_chain_subgraph(district):
    w = district
    G = build_graph(w.engine, D)
    sub = chain_subgraph(G, "BIO")
    firms = {d["credit_code"] for _, d in sub.nodes(data=True) if d["type"] == "firm"}
    assert firms == {w.code(k) for k in "ABF"}
    assert {d["code"] for _, d in sub.nodes(data=True) if d["type"] == "org"} == {"O1", "J", "P"}
    assert sum(1 for _, d in sub.nodes(data=True) if d["type"] == "liaison") == 1
    assert {d.get("chain") for _, _, d in sub.edges(data=True) if d["label"] == "supplies"} == {"BIO"}
    sub.remove_node(firm_node(w.code("A")))
    assert firm_node(w.code("A")) in G
    with pytest.raises(TrackerError):
        chain_subgraph(G, "NOPE")


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_reads_back(district, tmp_path, fmt):
    w = district
    G = build_graph(w.engine, D)
    # Two memberships of A in BIO (re-joined) make parallel edges: the multigraph must survive.
    w.join("A", "BIO", joined="2021-01-01", segment="midstream")
    G = build_graph(w.engine, D)
    path = write_graph(G, tmp_path / f"district.{fmt}", fmt)
    back = nx.read_graphml(path, force_multigraph=True) if fmt == "graphml" else nx.read_gexf(path)
    assert set(back.nodes) == set(G.nodes)
    assert back.number_of_edges() == G.number_of_edges()
    a = firm_node(w.code("A"))
    assert back.nodes[a]["type"] == "firm"
    assert back.nodes[a]["formal_members"] == 30
    assert back.nodes[a]["chain_master"] is True
    assert back.nodes["org:P"]["members"] == 10
    labels = sorted(d["label"] for _, _, d in back.edges(data=True))
    assert labels == sorted(d["label"] for _, _, d in G.edges(data=True))
    if fmt == "graphml":
        assert back.graph["as_of"] == D.isoformat()
    else:
        assert D.isoformat() in path.read_text(encoding="utf-8")


def test_write_graph_refuses_bad_format_and_folder(district, tmp_path):
    G = build_graph(district.engine, D)
    with pytest.raises(TrackerError, match="不支持"):
        write_graph(G, tmp_path / "g.dot", "dot")
    with pytest.raises(TrackerError, match="文件夹不存在"):
        write_graph(G, tmp_path / "missing" / "g.graphml", "graphml")


def test_graph_command(district, tmp_path, capsys):
    url = _url(district.engine)
    out = tmp_path / "bio.gexf"
    code = run(["--db", url, "graph", "--format", "gexf", "-o", str(out), "--as-of", "2024-06-30",
                "--chain", "BIO"])
    assert code == 0, capsys.readouterr().err
    back = nx.read_gexf(out)
    assert {d["code"] for _, d in back.nodes(data=True) if d["type"] == "chain"} == {"BIO"}
    assert run(["--db", url, "graph", "--format", "graphml", "-o", str(tmp_path / "g.graphml"),
                "--chain", "NOPE"]) == 1
    err = capsys.readouterr().err.strip()
    assert "NOPE" in err and len(err.splitlines()) == 1
    assert run(["--db", url, "graph", "--format", "graphml", "-o", str(tmp_path / "x" / "g.graphml")]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert run(["--db", url, "graph", "--format", "dot", "-o", str(tmp_path / "g.dot")]) != 0


# --------------------------------------------------------------------------- property test

BASE = date(2022, 1, 1)
CHAINS = ("BIO", "DISPLAY", "AUTO")
PARKS = (None, "科学城", "知识城")
STREETS = (None, "萝岗街道", "联和街道")

day = st.integers(min_value=0, max_value=1200)
maybe_day = st.none() | day


@st.composite
def interval(draw):
    start, end = draw(maybe_day), draw(maybe_day)
    if start is not None and end is not None:
        start, end = min(start, end), max(start, end) + 1  # end after start
    return (None if start is None else BASE + timedelta(days=start),
            None if end is None else BASE + timedelta(days=end))


@st.composite
def data_sets(draw):
    n_firms = draw(st.integers(0, 8))
    firms = [dict(ownership=draw(st.sampled_from(["private", "foreign", "state"])),
                  above_size=draw(st.booleans()), park=draw(st.sampled_from(PARKS)),
                  street=draw(st.sampled_from(STREETS)), formal=draw(st.integers(0, 6)))
             for _ in range(n_firms)]
    index = st.integers(0, max(n_firms - 1, 0))
    memberships = [] if not n_firms else draw(st.lists(st.tuples(
        index, st.sampled_from(CHAINS), st.sampled_from(["upstream", "midstream", "downstream"]),
        st.booleans(), interval()), max_size=14))
    n_orgs = draw(st.integers(0, 5))
    orgs = []
    for i in range(n_orgs):
        orgs.append(dict(formation=draw(st.sampled_from(["single", "joint", "regional"])),
                         parent=draw(st.none() | st.integers(0, i - 1)) if i else None,
                         when=draw(interval())))
    links = [] if not (n_firms and n_orgs) else draw(st.lists(st.tuples(
        st.integers(0, n_orgs - 1), index, interval()), max_size=12))
    n_liaisons = draw(st.integers(0, 2))
    assignments = [] if not (n_firms and n_liaisons) else draw(st.lists(st.tuples(
        st.integers(0, n_liaisons - 1), index, interval()), max_size=6))
    return firms, memberships, orgs, links, n_liaisons, assignments


def _clear(engine):
    with engine.begin() as conn:
        for table in (SupplyLink, Assignment, Liaison, CoverageLink, ChainMembership, Firm):
            conn.execute(sa.delete(table.__table__))
        conn.execute(sa.update(PartyOrg.__table__).values(parent_id=None))
        conn.execute(sa.delete(PartyOrg.__table__))


def _load(engine, data) -> World:
    firms, memberships, orgs, links, n_liaisons, assignments = data
    w = World(engine)
    for i, f in enumerate(firms):
        w.firm(f"F{i}", chains=[], formal=f["formal"], park=f["park"], street=f["street"],
               ownership=f["ownership"], above_size=f["above_size"])
    for firm, chain, segment, master, (joined, left) in memberships:
        w.join(f"F{firm}", chain, joined=joined, left=left, segment=segment, master=master)
    for i, o in enumerate(orgs):
        w.org(f"O{i}", formation=o["formation"], founded=o["when"][0], dissolved=o["when"][1],
              parent=f"O{o['parent']}" if o["parent"] is not None else None)
    for org, firm, (start, end) in links:
        w.link(f"O{org}", f"F{firm}", start=start, end=end)
    for i in range(n_liaisons):
        w.liaison(f"联络员{i}")
    for liaison, firm, (start, end) in assignments:
        w.assign(f"联络员{liaison}", f"F{firm}", start=start, end=end)
    return w


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=data_sets(), days=st.lists(day, min_size=1, max_size=3),
       chains=st.none() | st.sets(st.sampled_from(CHAINS), min_size=1),
       areas=st.none() | st.sets(st.sampled_from(PARKS[1:] + STREETS[1:]), min_size=1))
def test_graph_figures_equal_sql_on_random_data(sqlite_engine, data, days, chains, areas):
    _clear(sqlite_engine)
    _load(sqlite_engine, data)
    for scope in (EVERYTHING, Scope.of(chains=chains, areas=areas)):
        for offset in days:
            on = BASE + timedelta(days=offset)
            G = build_graph(sqlite_engine, on, scope)
            for by in (None, *GROUPINGS):
                for denominator in DENOMINATORS:
                    sql = coverage(sqlite_engine, on, by=by, scope=scope, denominator=denominator)
                    graph = coverage_from_graph(G, by=by, denominator=denominator)
                    assert graph.as_dict() == sql.as_dict()
                    assert graph.total == sql.total and graph.groups == sql.groups
            rollup = org_rollup(G)
            for code, figures in rollup.items():
                assert figures["covered_firms"] >= figures["direct_firms"]
            json.dumps(rollup)


# ------------------------------------------------------- the compact storage of a big graph

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["set", "del", "get", "in"]),
                          st.integers(0, 6), st.integers(0, 9)), max_size=40))
def test_edge_key_map_behaves_like_a_dict(operations):
    from tracker.graph import _SmallMap

    compact, plain = _SmallMap(), {}
    for op, key, value in operations:
        if op == "set":
            compact[key] = {"v": value}
            plain[key] = {"v": value}
        elif op == "del":
            if key in plain:
                del compact[key], plain[key]
            else:
                with pytest.raises(KeyError):
                    del compact[key]
        elif op == "get":
            assert compact.get(key) == plain.get(key)
        else:
            assert (key in compact) == (key in plain)
        assert len(compact) == len(plain)
        assert list(compact) == list(plain) and dict(compact.items()) == plain
        assert compact == plain and compact.copy() == plain


def test_big_graph_storage_behaves_like_a_plain_multidigraph(district):
    import pickle
    from copy import deepcopy

    w = district
    w.join("A", "BIO", joined="2023-01-01", segment="upstream")  # A twice in BIO: parallel edges
    G = build_graph(w.engine, D)
    a, bio = firm_node(w.code("A")), "chain:BIO"
    assert isinstance(G, nx.MultiDiGraph)
    assert G.number_of_edges(a, bio) == 2 and len(G[a][bio]) == 2
    assert sorted(d["joined"] for d in G[a][bio].values()) == ["2022-01-01", "2023-01-01"]
    # Shared edge attributes are read-only; a copy has plain dicts of its own to change.
    data = next(iter(G[a][bio].values()))
    with pytest.raises(TypeError):
        data["segment"] = "downstream"
    H = G.copy()
    key = next(iter(H[a][bio]))
    H.edges[a, bio, key]["segment"] = "downstream"
    assert G.edges[a, bio, key]["segment"] == "upstream"
    # Removing and re-adding edges, pickling, and the figures survive.
    H.remove_edge(a, bio, key)
    assert H.number_of_edges(a, bio) == 1 and G.number_of_edges(a, bio) == 2
    H.add_edge(a, bio, label="in_chain", segment="midstream")
    assert H.number_of_edges(a, bio) == 2
    copy = pickle.loads(pickle.dumps(G))
    assert deepcopy(G).edges[a, bio, key] == G.edges[a, bio, key]
    assert G.to_undirected().number_of_edges() == G.number_of_edges()
    assert nx.utils.edges_equal(copy.edges(keys=True, data=True), G.edges(keys=True, data=True))
    assert coverage_from_graph(copy, by="chain").as_dict() == coverage(w.engine, D, by="chain").as_dict()
