"""Rule checks R1-R5 on hand-built districts: boundaries, dates, scope, output contract."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_graph import BASE, CHAINS, PARKS, STREETS, _clear, _load, data_sets, day
from tracker.cli import run
from tracker.graph import build_graph
from tracker.model import PartyOrg
from tracker.rules import (
    DEFAULT_CONFIG,
    MAX_BRANCH_MEMBERS,
    MAX_JOINT_UNITS,
    MIN_FORMAL_MEMBERS,
    RULES,
    Finding,
    RuleConfig,
    check,
    check_graph,
    rule_r6,
    rule_r7,
)
from tracker.scope import EVERYTHING, Scope
from tracker.visits import VISIT_WINDOW_DAYS
from tracker.vocab import SEVERITY

D = date(2024, 6, 30)


def _subjects(findings, rule):
    return sorted(f.subject_id for f in findings if f.rule == rule)


def test_rules_are_data_with_articles_and_known_severities():
    assert list(RULES) == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
    for rule in RULES.values():
        assert rule.severity in SEVERITY
        assert rule.subject_type in ("firm", "org")
        assert ("第" in rule.article("zh") or "号" in rule.article("zh")) and rule.article("en")
    assert "第三十条" in RULES["R1"].article("zh") and "第四条" in RULES["R1"].article("zh")
    assert "第五条" in RULES["R3"].article("zh")
    assert (DEFAULT_CONFIG.min_formal_members, DEFAULT_CONFIG.max_branch_members,
            DEFAULT_CONFIG.max_joint_units) == (MIN_FORMAL_MEMBERS, MAX_BRANCH_MEMBERS,
                                                MAX_JOINT_UNITS) == (3, 50, 5)


def test_r1_firms_with_three_formal_members_need_their_own_organisation(world):
    w = world
    w.firm("THREE", formal=3)  # no organisation: finding
    w.firm("TWO", formal=2, probationary=5)  # probationary members do not count
    w.firm("OWN", formal=3)
    w.firm("JOINT", formal=4)  # only a joint branch: still a finding
    w.firm("GONE", formal=9, left="2024-01-01")  # not in a chain on D: no firm finding
    w.firm("DISSOLVED", formal=5)  # its own branch was dissolved before D
    w.firm("LATE", formal=5)  # its own branch starts covering it after D
    w.org("O-OWN", members=3)
    w.link("O-OWN", "OWN")
    w.org("O-J", formation="joint", members=6)
    w.link("O-J", "JOINT")
    w.org("O-OLD", members=5, dissolved="2024-06-30")
    w.link("O-OLD", "DISSOLVED")
    w.org("O-LATE", members=5)
    w.link("O-LATE", "LATE", start="2024-07-01")
    found = check(w.engine, D, rules=["R1"])
    assert _subjects(found, "R1") == sorted(w.code(k) for k in ("THREE", "JOINT", "DISSOLVED", "LATE"))
    assert _subjects(check(w.engine, date(2023, 12, 31), rules=["R1"]), "R1") == sorted(
        w.code(k) for k in ("THREE", "JOINT", "GONE", "LATE"))
    finding = next(f for f in found if f.subject_id == w.code("THREE"))
    assert finding.severity == "error" and finding.subject_type == "firm"
    assert finding.subject_name == "测试企业THREE"
    assert "第三十条" in finding.message("zh") and "3" in finding.message("zh")
    # A stricter threshold is honoured from the one config.
    assert w.code("TWO") in _subjects(check(w.engine, D, config=RuleConfig(min_formal_members=2),
                                            rules=["R1"]), "R1")


def test_r2_branches_above_fifty_members(world):
    w = world
    w.org("B50", kind="branch", members=50)
    w.org("B51", kind="branch", members=51)
    w.org("G80", kind="general_branch", members=80)
    w.org("C200", kind="committee", members=200)
    w.org("B99-OLD", kind="branch", members=99, dissolved="2024-01-01")
    found = check(w.engine, D)
    assert _subjects(found, "R2") == ["B51"]
    (f,) = [f for f in found if f.rule == "R2"]
    assert f.severity == "warning" and f.subject_type == "org" and "51" in f.message("zh")
    assert "第四条" in f.message("zh")
    assert _subjects(check(w.engine, D, config=RuleConfig(max_branch_members=49)), "R2") == ["B50", "B51"]


def test_r3_joint_organisations_above_five_units(world):
    w = world
    for i in range(12):
        w.firm(f"F{i}")
    w.firm("OUT", chains=[])  # in no chain, still a unit of the joint branch (documented choice)
    w.org("J5", formation="joint", members=8)
    w.org("J6", formation="joint", members=8)
    w.org("JOUT", formation="joint", members=8)
    w.org("S6", formation="single", members=8)  # not joint: no R3
    w.org("JEND", formation="joint", members=8)
    for i in range(5):
        w.link("J5", f"F{i}")
        w.link("J6", f"F{i}")
        w.link("JOUT", f"F{i + 5}")
        w.link("S6", f"F{i}")
        w.link("JEND", f"F{i}")
    w.link("J6", "F11")
    w.link("JOUT", "OUT")
    w.link("S6", "F11")
    w.link("JEND", "F11", end="2024-06-30")  # ended on D: 5 units on D
    w.link("J5", "F4", start="2023-01-01")  # the same firm twice: still one unit
    found = check(w.engine, D, rules=["R3"])
    assert _subjects(found, "R3") == ["J6", "JOUT"]
    assert "6" in next(f for f in found if f.subject_id == "J6").message("zh")
    assert _subjects(check(w.engine, date(2024, 6, 29), rules=["R3"]), "R3") == ["J6", "JEND", "JOUT"]


def test_ids_of_a_province_do_not_overflow(world):
    """The rules pack ids into one integer (an organisation's id times the number of
    firms, a firm's id times 4,096). With a province's ids that passes PostgreSQL's 32-bit
    ``integer`` (it failed at 100,000 firms there): on PostgreSQL the ids here start high."""
    w = world
    if w.engine.dialect.name == "postgresql":
        with w.engine.begin() as conn:
            conn.execute(sa.text("ALTER SEQUENCE firm_id_seq RESTART WITH 600000"))
            conn.execute(sa.text("ALTER SEQUENCE party_org_id_seq RESTART WITH 50000"))
    for i in range(6):
        w.firm(f"F{i}", formal=3 if i == 0 else 0)
    w.firm("MASTER", master=True)
    w.org("J6", formation="joint", members=8)
    for i in range(6):
        w.link("J6", f"F{i}")
    found = check(w.engine, D)
    assert _subjects(found, "R3") == ["J6"]
    assert _subjects(found, "R1") == [w.code("F0")]
    assert _subjects(found, "R5") == [w.code("MASTER")]


def test_r4_organisations_with_fewer_than_three_members(world):
    w = world
    w.org("M2", members=2)
    w.org("M3", members=3)
    w.org("M0", kind="committee", members=0)
    w.org("M1-OLD", members=1, dissolved="2024-06-30")
    w.org("M1-NEW", members=1, founded="2024-07-01")
    found = check(w.engine, D, rules=["R4"])
    assert _subjects(found, "R4") == ["M0", "M2"]
    assert all(f.severity == "error" for f in found)
    assert _subjects(check(w.engine, date(2024, 7, 1), rules=["R4"]), "R4") == ["M0", "M1-NEW", "M2"]


def test_r5_chain_masters_without_organisation_coverage(world):
    w = world
    w.firm("BARE", master=True)
    w.firm("WORK", master=True)  # work coverage is not enough
    w.firm("COVERED", master=True)
    w.firm("PLAIN")  # not a master
    w.firm("WAS", chains=["BIO"], master=True, left="2024-01-01")  # no longer master of BIO ...
    w.join("WAS", "DISPLAY")  # ... but still in a chain: a population firm, not a master
    w.firm("OTHER", chains=["BIO"])
    w.join("OTHER", "DISPLAY", master=True)  # master of DISPLAY only
    w.liaison("钱联络")
    w.assign("钱联络", "WORK")
    w.org("O", members=5, formation="regional")
    w.link("O", "COVERED")
    found = check(w.engine, D, rules=["R5"])
    assert _subjects(found, "R5") == sorted(w.code(k) for k in ("BARE", "WORK", "OTHER"))
    other = next(f for f in found if f.subject_id == w.code("OTHER"))
    assert "新型显示" in other.message("zh") and "New display" in other.message("en")
    # Within the BIO chain OTHER is a plain member: no R5.
    scoped = check(w.engine, D, scope=Scope.of(chains=["BIO"]), rules=["R5"])
    assert _subjects(scoped, "R5") == sorted(w.code(k) for k in ("BARE", "WORK"))


def test_scope_limits_firms_and_organisations(world):
    w = world
    w.firm("BIO1", chains=["BIO"], formal=4)
    w.firm("DIS1", chains=["DISPLAY"], formal=4)
    w.org("TOP", kind="committee", members=1)  # R4, ancestor of a BIO organisation
    w.org("BIO-J", formation="joint", members=1, parent="TOP")
    w.link("BIO-J", "BIO1")
    w.org("DIS-J", formation="joint", members=1)
    w.link("DIS-J", "DIS1")
    w.org("IDLE", members=1)  # covers no one: only in the district-wide check
    everything = check(w.engine, D)
    assert _subjects(everything, "R1") == sorted([w.code("BIO1"), w.code("DIS1")])
    assert _subjects(everything, "R4") == ["BIO-J", "DIS-J", "IDLE", "TOP"]
    bio = check(w.engine, D, scope=Scope.of(chains=["BIO"]))
    assert _subjects(bio, "R1") == [w.code("BIO1")]
    assert _subjects(bio, "R4") == ["BIO-J", "TOP"]


def test_findings_are_sorted_and_keep_the_json_contract(world):
    w = world
    w.firm("Z", formal=7, master=True)
    w.firm("A", formal=3)
    w.org("SMALL", members=1)
    w.org("BIG", members=60)
    found = check(w.engine, D)
    assert [(f.rule, f.subject_id) for f in found] == sorted((f.rule, f.subject_id) for f in found)
    # R7 (info): neither organisation has its term recorded.
    assert [f.rule for f in found] == ["R1", "R1", "R2", "R4", "R5", "R7", "R7"]
    assert [f.severity for f in found if f.rule == "R7"] == ["info", "info"]
    for f in found:
        d = f.as_dict()
        assert list(d)[:5] == ["rule", "severity", "subject_type", "subject_id", "message"]
        assert d["message"] == f.message("zh") and d["message_en"] == f.message("en")
        json.dumps(d, ensure_ascii=False)
    english = check(w.engine, D, lang="en")
    assert english == found  # the language changes the text shown, not the finding
    assert english[0].as_dict()["message"] == found[0].message("en")
    assert "Basis:" in english[0].message()
    assert isinstance(found[0], Finding)
    with pytest.raises(ValueError, match="R9"):
        check(w.engine, D, rules=["R9"])


@settings(max_examples=60, deadline=None)
@given(formal=st.integers(0, 10), members=st.integers(0, 120), units=st.integers(0, 9),
       cfg=st.builds(RuleConfig, min_formal_members=st.integers(1, 8),
                     max_branch_members=st.integers(10, 100), max_joint_units=st.integers(1, 8),
                     min_org_members=st.integers(1, 8)))
def test_thresholds_follow_config(formal, members, units, cfg):
    """The rule functions apply exactly the configured boundaries (graph-level, no store)."""
    import networkx as nx

    from tracker.rules import rule_r1, rule_r2, rule_r3, rule_r4

    G = nx.MultiDiGraph()
    G.add_node("firm:X", type="firm", credit_code="X", name="X", formal_members=formal)
    G.add_node("org:J", type="org", code="J", name="J", kind="branch", formation="joint",
               members=members, linked_firms=units)
    G.add_edge("org:J", "firm:X", label="covers")
    default = RuleConfig()
    assert bool(rule_r1(G, default)) == (formal >= 3)  # only a joint branch covers X
    assert bool(rule_r2(G, default)) == (members > 50)
    assert bool(rule_r3(G, default)) == (units > 5)
    assert bool(rule_r4(G, default)) == (members < 3)
    # Any other thresholds are applied exactly, and the message states the threshold used.
    assert bool(rule_r1(G, cfg)) == (formal >= cfg.min_formal_members)
    assert bool(rule_r2(G, cfg)) == (members > cfg.max_branch_members)
    assert bool(rule_r3(G, cfg)) == (units > cfg.max_joint_units)
    assert bool(rule_r4(G, cfg)) == (members < cfg.min_org_members)
    for rule, threshold in ((rule_r2, cfg.max_branch_members), (rule_r3, cfg.max_joint_units),
                            (rule_r4, cfg.min_org_members)):
        for finding in rule(G, cfg):
            assert f"{threshold}名" in finding.message("zh") or f"{threshold}家" in finding.message("zh")


def test_check_command(world, capsys):
    w = world
    w.firm("A", formal=3, master=True)
    w.org("SMALL", members=2)
    url = w.engine.url.render_as_string(hide_password=False)
    assert run(["--db", url, "check", "--as-of", "2024-06-30", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["rule"], r["subject_id"]) for r in rows] == [
        ("R1", w.code("A")), ("R4", "SMALL"), ("R5", w.code("A")), ("R7", "SMALL")]
    assert {"rule", "severity", "subject_type", "subject_id", "message"} <= set(rows[0])
    assert run(["--db", url, "check", "--as-of", "2024-06-30"]) == 0
    out = capsys.readouterr().out
    assert "R1" in out and "SMALL" in out and "违规" in out
    assert out.count("第三十条") == 1  # the article is cited once, under the table
    assert run(["--db", url, "check", "--lang", "en", "--chain", "AUTO"]) == 0
    assert "0 findings" in capsys.readouterr().out
    assert run(["--db", url, "check", "--chain", "NOPE"]) == 1
    err = capsys.readouterr().err.strip()
    assert "NOPE" in err and len(err.splitlines()) == 1
    assert run(["--db", url, "check", "--as-of", "2024-13-01"]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# ------------------------------------------ the facts from SQL equal the facts of the graph

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=data_sets(), days=st.lists(day, min_size=1, max_size=2),
       members=st.lists(st.integers(0, 60), min_size=8, max_size=8),
       chains=st.none() | st.sets(st.sampled_from(CHAINS), min_size=1),
       areas=st.none() | st.sets(st.sampled_from(PARKS[1:] + STREETS[1:]), min_size=1))
def test_rule_facts_from_sql_equal_the_graphs(sqlite_engine, data, days, members, chains, areas):
    """:func:`tracker.rules.check` counts in SQL and numpy (no graph, for a province's
    million firms); the typed graph is the independent cross-check: every finding of R1-R7
    the same, on random districts, dates and scopes."""
    _clear(sqlite_engine)
    _load(sqlite_engine, data)
    with sqlite_engine.begin() as conn:
        ids = conn.scalars(sa.select(PartyOrg.id).order_by(PartyOrg.id)).all()
        for i, org_id in enumerate(ids):
            conn.execute(sa.update(PartyOrg.__table__).where(PartyOrg.__table__.c.id == org_id)
                         .values(member_count=members[i % len(members)]))
    for scope in (EVERYTHING, Scope.of(chains=chains, areas=areas)):
        for offset in days:
            on = BASE + timedelta(days=offset)
            G = build_graph(sqlite_engine, on, scope)
            expected = (check_graph(G) + rule_r6(G, sqlite_engine, on, VISIT_WINDOW_DAYS)
                        + rule_r7(G, sqlite_engine, on))
            expected.sort(key=lambda f: (f.rule, f.subject_id))
            found = check(sqlite_engine, on, scope)
            assert [f.as_dict() for f in found] == [f.as_dict() for f in expected]
