"""The examples in the package's docstrings run, and give what they show.

Docstrings are the first documentation a newcomer reads (numpydoc "Examples"); a stale
example is a wrong document. Each module's examples run in a fresh process state: the
in-memory SQLite engines of ``get_engine("sqlite://")`` are cached per URL, so without a
fresh cache one module's example would see another's data.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tracker
from tracker.store import get_engine

# Modules that only make sense inside another program: the Alembic environment runs
# inside `alembic upgrade`, and the Streamlit entry point inside `streamlit run`.
NOT_IMPORTABLE_ALONE = {"tracker.migrations.env", "tracker.dashboard.app", "tracker.__main__"}


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(tracker.__path__, "tracker.")]
    return sorted(n for n in names if n not in NOT_IMPORTABLE_ALONE
                  and not n.startswith("tracker.migrations.versions"))


def _with_examples(name: str) -> bool:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return any(t.examples for t in finder.find(importlib.import_module(name)))


MODULES = [name for name in _modules() if _with_examples(name)]


def test_examples_exist():
    # The engine's core modules document themselves with examples; if collection silently
    # found none, this test would be checking nothing.
    assert {"tracker.coverage", "tracker.graph", "tracker.dashboard.views", "tracker.bench.harness"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    get_engine.cache_clear()
    try:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS,
                                 verbose=False, report=True)
    finally:
        get_engine.cache_clear()
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
