"""The documentation is tested against the code: a command or option missing from
docs/cli.md, or a setting missing from the README, fails here."""

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
    match = re.search(rf"^#+ `{re.escape(path)}`\s*$(.*?)(?=^#+ `tracker|\Z)", CLI_DOC, re.M | re.S)
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
