"""Where the files that ship with the package are: the chain list, the plan, the pages.

The top-level ``data/`` and ``pages/`` folders of the repository are their source. A built
wheel carries copies inside the package (``tracker/_data`` and ``tracker/_pages``, see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``), so an installed
``tracker`` finds them without a clone; in a clone (or an editable install) the
repository's folders are used.

Examples
--------
>>> (DATA_DIR / "chains.csv").is_file(), (PAGES_DIR / "overview.py").is_file()
(True, True)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["APP_FILE", "DATA_DIR", "PAGES_DIR", "shipped"]

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (``"data"`` or ``"pages"``): in the wheel, else the clone's."""
    inside = _PACKAGE / f"_{name}"
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


DATA_DIR = shipped("data")
PAGES_DIR = shipped("pages")
# The Streamlit entry point that ``tracker serve`` runs.
APP_FILE = _PACKAGE / "dashboard" / "app.py"
