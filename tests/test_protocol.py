"""The load generator's websocket client against a real dashboard server (issue 17).

The server is ``tracker serve --demo`` on loopback, as the README starts it; the client
signs in through the login form as a user does and must reach the overview's headline,
whose value must be the store's own coverage rate (so the client really drove the app,
not an error page).
"""

from __future__ import annotations

from datetime import date

import pytest

from tracker.auth import DEMO_PASSWORD, DEMO_USER
from tracker.bench.localserve import served_dashboard
from tracker.bench.protocol import ProtocolSession, SignInFailed, run_sessions, to_ws
from tracker.coverage import coverage
from tracker.i18n import percent
from tracker.store import get_engine

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("protocol")
    url = f"sqlite:///{folder / 'redwood.db'}"
    with open(folder / "serve.log", "w") as log, served_dashboard(
            url, "--demo", timeout=300, log=log, cwd=folder) as (base, _process):
        yield base, url


def test_only_loopback():
    assert to_ws("http://localhost:8501") == "ws://localhost:8501/_stcore/stream"
    for url in ("http://10.0.0.5:8501", "https://127.0.0.1:8501", "http://example.org"):
        with pytest.raises(ValueError, match="loopback"):
            to_ws(url)
    with pytest.raises(ValueError, match="sessions"):
        run_sessions("http://127.0.0.1:1", sessions=0, user="u", password="p")


def test_sessions_sign_in_and_reach_the_stores_headline(served):
    base, url = served
    results = run_sessions(base, sessions=3, user=DEMO_USER, password=DEMO_PASSWORD,
                           query=f"as_of={AS_OF.isoformat()}", views=2, timeout=180, budget=600)
    expected = coverage(get_engine(url), AS_OF).total.coverage_rate
    for times in results:
        assert times.error is None, times.error
        assert times.login_form < times.headline
        assert percent(expected) in [value for _label, value in times.metrics]
        assert len(times.views) == 2


def test_a_wrong_password_never_reaches_the_headline(served):
    base, _url = served
    [times] = run_sessions(base, sessions=1, user=DEMO_USER, password="not-the-password",
                           timeout=20, budget=60)
    assert times.headline is None
    assert times.error and times.error.startswith("NotDrawn")


def test_a_page_without_the_login_form_is_named(served):
    import asyncio

    base, _url = served

    async def attempt():
        async with ProtocolSession(base, timeout=60) as session:
            await session.rerun()
            await session.until()
            session.widgets.clear()  # as if the form had not been drawn
            await session.sign_in(DEMO_USER, DEMO_PASSWORD)

    with pytest.raises(SignInFailed, match="用户名 / User name"):
        asyncio.run(attempt())
