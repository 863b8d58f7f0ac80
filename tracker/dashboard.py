"""Streamlit helpers shared by the entry point (``tracker/app.py``) and the pages.

The entry point calls :func:`setup` once per run: it opens the store, draws the language
switch and the as-of date in the sidebar, keeps both in the URL (``?as_of=…&lang=…``) so
that a view can be shared as a link, and stores a :class:`PageContext` in the session for
the pages (:func:`context`). Figures come from :mod:`tracker.views`; this module only
lays out what is common to every page: the synthetic-data banner, the provenance footer,
empty states and user errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from . import views
from .errors import TrackerError
from .i18n import LANGS, t
from .scope import EVERYTHING, Scope
from .store import StoreError, get_engine, is_initialised, resolve_url

__all__ = ["PageContext", "setup", "context", "tr", "banner", "footer", "empty",
           "run_page", "LANG_NAMES"]

LANG_NAMES = {"zh": "中文", "en": "English"}
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class PageContext:
    engine: Engine
    url: str
    as_of: date
    lang: str
    scope: Scope = EVERYTHING

    def t(self, key: str, **values) -> str:
        return t(f"app.{key}", self.lang, **values)


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
    ctx = PageContext(engine=engine, url=url, as_of=as_of, lang=lang)
    st.session_state["_ctx"] = ctx
    return ctx


def context() -> PageContext:
    """The context stored by :func:`setup` for the current run."""
    return st.session_state["_ctx"]


def banner(ctx: PageContext) -> None:
    """The synthetic-data warning at the top of every page."""
    prov = views.provenance(ctx.engine, ctx.lang)
    if prov.synthetic:
        st.warning(t("common.synthetic_banner", ctx.lang), icon="⚠️")


def footer(ctx: PageContext) -> None:
    """Provenance under every page: as of, last import, denominator, source."""
    prov = views.provenance(ctx.engine, ctx.lang)
    last = prov.last_import or ctx.t("never")
    try:
        last = datetime.fromisoformat(last).strftime("%Y-%m-%d %H:%M") if prov.last_import else last
    except ValueError:
        pass
    parts = [
        ctx.t("footer_as_of", day=ctx.as_of.isoformat()),
        ctx.t("footer_last_import", when=last + (f"（{prov.last_import_file}）"
                                                 if prov.last_import_file else "")),
        ctx.t("footer_denominator", text=prov.denominator_text),
        ctx.t("footer_source", source=prov.source or ctx.t("unknown")),
    ]
    if prov.synthetic:
        parts.append(ctx.t("footer_synthetic"))
    st.divider()
    st.caption(" · ".join(parts))


def empty(message: str) -> None:
    """A clear message in place of figures that cannot be shown."""
    st.info(message, icon="ℹ️")


def run_page(body) -> None:
    """Run a page body with the context: banner, body, footer; user errors as messages."""
    ctx = st.session_state.get("_ctx")
    if ctx is None:  # the entry point could not open the store and said why
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
