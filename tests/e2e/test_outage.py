"""End to end: the database server stops under a signed-in officer (issue 19).

The dashboard is served on a real PostgreSQL server (the ``postgres_server`` fixture) with
the demo district. Signed in, the officer clicks to another page while the server is
stopped: the page says the database cannot be reached, in Chinese, with no traceback, no
file path and no driver name; the server's log has the incident. The server starts again:
the page comes back by itself, and the next click works. Screenshots:
``test-artifacts/e2e/outage-*.png``.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.e2e.conftest import START_TIMEOUT, log_in
from tracker.bench.localserve import served_dashboard

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LEAKS = ("Traceback", 'File "/', "psycopg", "sqlalchemy", "OperationalError", ".py\"")


def _pg_ctl(server, *args: str) -> None:
    server._run([server.pg_ctl, "-D", str(server.data), *args])


def _stop(server) -> None:
    # "fast": the server ends every session at once, as a restart or a crash would.
    _pg_ctl(server, "-m", "fast", "-w", "stop")


def _start(server) -> None:
    # The same settings as tracker.bench.pgserver.PostgresServer starts it with.
    options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.dir} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
               "-c max_connections=100")
    _pg_ctl(server, "-o", options, "-l", str(server.dir / "log"), "-w", "-t", "60", "start")


def _body(page) -> str:
    return page.locator("body").inner_text()


def _clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, leak


def test_stop_and_restart_postgresql_under_a_signed_in_session(postgres_server, browser, shots,
                                                               tmp_path, monkeypatch):
    url = postgres_server.new_database()
    log_file = tmp_path / "server.log"
    monkeypatch.setenv("TRACKER_LOG_FILE", str(log_file))
    monkeypatch.delenv("TRACKER_DEBUG", raising=False)
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    with open(tmp_path / "serve.out", "w") as out, served_dashboard(
            url, "--demo", timeout=START_TIMEOUT, log=out, cwd=tmp_path) as (base, _process):
        log_in(page, base + "/")
        page.get_by_role("link", name="产业链").first.click()
        page.get_by_role("button", name=re.compile("退出登录")).wait_for()
        _clean(_body(page))

        _stop(postgres_server)
        try:
            page.get_by_role("link", name="企业").first.click()
            page.get_by_text(re.compile("无法连接数据库|与数据库的连接中断")).first.wait_for(
                timeout=120_000)
            # The page's own run ends in the boundary: the incident number and the watch.
            page.get_by_text(re.compile("事件编号")).first.wait_for(timeout=120_000)
            time.sleep(1)
            text = _body(page)
            page.screenshot(path=str(shots / "outage-stopped.png"), full_page=True)
            _clean(text)
            assert re.search(r"20\d{6}-[0-9a-f]{6}", text), "an incident number is shown"
            # The same in English, with the language switch.
            page.get_by_text("English", exact=True).click()
            page.get_by_text(re.compile("Incident number")).first.wait_for(timeout=60_000)
            time.sleep(1)
            page.screenshot(path=str(shots / "outage-stopped-en.png"), full_page=True)
            _clean(_body(page))
            page.get_by_text("中文", exact=True).click()
            page.get_by_text(re.compile("事件编号")).first.wait_for(timeout=120_000)
        finally:
            _start(postgres_server)

        # Back by itself: the banner's watch asks again and brings the page back.
        page.get_by_text(re.compile("无法连接数据库|与数据库的连接中断")).first.wait_for(
            state="detached", timeout=90_000)
        page.get_by_role("button", name=re.compile("退出登录")).wait_for()
        page.screenshot(path=str(shots / "outage-recovered.png"), full_page=True)
        # And the next click works.
        page.get_by_role("link", name="总览").first.click()
        time.sleep(2)
        page.get_by_role("button", name=re.compile("退出登录")).wait_for()
        text = _body(page)
        _clean(text)
        assert "无法连接数据库" not in text and "事件编号" not in text
        page.screenshot(path=str(shots / "outage-next-click.png"), full_page=True)
    context.close()

    lines = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    told = "\n".join(f"{x['time'][11:23]} {x['event']} {x['user']} {x['page']} {x['incident']} "
                     f"{x.get('outage')} {x.get('error')}" for x in lines)
    errors = [line for line in lines if line["event"] == "error"]
    outages = [line for line in errors if line["outage"] in ("unreachable", "lost")]
    assert outages and all(line["user"] == "demo" for line in outages), told
    assert all(line["driver"] and "Traceback" not in line["driver"] for line in outages)
    last_error = max(i for i, line in enumerate(lines) if line["event"] == "error")
    assert any(line["event"] == "page" and line["incident"] is None and line["user"] == "demo"
               for line in lines[last_error + 1:]), told  # the next click, logged clean
