"""The greedy planner: joins and joint branches per area, exact by counts; officers by max-flow.

Method: the problem splits by area for the organisation part; within an area the optimum
depends only on how many firms with 0, 1 and 2 formal members go where, and the planner
enumerates those counts exactly (a joint group of ``g1`` one-member and ``g2`` two-member
firms can be cut into at most ``min(g1, g2) + (g1 - a) // 3 + (g2 - a) // 2`` groups of
``>= 3`` formal members, ``a = min(g1, g2)``). The liaison part couples areas through the
officers; it is solved greedily (cheapest saved officer first, each step checked by a
max-flow). :mod:`tracker.planning.exact` solves the whole problem as one integer program for
small instances; the tests hold the two objectives equal.

Examples
--------
>>> from datetime import date
>>> from tracker.planning.instance import FirmItem, Instance
>>> inst = Instance(as_of=date(2024, 6, 30), firms=[
...     FirmItem("A", formal=1, park="科学城"), FirmItem("B", formal=2, park="科学城")])
>>> result = plan(inst)
>>> [a.type for a in result.actions], result.totals["new_orgs"]
(['form_joint_branch'], 1)
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque

import networkx as nx
import numpy as np

from .instance import FirmItem, Instance, OfficerItem, OrgItem, gc_paused
from .result import PlanResult, build_result

__all__ = ["max_groups", "plan"]


def max_groups(ones: int, twos: int) -> int:
    """Most groups of ``>= 3`` formal members from firms with one and with two members.

    >>> max_groups(3, 0), max_groups(1, 1), max_groups(0, 3), max_groups(2, 0)
    (1, 1, 1, 0)
    """
    a = min(ones, twos)
    return a + (ones - a) // 3 + (twos - a) // 2


def _best_counts(n0: int, n1: int, n2: int, room: int, units: int) -> tuple[int, int, int, int, int]:
    """Exact best (j0, j1, j2, grouped, groups) for one area, by enumerating the counts.

    ``j*`` firms of each kind join existing organisations (``room`` places in all);
    ``grouped`` of the rest go into ``groups`` new joint branches. Maximises
    ``j0 + j1 + j2 + grouped``, then minimises ``groups``; among equals the first in the
    order ``j1`` then ``j2`` ascending.

    Every ``(j1, j2)`` is scored with numpy, a block of ``j1`` rows at a time: a city's
    area has thousands of candidates and rooms, millions of pairs (a Python loop over
    them took 40 s at 1,000,000 firms).
    """
    best_score, best = None, None
    big = n0 + n1 + n2 + 2  # more than any number of groups: score = firms placed, then fewer groups
    j2_all = np.arange(min(n2, room) + 1, dtype=np.int64)[None, :]
    top = min(n1, room)
    for first in range(0, top + 1, 256):
        j1 = np.arange(first, min(top, first + 255) + 1, dtype=np.int64)[:, None]
        valid = j2_all <= np.minimum(n2, room - j1)
        j0 = np.minimum(n0, room - j1 - j2_all)
        r0, r1, r2 = n0 - j0, n1 - j1, n2 - j2_all
        a = np.minimum(r1, r2)
        g = a + (r1 - a) // 3 + (r2 - a) // 2
        grouped = np.minimum(r0 + r1 + r2, units * g)
        groups = -(-grouped // units)
        score = np.where(valid, (j0 + j1 + j2_all + grouped) * big - groups, -1)
        i = int(np.argmax(score))  # the first maximum in (j1, j2) order
        row, col = divmod(i, score.shape[1])
        if best_score is None or score[row, col] > best_score:
            best_score = score[row, col]
            best = (int(j0[row, col]), int(j1[row, 0]), col, int(grouped[row, col]),
                    int(groups[row, col]))
    return best


def _primary_chain(f: FirmItem) -> str:
    return f.chains[0] if f.chains else ""


def _take(firms: list[FirmItem], n: int, prefer: set[str]) -> list[FirmItem]:
    """Take ``n`` firms, those in a preferred chain first (stable), removing them from ``firms``."""
    if n <= 0 or not firms:  # most organisations of a large area are full: no sort for them
        return []
    # The first n of "preferred in order, then the others in order", in one early-stopping
    # scan (a sort per organisation cost seconds in areas with thousands of joiners).
    preferred: list[int] = []
    others: list[int] = []
    for i, f in enumerate(firms):
        if not prefer.isdisjoint(f.chains):
            preferred.append(i)
            if len(preferred) == n:
                break
        elif len(others) < n:
            others.append(i)
    chosen = sorted((preferred + others)[:n])
    taken = [firms[i] for i in chosen]
    for i in reversed(chosen):
        del firms[i]
    return taken


def _seeds(ones: list[FirmItem], twos: list[FirmItem]) -> list[list[FirmItem]]:
    """The most covering seeds (2+1, 1+1+1, 2+2), same chain together where possible.

    Each two-member firm in turn (by primary chain, then code) takes the first free
    one-member firm that shares a chain with it; then the twos left take the first free
    ones in order. The first free one of each chain is found through a cursor per chain
    that only moves forward (a scan of every one per two took minutes in a city's areas).
    """
    ones = sorted(ones, key=lambda f: (_primary_chain(f), f.code))
    twos = sorted(twos, key=lambda f: (_primary_chain(f), f.code))
    a = min(len(ones), len(twos))
    used1 = [False] * len(ones)
    used2 = [False] * len(twos)
    pairs = []
    in_chain: dict[str, list[int]] = defaultdict(list)  # chain -> positions of its ones
    for j, o in enumerate(ones):
        for c in set(o.chains):
            in_chain[c].append(j)
    cursor = dict.fromkeys(in_chain, 0)
    # 2+1 pairs: same chain first ...
    for i, t in enumerate(twos):
        if len(pairs) == a:
            break
        first = None
        for c in set(t.chains):
            positions = in_chain.get(c)
            if positions is None:
                continue
            k = cursor[c]
            while k < len(positions) and used1[positions[k]]:
                k += 1
            cursor[c] = k
            if k < len(positions) and (first is None or positions[k] < first):
                first = positions[k]
        if first is not None:
            pairs.append([t, ones[first]])
            used1[first] = used2[i] = True
    # ... then any.
    k = 0
    for i, t in enumerate(twos):
        if len(pairs) == a:
            break
        if used2[i]:
            continue
        while used1[k]:
            k += 1
        pairs.append([t, ones[k]])
        used1[k] = used2[i] = True
    rest1 = [o for j, o in enumerate(ones) if not used1[j]]
    rest2 = [t for i, t in enumerate(twos) if not used2[i]]
    seeds = pairs
    seeds += [rest1[k:k + 3] for k in range(0, len(rest1) - len(rest1) % 3, 3)]
    seeds += [rest2[k:k + 2] for k in range(0, len(rest2) - len(rest2) % 2, 2)]
    return seeds


def _shared_chain(seed: list[FirmItem]) -> int:
    """Firms of the seed in its most common chain (0 when none has a chain)."""
    counts: dict[str, int] = {}
    for f in seed:
        for c in f.chains:
            counts[c] = counts.get(c, 0) + 1
    return max(counts.values(), default=0)


def _make_groups(firms: list[FirmItem], count: int, units: int) -> list[list[FirmItem]]:
    """Cut ``firms`` into ``count`` joint branches of ``<= units`` firms, ``>= 3`` formal each.

    The seeds come first (those whose firms share a chain first); each other firm (most
    formal members first, then by primary chain and code) goes to the shortest open branch
    that shares a chain with it, else to the shortest open branch; ties: the first branch.
    The open branches are kept in heaps per length, overall and per chain, so each firm
    finds its branch in a few heap looks instead of scanning every branch (quadratic in a
    city's areas).
    """
    ones = [f for f in firms if f.formal == 1]
    twos = [f for f in firms if f.formal == 2]
    seeds = _seeds(ones, twos)
    # Keep the seeds whose firms share a chain first.
    seeds.sort(key=lambda s: -_shared_chain(s))
    groups = [list(s) for s in seeds[:count]]
    in_group = {f.code for g in groups for f in g}
    rest = sorted((f for f in firms if f.code not in in_group),
                  key=lambda f: (-f.formal, _primary_chain(f), f.code))
    if not rest:
        return groups
    # Heaps of branch positions by length: every open branch, and those holding each chain.
    # An entry is stale once its branch has grown (lengths only grow): dropped when met.
    chains_in = [{c for f in g for c in f.chains} for g in groups]
    open_by_length: list[list[int]] = [[] for _ in range(units)]
    by_chain: dict[str, list[list[int]]] = {}

    def file(g: int) -> None:
        n = len(groups[g])
        if n < units:
            heapq.heappush(open_by_length[n], g)
            for c in chains_in[g]:
                heaps = by_chain.get(c)
                if heaps is None:
                    heaps = by_chain[c] = [[] for _ in range(units)]
                heapq.heappush(heaps[n], g)

    def first(heap: list[int], n: int) -> int | None:
        while heap and len(groups[heap[0]]) != n:
            heapq.heappop(heap)
        return heap[0] if heap else None

    for g in range(len(groups)):
        file(g)
    for f in rest:
        target = None
        mine = [by_chain[c] for c in set(f.chains) if c in by_chain]
        for n in range(units):
            found = [g for heaps in mine if (g := first(heaps[n], n)) is not None]
            if found:
                target = min(found)
                break
        if target is None:
            for n in range(units):
                target = first(open_by_length[n], n)
                if target is not None:
                    break
        if target is None:
            raise ValueError("min() arg is an empty sequence")  # as min() over no branch
        groups[target].append(f)
        chains_in[target].update(f.chains)
        file(target)
    return groups


def _liaison_demands(left: dict[str, int], officers: list[OfficerItem], spare: dict[int, int],
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
    carriers = _Carriers(reach, spare)
    used = 0
    for cost, a in items:
        if used + cost > total_spare:
            continue
        if carriers.add(a, cost):
            used += cost
    return {a: d for a, d in carriers.demand.items() if d}


def _flow(demand: dict[str, int], reach: dict[str, list[int]], spare: dict[int, int]):
    """Max flow source → officers → areas → sink; the flow keyed ``("off", id)`` → ``("area", a)``.

    The graph's nodes are numbered in insertion order: networkx's preflow-push keeps
    nodes in sets, and with string-keyed nodes their order (so which officer gets which
    firms) changed from one process to the next with Python's string hashing.
    """
    names: list = ["s", "t"]
    number: dict = {"s": 0, "t": 1}

    def node(key) -> int:
        if key not in number:
            number[key] = len(names)
            names.append(key)
        return number[key]

    G = nx.DiGraph()
    for a, d in demand.items():
        if d <= 0:
            continue
        G.add_edge(node(("area", a)), 1, capacity=d)
        for oid in reach.get(a, []):
            G.add_edge(0, node(("off", oid)), capacity=spare[oid])
            G.add_edge(node(("off", oid)), node(("area", a)), capacity=d)
    if 0 not in G or 1 not in G:
        return 0, {}
    value, flow = nx.maximum_flow(G, 0, 1)
    return value, {names[u]: {names[v]: f for v, f in out.items()} for u, out in flow.items()}


class _Carriers:
    """The officers' spare capacity flowing to the areas' demands, grown one demand at a time.

    The network is :func:`_flow`'s (source → officer: spare; officer → area: the area's
    demand; area → sink: the demand). Every accepted demand is carried by the flow kept
    here, so a larger demand of area ``a`` fits exactly when augmenting paths into ``a``
    carry the extra units (every other area's sink edge is already full): Ford-Fulkerson
    from the current flow, paths searched backwards from ``a``. The answer is the one a
    max-flow from scratch gives (the value is unique), at a few steps per unit; networkx's
    flow from scratch for every candidate saving took most of the planner's time in a city.
    """

    def __init__(self, reach: dict[str, list[int]], spare: dict[int, int]):
        self.reach = reach
        self.left = dict(spare)
        self.flow: dict[int, dict[str, int]] = defaultdict(dict)  # officer -> area -> units
        self.demand: dict[str, int] = defaultdict(int)

    def add(self, area: str, units: int) -> bool:
        """Raise ``area``'s demand by ``units`` if the officers can carry it (else no change)."""
        self.demand[area] += units
        log: list[tuple[int, str | None, int]] = []
        for _ in range(units):
            if not self._augment(area, log):
                for officer, to, change in reversed(log):
                    if to is None:
                        self.left[officer] -= change
                    else:
                        self.flow[officer][to] -= change
                self.demand[area] -= units
                return False
        return True

    def _augment(self, target: str, log: list) -> bool:
        """One unit along a shortest residual path from the source into ``target``."""
        flow, left, demand = self.flow, self.left, self.demand
        via: dict[int, str] = {}  # officer -> the area it would send the unit to
        back: dict[str, int] = {}  # area -> the officer whose unit there is moved
        queue = deque([target])
        seen = {target}
        while queue:
            x = queue.popleft()
            for o in self.reach.get(x, ()):
                if o in via or flow[o].get(x, 0) >= demand[x]:
                    continue
                via[o] = x
                if left[o] > 0:
                    left[o] -= 1
                    log.append((o, None, -1))
                    while True:
                        x = via[o]
                        flow[o][x] = flow[o].get(x, 0) + 1
                        log.append((o, x, 1))
                        if x == target:
                            return True
                        o = back[x]
                        flow[o][x] -= 1
                        log.append((o, x, -1))
                for y, n in flow[o].items():
                    if n > 0 and y not in seen:
                        seen.add(y)
                        back[y] = o
                        queue.append(y)
        return False


def _assign_liaisons(inst: Instance, left: dict[str, list[FirmItem]]):
    """Existing officers first (max saved officers), then new officers per area."""
    cap = inst.config.liaison_capacity
    spare = {o.id: inst.spare(o) for o in inst.officers}
    counts = {a: len(fs) for a, fs in left.items()}
    demand = _liaison_demands(counts, inst.officers, spare, cap)
    reach = defaultdict(list)
    for o in inst.officers:
        for a in o.areas:
            reach[a].append(o.id)
    officer_firms: dict[int, list[FirmItem]] = defaultdict(list)
    remaining = {a: sorted(fs, key=lambda f: f.code) for a, fs in left.items()}
    if demand:
        _, flow = _flow(demand, reach, spare)
        for a in sorted(demand):
            for oid in sorted(reach[a]):
                n = flow.get(("off", oid), {}).get(("area", a), 0)
                if n:
                    officer_firms[oid] += remaining[a][:n]
                    remaining[a] = remaining[a][n:]
                    spare[oid] -= n
    # Spare capacity that saves no officer still serves firms (lighter load on new officers).
    for a in sorted(remaining, key=lambda a: (a is None, a or "")):
        for oid in sorted(reach.get(a, [])):
            n = min(spare[oid], len(remaining[a]))
            if n:
                officer_firms[oid] += remaining[a][:n]
                remaining[a] = remaining[a][n:]
                spare[oid] -= n
    new_officers = []
    for a in sorted(remaining, key=lambda a: (a is None, a or "")):
        fs = remaining[a]
        new_officers += [fs[k:k + cap] for k in range(0, len(fs), cap)]
    return dict(officer_firms), new_officers


def plan(inst: Instance) -> PlanResult:
    """The planner on plain data: actions for every uncovered or R1 firm.

    Parameters
    ----------
    inst : the firms, existing joint organisations and officers on D, and the constraints

    Returns
    -------
    PlanResult
        ``as_dict()`` is the JSON of ``tracker plan --json``.
    """
    with gc_paused():  # tens of thousands of lists and actions: see gc_paused
        return _plan(inst)


def _plan(inst: Instance) -> PlanResult:
    cfg = inst.config
    pool = inst.pool()
    by_area: dict[str | None, list[FirmItem]] = defaultdict(list)
    liaison_only: dict[str | None, list[FirmItem]] = defaultdict(list)
    for f in sorted(pool, key=lambda f: f.code):
        (by_area if inst.joint_eligible(f) else liaison_only)[f.area].append(f)
    orgs_by_area: dict[str | None, list[OrgItem]] = defaultdict(list)
    for o in inst.orgs:
        orgs_by_area[o.area].append(o)

    joins: dict[str, list[FirmItem]] = defaultdict(list)
    groups: list[list[FirmItem]] = []
    left: dict[str | None, list[FirmItem]] = defaultdict(list)
    for a, fs in liaison_only.items():
        left[a] += fs
    for a in sorted(by_area, key=lambda a: a or ""):
        fs = by_area[a]
        largest = max((f.members for f in fs), default=0)
        rooms = {o.code: inst.room(o, largest=largest)
                 for o in sorted(orgs_by_area.get(a, []), key=lambda o: o.code)}
        kinds = [[f for f in fs if f.formal == k] for k in range(3)]
        j0, j1, j2, grouped, n_groups = _best_counts(
            len(kinds[0]), len(kinds[1]), len(kinds[2]), sum(rooms.values()), cfg.max_units)
        # Joiners: the chosen counts, each to an organisation with room, same chain first.
        joiners = []
        for k, j in zip(range(3), (j0, j1, j2)):
            joiners += kinds[k][:j]
            kinds[k] = kinds[k][j:]
        org_items = {o.code: o for o in orgs_by_area.get(a, [])}
        for code, free in rooms.items():
            joins[code] += _take(joiners, free, set(org_items[code].chains))
        # Grouped: every member-firm that fits, then firms without members.
        candidates = kinds[2] + kinds[1] + kinds[0]
        chosen, rest = candidates[:grouped], candidates[grouped:]
        if n_groups:
            groups += _make_groups(chosen, n_groups, cfg.max_units)
        left[a] += rest
    officer_firms, new_officers = _assign_liaisons(inst, {a: fs for a, fs in left.items() if fs})
    return build_result(inst, joins, groups, officer_firms, new_officers, "heuristic")
