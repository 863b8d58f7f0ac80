"""The load test and the soak: many dashboard sessions against the server, no browser.

``tracker serve`` runs as a child process (:func:`~tracker.bench.localserve.served_dashboard`)
on the benchmark's store; :mod:`tracker.bench.protocol` plays the browser tabs over
Streamlit's websocket protocol, so the two cores of the machine are the server's and the
figures are the server's (the former Chromium load test measured mostly the browsers).

``load_test``
    one session alone (the baseline: sign in, the overview's headline), then
    :data:`LOAD_SESSIONS` sessions signing in together; then every session views the
    overview :data:`WARM_VIEWS` more times. The server's CPU seconds are read around each
    phase: CPU per sign-in (the password hash is paid there, once) and CPU per warm view
    (shared figures come from the cache of the data version, not recomputed per session).
``load_test_2proc``
    the same against two dashboard processes over the one store, sessions alternating
    between them (what a reverse proxy with sticky sessions does; docs/scale.md).
``soak_<minutes>``
    :data:`SOAK_SESSIONS` sessions viewing the overview in a loop for that many minutes;
    the server's resident memory and the view times are sampled each minute. The result
    says how much memory grew after the warm-up (the first :data:`SOAK_WARMUP` of the run)
    and whether the view times stayed flat.

Examples
--------
>>> percentile_95([1.0, 2.0, 3.0, 4.0])
4.0
>>> soak_minutes("soak_30"), soak_minutes("load_test")
(30, None)
>>> round(growth([100.0, 110.0, 104.0, 105.0, 106.0], warmup=2), 4)
0.0192
"""

from __future__ import annotations

import asyncio
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from ..auth import DEMO_PASSWORD, DEMO_USER
from .localserve import served_dashboard
from .measure import Measure, step_result
from .probes import tree_cpu_seconds, tree_peak_rss_mib, tree_rss_mib
from .protocol import (
    ProtocolSession,
    SessionTimes,
    run_sessions,
    sign_in_session,
    view_session,
)
from .steps import LOAD_SESSIONS, StepContext

__all__ = [
    "SOAK_SESSIONS",
    "SOAK_WARMUP",
    "WARM_VIEWS",
    "growth",
    "percentile_95",
    "soak_minutes",
    "step_load_test",
    "step_soak",
]

#: Views of the overview per session once all are signed in (the warm views).
WARM_VIEWS = 3
#: Sessions that keep viewing the overview during the soak.
SOAK_SESSIONS = 10
#: Share of the soak before memory is taken as warmed up (caches filled, modules loaded).
SOAK_WARMUP = 0.2
# A view of the soak every few seconds per session: a busy office, not a flood.
_SOAK_PAUSE = 3.0


def percentile_95(sorted_values: list[float]) -> float:
    """The 95th percentile of sorted values, by the nearest rank."""
    n = len(sorted_values)
    return sorted_values[min(n - 1, max(0, round(0.95 * n) - 1))]


def soak_minutes(step: str) -> int | None:
    """The minutes of a ``soak_<minutes>`` step, or None for any other step."""
    if step.startswith("soak_") and step[5:].isdigit():
        return int(step[5:])
    return None


def growth(samples: list[float], warmup: int) -> float:
    """Relative growth of the last sample over the first sample after ``warmup`` samples."""
    base = samples[min(warmup, len(samples) - 1)]
    return samples[-1] / base - 1 if base else 0.0


def _logs(ctx: StepContext, stack: ExitStack, n: int):
    return stack.enter_context(open(Path(ctx.folder) / f"serve-{n}.log", "w"))


def step_load_test(ctx: StepContext, sessions: int = LOAD_SESSIONS, processes: int = 1) -> dict:
    """``sessions`` protocol sessions against ``processes`` dashboard processes."""
    query = f"as_of={ctx.as_of.isoformat()}"
    with ExitStack() as stack:
        served = [stack.enter_context(served_dashboard(ctx.url, log=_logs(ctx, stack, n),
                                                       cwd=ctx.folder, timeout=300))
                  for n in range(processes)]
        bases = [base for base, _ in served]
        pids = [process.pid for _, process in served]

        def server_cpu() -> float:
            return sum(tree_cpu_seconds(pid) for pid in pids)

        def run(urls, n, samples):
            def sample(phase: str) -> None:
                samples[phase] = (time.monotonic(), server_cpu())
            return run_sessions(urls, sessions=n, user=DEMO_USER, password=DEMO_PASSWORD,
                                query=query, views=WARM_VIEWS, timeout=180, budget=900,
                                sample=sample)

        for base in bases:  # each process's first run imports the modules and fills caches
            run([base], 1, {})
        alone_cpu: dict = {}
        alone = run(bases[:1], 1, alone_cpu)[0]
        together_cpu: dict = {}
        together = run(bases, sessions, together_cpu)
        peak = sum(tree_peak_rss_mib(pid) or 0.0 for pid in pids)
    if alone.headline is None:
        raise RuntimeError(f"a single session did not reach the headline: {alone.error}")
    ok = sorted(t.headline for t in together if t.headline is not None and t.error is None)
    if not ok:
        raise RuntimeError(f"no session reached the headline: {together[0].error}")
    views = sorted(v for t in together for v in t.views)
    errors = sorted({t.error for t in together if t.error})

    def phase(samples, name):
        (t0, c0), (t1, c1) = samples[f"{name}_start"], samples[f"{name}_end"]
        return {"wall_seconds": t1 - t0, "server_cpu_seconds": c1 - c0}

    sign_in = phase(together_cpu, "sign_in")
    warm = phase(together_cpu, "views")
    main = Measure(seconds=percentile_95(ok), peak_rss_mib=peak, start_rss_mib=None)
    base = Measure(seconds=alone.headline, peak_rss_mib=None, start_rss_mib=None)
    return step_result(
        main, base, "one session alone (sign-in to the overview's headline)",
        sessions=sessions, processes=processes, succeeded=len(ok), p50=statistics.median(ok),
        p95=percentile_95(ok), max=ok[-1], errors=errors[:5],
        server_cpu_per_sign_in=sign_in["server_cpu_seconds"] / sessions,
        warm_views=len(views), warm_view_p95=percentile_95(views) if views else None,
        server_cpu_per_warm_view=(warm["server_cpu_seconds"] / len(views)) if views else None,
        alone_server_cpu=phase(alone_cpu, "sign_in")["server_cpu_seconds"],
        cpu={"sign_in": sign_in, "warm_views": warm},
        memory_note="peak RSS of the server process trees")


def step_soak(ctx: StepContext, minutes: int, sessions: int = SOAK_SESSIONS) -> dict:
    """:data:`SOAK_SESSIONS` sessions viewing the overview for ``minutes``; memory and
    view times sampled each minute."""
    query = f"as_of={ctx.as_of.isoformat()}"
    with ExitStack() as stack:
        base, process = stack.enter_context(served_dashboard(
            ctx.url, log=_logs(ctx, stack, 0), cwd=ctx.folder, timeout=300))
        run_sessions(base, sessions=1, user=DEMO_USER, password=DEMO_PASSWORD, query=query)
        minute_views, memory, errors = asyncio.run(
            _soak(base, query, sessions, minutes * 60.0, process.pid))
        peak = tree_peak_rss_mib(process.pid)
    per_minute = [percentile_95(sorted(v)) if v else None for v in minute_views]
    warmup = max(1, round(len(memory) * SOAK_WARMUP))
    views = sorted(v for m in minute_views for v in m)
    settled = [p for p in per_minute[warmup:] if p is not None]
    main = Measure(seconds=percentile_95(views) if views else float("nan"),
                   peak_rss_mib=peak, start_rss_mib=memory[0] if memory else None)
    return step_result(
        main, None, "none (the soak compares the run with its own warm-up)",
        minutes=minutes, sessions=sessions, soak_views=len(views), soak_errors=errors[:5],
        soak_error_count=len(errors), rss_mib_by_minute=[round(m, 1) for m in memory],
        view_p95_by_minute=[round(p, 3) if p is not None else None for p in per_minute],
        rss_growth_after_warmup=growth(memory, warmup) if memory else None,
        view_p95_first_last=(settled[0], settled[-1]) if settled else None,
        memory_note="peak RSS of the server process tree")


async def _soak(base: str, query: str, sessions: int, seconds: float, pid: int):
    minutes = max(1, round(seconds / 60))
    minute_views: list[list[float]] = [[] for _ in range(minutes)]
    errors: list[str] = []
    started = time.monotonic()
    tabs = [ProtocolSession(base, query, timeout=180) for _ in range(sessions)]
    times = [SessionTimes() for _ in tabs]
    await asyncio.gather(*(sign_in_session(tab, t, DEMO_USER, DEMO_PASSWORD)
                           for tab, t in zip(tabs, times)))
    errors += [t.error for t in times if t.error]

    async def keep_viewing(tab, t):
        while time.monotonic() - started < seconds and t.error is None:
            before = len(t.views)
            await view_session(tab, t, 1)
            if len(t.views) > before:
                minute = min(minutes - 1, int((time.monotonic() - started) // 60))
                minute_views[minute].append(t.views[-1])
            await asyncio.sleep(_SOAK_PAUSE)
        if t.error:
            errors.append(t.error)

    async def sample_memory(memory):
        while time.monotonic() - started < seconds:
            memory.append(tree_rss_mib(pid))
            await asyncio.sleep(60)
        memory.append(tree_rss_mib(pid))

    memory: list[float] = []
    live = [(tab, t) for tab, t in zip(tabs, times) if t.error is None]
    await asyncio.gather(sample_memory(memory), *(keep_viewing(tab, t) for tab, t in live))
    for tab in tabs:
        if tab._ws is not None:
            await tab.__aexit__()
    return minute_views, memory, errors
