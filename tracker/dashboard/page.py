"""What every page run shares: the sidebar controls, the store, the page context, the
synthetic-data banner, the provenance footer, empty states, user errors, progress bars.

The entry point calls :func:`setup` once per run: it opens the store, draws the language
switch and the as-of date in the sidebar and keeps both in the URL (``?as_of=…&lang=…``)
so that a view can be shared as a link. Once a login holds
(:func:`tracker.dashboard.login.login_gate`), the :class:`PageContext` stored for the pages
(:func:`context`) carries the user and the user's scope; every figure, list and export of
a page is computed with ``ctx.scope``. Figures come from :mod:`tracker.dashboard.views`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy.engine import Engine

from ..auth import UserInfo
from ..errors import TrackerError
from ..i18n import LANGS, t
from ..progress import Progress, progress_line
from ..resources import PAGES_DIR
from ..scope import EVERYTHING, Scope
from ..store import StoreError, get_engine, is_initialised, resolve_url
from . import views

__all__ = [
    "LANG_NAMES",
    "MAX_DAY",
    "MIN_DAY",
    "PageContext",
    "ProgressBar",
    "banner",
    "context",
    "empty",
    "footer",
    "open_page",
    "page_url",
    "progress_bar",
    "record_link",
    "run_page",
    "setup",
    "tr",
]

LANG_NAMES = {"zh": "中文", "en": "English"}
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class PageContext:
    """The store, the as-of date, the language and the logged-in user of one page run."""

    engine: Engine
    url: str
    as_of: date
    lang: str
    scope: Scope = EVERYTHING
    user: UserInfo | None = None

    def t(self, key: str, **values) -> str:
        """The dashboard string ``app.<key>`` in the page's language; a key that names its
        area (``"drill.firm_why"``) is read from that area's file."""
        return t(key if "." in key else f"app.{key}", self.lang, **values)


def tr(key: str, **values) -> str:
    """The UI string ``app.<key>`` in the session's language."""
    return t(f"app.{key}", st.session_state.get("lang", "zh"), **values)


def setup() -> PageContext | None:
    """Sidebar controls, URL state and the store; None (with a message) when unusable."""
    # Both controls are bound to the URL's query (``?as_of=…&lang=…``): a link opens the
    # same view, and the values survive page switches. Streamlit drops a value that does
    # not parse (a malformed date in a link falls back to today).
    with st.sidebar:
        st.markdown(f"### {tr('app_title')}")
        lang = st.radio("语言 / Language", list(LANGS), key="lang", format_func=LANG_NAMES.get,
                        horizontal=True, bind="query-params")
        as_of = st.date_input(t("app.as_of", lang), value=date.today(), key="as_of",
                              min_value=MIN_DAY, max_value=MAX_DAY, format="YYYY-MM-DD",
                              help=t("app.as_of_help", lang), bind="query-params")
    url = resolve_url(None)
    try:
        engine = get_engine(url)
        ready = is_initialised(engine)
    except StoreError as exc:
        st.error(str(exc))
        return None
    if not ready:
        st.error(t("app.not_initialised", lang))
        return None
    # No user yet: the login gate stores the context for the pages once a login holds.
    st.session_state.pop("_ctx", None)
    return PageContext(engine=engine, url=url, as_of=as_of, lang=lang)


def context() -> PageContext:
    """The context stored by the login gate for the current run."""
    return st.session_state["_ctx"]


def banner(ctx: PageContext) -> None:
    """The synthetic-data warning at the top of every page."""
    prov = views.provenance(ctx.engine, ctx.lang)
    if prov.synthetic:
        st.warning(t("common.synthetic_banner", ctx.lang), icon="⚠️")


def footer(ctx: PageContext) -> None:
    """Provenance under every page: as of, last import, denominator, source."""
    prov = views.provenance(ctx.engine, ctx.lang, ctx.as_of)
    last = prov.last_import or ctx.t("never")
    try:
        last = datetime.fromisoformat(last).strftime("%Y-%m-%d %H:%M") if prov.last_import else last
    except ValueError:
        pass
    parts = [
        ctx.t("footer_as_of", day=ctx.as_of.isoformat()),
        ctx.t("footer_last_import", when=ctx.t("drill.aside", text=last, detail=prov.last_import_file)
              if prov.last_import_file else last),
        ctx.t("footer_denominator", text=prov.denominator_text),
        ctx.t("footer_source", source=prov.source or ctx.t("unknown")),
    ]
    # The demo's own source already says it is synthetic; say it once.
    if prov.synthetic and ctx.t("footer_synthetic") not in (prov.source or ""):
        parts.append(ctx.t("footer_synthetic"))
    st.divider()
    st.caption(" · ".join(parts))


def _view_params(ctx: PageContext, params: dict) -> dict:
    # The language as the sidebar switch writes it in the URL (its label: 中文 / English).
    return {**params, "as_of": ctx.as_of.isoformat(), "lang": LANG_NAMES[ctx.lang]}


def page_url(ctx: PageContext, path: str, **params: str) -> str:
    """The link of a page (its URL path, as in the navigation) with ``params`` and the page's
    as-of date and language: ``/firms?firm=…&as_of=…&lang=…`` opens that view for a colleague."""
    return f"/{path}?{urlencode(_view_params(ctx, params))}"


def open_page(ctx: PageContext, file: str, **params: str) -> None:
    """Go to the page file ``file`` (in ``pages/``) in this session with ``params`` in its URL
    (a row of a list opening its firm or organisation). The as-of date and the language
    are bound to the sidebar's controls, which keep them across the switch."""
    st.switch_page(str(PAGES_DIR / file), query_params=params)


def record_link(file: str, label: str, icon: str | None = None, **params: str) -> None:
    """A link to the page file ``file`` (in ``pages/``) with ``params`` in its URL, opened in
    this session (the sign-in, the as-of date and the language stay), such as a firm's
    covering organisation on the firm's page."""
    st.page_link(str(PAGES_DIR / file), label=label, icon=icon, query_params=params)


def empty(message: str) -> None:
    """A clear message in place of figures that cannot be shown."""
    st.info(message, icon="ℹ️")


def run_page(body) -> None:
    """Run a page body with the context: banner, body, footer; user errors as messages."""
    ctx = st.session_state.get("_ctx")
    if ctx is None or ctx.user is None:  # no store (the entry point said why) or no login
        return
    # One data-version check for the whole run. A write made during the run (an import
    # on the data page) is followed by st.rerun, whose new run reads the new version.
    with views.pinned_version(ctx.engine):
        banner(ctx)
        try:
            body(ctx)
        except (TrackerError, StoreError, ValueError) as exc:
            st.error(str(exc))
        footer(ctx)


class ProgressBar:
    """A ``st.progress`` bar drawing :class:`tracker.progress.Progress` events: the stage's
    label (``progress.<stage>``), the detail and the units done; the bar moves when the
    total is known and holds still otherwise."""

    #: Seconds between two redraws within one stage: each redraw is a message to the browser.
    INTERVAL = 0.2

    def __init__(self, lang: str):
        self.lang = lang
        self.bar = st.progress(0.0)
        self.value = 0.0
        self._last: tuple[tuple[str, str], float] | None = None

    def __call__(self, event: Progress) -> None:
        now = time.monotonic()
        step = (event.stage, event.detail)
        finished = event.fraction == 1.0
        if self._last is not None and self._last[0] == step and not finished \
                and now - self._last[1] < self.INTERVAL:
            return
        self._last = (step, now)
        if event.fraction is not None:
            self.value = event.fraction
        self.bar.progress(self.value, text=progress_line(event, self.lang))

    def clear(self) -> None:
        """Remove the bar (the work is done and its result is on the page)."""
        self.bar.empty()


def progress_bar(lang: str) -> ProgressBar:
    """A progress bar at this place of the page, and the callback (``progress=``) of a long
    operation that draws on it (:mod:`tracker.progress`)."""
    return ProgressBar(lang)
