"""The synthetic district: deterministic, realistic in shape, and telling the deadline story."""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import pairwise

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tracker import uscc
from tracker.chains import init_store
from tracker.cli import run
from tracker.coverage import coverage, monthly_series
from tracker.demo import (
    PARKS,
    STREETS,
    VISITS_FROM,
    _add_years,
    _credit_codes,
    ensure_demo,
    example_plan,
    generate,
    load_demo,
)
from tracker.errors import TrackerError
from tracker.flow import flow, losses
from tracker.model import (
    Assignment,
    ChainMembership,
    CoverageLink,
    Firm,
    Liaison,
    PartyOrg,
    SupplyLink,
    Visit,
)
from tracker.plans import add_plan, list_plans, plan_as_dict, plan_in_force
from tracker.provenance import get_info, set_info
from tracker.store import get_engine
from tracker.terms import term_due, terms

TODAY = date(2026, 11, 25)
DEADLINE = date(2025, 12, 31)


@pytest.fixture(scope="module")
def data():
    return generate(firms=3000, seed=2022, today=TODAY)


def _loaded(tmp_path_factory, seed: int):
    url = f"sqlite:///{tmp_path_factory.mktemp(f'demo{seed}') / 'redwood.db'}"
    engine = get_engine(url)
    init_store(engine)
    load_demo(engine, firms=3000, seed=seed, today=TODAY)
    return engine


@pytest.fixture(scope="module", params=[2022, 7])
def story(request, tmp_path_factory):
    """A store holding the default-sized demo for a few seeds, with the generated data."""
    engine = _loaded(tmp_path_factory, request.param)
    yield engine, generate(firms=3000, seed=request.param, today=TODAY)
    engine.dispose()


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    a = generate(firms=600, seed=5, today=TODAY)
    b = generate(firms=600, seed=5, today=TODAY)
    c = generate(firms=600, seed=6, today=TODAY)
    assert a.equals(b)
    assert a.counts() == b.counts()
    assert not a.equals(c)
    assert a.firms.column("credit_code") != c.firms.column("credit_code")
    # The visits, the terms and the losses after the deadline are part of the seed's data.
    assert "visits" in a.tables and a.visits.equals(b.visits) and not a.visits.equals(c.visits)
    assert a.orgs.column("term_start") == b.orgs.column("term_start")
    assert a.orgs.column("term_start") != c.orgs.column("term_start")


def _store_dump(engine) -> dict:
    with engine.connect() as conn:
        return {
            "visits": conn.execute(sa.text(
                "SELECT liaison_id, firm_id, day, mode FROM visit ORDER BY 1, 2, 3, 4")).all(),
            "terms": conn.execute(sa.text(
                "SELECT code, term_start, term_years, dissolved FROM party_org ORDER BY code")).all(),
            "ends": conn.execute(sa.text(
                'SELECT liaison_id, firm_id, start, "end" FROM assignment ORDER BY 1, 2, 3')).all(),
        }


def test_the_same_seed_loads_the_same_store(sqlite_engine):
    load_demo(sqlite_engine, firms=300, seed=9, today=TODAY)
    first = _store_dump(sqlite_engine)
    load_demo(sqlite_engine, firms=300, seed=10, today=TODAY)
    other = _store_dump(sqlite_engine)
    load_demo(sqlite_engine, firms=300, seed=9, today=TODAY)
    again = _store_dump(sqlite_engine)
    assert first == again
    assert first["visits"] and first["visits"] != other["visits"]
    assert first["terms"] != other["terms"]
    assert len(list_plans(sqlite_engine)) == 2  # the example plan once, however often loaded


def test_refuses_unusable_sizes_and_dates():
    with pytest.raises(ValueError, match="企业数"):
        generate(firms=10, today=TODAY)
    with pytest.raises(ValueError, match="2022-01-31"):
        generate(firms=300, today=date(2021, 12, 31))


# --------------------------------------------------------------------------- shape


def test_credit_codes_are_valid_unique_and_read_as_huangpu(data):
    codes = data.firms.column("credit_code")
    assert len(set(codes)) == len(codes) == 3000
    assert all(uscc.is_valid(c) for c in codes)
    assert all(c[2:8] == "440112" for c in codes)
    prefixes = Counter(c[:2] for c in codes)
    assert set(prefixes) <= {"91", "N2", "Y1"}
    # A few codes of other registering authorities exercise the validator (~1 %).
    assert 0 < prefixes["N2"] + prefixes["Y1"] < 0.03 * len(codes)


def test_codes_stay_unique_at_scale():
    rng = np.random.default_rng(3)
    n = 300_000
    codes = _credit_codes(rng, n, rng.choice(3, size=n, p=[0.98, 0.01, 0.01]))
    assert len(set(codes)) == n
    assert all(uscc.is_valid(c) for c in codes[::97])


def test_firm_proportions_are_realistic(data):
    firms = data.firms.columns
    n = len(data.firms)
    ownership = Counter(firms["ownership"].tolist())
    assert 0.70 < ownership["private"] / n < 0.86
    assert ownership["foreign"] + ownership["hmt"] > ownership["state"] + ownership["mixed"] > 0
    assert 0.15 <= firms["above_size"].mean() <= 0.25
    formal = firms["formal_members"]
    assert (formal <= 2).mean() > 0.7
    assert 0.1 < ((formal >= 3) & (formal <= 20)).mean() < 0.3
    assert ((formal >= 50) & (formal <= 300)).sum() >= 13  # at least the chain masters
    assert formal.max() <= 300
    assert firms["probationary_members"].mean() < 1
    assert set(firms["park"].tolist()) == set(PARKS) | {None}
    assert set(firms["street"].tolist()) <= set(STREETS)
    names = data.firms.column("name")
    assert len(set(names)) == n


def test_chains_segments_and_masters(data):
    m = data.memberships.columns
    sizes = Counter(m["chain"].tolist())
    assert set(sizes) == set(data.chains) and len(sizes) == 13
    assert max(sizes.values()) >= 2 * min(sizes.values())  # uneven chain sizes
    per_firm = Counter(m["firm_id"].tolist())
    assert 0.08 <= sum(1 for v in per_firm.values() if v == 2) / len(per_firm) <= 0.16
    assert set(m["segment"].tolist()) == {"upstream", "midstream", "downstream"}
    masters = Counter(m["chain"][m["is_chain_master"]].tolist())
    assert set(masters) == set(data.chains)
    assert all(1 <= v <= 3 for v in masters.values())
    # Firms join over time, also after the deadline, and some leave.
    joined = m["joined"]
    assert (joined == date(2022, 1, 1).toordinal()).mean() > 0.5
    assert (joined > DEADLINE.toordinal()).sum() > 100
    assert 0 < (m["left"] > 0).mean() < 0.15


def test_supply_links_run_within_a_chain_down_the_segments(data):
    m = data.memberships.columns
    segment = {(f, c): s for f, c, s in zip(m["firm_id"].tolist(), m["chain"].tolist(),
                                             m["segment"].tolist())}
    order = {"upstream": 0, "midstream": 1, "downstream": 2}
    s = data.supply_links.columns
    triples = list(zip(s["supplier_id"].tolist(), s["buyer_id"].tolist(), s["chain"].tolist()))
    assert len(triples) > len(data.firms) * 0.5
    assert len(set(triples)) == len(triples)
    for supplier, buyer, chain in triples:
        assert order[segment[supplier, chain]] + 1 == order[segment[buyer, chain]]


def test_intervals_are_well_ordered_and_not_after_today(data):
    today = TODAY.toordinal()
    for table, start, end in [(data.memberships, "joined", "left"), (data.links, "start", "end"),
                              (data.assignments, "start", "end"),
                              (data.orgs, "founded", "dissolved")]:
        s, e = table.columns[start], table.columns[end]
        assert (s > 0).all(), table.name
        both = e > 0
        assert (e[both] > s[both]).all(), table.name
        assert (s <= today).all() and (e <= today).all(), table.name
    # A coverage link starts at its organisation's founding or later.
    founded = data.orgs.columns["founded"]
    links = data.links.columns
    assert (links["start"] >= founded[links["org_id"] - 1]).all()


def test_organisation_tree_is_acyclic(data):
    parent = dict(zip(data.orgs.column("id"), data.orgs.column("parent_id")))
    assert set(parent.values()) - {None} <= set(parent)
    for org_id in parent:
        seen = set()
        while org_id is not None:
            assert org_id not in seen
            seen.add(org_id)
            org_id = parent[org_id]
    codes = data.orgs.column("code")
    assert len(set(codes)) == len(codes)


def test_no_party_member_is_named(data):
    """Names appear only for firms, organisations and liaison officers (district staff)."""
    name_columns = {(t, c) for t in data.tables for c in getattr(data, t).columns if "name" in c}
    assert name_columns == {("firms", "name"), ("orgs", "name"), ("liaisons", "name")}
    assert all(n.endswith(("党委", "委员会", "党总支", "党支部")) for n in data.orgs.column("name"))
    assert all(n.endswith(("公司", "合作社", "研究院")) for n in data.firms.column("name"))


def test_liaison_officers_serve_one_to_three_firms_at_a_time(data):
    a = data.assignments.columns
    officers = len(data.liaisons)
    assert 80 <= officers <= 180
    assert len(set(zip(data.liaisons.column("name"), data.liaisons.column("unit")))) == officers
    for day in [date(2022, 6, 30), date(2024, 6, 30), DEADLINE, TODAY]:
        d = day.toordinal()
        active = (a["start"] <= d) & ((a["end"] == 0) | (a["end"] > d))
        load = np.bincount(a["liaison_id"][active], minlength=officers + 1)
        assert load.max() <= 3
    # Assignments start and end (handover to an organisation, or rotation of officers).
    assert (a["end"] > 0).sum() > 100


def test_rule_findings_are_present_on_purpose(data):
    orgs = data.orgs.columns
    links = data.links.columns
    today = TODAY.toordinal()
    active_link = (links["start"] <= today) & (links["end"] == 0)
    alive = orgs["dissolved"] == 0
    # R2: a 党支部 over 50 members.
    assert ((orgs["kind"] == "branch") & (orgs["member_count"] > 50) & alive).any()
    # R3: a joint organisation covering more than 5 firms today.
    per_org = np.bincount(links["org_id"][active_link], minlength=len(data.orgs) + 1)[1:]
    assert ((orgs["formation"] == "joint") & alive & (per_org > 5)).any()
    # R4: an organisation with fewer than 3 members.
    assert ((orgs["member_count"] < 3) & alive).any()
    # R5: a chain master with no organisation coverage.
    m = data.memberships.columns
    masters = set(m["firm_id"][m["is_chain_master"]].tolist())
    covered = set(links["firm_id"][active_link].tolist())
    assert len(masters - covered) == 1
    # R1: a firm with >= 3 formal members covered only by joint organisations.
    formation = orgs["formation"][links["org_id"][active_link] - 1]
    by_firm: dict[int, set] = {}
    for f, kind in zip(links["firm_id"][active_link].tolist(), formation.tolist()):
        by_firm.setdefault(f, set()).add(kind)
    formal = data.firms.columns["formal_members"]
    assert any(kinds == {"joint"} and formal[f - 1] >= 3 for f, kinds in by_firm.items())


# --------------------------------------------------------------------------- the story


def test_the_deadline_story_with_the_coverage_engine(story):
    engine, data = story
    start = coverage(engine, date(2022, 1, 31))
    assert 0.35 <= start.total.coverage_rate <= 0.50
    at_deadline = coverage(engine, DEADLINE, by="chain")
    rates = {g.key: g.counts.coverage_rate for g in at_deadline.groups}
    reached = [k for k, r in rates.items() if r == 1.0]
    missed = sorted(k for k, r in rates.items() if r < 1.0)
    assert len(reached) >= 9
    assert 2 <= len(missed) <= 4
    assert missed == sorted(data.lagging_chains)
    assert all(0.90 <= rates[k] <= 0.98 for k in missed)
    now = coverage(engine, TODAY)
    assert 0.93 <= now.total.coverage_rate <= 0.97
    assert now.total.firms > at_deadline.total.firms  # new firms joined after the deadline
    assert now.total.coverage_rate < at_deadline.total.coverage_rate
    # Organisation coverage grows too; work coverage bridges the rest.
    assert start.total.org_coverage_rate < at_deadline.total.org_coverage_rate
    assert at_deadline.total.work_covered > 0


def test_coverage_climbs_towards_the_deadline(story):
    engine, _ = story
    dates = [date(2022, 1, 31), date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31), DEADLINE]
    series = monthly_series(engine, dates, by_chain=False)
    district = series[series["key"] == "*"]
    rates = (district["covered"] / district["firms"]).tolist()
    assert rates == sorted(rates)
    assert rates[-1] - rates[0] > 0.4


def test_the_rule_engine_finds_each_rule_a_few_times(story):
    engine, _ = story
    from tracker.rules import check

    population = coverage(engine, TODAY).total.firms
    findings = check(engine, TODAY)
    found = Counter(f.rule for f in findings)
    assert set(found) == {"R1", "R2", "R3", "R4", "R5", "R6", "R7"}
    assert found["R5"] == 1
    assert all(count <= 0.05 * population for count in found.values()), found
    # R7: overdue terms are warnings, organisations without a term start are information.
    r7 = Counter(f.severity for f in findings if f.rule == "R7")
    assert set(r7) == {"warning", "info"}
    statuses = Counter(row.status for row in terms(engine, TODAY))
    assert r7 == {"warning": statuses["overdue"], "info": statuses["unknown"]}
    # R6: the work-covered firms that the officer has not visited in the plan's window.
    totals = coverage(engine, TODAY).total
    assert found["R6"] == totals.work_covered - totals.work_visited
    assert all(f.severity == "warning" and f.subject_type == "firm"
               for f in findings if f.rule == "R6")


# --------------------------------------------------------------------------- after the deadline


def test_the_example_plan_is_marked_and_the_shipped_plan_untouched(story):
    engine, _ = story
    plans = {p.name: p for p in list_plans(engine)}
    assert len(plans) == 2
    shipped = plans["红杉林计划"]
    assert shipped.is_default and not shipped.is_example
    assert (shipped.start, shipped.deadline, shipped.target_rate) == (
        date(2022, 1, 1), DEADLINE, 1.0)
    example = plans["红杉林计划（二期·示例）"]
    assert example.is_example and not example.is_default
    assert (example.start, example.deadline, example.target_rate) == (
        date(2026, 1, 1), date(2030, 12, 31), 1.0)
    assert (example.cover_within_days, example.visit_within_days) == (60, 90)
    assert "示例" in example.source and "并非真实政策" in example.source
    assert "not real policy" in example.source
    # In force from its start; the ended 红杉林 plan still rules the deadline.
    assert plan_in_force(engine, TODAY).name == example.name
    assert plan_in_force(engine, DEADLINE).name == "红杉林计划"
    assert coverage(engine, TODAY).plan["name"] == example.name


def test_loading_keeps_one_example_plan_and_never_overwrites_a_real_one(sqlite_engine):
    shipped_before = plan_as_dict(list_plans(sqlite_engine)[0])
    assert load_demo(sqlite_engine, firms=200, seed=1, today=TODAY)["plans"] == 1
    load_demo(sqlite_engine, firms=200, seed=1, today=TODAY)
    plans = list_plans(sqlite_engine)
    assert [p.is_example for p in plans] == [False, True]
    assert plan_as_dict(plans[0]) == shipped_before
    assert plan_as_dict(plans[1]) == {**example_plan(), "start": "2026-01-01",
                                      "deadline": "2030-12-31"}


def test_a_real_plan_with_the_example_name_stops_the_load(sqlite_engine):
    name = example_plan()["name"]
    add_plan(sqlite_engine, name, date(2026, 1, 1), date(2030, 12, 31), source="某区文件")
    with pytest.raises(TrackerError, match="示例|example"):
        load_demo(sqlite_engine, firms=200, seed=1, today=TODAY)
    assert _count(sqlite_engine, Firm) == 0  # all or nothing
    assert [p.is_example for p in list_plans(sqlite_engine)] == [False, False]


def test_visits_only_by_the_officer_assigned_on_the_day(story):
    engine, _ = story
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT COUNT(*) FROM visit")).scalar()
        outside = conn.execute(sa.text(
            'SELECT COUNT(*) FROM visit v WHERE NOT EXISTS (SELECT 1 FROM assignment a '
            'WHERE a.liaison_id = v.liaison_id AND a.firm_id = v.firm_id '
            'AND (a.start IS NULL OR a.start <= v.day) AND (a."end" IS NULL OR a."end" > v.day))'
        )).scalar()
        first, last = conn.execute(sa.text("SELECT MIN(day), MAX(day) FROM visit")).one()
        modes = dict(conn.execute(sa.text("SELECT mode, COUNT(*) FROM visit GROUP BY mode")).all())
    assert total > 3000
    assert outside == 0
    assert str(first) >= VISITS_FROM.isoformat() and str(last) <= TODAY.isoformat()
    assert set(modes) == {"visit", "talk", "guidance", "activity", "online"}
    assert 0.6 <= modes["visit"] / total <= 0.8  # mostly 走访


def _gaps_and_pairs(data):
    """Per officer-firm pair: the visit days; and per assignment that ran for at least four
    months of the visit log, the longest stretch of it without a visit by its officer."""
    v, a = data.visits.columns, data.assignments.columns
    first, today = VISITS_FROM.toordinal(), TODAY.toordinal()
    days: dict[tuple[int, int], list[int]] = {}
    for lid, fid, day in zip(v["liaison_id"].tolist(), v["firm_id"].tolist(), v["day"].tolist()):
        days.setdefault((lid, fid), []).append(day)
    longest = []
    for lid, fid, s, e in zip(a["liaison_id"].tolist(), a["firm_id"].tolist(),
                              a["start"].tolist(), a["end"].tolist()):
        lo, hi = max(s, first), (e or today + 1) - 1
        if hi - lo < 120:
            continue
        seen = [lo] + sorted(d for d in days.get((lid, fid), []) if lo <= d <= hi) + [hi]
        longest.append(max(b - a for a, b in pairwise(seen)))
    return days, longest


def test_visits_come_about_monthly_with_lapses_and_gaps(data):
    days, longest = _gaps_and_pairs(data)
    gaps = [b - a for seen in days.values() for a, b in pairwise(sorted(seen))]
    assert 25 <= float(np.median(gaps)) <= 40  # about monthly
    assert len(longest) > 200
    # Most assignments never go a quarter without a visit; some officers lapse for months.
    lapsed = sum(g > 90 for g in longest) / len(longest)
    assert 0.05 <= lapsed <= 0.35
    assert sum(g > 180 for g in longest) >= 3
    # Visits fall on working days.
    weekday = (data.visits.columns["day"] - 1) % 7
    assert (weekday >= 5).mean() < 0.01
    # Some firms assigned today have never been visited, most have.
    a = data.assignments.columns
    assigned_now = set(a["firm_id"][a["end"] == 0].tolist())
    visited = set(data.visits.columns["firm_id"].tolist())
    never = len(assigned_now - visited) / len(assigned_now)
    assert 0.01 <= never <= 0.15


def test_terms_are_spread_over_the_statuses(story):
    engine, _ = story
    rows = terms(engine, TODAY)
    share = {k: v / len(rows) for k, v in Counter(r.bucket for r in rows).items()}
    assert 0.015 <= share["overdue"] <= 0.07
    assert 0.03 <= share["within_3_months"] <= 0.12
    assert 0.03 <= share["within_6_months"] <= 0.12
    assert 0.02 <= share["unknown"] <= 0.05
    assert share["ok"] >= 0.7
    with engine.connect() as conn:
        stored = conn.execute(sa.select(PartyOrg.__table__)).mappings().all()
    years = Counter(r["term_years"] for r in stored)
    assert years[None] / len(stored) >= 0.85  # mostly the kind's default
    assert 0 < len(stored) - years[None] and set(years) - {None} <= {3, 5}
    for r in stored:
        if r["term_start"] is not None:
            assert r["founded"] <= r["term_start"] <= TODAY
            assert r["dissolved"] is None or r["term_start"] < r["dissolved"]


def test_add_years_counts_as_the_term_rule_does():
    days = [date(2024, 2, 29), date(2023, 6, 1), date(2022, 12, 31), date(2020, 2, 29)]
    years = [3, 5, 3, 4]
    got = _add_years(np.array([d.toordinal() for d in days]), np.array(years))
    assert [date.fromordinal(int(x)) for x in got] == [term_due(d, y) for d, y in zip(days, years)]
    assert [date.fromordinal(int(x)) for x in got] == [date(2027, 2, 28), date(2028, 6, 1),
                                                       date(2025, 12, 31), date(2024, 2, 29)]


def test_a_few_firms_lose_coverage_after_the_deadline(story):
    engine, _ = story
    since = flow(engine, DEADLINE, TODAY)
    months = 11
    assert 5 <= since.lost <= 0.01 * since.end["firms"] * months / 4  # well under 1 % a month
    this_month = losses(engine, date(2026, 10, 31), TODAY)
    assert 1 <= len(this_month) <= 10
    kinds = Counter(e["kind"] for loss in losses(engine, DEADLINE, TODAY) for e in loss.ended)
    assert kinds["assignment_ended"] >= 2
    assert kinds["org_dissolved"] + kinds["link_ended"] >= 2
    # The figures the issue tells stay in character: a little below the deadline's rate.
    assert 0.94 <= coverage(engine, TODAY).total.coverage_rate <= 0.97


# --------------------------------------------------------------------------- the store


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model.__table__)).scalar()


def test_load_twice_replaces_and_records_provenance(sqlite_engine):
    first = load_demo(sqlite_engine, firms=300, seed=1, today=TODAY)
    second = load_demo(sqlite_engine, firms=400, seed=2, today=TODAY)
    assert first["firms"] == 300
    for name, model in [("firms", Firm), ("memberships", ChainMembership), ("orgs", PartyOrg),
                        ("links", CoverageLink), ("liaisons", Liaison),
                        ("assignments", Assignment), ("supply_links", SupplyLink),
                        ("visits", Visit)]:
        assert _count(sqlite_engine, model) == second[name], name
    with sqlite_engine.connect() as conn:
        codes = conn.execute(sa.select(Firm.__table__.c.credit_code)).scalars().all()
    assert len(codes) == len(set(codes)) == 400
    assert set(codes) == set(generate(firms=400, seed=2, today=TODAY).firms.column("credit_code"))
    info = get_info(sqlite_engine)
    assert info["synthetic"] == "true"
    assert info["demo_seed"] == "2" and info["demo_firms"] == "400"
    assert "seed=2" in info["source"] and "合成" in info["source"]
    assert info["licence"]


def test_load_works_on_both_backends_and_leaves_ids_usable(engine):
    counts = load_demo(engine, firms=200, seed=4, today=TODAY)
    assert _count(engine, Firm) == counts["firms"] == 200
    assert _count(engine, CoverageLink) == counts["links"]
    assert _count(engine, Visit) == counts["visits"] > 0
    assert [p.is_example for p in list_plans(engine)] == [False, True]
    # New rows after the load get fresh ids (PostgreSQL sequences moved past the demo ids).
    with Session(engine) as session:
        session.add(Firm(credit_code=uscc.make("91440112MA5DEMX00"), name="新企业有限公司"))
        session.add(PartyOrg(code="NEW-1", name="新党支部", member_count=3))
        session.add(Liaison(name="新联络员", unit="区工信局"))
        session.commit()
    assert _count(engine, Firm) == 201
    load_demo(engine, firms=200, seed=4, today=TODAY)
    assert _count(engine, Firm) == 200


def test_ensure_demo_loads_only_into_an_empty_store(sqlite_engine):
    messages = []
    assert ensure_demo(sqlite_engine, progress=messages.append) is True
    assert _count(sqlite_engine, Firm) == 3000
    assert messages
    assert ensure_demo(sqlite_engine) is False
    assert get_info(sqlite_engine)["demo_seed"] == "2022"


def test_cli_demo_refuses_to_overwrite_real_data_without_force(sqlite_url, capsys):
    assert run(["--db", sqlite_url, "demo", "--firms", "200", "--seed", "3",
                "--today", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "合成" in out and "200" in out
    engine = get_engine(sqlite_url)
    with Session(engine) as session:
        set_info(session, synthetic="false", source="某区导入台账")
        session.commit()
    assert run(["--db", sqlite_url, "demo", "--firms", "250"]) == 1
    assert "--force" in capsys.readouterr().err
    assert _count(engine, Firm) == 200
    assert run(["--db", sqlite_url, "demo", "--firms", "10", "--force"]) == 1
    assert "企业数" in capsys.readouterr().err
    assert run(["--db", sqlite_url, "demo", "--today", "2026-02-30", "--force"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--today" in err and "2026-02-30" in err and len(err.splitlines()) == 1
    assert _count(engine, Firm) == 200
    assert run(["--db", sqlite_url, "demo", "--firms", "250", "--force"]) == 0
    assert _count(engine, Firm) == 250
    assert get_info(engine)["synthetic"] == "true"
