"""Shared fixtures: fresh stores on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session on loopback, in a temporary data
directory, as the ``postgres`` user when the tests run as root (``runuser``), and stopped
at the end. ``scripts/test.sh`` installs the Debian packages it needs. If the server
cannot be started the PostgreSQL tests FAIL (they are part of what the suite promises);
set ``TRACKER_TEST_NO_POSTGRES=1`` to skip them on purpose on a machine without it.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tracker.chains import init_store
from tracker.store import get_engine

ARTIFACTS = Path(os.environ.get("TRACKER_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.pg_ctl = pg_ctl
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="redwood-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-locale"])
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                   "-w", "-t", "60", "start"])
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
        self._counter = itertools.count()

    def _run(self, command):
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            log = self.dir / "log"
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr}"
                               + (log.read_text() if log.exists() else ""))

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base}/{name}"

    def stop(self):
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    if os.environ.get("TRACKER_TEST_NO_POSTGRES"):
        pytest.skip("TRACKER_TEST_NO_POSTGRES is set")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return postgres_server.new_database()


def _fresh(url: str):
    engine = get_engine(url)
    init_store(engine)
    return engine


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'redwood.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = _fresh(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A fresh initialised store (chains and default plan), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'redwood.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    engine = _fresh(url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine):
    from tests.builders import World

    return World(engine)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for test artefacts (screenshots, rendered pages) kept after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
