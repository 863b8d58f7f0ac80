"""The chain network an officer can read (tracker.dashboard.network), the plan page's reach
texts and the forecast's consistent range (issue 15, items 4 and 9).

The structure is read by SQL; the same structure drawn from the chain's graph
(:mod:`tracker.graph`, built independently) must be equal, and its counts per segment and
per chain must equal the coverage figures (the graph stays the cross-check). The layout is
computed once per data version: a second call is answered from the cache, an edit makes a
new one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.chains import init_store
from tracker.coverage import coverage
from tracker.dashboard import network, views
from tracker.demo import load_demo
from tracker.edits import update_firm
from tracker.graph import chain_node
from tracker.planning.forecast import forecast, project
from tracker.scope import Scope
from tracker.store import get_engine

TODAY = date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('network') / 'redwood.db'}"
    engine = get_engine(url)
    init_store(engine)
    load_demo(engine, firms=600, seed=15, today=TODAY)
    yield engine
    engine.dispose()


def _chains(engine) -> list[str]:
    return [code for code, _ in views.chain_list(engine)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(2022, 1, 1), max_value=TODAY), pick=st.integers(0, 12))
def test_structure_counts_equal_the_coverage_figures(demo, day, pick):
    code = _chains(demo)[pick]
    views.clear_cache()
    structure = network.chain_structure(demo, code, day, Scope.of(chains=[code]))
    result = coverage(demo, day, by="segment", scope=Scope.of(chains=[code]),
                      denominator="chain_firms")
    t = result.total
    assert structure.total == {"firms": t.firms, "org": t.org_covered, "work": t.work_covered,
                               "none": t.uncovered}
    expected = {g.key: {"firms": g.counts.firms, "org": g.counts.org_covered,
                        "work": g.counts.work_covered, "none": g.counts.uncovered}
                for g in result.groups}
    found = {s["key"]: {k: s[k] for k in ("firms", "org", "work", "none")}
             for s in structure.segments}
    assert found == expected
    # Each segment's rows add up: its organisation-covered firms are under its
    # organisations, the others in its two buckets; nothing is drawn twice at the top.
    nodes = structure.nodes
    assert len(nodes) <= 1 + len(structure.segments) * (network.TOP_ORGS + 4)
    for segment in structure.segments:
        key = segment["key"]
        buckets = {n["kind"]: n["firms"] for n in nodes
                   if n["segment"] == key and n["kind"] in ("work", "none")}
        assert buckets.get("work", 0) == segment["work"]
        assert buckets.get("none", 0) == segment["none"]
        under_orgs = [n for n in nodes if n["segment"] == key and n["kind"] in ("org", "other")]
        # An organisation may cover several firms and a firm be covered by several: the
        # organisations' firms together are at least the segment's organisation-covered.
        assert sum(n["firms"] for n in under_orgs) >= segment["org"]
        assert all(n["work"] == 0 and n["none"] == 0 for n in under_orgs)
    assert len(structure.firms) == t.firms
    # The graph, built independently, gives the same structure node for node.
    graph = network.chain_graph(demo, code, day, Scope.of(chains=[code]))
    assert network.structure_of(network.facts_from_graph(graph, code)) == structure


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(2023, 1, 1), max_value=TODAY), pick=st.integers(0, 12),
       area=st.sampled_from(["广州科学城", "中新广州知识城", "萝岗街道"]))
def test_an_area_users_structure_equals_the_graphs(demo, day, pick, area):
    code = _chains(demo)[pick]
    scope = Scope.of(chains=[code], areas=[area])
    views.clear_cache()
    structure = network.chain_structure(demo, code, day, scope)
    graph = network.chain_graph(demo, code, day, scope)
    assert network.structure_of(network.facts_from_graph(graph, code)) == structure
    assert structure.total["firms"] == coverage(demo, day, scope=scope,
                                                denominator="chain_firms").total.firms


def test_every_node_is_laid_out_and_labelled(demo):
    code = "BIO"
    structure = network.chain_structure(demo, code, TODAY, Scope.of(chains=[code]))
    assert structure.nodes[0]["id"] == chain_node(code)
    positions = {(n["x"], n["y"]) for n in structure.nodes}
    assert len(positions) == len(structure.nodes)  # no two nodes on one spot
    for lang in ("zh", "en"):
        fig = network.structure_figure(structure, lang)
        texts = [text for trace in fig.data if trace.mode == "markers+text" for text in trace.text]
        assert len(texts) == len(structure.nodes)
        assert all(texts)
        ids = [i for trace in fig.data if trace.customdata is not None for i in trace.customdata]
        assert sorted(ids) == sorted(n.get("ref", n["id"]) for n in structure.nodes)
    # Every edge joins two drawn nodes, and an organisation's edge comes from its segment.
    ids = {n["id"]: n for n in structure.nodes}
    assert len(ids) == len(structure.nodes)  # one organisation under two segments: two ids
    for source, target, _ in structure.edges:
        assert source in ids and target in ids
        if ids[target]["kind"] == "org":
            assert source == f"segment:{ids[target]['segment']}"
            assert ids[target]["x"] > ids[source]["x"]


def test_the_layout_is_computed_once_per_data_version(demo, monkeypatch):
    calls = []
    real = network.structure_of

    def counting(facts):
        calls.append(facts.code)
        return real(facts)

    monkeypatch.setattr(network, "structure_of", counting)
    views.clear_cache()
    scope = Scope.of(chains=["BIO"])
    first = network.chain_structure(demo, "BIO", TODAY, scope)
    again = network.chain_structure(demo, "BIO", TODAY, scope)
    assert again is first and calls == ["BIO"]
    # Another date is another layout; the first stays cached.
    network.chain_structure(demo, "BIO", TODAY - timedelta(days=90), scope)
    assert network.chain_structure(demo, "BIO", TODAY, scope) is first
    assert len(calls) == 2
    # An edit changes the data version: the layout is made again.
    firm = next(f for f in structure_firms(first))
    update_firm(demo, firm, formal_members=99, effective=TODAY)
    after = network.chain_structure(demo, "BIO", TODAY, scope)
    assert after is not first and len(calls) == 3


def structure_firms(structure):
    return [code for code, _ in structure.firms]


def test_neighbourhoods_of_an_organisation_and_a_firm(demo):
    scope = Scope.of(chains=["BIO"])
    structure = network.chain_structure(demo, "BIO", TODAY, scope)
    org, _, firms = structure.orgs[0]
    hood = network.neighbourhood(demo, "BIO", TODAY, f"org:{org}", scope)
    covered = [n for n in hood.nodes if n["kind"] == "firm"]
    # The firms around an organisation are the chain's firms it covers (the structure's count).
    assert hood.hidden == 0 and len(covered) == firms
    assert all("covers" in labels for _, target, labels in hood.edges
               if target.startswith("firm:"))
    firm = covered[0]["id"]
    around = network.neighbourhood(demo, "BIO", TODAY, firm, scope)
    assert f"org:{org}" in {n["id"] for n in around.nodes}
    assert chain_node("BIO") not in {n["id"] for n in around.nodes}
    for lang in ("zh", "en"):
        fig = network.neighbourhood_figure(around, lang)
        assert fig.layout.title.text
    assert network.neighbourhood(demo, "BIO", TODAY, "org:NO-SUCH-ORG", scope) is None


# ------------------------------------------------------------- the plan page's reach dates


@settings(max_examples=60, deadline=None)
@given(slope=st.floats(-3, 6), scope_slope=st.floats(-2, 8), start=st.integers(10, 90),
       horizon=st.integers(6, 60))
def test_no_range_without_a_central_reach_date(slope, scope_slope, start, horizon):
    months = [date(2023, m, 28) for m in range(1, 13)]
    firms = [100 + scope_slope * i for i in range(12)]
    covered = [min(f, start + slope * i) for i, f in enumerate(firms)]
    f = project("*", "全区", months, firms, covered, as_of=months[-1], target=1.0,
                deadline=date(2024, 12, 31), horizon_months=horizon)
    if f.reach is None:
        assert f.reach_earliest is None and f.reach_latest is None
    else:
        assert f.reach_earliest is None or f.reach_earliest <= f.reach
        assert f.reach_latest is None or f.reach_latest >= f.reach


def test_reach_texts_are_short_and_never_double_the_verb(demo):
    day = date(2026, 11, 27)
    result = forecast(demo, day, lang="zh")
    assert result.plan["start"] == "2026-01-01"  # the plan in force, not the default plan
    for lang in ("zh", "en"):
        for found in [result.district, *result.chains]:
            text = views.reach_text(result, found, lang)
            assert len(text["value"]) <= 10
            if found.reach is None:
                assert text["range"] == "—"
                assert str(result.horizon_end.year) in text["value"]
            else:
                assert text["value"] == found.reach.isoformat()
                assert "—" not in text["range"]
    scenario = forecast(demo, day, lang="zh", orgs_per_month=0, assignments_per_month=0)
    sentence = views.what_if_text(scenario, "zh")
    assert "达到目标" in sentence or "达不到目标" in sentence
    assert not ("无法达标" in sentence and "达到目标" in sentence)
