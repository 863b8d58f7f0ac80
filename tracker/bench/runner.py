"""Each step in a fresh process, under a time limit, and nothing left running after it.

:func:`run_child` writes the step's spec to a JSON file and starts ``python -c`` on
:func:`child_main` in a session (process group) of its own; the child writes its result
to another JSON file. The parent waits with ``wait4`` for the child's own ``ru_maxrss``
(``child_max_rss_mib``, a cross-check of the child's ``VmHWM``: the kernel derives both
from the same high-water mark, so it is the peak since the child's last reset). Past the
time limit, or on Ctrl-C, the child's process group and every descendant that left it are
killed (:func:`kill_tree`) and the step is recorded as ``timeout``.

When a goal's step is slower than its limit at its size (:data:`PROFILE_WHEN`), the child
runs the step once more under cProfile and stores the functions with the largest
cumulative time.

Examples
--------
>>> PROFILE_WHEN["coverage"]
(1000000, 0.5)
>>> CHILD_COMMAND.split("; ")[1]
'from tracker.bench.runner import child_main'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from datetime import date
from pathlib import Path

from .data import generate, write_firm_sheets
from .machine import code_commit
from .measure import profile
from .probes import descendants, peak_rss_mib, peak_rss_reset
from .report import GOALS
from .steps import (
    StepContext,
    ToolMissing,
    step_chain_page,
    step_coverage,
    step_graph,
    step_import,
    step_overview,
    step_planner,
    step_report,
    step_rules,
    step_series,
)

__all__ = ["CHILD_COMMAND", "PROFILE_WHEN", "child_main", "kill_tree", "run_child", "run_step"]

#: Goal limits that trigger a cProfile run inside the child: step -> (size, seconds).
PROFILE_WHEN = {g["step"]: (g["size"], g["limit"]) for g in GOALS if g["metric"] == "seconds"}

#: What the step process runs (``python -c``), the spec file's path as its argument.
CHILD_COMMAND = "import sys; from tracker.bench.runner import child_main; sys.exit(child_main(sys.argv[1]))"

#: The clone (``tracker/bench/`` is two levels below it): on the child's ``PYTHONPATH``.
_ROOT = Path(__file__).resolve().parents[2]

_STEP_FUNCTIONS = {
    "import_xlsx": lambda ctx: step_import(ctx, "xlsx"),
    "import_csv": lambda ctx: step_import(ctx, "csv"),
    "coverage": step_coverage,
    "monthly_series": step_series,
    "graph_chain": lambda ctx: step_graph(ctx, whole=False),
    "graph_district": lambda ctx: step_graph(ctx, whole=True),
    "overview": step_overview,
    "rules": step_rules,
    "chain_page": step_chain_page,
    "planner": step_planner,
}


def run_step(ctx: StepContext) -> dict:
    """Measure the step ``ctx.step`` (in this process)."""
    step = ctx.step
    if step.startswith("report_"):
        return step_report(ctx, step[len("report_"):])
    if step in ("load_test", "load_test_2proc") or step.startswith("soak_"):
        # Imported here: only these steps' processes need the server and protocol tooling.
        from .loadtest import soak_minutes, step_load_test, step_soak

        if step.startswith("soak_"):
            return step_soak(ctx, soak_minutes(step))
        return step_load_test(ctx, processes=2 if step == "load_test_2proc" else 1)
    if step not in _STEP_FUNCTIONS:
        raise ValueError(f"未知的基准步骤：{step}")
    return _STEP_FUNCTIONS[step](ctx)


def child_main(spec_path: str) -> int:
    """Entry point of the fresh process that runs one step (or the data generation)."""
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["out"])
    try:
        if spec["step"] == "generate":
            started = time.perf_counter()
            peak_rss_reset()
            info = generate(spec["url"], spec["size"], spec["seed"], date.fromisoformat(spec["as_of"]))
            info["seconds"] = time.perf_counter() - started
            info["peak_rss_mib"] = peak_rss_mib()
            result = {"status": "ok", **info}
        elif spec["step"] == "sheets":
            # Its own process: the generator's heap would otherwise be counted as its peak.
            from ..store import get_engine

            started = time.perf_counter()
            peak_rss_reset()
            files = write_firm_sheets(get_engine(spec["url"]), Path(spec["folder"]))
            result = {"status": "ok", "files": files,
                      "files_seconds": time.perf_counter() - started,
                      "files_peak_rss_mib": peak_rss_mib()}
        else:
            ctx = StepContext(step=spec["step"], url=spec["url"], size=spec["size"],
                              as_of=date.fromisoformat(spec["as_of"]), folder=Path(spec["folder"]),
                              fresh_url=spec.get("fresh_url"), files=spec.get("files") or {})
            result = {"status": "ok", **run_step(ctx)}
            target = result.pop("profile_target", None)
            size, limit = PROFILE_WHEN.get(spec["step"], (None, None))
            if target is not None and size == spec["size"] and result["seconds"] > limit:
                result["profile"] = profile(target)
    except ToolMissing as exc:
        result = {"status": "not available", "note": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported in the results, the run goes on
        result = {"status": "error", "note": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=6)}
    result["commit"] = code_commit()
    out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def kill_tree(pid: int) -> None:
    """Kill the step process, its process group, and every descendant that left the group.

    The load test's ``tracker serve`` runs in a session of its own (so that the step can
    stop it), and would outlive a step killed at its time limit; the descendants are
    listed before the kill, while they are still children of the step.
    """
    others = descendants(pid)
    for target in (pid, *others):
        try:
            if target == pid:
                os.killpg(target, 9)
            else:
                os.kill(target, 9)
        except (ProcessLookupError, PermissionError):
            pass


def run_child(spec: dict, timeout: float) -> dict:
    """Run one step in a fresh process; its result, with the child's ``ru_maxrss``."""
    folder = Path(spec["folder"])
    spec_path = folder / f"spec-{spec['step']}-{time.monotonic_ns()}.json"
    spec["out"] = str(spec_path.with_suffix(".out.json"))
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, default=str))
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    command = [sys.executable, "-c", CHILD_COMMAND, str(spec_path)]
    started = time.perf_counter()
    err_path = spec_path.with_suffix(".err")
    with open(err_path, "wb") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the max over all);
    # psutil has no equivalent for a reaped child.
    usage = None
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        except BaseException:  # interrupted (Ctrl-C): do not leave the step running
            kill_tree(process.pid)
            process.wait()
            raise
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            usage = rusage.ru_maxrss / 1024
            break
        if time.monotonic() > deadline:
            kill_tree(process.pid)
            process.wait()
            for path in (spec_path, Path(spec["out"]), err_path):
                path.unlink(missing_ok=True)
            return {"status": "timeout", "note": f"did not finish within {timeout:g} s",
                    "wall_seconds": time.perf_counter() - started, "timeout": timeout}
        try:
            time.sleep(0.05)
        except BaseException:
            kill_tree(process.pid)
            process.wait()
            raise
    out = Path(spec["out"])
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError):
        tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        result = {"status": "error",
                  "note": f"the step process died (exit {process.returncode}): {' | '.join(tail)}"}
    result["wall_seconds"] = time.perf_counter() - started
    result["child_max_rss_mib"] = usage
    for path in (spec_path, out, err_path):  # a kept folder must not fill up with them
        path.unlink(missing_ok=True)
    return result
