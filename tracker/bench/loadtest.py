"""The load test: :data:`LOAD_SESSIONS` browser sessions of the overview against one server.

``tracker serve`` runs as a child process (:func:`~tracker.bench.localserve.served_dashboard`)
on the benchmark's store; headless Chromium, driven by Playwright, signs in and waits for
the overview's headline metric, first in one session alone (the baseline), then in
:data:`LOAD_SESSIONS` sessions at once. The CPU seconds of the server's process tree, of the
benchmark's own tree (Playwright and Chromium) and of the whole machine are sampled around
both phases, so the result says where the time went.

Playwright (a development dependency) and Chromium (a system package) are tools outside the
package: without them the step raises :class:`~tracker.bench.steps.ToolMissing` and is
reported as ``not available``.

Examples
--------
>>> percentile_95([1.0, 2.0, 3.0, 4.0])
4.0
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ..auth import DEMO_PASSWORD, DEMO_USER
from .localserve import served_dashboard
from .measure import Measure, step_result
from .probes import machine_busy_seconds, tree_cpu_seconds, tree_peak_rss_mib
from .steps import LOAD_SESSIONS, StepContext, ToolMissing

__all__ = ["browser_sessions", "percentile_95", "step_load_test"]

_CHROMIUM = "/usr/bin/chromium"

def percentile_95(sorted_values: list[float]) -> float:
    """The 95th percentile of sorted values, by the nearest rank."""
    n = len(sorted_values)
    return sorted_values[min(n - 1, max(0, round(0.95 * n) - 1))]


def step_load_test(ctx: StepContext, sessions: int = LOAD_SESSIONS) -> dict:
    """``sessions`` simultaneous browser sessions of the overview against one server."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as exc:  # a development dependency, not the package's own module
        raise ToolMissing(f"playwright: {exc}") from None
    chromium = shutil.which("chromium") or _CHROMIUM
    if not Path(chromium).exists():
        raise ToolMissing(f"chromium ({_CHROMIUM})")

    with served_dashboard(ctx.url) as (base_url, server):
        page_url = f"{base_url}/?as_of={ctx.as_of.isoformat()}"
        cpu: dict = {}

        def sample(phase: str) -> None:
            # The server is one of this process's descendants: the rest of the tree is
            # Playwright's driver, Chromium and this process.
            served = tree_cpu_seconds(server.pid)
            cpu[phase] = (time.perf_counter(), served, tree_cpu_seconds(os.getpid()) - served,
                          machine_busy_seconds())

        single, latencies = browser_sessions(chromium, page_url, sessions, sample)
        server_peak = tree_peak_rss_mib(server.pid)
    ok = [t for t in latencies if t is not None]
    if not ok:
        raise RuntimeError("no session showed the overview's headline metric")
    ok.sort()
    p50 = statistics.median(ok)
    p95 = percentile_95(ok)
    main = Measure(seconds=p50, peak_rss_mib=server_peak, start_rss_mib=None)
    base = Measure(seconds=single, peak_rss_mib=None, start_rss_mib=None)
    # Where the CPU went while the sessions ran together: the server's process tree, the
    # benchmark's own tree (Playwright's driver and the Chromium it drives), and the whole
    # machine. With every core busy and most of it outside the server, the latencies
    # measure the machine's load more than the server.
    where = {}
    for phase in ("alone", "together"):
        if f"{phase}_start" in cpu and f"{phase}_end" in cpu:
            a, b = cpu[f"{phase}_start"], cpu[f"{phase}_end"]
            where[phase] = {"wall_seconds": b[0] - a[0], "server_cpu_seconds": b[1] - a[1],
                            "browser_cpu_seconds": b[2] - a[2], "machine_busy_seconds": b[3] - a[3],
                            "machine_capacity_seconds": (b[0] - a[0]) * (os.cpu_count() or 1)}
    return step_result(main, base, "one session alone (time to the headline metric)",
                       sessions=sessions, succeeded=len(ok), p50=p50, p95=p95, max=ok[-1],
                       memory_note="peak RSS of the server process tree", cpu=where)


def browser_sessions(chromium: str, url: str, sessions: int,
                     sample: Callable[[str], None] = lambda phase: None) -> tuple[float, list]:
    """Time until the headline metric is visible: one session alone, then ``sessions`` at once."""
    from playwright.async_api import async_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]

    async def one(browser) -> float | None:
        context = await browser.new_context()
        page = await context.new_page()
        started = time.perf_counter()
        try:
            await page.goto(url, wait_until="commit", timeout=120_000)
            # Every page needs a login; the benchmark store is the synthetic demo, whose
            # demo login `tracker serve` creates. The time includes the login, as a user's does.
            await page.get_by_label(re.compile("^(用户名|User name)$")).fill(DEMO_USER,
                                                                              timeout=180_000)
            await page.get_by_label(re.compile("^(密码|Password)$")).fill(DEMO_PASSWORD)
            await page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
            await page.locator('[data-testid="stMetric"]').first.wait_for(state="visible",
                                                                          timeout=180_000)
            return time.perf_counter() - started
        except Exception:  # noqa: BLE001 - a session that never shows the metric counts as failed
            return None
        finally:
            await context.close()

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=args, headless=True)
            try:
                await one(browser)  # warm the server (first script run, imports)
                sample("alone_start")
                alone = await one(browser)
                sample("alone_end")
                sample("together_start")
                together = await asyncio.gather(*(one(browser) for _ in range(sessions)))
                sample("together_end")
            finally:
                await browser.close()
            return alone, list(together)

    alone, together = asyncio.run(main())
    if alone is None:
        raise RuntimeError("a single session did not show the overview's headline metric")
    return alone, together
