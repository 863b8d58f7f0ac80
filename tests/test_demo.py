"""The synthetic district: deterministic, realistic in shape, and telling the deadline story."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tracker import uscc
from tracker.chains import init_store
from tracker.cli import run
from tracker.coverage import coverage, monthly_series
from tracker.demo import PARKS, STREETS, _credit_codes, ensure_demo, generate, load_demo
from tracker.model import (Assignment, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg,
                           SupplyLink)
from tracker.provenance import get_info, set_info
from tracker.store import get_engine

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
    found = Counter(f.rule for f in check(engine, TODAY))
    assert set(found) == {"R1", "R2", "R3", "R4", "R5"}
    assert found["R5"] == 1
    assert all(count <= 0.05 * population for count in found.values())


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
                        ("assignments", Assignment), ("supply_links", SupplyLink)]:
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
