"""Goals and reports of a benchmark run: the verdicts, merging runs, ``BENCHMARKS.md``.

:data:`GOALS` are the limits of issues 8, 15, 17 and 19; :func:`evaluate_goals` gives each a verdict over
the results (met, missed by how much, not measured, not run). :func:`merge_results`
combines several runs (the long ones are run separately), :func:`to_markdown` renders the
``BENCHMARKS.md`` text, keeping the hand-written ``## Analysis`` that
:func:`keep_analysis` finds in the file being replaced.

Examples
--------
>>> [g["id"] for g in GOALS][:2]
['coverage_1m', 'overview_100k']
>>> results = {"runs": [{"backend": "sqlite", "size": 1_000_000, "steps": [
...     {"step": "coverage", "status": "ok", "seconds": 0.5, "baseline_seconds": 0.25}]}]}
>>> finish_results(results)
>>> results["runs"][0]["steps"][0]["ratio"], results["goals"][0]["verdict"]
(2.0, 'met')
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "GOALS",
    "evaluate_goals",
    "finish_results",
    "goal_value",
    "keep_analysis",
    "merge_results",
    "to_markdown",
]

#: The goals of issue 8: (step prefix, size, what, limit, unit).
GOALS = [
    {"id": "coverage_1m", "step": "coverage", "size": 1_000_000, "metric": "seconds",
     "limit": 1.0, "text": "coverage by chain at 1,000,000 firms < 1 s"},
    {"id": "overview_100k", "step": "overview", "size": 100_000, "metric": "seconds",
     "limit": 2.0, "text": "overview page < 2 s at 100,000 firms"},
    {"id": "chain_page_3k", "step": "chain_page", "size": 3_000, "metric": "seconds",
     "limit": 1.0, "text": "chain page < 1 s at 3,000 firms (issue 15)"},
    {"id": "chain_page_100k", "step": "chain_page", "size": 100_000, "metric": "seconds",
     "limit": 2.0, "text": "chain page < 2 s at 100,000 firms (issue 15)"},
    {"id": "import_xlsx_100k", "step": "import_xlsx", "size": 100_000, "metric": "seconds",
     "limit": 30.0, "text": "import of 100,000 rows (xlsx) < 30 s"},
    {"id": "import_csv_100k", "step": "import_csv", "size": 100_000, "metric": "seconds",
     "limit": 30.0, "text": "import of 100,000 rows (CSV) < 30 s"},
    {"id": "memory_1m", "step": "*", "size": 1_000_000, "metric": "peak_rss_mib",
     "limit": 2048.0, "text": "peak memory < 2 GiB at 1,000,000 firms (every step)"},
    # Issue 17: a province on one box, and fifty officers at once. A step ending in "*"
    # stands for every step of that prefix (the worst one counts).
    {"id": "coverage_1m_fast", "step": "coverage", "size": 1_000_000, "metric": "seconds",
     "limit": 0.5, "text": "coverage by chain at 1,000,000 firms < 0.5 s (issue 17)"},
    {"id": "overview_1m_cold", "step": "overview", "size": 1_000_000, "metric": "seconds",
     "limit": 2.0, "text": "overview at 1,000,000 firms, cold < 2 s (issue 17)"},
    {"id": "overview_1m_warm", "step": "overview", "size": 1_000_000,
     "metric": "warm_rerun_seconds", "limit": 0.3,
     "text": "overview at 1,000,000 firms, warm < 0.3 s (issue 17)"},
    {"id": "chain_page_1m", "step": "chain_page", "size": 1_000_000, "metric": "seconds",
     "limit": 2.0, "text": "chain page at 1,000,000 firms < 2 s (issue 17)"},
    {"id": "rules_1m", "step": "rules", "size": 1_000_000, "metric": "seconds",
     "limit": 10.0, "text": "rule checks R1-R7 at 1,000,000 firms < 10 s (issue 17)"},
    {"id": "rules_1m_memory", "step": "rules", "size": 1_000_000, "metric": "peak_rss_mib",
     "limit": 1024.0, "text": "rule checks R1-R7 at 1,000,000 firms < 1 GiB (issue 17)"},
    {"id": "reports_1m", "step": "report_*", "size": 1_000_000, "metric": "seconds",
     "limit": 120.0, "text": "every report format at 1,000,000 firms < 120 s (issue 17)"},
    {"id": "reports_1m_memory", "step": "report_*", "size": 1_000_000,
     "metric": "peak_rss_mib", "limit": 1536.0,
     "text": "every report format at 1,000,000 firms < 1.5 GiB (issue 17)"},
    {"id": "planner_1m", "step": "planner", "size": 1_000_000, "metric": "seconds",
     "limit": 30.0, "text": "planner at 1,000,000 firms < 30 s (issue 17)"},
    {"id": "import_csv_1m", "step": "import_csv", "size": 1_000_000, "metric": "seconds",
     "limit": 60.0, "text": "import of 1,000,000 rows (CSV) < 60 s (issue 17)"},
    {"id": "import_xlsx_1m", "step": "import_xlsx", "size": 1_000_000, "metric": "seconds",
     "limit": 120.0, "text": "import of 1,000,000 rows (xlsx) < 120 s (issue 17)"},
    {"id": "load_p95_3k", "step": "load_test", "size": 3_000, "metric": "p95",
     "limit": 3.0, "text": "50 sessions signing in together at 3,000 firms: p95 to the "
                           "headline < 3 s (issue 17)"},
    {"id": "warm_view_cpu_3k", "step": "load_test", "size": 3_000,
     "metric": "server_cpu_per_warm_view", "limit": 0.2,
     "text": "server CPU per warm overview view at 3,000 firms < 0.2 s (issue 17)"},
    {"id": "soak_memory_3k", "step": "soak_*", "size": 3_000,
     "metric": "rss_growth_after_warmup", "limit": 0.10,
     "text": "soak at 3,000 firms: resident memory grows < 10 % after warm-up (issue 19)"},
]


def evaluate_goals(results: dict) -> list[dict]:
    """Each goal of :data:`GOALS` against the results: met, missed (by how much), or not run."""
    out = []
    for goal in GOALS:
        for run in results["runs"]:
            if run["size"] != goal["size"]:
                continue
            entry = {"goal": goal["id"], "text": goal["text"], "backend": run["backend"],
                     "limit": goal["limit"], "metric": goal["metric"]}
            if goal["step"] == "*":
                measured = [(s.get("peak_rss_mib"), s["step"]) for s in run["steps"]
                            if s["status"] == "ok" and s.get("peak_rss_mib")]
                setup = run.get("setup", {})
                if setup.get("peak_rss_mib"):
                    measured.append((setup["peak_rss_mib"], "generate"))
                value, where = max(measured) if measured else (None, None)
                entry["where"] = where
                entry["steps_measured"] = len(measured)
                missing = [s["step"] for s in run["steps"] if s["status"] != "ok"]
                if missing:
                    entry["note"] = f"not measured: {', '.join(missing)}"
            elif goal["step"].endswith("*"):  # every step of a prefix: the worst counts
                prefix = goal["step"][:-1]
                steps = [s for s in run["steps"] if s["step"].startswith(prefix)]
                measured = [(s.get(goal["metric"]), s["step"]) for s in steps
                            if s["status"] == "ok" and s.get(goal["metric"]) is not None]
                value, where = max(measured) if measured else (None, None)
                entry["where"] = where
                missing = [s["step"] for s in steps if s["status"] != "ok"]
                if not steps:
                    entry["note"] = "step not in this run"
                elif missing:
                    entry["note"] = f"not measured: {', '.join(missing)}"
            else:
                step = next((s for s in run["steps"] if s["step"] == goal["step"]), None)
                value = step.get(goal["metric"]) if step and step["status"] == "ok" else None
                if step is None:
                    entry["note"] = "step not in this run"
                elif step["status"] != "ok":
                    entry["note"] = f"{step['status']}: {_first_line(step.get('note'))}"
            entry["value"] = value
            if value is None:
                entry["verdict"] = "not measured"
            elif value <= goal["limit"]:
                entry["verdict"] = "met"
                entry["spare"] = goal["limit"] - value
            else:
                entry["verdict"] = "missed"
                entry["over_by"] = value - goal["limit"]
                entry["factor"] = value / goal["limit"]
            out.append(entry)
        if not any(e["goal"] == goal["id"] for e in out) and results.get("runs"):
            # Every goal is reported: one whose size was not in this run says so.
            out.append({"goal": goal["id"], "text": goal["text"], "backend": None,
                        "limit": goal["limit"], "metric": goal["metric"], "value": None,
                        "verdict": "not run",
                        "note": f"no {goal['size']:,}-firm run in these results"})
    return out


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def goal_value(metric: str):
    """How a goal's figures read: seconds, MiB, or a share as a percentage.

    >>> goal_value("seconds")(0.25), goal_value("peak_rss_mib")(1536.0)
    ('0.25 s', '1,536 MiB')
    >>> goal_value("rss_growth_after_warmup")(0.1)
    '10.0 %'
    """
    if metric == "peak_rss_mib":
        return lambda v: f"{v:,.0f} MiB"
    if metric == "rss_growth_after_warmup":
        return lambda v: f"{v * 100:.1f} %"
    return lambda v: f"{v:,.2f} s"


def to_markdown(results: dict, analysis: str | None = None) -> str:
    """The ``BENCHMARKS.md`` text of a run; ``analysis`` (hand-written) is kept at the end."""
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        ("How Redwood scales from a district to a province (issue 8). Generated by "
         "`tracker bench` — every number below was measured on the machine described here; "
         "nothing is estimated."),
        "",
        (f"- Machine: {m['cores']} cores ({m.get('usable_cores')} usable), "
         f"{m.get('cpu') or '?'}, {m.get('memory_gib')} GiB memory; {m['platform']}"),
        f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
        + "".join(f", PostgreSQL {v}" for v in sorted({r['backend_version'] for r in results['runs']
                                                         if r['backend'] == 'postgresql'
                                                         and r.get('backend_version')})),
        (f"- Commit {m.get('commit') or '?'}; run {results['generated']}; data as of "
         f"{results['as_of']}, seed {results['seed']}"),
        ("- The machine's CPU was shared with other work during the run: treat small "
         "differences as noise."),
        "",
        ("Method: each step runs in a fresh process; its baseline runs in the same process on "
         "the same data, and `ratio = step / baseline` (lower is better). Calls under 2 s are "
         "repeated up to 3 times (fastest kept). Peak RSS is the kernel's high-water mark "
         "(`VmHWM`) reset just before the call with `echo 5 > /proc/self/clear_refs`, so it "
         "is the peak of that call, interpreter and libraries included. See "
         "`tracker/bench/baselines.py` for the baselines."),
        "",
    ]
    for part in results.get("merged_from", []):
        if not part["runs"]:  # a part that only adds notes (a measurement made by hand)
            continue
        lines.append(f"> Merged run: commit {part['commit'] or '?'}, {part['generated']}: "
                     + ", ".join(part["runs"]))
        lines.append("")
    for note in results.get("notes", []):
        lines.append(f"> {note}")
        lines.append("")
    lines += ["## Goals", "", "| goal | backend | measured | limit | verdict |",
              "|---|---|---:|---:|---|"]
    for g in results.get("goals", []):
        show = goal_value(g["metric"])
        verdict = g["verdict"]
        if verdict == "missed":
            verdict = f"**missed** by {show(g['over_by'])} ({g['factor']:.1f}×)"
        elif verdict == "met":
            verdict = f"met, {show(g['spare'])} to spare"
            if g.get("steps_measured") is not None:
                verdict += f" over the {g['steps_measured']} measured steps"
        if g.get("where"):
            verdict += f" (largest: {g['where']})"
        if g.get("note"):
            verdict += f" — {g['note']}"
        lines.append(f"| {g['text']} | {g['backend'] or '—'} "
                     f"| {show(g['value']) if g['value'] is not None else '—'} "
                     f"| {show(g['limit'])} | {verdict} |")
    if not results.get("goals"):
        lines.append("| (no run in these results) | | | | |")
    lines.append("")
    for backend in dict.fromkeys(r["backend"] for r in results["runs"]):
        runs = [r for r in results["runs"] if r["backend"] == backend]
        lines += [f"## {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}", ""]
        for run in runs:
            setup = run.get("setup", {})
            if setup.get("status") != "ok":
                lines.append(f"**{run['size']:,} firms** — data generation {setup.get('status', '?')}: "
                             f"{_first_line(setup.get('note'))}")
                lines.append("")
                continue
            files = setup.get("files") or {}
            reused = (f"; reused from a kept store (`--keep`), generated {setup.get('generated_at')}"
                      if setup.get("reused") else "")
            if files:
                sheets = (f"firm sheet for the imports ({_cell(files.get('rows'))} rows, xlsx "
                          f"{_cell((files.get('xlsx_bytes') or 0) / 2**20, 1)} MiB) written in "
                          f"{_cell(setup.get('files_seconds'), 1)} s (peak "
                          f"{_cell(setup.get('files_peak_rss_mib'), 0)} MiB)")
            elif setup.get("files_error"):
                sheets = f"firm sheets not written: {_first_line(setup['files_error'])}"
            else:
                sheets = "no firm sheets (no import step)"
            lines.append(f"**{run['size']:,} firms** — data: {setup.get('data_source', '?')}, "
                         f"generated in {_cell(setup.get('seconds'), 1)} s "
                         f"(peak {_cell(setup.get('peak_rss_mib'), 0)} MiB); {sheets}{reused}; "
                         f"time limit per step {_cell(run.get('timeout'), 0)} s")
            lines.append("")
        lines += ["| step | firms | time (s) | baseline | baseline (s) | ratio | peak RSS (MiB) | notes |",
                  "|---|---:|---:|---|---:|---:|---:|---|"]
        for run in runs:
            run_commit = (run.get("measured") or {}).get("commit") or m.get("commit")
            for s in run["steps"]:
                if s["status"] != "ok":
                    lines.append(f"| {s['step']} | {run['size']:,} | — | | | | | "
                                 f"{s['status']}: {_first_line(s.get('note'))} |")
                    continue
                lines.append(
                    f"| {s['step']} | {run['size']:,} | {_cell(s['seconds'])} | {s.get('baseline', '')} "
                    f"| {_cell(s.get('baseline_seconds'))} | {_cell(s.get('ratio'), 2)} "
                    f"| {_cell(s.get('peak_rss_mib'), 0)} | {_step_notes(s, run_commit)} |")
        lines.append("")
    profiles = [(run, s) for run in results["runs"] for s in run["steps"] if s.get("profile")]
    if profiles:
        lines += ["## Profiles of missed goals (cProfile, cumulative time)", ""]
        for run, s in profiles:
            lines += [f"**{s['step']}, {run['size']:,} firms, {run['backend']}**", "",
                      "| function | calls | tottime (s) | cumtime (s) |", "|---|---:|---:|---:|"]
            for p in s["profile"]:
                lines.append(f"| `{p['function']}` | {p['calls']:,} | {p['tottime']} | {p['cumtime']} |")
            lines.append("")
    if analysis:
        lines += [analysis.rstrip(), ""]
    return "\n".join(lines)


def _first_line(text, limit: int = 200) -> str:
    lines = str(text or "").strip().splitlines()
    return (lines[0][:limit] if lines else "").replace("|", "/")


def _step_notes(s: dict, run_commit: str | None = None) -> str:
    notes = []
    if s.get("rows_per_second"):
        notes.append(f"{s['rows_per_second']:,.0f} rows/s (parse only "
                     f"{s.get('baseline_rows_per_second') or 0:,.0f} rows/s)")
    if s.get("months"):
        notes.append(f"{s['months']} months")
    if s.get("nodes") is not None:
        notes.append(f"{s['nodes']:,} nodes, {s['edges']:,} edges"
                     + (f", chain {s['chain']}" if s.get("chain") else ""))
    if s.get("headline"):
        notes.append(f"headline {s['headline']}; warm rerun {s.get('warm_rerun_seconds', 0):.2f} s")
    if s.get("bytes"):
        notes.append(f"{s['bytes'] / 1024:,.0f} KiB")
    gap = s.get("exact_gap")
    if gap:
        if gap.get("not_available"):
            notes.append(f"exact: not available ({gap['not_available']})")
        else:
            notes.append(f"exact optimum on {gap['solved']} sub-instances (≤15 firms; "
                         f"{gap['not_finished']} not finished): gap max {_cell(gap['max_gap'])}, "
                         f"mean {_cell(gap['mean_gap'], 2)} new orgs/officers")
    if s.get("p50") is not None:
        notes.append(f"{s['sessions']} sessions on {s.get('processes', 1)} process(es), "
                     f"{s['succeeded']} ok: p50 {s['p50']:.2f} s, p95 {s['p95']:.2f} s to the "
                     f"headline; server peak RSS")
        if s.get("server_cpu_per_sign_in") is not None:
            notes.append(f"server CPU {s['server_cpu_per_sign_in']:.2f} s per sign-in")
        if s.get("server_cpu_per_warm_view") is not None:
            notes.append(f"{s['warm_views']} warm views: p95 {s['warm_view_p95']:.2f} s, "
                         f"server CPU {s['server_cpu_per_warm_view']:.3f} s each")
        together = (s.get("cpu") or {}).get("together")
        if together:  # the former browser load test's runs
            notes.append(f"while together: server {together['server_cpu_seconds']:.0f} CPU s, "
                         f"browsers {together['browser_cpu_seconds']:.0f} CPU s, machine busy "
                         f"{together['machine_busy_seconds']:.0f} of "
                         f"{together['machine_capacity_seconds']:.0f} CPU s")
        if s.get("errors"):
            notes.append(f"errors: {'; '.join(s['errors'])}")
    if s.get("minutes") is not None and s.get("rss_mib_by_minute"):
        rss = s["rss_mib_by_minute"]
        first, last = s.get("view_p95_first_last") or (None, None)
        notes.append(f"{s['minutes']} min, {s['sessions']} sessions, {s['soak_views']:,} views, "
                     f"{s['soak_error_count']} errors; RSS {rss[0]:.0f} → {rss[-1]:.0f} MiB, "
                     f"growth after warm-up {s['rss_growth_after_warmup'] * 100:+.1f}%"
                     + (f"; view p95 {first:.2f} s first minute after warm-up, {last:.2f} s last"
                        if first is not None else ""))
    if s.get("by_rule"):
        notes.append(f"{s['findings']:,} findings ("
                     + ", ".join(f"{k} {v:,}" for k, v in sorted(s["by_rule"].items())) + ")")
    if s.get("agrees"):
        notes.append("same figures")
    run_commit = (s.get("measured") or {}).get("commit") or run_commit
    if s.get("commit") and s.get("commit") != run_commit:
        notes.append(f"code at {s['commit']}")
    return "; ".join(notes)


def keep_analysis(path: Path | str) -> str | None:
    """The hand-written ``## Analysis`` section of an existing ``BENCHMARKS.md``, if any."""
    path = Path(path)
    if not path.exists():
        return None
    text = "\n" + path.read_text(encoding="utf-8")  # the section may open the file
    index = text.find("\n## Analysis")
    return text[index + 1:] if index >= 0 else None


def finish_results(results: dict) -> None:
    """Add the ratios and goal verdicts of the results so far (in place)."""
    for run in results["runs"]:
        for step in run["steps"]:
            base, secs = step.get("baseline_seconds"), step.get("seconds")
            step["ratio"] = secs / base if step["status"] == "ok" and base and secs else None
    results["goals"] = evaluate_goals(results)


def merge_results(parts: list[dict]) -> dict:
    """Combine the results of several ``tracker bench`` runs into one (``--merge``).

    A province-sized run and a PostgreSQL run are long; they are run separately and merged
    for ``BENCHMARKS.md``. Each run keeps the commit and time it was measured at (the
    ``measured`` of every run and step); where two parts measured the same step at the
    same backend and size, the later part wins, so a re-run replaces an older one, and steps
    only one part measured are all kept. Goals are evaluated again over the merged runs.

    Examples
    --------
    >>> a = {"generated": "2026-01-01T00:00:00+00:00", "machine": {"commit": "a1"},
    ...      "as_of": "2025-06-30", "seed": 1, "runs": [{"backend": "sqlite", "size": 10,
    ...      "steps": []}], "notes": []}
    >>> b = dict(a, generated="2026-01-02T00:00:00+00:00", machine={"commit": "b2"})
    >>> merged = merge_results([a, b])
    >>> [(r["size"], r["measured"]["commit"]) for r in merged["runs"]]
    [(10, 'b2')]
    """
    if not parts:
        raise ValueError("nothing to merge")
    for part in parts:
        if (part.get("as_of"), part.get("seed")) != (parts[0].get("as_of"), parts[0].get("seed")):
            raise ValueError("只能合并同一数据日期和种子的结果 / the runs differ in as_of or seed: "
                             f"{part.get('as_of')}/{part.get('seed')} vs "
                             f"{parts[0].get('as_of')}/{parts[0].get('seed')}")
    latest = max(parts, key=lambda part: part["generated"])
    runs: dict[tuple, dict] = {}
    notes: list[str] = []
    for part in sorted(parts, key=lambda part: part["generated"]):
        stamp = {"commit": part["machine"].get("commit"), "generated": part["generated"]}
        for run in part["runs"]:
            run = dict(run, steps=[dict(step) for step in run["steps"]])
            for step in run["steps"]:
                # The run's own commit (when it started); the step's ``commit`` says
                # which code it ran, and the Markdown flags the two when they differ.
                step.setdefault("measured", dict(run.get("measured", stamp)))
            run.setdefault("measured", stamp)
            earlier = runs.get((run["backend"], run["size"]))
            if earlier is not None:
                # Steps the later run did not measure (or did not get to) keep their
                # earlier result; the set-up shown is the later one.
                mine = {s["step"] for s in run["steps"] if s["status"] not in ("not run", "skipped")}
                run["steps"] = [s for s in earlier["steps"] if s["step"] not in mine] + [
                    s for s in run["steps"] if s["step"] in mine]
            runs[(run["backend"], run["size"])] = run
        notes += [n for n in part.get("notes", []) if n not in notes]
    order = {"sqlite": 0, "postgresql": 1}
    merged = dict(latest, runs=sorted(runs.values(), key=lambda r: (order.get(r["backend"], 2),
                                                                    r["size"])),
                  notes=notes, sizes=sorted({r["size"] for r in runs.values()}),
                  merged_from=[{"commit": p["machine"].get("commit"), "generated": p["generated"],
                                "runs": [f"{r['backend']} {r['size']:,} ("
                                         + ", ".join(st["step"] for st in r["steps"]
                                                     if st["status"] not in ("not run", "skipped"))
                                         + ")" for r in p["runs"]]}
                               for p in parts])
    finish_results(merged)
    return merged
