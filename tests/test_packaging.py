"""The package works when installed: the wheel carries what a clone has.

A clone reads the chain list and the plan from ``data/`` and the dashboard pages from
``pages/``; a wheel carries copies inside the package (``tracker/_data``, ``tracker/_pages``,
see ``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``). This test
builds the wheel, installs it with the locked versions of its dependencies into a fresh
virtual environment in a temporary folder, and runs the first commands of the README there,
from a working folder that is not the repository, so nothing can be read from the clone.

With a warm uv cache, building and installing take about 2 s and each ``tracker`` command
about 3 s (mostly imports): 16 s for the module on the quiet 2-core machine, 35 s to 70 s
while it was shared. It is marked ``slow`` by ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _uv() -> list[str]:
    """uv as the README's commands installed it. Under ``uv run`` (``scripts/test.sh``, CI) the
    venv's ``python3`` is first on PATH and has no uv: ``uv run`` names its own binary in
    ``$UV``; otherwise a ``uv`` on PATH, or ``python3 -m uv`` of the base interpreter (where
    ``scripts/bootstrap.sh`` installs it)."""
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    if shutil.which("uv"):
        return [shutil.which("uv")]
    return [str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "uv"]


UV = _uv()

# The keys of the `tracker coverage --json` contract (README.md, "tracker coverage --json").
TOP_KEYS = {"as_of", "plan", "denominator", "total", "groups"}
PLAN_KEYS = {"name", "start", "deadline", "target_rate"}
COUNT_KEYS = {"firms", "org_covered", "work_covered", "uncovered",
              "coverage_rate", "org_coverage_rate", "single_unit_rate"}


def _run(args, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([*UV, "build", "--wheel", "--quiet", "--out-dir", out], cwd=ROOT)
    (built,) = out.glob("redwood_tracker-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The python of a fresh venv holding the wheel and the locked dependencies."""
    where = tmp_path_factory.mktemp("installed")
    constraints = where / "constraints.txt"
    # The locked versions (uv.lock), so the installed package runs on what the clone runs on
    # and uv's cache serves the install.
    _run([*UV, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet",
          "-o", constraints], cwd=ROOT)
    venv = where / "venv"
    _run([*UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=where)
    python = venv / "bin" / "python"
    _run([*UV, "pip", "install", "--quiet", "--python", python, "-c", constraints, wheel],
         cwd=where)
    return python


def test_the_wheel_carries_data_pages_locales_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "tracker/_data/chains.csv", "tracker/_data/default_plan.json",
        "tracker/migrations/env.py", "tracker/migrations/script.py.mako",
        "tracker/dashboard/app.py",
    }
    shipped |= {f"tracker/_pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    shipped |= {f"tracker/locales/{p.name}" for p in (ROOT / "tracker" / "locales").glob("*.json")}
    shipped |= {f"tracker/migrations/versions/{p.name}"
                for p in (ROOT / "tracker" / "migrations" / "versions").glob("*.py")}
    assert shipped - names == set()
    # Nothing from a developer's tree: compiled files, databases.
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".db"))]


def test_init_demo_coverage_run_from_the_installed_package(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKER_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    tracker = installed.parent / "tracker"

    _run([tracker, "init"], cwd=work, env=env)
    _run([tracker, "demo", "--firms", "200"], cwd=work, env=env)
    figures = json.loads(_run([tracker, "coverage", "--json"], cwd=work, env=env))

    # The default store is ./redwood.db of the working folder, not of the clone.
    with sqlite3.connect(work / "redwood.db") as db:
        assert db.execute("SELECT count(*) FROM firm").fetchone() == (200,)
        assert db.execute("SELECT count(*) FROM chain").fetchone() == (13,)
    assert TOP_KEYS <= figures.keys()
    # The plan in force today: the demo's example plan (示例, 2026-01-01 → 2030-12-31).
    assert PLAN_KEYS <= figures["plan"].keys() and figures["plan"]["name"] == "红杉林计划（二期·示例）"
    total = figures["total"]
    assert COUNT_KEYS <= total.keys()
    # The population on a date is the firms in at least one chain then: most of the 200.
    assert 100 <= total["firms"] <= 200
    assert total["org_covered"] + total["work_covered"] + total["uncovered"] == total["firms"]
    assert total["coverage_rate"] == pytest.approx(
        (total["org_covered"] + total["work_covered"]) / total["firms"])

    by_chain = json.loads(_run([tracker, "coverage", "--json", "--by", "chain"], cwd=work, env=env))
    assert len(by_chain["groups"]) == 13
    assert all(COUNT_KEYS | {"key", "name"} <= g.keys() for g in by_chain["groups"])


def test_shipped_files_resolve_inside_site_packages(installed, tmp_path):
    probe = ("import json, tracker.resources as r; print(json.dumps({'pages': str(r.PAGES_DIR), "
             "'data': str(r.DATA_DIR), 'app': str(r.APP_FILE)}))")
    where = json.loads(_run([installed, "-c", probe], cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}))
    for key in ("pages", "data", "app"):
        assert "site-packages" in Path(where[key]).parts, where
        assert ROOT not in Path(where[key]).parents, where
    assert (Path(where["pages"]) / "overview.py").is_file()
    assert (Path(where["data"]) / "chains.csv").is_file()
    assert Path(where["app"]).is_file()
