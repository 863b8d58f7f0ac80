"""Process probes: peak and current memory, CPU seconds of a process tree, machine busy time.

The tree walks, current RSS and CPU times come from :mod:`psutil`. The *peak* RSS does not:
psutil has no high-water mark, so :func:`peak_rss_mib` and :func:`tree_peak_rss_mib` read
the kernel's ``VmHWM`` (``/proc/<pid>/status``), and :func:`peak_rss_reset` resets it with
``echo 5 > /proc/self/clear_refs``: the peak of one measured call, not of the process's
life. Without ``/proc`` (not Linux) the lifetime peak of ``ru_maxrss`` is the fallback.

Examples
--------
>>> peak_rss_reset() in (True, False)
True
>>> rss_mib() > 0 and peak_rss_mib() > 0
True
>>> import os
>>> tree_cpu_seconds(os.getpid()) > 0, os.getpid() in descendants(os.getppid())
(True, True)
"""

from __future__ import annotations

import ctypes
import gc
import re
import resource
import sys
from pathlib import Path

import psutil

__all__ = [
    "descendants",
    "machine_busy_seconds",
    "peak_rss_mib",
    "peak_rss_reset",
    "release_memory",
    "rss_mib",
    "tree_cpu_seconds",
    "tree_peak_rss_mib",
    "tree_rss_mib",
]

_MIB = 2**20


def _hwm_kib(pid: int | str = "self") -> int | None:
    """``VmHWM`` of ``pid`` in KiB (psutil has no peak RSS), or None where unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def peak_rss_reset() -> bool:
    """Reset this process's RSS high-water mark to its current RSS (Linux only).

    Returns False where ``/proc/self/clear_refs`` cannot be written. psutil has no
    equivalent: the kernel interface is the only way to reset the mark.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float | None:
    """Peak RSS of this process since the last :func:`peak_rss_reset`, in MiB."""
    kib = _hwm_kib()
    if kib is None:  # not Linux: the lifetime peak is the best there is
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024
    return kib / 1024


def rss_mib() -> float:
    """The resident set of this process now, in MiB."""
    return psutil.Process().memory_info().rss / _MIB


def release_memory() -> None:
    """Hand freed heap back to the kernel (glibc), so that one call's garbage does not
    count in the next call's peak."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def _tree(pid: int) -> list[psutil.Process]:
    """``pid`` and its live descendants (empty when ``pid`` has gone)."""
    root = _process(pid)
    if root is None:
        return []
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [root]


def descendants(pid: int) -> list[int]:
    """The ids of the live descendants of ``pid`` (children, their children, …)."""
    return [p.pid for p in _tree(pid)[1:]]


def tree_peak_rss_mib(pid: int) -> float | None:
    """The largest peak RSS among ``pid`` and its descendants (the server process tree)."""
    peaks = [kib for kib in (_hwm_kib(p.pid) for p in _tree(pid)) if kib is not None]
    return max(peaks) / 1024 if peaks else None


def tree_rss_mib(pid: int) -> float:
    """Resident memory (MiB) of ``pid`` and its live descendants now: what a long run
    samples to see whether the server's memory grows."""
    total = 0
    for process in _tree(pid):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / _MIB


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid``, its live descendants and the
    descendants they have already reaped (``children_user``/``children_system``)."""
    total = 0.0
    for process in _tree(pid):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        # A live descendant's reaped children are already in its own children_* times,
        # which counts them once.
        total += times.user + times.system + times.children_user + times.children_system
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine spent busy since boot (not idle, not iowait)."""
    times = psutil.cpu_times()
    busy = times.user + times.system
    for name in ("nice", "irq", "softirq", "steal"):  # the Linux fields of /proc/stat
        busy += getattr(times, name, 0.0)
    return busy
