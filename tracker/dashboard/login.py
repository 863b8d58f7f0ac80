"""The login of the dashboard: every page needs one (:mod:`tracker.auth`).

A login is a server-side session (``user_session``: only the SHA-256 of its random token,
with its user, created, last seen and expiry). The token is kept in the browser session's
state and in a cookie, so that a reload or a second tab of the same browser is still
signed in for the session's idle lifetime (8 hours, ``TRACKER_SESSION_IDLE_HOURS``); it
never goes into the URL, which is shared as a link.

- The cookie ``redwood_session`` is written by a few lines of script in the page (Streamlit
  sets no cookie of its own): ``Path=/``, ``SameSite=Strict``, ``Secure`` when the page is
  served over https, no expiry date (it ends with the browser; the server decides how long
  the session lasts). Streamlit hands the server the cookies of the browser's connection
  (``st.context.cookies``), read when a run finds no token in the session's state.
- Every run checks the token with :func:`tracker.auth.resume` (one indexed query joined to
  the account): it slides the idle expiry, and an expired session, a signed-out one or an
  account disabled since ends at once. The password (argon2) is checked only at sign-in.
- Signing out deletes the server's row and the cookie.

The page's address, with its query (``/chain?chain=BIO&as_of=…&lang=en``), is left as it
is while the login form shows, so that after the sign-in the link opens that record.
"""

from __future__ import annotations

import json
from dataclasses import replace

import streamlit as st

from .. import auth
from ..auth import AuthError
from ..i18n import t
from ..provenance import is_synthetic
from .page import PageContext

__all__ = ["COOKIE_NAME", "TOKEN_KEY", "login_gate", "login_page", "session_cookie"]

#: The session-state key of the login's token.
TOKEN_KEY = "auth_token"
#: The cookie that carries the token across reloads (never the URL).
COOKIE_NAME = "redwood_session"
_NOTICE_KEY = "auth_notice"
# The token of the cookie this browser connection was opened with, once it is known to be
# dead (signed out, expired): the connection's cookies are those of its opening, so the
# old value is still offered until the page is reloaded.
_DEAD_KEY = "_auth_dead_cookie"
# What the cookie should now hold ("" = delete it), until a run has written it.
_WRITE_KEY = "_auth_cookie_write"


def _cookie_token() -> str | None:
    """The token of the cookie the browser sent with this connection (None without one)."""
    token = st.context.cookies.get(COOKIE_NAME)
    if not isinstance(token, str) or not token or token == st.session_state.get(_DEAD_KEY):
        return None  # (a script test's stand-in context has no real cookies)
    return token


def session_cookie(token: str | None) -> str:
    """The script that writes the session cookie (``None``: deletes it).

    Examples
    --------
    >>> "SameSite=Strict" in session_cookie("abc") and "Path=/" in session_cookie("abc")
    True
    >>> "Max-Age=0" in session_cookie(None)
    True
    """
    value = json.dumps(token or "")  # a token is URL-safe base64: nothing to escape
    life = "" if token else "; Max-Age=0"
    return ("<script>(function(){var secure = location.protocol === 'https:' ? '; Secure' : '';"
            f"document.cookie = '{COOKIE_NAME}=' + {value} + '; Path=/; SameSite=Strict{life}'"
            " + secure;})();</script>")


def _write_cookie() -> None:
    """Write (or delete) the cookie once a run asked for it. The script runs in the page
    itself (``st.html`` is not framed); it draws nothing."""
    if _WRITE_KEY not in st.session_state:
        return
    token = st.session_state.pop(_WRITE_KEY) or None
    with st.sidebar:
        st.html(session_cookie(token), unsafe_allow_javascript=True, width=1)


def _message(exc: AuthError, lang: str) -> str:
    """The refusal in the page's language (the reason only; never whether a name exists)."""
    return t(f"session.auth_{exc.reason}", lang, **exc.values)


def login_gate(ctx: PageContext) -> PageContext | None:
    """The context with the logged-in user and their scope, or None (then the caller shows
    :func:`login_page`). Runs :func:`tracker.auth.resume` on every run."""
    token = st.session_state.get(TOKEN_KEY)
    from_cookie = False
    if not token:
        token = _cookie_token()
        from_cookie = token is not None
    if not token:
        _write_cookie()
        return None
    try:
        user = auth.resume(ctx.engine, token)
    except AuthError as exc:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[_DEAD_KEY] = token
        st.session_state[_WRITE_KEY] = ""
        st.session_state[_NOTICE_KEY] = _message(exc, ctx.lang)
        _write_cookie()
        return None
    st.session_state[TOKEN_KEY] = token
    if not from_cookie and _cookie_token() != token and st.session_state.get("_auth_cookie") != token:
        st.session_state[_WRITE_KEY] = token  # a new sign-in in this browser session
    st.session_state["_auth_cookie"] = token
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
            st.session_state.pop("_auth_cookie", None)
            st.session_state[_DEAD_KEY] = token
            st.session_state[_WRITE_KEY] = ""  # written by the login form's run
            st.session_state[_NOTICE_KEY] = t("app.logged_out", ctx.lang)
            st.rerun()
    _write_cookie()
    return ctx


def login_page(ctx: PageContext) -> None:
    """The login form; a wrong password, a locked or disabled account, an expired session
    each say so in the page's language. The demo store shows its demo login; any other
    store says how the first admin is made (there is no default password)."""
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
            st.error(_message(exc, ctx.lang))
        else:
            st.session_state[TOKEN_KEY] = login.token
            st.session_state.pop(_DEAD_KEY, None)
            # Nothing else changes: the page's address and query stay, so the rerun opens
            # the page (and the record) the link asked for.
            st.rerun()
    demo = auth.demo_credentials(ctx.engine)
    if demo is not None:
        st.info(t("app.demo_login", ctx.lang, name=demo[0], password=demo[1]), icon="ℹ️")
    elif not is_synthetic(ctx.engine):
        st.caption(t("app.first_admin", ctx.lang))
