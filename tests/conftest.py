"""Shared fixtures: fresh stores on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session on loopback, in a temporary data
directory, as the ``postgres`` user when the tests run as root (``runuser``), and stopped
at the end. ``scripts/test.sh`` installs the Debian packages it needs. If the server
cannot be started the PostgreSQL tests FAIL (they are part of what the suite promises);
set ``TRACKER_TEST_NO_POSTGRES=1`` to skip them on purpose on a machine without it.

The fast inner loop is ``pytest -m "not slow"`` (under 2 minutes); CI runs everything.
Which tests are slow is decided here, in one place (:func:`pytest_collection_modifyitems`):
every browser (``e2e``) and PostgreSQL (``postgres``) test, the modules in
:data:`SLOW_MODULES`, the single heavy tests in :data:`SLOW_TESTS` and the benchmark
harness's docstring examples.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracker.chains import init_store
from tracker.bench.pgserver import PostgresServer
from tracker.store import get_engine

# Markers that make a test slow wherever it is: a browser, a real PostgreSQL server.
SLOW_MARKERS = ("e2e", "postgres")
# Whole modules that are slow: the benchmark harness (child processes, real workloads), the
# importer under random junk and a kill -9 mid-import, the wheel built and installed
# into a fresh venv, the load generator against a served dashboard, and the reports opened
# in LibreOffice or written with no browser for the charts, and SIGKILL crash tests (each
# starts Python children), and `tracker serve` stopped by SIGTERM and Ctrl-C.
SLOW_MODULES = ("test_bench.py", "test_import_fuzz.py", "test_packaging.py", "test_protocol.py",
                "test_report_excel.py", "test_report_hang.py", "test_crash.py",
                "test_serve.py")
# Single tests that take most of the fast loop's time on their own (the top of
# `--durations`): property tests over many random districts, a test that starts three
# Python processes, the PDF rendered through Chromium (kaleido) and poppler, every page
# opened once per kind of user (seven sessions), and saves racing in threads. Named here,
# not marked in their modules, so that one place says what the fast loop leaves out.
SLOW_TESTS = (
    "test_app_auth.py::test_every_page_shows_only_the_users_scope",
    "test_concurrency.py::test_simultaneous_saves_one_is_refused",
    "test_graph.py::test_graph_figures_equal_sql_on_random_data",
    "test_flow.py::test_flow_agrees_with_coverage",
    "test_plan.py::test_the_same_plan_in_every_process",
    "test_reports.py::test_pdf_text_fonts_and_rendered_page",
    "test_import_headers.py::test_preview_mapping_is_changed_and_remembered_across_two_uploads",
    "test_import_names.py::test_the_demo_store_offers_one_confirmed_all_or_nothing_replacement",
    "test_report_layout.py::test_word_report_opened_in_libreoffice",
    "test_report_layout.py::test_pdf_report_pages",
    "test_report_story.py::test_the_story_is_on_page_one_of_the_pdf",
    "test_plan_scale.py::test_column_wise_read_equals_the_frame",
    "test_plan_scale.py::test_fast_planner_gives_the_reference_plan",
)
# The docstring examples of the benchmark harness (tests/test_doctests.py) run small
# benchmarks: they belong with test_bench.py.
SLOW_DOCTESTS = "tracker.bench."


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that needs a browser or PostgreSQL, or sits in a slow module,
    the single heavy tests of :data:`SLOW_TESTS` and the benchmark's docstring examples."""
    for item in items:
        test = f"{item.path.name}::{item.originalname}"
        callspec = getattr(item, "callspec", None)  # only parametrized tests have one
        params = callspec.params if callspec else {}
        if (item.path.name in SLOW_MODULES or test in SLOW_TESTS
                or any(item.get_closest_marker(m) for m in SLOW_MARKERS)
                or (item.path.name == "test_doctests.py"
                    and str(params.get("name", "")).startswith(SLOW_DOCTESTS))):
            item.add_marker(pytest.mark.slow)


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
