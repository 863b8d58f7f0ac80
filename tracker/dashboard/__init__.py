"""Streamlit helpers shared by the entry point (``tracker/dashboard/app.py``) and the pages.

The entry point calls :func:`setup` once per run: it opens the store, draws the language
switch and the as-of date in the sidebar, keeps both in the URL (``?as_of=…&lang=…``) so
that a view can be shared as a link, and then :func:`login_gate`: every page needs a login
(:mod:`tracker.auth`). The session token lives in ``st.session_state`` only (never in the
URL, which is shared as a link) and is checked with :func:`tracker.auth.resume` on every
run, so an idle session expires and a disabled account is out at its next click. The
:class:`PageContext` stored for the pages (:func:`context`) carries the user and the
user's scope; every figure, list and export of a page is computed with ``ctx.scope``. Figures come from :mod:`tracker.dashboard.views`; this module only
lays out what is common to every page: the synthetic-data banner, the provenance footer,
empty states and user errors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from .. import auth
from . import views
from ..auth import AuthError, UserInfo
from ..errors import TrackerError
from ..i18n import LANGS, t
from ..provenance import is_synthetic
from ..scope import EVERYTHING, Scope
from ..store import StoreError, get_engine, is_initialised, resolve_url

__all__ = ["PageContext", "setup", "context", "tr", "banner", "footer", "empty",
           "run_page", "LANG_NAMES", "TOKEN_KEY", "login_gate", "login_page", "intersect",
           "visible_chains", "scoped_chain_detail", "scoped_chain_graph", "firm_record",
           "org_record", "edit_add_firm", "edit_update_firm", "edit_membership", "edit_org",
           "edit_link", "edit_liaison"]

TOKEN_KEY = "auth_token"
_NOTICE_KEY = "auth_notice"

LANG_NAMES = {"zh": "中文", "en": "English"}
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class PageContext:
    engine: Engine
    url: str
    as_of: date
    lang: str
    scope: Scope = EVERYTHING
    user: UserInfo | None = None

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
    # No user yet: :func:`login_gate` stores the context for the pages once a login holds.
    st.session_state.pop("_ctx", None)
    return PageContext(engine=engine, url=url, as_of=as_of, lang=lang)


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


def intersect(a: Scope, b: Scope) -> Scope:
    """The part of the district in both scopes (per axis: the common chains / areas).

    On the chain axis this is conservative: a firm in chain X of ``a`` and chain Y of ``b``
    is left out. The pages only offer filters inside the user's scope, where that is exact.

    >>> intersect(Scope.of(chains=["BIO", "IC"]), Scope.of(chains=["BIO"])).chains
    frozenset({'BIO'})
    >>> intersect(EVERYTHING, Scope.of(areas=["萝岗街道"])).areas
    frozenset({'萝岗街道'})
    """
    def both(x, y):
        if x is None:
            return y
        return x if y is None else x & y
    return Scope(chains=both(a.chains, b.chains), areas=both(a.areas, b.areas))


def visible_chains(ctx: PageContext) -> list[tuple[str, str]]:
    """(code, name) of the chains the user may pick: their chains, or all of them."""
    chains = views.chain_list(ctx.engine, ctx.lang)
    if ctx.scope.chains is None:
        return chains
    return [(code, name) for code, name in chains if code in ctx.scope.chains]


def _chain_scope(ctx: PageContext, code: str) -> Scope:
    return intersect(Scope.of(chains=[code]), ctx.scope)


def scoped_chain_detail(ctx: PageContext, code: str):
    """:func:`tracker.dashboard.views.chain_detail` of one chain, narrowed to the user's scope.

    A user restricted by chain alone sees the whole chain (the cached view as is). A user
    restricted by area sees the chain's firms in their areas only: the figures and segments
    are recomputed with the intersected scope, the masters and uncovered firms are the
    view's rows of firms in that scope, and the planner's suggestion (which may name
    organisations of other areas) is left out.
    """
    from ..coverage import coverage, firm_status

    detail = views.chain_detail(ctx.engine, code, ctx.as_of, ctx.lang)
    scope = _chain_scope(ctx, code)
    if scope == Scope.of(chains=[code]) or not detail.exists:
        return detail
    result = coverage(ctx.engine, ctx.as_of, by="segment", scope=scope, lang=ctx.lang)
    inside = set(firm_status(ctx.engine, ctx.as_of, scope=scope,
                             denominator=result.denominator)["credit_code"])
    masters = detail.masters[detail.masters["credit_code"].isin(inside)].reset_index(drop=True)
    uncovered = detail.uncovered[detail.uncovered["credit_code"].isin(inside)].reset_index(drop=True)
    uncovered = uncovered.assign(suggestion="")
    segments = [{"key": g.key, "name": g.name, **g.counts.as_dict()} for g in result.groups]
    return replace(detail, counts=result.total, gap=views.gap_to_target(result.total, detail.target_rate),
                   segments=segments, masters=masters, uncovered=uncovered,
                   denominator_text=result.denominator_text)


def scoped_chain_graph(ctx: PageContext, code: str):
    """The network picture of one chain with only the firms of the user's scope."""
    scope = _chain_scope(ctx, code)
    if scope == Scope.of(chains=[code]):
        return views.chain_graph(ctx.engine, code, ctx.as_of)
    from ..graph import build_graph, chain_subgraph

    return chain_subgraph(build_graph(ctx.engine, ctx.as_of, scope), code)


# --------------------------------------------------------------------------- login


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
        st.markdown(t("app.signed_in_as", ctx.lang, name=user.name, role=_role_label(user, ctx.lang),
                     scope=ctx.scope.describe(ctx.lang)))
        if st.button(t("app.logout", ctx.lang), key="logout", icon=":material/logout:"):
            auth.logout(ctx.engine, token)
            st.session_state.pop(TOKEN_KEY, None)
            st.session_state.pop("_ctx", None)
            st.session_state[_NOTICE_KEY] = t("app.logged_out", ctx.lang)
            st.rerun()
    return ctx


def _role_label(user: UserInfo, lang: str) -> str:
    return user.role_label if lang == "zh" else user.role


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


# --------------------------------------------------------------------------- edits
# The data page's forms call these: the permission check (tracker.auth), then the edit
# (tracker.edits) with the login name, source "dashboard" and the version the form loaded.

SOURCE = "dashboard"


def firm_record(engine: Engine, code: str) -> dict | None:
    """A firm's editable fields and ``version`` as stored now (None when unknown)."""
    from sqlmodel import Session, select

    from .. import uscc
    from ..edits import FIRM_FIELDS
    from ..model import Firm

    with Session(engine) as session:
        row = session.exec(select(Firm).where(Firm.credit_code == uscc.normalize(code))).first()
        return None if row is None else {f: getattr(row, f) for f in FIRM_FIELDS}


def org_record(engine: Engine, code: str) -> dict | None:
    """An organisation's fields and ``version`` as stored now (None when unknown)."""
    from sqlmodel import Session, select

    from .. import uscc
    from ..model import PartyOrg

    with Session(engine) as session:
        row = session.exec(select(PartyOrg).where(PartyOrg.code == uscc.normalize(code))).first()
        if row is None:
            return None
        return {"code": row.code, "name": row.name, "kind": row.kind, "formation": row.formation,
                "founded": row.founded, "dissolved": row.dissolved,
                "member_count": row.member_count, "version": row.version}


def _refuse(user: UserInfo) -> None:
    raise TrackerError(f"此记录不在您的权限范围内（{auth.user_scope(user).describe()}），不能修改")


def _require_writer(user: UserInfo | None) -> None:
    if user is None:
        raise TrackerError("请先登录")
    if user.role == "viewer" or user.disabled:
        raise TrackerError("您的账户只有查看权限，不能修改数据")


def _require_place(user: UserInfo, chain: str | None, park: str | None, street: str | None) -> None:
    """A firm placed in ``chain`` and ``park``/``street`` must lie in the user's scope."""
    scope = auth.user_scope(user)
    if scope.chains is not None and (chain is None or chain.upper() not in scope.chains):
        _refuse(user)
    if scope.areas is not None and park not in scope.areas and street not in scope.areas:
        _refuse(user)


def _in_one(engine: Engine, work):
    """Run ``work(session)`` in one transaction (several edits that stand or fall together)."""
    from sqlmodel import Session

    with Session(engine) as session:
        try:
            out = work(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return out


def edit_add_firm(engine: Engine, user: UserInfo | None, code: str, name: str, *,
                  effective: date, chain: str | None = None, segment: str = "midstream",
                  chain_master: bool = False, **fields) -> dict:
    """Add a firm (and, with ``chain``, its membership from ``effective``) in one transaction.

    A user scoped by chain must put the new firm in one of their chains, a user scoped by
    area in one of their parks/streets: a firm outside the scope would vanish from their
    view the moment it is saved.
    """
    from .. import edits

    _require_writer(user)
    _require_place(user, chain, fields.get("park") or None, fields.get("street") or None)

    def work(session):
        after = edits.add_firm(session, code, name, effective=effective, user=user.name,
                               source=SOURCE, **fields)
        if chain:
            edits.join_chain(session, after["credit_code"], chain, effective, segment=segment,
                             chain_master=chain_master, user=user.name, source=SOURCE)
        return after
    return _in_one(engine, work)


def edit_update_firm(engine: Engine, user: UserInfo | None, code: str, version: int, *,
                     effective: date, **changes) -> dict:
    """Update a firm's fields; refused (:class:`tracker.edits.ConflictError`) when its
    version is no longer ``version`` (someone saved since the form was loaded)."""
    from .. import edits

    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    scope = auth.user_scope(user)
    if scope.areas is not None and ("park" in changes or "street" in changes):
        # Moving the firm out of the user's areas would be an edit outside the scope.
        current = firm_record(engine, code) or {}
        park, street = changes.get("park", current.get("park")), changes.get("street", current.get("street"))
        if park not in scope.areas and street not in scope.areas:
            _refuse(user)
    return edits.update_firm(engine, code, expected_version=version, effective=effective,
                             user=user.name, source=SOURCE, **changes)


def _confirm_firm(session, code: str, version: int | None, user: UserInfo) -> None:
    """Refuse when the firm changed since the form loaded it (same transaction as the edit)."""
    from .. import edits

    if version is not None:
        edits.update_firm(session, code, expected_version=version, user=user.name, source=SOURCE)


def edit_membership(engine: Engine, user: UserInfo | None, action: str, code: str,
                    version: int | None, chain: str, *, effective: date,
                    segment: str = "midstream", chain_master: bool = False) -> dict:
    """``action`` ``join`` or ``leave``: a firm joins / leaves a chain on ``effective``.

    Allowed to whoever may edit the whole chain, or the firm when the chain is theirs.
    """
    from .. import edits

    _require_writer(user)
    if not auth.can_edit(user, chain=chain):
        auth.require_edit(user, firm=code, engine=engine)
        scope = auth.user_scope(user)
        if scope.chains is not None and chain.upper() not in scope.chains:
            _refuse(user)

    def work(session):
        _confirm_firm(session, code, version, user)
        if action == "join":
            return edits.join_chain(session, code, chain, effective, segment=segment,
                                    chain_master=chain_master, user=user.name, source=SOURCE)
        return edits.leave_chain(session, code, chain, effective, user=user.name, source=SOURCE)
    return _in_one(engine, work)


def edit_org(engine: Engine, user: UserInfo | None, action: str, code: str, *,
             effective: date, version: int | None = None, name: str = "", kind: str = "branch",
             formation: str = "single", parent: str | None = None, member_count: int = 0) -> dict:
    """``action`` ``found`` (a new organisation) or ``dissolve`` (with the loaded ``version``).

    A new organisation covers no firm yet, so any editor may found it (under a parent they
    may edit); dissolving changes the coverage of every firm it covers: all must be theirs.
    """
    from .. import edits

    _require_writer(user)
    if action == "found":
        if parent:
            auth.require_edit(user, org=parent, engine=engine)
        return edits.found_org(engine, code, name, effective, kind=kind, formation=formation,
                               parent=parent or None, member_count=member_count,
                               user=user.name, source=SOURCE)
    auth.require_edit(user, org=code, engine=engine)
    return edits.dissolve_org(engine, code, effective, expected_version=version,
                              user=user.name, source=SOURCE)


def edit_link(engine: Engine, user: UserInfo | None, action: str, org_code: str, code: str,
              version: int | None, *, effective: date) -> dict:
    """``action`` ``link`` / ``unlink``: an organisation starts / stops covering a firm."""
    from .. import edits

    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    auth.require_edit(user, org=org_code, engine=engine)

    def work(session):
        _confirm_firm(session, code, version, user)
        fn = edits.link if action == "link" else edits.unlink
        return fn(session, org_code, code, effective, user=user.name, source=SOURCE)
    return _in_one(engine, work)


def edit_liaison(engine: Engine, user: UserInfo | None, action: str, name: str, unit: str,
                 code: str, version: int | None, *, effective: date,
                 role: str = "liaison") -> dict:
    """``action`` ``assign`` / ``end``: a liaison's assignment to a firm starts / ends."""
    from .. import edits

    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)

    def work(session):
        _confirm_firm(session, code, version, user)
        if action == "assign":
            return edits.assign_liaison(session, name, unit, code, effective, role=role,
                                        user=user.name, source=SOURCE)
        return edits.end_liaison(session, name, unit, code, effective, user=user.name,
                                 source=SOURCE)
    return _in_one(engine, work)


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
