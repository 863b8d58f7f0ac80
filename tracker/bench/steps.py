"""The measured steps: one function per step, each against its baseline on the same data.

==================  =====================================================================
step                baseline
==================  =====================================================================
import_xlsx         parse the same firm sheet with python-calamine
import_csv          parse the same firm sheet with the faster of the ``csv`` module and
                    pyarrow's CSV reader on one thread
coverage            one hand-written SQL aggregate query (by chain + district total), on a
                    connection of its own given 256 MiB for sorting and temporary tables
monthly_series      :func:`~tracker.coverage.coverage` repeated once per month (48+ months)
rules               :func:`~tracker.coverage.coverage` by chain (the rules read the same
                    population facts); the graph is not built
graph_chain         fetching the same rows (firms, memberships, links, assignments) in SQL
                    (on such a connection too)
graph_district      the same, for the whole district
overview            :func:`tracker.dashboard.views.overview`, the figures the page lays out
chain_page          the largest chain's page rendered cold (figures and network computed);
                    baseline: its figures and network structure alone
report_<fmt>        :func:`tracker.reports.content.gather`, the content of the report
planner             :func:`tracker.planning.plan.instance_from_store`, reading the planner's input
load_test           (optional, :mod:`tracker.bench.loadtest`) one dashboard session alone vs
                    :data:`LOAD_SESSIONS` simultaneous sessions (Streamlit's websocket
                    protocol, no browser); ``load_test_2proc`` the same on two processes
soak_<minutes>      (optional) sessions viewing the overview for that long, memory sampled
==================  =====================================================================

The planner step also solves small sub-instances (one area, <= 15 firms to place) with
:func:`tracker.planning.exact.solve` and reports the planner's gap to the exact optimum.

Each step runs in a process of its own (:mod:`tracker.bench.runner`) and returns the
result :func:`~tracker.bench.measure.step_result` makes; a ``profile_target`` in it is the
call to profile when the step misses its goal. The product's modules are imported inside
the step functions, so that a step's process, and its peak memory, holds only what that
step needs.

Examples
--------
>>> STEPS[:3]
('import_xlsx', 'import_csv', 'coverage')
>>> SERIES_START.isoformat()
'2021-01-01'
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..resources import APP_FILE
from .baselines import (
    BASELINE_DB_MEMORY_MIB,
    baseline_engine,
    coverage_agrees,
    coverage_sql,
    graph_rows_sql,
    largest_chain,
    parse_readers,
)
from .measure import measure_once, measure_pair, step_result

__all__ = [
    "LOAD_SESSIONS",
    "SERIES_START",
    "STEPS",
    "StepContext",
    "ToolMissing",
    "report_formats",
    "step_chain_page",
    "step_coverage",
    "step_graph",
    "step_import",
    "step_overview",
    "step_planner",
    "step_report",
    "step_rules",
    "step_series",
    "sub_instances",
]

#: Steps in the order they run; ``report`` expands to one step per report format.
STEPS = ("import_xlsx", "import_csv", "coverage", "monthly_series", "graph_chain",
         "graph_district", "rules", "overview", "chain_page", "report", "planner")
#: First month of the burn-up series (54 month ends up to the benchmark's date).
SERIES_START = date(2021, 1, 1)
#: Simultaneous sessions of the load test (issue 17: fifty officers at once).
LOAD_SESSIONS = 50


class ToolMissing(Exception):
    """A tool outside the package that a step drives (Playwright, Chromium) is not installed.

    The step is then reported as ``not available``, with this message.
    """


@dataclass
class StepContext:
    """What a step process is told: the step, its store, size and date, and its files."""

    step: str
    url: str
    size: int
    as_of: date
    folder: Path
    fresh_url: str | None = None
    files: dict = field(default_factory=dict)
    profile: bool = False

    @property
    def engine(self):
        from ..store import get_engine

        return get_engine(self.url)


def step_import(ctx: StepContext, kind: str) -> dict:
    """Import the firm sheet (``kind``: xlsx or csv) into a fresh store; baseline: parse only."""
    from ..chains import init_store
    from ..ingest import import_path
    from ..store import get_engine

    path = Path(ctx.files[kind])
    target = get_engine(ctx.fresh_url)
    init_store(target)

    def run():
        report = import_path(target, path)
        if report.exit_code != 0:
            first = report.rejections[0].as_dict() if report.rejections else {}
            raise RuntimeError(f"import rejected {len(report.rejections)} rows, first: {first}")
        return report

    # The baseline is the fastest parse-only reader of the same file: each candidate runs
    # once unmeasured (module imports, page cache), then once measured. Warm-ups read the
    # small sample of the sheet when there is one: they are there to load modules, and a
    # second full pass over a million rows would double the step.
    sample = Path(ctx.files.get(f"{kind}_sample") or path)
    if not sample.is_file():
        sample = path
    readers = {}
    for name, reader in parse_readers(kind):
        reader(sample)
        readers[name] = measure_once(lambda reader=reader: reader(path))
    fastest = min(readers, key=lambda name: readers[name].seconds)
    base = readers[fastest]
    # Warm-up of the import: a dry run of the sample (reads and validates, writes
    # nothing), so that the measurement does not pay the imports of modules. One real
    # import per fresh store: the step cannot be repeated on the same store.
    import_path(target, sample, dry_run=True)
    main = measure_once(run)
    rows = ctx.files["rows"]
    others = [name for name in readers if name != fastest]
    label = f"parse only ({fastest}" + (f"; faster than {', '.join(others)}" if others else "") + ")"
    return step_result(main, base, label,
                       rows=rows, rows_per_second=rows / main.seconds if main.seconds else None,
                       baseline_rows_per_second=rows / base.seconds if base.seconds else None,
                       baseline_reader=fastest,
                       parse_readers={name: m.seconds for name, m in readers.items()},
                       file_bytes=ctx.files[f"{kind}_bytes"])


def step_coverage(ctx: StepContext) -> dict:
    """Coverage by chain; baseline: :data:`~tracker.bench.baselines.COVERAGE_SQL`."""
    from ..coverage import coverage

    engine, tuned = ctx.engine, baseline_engine(ctx.url)
    main, base = measure_pair(
        lambda: coverage(engine, ctx.as_of, by="chain", denominator="chain_firms"),
        lambda: coverage_sql(tuned, ctx.as_of))
    agrees = coverage_agrees(engine, main.value, base.value)
    if not agrees:
        raise RuntimeError("coverage() and the hand-written SQL disagree")
    return step_result(main, base, f"one hand-written SQL aggregate (by chain + total; "
                                   f"{BASELINE_DB_MEMORY_MIB} MiB for the database)",
                       agrees=agrees, firms=main.value.total.firms, profile_target=lambda: coverage(
                           engine, ctx.as_of, by="chain", denominator="chain_firms"))


def step_rules(ctx: StepContext) -> dict:
    """The rule checks R1-R7 of the whole district; baseline: coverage by chain, which reads
    the same population facts (:func:`tracker.coverage.population_facts`)."""
    from ..coverage import coverage
    from ..rules import check

    engine = ctx.engine
    main, base = measure_pair(lambda: check(engine, ctx.as_of),
                              lambda: coverage(engine, ctx.as_of, by="chain"))
    counts: dict[str, int] = {}
    for finding in main.value:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
    return step_result(main, base, "coverage() by chain (the same population facts)",
                       findings=len(main.value), by_rule=counts,
                       profile_target=lambda: check(engine, ctx.as_of))


def step_series(ctx: StepContext) -> dict:
    """The monthly burn-up series; baseline: coverage() repeated once per month."""
    from ..coverage import coverage, month_ends, monthly_series

    engine = ctx.engine
    dates = month_ends(SERIES_START, ctx.as_of)

    def repeated():
        return [coverage(engine, d, by="chain", denominator="chain_firms") for d in dates]

    main, base = measure_pair(lambda: monthly_series(engine, dates, by_chain=True),
                              repeated, repeat=False)
    frame = main.value
    agrees = True
    for d, result in zip(dates, base.value):
        row = frame[(frame["date"] == d) & (frame["key"] == "*")].iloc[0]
        agrees &= (int(row["firms"]), int(row["covered"])) == (result.total.firms, result.total.covered)
    if not agrees:
        raise RuntimeError("monthly_series and coverage() repeated per month disagree")
    return step_result(main, base, f"coverage() by chain repeated per month ({len(dates)} months)",
                       months=len(dates), agrees=agrees)


def step_graph(ctx: StepContext, whole: bool) -> dict:
    """The graph of the largest chain (or the whole district); baseline: its rows in SQL."""
    from ..graph import build_graph
    from ..scope import EVERYTHING, Scope

    engine, tuned = ctx.engine, baseline_engine(ctx.url)
    chain_id, code = largest_chain(engine, ctx.as_of)
    scope = EVERYTHING if whole else Scope.of(chains=[code])
    main, base = measure_pair(lambda: build_graph(engine, ctx.as_of, scope),
                              lambda: graph_rows_sql(tuned, ctx.as_of, None if whole else chain_id))
    graph = main.value
    return step_result(main, base, f"fetch the same rows in SQL ({BASELINE_DB_MEMORY_MIB} MiB for "
                                   f"the database)", chain=None if whole else code,
                       nodes=graph.number_of_nodes(), edges=graph.number_of_edges(),
                       rows_fetched=base.value,
                       profile_target=lambda: build_graph(engine, ctx.as_of, scope))


def step_overview(ctx: StepContext) -> dict:
    """The overview page rendered by Streamlit's AppTest; baseline: its figures alone."""
    from streamlit.testing.v1 import AppTest

    from ..auth import DEMO_PASSWORD, DEMO_USER, authenticate, ensure_demo_user
    from ..dashboard import TOKEN_KEY
    from ..dashboard.views import clear_cache, overview
    from ..scope import EVERYTHING

    os.environ["TRACKER_DATABASE_URL"] = ctx.url
    engine = ctx.engine
    # Every page needs a login: sign in once as the synthetic store's demo user (the
    # login itself is not part of the page's render time).
    ensure_demo_user(engine)
    token = authenticate(engine, DEMO_USER, DEMO_PASSWORD).token

    def compute():
        clear_cache()
        return overview(engine, ctx.as_of, EVERYTHING, "zh")

    def render():
        clear_cache()
        at = AppTest.from_file(str(APP_FILE), default_timeout=600)
        at.session_state[TOKEN_KEY] = token
        at.query_params["as_of"] = ctx.as_of.isoformat()
        at.run()
        if at.exception:
            raise RuntimeError(f"the overview raised: {at.exception[0].message}")
        if not at.metric:
            raise RuntimeError("the overview rendered no headline metric")
        return at

    render()  # warm-up: a running server has imported the pages' modules already
    main, base = measure_pair(render, compute)
    at = main.value
    started = time.perf_counter()
    at.run()  # the same session again: the views cache is warm
    warm = time.perf_counter() - started
    return step_result(main, base, "views.overview() (the figures the page shows)",
                       headline=f"{at.metric[0].label}: {at.metric[0].value}",
                       warm_rerun_seconds=warm, profile_target=render)


def step_chain_page(ctx: StepContext) -> dict:
    """The chain page of the largest chain rendered by Streamlit's AppTest with an empty
    views cache (its figures, network structure and tables computed); baseline: those
    figures alone (:func:`tracker.dashboard.views.chain_detail` and
    :func:`tracker.dashboard.network.chain_structure`). ``warm_rerun_seconds`` is a new
    session opening the page once the views cache is warm (a second officer, the same data
    version)."""
    from streamlit.testing.v1 import AppTest

    from ..auth import DEMO_PASSWORD, DEMO_USER, authenticate, ensure_demo_user
    from ..dashboard import TOKEN_KEY
    from ..dashboard.network import chain_structure
    from ..dashboard.views import chain_detail, clear_cache
    from ..resources import PAGES_DIR
    from ..scope import Scope

    os.environ["TRACKER_DATABASE_URL"] = ctx.url
    engine = ctx.engine
    ensure_demo_user(engine)
    token = authenticate(engine, DEMO_USER, DEMO_PASSWORD).token
    _, code = largest_chain(engine, ctx.as_of)

    def compute():
        clear_cache()
        return (chain_detail(engine, code, ctx.as_of, "zh"),
                chain_structure(engine, code, ctx.as_of, Scope.of(chains=[code])))

    def render(cold: bool = True):
        if cold:
            clear_cache()
        at = AppTest.from_file(str(APP_FILE), default_timeout=600)
        at.session_state[TOKEN_KEY] = token
        at.query_params["as_of"] = ctx.as_of.isoformat()
        at.query_params["chain"] = code
        at.switch_page(str(PAGES_DIR / "chain.py"))
        at.run()
        if at.exception:
            raise RuntimeError(f"the chain page raised: {at.exception[0].message}")
        if not at.metric:
            raise RuntimeError("the chain page rendered no metric")
        return at

    render()  # warm-up: a running server has imported the pages' modules already
    main, base = measure_pair(render, compute)
    at = main.value
    render()
    started = time.perf_counter()
    render(cold=False)  # a second officer opening the page: the views cache is warm
    warm = time.perf_counter() - started
    detail, structure = base.value
    return step_result(main, base, "views.chain_detail() + network.chain_structure() "
                                   "(the figures the page shows)",
                       chain=code, firms=detail.counts.firms,
                       network_nodes=len(structure.nodes),
                       headline=f"{at.metric[0].label}: {at.metric[0].value}",
                       warm_rerun_seconds=warm, profile_target=render)


def report_formats() -> list[str]:
    """The report formats, one ``report_<fmt>`` step each."""
    from ..reports import FORMATS

    return list(FORMATS)


def step_report(ctx: StepContext, fmt: str) -> dict:
    """The report written as ``fmt``; baseline: gathering its content."""
    from ..reports import write_report
    from ..reports.content import gather
    from ..scope import EVERYTHING

    engine = ctx.engine
    path = ctx.folder / f"report-{os.getpid()}.{fmt}"
    main, base = measure_pair(lambda: write_report(engine, fmt, path, ctx.as_of, EVERYTHING, "zh"),
                              lambda: gather(engine, ctx.as_of, EVERYTHING, "zh"))
    size = path.stat().st_size
    path.unlink(missing_ok=True)
    return step_result(main, base, "reports.content.gather() (the report's content)", bytes=size,
                       profile_target=lambda: write_report(engine, fmt, path, ctx.as_of,
                                                           EVERYTHING, "zh"))


def sub_instances(inst, limit: int = 5, firms: int = 15):
    """Small instances cut from ``inst``: one area each, at most ``firms`` firms to place."""
    from ..planning.plan import Instance

    by_area: dict[str, list] = {}
    for f in sorted(inst.pool(), key=lambda f: f.code):
        if f.area is not None:
            by_area.setdefault(f.area, []).append(f)
    out = []
    for area in sorted(by_area)[:limit]:
        chosen = by_area[area][:firms]
        out.append((area, Instance(
            as_of=inst.as_of, firms=chosen, config=inst.config,
            orgs=[o for o in inst.orgs if o.area == area],
            officers=[k for k in inst.officers if area in k.areas])))
    return out


def step_planner(ctx: StepContext) -> dict:
    """The planner's heuristic; baseline: reading its input. Plus its gap to the optimum."""
    from ..planning.exact import solve
    from ..planning.plan import instance_from_store, plan

    engine = ctx.engine
    base = measure_once(lambda: instance_from_store(engine, ctx.as_of))
    inst = base.value
    main = measure_once(lambda: plan(inst))
    result = main.value
    # ``not_available`` stays in the layout of the results (always None now that the exact
    # solver is part of the package).
    gaps = {"solved": 0, "not_finished": 0, "not_available": None, "max_gap": None,
            "mean_gap": None, "instances": []}
    found = []
    for area, sub in sub_instances(inst):
        heuristic = plan(sub)
        started = time.perf_counter()
        try:
            exact = solve(sub, time_limit=20.0)
        except Exception as exc:  # noqa: BLE001 - no proven optimum: say so
            gaps["not_finished"] += 1
            gaps["instances"].append({"area": area, "firms": len(sub.firms),
                                      "exact": f"not finished: {exc}"})
            continue
        h, e = heuristic.objective, exact.objective
        gap = h[2] - e[2] if h[:2] == e[:2] else None
        found.append(gap)
        gaps["solved"] += 1
        gaps["instances"].append({
            "area": area, "firms": len(sub.firms), "heuristic": list(h), "exact": list(e),
            "gap": gap, "same_coverage": h[:2] == e[:2],
            "exact_seconds": time.perf_counter() - started})
    numeric = [g for g in found if g is not None]
    if numeric:
        gaps["max_gap"] = max(numeric)
        gaps["mean_gap"] = statistics.mean(numeric)
    return step_result(main, base, "instance_from_store() (reading the planner's input)",
                       firms=result.firms, actions=len(result.actions),
                       coverage_after=result.coverage_after, exact_gap=gaps,
                       profile_target=lambda: plan(inst))
