"""What changed between two dates, how long new firms wait for cover, and who waits too long.

After the plan's deadline the department's daily work is 动态全覆盖: firms keep entering
the chains, and each must be covered within a set number of days; a firm that loses its
organisation or liaison must be caught at once. This module answers that from the same
dated facts and the same definitions as :mod:`tracker.coverage`:

- the **population** P(D): firms in at least one chain on D (with a chain, that chain's
  own members), narrowed by the denominator (``above_size``: 规上 firms only);
- **covered** C(D): firms of P(D) with an active coverage link on D to an organisation
  active on D, or an active liaison assignment on D.

Every fact is an interval ``[start, end)`` (:mod:`tracker.intervals`). Per firm, the
intervals of its memberships and of its covers are merged into disjoint runs; all the
questions below are then questions about runs of days.

The runs are held as columns (:class:`RunSet`: numpy arrays of group, start, end), for
every firm of the district at once (:class:`Timeline`), and each question is answered by a
few vectorised passes over them. The timeline is read once and can be shared: the
dashboard keeps one per data version and denominator, so that the flow, the overdue
queue, the losses and the time to cover on one page read the store once. (Built per firm
in Python, the same runs took 24 of the overview's 31 seconds at 100,000 firms;
``tests/flow_model.py`` keeps that per-firm version as the reference the tests hold these
functions equal to.)

:func:`flow` — between D1 and D2, with

- ``entered`` = P(D2) − P(D1), ``left`` = P(D1) − P(D2);
- ``gained`` = firms in both, uncovered on D1 and covered on D2; ``lost`` = covered on D1
  and uncovered on D2;
- ``entered_covered`` = entered ∩ C(D2); ``left_covered`` = left ∩ C(D1);

so that ``end.covered = start.covered − left_covered + entered_covered + gained − lost``.
Time to cover: a firm's **entry date** is the first day of its current stay in the
population (the run of consecutive days, up to D2, on which it is in P). Among the firms
of P(D2) whose entry date lies in (D1, D2]: how many, how many were covered on some day
from entry to D2, and over those the days from entry to the first covered day (median;
90th percentile by nearest rank).

:func:`overdue` — the firms of P(D), uncovered on D, whose **uncovered spell** (the run of
consecutive days up to D on which the firm is in P and uncovered) began more than N days
before D. ``cause`` is ``"lost"`` when the firm was in P and covered the day before the
spell began, otherwise ``"entered"``.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> result = flow(engine, date(2025, 12, 31), date(2026, 6, 30))
>>> result.as_dict()["start"], result.as_dict()["entered"]
({'firms': 0, 'covered': 0, 'uncovered': 0}, 0)
>>> overdue(engine, date(2026, 6, 30), days=90)
[]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .coverage import day_number, int_rows
from .errors import TrackerError
from .intervals import NO_DATE
from .model import Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg, Plan

__all__ = [
    "CHANGES",
    "FlowResult",
    "Loss",
    "OverdueFirm",
    "RunSet",
    "TimeToCover",
    "Timeline",
    "ended_covers",
    "flow",
    "losses",
    "median_days",
    "overdue",
    "p90_days",
    "read_timeline",
    "time_to_cover_by_month",
]

#: The kinds of change a firm can show between two dates, in the order they are listed.
CHANGES = ("entered", "left", "gained", "lost")

# Open ends as day numbers (the store's NULL start and end).
_PAST = int(NO_DATE["start"])
_FUTURE = int(NO_DATE["end"])
# A group's key is ``group * _SPAN + (day - _PAST)``: the span is wider than any day
# number's range, so that sorting and running maxima over the keys never cross groups.
_SPAN = np.int64(1) << 33

M = ChainMembership.__table__
L = CoverageLink.__table__
O = PartyOrg.__table__
A = Assignment.__table__
F = Firm.__table__
C = Chain.__table__
LI = Liaison.__table__


@dataclass(frozen=True)
class RunSet:
    """Disjoint, sorted runs of days ``[start, end)`` of many groups, as columns.

    Built by :meth:`merge` from any intervals (overlapping or touching intervals of a group
    become one run: ``[a, b)`` and ``[b, c)`` are one run, the group is in the state on
    every day from ``a`` to ``c``). Rows are sorted by group, then start.

    >>> runs = RunSet.merge([1, 1, 1, 2], [5, 1, 3, 10], [9, 3, 4, 12])
    >>> runs.group.tolist(), runs.start.tolist(), runs.end.tolist()
    ([1, 1, 2], [1, 5, 10], [4, 9, 12])
    >>> runs.locate([1, 1, 2], [4, 8, 11]).tolist()
    [-1, 1, 2]
    >>> runs.first_from([1, 1], [4, 4], [20, 4]).tolist()
    [5, -2147483648]
    """

    group: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def merge(cls, group, start, end) -> RunSet:
        group = np.asarray(group, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        keep = start < end
        group, start, end = group[keep], start[keep], end[keep]
        if not len(group):
            return cls(group, start, end)
        order = np.lexsort((start, group))
        group, start, end = group[order], start[order], end[order]
        # The furthest end reached so far within the group (keys offset by the group).
        reach = np.maximum.accumulate(group * _SPAN + (end - _PAST))
        reached = reach - group * _SPAN + _PAST
        new = np.ones(len(group), dtype=bool)
        new[1:] = (group[1:] != group[:-1]) | (start[1:] > reached[:-1])
        first = np.flatnonzero(new)
        last = np.append(first[1:], len(group)) - 1
        return cls(group[first], start[first], reached[last])

    def __len__(self) -> int:
        return len(self.group)

    def _keys(self) -> np.ndarray:
        return self.group * _SPAN + (self.start - _PAST)

    def where(self, mask) -> RunSet:
        return RunSet(self.group[mask], self.start[mask], self.end[mask])

    def regroup(self, group) -> RunSet:
        """The same runs under new group numbers (which must keep the rows' order)."""
        return RunSet(np.asarray(group, dtype=np.int64), self.start, self.end)

    def active(self, day: int) -> np.ndarray:
        """The mask of the runs that contain ``day``."""
        return (self.start <= day) & (day < self.end)

    def locate(self, groups, days) -> np.ndarray:
        """For each (group, day), the row of the run that contains the day, or -1."""
        groups = np.asarray(groups, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        if not len(self.group):
            return np.full(len(groups), -1, dtype=np.int64)
        i = np.searchsorted(self._keys(), groups * _SPAN + (days - _PAST), side="right") - 1
        j = np.maximum(i, 0)
        hit = (i >= 0) & (self.group[j] == groups) & (days < self.end[j])
        return np.where(hit, i, -1)

    def first_from(self, groups, days, until) -> np.ndarray:
        """For each (group, day, until): the first day in ``[day, until]`` that lies in a run
        of the group, or the open start (``NO_DATE["start"]``) when there is none."""
        groups = np.asarray(groups, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        until = np.broadcast_to(np.asarray(until, dtype=np.int64), days.shape)
        out = np.full(len(groups), _PAST, dtype=np.int64)
        if not len(self.group):
            return out
        nxt = np.searchsorted(self._keys(), groups * _SPAN + (days - _PAST), side="right")
        # The run before ``nxt`` is the one that may contain the day (as in :meth:`locate`).
        i = np.maximum(nxt - 1, 0)
        inside = (nxt > 0) & (self.group[i] == groups) & (days < self.end[i])
        out[inside] = days[inside]
        j = np.minimum(nxt, len(self.group) - 1)
        later = (~inside & (nxt < len(self.group)) & (self.group[j] == groups)
                 & (self.start[j] <= until))
        out[later] = self.start[j][later]
        return out


def _chain_id(codes: dict[int, str], chain: str | None) -> int | None:
    """The id of chain code ``chain`` (any case) among ``codes`` (id → code); None for None."""
    if chain is None:
        return None
    code = chain.strip().upper()
    for chain_id, known in codes.items():
        if known == code:
            return chain_id
    raise TrackerError(f"未知的产业链代码：{chain}")


@dataclass(frozen=True)
class Timeline:
    """Every firm's runs of days in each chain, in any chain, and covered, as columns.

    ``member`` groups are ``firm_id * width + chain_id`` (a firm's runs in one chain);
    ``population`` and ``covered`` groups are firm ids. A firm is covered on D when it is
    in the population on D and a run of ``covered`` contains D: a coverage link while its
    organisation exists, or a liaison assignment. Read by :func:`read_timeline`; ``chain``
    set: only the firms that were ever in that chain were read, so only that chain's
    questions can be answered.
    """

    denominator: str
    codes: dict[int, str]  # chain id -> code
    width: int
    member: RunSet
    population: RunSet
    covered: RunSet
    chain: str | None = None

    def chain_id(self, chain: str | None) -> int | None:
        return _chain_id(self.codes, chain)

    def population_of(self, chain: str | None) -> RunSet:
        """The runs of the population: of one chain (its members' runs), or of all."""
        chain_id = self.chain_id(chain)
        if self.chain is not None and chain_id != self.chain_id(self.chain):
            raise ValueError(f"this timeline holds the firms of {self.chain} only, not of "
                             f"{chain or 'the district'}")
        if chain_id is None:
            return self.population
        runs = self.member.where(self.member.group % self.width == chain_id)
        return runs.regroup(runs.group // self.width)

    @cached_property
    def size(self) -> int:
        """One more than the largest firm id: the length of per-firm arrays."""
        return max([0, *(int(runs.group.max()) + 1 for runs in (self.population, self.covered)
                         if len(runs))])

    def mask_on(self, runs: RunSet, day: int) -> np.ndarray:
        """Per firm id: whether a run of ``runs`` contains ``day``."""
        out = np.zeros(self.size, dtype=bool)
        out[runs.group[runs.active(day)]] = True
        return out

    def chains_on(self, firm_ids, day: int, chain: str | None = None) -> dict[int, list[str]]:
        """The codes of the chains each of ``firm_ids`` is in on ``day``, sorted (with
        ``chain``: that chain alone, the population the question was asked of)."""
        wanted = np.zeros(self.size, dtype=bool)
        wanted[np.asarray(list(firm_ids), dtype=np.int64)] = True
        active = self.member.active(day)
        firms = self.member.group // self.width
        active &= wanted[firms]
        chain_id = self.chain_id(chain)
        if chain_id is not None:
            active &= self.member.group % self.width == chain_id
        out: dict[int, list[str]] = {}
        for firm, member_of in zip(firms[active].tolist(),
                                   (self.member.group[active] % self.width).tolist()):
            out.setdefault(firm, []).append(self.codes[member_of])
        return {firm: sorted(codes) for firm, codes in out.items()}


def _denominator(conn, denominator: str | None) -> str:
    if denominator is None:
        P = Plan.__table__
        denominator = conn.execute(
            sa.select(P.c.denominator).where(P.c.is_default.is_(True))).scalar() or "chain_firms"
    if denominator not in ("chain_firms", "above_size"):
        raise TrackerError(f"未知的统计口径：{denominator}（可选：chain_firms、above_size）")
    return denominator


def read_timeline(engine: Engine, denominator: str | None = None,
                  chain: str | None = None) -> Timeline:
    """Every firm that was ever in a chain (``above_size``: every 规上 firm), with its runs.

    Parameters
    ----------
    denominator : ``chain_firms`` or ``above_size``; default the default plan's
    chain : read only the firms that were ever in this chain (a chain's questions, at a
        fraction of the district's cost)

    Examples
    --------
    >>> from tracker.chains import empty_store
    >>> line = read_timeline(empty_store())
    >>> line.denominator, len(line.population), sorted(line.codes.values())[:2]
    ('chain_firms', 0, ['AI', 'AUTO'])
    """
    with engine.connect() as conn:
        denominator = _denominator(conn, denominator)
        codes = dict(conn.execute(sa.select(C.c.id, C.c.code)).all())
        chain_id = _chain_id(codes, chain)
        code = None if chain_id is None else codes[chain_id]

        def only(column):
            """Rows of the chain's firms only (the id inlined: :func:`int_rows` takes no
            parameters)."""
            if chain_id is None:
                return sa.true()
            return column.in_(sa.select(M.c.firm_id).where(
                M.c.chain_id == sa.literal_column(str(int(chain_id)))))

        members = sa.select(M.c.firm_id, M.c.chain_id, day_number(M.c.joined, "start"),
                            day_number(M.c.left, "end")).where(only(M.c.firm_id))
        if denominator == "above_size":
            members = members.join_from(M, F, F.c.id == M.c.firm_id).where(
                F.c.above_size == sa.true())
        firm, chain_of, joined, left = int_rows(conn, members)
        # A link covers only while its organisation exists: the intersection of the two.
        link_firm, link_start, link_end, founded, dissolved = int_rows(conn, sa.select(
            L.c.firm_id, day_number(L.c.start, "start"), day_number(L.c.end, "end"),
            day_number(O.c.founded, "start"), day_number(O.c.dissolved, "end"))
            .join_from(L, O, O.c.id == L.c.org_id).where(only(L.c.firm_id)))
        given_firm, given_start, given_end = int_rows(conn, sa.select(
            A.c.firm_id, day_number(A.c.start, "start"), day_number(A.c.end, "end"))
            .where(only(A.c.firm_id)))
    width = max([0, *codes]) + 1
    member = RunSet.merge(firm * width + chain_of, joined, left)
    population = RunSet.merge(member.group // width, member.start, member.end)
    covered = RunSet.merge(np.concatenate([link_firm, given_firm]),
                           np.concatenate([np.maximum(link_start, founded), given_start]),
                           np.concatenate([np.minimum(link_end, dissolved), given_end]))
    return Timeline(denominator, codes, width, member, population, covered, code)


def _timeline(engine: Engine, denominator: str | None, timeline: Timeline | None) -> Timeline:
    if timeline is None:
        return read_timeline(engine, denominator)
    if denominator is not None and denominator != timeline.denominator:
        raise ValueError(f"the timeline counts {timeline.denominator}, not {denominator}")
    return timeline


def _firm_labels(engine: Engine, firm_ids) -> dict[int, tuple[str, str]]:
    """Firm id → (credit code, name) of the given firms (read in batches)."""
    ids = sorted({int(i) for i in firm_ids})
    out: dict[int, tuple[str, str]] = {}
    with engine.connect() as conn:
        for at in range(0, len(ids), 900):
            batch = ids[at:at + 900]
            out.update((r.id, (r.credit_code, r.name)) for r in conn.execute(
                sa.select(F.c.id, F.c.credit_code, F.c.name).where(F.c.id.in_(batch))))
    return out


def median_days(values: list[int]) -> float | None:
    """The ordinary median (the mean of the two middle values for an even count); None if empty.

    >>> median_days([5, 1, 3]), median_days([1, 2, 3, 10]), median_days([])
    (3, 2.5, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    if n % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def p90_days(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank: the ⌈0.9·n⌉-th smallest value; None if empty.

    >>> p90_days(list(range(1, 11))), p90_days([7]), p90_days([])
    (9, 7, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(round(0.9 * len(ordered), 9)) - 1]


@dataclass
class TimeToCover:
    entered: int = 0
    covered: int = 0
    median_days: float | None = None
    p90_days: int | None = None

    def as_dict(self) -> dict:
        return {"entered": self.entered, "covered": self.covered,
                "median_days": self.median_days, "p90_days": self.p90_days}


@dataclass
class FlowResult:
    """The flow of firms between two dates; :meth:`as_dict` is ``tracker flow --json``."""

    start_day: date
    end_day: date
    chain: str | None
    start: dict
    end: dict
    entered: int
    entered_covered: int
    left: int
    left_covered: int
    gained: int
    lost: int
    time_to_cover: TimeToCover
    firms: list[dict]

    def as_dict(self) -> dict:
        return {
            "from": self.start_day.isoformat(), "to": self.end_day.isoformat(),
            "chain": self.chain, "start": self.start, "end": self.end,
            "entered": self.entered, "entered_covered": self.entered_covered,
            "left": self.left, "left_covered": self.left_covered,
            "gained": self.gained, "lost": self.lost,
            "time_to_cover": self.time_to_cover.as_dict(),
            "firms": self.firms,
        }


def _counts(firms: int, covered: int) -> dict:
    return {"firms": firms, "covered": covered, "uncovered": firms - covered}


def _changes(line: Timeline, population: RunSet, d1: int, d2: int) -> dict[str, np.ndarray]:
    """Per firm id: in ``population`` and covered on each date, and the change between them."""
    in1, in2 = line.mask_on(population, d1), line.mask_on(population, d2)
    cov1, cov2 = in1 & line.mask_on(line.covered, d1), in2 & line.mask_on(line.covered, d2)
    return {"in1": in1, "in2": in2, "cov1": cov1, "cov2": cov2,
            "entered": in2 & ~in1, "left": in1 & ~in2,
            "gained": in1 & in2 & cov2 & ~cov1, "lost": in1 & in2 & cov1 & ~cov2}


def flow(engine: Engine, start: date, end: date, chain: str | None = None,
         denominator: str | None = None, timeline: Timeline | None = None) -> FlowResult:
    """What changed between ``start`` (D1) and ``end`` (D2); see the module docstring.

    ``timeline``: a :func:`read_timeline` of the store to read instead of the store (it
    must count the same denominator)."""
    if end < start:
        raise TrackerError(f"结束日期 {end} 早于开始日期 {start}")
    d1, d2 = start.toordinal(), end.toordinal()
    code = chain.strip().upper() if chain else None
    line = _timeline(engine, denominator, timeline)
    population = line.population_of(code)  # an unknown chain is an error, even when empty
    x = _changes(line, population, d1, d2)
    # Time to cover: the firms of P(D2) whose current stay began in (D1, D2].
    now = population.active(d2)
    firms, entry = population.group[now], population.start[now]
    new = (d1 < entry) & (entry <= d2)
    firms, entry = firms[new], entry[new]
    first = line.covered.first_from(firms, entry, d2)
    waits = (first - entry)[first != _PAST].tolist()
    changed = {kind: np.flatnonzero(x[kind]) for kind in CHANGES}
    labels = _firm_labels(engine, np.concatenate(list(changed.values())))
    rows = [{"credit_code": labels[i][0], "change": kind, "covered_at_end": bool(x["cov2"][i])}
            for kind in CHANGES for i in changed[kind].tolist()]
    order = {c: i for i, c in enumerate(CHANGES)}
    rows.sort(key=lambda f: (order[f["change"]], f["credit_code"]))
    count = lambda name: int(x[name].sum())
    return FlowResult(start, end, code, _counts(count("in1"), count("cov1")),
                      _counts(count("in2"), count("cov2")), count("entered"),
                      int((x["entered"] & x["cov2"]).sum()), count("left"),
                      int((x["left"] & x["cov1"]).sum()), count("gained"), count("lost"),
                      TimeToCover(len(firms), len(waits), median_days(waits), p90_days(waits)),
                      rows)


@dataclass
class OverdueFirm:
    """A firm uncovered for longer than the plan allows (``tracker overdue --json`` row)."""

    credit_code: str
    name: str
    chains: list[str]
    uncovered_since: date | None
    days: int | None
    cause: str
    action: str | None = None

    def as_dict(self) -> dict:
        return {"credit_code": self.credit_code, "name": self.name, "chains": self.chains,
                "uncovered_since": self.uncovered_since and self.uncovered_since.isoformat(),
                "days": self.days,
                "cause": self.cause, "action": self.action}


def overdue(engine: Engine, as_of: date, days: int = 90, chain: str | None = None,
            denominator: str | None = None, timeline: Timeline | None = None) -> list[OverdueFirm]:
    """Firms of P(as_of), uncovered on ``as_of``, whose uncovered spell is longer than ``days``.

    Sorted by the length of the spell, longest first (then by credit code). A firm whose
    membership has no start date and that was never covered has no known start of its
    spell: ``uncovered_since`` and ``days`` are None and it is listed first. ``action`` is
    left empty here: the planner's proposal is added by the caller that has a plan.
    """
    if days < 0:
        raise TrackerError(f"天数不能为负：{days}")
    d = as_of.toordinal()
    code = chain.strip().upper() if chain else None
    line = _timeline(engine, denominator, timeline)
    population = line.population_of(code)
    now = population.active(d)
    firms, stay = population.group[now], population.start[now]
    uncovered = line.covered.locate(firms, np.full(len(firms), d)) < 0
    firms, stay = firms[uncovered], stay[uncovered]
    # The spell began where the stay began, or where the last cover before D ended,
    # whichever is later; in the second case the firm was covered the day before: "lost".
    ended = np.full(line.size, _PAST, dtype=np.int64)
    done = line.covered.end <= d
    np.maximum.at(ended, line.covered.group[done], line.covered.end[done])
    last_cover = ended[firms] if len(firms) else np.zeros(0, dtype=np.int64)
    since = np.maximum(stay, last_cover)
    lost = last_cover > stay
    unknown = since <= _PAST
    keep = unknown | (d - since > days)
    firms, since, lost, unknown = firms[keep], since[keep], lost[keep], unknown[keep]
    labels = _firm_labels(engine, firms)
    chains = line.chains_on(firms, d, code)
    rows = []
    for firm, first, was_lost, open_start in zip(firms.tolist(), since.tolist(), lost.tolist(),
                                                 unknown.tolist()):
        credit_code, name = labels[firm]
        if open_start:  # in the chain and uncovered since before any recorded date
            rows.append(OverdueFirm(credit_code, name, chains.get(firm, []), None, None,
                                    "entered"))
        else:
            rows.append(OverdueFirm(credit_code, name, chains.get(firm, []),
                                    date.fromordinal(first), d - first,
                                    "lost" if was_lost else "entered"))
    rows.sort(key=lambda r: (-(r.days if r.days is not None else _FUTURE), r.credit_code))
    return rows


def _month_rows(entered: dict[tuple[str, str], int],
                waits: dict[tuple[str, str], list[int]]) -> list[dict]:
    """The rows of :func:`time_to_cover_by_month` from the entries and waits per (key, month)."""
    rows = []
    for key, month in sorted(entered, key=lambda slot: (slot[0] != "*", slot[0], slot[1])):
        values = waits.get((key, month), [])
        rows.append({"key": key, "month": month, "entered": entered[(key, month)],
                     "covered": len(values), "median_days": median_days(values),
                     "p90_days": p90_days(values)})
    return rows


_EPOCH = date(1970, 1, 1).toordinal()  # day 0 of numpy's datetime64


def _month_keys(days: np.ndarray) -> np.ndarray:
    """Day numbers as "YYYY-MM" strings."""
    return np.datetime_as_string((days - _EPOCH).astype("datetime64[D]"), unit="M")


def time_to_cover_by_month(engine: Engine, start: date, end: date,
                           denominator: str | None = None,
                           timeline: Timeline | None = None) -> list[dict]:
    """Per chain (key ``*`` for the district) and month: the firms that entered, how many were
    covered by ``end``, and the median days from entry to the first covered day.

    A firm enters a chain's population when a run of its membership begins (re-entering after
    a gap is a new entry); for the district, when a run of its population begins. Months from
    ``start``'s month to ``end``'s; entries after ``end`` are not counted.

    Returns rows ``{"key", "month": "YYYY-MM", "entered", "covered", "median_days",
    "p90_days"}``, district rows first, months in order. With a ``timeline`` of one chain
    (:func:`read_timeline` with ``chain``), that chain's rows only.
    """
    if end < start:
        raise TrackerError(f"结束日期 {end} 早于开始日期 {start}")
    first, last = date(start.year, start.month, 1).toordinal(), end.toordinal()
    line = _timeline(engine, denominator, timeline)
    entered: dict[tuple[str, str], int] = {}
    waits: dict[tuple[str, str], list[int]] = {}

    def count(runs: RunSet, keys: np.ndarray, firms: np.ndarray) -> None:
        """Entries of ``runs`` (groups ``runs.group``) in the window, keyed by ``keys``."""
        inside = (first <= runs.start) & (runs.start <= last)
        groups, begun, keys, firms = runs.group[inside], runs.start[inside], keys[inside], firms[inside]
        hit = line.covered.first_from(firms, begun, last)
        # Covered while still (or again) in the population: the hit lies in one of its runs.
        found = hit != _PAST
        found[found] = runs.locate(groups[found], hit[found]) >= 0
        months = _month_keys(begun)
        for key, month, ok, wait in zip(keys.tolist(), months.tolist(), found.tolist(),
                                        (hit - begun).tolist()):
            slot = (key, month)
            entered[slot] = entered.get(slot, 0) + 1
            if ok:
                waits.setdefault(slot, []).append(wait)

    member = line.member
    if line.chain is None:
        population = line.population
        count(population, np.full(len(population), "*", dtype=object), population.group)
    else:
        member = member.where(member.group % line.width == line.chain_id(line.chain))
    chain_codes = np.array([line.codes.get(i, "") for i in range(line.width)], dtype=object)
    count(member, chain_codes[member.group % line.width], member.group // line.width)
    return _month_rows(entered, waits)


@dataclass
class Loss:
    """A firm covered on D1 and uncovered on D2, and the covers that ended in between."""

    credit_code: str
    name: str
    chains: list[str]
    ended: list[dict]

    def as_dict(self) -> dict:
        return {"credit_code": self.credit_code, "name": self.name, "chains": self.chains,
                "ended": self.ended}


def losses(engine: Engine, start: date, end: date, chain: str | None = None,
           denominator: str | None = None, timeline: Timeline | None = None) -> list[Loss]:
    """The firms that lost coverage between ``start`` and ``end`` and what ended.

    ``ended`` lists each cover that was active on ``start`` and not on ``end``:
    ``{"kind": "org_dissolved" | "link_ended" | "assignment_ended", "on": "YYYY-MM-DD",
    "org": code, "org_name": name}`` or ``{"kind": "assignment_ended", "on": …, "liaison":
    name, "unit": unit}``, so that an officer sees at once which organisation or officer
    was lost.
    """
    if end < start:
        raise TrackerError(f"结束日期 {end} 早于开始日期 {start}")
    code = chain.strip().upper() if chain else None
    line = _timeline(engine, denominator, timeline)
    d1, d2 = start.toordinal(), end.toordinal()
    lost = np.flatnonzero(_changes(line, line.population_of(code), d1, d2)["lost"])
    if not len(lost):
        return []
    labels = _firm_labels(engine, lost)
    chains = line.chains_on(lost, d1, code)
    ids = lost.tolist()
    ended = ended_covers(engine, ids, d1, d2)
    out = [Loss(labels[i][0], labels[i][1], chains.get(i, []),
                sorted(ended.get(i, []), key=lambda x: x["on"])) for i in ids]
    return sorted(out, key=lambda loss: loss.credit_code)


def ended_covers(engine: Engine, firm_ids: list[int], d1: int, d2: int) -> dict[int, list[dict]]:
    """Firm id → the covers of the firm active on day ``d1`` and not on ``d2`` (day
    numbers), as :func:`losses` lists them (unsorted)."""
    ended: dict[int, list[dict]] = {}
    with engine.connect() as conn:
        for at in range(0, len(firm_ids), 900):
            batch = firm_ids[at:at + 900]
            link_rows = conn.execute(
                sa.select(L.c.firm_id, L.c.start, L.c.end, O.c.code, O.c.name, O.c.founded,
                          O.c.dissolved).join(O, O.c.id == L.c.org_id)
                .where(L.c.firm_id.in_(batch))).all()
            assignment_rows = conn.execute(
                sa.select(A.c.firm_id, A.c.start, A.c.end, LI.c.name, LI.c.unit)
                .join(LI, LI.c.id == A.c.liaison_id).where(A.c.firm_id.in_(batch))).all()
            for r in link_rows:
                link_end, dissolved = _day(r.end, _FUTURE), _day(r.dissolved, _FUTURE)
                s = max(_day(r.start, _PAST), _day(r.founded, _PAST))
                e = min(link_end, dissolved)
                if s <= d1 < e and not s <= d2 < e:
                    kind = "org_dissolved" if dissolved <= link_end else "link_ended"
                    ended.setdefault(r.firm_id, []).append(
                        {"kind": kind, "on": date.fromordinal(e).isoformat(), "org": r.code,
                         "org_name": r.name})
            for r in assignment_rows:
                s, e = _day(r.start, _PAST), _day(r.end, _FUTURE)
                if s <= d1 < e and not s <= d2 < e:
                    ended.setdefault(r.firm_id, []).append(
                        {"kind": "assignment_ended", "on": date.fromordinal(e).isoformat(),
                         "liaison": r.name, "unit": r.unit})
    return ended


def _day(value: date | str | None, missing: int) -> int:
    if value is None:
        return missing
    if isinstance(value, str):  # SQLite can hand back raw text
        value = date.fromisoformat(value[:10])
    return value.toordinal()
