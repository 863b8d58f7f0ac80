"""Organisation terms (tracker.terms, ``tracker terms``) and liaison visits (tracker.visits,
``tracker liaisons``): every boundary by hand, on SQLite and PostgreSQL."""

import json
from datetime import date

import pytest

from tests.builders import World
from tracker.cli import run
from tracker.terms import term_due, terms
from tracker.visits import is_visited, last_visits, officers, visited_firms

D = date(2026, 6, 30)


@pytest.fixture
def orgs(world):
    w: World = world
    w.org("DUE", founded="2020-01-01", term_start="2023-06-30")            # branch: due 2026-06-30 = D
    w.org("LEAP", kind="general_branch", founded="2020-01-01", term_start="2024-02-29")  # due 2027-02-28
    w.org("CTTE", kind="committee", founded="2020-01-01", term_start="2022-01-01")       # 5 years: 2027-01-01
    w.org("SOON", founded="2020-01-01", term_start="2023-10-01")           # due 2026-10-01: 93 days
    w.org("LONG", founded="2020-01-01", term_start="2023-06-30", term_years=5)  # due 2028-06-30
    w.org("NONE", founded="2020-01-01")                                    # unknown
    w.org("GONE", founded="2020-01-01", dissolved="2026-01-01", term_start="2019-01-01")  # not active
    return w


def test_term_boundaries(orgs, engine):
    rows = {r.org_code: r for r in terms(engine, D)}
    assert "GONE" not in rows
    assert (rows["DUE"].due, rows["DUE"].status, rows["DUE"].days_to_due) == (D, "overdue", 0)
    assert (rows["LEAP"].due, rows["LEAP"].term_years) == (date(2027, 2, 28), 3)
    # 185 days ahead: two days beyond the 6-month warning (183 days).
    assert (rows["CTTE"].due, rows["CTTE"].term_years, rows["CTTE"].status,
            rows["CTTE"].days_to_due) == (date(2027, 1, 1), 5, "ok", 185)
    assert rows["LEAP"].status == "ok" and rows["LEAP"].days_to_due == 243
    assert (rows["SOON"].status, rows["SOON"].days_to_due, rows["SOON"].bucket) == (
        "due_soon", 93, "within_6_months")
    assert rows["LONG"].status == "ok" and rows["LONG"].due == date(2028, 6, 30)
    assert (rows["NONE"].status, rows["NONE"].due, rows["NONE"].days_to_due) == ("unknown", None, None)
    # The day before the due date it is not yet overdue.
    assert {r.org_code: r.status for r in terms(engine, date(2026, 6, 29))}["DUE"] == "due_soon"
    # Most urgent first.
    assert [r.org_code for r in terms(engine, D)] == ["DUE", "SOON", "NONE", "CTTE", "LEAP", "LONG"]


@pytest.mark.parametrize("on", [date(2026, 6, 29), D, date(2026, 10, 1), date(2027, 1, 1),
                                date(2028, 6, 30), date(2023, 1, 1)])
def test_due_only_keeps_every_term_that_is_not_ok(orgs, engine, on):
    """``due_only`` (what R7 reads) filters in SQL; it must keep every overdue, due-soon and
    unknown term that the full list has, on any date."""
    every = {r.org_code: r for r in terms(engine, on)}
    due = {r.org_code: r for r in terms(engine, on, due_only=True)}
    assert {c for c, r in every.items() if r.status != "ok"} <= set(due)
    assert all(every[c] == r for c, r in due.items())


def test_term_due_on_29_february():
    assert term_due(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert term_due(date(2024, 2, 29), 5) == date(2029, 2, 28)


@pytest.fixture
def visits(world):
    w: World = world
    for key in ("A", "B", "C", "E"):
        w.firm(key, chains=["BIO"], joined="2022-01-01")
    w.liaison("张三")
    w.liaison("李四")
    w.assign("张三", "A", start="2025-01-01")
    w.assign("张三", "B", start="2025-01-01")
    w.assign("张三", "C", start="2026-05-01")
    w.assign("李四", "E", start="2025-01-01", end="2026-03-01")
    w.visit("张三", "A", "2026-04-01")   # D - 90: outside (D - 90, D]
    w.visit("张三", "B", "2026-04-02")   # D - 89: the window's first day
    w.visit("张三", "C", "2026-04-20")   # before 张三 was assigned to C: does not count
    w.visit("张三", "C", D, mode="online")  # the window's last day
    w.visit("李四", "E", "2026-02-01")
    return w


def test_visit_boundaries(visits, engine):
    w = visits
    last = last_visits(engine, D)
    ids = w.firm_ids
    assert last == {ids["A"]: date(2026, 4, 1), ids["B"]: date(2026, 4, 2), ids["C"]: D,
                    ids["E"]: date(2026, 2, 1)}
    assert visited_firms(engine, D, 90) == {ids["B"], ids["C"]}
    assert visited_firms(engine, date(2026, 6, 29), 90) == {ids["A"], ids["B"]}  # C's 04-20 never counts
    assert last_visits(engine, date(2026, 4, 30))[ids["A"]] == date(2026, 4, 1)
    assert ids["C"] not in last_visits(engine, date(2026, 4, 30))
    assert not is_visited(date(2026, 7, 1), D, 90)  # a visit after D does not count on D


def test_last_visits_of_a_province_of_firms(visits, engine):
    """More firms asked for than one PostgreSQL statement takes parameters (65,535): the
    reports of 1,000,000 firms failed so; now read in batches, with the same answer."""
    w = visits
    ids, codes = w.firm_ids, {w.code(k): k for k in w.firm_ids}
    many = [ids["A"], ids["C"], *range(10**7, 10**7 + 70_000)]
    assert last_visits(engine, D, many) == {ids["A"]: date(2026, 4, 1), ids["C"]: D}
    by_code = last_visits(engine, D, [*codes, *(f"X{i}" for i in range(70_000))], by_code=True)
    assert {codes[c] for c in by_code} == {"A", "B", "C", "E"}


def test_officers_view(visits, engine):
    found = officers(engine, D, 90)
    # 李四's assignment ended: only 张三 has firms on D; A is not visited in time.
    assert [(o.name, len(o.firms), o.unvisited, o.visits_in_window) for o in found] == [
        ("张三", 3, 1, 2)]
    assert found[0].firms[0]["credit_code"] == visits.code("A")
    assert found[0].firms[0]["last_visit"] == "2026-04-01"


def test_cli_terms_and_liaisons(sqlite_url, capsys):
    from tracker.store import get_engine

    assert run(["--db", sqlite_url, "init"]) == 0
    w = World(get_engine(sqlite_url))
    w.org("DUE", founded="2020-01-01", term_start="2023-06-30")
    w.firm("A", chains=["BIO"], joined="2022-01-01")
    w.liaison("张三")
    w.assign("张三", "A", start="2025-01-01")
    capsys.readouterr()
    assert run(["--db", sqlite_url, "terms", "--as-of", "2026-06-30", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"org_code": "DUE", "name": "DUE党组织", "kind": "branch",
                     "term_start": "2023-06-30", "term_years": 3, "due": "2026-06-30",
                     "status": "overdue", "days_to_due": 0}]
    assert run(["--db", sqlite_url, "terms", "--as-of", "2026-06-30", "--lang", "en"]) == 0
    assert "overdue" in capsys.readouterr().out
    assert run(["--db", sqlite_url, "liaisons", "--as-of", "2026-06-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == 90 and data["officers"][0]["unvisited"] == 1
    # R6 and R7 in `tracker check --json`: A has never been visited; DUE is due that very day.
    assert run(["--db", sqlite_url, "check", "--as-of", "2026-06-30", "--json"]) == 0
    found = {(f["rule"], f["subject_id"]): f for f in json.loads(capsys.readouterr().out)}
    assert found[("R6", w.code("A"))]["severity"] == "warning"
    assert "无走访记录" in found[("R6", w.code("A"))]["message"]
    assert found[("R7", "DUE")]["severity"] == "warning"
    assert "2026-06-30" in found[("R7", "DUE")]["message"]


def test_r6_and_r7_in_check(visits, engine):
    from tracker.rules import check

    w = visits
    w.org("OLD", founded="2020-01-01", term_start="2022-01-01")  # branch, due 2025-01-01
    w.org("NEW", founded="2020-01-01")  # no term recorded
    w.org("OK", founded="2020-01-01", term_start="2025-01-01")
    found = [f.as_dict() for f in check(engine, D, rules=["R6", "R7"])]
    r6 = {f["subject_id"]: f for f in found if f["rule"] == "R6"}
    # Work-covered on D: A, B, C (E's assignment ended: uncovered). A is not visited in time.
    assert set(r6) == {w.code("A")}
    assert "2026-04-01" in r6[w.code("A")]["message"] and r6[w.code("A")]["severity"] == "warning"
    r7 = {f["subject_id"]: f for f in found if f["rule"] == "R7"}
    assert set(r7) == {"OLD", "NEW"}
    assert (r7["OLD"]["severity"], r7["NEW"]["severity"]) == ("warning", "info")
    assert "2025-01-01" in r7["OLD"]["message_zh"] and "已逾期545天" in r7["OLD"]["message_zh"]
    assert "no term start recorded" in r7["NEW"]["message_en"]
    # A firm with no visit at all reads "no visit recorded".
    w.firm("N", chains=["BIO"], joined="2022-01-01")
    w.assign("张三", "N", start="2026-01-01")
    r6 = {f.subject_id: f for f in check(engine, D, rules=["R6"])}
    assert "无走访记录" in r6[w.code("N")].message("zh")


def test_coverage_counts_visited_work_coverage(visits, engine):
    from tracker.coverage import coverage
    from tracker.graph import build_graph, coverage_from_graph

    result = coverage(engine, D, by="chain")
    # BIO: A, B, C work-covered (E uncovered); B and C visited in the window.
    total = result.as_dict()["total"]
    assert (total["firms"], total["work_covered"], total["work_visited"]) == (4, 3, 2)
    assert total["effective_rate"] == 2 / 4
    assert result.group("BIO").counts.work_visited == 2
    # The graph counts the same, independently.
    assert coverage_from_graph(build_graph(engine, D), by="chain").as_dict() == result.as_dict()
    # A shorter window of the plan in force: only C (visited on D) counts.
    from sqlalchemy import update

    from tracker.model import Plan
    with engine.begin() as conn:
        conn.execute(update(Plan.__table__).values(visit_within_days=30))
    assert coverage(engine, D).total.work_visited == 1
