"""The benchmark harness keeps working: a run at the smallest size, its JSON and Markdown.

No timing thresholds here (the CI machine is shared): the tests hold the structure of the
results, that every measured ratio is a positive number, that the hand-written SQL
baseline gives the same figures as ``coverage``, and the memory probe.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from tracker import bench
from tracker.cli import run

pytestmark = pytest.mark.timeout(600)

STEPS = ["coverage", "monthly_series", "graph_chain", "planner", "import_csv"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    out, md = folder / "bench.json", folder / "BENCHMARKS.md"
    md.write_text("# old\n\n## Analysis\n\nHand-written notes survive.\n", encoding="utf-8")
    code = run(["bench", "--sizes", "1000", "--steps", ",".join(STEPS), "--json", str(out),
                "--markdown", str(md), "--timeout", "500"])
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8")), md.read_text(encoding="utf-8")


def test_json_structure(results):
    data, _ = results
    assert data["sizes"] == [1000]
    assert data["machine"]["cores"] >= 1 and data["machine"]["memory_bytes"] > 0
    assert len(data["runs"]) == 1
    run_ = data["runs"][0]
    assert run_["backend"] == "sqlite" and run_["size"] == 1000
    assert run_["setup"]["status"] == "ok" and run_["setup"]["files"]["rows"] > 0
    assert [s["step"] for s in run_["steps"]] == STEPS
    for step in run_["steps"]:
        # Every step is measured or says honestly why not; none fails at this size.
        assert step["status"] in ("ok", "not available"), step
        if step["status"] == "ok":
            assert step["seconds"] > 0 and step["baseline_seconds"] > 0
            assert isinstance(step["ratio"], float) and math.isfinite(step["ratio"])
            assert step["ratio"] > 0
            assert step["ratio"] == pytest.approx(step["seconds"] / step["baseline_seconds"])
            assert step["peak_rss_mib"] > 10 and step["child_max_rss_mib"] >= step["peak_rss_mib"] * 0.9
        else:
            assert step["note"]


def test_steps_carry_their_checks(results):
    data, _ = results
    steps = {s["step"]: s for s in data["runs"][0]["steps"]}
    assert steps["coverage"]["agrees"] is True
    assert steps["monthly_series"]["months"] >= 48
    if steps["import_csv"]["status"] == "ok":
        assert steps["import_csv"]["rows"] == data["runs"][0]["setup"]["files"]["rows"]
        assert steps["import_csv"]["rows_per_second"] > 0
    if steps["graph_chain"]["status"] == "ok":
        assert steps["graph_chain"]["nodes"] > 0 and steps["graph_chain"]["chain"]


def test_goals_and_markdown(results):
    data, text = results
    # No goal is at 1,000 firms: each goal is listed only for the sizes that ran.
    assert data["goals"] == []
    assert "# Benchmarks" in text and "coverage" in text
    assert f"{data['machine']['cores']} cores" in text
    assert text.rstrip().endswith("Hand-written notes survive.")


def test_goal_verdicts():
    results = {"runs": [{"backend": "sqlite", "size": 1_000_000, "setup": {"peak_rss_mib": 900.0},
                         "steps": [{"step": "coverage", "status": "ok", "seconds": 1.5,
                                    "peak_rss_mib": 2500.0}]}]}
    goals = {g["goal"]: g for g in bench.evaluate_goals(results)}
    assert goals["coverage_1m"]["verdict"] == "missed"
    assert goals["coverage_1m"]["over_by"] == pytest.approx(0.5)
    assert goals["memory_1m"]["verdict"] == "missed" and goals["memory_1m"]["where"] == "coverage"
    results["runs"][0]["steps"][0].update(seconds=0.5, peak_rss_mib=1000.0)
    goals = {g["goal"]: g for g in bench.evaluate_goals(results)}
    assert goals["coverage_1m"]["verdict"] == "met" and goals["memory_1m"]["verdict"] == "met"


def test_coverage_sql_matches_engine(sqlite_engine):
    from tests.builders import World
    from tracker.coverage import coverage

    w = World(sqlite_engine)
    w.firm("A", chains=["BIO"], formal=5, joined="2022-01-01")
    w.firm("B", chains=["BIO", "DISPLAY"], formal=1, joined="2022-01-01")
    w.firm("C", chains=["DISPLAY"], joined="2022-01-01", left="2023-01-01")
    w.org("O1", formation="single", founded="2022-06-01")
    w.link("O1", "A")
    w.liaison("联络员甲")
    w.assign("联络员甲", "B", start="2022-03-01")
    day = date(2022, 7, 1)
    result = coverage(sqlite_engine, day, by="chain", denominator="chain_firms")
    sql = bench._coverage_sql(sqlite_engine, day)
    assert sql[None] == (3, 1, 1, 1)
    assert bench._coverage_agrees(sqlite_engine, result, sql)
    # A different date gives different figures, and the check notices a mismatch.
    assert not bench._coverage_agrees(sqlite_engine, result, bench._coverage_sql(sqlite_engine, date(2023, 6, 1)))


def test_peak_rss_probe_sees_an_allocation():
    bench.peak_rss_reset()
    before = bench.peak_rss_mib()
    block = bytearray(64 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    during = bench.peak_rss_mib()
    del block
    assert during - before >= 60
    assert bench.peak_rss_reset()
    assert bench.peak_rss_mib() < during - 30


def test_unknown_step_is_refused():
    assert run(["bench", "--sizes", "1000", "--steps", "nope"]) != 0
    assert run(["bench", "--sizes", "abc"]) != 0
