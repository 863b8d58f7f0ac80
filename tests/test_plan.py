"""The planner on a hand-built store: actions, JSON contract, simulation with the rule checks."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.coverage import coverage
from tracker.i18n import t
from tracker.planning import action_text, liaison_text
from tracker.planning.heuristic import _best_counts, _flow, _take
from tracker.planning.plan import (
    ACTION_TYPES,
    FirmItem,
    Instance,
    OrgItem,
    PlannerConfig,
    check_plan,
    instance_from_store,
    max_groups,
    plan,
    plan_store,
    simulate,
)
from tracker.rules import check
from tracker.scope import Scope
from tracker.vocab import PLAN_ACTION

D = date(2024, 6, 30)


def build(w):
    """A small district with every kind of gap."""
    # R1: 4 formal members, covered only by a joint branch; a big firm with 60 members.
    w.firm("big4", formal=4, park="科学城", street="萝岗街道")
    w.firm("huge", formal=60, probationary=3, park="科学城", street="萝岗街道", chains=["DISPLAY"])
    # An existing joint branch in 科学城 covering 2 firms (room for 3).
    w.firm("j1", formal=1, park="科学城", street="萝岗街道")
    w.firm("j2", formal=2, park="科学城", street="萝岗街道")
    w.org("JOINT1", formation="joint", members=7, founded="2022-01-01")
    for key in ("j1", "j2", "big4"):
        w.link("JOINT1", key, start="2022-02-01")
    # Uncovered small firms in 科学城 and in 知识城.
    for i, formal in enumerate([1, 2, 1, 0, 0, 1, 2]):
        w.firm(f"k{i}", formal=formal, park="科学城", street="萝岗街道",
               chains=["BIO"] if i % 2 else ["DISPLAY"])
    w.firm("z1", formal=1, park="知识城", street="九佛街道")  # a lone firm with one member
    w.firm("s1", formal=0, street="夏港街道")  # no park: its street is its area
    # A liaison officer serving one firm in 夏港街道 (room for 2 more).
    w.firm("w1", formal=0, street="夏港街道")
    w.liaison("李联络", unit="区工信局")
    w.assign("李联络", "w1", start="2023-01-01")
    # Outside every chain on D: not in the plan.
    w.firm("gone", formal=1, park="科学城", joined="2022-01-01", left="2024-01-01")


def test_plan_on_store_and_simulation(world):
    build(world)
    w, engine = world, world.engine
    result = plan_store(engine, D)
    inst = instance_from_store(engine, D)
    assert check_plan(inst, result) == []
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert set(data) >= {"as_of", "actions", "totals", "coverage_before", "coverage_after",
                         "org_coverage_after"}
    assert set(data["totals"]) >= {"new_orgs", "joined", "liaison_assignments",
                                   "new_liaisons_needed"}
    for a in data["actions"]:
        assert set(a) >= {"type", "firms", "org", "park", "street", "chain",
                          "pooled_formal_members", "reason"}
    by_type = {}
    for a in data["actions"]:
        by_type.setdefault(a["type"], []).append(a)
    branches = {a["firms"][0]: a for a in by_type["form_branch"]}
    assert set(branches) == {w.code("big4"), w.code("huge")}
    assert branches[w.code("huge")]["kind"] == "general_branch"  # 63 members: no R2
    # JOINT1 covers 3 firms on D: room for 2; the rest of 科学城 groups or gets liaisons.
    joins = by_type["join_joint_branch"]
    assert [a["org"] for a in joins] == ["JOINT1"] and len(joins[0]["firms"]) == 2
    assert all(w.code("gone") not in a["firms"] for a in data["actions"])
    lone = next(a for a in data["actions"] if w.code("z1") in a["firms"])
    assert lone["type"] == "assign_liaison" and lone["liaison"] is None
    s1 = next(a for a in data["actions"] if w.code("s1") in a["firms"])
    assert s1["type"] == "assign_liaison" and s1["liaison"]["name"] == "李联络"
    assert data["coverage_after"] == 1.0
    before = coverage(engine, D).total
    assert data["coverage_before"] == before.coverage_rate

    sim = simulate(result, engine)
    assert sim.coverage.coverage_rate == 1.0
    assert sim.coverage.org_covered / sim.coverage.firms == data["org_coverage_after"]
    assert sim.findings == []
    assert check(engine, D, rules=["R1"])  # the store itself still has its R1 findings
    assert coverage(engine, D).total == before  # nothing written


def test_chain_scope_restricts_the_plan(world):
    build(world)
    result = plan_store(world.engine, D, scope=Scope.of(chains=["DISPLAY"]))
    planned = {c for a in result.actions for c in a.firms}
    assert world.code("huge") in planned
    assert world.code("k1") not in planned  # a BIO firm
    assert world.code("k0") in planned


def test_cli_plan_json(world):
    from tracker.cli import run

    build(world)
    url = world.engine.url.render_as_string(hide_password=False)
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run(["--db", url, "plan", "--as-of", D.isoformat(), "--json"])
    assert code == 0
    data = json.loads(buffer.getvalue())
    assert data["as_of"] == D.isoformat() and data["coverage_after"] == 1.0
    assert data["totals"] == plan_store(world.engine, D).as_dict()["totals"]
    # The contract of issue 6, key by key, on what the command prints.
    assert {"as_of", "actions", "totals", "coverage_before", "coverage_after",
            "org_coverage_after"} <= set(data)
    assert {"new_orgs", "joined", "liaison_assignments", "new_liaisons_needed"} <= set(data["totals"])
    assert all(isinstance(data[k], float) and 0 <= data[k] <= 1
               for k in ("coverage_before", "coverage_after", "org_coverage_after"))
    codes = {world.code(k) for k in ("big4", "huge", "z1", "s1", *(f"k{i}" for i in range(7)))}
    for a in data["actions"]:
        assert {"type", "firms", "org", "park", "street", "chain", "pooled_formal_members",
                "reason"} <= set(a)
        assert a["type"] in ACTION_TYPES and set(a["firms"]) <= codes
        assert (a["org"] is not None) == (a["type"] == "join_joint_branch")
    assert data["totals"]["joined"] == sum(len(a["firms"]) for a in data["actions"]
                                           if a["type"] == "join_joint_branch")
    assert data["totals"]["liaison_assignments"] == sum(
        len(a["firms"]) for a in data["actions"] if a["type"] == "assign_liaison")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert run(["--db", url, "plan", "--as-of", D.isoformat()]) == 0
    assert "新建党组织" in buffer.getvalue()
    assert t("planner.new_liaison", "zh", n=1) in buffer.getvalue()  # z1's new officer
    for action in {a["type"] for a in data["actions"]}:
        assert PLAN_ACTION.label(action) in buffer.getvalue()


def test_max_groups_matches_brute_force():
    from itertools import product

    def brute(ones, twos):
        # best number of disjoint groups with >= 3 members, by trying every composition
        best = 0
        for a, b, c in product(range(ones + 1), range(twos + 1), range(twos + 1)):
            # a groups of 1+1+1, b groups of 2+1, c groups of 2+2
            if 3 * a + b <= ones and b + 2 * c <= twos:
                best = max(best, a + b + c)
        return best

    for ones in range(10):
        for twos in range(8):
            assert max_groups(ones, twos) == brute(ones, twos)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["P", "Q", None])), max_size=40),
       st.integers(1, 5))
def test_no_plan_breaks_a_constraint(rows, cap):
    firms = [FirmItem(f"F{i}", formal, park=park, street=None if park else "S",
                      chains=(("A", "B")[i % 2],)) for i, (formal, park) in enumerate(rows)]
    inst = Instance(D, firms, config=PlannerConfig(liaison_capacity=cap))
    result = plan(inst)
    assert check_plan(inst, result) == []
    assert result.coverage_after in (1.0, None)


def test_same_chain_grouped_together():
    firms = ([FirmItem(f"A{i}", 1, park="P", chains=("BIO",)) for i in range(3)]
             + [FirmItem(f"B{i}", 1, park="P", chains=("IC",)) for i in range(3)])
    result = plan(Instance(D, firms))
    groups = [a for a in result.actions if a.type == "form_joint_branch"]
    assert len(groups) == 2
    assert sorted(a.chain for a in groups) == ["BIO", "IC"]
    assert all(len(a.chains) == 1 for a in groups)


def test_instance_from_a_given_frame_is_the_same(world):
    """The report hands the planner its firm_status frame: the instance is the one read alone."""
    from tracker.coverage import firm_status

    build(world)
    engine = world.engine
    alone = instance_from_store(engine, D)
    given_frame = instance_from_store(engine, D, frame=firm_status(engine, D))
    assert given_frame.firms == alone.firms and given_frame.orgs == alone.orgs
    assert given_frame.officers == alone.officers
    codes = {f.code: f for f in alone.firms}
    assert codes[world.code("s1")].park is None and codes[world.code("s1")].street == "夏港街道"
    assert codes[world.code("huge")].chains == ("DISPLAY",)
    assert plan(given_frame).as_dict() == plan_store(engine, D).as_dict()


def _take_by_sorting(firms, n, prefer):
    """The definition of tracker.planning.heuristic._take: preferred chain first, stable, in index order."""
    order = sorted(range(len(firms)), key=lambda i: (not (set(firms[i].chains) & prefer), i))
    chosen = sorted(order[:n])
    return [firms[i] for i in chosen], [f for i, f in enumerate(firms) if i not in chosen]


@given(st.lists(st.lists(st.sampled_from(["BIO", "AUTO", "SOFT"]), max_size=2, unique=True),
                max_size=12),
       st.integers(min_value=-1, max_value=14),
       st.sets(st.sampled_from(["BIO", "AUTO", "SOFT"])))
@settings(max_examples=200, deadline=None)
def test_take_matches_its_definition(chains, n, prefer):
    firms = [FirmItem(f"F{i}", formal=1, park="P", chains=tuple(c)) for i, c in enumerate(chains)]
    expected_taken, expected_left = _take_by_sorting(firms, max(n, 0), prefer)
    left = list(firms)
    assert _take(left, n, prefer) == expected_taken
    assert left == expected_left



def test_flow_reports_officer_to_area_amounts():
    """The max flow (numbered nodes inside) comes back keyed by officer and area."""
    demand = {"park:科学城": 3, "street:夏港街道": 2, None: 0}
    reach = {"park:科学城": [7, 9], "street:夏港街道": [9]}
    value, flow = _flow(demand, reach, {7: 1, 9: 5})
    assert value == 5
    assert flow[("off", 7)] == {("area", "park:科学城"): 1}
    assert flow[("off", 9)] == {("area", "park:科学城"): 2, ("area", "street:夏港街道"): 2}
    assert flow["s"] == {("off", 7): 1, ("off", 9): 4}
    assert _flow({}, reach, {7: 1}) == (0, {})


def _best_counts_by_loop(n0, n1, n2, room, units):
    """The definition of tracker.planning.heuristic._best_counts, one pair at a time."""
    import math

    best = None
    for j1 in range(min(n1, room) + 1):
        for j2 in range(min(n2, room - j1) + 1):
            j0 = min(n0, room - j1 - j2)
            r0, r1, r2 = n0 - j0, n1 - j1, n2 - j2
            g = max_groups(r1, r2)
            grouped = min(r0 + r1 + r2, units * g) if g else 0
            groups = math.ceil(grouped / units)
            key = (j0 + j1 + j2 + grouped, -groups)
            if best is None or key > best[0]:
                best = (key, (j0, j1, j2, grouped, groups))
    return best[1]


@given(st.integers(0, 40), st.integers(0, 300), st.integers(0, 300), st.integers(0, 400),
       st.integers(1, 6))
@settings(max_examples=150, deadline=None)
def test_best_counts_matches_its_definition(n0, n1, n2, room, units):
    """The vectorised enumeration (blocks of 256 rows) picks the loop's pair, ties included."""
    assert _best_counts(n0, n1, n2, room, units) == _best_counts_by_loop(n0, n1, n2, room, units)


def _officer_instance():
    """Officers sharing areas, with spare capacity to choose from: which officer takes which
    firms comes from the max-flow (with string-keyed flow nodes this instance's plan changed
    with ``PYTHONHASHSEED``)."""
    from tracker.planning.plan import OfficerItem

    areas = "323251024003353033330001013134034301131122230424415234434522"
    firms = [FirmItem(f"F{i:03d}", 0, park=f"园区{a}") for i, a in enumerate(areas)]
    officers = [OfficerItem(k, frozenset(f"park:园区{a}" for a in parks), load)
                for k, (parks, load) in enumerate([("0", 0), ("35", 1), ("02", 3), ("0", 3)])]
    return Instance(D, firms, officers=officers,
                    config=PlannerConfig(liaison_capacity=4, allow_memberless_in_joint=False))


def test_the_same_plan_in_every_process():
    """Python salts string hashes per process: the plan must not depend on set order."""
    import os
    import subprocess
    import sys

    script = ("import json, tests.test_plan as m; from tracker.planning.heuristic import plan; "
              "print(json.dumps(plan(m._officer_instance()).as_dict(), ensure_ascii=False))")
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == plan(_officer_instance()).as_dict()


def test_reasons_are_keys_rendered_in_the_readers_language():
    result = plan(_officer_instance())
    inst = Instance(D, [FirmItem("A", 4, park="P"), FirmItem("B", 1, park="P"),
                        FirmItem("C", 2, park="P"), FirmItem("E", 1, park="Q"), FirmItem("Z", 0)],
                    orgs=[OrgItem("J", "park:Q", covered=2, members=6)])
    actions = [*result.actions, *plan(inst).actions]
    assert {a.type for a in actions} == set(ACTION_TYPES)
    for a in actions:
        assert a.reason_key and a.reason == a.reason_text("zh") == a.as_dict()["reason"]
        assert a.reason_en == a.reason_text("en") == a.as_dict()["reason_en"]
        assert a.reason_text("zh") != a.reason_text("en")
    new = [a for a in result.actions if a.new_liaison is not None]
    assert new, "the instance needs new officers"
    for lang in ("zh", "en"):
        officer = t("planner.new_liaison", lang, n=new[0].new_liaison)
        assert liaison_text(new[0], lang) == officer
        assert action_text(new[0], lang) == t("planner.action_with_detail", lang,
                                              action=PLAN_ACTION.label("assign_liaison", lang),
                                              detail=officer)

