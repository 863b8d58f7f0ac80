"""``tracker serve``: a production face, and a clean stop on SIGTERM (issue 15).

The server is started as ``scripts/dashboard.sh`` starts it, ``uv run tracker serve`` (uv
without the script's ``uv sync``, which would rewrite the shared virtual environment), in a
process group of its own on an empty SQLite store. Stopping it sends SIGTERM to the top
process only, as ``kill PID`` or a service manager does: the whole group must be gone
within a few seconds (before the fix the Streamlit child kept serving). The production
settings are read from the running server (the session message its websocket sends the
browser) and from Streamlit's configuration as the server process loads it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from tracker.bench.localserve import tracker_command
from tracker.bench.pgserver import free_port
from tracker.cli.engine_commands import streamlit_command

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # seconds: imports and the store's creation on a busy 2-core machine
STOP_WITHIN = 10  # seconds for the whole group to be gone after SIGTERM


def _uv() -> list[str] | None:
    """uv as scripts/bootstrap.sh installs it (``python3 -m uv``), or on PATH, or None."""
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    if shutil.which("uv"):
        return [shutil.which("uv")]
    base = Path(sys.base_prefix) / "bin" / "python3"
    done = subprocess.run([base, "-m", "uv", "--version"], capture_output=True, check=False)
    return [str(base), "-m", "uv"] if done.returncode == 0 else None


def _group_alive(pgid: int) -> list[str]:
    """The command lines of the processes still in the group (``ps``; zombies excluded)."""
    out = subprocess.run(["ps", "-eo", "pgid=,stat=,args="], capture_output=True, text=True,
                         check=True).stdout
    alive = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] == str(pgid) and not parts[1].startswith("Z"):
            alive.append(parts[2])
    return alive


def _wait_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    pytest.fail(f"tracker serve did not become healthy:\n{log.read_text(errors='replace')}")


def _start(command: list[str], tmp_path: Path, env: dict | None = None):
    port = free_port()
    log = tmp_path / "serve.log"
    env = dict(os.environ if env is None else env,
               TRACKER_DATABASE_URL=f"sqlite:///{tmp_path / 'redwood.db'}")
    env.pop("TRACKER_DEBUG", None)
    with open(log, "w") as out:
        process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, process, log)
    return process, base, port, log


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def _session_config(port: int):
    """The client configuration the running server sends a browser (its ``new_session``
    message on the websocket), e.g. ``toolbar_mode``."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                 open_timeout=30) as ws:
        request = BackMsg()
        request.rerun_script.query_string = ""
        request.rerun_script.page_script_hash = ""
        ws.send(request.SerializeToString())
        for _ in range(200):
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=60))
            if message.WhichOneof("type") == "new_session":
                return message.new_session.config
    raise AssertionError("the server sent no new_session message")


def test_sigterm_to_the_top_process_stops_the_whole_server(tmp_path):
    """``uv run tracker serve`` (the path of scripts/dashboard.sh): SIGTERM to uv only."""
    uv = _uv()
    if uv is None:
        pytest.fail("uv is missing (scripts/bootstrap.sh installs it with pip --user)")
    process, base, _port, log = _start(
        [*uv, "run", "--no-sync", "--offline", "tracker", "serve"], tmp_path)
    try:
        names = " ".join(_group_alive(process.pid))
        assert "streamlit" in names, names  # the server is in the group that must stop
        process.send_signal(signal.SIGTERM)  # the top process only, not the group
        deadline = time.monotonic() + STOP_WITHIN
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _group_alive(process.pid)
        assert not left, f"still running {STOP_WITHIN} s after SIGTERM: {left}"
        assert process.wait(timeout=5) in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
        assert "Stopping" in log.read_text(errors="replace")  # Streamlit's own clean stop
    finally:
        _kill_group(process)


def test_the_server_runs_with_the_production_settings(tmp_path):
    """No Deploy button nor developer menu (toolbar mode "minimal"), no error details in the
    browser, no file watcher: read from the running server and from its configuration."""
    from streamlit.proto.NewSession_pb2 import Config

    process, _base, port, _log = _start([*tracker_command(), "serve"], tmp_path)
    try:
        config = _session_config(port)
        assert config.toolbar_mode == Config.ToolbarMode.MINIMAL
        assert not config.gather_usage_stats
        assert config.show_error_links == Config.ShowErrorLinks.SHOW_ERROR_LINKS_FALSE
        # The process is Streamlit itself (tracker serve exec'd it): SIGINT, as Ctrl-C
        # sends it, stops it too.
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=STOP_WITHIN) in (0, -signal.SIGINT, 130)
    finally:
        _kill_group(process)

    # Streamlit's configuration as the server process loads it: the same command line,
    # environment and working folder as `tracker serve` gives it.
    options = _loaded_options(tmp_path, {})
    assert options == {"client.toolbarMode": "minimal", "client.showErrorDetails": "none",
                       "server.headless": True, "server.fileWatcherType": "none",
                       "server.runOnSave": False, "browser.gatherUsageStats": False,
                       "client.showErrorLinks": False}
    debug = _loaded_options(tmp_path, {"TRACKER_DEBUG": "1"})
    assert debug["client.showErrorDetails"] == "full"
    assert debug["client.toolbarMode"] == "developer"


def _loaded_options(tmp_path: Path, extra_env: dict[str, str]) -> dict:
    """The options Streamlit loads for ``tracker serve``'s command (``streamlit run APP``)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    environ.pop("TRACKER_DEBUG", None)
    command, env = streamlit_command("127.0.0.1", 8501, f"sqlite:///{tmp_path / 'r.db'}",
                                     environ={**environ, **extra_env})
    app = command[command.index("run") + 1]
    rest = command[command.index("run") + 2:]
    flags = {rest[i].removeprefix("--"): rest[i + 1] for i in range(0, len(rest), 2)}
    probe = textwrap.dedent(f"""
        import json
        from streamlit import config
        from streamlit.web import bootstrap
        config._main_script_path = {app!r}  # as `streamlit run` sets it before loading
        bootstrap.load_config_options(flag_options={flags!r})
        keys = ["client.toolbarMode", "client.showErrorDetails", "server.headless",
                "server.fileWatcherType", "server.runOnSave", "browser.gatherUsageStats",
                "client.showErrorLinks"]
        print(json.dumps({{k: config.get_option(k) for k in keys}}))
    """)
    done = subprocess.run([command[0], "-c", probe], env=env, cwd=tmp_path, capture_output=True,
                          text=True, check=True, timeout=120)
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])
