"""The planner equals the exact integer program on hand-made and random small instances."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.planning.exact import solve
from tracker.planning.plan import (
    FirmItem,
    Instance,
    OfficerItem,
    OrgItem,
    PlannerConfig,
    check_plan,
    plan,
)

D = date(2024, 6, 30)
AREAS = ["park:P0", "park:P1", "street:S1"]


def both(inst):
    heuristic, exact = plan(inst), solve(inst)
    assert check_plan(inst, heuristic) == []
    assert check_plan(inst, exact) == []
    return heuristic, exact


@pytest.mark.parametrize("firms, orgs, officers, cap, expected", [
    # a lone firm with one member in a park: no organisation possible, one new officer
    ([FirmItem("A", 1, park="P")], [], [], 3, (0, 0, 1)),
    # ... and an officer of that park with room takes it
    ([FirmItem("A", 1, park="P")], [], [OfficerItem(1, frozenset({"park:P"}), 2)], 3, (0, 0, 0)),
    # officers at capacity: a new one is needed
    ([FirmItem("A", 0, park="P")], [], [OfficerItem(1, frozenset({"park:P"}), 3)], 3, (0, 0, 1)),
    # a park whose firms pool fewer than 3 formal members: liaisons only
    ([FirmItem("A", 1, park="P"), FirmItem("B", 1, park="P"), FirmItem("C", 0, park="P")],
     [], [], 3, (0, 0, 1)),
    # the same park with a joint branch that has room for two
    ([FirmItem("A", 1, park="P"), FirmItem("B", 1, park="P"), FirmItem("C", 0, park="P")],
     [OrgItem("J", "park:P", covered=3, members=8)], [], 3, (0, -2, 1)),
    # 3 one-member firms and 8 without members: one branch of 5, 6 firms to 2 new officers
    ([FirmItem(f"M{i}", 1, park="P") for i in range(3)]
     + [FirmItem(f"Z{i}", 0, park="P") for i in range(8)], [], [], 3, (0, -5, 3)),
    # the same pooled members across two parks cannot be combined
    ([FirmItem("A", 1, park="P"), FirmItem("B", 2, park="Q")], [], [], 3, (0, 0, 2)),
    # R1: a firm with 4 formal members in a joint branch forms its own (already org-covered)
    ([FirmItem("A", 4, park="P", status="org")], [], [], 3, (0, -1, 1)),
    # an officer spanning two areas saves the officer where the remainder is small
    ([FirmItem(f"A{i}", 0, park="P") for i in range(3)] + [FirmItem("B", 0, park="Q")], [],
     [OfficerItem(1, frozenset({"park:P", "park:Q"}), 2)], 3, (0, 0, 1)),
])
def test_hand_made_optimum(firms, orgs, officers, cap, expected):
    inst = Instance(D, firms, orgs, officers, PlannerConfig(liaison_capacity=cap))
    heuristic, exact = both(inst)
    assert exact.objective == expected
    assert heuristic.objective == expected


def test_memberless_rule_switch():
    firms = [FirmItem("A", 2, park="P"), FirmItem("B", 1, park="P"), FirmItem("C", 0, park="P")]
    loose = Instance(D, firms, config=PlannerConfig(allow_memberless_in_joint=True))
    strict = Instance(D, firms, config=PlannerConfig(allow_memberless_in_joint=False))
    assert both(loose)[1].objective == (0, -3, 1)
    h, e = both(strict)
    assert e.objective == h.objective == (0, -2, 2)
    liaison = [a for a in h.actions if a.type == "assign_liaison"]
    assert [a.firms for a in liaison] == [["C"]]


firm_st = st.builds(
    lambda i, formal, prob, area, chains, status: (formal, prob, area, chains, status),
    st.integers(), st.sampled_from([0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 55]), st.integers(0, 2),
    st.sampled_from(AREAS + [None]), st.lists(st.sampled_from("ABC"), min_size=1, max_size=2,
                                                unique=True),
    st.sampled_from(["none", "none", "none", "work", "org"]))


@st.composite
def instances(draw):
    rows = draw(st.lists(firm_st, max_size=24))
    firms = []
    for i, (formal, prob, area, chains, status) in enumerate(rows):
        park = area[5:] if area and area.startswith("park:") else None
        street = area[7:] if area and area.startswith("street:") else None
        firms.append(FirmItem(f"F{i:02d}", formal, prob, park, street, tuple(chains), status,
                              single_unit=status == "org" and draw(st.booleans())))
    orgs = [OrgItem(f"O{j}", draw(st.sampled_from(AREAS)), draw(st.integers(0, 5)),
                    draw(st.integers(3, 50)), draw(st.sampled_from(["branch", "general_branch"])))
            for j in range(draw(st.integers(0, 3)))]
    cap = draw(st.integers(1, 4))
    officers = [OfficerItem(k, frozenset(draw(st.lists(st.sampled_from(AREAS), min_size=1,
                                                       max_size=2, unique=True))),
                            draw(st.integers(0, cap)))
                for k in range(draw(st.integers(0, 4)))]
    config = PlannerConfig(liaison_capacity=cap, allow_memberless_in_joint=draw(st.booleans()))
    return Instance(D, firms, orgs, officers, config)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_planner_equals_exact_optimum(inst):
    heuristic, exact = both(inst)
    assert heuristic.objective == exact.objective
    assert heuristic.covered_after == len(inst.firms)
