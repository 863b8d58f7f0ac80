"""Never hang (issue 16): a report whose charts cannot be drawn is written without them.

Chromium missing or failing to start (``BROWSER_PATH=/bin/false``, no chromium on
``PATH``) once made ``tracker report --format docx`` and ``pdf`` wait forever. The
command now finishes, writes a file that opens, and says in one line, in the file and
on stderr, that the charts are missing. The timeouts of these tests are hang guards
(the work takes seconds), not speed assertions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import docx
import pytest

from tests.e2e.conftest import browser  # noqa: F401 - the fixture of the dashboard test
from tracker.chains import init_store
from tracker.demo import load_demo
from tracker.i18n import t
from tracker.reports import charts
from tracker.reports.content import gather
from tracker.store import get_engine

AS_OF = date(2026, 11, 27)
BIN = Path(sys.executable).parent  # the venv's bin: python and the tracker command only


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hang') / 'redwood.db'}"
    engine = get_engine(url)
    init_store(engine)
    load_demo(engine, firms=300, today=AS_OF)
    engine.dispose()
    return url


def _prefix(key: str) -> str:
    """The text of a message before its ``{reason}``."""
    return t(key, "zh", reason="\x00").split("\x00")[0]


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_report_without_a_browser_finishes_and_says_so(store, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    env = {**os.environ, "BROWSER_PATH": "/bin/false", "PATH": str(BIN)}
    assert not any((BIN / name).exists() for name in ("chromium", "chrome", "google-chrome"))
    done = subprocess.run([str(BIN / "tracker"), "--db", store, "report", "--format", fmt,
                           "-o", str(out), "--as-of", AS_OF.isoformat(), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000
    # One line on stderr, even with --quiet.
    failed = [line for line in done.stderr.splitlines() if line.startswith(_prefix("reports.charts_failed"))]
    assert len(failed) == 1, done.stderr
    missing = _prefix("reports.doc_charts_missing")
    if fmt == "docx":
        document = docx.Document(str(out))
        assert len(document.inline_shapes) == 0
        lines = [p.text for p in document.paragraphs if p.text.startswith(missing)]
    else:
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
        lines = [line for line in text.splitlines() if line.startswith(missing)]
    assert len(lines) == 1, lines


def test_a_browser_that_never_answers_is_given_up_and_killed(store, tmp_path, monkeypatch):
    """A browser that starts and never answers: the child is killed at the time limit,
    with the browser (no process is left behind)."""
    pid_file = tmp_path / "browser.pid"
    fake = tmp_path / "browser.sh"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 300\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    content = gather(get_engine(store), AS_OF)
    started = time.monotonic()
    result = charts.render_charts(content, time_limit=5)
    assert time.monotonic() - started < 30  # the limit and the kill, not a hang
    assert result.charts == []
    assert result.error == t("ledger.charts_timeout", "zh", seconds="5")
    pid = int(pid_file.read_text())
    for _ in range(50):  # the kill is delivered at once; reaping may take a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the fake browser {pid} outlived the time limit")


def test_charts_render_with_chromium(store):
    """The child process draws the charts when Chromium is there (the normal case)."""
    content = gather(get_engine(store), AS_OF)
    result = charts.render_charts(content)
    assert result.error is None
    assert [c.key for c in result.charts] == [k for k, _, _ in charts.figures(content)]
    assert all(c.png.startswith(b"\x89PNG") for c in result.charts)


@pytest.mark.e2e
def test_dashboard_export_without_a_browser(tmp_path, monkeypatch, browser, artifacts):  # noqa: F811
    """The 报表 page, on a server without a working Chromium: the Word report is made,
    offered for download, and the page says in one line that the charts are missing."""
    from tests.e2e.conftest import log_in
    from tracker.bench.localserve import served_dashboard
    from tracker.reports import FORMATS

    monkeypatch.setenv("BROWSER_PATH", "/bin/false")  # the server's environment
    url = f"sqlite:///{tmp_path / 'redwood.db'}"
    with open(tmp_path / "serve.log", "w") as log, served_dashboard(
            url, "--demo", timeout=300, log=log, cwd=tmp_path) as (base, _process):
        context = browser.new_context(viewport={"width": 1440, "height": 1200}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(120_000)
        log_in(page, f"{base}/reports?as_of={AS_OF.isoformat()}")
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name=FORMATS["docx"].label("zh")).click()
        page.get_by_role("button", name="生成报表").click()
        # A hang guard: the page must come back (the work takes seconds).
        page.get_by_role("button", name=re.compile("下载报表")).wait_for(timeout=60_000)
        warning = page.locator('[data-testid="stAlert"]', has_text=_prefix("reports.charts_failed"))
        assert warning.count() == 1
        page.screenshot(path=str(artifacts / "reports-page-no-chromium.png"), full_page=True)
        context.close()
