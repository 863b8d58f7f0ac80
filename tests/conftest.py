"""Shared fixtures: fresh stores on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session on loopback, in a temporary data
directory, as the ``postgres`` user when the tests run as root (``runuser``), and stopped
at the end. ``scripts/test.sh`` installs the Debian packages it needs. If the server
cannot be started the PostgreSQL tests FAIL (they are part of what the suite promises);
set ``TRACKER_TEST_NO_POSTGRES=1`` to skip them on purpose on a machine without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracker.chains import init_store
from tracker.bench.pgserver import PostgresServer
from tracker.store import get_engine

ARTIFACTS = Path(os.environ.get("TRACKER_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


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
