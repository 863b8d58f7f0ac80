"""The dashboard's login and permissions (issue 7), driven with ``AppTest``.

Every role (admin / editor / viewer) and scope (all / chains / areas) opens every page and
must see only its part of the district: the figures equal ``tracker.coverage.coverage``
with the user's scope, chain pickers list only the user's chains, firm lists hold only
firms of the scope, the import and the audit log are for admins, a viewer has no edit
form. The login form itself: a wrong password, the lockout, a disabled account, an
expired session and the logout; the demo login appears only in the demo store; a save
that races another editor's save shows the conflict message instead of overwriting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.test_app import (  # noqa: F401
    AS_OF,
    PAGES,
    _build,
    assert_clean,
    cheap_argon2,
    district,
    empty_url,
    metrics,
    open_app,
    templates,
)
from tracker import auth, edits
from tracker.audit import entries as history
from tracker.coverage import coverage, firm_status
from tracker.dashboard import TOKEN_KEY, edit_membership, views
from tracker.errors import TrackerError
from tracker.model import UserSession
from tracker.provenance import set_info

DAY = date.fromisoformat(AS_OF)
PASSWORD = "a long secret"

# (name, role, chains, areas): every role, and the three kinds of scope.
USERS = [
    ("boss", "admin", None, None),
    ("bio_editor", "editor", ["BIO"], None),
    ("display_viewer", "viewer", ["DISPLAY"], None),
    ("luogang_editor", "editor", None, ["萝岗街道"]),
    ("science_viewer", "viewer", None, ["广州科学城"]),
    ("all_viewer", "viewer", None, None),
]


def _users(engine):
    return {name: auth.add_user(engine, name, role, PASSWORD, chains=chains, areas=areas)
            for name, role, chains, areas in USERS}


def _login_form(at, name: str, password: str):
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.form_id == "login").click().run()
    return at


def _submit(at, form: str):
    next(b for b in at.button if b.form_id == form).click().run()
    return at


def _frame(at, column: str):
    """The first data frame on the page that has ``column``."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with {column}")


@pytest.mark.parametrize("name,role,chains,areas", USERS, ids=[u[0] for u in USERS])
def test_every_page_shows_only_the_users_scope(district, monkeypatch, name, role, chains, areas):
    w, url = district
    user = _users(w.engine)[name]
    scope = auth.user_scope(user)
    expected = coverage(w.engine, DAY, by="chain", scope=scope)
    inside = set(firm_status(w.engine, DAY, scope=scope)["credit_code"])
    visible_chains = [code for code, _ in views.chain_list(w.engine)
                      if scope.chains is None or code in scope.chains]
    login = (name, PASSWORD)

    at = open_app(url, monkeypatch, as_of=AS_OF, user=login)
    assert_clean(at)
    shown = metrics(at)
    assert shown["企业数"][0] == views.fmt_int(expected.total.firms)
    assert shown["覆盖率"][0] == views.fmt_pct(expected.total.coverage_rate)
    assert shown["组织覆盖率"][0] == views.fmt_pct(expected.total.org_coverage_rate)
    table_chains = set(_frame(at, "截止日结果")["产业链"])
    assert table_chains == {g.name for g in expected.groups}
    if chains:  # a chain-scoped user's overview lists their chains only
        assert table_chains == {n for c, n in views.chain_list(w.engine) if c in chains}

    at = open_app(url, monkeypatch, "chain", as_of=AS_OF, user=login)
    assert_clean(at)
    assert at.selectbox(key="chain_pick").options == [
        n for c, n in views.chain_list(w.engine) if c in visible_chains]
    bio = auth.Scope(chains=frozenset({"BIO"}) if scope.chains is None else scope.chains & {"BIO"},
                     areas=scope.areas)
    if "BIO" in visible_chains:
        at.selectbox(key="chain_pick").set_value("BIO").run()
        bio_counts = coverage(w.engine, DAY, scope=bio).total
        if bio_counts.firms:
            assert metrics(at)["企业数"][0] == views.fmt_int(bio_counts.firms)
            for frame in at.dataframe:
                if "统一社会信用代码" in frame.value.columns:
                    assert set(frame.value["统一社会信用代码"]) <= inside

    at = open_app(url, monkeypatch, "firms", as_of=AS_OF, user=login)
    assert_clean(at)
    if inside:
        assert set(_frame(at, "统一社会信用代码")["统一社会信用代码"]) == inside
        assert at.multiselect(key="f_chain").options == [
            n for c, n in views.chain_list(w.engine) if c in visible_chains]

    at = open_app(url, monkeypatch, "orgs", as_of=AS_OF, user=login)
    assert_clean(at)
    expected_orgs = views.org_tree(w.engine, DAY, scope)
    if not expected_orgs.empty:
        assert metrics(at)["党组织数"][0] == views.fmt_int(len(expected_orgs))

    at = open_app(url, monkeypatch, "reports", as_of=AS_OF, user=login)
    assert_clean(at)
    assert at.multiselect(key="r_chains").options == [
        n for c, n in views.chain_list(w.engine) if c in visible_chains]
    assert scope.describe() in at.caption[0].value  # the export's scope is the user's

    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=login)
    assert_clean(at)
    headings = [s.value for s in at.subheader]
    assert ("最近的变更记录" in headings) == (role == "admin")  # the audit log
    assert any(b.key == "template" for b in at.get("download_button")) == (role == "admin")
    forms = [b.form_id for b in at.button if b.form_id]
    if role == "viewer":
        assert not forms and "您的账户只有查看权限，不能修改数据。" in [i.value for i in at.info]
        assert not [s for s in at.selectbox if s.key == "edit_kind"]
    else:
        assert at.selectbox(key="edit_kind") is not None and forms
    if role != "admin":
        assert "导入台账会改动全区数据，仅管理员可用" in " ".join(i.value for i in at.info)


def test_reports_export_uses_the_users_scope(district, monkeypatch):
    w, url = district
    _users(w.engine)
    at = open_app(url, monkeypatch, "reports", as_of=AS_OF, user=("bio_editor", PASSWORD))
    at.selectbox(key="r_fmt").set_value("csv").run()
    at.button(key="r_make").click().run()
    assert_clean(at)
    data = at.session_state["_report"]["data"]
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else str(data)
    bio_only = coverage(w.engine, DAY, scope=auth.Scope.of(chains=["BIO"]))
    display_only = set(firm_status(w.engine, DAY, scope=auth.Scope.of(chains=["DISPLAY"]))["credit_code"])
    bio_firms = set(firm_status(w.engine, DAY, scope=auth.Scope.of(chains=["BIO"]))["credit_code"])
    assert bio_only.total.firms > 0
    for code in display_only - bio_firms:  # a firm of DISPLAY alone never reaches the file
        assert code not in text


def test_no_page_without_login(district, monkeypatch):
    w, url = district
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None)
    assert_clean(at)
    assert [t.value for t in at.title] == ["登录"]
    assert not at.metric and not at.dataframe
    for page in PAGES[1:]:  # before a login the pages are not even routed
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"../../pages/{page}.py")
    # A token in the URL is ignored: the session token lives in session state only.
    login = auth.authenticate(w.engine, "chief", "chief-password")
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None, token=login.token)
    assert [t.value for t in at.title] == ["登录"]


def test_login_form_wrong_password_lockout_and_disabled(district, monkeypatch):
    w, url = district
    monkeypatch.setenv("TRACKER_AUTH_MAX_FAILURES", "3")
    _users(w.engine)
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None)
    _login_form(at, "bio_editor", "wrong password")
    assert [e.value for e in at.error] == ["用户名或密码错误"]
    _login_form(at, "nobody", "wrong password")  # an unknown name says the same
    assert [e.value for e in at.error] == ["用户名或密码错误"]
    _login_form(at, "bio_editor", "wrong again")
    _login_form(at, "bio_editor", "and again")
    assert "账户已暂时锁定" in at.error[0].value
    _login_form(at, "bio_editor", PASSWORD)  # the right password is refused while locked
    assert "账户已暂时锁定" in at.error[0].value and [t.value for t in at.title] == ["登录"]

    auth.disable_user(w.engine, "display_viewer")
    _login_form(at, "display_viewer", PASSWORD)
    assert [e.value for e in at.error] == ["账户已停用，请联系管理员"]

    _login_form(at, "science_viewer", PASSWORD)
    assert not at.error and [t.value for t in at.title] == ["总览"]
    assert "science_viewer（查看）" in " ".join(m.value for m in at.sidebar.markdown)


def test_expired_session_and_logout_go_back_to_login(district, monkeypatch):
    w, url = district
    _users(w.engine)
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None)
    _login_form(at, "boss", PASSWORD)
    assert [t.value for t in at.title] == ["总览"]
    token = at.session_state[TOKEN_KEY]
    with Session(w.engine) as session:  # the idle time has run out
        session.execute(sa.update(UserSession).values(
            expires=datetime.now(timezone.utc) - timedelta(minutes=1)))
        session.commit()
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    assert "登录已过期，请重新登录" in [x.value for x in at.warning]
    with pytest.raises(auth.AuthError):
        auth.resume(w.engine, token)

    _login_form(at, "boss", PASSWORD)
    token = at.session_state[TOKEN_KEY]
    at.sidebar.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["登录"]
    with pytest.raises(auth.AuthError):  # the session is gone on the server too
        auth.resume(w.engine, token)


def test_demo_login_only_on_the_demo_store(district, monkeypatch):
    w, url = district
    assert auth.ensure_demo_user(w.engine) is None  # not synthetic: no demo login
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None)
    text = " ".join(x.value for x in [*at.info, *at.caption])
    assert "redwood-demo" not in text and "tracker user add" in text
    with Session(w.engine) as session:
        set_info(session, synthetic="true", source="合成演示数据")
        session.commit()
    assert auth.ensure_demo_user(w.engine) is not None
    at = open_app(url, monkeypatch, as_of=AS_OF, user=None)
    assert any(auth.DEMO_PASSWORD in i.value and auth.DEMO_USER in i.value for i in at.info)
    _login_form(at, auth.DEMO_USER, auth.DEMO_PASSWORD)
    assert_clean(at)
    assert [t.value for t in at.title] == ["总览"]


def _open_form(url, monkeypatch, user, kind: str, prefix: str, code: str):
    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=(user, PASSWORD))
    at.selectbox(key="edit_kind").set_value(kind).run()
    at.text_input(key=f"{prefix}_code").input(code)
    at.button(key=f"{prefix}_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_conflicting_save_shows_the_conflict_message(district, monkeypatch):
    w, url = district
    _users(w.engine)
    code = w.codes["A"]
    at = _open_form(url, monkeypatch, "bio_editor", "update_firm", "uf", code)
    assert at.text_input(key="uf_name").value == "甲生物科技有限公司"
    # Meanwhile a colleague saves the same firm.
    edits.update_firm(w.engine, code, expected_version=1, name="甲生物（同事改）", user="boss")
    at.text_input(key="uf_name").input("甲生物（我改）")
    _submit(at, "form_update_firm")
    assert any("该记录已被他人修改" in e.value and "请刷新后重试" in e.value for e in at.error)
    assert get_firm_name(w.engine, code) == "甲生物（同事改）"  # not overwritten

    # Loaded afresh, the save goes through and the audit log names the login.
    at.button(key="uf_load").click().run()
    at.text_input(key="uf_name").input("甲生物（我改）")
    _submit(at, "form_update_firm")
    assert not at.error and get_firm_name(w.engine, code) == "甲生物（我改）"
    last = history(w.engine, entity="firm", key=code)[-1]
    assert last["user"] == "bio_editor" and last["source"] == "dashboard"


def get_firm_name(engine, code):
    from tracker.dashboard import firm_record

    return firm_record(engine, code)["name"]


def test_interval_edit_refused_when_the_firm_changed_meanwhile(district, monkeypatch):
    w, url = district
    _users(w.engine)
    code = w.codes["E"]
    at = _open_form(url, monkeypatch, "boss", "membership", "mb", code)
    edits.update_firm(w.engine, code, formal_members=9, user="someone")
    at.radio(key="mb_action").set_value("leave").run()
    _submit(at, "form_membership")
    assert any("该记录已被他人修改" in e.value for e in at.error)


def test_forms_save_each_kind_of_edit(district, monkeypatch):
    w, url = district
    _users(w.engine)
    code = w.codes["C"]  # DISPLAY, uncovered
    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=("boss", PASSWORD))
    at.selectbox(key="edit_kind").set_value("org").run()  # founding needs no loaded record
    at.text_input(key="og_code").input("NEWORG")
    at.text_input(key="og_name").input("丙光电党支部")
    at.text_input(key="og_parent").input(w.codes.get("P", "P"))
    _submit(at, "form_found_org")
    assert not at.error, [e.value for e in at.error]

    at = _open_form(url, monkeypatch, "boss", "link", "lk", code)
    at.text_input(key="lk_org").input("NEWORG")
    _submit(at, "form_link")
    assert not at.error, [e.value for e in at.error]
    status = firm_status(w.engine, DAY).set_index("credit_code")["status"]
    assert status[code] == "org"

    at = _open_form(url, monkeypatch, "boss", "liaison", "ls", w.codes["D"])
    at.text_input(key="ls_name").input("联络员二号")
    at.text_input(key="ls_unit").input("区委组织部")
    _submit(at, "form_liaison")
    assert not at.error, [e.value for e in at.error]
    assert firm_status(w.engine, DAY).set_index("credit_code")["status"][w.codes["D"]] == "work"

    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=("boss", PASSWORD))
    at.selectbox(key="edit_kind").set_value("add_firm").run()
    new = w.code("NEWFIRM")  # a valid credit code not in the store
    at.text_input(key="af_code").input(new)
    at.text_input(key="af_name").input("新企业有限公司")
    at.selectbox(key="af_chain").set_value("BIO")
    _submit(at, "form_add_firm")
    assert not at.error, [e.value for e in at.error]
    assert new in set(firm_status(w.engine, DAY, scope=auth.Scope.of(chains=["BIO"]))["credit_code"])
    entries = [e for e in history(w.engine, entity="firm", key=new)]
    assert entries and all(e["user"] == "boss" and e["source"] == "dashboard" for e in entries)


def test_scoped_editor_cannot_edit_outside_scope(district, monkeypatch):
    w, url = district
    users = _users(w.engine)
    only_display = w.codes["C"]
    # The firm is not theirs: the loader does not even admit it exists.
    at = _open_form(url, monkeypatch, "bio_editor", "update_firm", "uf", only_display)
    assert any("企业不存在" in e.value for e in at.error)
    assert not [b for b in at.button if b.form_id == "form_update_firm"]
    with pytest.raises(TrackerError, match="不在您的权限范围内"):
        edit_membership(w.engine, users["bio_editor"], "leave", only_display, None, "DISPLAY",
                        effective=DAY)
    with pytest.raises(TrackerError, match="只有查看权限"):
        edit_membership(w.engine, users["all_viewer"], "leave", only_display, None, "DISPLAY",
                        effective=DAY)
    # Their own chain: a firm of another chain may join it (the chain is theirs).
    edit_membership(w.engine, users["bio_editor"], "join", only_display, None, "BIO",
                    effective=DAY)
    assert only_display in set(firm_status(w.engine, DAY, scope=auth.Scope.of(chains=["BIO"]))["credit_code"])


def test_empty_store_after_login(empty_url, monkeypatch):
    """The empty store: the login form works and every page says there is nothing yet."""
    at = open_app(empty_url, monkeypatch, as_of=AS_OF, user=None)
    _login_form(at, "chief", "chief-password")
    assert_clean(at)
    assert [t.value for t in at.title] == ["总览"] and at.info


# --------------------------------------------------------------------------- visits and 换届


def _visit_form(url, monkeypatch, user, code, day: date, mode: str = "visit", note: str = ""):
    at = _open_form(url, monkeypatch, user, "visit", "vs", code)
    if [b for b in at.button if b.form_id == "form_visit"]:
        at.date_input(key="vs_day").set_value(day)
        at.selectbox(key="vs_mode").set_value(mode)
        at.text_input(key="vs_note").input(note)
        _submit(at, "form_visit")
    return at


def test_visit_form_records_a_visit(district, monkeypatch):
    """The admin records a visit by 联络员一号 (assigned to B from 2024-06-01): it is stored,
    audited under the login, and B's last visit follows at once."""
    from tracker.visits import last_visits

    w, url = district
    _users(w.engine)
    code = w.codes["B"]
    at = _visit_form(url, monkeypatch, "boss", code, date(2024, 6, 20), "talk", "座谈党建工作")
    assert_clean(at)
    assert any("联络员一号" in s.value and "2024-06-20" in s.value for s in at.success)
    assert last_visits(w.engine, DAY, [code], by_code=True) == {code: date(2024, 6, 20)}
    last = history(w.engine, entity="visit")[-1]
    assert (last["user"], last["source"], last["action"]) == ("boss", "dashboard", "visit.add")
    # The same visit again is refused (person + firm + day + mode is the natural key).
    at = _visit_form(url, monkeypatch, "boss", code, date(2024, 6, 20), "talk")
    assert at.error and len(history(w.engine, entity="visit")) == 1


def test_visit_form_refuses_a_day_outside_the_assignment(district, monkeypatch):
    """The import's reason: the person was not assigned to the firm that day, with the periods."""
    w, url = district
    _users(w.engine)
    at = _visit_form(url, monkeypatch, "boss", w.codes["B"], date(2024, 5, 20))
    message = " ".join(e.value for e in at.error)
    assert "2024-05-20" in message and "未派驻" in message and "2024-06-01–至今" in message
    assert not history(w.engine, entity="visit")


def test_visit_form_refused_for_a_viewer_and_outside_the_scope(district, monkeypatch):
    from tracker.dashboard import edit_add_visit

    w, url = district
    users = _users(w.engine)
    w.assign("联络员一号", "D", start="2024-01-01")  # D: DISPLAY only
    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=("all_viewer", PASSWORD))
    assert not [b for b in at.button if b.form_id == "form_visit"]
    assert "您的账户只有查看权限，不能修改数据。" in [i.value for i in at.info]
    with pytest.raises(TrackerError, match="只有查看权限"):
        edit_add_visit(w.engine, users["all_viewer"], "联络员一号", "区工业和信息化局",
                       w.codes["B"], DAY)
    # A BIO editor: D is not theirs (the loader does not admit it exists), nor may they save.
    at = _visit_form(url, monkeypatch, "bio_editor", w.codes["D"], DAY)
    assert any("企业不存在" in e.value for e in at.error)
    assert not [b for b in at.button if b.form_id == "form_visit"]
    with pytest.raises(TrackerError, match="不在您的权限范围内"):
        edit_add_visit(w.engine, users["bio_editor"], "联络员一号", "区工业和信息化局",
                       w.codes["D"], DAY)
    # B is in BIO: the same editor records its visit.
    at = _visit_form(url, monkeypatch, "bio_editor", w.codes["B"], DAY)
    assert not at.error, [e.value for e in at.error]
    assert history(w.engine, entity="visit")[-1]["user"] == "bio_editor"


def test_election_form_records_a_term(district, monkeypatch):
    """A 换届 of O1 (a branch, founded 2022-06-01): the term starts 2024-06-01 for the kind's
    3 years, the board then has it in term; a start before its founding is refused."""
    from tracker.dashboard import edit_record_election
    from tracker.terms import terms

    w, url = district
    users = _users(w.engine)
    at = open_app(url, monkeypatch, "data", as_of=AS_OF, user=("boss", PASSWORD))
    at.selectbox(key="edit_kind").set_value("election").run()
    at.text_input(key="el_code").input("O1")
    at.button(key="el_load").click().run()
    at.date_input(key="el_start").set_value(date(2024, 6, 1))
    _submit(at, "form_election")
    assert_clean(at)
    row = next(r for r in terms(w.engine, DAY) if r.org_code == "O1")
    assert (row.term_start, row.term_years, row.due, row.status) == (
        date(2024, 6, 1), 3, date(2027, 6, 1), "ok")
    assert history(w.engine, entity="party_org", key="O1")[-1]["action"] == "org.elect"
    at.date_input(key="el_start").set_value(date(2021, 1, 1))
    _submit(at, "form_election")
    assert any("早于" in e.value for e in at.error)
    with pytest.raises(TrackerError, match="只有查看权限"):
        edit_record_election(w.engine, users["all_viewer"], "O1", date(2024, 6, 2))
