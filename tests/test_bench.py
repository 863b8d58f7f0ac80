"""The benchmark harness keeps working: a run at the smallest size, its JSON and Markdown.

No timing thresholds here (the CI machine is shared): the tests hold the structure of the
results, that every measured ratio is a positive number, that the hand-written SQL
baseline gives the same figures as ``coverage``, and the memory probe.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker.bench import backends, baselines, harness, machine, probes, report, runner, sheets
from tracker.bench import data as bench_data
from tracker.cli import run
from tracker.cells import xml_text

pytestmark = pytest.mark.timeout(600)

STEPS = ["coverage", "monthly_series", "graph_chain", "planner", "import_csv", "import_xlsx"]


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
    # Each step names the code it measured (the clone under test is a git checkout).
    head = data["machine"]["commit"]
    assert head and all(s["commit"].split("+")[0] == head.split("+")[0]
                        for s in steps.values() if s["status"] == "ok")
    if steps["import_csv"]["status"] == "ok":
        assert steps["import_csv"]["rows"] == data["runs"][0]["setup"]["files"]["rows"]
        assert steps["import_csv"]["rows_per_second"] > 0
    if steps["graph_chain"]["status"] == "ok":
        assert steps["graph_chain"]["nodes"] > 0 and steps["graph_chain"]["chain"]


def test_goals_and_markdown(results):
    data, text = results
    # No goal is at 1,000 firms, yet every goal is reported, as not run.
    assert [g["goal"] for g in data["goals"]] == [g["id"] for g in report.GOALS]
    assert all(g["verdict"] == "not run" and g["value"] is None for g in data["goals"])
    assert "# Benchmarks" in text and "coverage" in text
    for goal in report.GOALS:
        assert f"| {goal['text']} | — | — |" in text
    assert f"{data['machine']['cores']} cores" in text
    assert f"{data['machine']['memory_gib']} GiB memory" in text
    assert "time limit per step 500 s" in text  # --timeout of the fixture
    assert text.rstrip().endswith("Hand-written notes survive.")


def test_import_baselines_name_the_fastest_reader(results):
    data, _ = results
    steps = {s["step"]: s for s in data["runs"][0]["steps"]}
    for kind in ("xlsx", "csv"):
        step = steps[f"import_{kind}"]
        if step["status"] != "ok":
            continue
        readers = step["parse_readers"]
        assert step["baseline_reader"] == min(readers, key=readers.get)
        assert step["baseline_seconds"] == readers[step["baseline_reader"]]
        assert step["baseline_reader"] in step["baseline"]
        assert step["rows"] == 1000
    xlsx = steps["import_xlsx"]
    if xlsx["status"] == "ok":
        pytest.importorskip("python_calamine")
        assert xlsx["baseline_reader"].startswith("python-calamine")


def test_goal_verdicts():
    results = {"runs": [{"backend": "sqlite", "size": 1_000_000, "setup": {"peak_rss_mib": 900.0},
                         "steps": [{"step": "coverage", "status": "ok", "seconds": 1.5,
                                    "peak_rss_mib": 2500.0}]}]}
    goals = {g["goal"]: g for g in report.evaluate_goals(results)}
    assert goals["coverage_1m"]["verdict"] == "missed"
    assert goals["coverage_1m"]["over_by"] == pytest.approx(0.5)
    assert goals["coverage_1m"]["factor"] == pytest.approx(1.5)
    assert goals["memory_1m"]["verdict"] == "missed" and goals["memory_1m"]["where"] == "coverage"
    # The goals at 100,000 firms: no such run, still reported.
    assert goals["overview_100k"]["verdict"] == "not run"
    results["runs"][0]["steps"][0].update(seconds=0.5, peak_rss_mib=1000.0)
    results["runs"][0]["steps"].append({"step": "graph_district", "status": "timeout",
                                        "note": "did not finish within 900 s"})
    goals = {g["goal"]: g for g in report.evaluate_goals(results)}
    assert goals["coverage_1m"]["verdict"] == "met"
    assert goals["coverage_1m"]["spare"] == pytest.approx(0.5)
    memory = goals["memory_1m"]
    assert memory["verdict"] == "met" and memory["value"] == 1000.0
    assert memory["steps_measured"] == 2 and "graph_district" in memory["note"]
    text = report.to_markdown({"machine": machine.machine_info(), "generated": "now", "as_of": "2025-06-30",
                              "seed": 1, "goals": list(goals.values()), "notes": [], **results})
    assert "**missed**" not in text
    assert "met, 1,048 MiB to spare over the 2 measured steps" in text
    assert "not measured: graph_district" in text
    # A timed-out coverage step is not a verdict: it is "not measured", with the reason.
    results["runs"][0]["steps"][0] = {"step": "coverage", "status": "timeout",
                                      "note": "did not finish within 900 s"}
    goals = {g["goal"]: g for g in report.evaluate_goals(results)}
    assert goals["coverage_1m"]["verdict"] == "not measured"
    assert "timeout" in goals["coverage_1m"]["note"]


def test_default_timeout_grows_with_size():
    assert harness.default_timeout(1000) == harness.default_timeout(100_000) == 600.0
    assert harness.default_timeout(1_000_000) == pytest.approx(900.0)
    assert harness.default_timeout(5_000_000) > harness.default_timeout(1_000_000)


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
    sql = baselines.coverage_sql(sqlite_engine, day)
    assert sql[None] == (3, 1, 1, 1)
    assert baselines.coverage_agrees(sqlite_engine, result, sql)
    # A different date gives different figures, and the check notices a mismatch.
    assert not baselines.coverage_agrees(sqlite_engine, result, baselines.coverage_sql(sqlite_engine, date(2023, 6, 1)))


def test_peak_rss_probe_sees_an_allocation():
    probes.peak_rss_reset()
    before = probes.peak_rss_mib()
    block = bytearray(64 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    during = probes.peak_rss_mib()
    del block
    assert during - before >= 60
    assert probes.peak_rss_reset()
    assert probes.peak_rss_mib() < during - 30


def test_unknown_step_is_refused():
    assert run(["bench", "--sizes", "1000", "--steps", "nope"]) != 0
    assert run(["bench", "--sizes", "abc"]) != 0


# --------------------------------------------------------------------------- keep, timeouts, failures


def test_keep_reuses_the_store_and_a_timeout_does_not_block(tmp_path):
    keep = tmp_path / "keep"
    first = harness.run_benchmark([50], steps=["coverage"], keep=keep, workdir=tmp_path / "w1")
    setup = first["runs"][0]["setup"]
    assert setup["status"] == "ok" and not setup.get("reused")
    assert (keep / "sqlite-50" / "store.db").is_file() and setup["fingerprint"]
    assert first["runs"][0]["steps"][0]["status"] == "ok"

    # Same folder, size, seed and date: the store is reused, not generated again.
    saved = []
    second = harness.run_benchmark([50], steps=["coverage", "import_csv"], keep=keep,
                                 workdir=tmp_path / "w2", checkpoint=lambda r: saved.append(
                                     [s["status"] for s in r["runs"][0]["steps"]]))
    again = second["runs"][0]["setup"]
    assert again["reused"] and again["seconds"] == setup["seconds"]
    assert [s["status"] for s in second["runs"][0]["steps"]] == ["ok", "ok"]
    assert saved[-1] == ["ok", "ok"] and len(saved) == 3  # after the setup and each step
    text = report.to_markdown(second)
    assert "reused from a kept store" in text
    # No leftovers of the step processes in the kept folder.
    assert sorted(p.name for p in (keep / "sqlite-50").iterdir()) == [
        "sample", "setup.json", "store.db", "企业.csv", "企业.xlsx"]

    # A time limit too short for any step: each step times out, and each is still tried.
    short = harness.run_benchmark([50], steps=["coverage", "monthly_series", "import_csv"],
                                keep=keep, workdir=tmp_path / "w3", timeout=0.2)
    steps = short["runs"][0]["steps"]
    assert [s["step"] for s in steps] == ["coverage", "monthly_series", "import_csv"]
    assert all(s["status"] == "timeout" and "0.2 s" in s["note"] for s in steps)
    assert short["runs"][0]["timeout"] == 0.2

    # A run stopped half-way (Ctrl-C, SIGTERM) hands over what it measured, the rest marked.
    seen = []

    def stop_after_first_step(results):
        seen.append(json.loads(json.dumps(results, default=str)))
        if len(seen) == 2:  # the setup, then the first step
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harness.run_benchmark([50], steps=["coverage", "monthly_series"], keep=keep,
                            workdir=tmp_path / "w5", checkpoint=stop_after_first_step)
    last = seen[-1]
    assert [(s["step"], s["status"]) for s in last["runs"][0]["steps"]] == [
        ("coverage", "ok"), ("monthly_series", "not run")]
    assert any("stopped" in note for note in last["notes"])

    # A changed generator (here: a changed fingerprint on file) means generating again.
    path = keep / "sqlite-50" / "setup.json"
    recorded = json.loads(path.read_text(encoding="utf-8"))
    recorded["fingerprint"] = "stale"
    path.write_text(json.dumps(recorded), encoding="utf-8")
    third = harness.run_benchmark([50], steps=["coverage"], keep=keep, workdir=tmp_path / "w4")
    assert not third["runs"][0]["setup"].get("reused")
    assert third["runs"][0]["steps"][0]["status"] == "ok"


def test_a_failed_size_does_not_stop_the_next(tmp_path):
    # 20 firms is below the demo's minimum: that size's generation fails, the next one runs.
    results = harness.run_benchmark([20, 50], steps=["coverage"], workdir=tmp_path)
    failed, ok = results["runs"]
    assert failed["setup"]["status"] == "error" and "20" in failed["setup"]["note"]
    assert [(s["step"], s["status"], s["note"]) for s in failed["steps"]] == [
        ("coverage", "skipped", "data generation error")]
    assert ok["setup"]["status"] == "ok" and ok["steps"][0]["status"] == "ok"
    assert "data generation error" in report.to_markdown(results)


# --------------------------------------------------------------------------- firm sheets


def test_firm_sheet_rows(engine):
    from tests.builders import World

    w = World(engine)
    w.firm("A", chains=["DISPLAY"], formal=4, probationary=1, park="广州科学城", street="萝岗街道",
           ownership="foreign", above_size=True, joined="2023-03-01", segment="upstream")
    w.join("A", "BIO", joined="2022-05-01", left="2024-01-01", segment="downstream", master=True)
    w.firm("B", chains=[], street="黄埔街道")
    w.firm("C", chains=["AI"], joined="2022-01-01", left="2023-06-30")
    rows = {r[0]: r for r in bench_data.firm_sheet_rows(engine)}
    assert len(rows) == 3
    # Chains by code; the segment of the first; joined the earliest; left only when every
    # membership has ended, as the import template reads them.
    assert rows[w.code("A")] == [w.code("A"), "测试企业A", "BIO;DISPLAY", "下游", "是", "外资", "是",
                                 "广州科学城", "萝岗街道", 4, 1, "2022-05-01", None]
    assert rows[w.code("B")] == [w.code("B"), "测试企业B", "", None, "否", "民营", "否",
                                 None, "黄埔街道", 0, 0, None, None]
    assert rows[w.code("C")][2:5] == ["AI", "中游", "否"]
    assert rows[w.code("C")][-2:] == ["2022-01-01", "2023-06-30"]


def test_written_sheets_import_back(sqlite_engine, tmp_path):
    import sqlalchemy as sa

    from tests.builders import World
    from tracker.chains import init_store
    from tracker.ingest import import_path
    from tracker.model import Firm
    from tracker.store import get_engine

    w = World(sqlite_engine)
    w.firm("A", chains=["BIO", "AI"], formal=3, park="广州科学城", street="萝岗街道",
           joined="2022-01-01", name="甲&乙<科技>有限公司")
    w.firm("B", chains=["IC"], street="黄埔街道", joined="2023-01-01", left="2024-01-01")
    files = bench_data.write_firm_sheets(sqlite_engine, tmp_path / "sheets")
    assert files["rows"] == 2
    # The warm-up sample is the head of the sheet (here: all of it).
    full = Path(files["csv"]).read_text(encoding="utf-8")
    assert Path(files["csv_sample"]).read_text(encoding="utf-8") == full
    for kind in ("xlsx", "csv"):
        target = get_engine(f"sqlite:///{tmp_path / kind}.db")
        init_store(target)
        report = import_path(target, files[kind])
        assert report.exit_code == 0, [r.as_dict() for r in report.rejections]
        with target.connect() as conn:
            firms = dict(conn.execute(sa.select(Firm.__table__.c.credit_code,
                                                Firm.__table__.c.name)).all())
        assert firms == {w.code("A"): "甲&乙<科技>有限公司", w.code("B"): "测试企业B"}


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_cell_value = st.one_of(st.none(), _text, st.booleans(),
                        st.integers(min_value=-2**53, max_value=2**53),
                        st.floats(allow_nan=False, allow_infinity=False, width=64))


def _expected(value):
    """What a reader gives back for a written value: empty text and None are empty cells;
    characters XML cannot hold are dropped."""
    if isinstance(value, str):
        value = xml_text(value)
        return value or None
    return value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell_value, min_size=1, max_size=5), min_size=1, max_size=6))
@example(rows=[["\x1f"]])  # only characters XML cannot hold (once an IndexError)
def test_xlsx_stream_round_trip(tmp_path, rows):
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    assert sheets.write_xlsx_stream(path, "企业", rows) == len(rows)
    sheet = load_workbook(path)["企业"]
    width = max(len(r) for r in rows)
    got = [[sheet.cell(i + 1, j + 1).value for j in range(width)] for i in range(len(rows))]
    want = [[_expected(v) for v in r] + [None] * (width - len(r)) for r in rows]
    for got_row, want_row in zip(got, want):
        for a, b in zip(got_row, want_row):
            if isinstance(b, bool):
                assert a is b
            elif isinstance(b, float):
                assert a == pytest.approx(b, rel=0, abs=0) or a == b
            else:
                assert a == b and type(a) is type(b)


def test_xlsx_stream_is_read_by_every_reader(tmp_path):
    """The bench's workbook as the importer's reader, openpyxl and calamine see it."""
    from openpyxl import load_workbook

    from tracker.ingest.readers import read_workbook

    rows = [["统一社会信用代码", "企业名称", "正式党员数"],
            ["91440112MA5AAAAA1X", "  前后有空格  ", 3],
            ["91440112MA5AAAAA2X", "A&B <C> \"D\" 'E'\r\n第二行", 0],
            ["91440112MA5AAAAA3X", None, 12]]
    path = tmp_path / "企业.xlsx"
    sheets.write_xlsx_stream(path, "企业", rows)
    book = load_workbook(path, read_only=True)
    assert [list(r) for r in book["企业"].iter_rows(values_only=True)] == [
        r if r[1] is not None else [r[0], None, r[2]] for r in rows]
    book.close()
    sheet = read_workbook(path)["企业"]
    assert [r.values[:3] for r in sheet.rows] == [r[:3] for r in rows[1:]]
    calamine = pytest.importorskip("python_calamine")
    values = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("企业").to_python()
    assert values[2][1] == rows[2][1] and values[1][1] == rows[1][1] and values[3][2] == 12
    with pytest.raises(ValueError):
        sheets.write_xlsx_stream(tmp_path / "bad.xlsx", "a/b", rows)


@pytest.mark.postgres
def test_a_killed_step_leaves_no_session_on_postgresql(postgres_server, tmp_path):
    """A step killed at its time limit leaves its query on the server; the harness ends it
    before the next step, so the next one does not compete with it."""
    import sqlalchemy as sa

    backend = backends.Backend("postgresql", tmp_path, url=postgres_server.url)
    url = backend.new_store("t")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:  # a session that is still busy on the server
            backend.end_sessions(url)
            with pytest.raises(sa.exc.DBAPIError):
                conn.execute(sa.text("SELECT 1")).scalar()
        with engine.connect() as conn:  # the database itself is fine
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        backend.cleanup()
    assert backend.created == []


def test_sample_is_the_head_of_a_large_sheet(sqlite_engine, tmp_path, monkeypatch):
    from tests.builders import World

    monkeypatch.setattr(bench_data, "SAMPLE_ROWS", 3)
    w = World(sqlite_engine)
    for key in "ABCDE":
        w.firm(key, chains=["BIO"])
    files = bench_data.write_firm_sheets(sqlite_engine, tmp_path)
    lines = Path(files["csv"]).read_text(encoding="utf-8").splitlines()
    assert Path(files["csv_sample"]).read_text(encoding="utf-8").splitlines() == lines[:4]
    from openpyxl import load_workbook

    book = load_workbook(files["xlsx_sample"], read_only=True)
    assert [r[0] for r in book["企业"].iter_rows(values_only=True)] == [
        line.split(",")[0] for line in lines[:4]]
    book.close()


def test_timeout_kills_processes_that_left_the_step_group(tmp_path, monkeypatch):
    """A step that started a process in a session of its own (as the load test starts its
    server) leaves nothing behind when it is killed at its time limit."""
    import os
    import subprocess
    import sys
    import time

    marker = tmp_path / "pid"
    code = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(60)'], start_new_session=True); "
            f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    real_popen = subprocess.Popen

    def popen(command, *args, **kwargs):  # the step process runs `code` instead of a step
        return real_popen([sys.executable, "-c", code], *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    started = time.monotonic()
    result = runner.run_child({"step": "coverage", "folder": str(tmp_path)}, timeout=3)
    assert result["status"] == "timeout" and time.monotonic() - started < 30
    grandchild = int(marker.read_text())
    for _ in range(50):  # reaped by init shortly after the kill
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{grandchild}/stat") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.1)
    else:
        pytest.fail("the process started by the step outlived its time limit")


def test_baseline_engine_is_tuned_and_apart(sqlite_url, sqlite_engine):
    import sqlalchemy as sa

    tuned = baselines.baseline_engine(sqlite_url)
    with tuned.connect() as conn:
        assert conn.execute(sa.text("PRAGMA temp_store")).scalar() == 2  # MEMORY
        assert conn.execute(sa.text("PRAGMA cache_size")).scalar() == -baselines.BASELINE_DB_MEMORY_MIB * 1024
    assert isinstance(tuned.pool, sa.pool.NullPool)
    with sqlite_engine.connect() as conn:  # the step's engine keeps the defaults
        assert conn.execute(sa.text("PRAGMA temp_store")).scalar() == 0
    tuned.dispose()


def test_merge_keeps_every_run_and_the_later_wins(tmp_path):
    from click.testing import CliRunner

    from tracker.bench.report import merge_results
    from tracker.cli import main

    def part(generated, commit, runs):
        return {"generated": generated, "machine": dict(machine.machine_info(), commit=commit),
                "as_of": "2025-06-30", "seed": 1, "sizes": [], "steps": ["coverage"],
                "notes": [], "runs": [
                    {"backend": backend, "size": size, "backend_version": None, "setup": {},
                     "steps": [{"step": "coverage", "status": "ok", "seconds": seconds,
                                "baseline_seconds": 1.0, "peak_rss_mib": 100.0}]}
                    for backend, size, seconds in runs]}

    old = part("2026-01-01T00:00:00+00:00", "old", [("sqlite", 1_000_000, 3.0), ("sqlite", 1000, 0.1)])
    new = part("2026-01-02T00:00:00+00:00", "new", [("sqlite", 1_000_000, 0.5),
                                                    ("postgresql", 1000, 0.2)])
    merged = merge_results([new, old])  # order of the arguments does not matter
    assert [(r["backend"], r["size"]) for r in merged["runs"]] == [
        ("sqlite", 1000), ("sqlite", 1_000_000), ("postgresql", 1000)]
    big = merged["runs"][1]
    assert big["steps"][0]["seconds"] == 0.5 and big["measured"]["commit"] == "new"
    assert merged["runs"][0]["measured"]["commit"] == "old"
    # Steps of the same size measured by different runs are all kept.
    other = part("2026-01-03T00:00:00+00:00", "third", [("sqlite", 1000, 0.3)])
    other["runs"][0]["steps"][0]["step"] = "planner"
    both = merge_results([old, other])["runs"][0]["steps"]
    assert [(s["step"], s["measured"]["commit"]) for s in both] == [("coverage", "old"),
                                                                    ("planner", "third")]
    # A step whose code changed while its run went on says so; the others do not.
    other["runs"][0]["steps"][0]["commit"] = "fourth"
    old["runs"][1]["steps"][0]["commit"] = "old"
    text = report.to_markdown(merge_results([old, other]))
    assert "code at fourth" in text and "code at old" not in text
    goal = next(g for g in merged["goals"] if g["goal"].startswith("coverage"))
    assert goal["verdict"] == "met" and goal["value"] == 0.5
    with pytest.raises(ValueError):
        merge_results([old, dict(new, seed=2)])

    paths = []
    for name, data in (("a.json", old), ("b.json", new)):
        paths.append(tmp_path / name)
        paths[-1].write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "BENCH.md"
    result = CliRunner().invoke(main, ["bench", "--merge", str(paths[0]), "--merge", str(paths[1]),
                                       "--markdown", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Merged run: commit old" in text and "Merged run: commit new" in text
    assert CliRunner().invoke(main, ["bench", "--merge", str(paths[0])]).exit_code != 0


def test_tree_cpu_counts_live_and_reaped_children():
    import os
    import subprocess
    import sys

    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
    before = probes.tree_cpu_seconds(os.getpid())
    busy_before = probes.machine_busy_seconds()
    subprocess.run([sys.executable, "-c", burn], check=True)  # reaped: counted in cutime
    child = subprocess.Popen([sys.executable, "-c", burn + "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while probes.tree_cpu_seconds(child.pid) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        used = probes.tree_cpu_seconds(os.getpid()) - before  # the live child included
    finally:
        child.kill()
        child.wait()
    assert used >= 1.0
    assert probes.machine_busy_seconds() - busy_before >= 1.0


def test_keep_analysis_finds_the_section_anywhere(tmp_path):
    path = tmp_path / "B.md"
    assert report.keep_analysis(path) is None
    path.write_text("## Analysis\n\nhand-written\n", encoding="utf-8")
    assert report.keep_analysis(path) == "## Analysis\n\nhand-written\n"
    path.write_text("# Benchmarks\n\n| a |\n\n## Analysis\n\nmine\n", encoding="utf-8")
    assert report.keep_analysis(path) == "## Analysis\n\nmine\n"
    path.write_text("# Benchmarks\n\nno analysis\n", encoding="utf-8")
    assert report.keep_analysis(path) is None
