"""The ``tracker`` command: JSON contracts and one-line errors."""

import json
import subprocess
import sys
from datetime import date

import pytest

from tracker.cli import run


@pytest.fixture
def cli(capsys):
    """Run ``tracker ARGS`` in-process; returns (exit code, stdout, stderr)."""
    def invoke(*args):
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return invoke


def test_chains_json_contract(cli, sqlite_url):
    assert cli("--db", sqlite_url, "init")[0] == 0
    code, out, _ = cli("--db", sqlite_url, "chains", "--json")
    chains = json.loads(out)
    assert code == 0 and len(chains) == 13
    assert {"code", "name_zh", "name_en", "confirmed"} <= set(chains[0])
    assert chains[0]["code"] == "BIO" and chains[0]["confirmed"] is True


def test_coverage_json_and_table(cli, sqlite_url, sqlite_engine):
    from tests.builders import World

    w = World(sqlite_engine)
    w.firm("A", chains=["BIO", "IC"], joined="2023-01-01")
    w.org("O1", founded="2023-02-01")
    w.link("O1", "A")
    code, out, _ = cli("--db", sqlite_url, "coverage", "--as-of", "2023-03-01", "--by", "chain", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["as_of"] == "2023-03-01" and data["denominator"] == "chain_firms"
    # The contract's keys first, in order; issue 14 added the visited work coverage after them.
    assert data["total"] == {"firms": 1, "org_covered": 1, "work_covered": 0, "uncovered": 0,
                             "coverage_rate": 1.0, "org_coverage_rate": 1.0, "single_unit_rate": 1.0,
                             "work_visited": 0, "effective_rate": 1.0}
    assert list(data["total"])[:7] == ["firms", "org_covered", "work_covered", "uncovered",
                                       "coverage_rate", "org_coverage_rate", "single_unit_rate"]
    keys = [g["key"] for g in data["groups"]]
    assert keys[:2] == ["BIO", "DISPLAY"] and len(keys) == 13
    bio = data["groups"][0]
    assert (bio["name"], bio["firms"], bio["coverage_rate"]) == ("生物技术", 1, 1.0)
    code, out, _ = cli("--db", sqlite_url, "coverage", "--as-of", "2023-03-01", "--by", "chain")
    assert code == 0 and "生物技术" in out and "100.0%" in out and "全区合计" in out
    code, out, _ = cli("--db", sqlite_url, "coverage", "--as-of", "2023-01-15", "--json")
    assert json.loads(out)["total"]["uncovered"] == 1


@pytest.mark.parametrize("args,needle", [
    (["coverage", "--as-of", "2024-13-01"], "YYYY-MM-DD"),
    (["coverage", "--chain", "NOPE"], "未知的产业链代码"),
    (["coverage", "--by", "planet"], "planet"),
])
def test_user_errors_are_one_line(cli, sqlite_url, args, needle):
    cli("--db", sqlite_url, "init")
    code, out, err = cli("--db", sqlite_url, *args)
    assert code != 0
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_uninitialised_store_says_what_to_run(cli, tmp_path):
    code, _, err = cli("--db", f"sqlite:///{tmp_path / 'new.db'}", "coverage")
    assert code == 1 and "tracker init" in err and len(err.strip().splitlines()) == 1


def test_unreachable_postgresql_is_one_line_in_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", "postgresql://nobody@127.0.0.1:1/none", "init"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_environment_variable_selects_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    env = {"TRACKER_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    init = subprocess.run([sys.executable, "-m", "tracker", "init"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "env.db").exists()
    out = subprocess.run([sys.executable, "-m", "tracker", "coverage", "--json"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert json.loads(out.stdout)["as_of"] == date.today().isoformat()


def test_exit_code_of_a_command_is_passed_through():
    import click

    from tracker.cli import main

    @main.command(name="exit-with-three", hidden=True)
    def _exit_with_three():
        click.get_current_context().exit(3)

    try:
        assert run(["exit-with-three"]) == 3
    finally:
        main.commands.pop("exit-with-three")


def test_read_only_command_on_a_missing_file_creates_nothing(cli, tmp_path):
    path = tmp_path / "typo.db"
    code, _, err = cli("--db", f"sqlite:///{path}", "coverage")
    assert code == 1 and "tracker init" in err
    assert not path.exists()


def test_server_down_is_not_reported_as_uninitialised(cli):
    code, _, err = cli("--db", "postgresql://nobody@127.0.0.1:1/none", "coverage")
    assert code == 1 and "无法连接数据库" in err and "init" not in err
