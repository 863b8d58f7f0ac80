"""The documentation is tested against the code: a command or option missing from
docs/cli.md, or a setting missing from the README, fails here."""

import importlib
import importlib.util
import re
from pathlib import Path

import click
import pytest

from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "tracker"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = list(_commands(main))


def _section(path: str) -> str:
    """The text under the heading "## `tracker x y`" up to the next heading of that level."""
    match = re.search(rf"^#+ `{re.escape(path)}`\s*$(.*?)(?=^#+ `tracker|\Z)", CLI_DOC,
                      re.MULTILINE | re.DOTALL)
    assert match, f"docs/cli.md has no section for `{path}`"
    return match.group(1)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_and_option_is_documented(path, command):
    section = _section(path)
    for param in command.params:
        if isinstance(param, click.Option):
            names = [n for n in param.opts if n.startswith("--")]
            assert any(n in section for n in names), f"`{path}`: option {names} not in docs/cli.md"


def test_global_options_and_environment_are_documented():
    for option in main.params:
        for name in option.opts:
            if name.startswith("--") and name not in ("--help", "--version"):
                assert name in CLI_DOC
    assert "TRACKER_DATABASE_URL" in README and "TRACKER_DATABASE_URL" in CLI_DOC


def test_readme_commands_exist():
    for script in ("scripts/dashboard.sh", "scripts/test.sh"):
        assert f"bash {script}" in README
        assert (ROOT / script).exists()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


# Paths and names that the pages of the architecture name: a stale one misleads a newcomer.
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PAGES = {"README.md": README, "docs/architecture.md": ARCHITECTURE}
# A path is a backticked or linked name under one of the repository's folders, or one of its
# top-level files; placeholders (`<area>`, `*`) and files the commands create are not paths.
_TOP = ("tracker/", "pages/", "data/", "docs/", "tests/", "scripts/", ".ci/")
_ROOT_FILES = ("README.md", "BENCHMARKS.md", "pyproject.toml", "uv.lock")


def _named_paths(text: str) -> set[str]:
    names = set(re.findall(r"`([^`\s]+)`", text)) | set(re.findall(r"\]\(([^)\s#]+)", text))
    return {n.rstrip(",.:") for n in names
            if (n.startswith(_TOP) or n in _ROOT_FILES) and not re.search(r"[<>*{}]", n)}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_path_named_in_the_architecture_pages_exists(page):
    names = _named_paths(PAGES[page])
    assert len(names) >= 5, f"{page}: the path finder found {sorted(names)}"
    base = ROOT if page == "README.md" else ROOT / "docs"
    missing = sorted(n for n in names
                     if not (ROOT / n).exists() and not (base / n).exists())
    assert not missing, f"{page} names paths that do not exist: {missing}"


def _resolves(dotted: str) -> bool:
    """``tracker.a.b.c``: modules down the packages, then attributes.

    A module named last is only looked up, not imported: the Streamlit entry point
    (``tracker.dashboard.app``) runs the dashboard when imported.
    """
    parts = dotted.split(".")
    target, name = importlib.import_module(parts[0]), parts[0]
    for i, part in enumerate(parts[1:], start=2):
        name = f"{name}.{part}"
        if hasattr(target, "__path__") and importlib.util.find_spec(name) is not None:
            if i == len(parts):
                return True
            target = importlib.import_module(name)
        elif hasattr(target, part):
            target = getattr(target, part)
        else:
            return False
    return True


def test_every_module_and_function_named_in_the_architecture_page_exists():
    dotted = set(re.findall(r"`(tracker(?:\.\w+)+)(?:\(\))?`", ARCHITECTURE))
    assert len(dotted) >= 10, sorted(dotted)
    assert not [d for d in sorted(dotted) if not _resolves(d)], (
        "docs/architecture.md names what does not exist: "
        f"{[d for d in sorted(dotted) if not _resolves(d)]}")


def test_readme_links_the_architecture_page():
    assert "(docs/architecture.md)" in README
