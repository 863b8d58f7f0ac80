"""The planner at province scale gives today's plans: the fast paths against plain references.

The greedy planner's hot loops were replaced for a city's areas (issue 17): seeds found
through per-chain cursors, firms placed through heaps of open branches, candidate officer
savings checked by a flow grown one demand at a time, actions built in one pass, the input
read column-wise. The references below are the code as it was before (plain Python, one
firm or one branch at a time, a networkx max-flow from scratch for every candidate saving):
on random districts the planner must give exactly the plan it gave with them, action for
action, and the column-wise read exactly the items of the ``firm_status`` frame.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import fresh_world
from tests.test_coverage import day, model_firm
from tracker.coverage import firm_status
from tracker.planning import heuristic, read
from tracker.planning import result as result_module
from tracker.planning.heuristic import _Carriers, _flow, _primary_chain, plan
from tracker.planning.instance import FirmItem, Instance, OfficerItem, OrgItem, PlannerConfig
from tracker.planning.read import instance_from_store
from tracker.planning.result import Action, _common
from tracker.rules import RuleConfig
from tracker.scope import Scope

D = date(2024, 6, 30)
PARKS = ["P0", "P1", "P2", None]
STREETS = ["S0", "S1", None]
CHAINS = ["AUTO", "BIO", "IC", "SOFT"]


# --- The references: the planner's functions as they were before issue 17 ------------------

def _ref_seeds(ones: list[FirmItem], twos: list[FirmItem]) -> list[list[FirmItem]]:
    """The most covering seeds (2+1, 1+1+1, 2+2), same chain together where possible."""
    ones = sorted(ones, key=lambda f: (_primary_chain(f), f.code))
    twos = sorted(twos, key=lambda f: (_primary_chain(f), f.code))
    a = min(len(ones), len(twos))
    used1, used2 = set(), set()
    pairs = []
    # 2+1 pairs: same chain first, then any.
    for same_chain in (True, False):
        for i, t in enumerate(twos):
            if i in used2 or len(pairs) == a:
                continue
            for j, o in enumerate(ones):
                if j in used1:
                    continue
                if not same_chain or set(t.chains) & set(o.chains):
                    pairs.append([t, o])
                    used1.add(j)
                    used2.add(i)
                    break
    rest1 = [o for j, o in enumerate(ones) if j not in used1]
    rest2 = [t for i, t in enumerate(twos) if i not in used2]
    seeds = pairs
    seeds += [rest1[k:k + 3] for k in range(0, len(rest1) - len(rest1) % 3, 3)]
    seeds += [rest2[k:k + 2] for k in range(0, len(rest2) - len(rest2) % 2, 2)]
    return seeds

def _ref_make_groups(firms: list[FirmItem], count: int, units: int) -> list[list[FirmItem]]:
    """Cut ``firms`` into ``count`` joint branches of ``<= units`` firms, ``>= 3`` formal each."""
    ones = [f for f in firms if f.formal == 1]
    twos = [f for f in firms if f.formal == 2]
    seeds = _ref_seeds(ones, twos)
    # Keep the seeds whose firms share a chain first.
    seeds.sort(key=lambda s: -max(Counter(c for f in s for c in f.chains).values(), default=0))
    groups = [list(s) for s in seeds[:count]]
    in_group = {f.code for g in groups for f in g}
    rest = sorted((f for f in firms if f.code not in in_group),
                  key=lambda f: (-f.formal, _primary_chain(f), f.code))
    for f in rest:
        open_groups = [g for g in groups if len(g) < units]
        same = [g for g in open_groups if any(set(f.chains) & set(h.chains) for h in g)]
        target = min(same or open_groups, key=len)
        target.append(f)
    return groups

def _ref_liaison_demands(left: dict[str, int], officers: list[OfficerItem], spare: dict[int, int],
                     capacity: int) -> dict[str, int]:
    """How many firms of each area existing officers take, to save the most new officers.

    Greedy: the cheapest saving first (an area's remainder ``L mod c``, then whole blocks of
    ``c``), each accepted only if a max-flow shows the officers can carry all demands.
    """
    reach = defaultdict(list)
    for o in officers:
        if spare[o.id] > 0:
            for a in o.areas:
                if left.get(a):
                    reach[a].append(o.id)
    items = []
    for a, n in left.items():
        if not reach.get(a) or n == 0:
            continue
        first = n - capacity * (math.ceil(n / capacity) - 1)
        items.append((first, a))
        items += [(capacity, a)] * (math.ceil(n / capacity) - 1)
    items.sort(key=lambda t: (t[0], t[1] or ""))
    total_spare = sum(spare[o.id] for o in officers if any(reach.get(a) for a in o.areas))
    demand: dict[str, int] = defaultdict(int)
    used = 0
    for cost, a in items:
        if used + cost > total_spare:
            continue
        demand[a] += cost
        if _ref_feasible(demand, reach, spare):
            used += cost
        else:
            demand[a] -= cost
    return {a: d for a, d in demand.items() if d}

def _ref_feasible(demand, reach, spare) -> bool:
    value, _ = _flow(demand, reach, spare)
    return value == sum(d for d in demand.values() if d > 0)

def _ref_chain_of(firms: list[FirmItem]) -> str | None:
    counts = Counter(c for f in firms for c in f.chains)
    if not counts:
        return None
    best = max(counts.values())
    return min(c for c, n in counts.items() if n == best)

def _ref_action(action_type: str, firms: list[FirmItem], reason_key: str, **extra) -> Action:
    return Action(
        type=action_type,
        firms=[f.code for f in firms],
        park=_common(f.park for f in firms),
        street=_common(f.street for f in firms),
        chain=_ref_chain_of(firms),
        chains=sorted({c for f in firms for c in f.chains}),
        pooled_formal_members=sum(f.formal for f in firms),
        members=sum(f.members for f in firms),
        area=_common(f.area for f in firms),
        reason_key=reason_key,
        **extra,
    )

def reference_plan(inst: Instance):
    """The plan the planner gave before issue 17: its old functions swapped back in."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(heuristic, "_make_groups", _ref_make_groups)
        patch.setattr(heuristic, "_liaison_demands", _ref_liaison_demands)
        patch.setattr(result_module, "_action", _ref_action)
        return plan(inst)


def reference_counts(inst: Instance, result) -> tuple[int, int, int, int]:
    """Covered and organisation-covered before and after, counted as before (four passes)."""
    placed_org = {c for a in result.actions if a.type != "assign_liaison" for c in a.firms}
    placed_work = {c for a in result.actions if a.type == "assign_liaison" for c in a.firms}
    return (sum(f.status != "none" for f in inst.firms), sum(f.status == "org" for f in inst.firms),
            sum(f.status != "none" or f.code in placed_org or f.code in placed_work
                for f in inst.firms),
            sum(f.status == "org" or f.code in placed_org for f in inst.firms))


# --- Random districts ----------------------------------------------------------------------

firm_row = st.tuples(st.sampled_from([0, 0, 1, 1, 1, 2, 2, 3, 5]), st.integers(0, 3),
                     st.sampled_from(PARKS), st.sampled_from(STREETS),
                     st.lists(st.sampled_from(CHAINS), max_size=2, unique=True),
                     st.sampled_from(["none", "none", "none", "work", "org"]), st.booleans())
AREAS = [f"park:{p}" for p in PARKS if p] + [f"street:{s}" for s in STREETS if s]


@st.composite
def districts(draw, max_firms: int = 80):
    rows = draw(st.lists(firm_row, max_size=max_firms))
    # Codes in a drawn order, so that code order and input order differ.
    order = draw(st.permutations(range(len(rows))))
    firms = [FirmItem(f"F{order[i]:03d}", formal, prob, park, street, tuple(chains), status,
                      single_unit=status == "org" and single)
             for i, (formal, prob, park, street, chains, status, single) in enumerate(rows)]
    orgs = [OrgItem(f"O{j}", draw(st.sampled_from(AREAS)), draw(st.integers(0, 5)),
                    draw(st.integers(0, 60)), draw(st.sampled_from(["branch", "general_branch"])),
                    tuple(draw(st.lists(st.sampled_from(CHAINS), max_size=2, unique=True))))
            for j in range(draw(st.integers(0, 8)))]
    cap = draw(st.integers(1, 4))
    officers = [OfficerItem(k, frozenset(draw(st.lists(st.sampled_from(AREAS), min_size=1,
                                                       max_size=3, unique=True))),
                            draw(st.integers(0, cap)), name=f"officer {k}")
                for k in draw(st.lists(st.integers(0, 40), max_size=8, unique=True))]
    config = PlannerConfig(rules=RuleConfig(max_joint_units=draw(st.integers(3, 6))),
                           liaison_capacity=cap, allow_memberless_in_joint=draw(st.booleans()))
    return Instance(D, firms, orgs, officers, config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_fast_planner_gives_the_reference_plan(inst):
    fast, slow = plan(inst), reference_plan(inst)
    assert fast.as_dict() == slow.as_dict()
    assert [a.area for a in fast.actions] == [a.area for a in slow.actions]
    assert (fast.covered_before, fast.org_before, fast.covered_after, fast.org_after) == \
        reference_counts(inst, fast)
    least = inst.config.min_formal
    assert inst.pool() == [f for f in inst.firms if f.status == "none" and f.formal < least]
    assert inst.forced() == [f for f in inst.firms if inst.needs_branch(f)]


def test_fast_planner_on_a_crowded_area():
    """Hundreds of firms of one park, many branches and officers: where the heaps, cursors
    and the grown flow do real work (random districts stay small)."""
    import random

    rng = random.Random(17)
    firms = [FirmItem(f"F{i:04d}", rng.choice([0, 1, 1, 2, 2]), rng.randint(0, 2),
                      park=rng.choice(["P", "P", "Q"]), street="S",
                      chains=tuple(sorted(rng.sample(CHAINS, rng.randint(0, 2)))))
             for i in range(900)]
    orgs = [OrgItem(f"O{j:03d}", rng.choice(["park:P", "park:Q"]), rng.randint(0, 5),
                    rng.randint(3, 48), chains=(rng.choice(CHAINS),)) for j in range(60)]
    officers = [OfficerItem(k, frozenset(rng.sample(["park:P", "park:Q", "street:S"], 2)),
                            rng.randint(0, 3)) for k in range(40)]
    inst = Instance(D, firms, orgs, officers,
                    PlannerConfig(liaison_capacity=3, allow_memberless_in_joint=False))
    fast = plan(inst)
    assert fast.as_dict() == reference_plan(inst).as_dict()
    assert {a.type for a in fast.actions} >= {"join_joint_branch", "form_joint_branch",
                                              "assign_liaison"}
    assert any(a.liaison for a in fast.actions)  # existing officers took firms


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(AREAS), st.integers(1, 4)), max_size=25),
       st.lists(st.tuples(st.lists(st.sampled_from(AREAS), min_size=1, max_size=3, unique=True),
                          st.integers(1, 4)), min_size=1, max_size=6))
def test_grown_flow_decides_as_a_max_flow_from_scratch(adds, officers):
    """Each demand the carriers accept or refuse is what networkx's max-flow says of it."""
    spare = {k: s for k, (_, s) in enumerate(officers)}
    reach = defaultdict(list)
    for k, (areas, _) in enumerate(officers):
        for a in areas:
            reach[a].append(k)
    carriers = _Carriers(reach, spare)
    demand = defaultdict(int)
    for area, units in adds:
        demand[area] += units
        fits = _ref_feasible(demand, reach, spare)
        if not fits:
            demand[area] -= units
        assert carriers.add(area, units) == fits
        assert dict(carriers.demand) == dict(demand)
        # The flow kept is a flow: within every officer's spare, every demand carried.
        for k, per_area in carriers.flow.items():
            assert sum(per_area.values()) + carriers.left[k] == spare[k]
            assert all(n >= 0 for n in per_area.values())
        for a, d in demand.items():
            assert sum(per_area.get(a, 0) for per_area in carriers.flow.values()) == d


# --- The column-wise read ------------------------------------------------------------------

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(model_firm, min_size=0, max_size=7), on=day,
       scope=st.sampled_from([Scope.of(), Scope.of(chains=["IC"]), Scope.of(chains=["BIO", "AUTO"]),
                              Scope.of(areas=["知识城", "九佛街道"])]),
       few_bits=st.booleans())
def test_column_wise_read_equals_the_frame(engine, firms, on, scope, few_bits):
    """The planner's items read column-wise are the ``firm_status`` frame's, firm for firm
    (also when a firm's chains do not fit the bit mask and go through the plain pass)."""
    fresh_world(engine, firms)
    with pytest.MonkeyPatch.context() as patch:
        if few_bits:
            patch.setattr(read, "_MASK_BITS", 1)
        columns = instance_from_store(engine, on, scope)
    frame = instance_from_store(engine, on, scope, frame=firm_status(engine, on, scope))
    assert columns.firms == frame.firms
    assert [f.code for f in columns.firms] == sorted(f.code for f in columns.firms)
    assert columns.orgs == frame.orgs and columns.officers == frame.officers
