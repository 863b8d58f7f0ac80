"""The per-firm reference model of :mod:`tracker.flow`: the implementation it had before it
read columns (one Python object of runs per firm), kept to check the columnar one against.

It builds, per firm, its runs of days in the population and its covered runs, and answers
each question by walking them; obviously right and slow (24 s of the overview at 100,000
firms). ``tests/test_flow.py`` holds the columnar functions equal to these on random
districts.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracker.errors import TrackerError
from tracker.flow import (  # the results' shapes and the helpers that are not under test
    CHANGES,
    FlowResult,
    Loss,
    OverdueFirm,
    TimeToCover,
    _day,
    _denominator,
    _month_rows,
    ended_covers,
    median_days,
    p90_days,
)
from tracker.model import (
    Assignment,
    Chain,
    ChainMembership,
    CoverageLink,
    Firm,
    PartyOrg,
)

# Open ends as day numbers: far enough that no real date reaches them.
_PAST = -(10**9)
_FUTURE = 10**9

M = ChainMembership.__table__
L = CoverageLink.__table__
O = PartyOrg.__table__
A = Assignment.__table__
F = Firm.__table__
C = Chain.__table__


class Runs:
    """Disjoint, sorted runs of days ``[start, end)`` as day numbers (merged on creation).

    Two runs that touch (``[a, b)`` and ``[b, c)``) are one run: the firm is in the state on
    every day from ``a`` to ``c``.

    >>> r = Runs([(1, 5), (5, 8), (10, 12)])
    >>> r.spans, r.contains(7), r.contains(8), r.run_start(11)
    ([(1, 8), (10, 12)], True, False, 10)
    >>> r.minus(Runs([(3, 11)])).spans
    [(1, 3), (11, 12)]
    """

    __slots__ = ("_starts", "spans")

    def __init__(self, intervals=()):
        merged: list[tuple[int, int]] = []
        for start, end in sorted(i for i in intervals if i[0] < i[1]):
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        self.spans = merged
        self._starts = [s for s, _ in merged]

    def _index(self, day: int) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0 and day < self.spans[i][1]:
            return i
        return None

    def contains(self, day: int) -> bool:
        return self._index(day) is not None

    def run_start(self, day: int) -> int | None:
        """First day of the run that contains ``day`` (None when ``day`` is in none)."""
        i = self._index(day)
        return None if i is None else self.spans[i][0]

    def first_from(self, day: int, until: int) -> int | None:
        """The first day in ``[day, until]`` that lies in a run, or None."""
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0 and day < self.spans[i][1]:
            return day
        j = i + 1
        if j < len(self.spans) and self.spans[j][0] <= until:
            return self.spans[j][0]
        return None

    def minus(self, other: Runs) -> Runs:
        """The days in these runs and not in ``other``."""
        out = []
        for start, end in self.spans:
            cursor = start
            for o_start, o_end in other.spans:
                if o_end <= cursor or o_start >= end:
                    continue
                if o_start > cursor:
                    out.append((cursor, o_start))
                cursor = max(cursor, o_end)
                if cursor >= end:
                    break
            if cursor < end:
                out.append((cursor, end))
        return Runs(out)


@dataclass
class FirmTimeline:
    """One firm's days in the population (of a chain or of all) and days covered."""

    firm_id: int
    credit_code: str
    name: str
    population: Runs
    covered: Runs
    chains: dict[str, Runs] = field(default_factory=dict)

    def in_population(self, day: int) -> bool:
        return self.population.contains(day)

    def is_covered(self, day: int) -> bool:
        """Covered on ``day`` exactly as :mod:`tracker.coverage` counts it (in P and covered)."""
        return self.population.contains(day) and self.covered.contains(day)

    def chains_on(self, day: int) -> list[str]:
        return sorted(code for code, runs in self.chains.items() if runs.contains(day))


def timelines(engine: Engine, chain: str | None = None,
              denominator: str | None = None) -> dict[int, FirmTimeline]:
    """Every firm ever in the population, with its runs in P and its covered runs."""
    with engine.connect() as conn:
        denominator = _denominator(conn, denominator)
        chain_rows = conn.execute(sa.select(C.c.id, C.c.code)).all()
        codes = {r.id: r.code for r in chain_rows}
        if chain is not None:
            wanted = [r.id for r in chain_rows if r.code == chain.strip().upper()]
            if not wanted:
                raise TrackerError(f"未知的产业链代码：{chain}")
        query = sa.select(M.c.firm_id, M.c.chain_id, M.c.joined, M.c.left)
        if chain is not None:
            query = query.where(M.c.chain_id == wanted[0])
        if denominator == "above_size":
            query = query.where(M.c.firm_id.in_(sa.select(F.c.id).where(F.c.above_size.is_(True))))
        member_rows = conn.execute(query).all()
        firm_ids = {r.firm_id for r in member_rows}
        if not firm_ids:
            return {}
        firms = {r.id: r for r in conn.execute(sa.select(F.c.id, F.c.credit_code, F.c.name))
                 if r.id in firm_ids}
        # A link covers only while its organisation exists: the intersection of the two.
        links = conn.execute(sa.select(L.c.firm_id, L.c.start, L.c.end, O.c.founded, O.c.dissolved)
                             .join(O, O.c.id == L.c.org_id)).all()
        assignments = conn.execute(sa.select(A.c.firm_id, A.c.start, A.c.end)).all()

    per_chain: dict[int, dict[str, list]] = {}
    for r in member_rows:
        per_chain.setdefault(r.firm_id, {}).setdefault(codes[r.chain_id], []).append(
            (_day(r.joined, _PAST), _day(r.left, _FUTURE)))
    covers: dict[int, list] = {}
    for r in links:
        if r.firm_id in firm_ids:
            start = max(_day(r.start, _PAST), _day(r.founded, _PAST))
            end = min(_day(r.end, _FUTURE), _day(r.dissolved, _FUTURE))
            covers.setdefault(r.firm_id, []).append((start, end))
    for r in assignments:
        if r.firm_id in firm_ids:
            covers.setdefault(r.firm_id, []).append((_day(r.start, _PAST), _day(r.end, _FUTURE)))

    out = {}
    for firm_id, chains in per_chain.items():
        firm = firms[firm_id]
        chain_runs = {code: Runs(spans) for code, spans in chains.items()}
        population = Runs([span for runs in chain_runs.values() for span in runs.spans])
        out[firm_id] = FirmTimeline(firm_id, firm.credit_code, firm.name, population,
                                    Runs(covers.get(firm_id, ())), chain_runs)
    return out


def _counts(firms: int, covered: int) -> dict:
    return {"firms": firms, "covered": covered, "uncovered": firms - covered}


def flow(engine: Engine, start: date, end: date, chain: str | None = None,
         denominator: str | None = None) -> FlowResult:
    """The per-firm reference of :func:`tracker.flow.flow`."""
    if end < start:
        raise TrackerError(f"结束日期 {end} 早于开始日期 {start}")
    d1, d2 = start.toordinal(), end.toordinal()
    code = chain.strip().upper() if chain else None
    lines = timelines(engine, code, denominator)
    p1 = c1 = p2 = c2 = 0
    entered = entered_covered = left = left_covered = gained = lost = 0
    waits: list[int] = []
    newcomers = 0
    firms: list[dict] = []
    for line in lines.values():
        in1, in2 = line.in_population(d1), line.in_population(d2)
        cov1, cov2 = in1 and line.covered.contains(d1), in2 and line.covered.contains(d2)
        p1 += in1
        p2 += in2
        c1 += cov1
        c2 += cov2
        change = None
        if in2 and not in1:
            entered += 1
            entered_covered += cov2
            change = "entered"
        elif in1 and not in2:
            left += 1
            left_covered += cov1
            change = "left"
        elif in1 and in2 and cov2 and not cov1:
            gained += 1
            change = "gained"
        elif in1 and in2 and cov1 and not cov2:
            lost += 1
            change = "lost"
        if change is not None:
            firms.append({"credit_code": line.credit_code, "change": change,
                          "covered_at_end": bool(cov2)})
        if in2:
            entry = line.population.run_start(d2)
            if d1 < entry <= d2:
                newcomers += 1
                first = line.covered.first_from(entry, d2)
                if first is not None:
                    waits.append(first - entry)
    order = {c: i for i, c in enumerate(CHANGES)}
    firms.sort(key=lambda f: (order[f["change"]], f["credit_code"]))
    return FlowResult(start, end, code, _counts(p1, c1), _counts(p2, c2), entered,
                      entered_covered, left, left_covered, gained, lost,
                      TimeToCover(newcomers, len(waits), median_days(waits), p90_days(waits)),
                      firms)


def overdue(engine: Engine, as_of: date, days: int = 90, chain: str | None = None,
            denominator: str | None = None) -> list[OverdueFirm]:
    """The per-firm reference of :func:`tracker.flow.overdue`."""
    if days < 0:
        raise TrackerError(f"天数不能为负：{days}")
    d = as_of.toordinal()
    rows = []
    for line in timelines(engine, chain.strip().upper() if chain else None, denominator).values():
        if not line.in_population(d) or line.covered.contains(d):
            continue
        spell = line.population.minus(line.covered)
        since = spell.run_start(d)
        if since <= _PAST:  # in the chain and uncovered since before any recorded date
            rows.append(OverdueFirm(line.credit_code, line.name, line.chains_on(d), None, None,
                                    "entered"))
            continue
        length = d - since
        if length <= days:
            continue
        cause = "lost" if line.is_covered(since - 1) else "entered"
        rows.append(OverdueFirm(line.credit_code, line.name, line.chains_on(d),
                                date.fromordinal(since), length, cause))
    rows.sort(key=lambda r: (-(r.days if r.days is not None else _FUTURE), r.credit_code))
    return rows


def _month_key(day: int) -> str:
    d = date.fromordinal(day)
    return f"{d.year:04d}-{d.month:02d}"


def time_to_cover_by_month(engine: Engine, start: date, end: date,
                           denominator: str | None = None) -> list[dict]:
    """The per-firm reference of :func:`tracker.flow.time_to_cover_by_month`."""
    if end < start:
        raise TrackerError(f"结束日期 {end} 早于开始日期 {start}")
    first, last = date(start.year, start.month, 1).toordinal(), end.toordinal()
    waits: dict[tuple[str, str], list[int]] = {}
    entered: dict[tuple[str, str], int] = {}

    def count(key: str, runs: Runs, covered: Runs) -> None:
        for run_start, _ in runs.spans:
            if first <= run_start <= last:
                slot = (key, _month_key(run_start))
                entered[slot] = entered.get(slot, 0) + 1
                hit = covered.first_from(run_start, last)
                if hit is not None and runs.contains(hit):
                    waits.setdefault(slot, []).append(hit - run_start)

    for line in timelines(engine, None, denominator).values():
        count("*", line.population, line.covered)
        for code, runs in line.chains.items():
            count(code, runs, line.covered)
    return _month_rows(entered, waits)


def losses(engine: Engine, start: date, end: date, chain: str | None = None,
           denominator: str | None = None) -> list[Loss]:
    """The per-firm reference of :func:`tracker.flow.losses`."""
    code = chain.strip().upper() if chain else None
    lost = {row["credit_code"] for row in flow(engine, start, end, code, denominator).firms
            if row["change"] == "lost"}
    if not lost:
        return []
    d1, d2 = start.toordinal(), end.toordinal()
    lines = {line.credit_code: line
             for line in timelines(engine, code, denominator).values() if line.credit_code in lost}
    ids = {line.firm_id: line.credit_code for line in lines.values()}
    # What ended is read row by row in both versions: the same function.
    ended = {ids[i]: items for i, items in ended_covers(engine, list(ids), d1, d2).items()}
    out = [Loss(c, lines[c].name, lines[c].chains_on(d1), sorted(ended.get(c, []),
                                                                 key=lambda x: x["on"]))
           for c in sorted(lost)]
    return out

