"""The login of the dashboard: every page needs one (:mod:`tracker.auth`).

The session token lives in ``st.session_state`` only (never in the URL, which is shared as
a link) and is checked with :func:`tracker.auth.resume` on every run, so an idle session
expires and a disabled account is out at its next click.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from .. import auth
from ..auth import AuthError
from ..i18n import t
from ..provenance import is_synthetic
from .page import PageContext

__all__ = ["TOKEN_KEY", "login_gate", "login_page"]

#: The session-state key of the login's token.
TOKEN_KEY = "auth_token"
_NOTICE_KEY = "auth_notice"


def login_gate(ctx: PageContext) -> PageContext | None:
    """The context with the logged-in user and their scope, or None (then the caller shows
    :func:`login_page`). Runs :func:`tracker.auth.resume` on every run."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    try:
        user = auth.resume(ctx.engine, token)
    except AuthError as exc:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[_NOTICE_KEY] = str(exc)
        return None
    ctx = replace(ctx, user=user, scope=auth.user_scope(user))
    st.session_state["_ctx"] = ctx
    with st.sidebar:
        st.markdown(t("app.signed_in_as", ctx.lang, name=user.name,
                      role=t(f"app.role_{user.role}", ctx.lang),
                      scope=ctx.scope.describe(ctx.lang)))
        if st.button(t("app.logout", ctx.lang), key="logout", icon=":material/logout:"):
            auth.logout(ctx.engine, token)
            st.session_state.pop(TOKEN_KEY, None)
            st.session_state.pop("_ctx", None)
            st.session_state[_NOTICE_KEY] = t("app.logged_out", ctx.lang)
            st.rerun()
    return ctx


def login_page(ctx: PageContext) -> None:
    """The login form; a wrong password, a locked or disabled account, an expired session
    each say so in Chinese. The demo store shows its demo login; any other store says how
    the first admin is made (there is no default password)."""
    st.title(t("app.login_title", ctx.lang))
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        st.warning(notice)
    with st.form("login", enter_to_submit=True):
        name = st.text_input(t("app.login_name", ctx.lang), key="login_name")
        password = st.text_input(t("app.login_password", ctx.lang), type="password",
                                 key="login_password")
        submitted = st.form_submit_button(t("app.login_submit", ctx.lang), type="primary")
    if submitted:
        try:
            login = auth.authenticate(ctx.engine, name, password)
        except AuthError as exc:
            st.error(str(exc))
        else:
            st.session_state[TOKEN_KEY] = login.token
            st.rerun()
    demo = auth.demo_credentials(ctx.engine)
    if demo is not None:
        st.info(t("app.demo_login", ctx.lang, name=demo[0], password=demo[1]), icon="ℹ️")
    elif not is_synthetic(ctx.engine):
        st.caption(t("app.first_admin", ctx.lang))
