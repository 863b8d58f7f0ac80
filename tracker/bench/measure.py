"""Timing and memory of one call, a step against its baseline, and cProfile of a slow step.

``time.perf_counter`` around the call; the peak RSS of the call from :mod:`.probes`. Short
calls (under :data:`REPEAT_UNDER` seconds) are repeated up to :data:`REPEATS` times,
baseline and step alternately, and the fastest run of each is kept; long ones run once.

Examples
--------
>>> main, base = measure_pair(lambda: sum(range(1000)), lambda: 499500)
>>> main.value, base.value, main.runs
(499500, 499500, 3)
>>> step_result(main, base, "a constant")["baseline"]
'a constant'
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass

from .probes import peak_rss_mib, peak_rss_reset, release_memory, rss_mib

__all__ = [
    "REPEATS",
    "REPEAT_UNDER",
    "Measure",
    "measure_once",
    "measure_pair",
    "profile",
    "step_result",
]

REPEAT_UNDER = 2.0  # seconds: shorter calls are repeated
REPEATS = 3
_PROFILE_TOP = 12


@dataclass
class Measure:
    """One measured call: its time, the peak and starting RSS, and what it returned."""

    seconds: float
    peak_rss_mib: float | None
    start_rss_mib: float | None
    value: object = None
    runs: int = 1


def measure_once(fn: Callable[[], object]) -> Measure:
    """Call ``fn`` once, with the RSS high-water mark reset just before."""
    release_memory()
    start_rss = rss_mib()
    peak_rss_reset()
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    return Measure(seconds, peak_rss_mib(), start_rss, value)


def measure_pair(step: Callable[[], object], baseline: Callable[[], object] | None,
                 repeat: bool = True) -> tuple[Measure, Measure | None]:
    """Measure ``baseline`` then ``step``; repeat both (alternately) while they are short.

    The baseline runs once unmeasured first, so that module imports and the database's
    page cache are warm for both, not charged to whichever runs first.
    """
    if baseline:
        baseline()
    base = measure_once(baseline) if baseline else None
    main = measure_once(step)
    if repeat:
        for _ in range(REPEATS - 1):
            if main.seconds + (base.seconds if base else 0) >= REPEAT_UNDER:
                break
            if base is not None:
                again = measure_once(baseline)
                base.seconds = min(base.seconds, again.seconds)
                base.runs += 1
            again = measure_once(step)
            main.seconds = min(main.seconds, again.seconds)
            main.runs += 1
    return main, base


def profile(fn: Callable[[], object], top: int = _PROFILE_TOP) -> list[dict]:
    """Run ``fn`` under cProfile; the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{_short_path(filename)}:{line}({name})", "calls": calls,
                     "tottime": round(tottime, 4), "cumtime": round(cumtime, 4)})
    rows.sort(key=lambda r: -r["cumtime"])
    return rows[:top]


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "/tracker/", "/lib/python"):
        if marker in filename:
            _head, tail = filename.split(marker, 1)
            return ("tracker/" if marker == "/tracker/" else "") + tail
    return filename


def step_result(main: Measure, base: Measure | None, baseline: str, **extra) -> dict:
    """The result of a step as the JSON records it: the step's and the baseline's figures."""
    out = {"seconds": main.seconds, "peak_rss_mib": main.peak_rss_mib,
           "start_rss_mib": main.start_rss_mib, "runs": main.runs, "baseline": baseline,
           "baseline_seconds": base.seconds if base else None,
           "baseline_peak_rss_mib": base.peak_rss_mib if base else None}
    out.update(extra)
    return out
