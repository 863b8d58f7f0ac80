"""What a benchmark ran on: the machine (cores, memory, CPU, versions) and the code's commit.

Examples
--------
>>> info = machine_info()
>>> info["cores"] >= 1 and info["memory_bytes"] > 0
True
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from pathlib import Path

import psutil
import sqlalchemy

__all__ = ["code_commit", "machine_info"]

#: The clone the code runs from (``tracker/bench/`` is two levels below it).
_ROOT = Path(__file__).resolve().parents[2]


def code_commit() -> str | None:
    """The git commit of the code being measured, ``+dirty`` when ``tracker/`` has changes.

    Asked by every step process, not only once per run: in a long run the code on disk can
    change between steps, and each step then says which code it measured.
    """
    def git(*args: str) -> str:
        # Not a clone, or no git: empty output, and the commit is unknown.
        return subprocess.run(["git", "-C", str(_ROOT), *args], check=False,
                              capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD") or None
        dirty = git("status", "--porcelain", "--", "tracker")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if commit and dirty else commit


def _cpu_model() -> str:
    """The CPU's model name (psutil does not report it)."""
    model = platform.processor() or ""
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    except OSError:
        return model
    return found.group(1).strip() if found else model


def machine_info() -> dict:
    """Cores, memory, CPU model, Python and library versions of this machine."""
    memory = psutil.virtual_memory().total  # MemTotal of /proc/meminfo, in bytes
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        affinity = os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "cpu": _cpu_model(),
        "memory_bytes": memory,
        "memory_gib": round(memory / 2**30, 1) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "commit": code_commit(),
    }
