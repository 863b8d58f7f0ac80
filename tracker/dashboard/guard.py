"""The error boundary around every page: no traceback ever reaches a user.

The entry point runs each page through :func:`run`. When a page raises, the user sees a
short message in their language with an **incident number** (:func:`tracker.logs.new_incident`)
and the server log (:mod:`tracker.logs`) gets the traceback under that number: an
administrator finds the cause from the number the user reads out. ``TRACKER_DEBUG=1``
shows the details on the page as well, for developers. (The server's own setting
``client.showErrorDetails`` is off in production, so an error outside the boundary shows
Streamlit's generic message, never a traceback either.)

A database outage (:func:`tracker.store.outage_reason`: server stopped or restarting,
connection killed, file locked, disk full) is not a bug: the page says what is wrong and
that nothing of a save or an import in progress was written (every write is one
transaction), and asks the store again by itself with backoff (2, 4, 8 … at most 30 s);
once it answers, the page comes back without a click.

Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``: its
``StopException`` and ``RerunException``) passes through untouched. Every run of a page
is logged as one ``page`` line with its duration.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from .. import logs
from ..i18n import t
from ..store import get_engine, outage_message, outage_reason, ping, resolve_url
from .login import TOKEN_KEY

__all__ = ["boundary", "debug", "run", "show_incident", "show_outage"]

_OUTAGE_KEY = "_outage_watch"
#: Seconds between two checks of the outage watch (the backoff decides when it asks).
_TICK = 2.0
#: The longest wait between two attempts while the store is out.
_MAX_WAIT = 30.0


def debug() -> bool:
    """True when ``TRACKER_DEBUG`` asks for developer details on the page."""
    return os.environ.get("TRACKER_DEBUG", "") not in ("", "0")


def _lang() -> str:
    return st.session_state.get("lang", "zh")


def _user() -> str | None:
    """The signed-in account's name for the log; while the store is out (the login cannot
    be checked) the name last seen in this still signed-in browser session."""
    ctx = st.session_state.get("_ctx")
    name = getattr(getattr(ctx, "user", None), "name", None)
    if name is not None:
        st.session_state["_guard_user"] = name
    elif st.session_state.get(TOKEN_KEY):
        name = st.session_state.get("_guard_user")
    return name


def show_incident(exc: BaseException, incident: str, lang: str) -> None:
    """The message for an unexpected error: short, in ``lang``, with the incident number."""
    st.error(t("ops.incident", lang, incident=incident), icon=":material/error:")
    if debug():
        with st.expander(t("ops.debug_details", lang), expanded=True):
            st.exception(exc)


def show_outage(exc: BaseException, reason: str, incident: str, lang: str) -> None:
    """The outage banner: the cause, that nothing was half-written, the incident number, and
    a watch that brings the page back once the store answers."""
    st.error(outage_message(reason, lang), icon=":material/cloud_off:")
    st.caption(t("ops.outage_unsaved", lang) + " " + t("ops.incident_number", lang,
                                                        incident=incident))
    if debug():
        with st.expander(t("ops.debug_details", lang)):
            st.exception(exc)
    _watch(lang)


def _watch(lang: str) -> None:
    """Ask the store again with backoff; rerun the whole page as soon as it answers."""
    now = time.monotonic()
    state = st.session_state.get(_OUTAGE_KEY)
    if state is None:
        state = st.session_state[_OUTAGE_KEY] = {"tries": 0, "next": now + _TICK}

    @st.fragment(run_every=_TICK)
    def watch():
        now = time.monotonic()
        if now >= state["next"]:
            state["tries"] += 1
            if ping(get_engine(resolve_url(None))):
                st.session_state.pop(_OUTAGE_KEY, None)
                st.rerun(scope="app")
            state["next"] = now + min(_MAX_WAIT, _TICK * 2 ** state["tries"])
        st.caption(t("ops.outage_watch", lang, tries=state["tries"] + 1,
                     seconds=max(1, round(state["next"] - now))))

    watch()


@contextmanager
def boundary(page: str | None = None, *, stop: bool = False, view: bool = True):
    """Run the block; an exception becomes a message with an incident number (logged with
    its traceback), a database outage becomes the outage banner. Streamlit's stop and
    rerun pass through.

    Parameters
    ----------
    page : the page's name in the log
    stop : after a fault, end the run there (``st.stop``): for what the rest of the run
           needs, such as the login check before the pages
    view : log one ``page`` line for the run (once per run: the page's own boundary)
    """
    start = time.perf_counter()
    incident = None
    # Read now: in the `finally` below a Streamlit call may itself raise Streamlit's rerun
    # (a click arrived meanwhile), which would lose the log line.
    user = _user()
    try:
        yield
    except (StopException, RerunException):
        # st.stop / st.rerun / st.switch_page: Streamlit's control flow, not an error.
        # (Both are BaseException, so `except Exception` below would not catch them
        # either; named here so that nobody widens that clause by mistake.)
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: whatever a page raises ends here
        incident = logs.new_incident()
        reason = outage_reason(exc)
        elapsed = (time.perf_counter() - start) * 1000
        try:
            logs.error(exc, incident=incident, user=user, page=page, duration_ms=elapsed,
                       outage=reason)
        except OSError:
            pass  # an unwritable log must not turn a message into a traceback
        if reason is not None:
            show_outage(exc, reason, incident, _lang())
        else:
            show_incident(exc, incident, _lang())
        if stop:
            if not view:  # the pages will not run: this is the run's one line
                _log_view(user, page, start, incident)
            st.stop()
    else:
        if view:
            st.session_state.pop(_OUTAGE_KEY, None)  # the page ran: the watch is over
    finally:
        if view:
            _log_view(user, page, start, incident)


def _log_view(user: str | None, page: str | None, start: float, incident: str | None) -> None:
    try:
        logs.page_view(user=user, page=page,
                       duration_ms=(time.perf_counter() - start) * 1000, incident=incident)
    except OSError:
        pass  # an unwritable log must not turn a message into a traceback


def run(page) -> None:
    """Run a ``st.navigation`` page inside the :func:`boundary` (the entry point's call)."""
    # The page's own URL path (Streamlit reports the default page's as ""), else its title.
    name = getattr(page, "_url_path", None) or getattr(page, "url_path", None) or page.title
    with boundary(name):
        page.run()
