"""Benchmark and test tooling: the harness, the load test, throwaway servers.

Nothing in the product imports this package. Its modules, one concern each:

============  ===========================================================================
harness       :func:`run_benchmark`: every backend and size, data then steps
steps         one function per measured step (:data:`STEPS`)
baselines     what each step is measured against (hand-written SQL, parse-only readers)
data          the synthetic district of each size, the firm sheets, kept stores
runner        each step in a fresh process, under a time limit; killing what it left
measure       timing and peak memory of a call, a step against its baseline, cProfile
probes        process memory and CPU (psutil; the kernel's ``VmHWM`` for peaks)
machine       the machine and the code's commit
report        :data:`GOALS`, :func:`evaluate_goals`, :func:`merge_results`,
              :func:`to_markdown` (``BENCHMARKS.md``)
backends      where a run's stores live (SQLite files, PostgreSQL databases)
loadtest      the load test (50 sessions, one process then two) and the soak
protocol      a dashboard client speaking Streamlit's websocket protocol (no browser)
sheets        the streaming xlsx writer of the firm sheets
localserve    the dashboard as a child process (load test, browser tests)
pgserver      a throwaway PostgreSQL server (test suite, ``--postgres-server``)
============  ===========================================================================
"""

from .backends import Backend
from .data import AS_OF, SEED
from .harness import DEFAULT_SIZES, default_timeout, run_benchmark
from .machine import machine_info
from .probes import peak_rss_mib, peak_rss_reset
from .report import GOALS, evaluate_goals, keep_analysis, merge_results, to_markdown
from .sheets import write_xlsx_stream
from .steps import SERIES_START, STEPS

__all__ = [
    "AS_OF",
    "DEFAULT_SIZES",
    "GOALS",
    "SEED",
    "SERIES_START",
    "STEPS",
    "Backend",
    "default_timeout",
    "evaluate_goals",
    "keep_analysis",
    "machine_info",
    "merge_results",
    "peak_rss_mib",
    "peak_rss_reset",
    "run_benchmark",
    "to_markdown",
    "write_xlsx_stream",
]
