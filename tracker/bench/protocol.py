"""A dashboard client that speaks Streamlit's own websocket protocol, with no browser.

A browser tab of the dashboard is, on the wire, one websocket to ``/_stcore/stream``:
the tab sends ``BackMsg`` protobufs (``rerun_script`` with the URL's query string, the
page and the values of the widgets) and the server answers with ``ForwardMsg`` protobufs
(``new_session``, one ``delta`` per element drawn, ``script_finished``). Both message types
ship in the ``streamlit`` package (``streamlit.proto``), so a load generator can play
many tabs from one small asyncio process: the server's work is then the only work
measured, where the Chromium load test (:mod:`tracker.bench.loadtest`) measured mostly the
browsers (176 CPU s of Chromium against 29 of the server, on the same two cores).

:class:`ProtocolSession` is one tab: it connects, opens a page, signs in through the login
form exactly as a user does (the form's widgets are found by their labels in the deltas,
then submitted with their values), and times how long the server takes until the
overview's headline metric arrives. :func:`run_sessions` runs many at once, bounded in
sessions and in time, on loopback only.

Examples
--------
>>> to_ws("http://127.0.0.1:8501")
'ws://127.0.0.1:8501/_stcore/stream'
>>> to_ws("https://example.org")
Traceback (most recent call last):
...
ValueError: the load generator speaks to loopback only, not https://example.org
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "LOOPBACK",
    "NotDrawn",
    "ProtocolSession",
    "SessionTimes",
    "SignInFailed",
    "run_sessions",
    "sign_in_session",
    "to_ws",
    "view_session",
]

#: Hosts the load generator may connect to: it exists to measure this machine's server.
LOOPBACK = ("127.0.0.1", "localhost", "::1")

# The login form's labels in both languages (tracker/locales/app.json login_name, ...):
# the generator finds the widgets as a user does, by what they are called.
_USER_LABELS = ("用户名", "User name")
_PASSWORD_LABELS = ("密码", "Password")
_SUBMIT_LABELS = ("登录", "Sign in")


class NotDrawn(RuntimeError):
    """The server finished the page's run without drawing the element waited for."""


class SignInFailed(RuntimeError):
    """The login form was not found, or the server did not accept the sign-in."""


def to_ws(base_url: str) -> str:
    """The websocket address of the dashboard at ``base_url`` (loopback only)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ValueError(f"the load generator speaks to loopback only, not {base_url}")
    return f"ws://{parts.netloc}/_stcore/stream"


@dataclass
class SessionTimes:
    """What one session measured, in seconds from its start (None: did not happen)."""

    connected: float | None = None
    login_form: float | None = None
    headline: float | None = None  # the overview's first metric, after the sign-in
    # The metrics the overview drew after the sign-in, (label, value) as shown: "95.0%".
    metrics: list[tuple[str, str]] = field(default_factory=list)
    views: list[float] = field(default_factory=list)  # warm re-views of the overview
    error: str | None = None


@dataclass
class _Widget:
    kind: str  # the Element oneof: text_input, button, ...
    id: str
    label: str


class ProtocolSession:
    """One dashboard tab over the websocket protocol.

    Parameters
    ----------
    base_url : the dashboard, e.g. ``http://127.0.0.1:8501`` (loopback only)
    query : the page's query string, e.g. ``as_of=2026-11-27``
    timeout : seconds allowed for each wait on the server
    """

    def __init__(self, base_url: str, query: str = "", timeout: float = 120.0) -> None:
        self.url = to_ws(base_url)
        self.origin = base_url
        self.query = query
        self.timeout = timeout
        self.page_hash = ""
        self.widgets: list[_Widget] = []
        self.metrics: list[tuple[str, str]] = []  # (label, value) of the metrics drawn
        self._ws = None

    async def __aenter__(self) -> ProtocolSession:  # noqa: PYI034 - the class is final
        import websockets  # a dependency of Streamlit's own server (uvicorn)

        self._ws = await websockets.connect(
            self.url, subprotocols=["streamlit"], origin=self.origin, max_size=None,
            open_timeout=self.timeout, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._ws.close()

    async def rerun(self, states: list | None = None) -> None:
        """Ask the server to run the page again, as a click or a new URL does."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        client.page_script_hash = self.page_hash
        for state in states or []:
            client.widget_states.widgets.append(state)
        await self._ws.send(msg.SerializeToString())

    async def until(self, wanted: str | None = None) -> float:
        """Read the server's messages until the run ends (``script_finished``) or, when
        ``wanted`` names an element type (``"metric"``), until the first such element.
        Returns the monotonic time it happened; widgets seen on the way are remembered."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the server sent no {wanted or 'end of run'} "
                                   f"within {self.timeout:.0f} s")
            raw = await asyncio.wait_for(self._ws.recv(), left)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
                self.widgets.clear()
                self.metrics.clear()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                etype = element.WhichOneof("type")
                body = getattr(element, etype)
                if hasattr(body, "id") and hasattr(body, "label"):
                    self.widgets.append(_Widget(etype, body.id, body.label))
                if etype == "metric":
                    self.metrics.append((element.metric.label, element.metric.body))
                if etype == "exception":
                    raise RuntimeError(f"the page raised: {element.exception.message}")
                if wanted is not None and etype == wanted:
                    return time.monotonic()
            elif (kind == "script_finished"
                  and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN):
                if wanted is None:
                    return time.monotonic()
                # The run ended without it: a refused sign-in, an error page.
                raise NotDrawn(f"the page finished without a {wanted}")

    def _widget(self, kind: str, labels: tuple[str, ...]) -> _Widget:
        for widget in self.widgets:
            if widget.kind == kind and widget.label in labels:
                return widget
        raise SignInFailed(f"no {kind} labelled {' / '.join(labels)} on the page")

    async def sign_in(self, user: str, password: str) -> None:
        """Fill in and submit the login form that the current run drew."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states = []
        for labels, value in ((_USER_LABELS, user), (_PASSWORD_LABELS, password)):
            state = WidgetState(id=self._widget("text_input", labels).id)
            state.string_value = value
            states.append(state)
        submit = WidgetState(id=self._widget("button", _SUBMIT_LABELS).id)
        submit.trigger_value = True
        states.append(submit)
        self.widgets.clear()
        await self.rerun(states)


async def sign_in_session(session: ProtocolSession, times: SessionTimes, user: str,
                   password: str) -> None:
    """Phase one of a session: connect, meet the login form, sign in, see the headline."""
    t0 = time.monotonic()
    try:
        await session.__aenter__()
        times.connected = time.monotonic() - t0
        await session.rerun()
        times.login_form = await session.until() - t0
        await session.sign_in(user, password)
        times.headline = await session.until("metric") - t0
        await session.until()
        times.metrics = list(session.metrics)
    except Exception as exc:  # noqa: BLE001 - one failed session is a result, not the end
        times.error = f"{type(exc).__name__}: {exc}"


async def view_session(session: ProtocolSession, times: SessionTimes, views: int) -> None:
    """Phase two: the signed-in session views the overview again ``views`` times (what a
    click on the page, or a colleague's refresh, costs the server once figures are warm)."""
    try:
        for _ in range(views):
            began = time.monotonic()
            await session.rerun()
            await session.until("metric")
            await session.until()
            times.views.append(time.monotonic() - began)
    except Exception as exc:  # noqa: BLE001 - recorded with the session's times
        times.error = f"{type(exc).__name__}: {exc}"


async def _phased(urls, query, user, password, sessions, views, timeout, budget, sample):
    tabs = [ProtocolSession(urls[i % len(urls)], query, timeout) for i in range(sessions)]
    results = [SessionTimes() for _ in tabs]
    deadline = time.monotonic() + budget

    async def bounded(coroutines) -> None:
        tasks = [asyncio.create_task(c) for c in coroutines]
        if not tasks:  # no session left to run (all failed to sign in)
            return
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
        for times, task in zip(results, tasks):
            if task in pending and times.error is None:
                times.error = f"TimeoutError: still running after the {budget:.0f} s budget"

    try:
        sample("sign_in_start")
        # Every session starts together, as when a meeting opens the dashboard.
        await bounded(sign_in_session(tab, times, user, password) for tab, times in zip(tabs, results))
        sample("sign_in_end")
        live = [(tab, times) for tab, times in zip(tabs, results) if times.error is None]
        sample("views_start")
        await bounded(view_session(tab, times, views) for tab, times in live)
        sample("views_end")
    finally:
        for tab in tabs:
            if tab._ws is not None:
                with contextlib.suppress(Exception):
                    await tab.__aexit__()
    return results


def run_sessions(base_urls: str | list[str], *, sessions: int, user: str, password: str,
                 query: str = "", views: int = 0, timeout: float = 120.0,
                 budget: float = 600.0,
                 sample: Callable[[str], None] = lambda phase: None) -> list[SessionTimes]:
    """``sessions`` tabs at once, each signing in and opening the overview; then, once all
    have, each views the overview ``views`` more times (the warm views).

    Sessions go round-robin over ``base_urls`` (several dashboard processes: what a reverse
    proxy with sticky sessions does, since each websocket stays on the process it met).
    ``sample(phase)`` is called at ``sign_in_start``, ``sign_in_end``, ``views_start`` and
    ``views_end``, so a caller can read the server's CPU time around each phase.
    Bounded: at most ``budget`` seconds in all, ``timeout`` per wait, 500 sessions.
    """
    urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
    for url in urls:
        to_ws(url)  # loopback only, checked before anything connects
    if not 1 <= sessions <= 500:
        raise ValueError("sessions must be between 1 and 500")
    return asyncio.run(_phased(urls, query, user, password, sessions, views, timeout, budget,
                               sample))
