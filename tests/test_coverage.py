"""Coverage at a date: hand-built districts with hand-computed figures."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
import sqlalchemy as sa

from tests.builders import World, fresh_world
from tracker.coverage import coverage, firm_status, in_population, month_ends, monthly_series
from tracker.scope import Scope

D = date(2024, 6, 30)


@pytest.fixture
def district(world):
    """Seven firms; the comments give each one's status on D = 2024-06-30.

    A  BIO           own branch O1 (单独组建)                        -> org, single
    B  BIO + IC      joint branch J1                                 -> org (counts in both chains)
    C  IC            liaison 张三 since 2024-01-01                    -> work
    D  IC            linked to O2, dissolved 2024-05-01; liaison too -> work (dissolved org covers nothing)
    E  BIO           nothing                                         -> uncovered
    F  BIO, left the chain 2024-03-01, own branch                    -> not in the population
    G  AUTO, joins 2024-07-01                                        -> not yet in the population
    """
    w = world
    w.firm("A", chains=["BIO"], formal=5, park="科学城", street="萝岗街道", above_size=True,
           segment="upstream", master=True, joined="2022-01-01")
    w.firm("B", chains=["BIO", "IC"], formal=1, park="科学城", street="萝岗街道", ownership="foreign",
           joined="2022-03-01")
    w.firm("C", chains=["IC"], formal=0, park="知识城", street="九佛街道", joined="2023-01-01")
    w.firm("D", chains=["IC"], formal=2, park="知识城", street="九佛街道", segment="downstream")
    w.firm("E", chains=["BIO"], formal=0, park="知识城", street="永和街道")
    w.firm("F", chains=["BIO"], formal=4, joined="2022-01-01", left="2024-03-01")
    w.firm("G", chains=["AUTO"], formal=0, joined="2024-07-01")
    w.org("O1", formation="single", members=5, founded="2022-06-01")
    w.org("J1", formation="joint", members=3, founded="2023-01-01")
    w.org("O2", formation="single", members=3, founded="2022-01-01", dissolved="2024-05-01")
    w.org("OF", formation="single", members=4, founded="2022-01-01")
    w.link("O1", "A")
    w.link("J1", "B")
    w.link("O2", "D")
    w.link("OF", "F")
    w.liaison("张三")
    w.assign("张三", "C", start="2024-01-01")
    w.assign("张三", "D", start="2023-06-01")
    return w


def test_district_total(district, engine):
    total = coverage(engine, D).total
    assert (total.firms, total.org_covered, total.work_covered, total.uncovered) == (5, 2, 2, 1)
    assert total.coverage_rate == pytest.approx(4 / 5)
    assert total.org_coverage_rate == pytest.approx(2 / 5)
    assert total.single_unit_rate == pytest.approx(1 / 5)


def test_by_chain_counts_a_firm_in_each_of_its_chains(district, engine):
    result = coverage(engine, D, by="chain")
    bio, ic, auto = result.group("BIO").counts, result.group("IC").counts, result.group("AUTO").counts
    assert (bio.firms, bio.org_covered, bio.work_covered, bio.uncovered) == (3, 2, 0, 1)
    assert (ic.firms, ic.org_covered, ic.work_covered, ic.uncovered) == (3, 1, 2, 0)
    assert auto.firms == 0 and auto.coverage_rate is None
    assert len(result.groups) == 13  # every chain is listed, even empty ones
    assert result.group("BIO").name == "生物技术"


def test_other_groupings(district, engine):
    park = {g.key: g.counts for g in coverage(engine, D, by="park").groups}
    assert (park["科学城"].firms, park["科学城"].org_covered) == (2, 2)
    assert (park["知识城"].firms, park["知识城"].work_covered, park["知识城"].uncovered) == (3, 2, 1)
    street = {g.key: g.counts.firms for g in coverage(engine, D, by="street").groups}
    assert street == {"萝岗街道": 2, "九佛街道": 2, "永和街道": 1}
    segment = {g.key: g.counts.firms for g in coverage(engine, D, by="segment").groups}
    assert segment == {"upstream": 1, "midstream": 3, "downstream": 1}
    ownership = {g.key: g.counts.firms for g in coverage(engine, D, by="ownership").groups}
    assert ownership == {"foreign": 1, "private": 4}
    scale = {g.key: g.counts.firms for g in coverage(engine, D, by="scale").groups}
    assert scale == {"above": 1, "below": 4}


def test_dates_move_the_population_and_the_status(district, engine):
    # Before F left and before O2 was dissolved: F org-covered, D org-covered by O2.
    early = coverage(engine, date(2024, 2, 1)).total
    assert (early.firms, early.org_covered, early.work_covered, early.uncovered) == (6, 4, 1, 1)
    # G joins AUTO on 2024-07-01.
    later = coverage(engine, date(2024, 7, 1), by="chain")
    assert later.total.firms == 6 and later.group("AUTO").counts.uncovered == 1
    # Long before: only D and E, whose membership has no joined date, are in a chain.
    before = coverage(engine, date(2000, 1, 1)).total
    assert (before.firms, before.uncovered) == (2, 2)


def test_empty_store_has_no_rates(engine):
    result = coverage(engine, D, by="chain")
    assert result.total.firms == 0 and result.total.coverage_rate is None
    assert all(g.counts.firms == 0 for g in result.groups)


def test_scope_restricts_the_population(district, engine):
    ic = coverage(engine, D, scope=Scope.of(chains=["IC"]), by="chain")
    assert ic.total.firms == 3
    assert [g.key for g in ic.groups] == ["IC"]
    area = coverage(engine, D, scope=Scope.of(areas=["知识城"]))
    assert (area.total.firms, area.total.uncovered) == (3, 1)


def test_above_size_denominator(district, engine):
    result = coverage(engine, D, denominator="above_size")
    assert result.total.firms == 1 and result.total.org_covered == 1
    assert "规上" in result.denominator_text


def test_json_contract(district, engine):
    data = coverage(engine, D, by="chain").as_dict()
    assert {"as_of", "plan", "denominator", "total", "groups"} <= set(data)
    assert set(data["total"]) >= {"firms", "org_covered", "work_covered", "uncovered",
                                  "coverage_rate", "org_coverage_rate", "single_unit_rate"}
    assert data["plan"]["deadline"] == "2025-12-31" and data["plan"]["target_rate"] == 1.0
    assert data["groups"][0]["key"] == "BIO"


def test_firm_status_lists_the_population_with_reasons(district, engine):
    frame = firm_status(engine, D).set_index("credit_code")
    w = district
    assert set(frame.index) == {w.code(k) for k in "ABCDE"}
    assert frame.loc[w.code("A"), "status"] == "org" and frame.loc[w.code("A"), "single_unit"]
    assert frame.loc[w.code("B"), "chains"] == "BIO;IC"
    assert frame.loc[w.code("D"), "status"] == "work"
    assert frame.loc[w.code("E"), "status"] == "none"
    assert bool(frame.loc[w.code("A"), "chain_master"])


def test_month_ends():
    assert month_ends(date(2023, 11, 5), date(2024, 1, 31)) == [
        date(2023, 11, 30), date(2023, 12, 31), date(2024, 1, 31)]


def test_series_equals_coverage_on_the_hand_built_district(district, engine):
    dates = month_ends(date(2022, 1, 1), date(2024, 12, 31))
    series = monthly_series(engine, dates)
    for d in dates[::5] + [date(2024, 6, 30)]:
        result = coverage(engine, d, by="chain")
        row = series[(series["date"] == d) & (series["key"] == "*")].iloc[0]
        assert (row.firms, row.org_covered, row.work_covered) == (
            result.total.firms, result.total.org_covered, result.total.work_covered)
        for group in result.groups:
            row = series[(series["date"] == d) & (series["key"] == group.key)].iloc[0]
            assert (row.firms, row.org_covered, row.work_covered, row.single_unit) == (
                group.counts.firms, group.counts.org_covered, group.counts.work_covered,
                group.counts.single_unit)


# ------------------------------------------------------------------ property: series == SQL

day = st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 31))
maybe_day = st.one_of(st.none(), day)
firm_spec = st.fixed_dictionaries({
    "chains": st.lists(st.sampled_from(["BIO", "IC", "AUTO"]), min_size=1, max_size=2, unique=True),
    "joined": maybe_day, "left": maybe_day,
    "org": st.one_of(st.none(), st.tuples(st.sampled_from(["single", "joint"]), maybe_day, maybe_day)),
    "liaison": st.one_of(st.none(), st.tuples(maybe_day, maybe_day)),
})


def _ordered(a, b):
    if a is not None and b is not None and b <= a:
        return b, a if a != b else None
    return a, b


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(firm_spec, min_size=1, max_size=8), on=day)
def test_series_equals_sql_on_random_districts(sqlite_url, firms, on):
    from tracker.chains import init_store
    from tracker.store import get_engine
    from tracker.model import metadata

    engine = get_engine(sqlite_url)
    init_store(engine)
    with engine.begin() as conn:  # fresh data for each example, same chains
        for table in ("assignment", "coverage_link", "liaison", "party_org", "chain_membership", "firm"):
            conn.execute(metadata.tables[table].delete())
    w = World(engine)
    w.liaison("李四")
    for i, spec in enumerate(firms):
        joined, left = _ordered(spec["joined"], spec["left"])
        w.firm(f"f{i}", chains=spec["chains"], joined=joined, left=left)
        if spec["org"]:
            formation, start, end = spec["org"]
            start, end = _ordered(start, end)
            w.org(f"o{i}", formation=formation, founded=start, dissolved=end)
            w.link(f"o{i}", f"f{i}")
        if spec["liaison"]:
            w.assign("李四", f"f{i}", *_ordered(*spec["liaison"]))
    series = monthly_series(engine, [on])
    result = coverage(engine, on, by="chain")
    total = series[series["key"] == "*"].iloc[0]
    assert (total.firms, total.org_covered, total.work_covered, total.single_unit) == (
        result.total.firms, result.total.org_covered, result.total.work_covered,
        result.total.single_unit)
    for group in result.groups:
        row = series[series["key"] == group.key].iloc[0]
        assert (row.firms, row.org_covered, row.work_covered) == (
            group.counts.firms, group.counts.org_covered, group.counts.work_covered)


# ------------------------------------------- property: coverage() == a plain-Python model

interval = st.tuples(maybe_day, maybe_day).map(lambda pair: _ordered(*pair))
membership = st.tuples(st.sampled_from(["BIO", "IC", "AUTO"]), interval,
                       st.sampled_from(["upstream", "midstream", "downstream"]))
model_firm = st.fixed_dictionaries({
    # Two rows in one chain are allowed: the firm must still count once there.
    "memberships": st.lists(membership, min_size=0, max_size=3),
    "park": st.sampled_from([None, "科学城", "知识城"]),
    "street": st.sampled_from([None, "萝岗街道", "九佛街道"]),
    "ownership": st.sampled_from(["private", "foreign"]),
    "above_size": st.booleans(),
    # (formation, org interval, link interval) per covering organisation
    "orgs": st.lists(st.tuples(st.sampled_from(["single", "joint"]), interval, interval), max_size=2),
    "liaisons": st.lists(interval, max_size=2),
})


def _model(firms, on, by, scope, denominator):
    """Hand-computed figures: the definitions of tracker.coverage applied row by row."""
    from tracker.intervals import is_active

    totals, groups = [0] * 4, {}
    for spec in firms:
        rows = [(c, seg) for c, (start, end), seg in spec["memberships"]
                if is_active(start, end, on) and (scope.chains is None or c in scope.chains)]
        if not rows:
            continue
        if scope.areas is not None and spec["park"] not in scope.areas and spec["street"] not in scope.areas:
            continue
        if denominator == "above_size" and not spec["above_size"]:
            continue
        live = [f for f, org_span, link_span in spec["orgs"]
                if is_active(*org_span, on) and is_active(*link_span, on)]
        org = bool(live)
        work = not org and any(is_active(*span, on) for span in spec["liaisons"])
        flags = (1, int(org), int(work), int("single" in live))
        keys = {"chain": {c for c, _ in rows}, "segment": {s for _, s in rows},
                "park": {spec["park"]}, "street": {spec["street"]},
                "ownership": {spec["ownership"]},
                "scale": {"above" if spec["above_size"] else "below"}}.get(by, set())
        for key in keys:
            counts = groups.setdefault(key if key is not None else "", [0] * 4)
            for i, flag in enumerate(flags):
                counts[i] += flag
        for i, flag in enumerate(flags):
            totals[i] += flag
    return tuple(totals), {k: tuple(v) for k, v in groups.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(model_firm, min_size=0, max_size=7), on=day,
       by=st.sampled_from([None, "chain", "segment", "park", "street", "ownership", "scale"]),
       scope=st.sampled_from([Scope.of(), Scope.of(chains=["IC"]), Scope.of(chains=["BIO", "AUTO"]),
                              Scope.of(areas=["知识城", "九佛街道"])]),
       denominator=st.sampled_from(["chain_firms", "above_size"]))
def test_coverage_equals_a_plain_python_model(engine, firms, on, by, scope, denominator):
    from tracker.model import metadata

    fresh_world(engine, firms)  # fresh data for each example, same chains and plans
    result = coverage(engine, on, by=by, scope=scope, denominator=denominator)
    total, groups = _model(firms, on, by, scope, denominator)

    def key(c):
        return (c.firms, c.org_covered, c.work_covered, c.single_unit)

    assert key(result.total) == total
    assert result.total.uncovered == total[0] - total[1] - total[2]
    found = {g.key: key(g.counts) for g in result.groups if g.counts.firms or by != "chain"}
    assert found == groups
    # The SQL statement of firm_status and the per-firm population test agree as well.
    F = metadata.tables["firm"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(F).where(
            in_population(F.c.id, on, scope, denominator))).scalar() == total[0]
    frame = firm_status(engine, on, scope=scope, denominator=denominator)
    assert (len(frame), int((frame["status"] == "org").sum()), int((frame["status"] == "work").sum()),
            int(frame["single_unit"].sum())) == total
