"""The dashboard as a child process on loopback, for the browser tests and the load test.

Both need the same three things: start ``tracker serve`` on a free port in a process
group of its own, wait until Streamlit answers its health check (or fail with the
server's log), and stop the whole group afterwards, politely first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .pgserver import free_port

__all__ = ["served_dashboard", "tracker_command"]


def tracker_command() -> list[str]:
    """The ``tracker`` console script of this interpreter, or ``python -m tracker``."""
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


@contextmanager
def served_dashboard(database_url: str, *serve_args: str, timeout: float = 120,
                     log: IO | None = None, cwd: Path | str | None = None,
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``tracker serve`` on 127.0.0.1 and yield ``(base_url, process)`` once healthy.

    Parameters
    ----------
    database_url : the store (``TRACKER_DATABASE_URL`` of the server)
    serve_args : more options of ``tracker serve``, e.g. ``"--demo"``
    timeout : seconds allowed to start (the demo load on a busy machine takes a while)
    log : a file for the server's output (its text is in the error if it fails to start);
          default discarded
    cwd : the server's working folder
    """
    port = free_port()
    env = dict(os.environ, TRACKER_DATABASE_URL=database_url)
    process = subprocess.Popen(
        [*tracker_command(), "--db", database_url, "serve", *serve_args, "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, timeout, log)
        yield base, process
    finally:
        _stop_group(process)


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float, log: IO | None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            why = "exited" if process.poll() is not None else f"was not healthy within {timeout:.0f} s"
            raise RuntimeError(f"tracker serve {why}" + _log_text(log))
        time.sleep(0.5)


def _log_text(log: IO | None) -> str:
    name = getattr(log, "name", None)
    if not isinstance(name, str):
        return ""
    log.flush()
    return ":\n" + Path(name).read_text(encoding="utf-8", errors="replace")


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
