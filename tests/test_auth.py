"""Accounts: hashing, login, lockout, sessions, roles and scopes, the demo login, the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from tracker import auth
from tracker.audit import entries
from tracker.auth import (AuthError, AuthPolicy, add_user, authenticate, can_edit, can_view,
                          resume, user_scope)
from tracker.cli import main
from tracker.coverage import firm_status
from tracker.model import User, UserSession
from tracker.provenance import set_info
from tracker.scope import EVERYTHING, Scope
from tracker.store import session_scope

PW = "correct horse battery"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
CHEAP = {"TRACKER_ARGON2_TIME_COST": "1", "TRACKER_ARGON2_MEMORY_KIB": "1024",
         "TRACKER_ARGON2_PARALLELISM": "1"}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """The same algorithm at a low cost: the default (64 MiB, 3 passes) takes ~0.6 s per hash on
    a loaded CI machine. The default itself is checked in test_default_argon2_cost."""
    for key, value in CHEAP.items():
        monkeypatch.setenv(key, value)


def test_default_argon2_cost_and_upgrade_at_login(sqlite_engine, monkeypatch):
    add_user(sqlite_engine, "old", "viewer", PW)  # hashed at the cheap cost
    with Session(sqlite_engine) as s:
        assert "$argon2id$v=19$m=1024,t=1,p=1$" in s.exec(select(User.password_hash)).one()
    for key in CHEAP:
        monkeypatch.delenv(key)
    authenticate(sqlite_engine, "old", PW)  # verified with the old parameters, then rehashed
    with Session(sqlite_engine) as s:
        assert "$argon2id$v=19$m=65536,t=3,p=4$" in s.exec(select(User.password_hash)).one()
    authenticate(sqlite_engine, "old", PW)
    monkeypatch.setenv("TRACKER_ARGON2_MEMORY_KIB", "lots")
    with pytest.raises(auth.TrackerError, match="TRACKER_ARGON2_MEMORY_KIB"):
        auth.hash_password(PW)


def test_login_round_trip_stores_neither_password_nor_token(engine):
    add_user(engine, "wang", "editor", PW, chains=["BIO", "ic"])
    login = authenticate(engine, "wang", PW, now=T0)
    assert login.user.name == "wang" and login.user.role == "editor"
    assert login.expires == T0 + timedelta(hours=8)
    assert len(login.token) >= 40
    assert resume(engine, login.token, now=T0 + timedelta(minutes=5)).scope == Scope.of(chains=["BIO", "IC"])
    with engine.connect() as conn:
        dump = " ".join(str(v) for t in ("app_user", "user_session")
                        for row in conn.execute(sa.text(f"SELECT * FROM {t}")) for v in row)
        stored = conn.execute(sa.select(UserSession.token_hash)).scalar_one()
    assert PW not in dump and login.token not in dump
    assert stored == hashlib.sha256(login.token.encode()).hexdigest()
    assert "$argon2id$" in dump


def test_wrong_password_and_unknown_user_say_the_same(engine):
    add_user(engine, "wang", "viewer", PW)
    messages = set()
    for name, password in [("wang", "wrong password"), ("nobody", PW), ("", ""), ("wang", "")]:
        with pytest.raises(AuthError) as err:
            authenticate(engine, name, password)
        assert err.value.reason == "invalid"
        messages.add(str(err.value))
    assert messages == {"用户名或密码错误"}


def test_lockout_after_n_failures_refuses_even_the_right_password(engine):
    add_user(engine, "li", "editor", PW)
    policy = AuthPolicy(max_failures=3, lockout=timedelta(minutes=15))
    for i in range(2):
        with pytest.raises(AuthError, match="用户名或密码错误"):
            authenticate(engine, "li", f"guess {i} xx", policy=policy, now=T0)
    with pytest.raises(AuthError) as err:
        authenticate(engine, "li", "guess 3 xx", policy=policy, now=T0)
    assert err.value.reason == "locked" and "15 分钟" in str(err.value)
    # During the lockout the right password is refused as well (no confirmation of a guess).
    with pytest.raises(AuthError) as err:
        authenticate(engine, "li", PW, policy=policy, now=T0 + timedelta(minutes=14))
    assert err.value.reason == "locked" and "1 分钟" in str(err.value)
    assert auth.get_user(engine, "li").as_dict(now=T0)["locked"] is True
    login = authenticate(engine, "li", PW, policy=policy, now=T0 + timedelta(minutes=15, seconds=1))
    assert login.user.locked_until is None


def test_a_success_resets_the_failure_count_per_user(engine):
    add_user(engine, "a", "viewer", PW)
    add_user(engine, "b", "viewer", PW)
    policy = AuthPolicy(max_failures=2)
    for _ in range(3):  # a, a would lock; a success in between resets the count
        with pytest.raises(AuthError, match="用户名或密码错误"):
            authenticate(engine, "a", "nope nope", policy=policy, now=T0)
        authenticate(engine, "a", PW, policy=policy, now=T0)
    with pytest.raises(AuthError):
        authenticate(engine, "b", "nope nope", policy=policy, now=T0)
    with pytest.raises(AuthError) as err:  # b's second failure locks b only
        authenticate(engine, "b", "nope nope", policy=policy, now=T0)
    assert err.value.reason == "locked"
    authenticate(engine, "a", PW, policy=policy, now=T0)


def test_default_policy_and_environment(monkeypatch):
    for var in ("TRACKER_AUTH_MAX_FAILURES", "TRACKER_AUTH_LOCKOUT_MINUTES", "TRACKER_SESSION_IDLE_HOURS"):
        monkeypatch.delenv(var, raising=False)
    assert AuthPolicy.from_env() == AuthPolicy(5, timedelta(minutes=15), timedelta(hours=8))
    monkeypatch.setenv("TRACKER_AUTH_MAX_FAILURES", "3")
    monkeypatch.setenv("TRACKER_SESSION_IDLE_HOURS", "0.5")
    assert AuthPolicy.from_env() == AuthPolicy(3, timedelta(minutes=15), timedelta(minutes=30))
    monkeypatch.setenv("TRACKER_AUTH_LOCKOUT_MINUTES", "soon")
    with pytest.raises(auth.TrackerError, match="TRACKER_AUTH_LOCKOUT_MINUTES"):
        AuthPolicy.from_env()


def test_default_lockout_is_five_failures(sqlite_engine, monkeypatch):
    for var in ("TRACKER_AUTH_MAX_FAILURES", "TRACKER_AUTH_LOCKOUT_MINUTES"):
        monkeypatch.delenv(var, raising=False)
    add_user(sqlite_engine, "z", "viewer", PW)
    reasons = []
    for _ in range(5):
        with pytest.raises(AuthError) as err:
            authenticate(sqlite_engine, "z", "not it at all")
        reasons.append(err.value.reason)
    assert reasons == ["invalid"] * 4 + ["locked"]


def test_sessions_expire_when_idle_and_slide_when_used(engine):
    add_user(engine, "wang", "viewer", PW)
    policy = AuthPolicy(idle=timedelta(hours=8))
    login = authenticate(engine, "wang", PW, policy=policy, now=T0)
    # Used after 7 hours: extended to 7 h + 8 h.
    assert resume(engine, login.token, policy=policy, now=T0 + timedelta(hours=7)).name == "wang"
    assert resume(engine, login.token, policy=policy, now=T0 + timedelta(hours=14)).name == "wang"
    with pytest.raises(AuthError) as err:
        resume(engine, login.token, policy=policy, now=T0 + timedelta(hours=22, seconds=1))
    assert err.value.reason == "expired" and str(err.value) == "登录已过期，请重新登录"
    # An expired session is gone for good, even if asked at an earlier time.
    with pytest.raises(AuthError):
        resume(engine, login.token, policy=policy, now=T0 + timedelta(hours=15))
    with pytest.raises(AuthError):
        resume(engine, "made-up-token", now=T0)
    with pytest.raises(AuthError):
        resume(engine, None)


def test_logout_disable_and_new_password_end_sessions(engine):
    add_user(engine, "wang", "editor", PW)
    first, second, third = (authenticate(engine, "wang", PW) for _ in range(3))
    auth.logout(engine, first.token)
    with pytest.raises(AuthError):
        resume(engine, first.token)
    assert resume(engine, second.token).name == "wang"
    auth.set_password(engine, "wang", "another long one")
    for login in (second, third):
        with pytest.raises(AuthError):
            resume(engine, login.token)
    with pytest.raises(AuthError, match="用户名或密码错误"):
        authenticate(engine, "wang", PW)
    fourth = authenticate(engine, "wang", "another long one")
    auth.disable_user(engine, "wang")
    with pytest.raises(AuthError):
        resume(engine, fourth.token)
    with pytest.raises(AuthError) as err:
        authenticate(engine, "wang", "another long one")
    assert err.value.reason == "disabled"
    with pytest.raises(AuthError) as err:  # a wrong password on a disabled account says no more
        authenticate(engine, "wang", "wrong wrong")
    assert err.value.reason == "invalid"
    auth.enable_user(engine, "wang")
    authenticate(engine, "wang", "another long one")


def test_purge_expired_sessions(sqlite_engine):
    add_user(sqlite_engine, "wang", "viewer", PW)
    policy = AuthPolicy(idle=timedelta(hours=1))
    authenticate(sqlite_engine, "wang", PW, policy=policy, now=T0)
    live = authenticate(sqlite_engine, "wang", PW, policy=policy, now=T0 + timedelta(hours=2))
    assert auth.purge_expired_sessions(sqlite_engine, now=T0 + timedelta(hours=2)) == 0  # done at login
    assert auth.purge_expired_sessions(sqlite_engine, now=T0 + timedelta(hours=4)) == 1
    with pytest.raises(AuthError):
        resume(sqlite_engine, live.token, now=T0 + timedelta(hours=2, minutes=30))


@pytest.mark.parametrize("args,needle", [
    (dict(role="owner"), "未知的角色"),
    (dict(role="admin", chains=["BIO"]), "管理员的范围是全区"),
    (dict(role="editor", chains=["NOPE"]), "未知的产业链代码"),
    (dict(role="editor", password="short"), "至少需要 8 个字符"),
    (dict(role="editor", password="        "), "空白"),
    (dict(role="editor", name="two words"), "空格"),
    (dict(role="editor", name="  "), "不能为空"),
])
def test_bad_accounts_are_refused(sqlite_engine, args, needle):
    kwargs = dict(name="x", password=PW, chains=None)
    kwargs.update(args)
    with pytest.raises(auth.TrackerError, match=needle):
        add_user(sqlite_engine, kwargs.pop("name"), kwargs.pop("role"), kwargs.pop("password"),
                 **kwargs)
    assert auth.list_users(sqlite_engine) == []


def test_names_are_unique(sqlite_engine):
    add_user(sqlite_engine, "wang", "viewer", PW)
    with pytest.raises(auth.TrackerError, match="已存在"):
        add_user(sqlite_engine, "wang", "admin", PW)


# --- roles and scopes -----------------------------------------------------------------


@pytest.fixture
def district(world):
    """A: BIO in 科学城; B: IC in 知识城; C: BIO and IC in 知识城 (萝岗街道); D: DISPLAY, no area."""
    w = world
    w.firm("A", chains=["BIO"], park="广州科学城", street="联和街道")
    w.firm("B", chains=["IC"], park="中新广州知识城")
    w.firm("C", chains=["BIO", "IC"], park="中新广州知识城", street="萝岗街道")
    w.firm("D", chains=["DISPLAY"])
    w.org("O_BIO", formation="joint")
    w.link("O_BIO", "A")
    w.org("O_MIX", formation="joint")
    w.link("O_MIX", "A")
    w.link("O_MIX", "B")
    w.org("O_NEW")
    return w


def _user(role, chains=None, areas=None):
    return auth.UserInfo(id=1, name="u", role=role,
                         chains=frozenset(chains) if chains is not None else None,
                         areas=frozenset(areas) if areas is not None else None)


def test_roles_and_scopes_on_firms_chains_areas_orgs(engine, district):
    w = district
    admin = _user("admin")
    bio_editor = _user("editor", chains=["BIO"])
    bio_viewer = _user("viewer", chains=["BIO"])
    park_editor = _user("editor", areas=["中新广州知识城"])
    both = _user("editor", chains=["BIO"], areas=["中新广州知识城"])

    def editable(user):
        return {k for k in "ABCD" if can_edit(user, firm=w.code(k), engine=engine)}

    def visible(user):
        return {k for k in "ABCD" if can_view(user, firm=w.firm_ids[k], engine=engine)}

    assert editable(admin) == visible(admin) == set("ABCD")
    assert editable(bio_editor) == visible(bio_editor) == {"A", "C"}
    assert visible(bio_viewer) == {"A", "C"} and editable(bio_viewer) == set()
    assert editable(park_editor) == {"B", "C"}
    assert editable(both) == {"C"}
    assert can_edit(bio_editor, chain="bio") and not can_edit(bio_editor, chain="IC")
    assert not can_edit(bio_viewer, chain="BIO") and can_view(bio_viewer, chain="BIO")
    assert can_edit(park_editor, area="中新广州知识城") and not can_edit(park_editor, area="广州科学城")
    # A user narrowed on both axes holds neither a whole chain nor a whole area.
    assert not can_view(both, chain="BIO") and not can_view(both, area="中新广州知识城")
    # An organisation: only when every firm it covers is in scope (or it covers none yet).
    assert can_edit(bio_editor, org="O_BIO", engine=engine)
    assert not can_edit(bio_editor, org="O_MIX", engine=engine)
    assert can_edit(admin, org="O_MIX", engine=engine)
    assert can_edit(bio_editor, org="O_NEW", engine=engine)
    assert not can_edit(bio_editor, firm="91440112000000000X", engine=engine)  # unknown firm
    with pytest.raises(ValueError):
        can_edit(bio_editor, chain="BIO", area="x")
    with pytest.raises(ValueError):
        can_edit(bio_editor, firm=w.code("A"))  # needs the engine
    # Disabled or absent users get nothing; only admins manage users and read the audit log.
    assert not can_view(None, chain="BIO")
    disabled = auth.UserInfo(id=2, name="d", role="admin", chains=None, areas=None, disabled=True)
    assert not can_edit(disabled, chain="BIO") and not auth.can_manage_users(disabled)
    assert auth.can_manage_users(admin) and auth.can_view_audit(admin)
    auth.require_edit(bio_editor, firm=w.code("A"), engine=engine)
    with pytest.raises(auth.TrackerError, match="不在您的权限范围内（产业链：BIO）"):
        auth.require_edit(bio_editor, firm=w.code("B"), engine=engine)
    with pytest.raises(auth.TrackerError, match="只有查看权限"):
        auth.require_edit(bio_viewer, firm=w.code("A"), engine=engine)
    with pytest.raises(auth.TrackerError, match="请先登录"):
        auth.require_edit(None, chain="BIO")
    assert not auth.can_view_audit(bio_editor) and not auth.can_manage_users(bio_viewer)


def test_user_scope_from_a_stored_account_matches_the_account(sqlite_engine):
    add_user(sqlite_engine, "e", "editor", PW, chains=["bio", "IC"], areas=["萝岗街道"])
    add_user(sqlite_engine, "a", "admin", PW)
    with Session(sqlite_engine) as s:
        row = s.exec(select(User).where(User.name == "e")).one()
        admin_row = s.exec(select(User).where(User.name == "a")).one()
    expected = Scope.of(chains=["BIO", "IC"], areas=["萝岗街道"])
    assert user_scope(row) == expected == auth.get_user(sqlite_engine, "e").scope
    assert user_scope(admin_row) == EVERYTHING
    # An empty set restricts to nothing; it never widens to everything.
    empty = _user("viewer", chains=[])
    assert user_scope(empty).chains == frozenset() and not user_scope(empty).is_everything


@pytest.fixture(scope="module")
def big_district(tmp_path_factory):
    """Thirty firms over four chains and four areas, built once for the property below."""
    from tests.builders import World
    from tracker.chains import init_store
    from tracker.store import get_engine

    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('scope') / 'r.db'}")
    init_store(engine)
    w = World(engine)
    chains, parks, streets = ["BIO", "IC", "DISPLAY", "AUTO"], ["科学城", "知识城", None], ["萝岗街道", "联和街道", None]
    for i in range(30):
        picked = [chains[j] for j in range(4) if (i >> j) & 1] or ["BIO"]
        w.firm(f"F{i}", chains=picked, park=parks[i % 3], street=streets[(i // 3) % 3])
    return engine, w


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chains=st.none() | st.sets(st.sampled_from(["BIO", "IC", "DISPLAY", "AUTO"]), min_size=1),
       areas=st.none() | st.sets(st.sampled_from(["科学城", "知识城", "萝岗街道", "联和街道"]), min_size=1),
       role=st.sampled_from(["editor", "viewer"]))
def test_per_firm_permission_agrees_with_the_scoped_figures(big_district, chains, areas, role):
    """What can_view admits, firm by firm, is exactly the population the dashboard counts."""
    engine, w = big_district
    user = _user(role, chains, areas)
    allowed = {k for k in w.firm_ids if can_view(user, firm=w.firm_ids[k], engine=engine)}
    shown = set(firm_status(engine, date(2025, 1, 1), scope=user_scope(user))["credit_code"])
    assert {w.code(k) for k in allowed} == shown
    editable = {k for k in w.firm_ids if can_edit(user, firm=w.firm_ids[k], engine=engine)}
    assert editable == (allowed if role == "editor" else set())


# --- the demo login -------------------------------------------------------------------


def test_a_real_store_has_no_default_user(engine):
    assert auth.ensure_demo_user(engine) is None
    assert auth.list_users(engine) == [] and auth.demo_credentials(engine) is None
    with pytest.raises(AuthError):
        authenticate(engine, auth.DEMO_USER, auth.DEMO_PASSWORD)


def test_the_synthetic_demo_has_the_documented_login(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        set_info(s, synthetic="true")
    demo = auth.ensure_demo_user(sqlite_engine)
    assert (demo.name, demo.role) == ("demo", "admin")
    assert auth.ensure_demo_user(sqlite_engine).id == demo.id  # idempotent
    assert auth.demo_credentials(sqlite_engine) == ("demo", "redwood-demo")
    assert authenticate(sqlite_engine, "demo", "redwood-demo").user.scope == EVERYTHING
    # Changed password: the login page must not show a password that no longer works.
    auth.set_password(sqlite_engine, "demo", "a private one")
    assert auth.demo_credentials(sqlite_engine) is None
    auth.set_password(sqlite_engine, "demo", auth.DEMO_PASSWORD)
    # Real data replaced the demo: the published password is switched off.
    with session_scope(sqlite_engine) as s:
        set_info(s, synthetic="false")
    assert auth.ensure_demo_user(sqlite_engine) is None
    assert auth.get_user(sqlite_engine, "demo").disabled
    with pytest.raises(AuthError):
        authenticate(sqlite_engine, "demo", "redwood-demo")


# --- the command line -----------------------------------------------------------------


@pytest.fixture
def tracker(sqlite_url, sqlite_engine):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, ["--db", sqlite_url, *args], input=input)
    return invoke


def test_cli_user_add_list_passwd_disable(tracker, sqlite_engine):
    r = tracker("user", "add", "zhang", "--role", "editor", "--chains", "BIO,ic", "--areas",
                "萝岗街道，联和街道", "--password-stdin", input=PW + "\n")
    assert r.exit_code == 0, r.output
    assert "已新增用户 zhang" in r.output and PW not in r.output
    # The prompt: hidden, asked twice.
    r = tracker("user", "add", "boss", "--role", "admin", input=f"{PW}\n{PW}\n")
    assert r.exit_code == 0, r.output
    assert PW not in r.output and "再次输入" in r.output
    r = tracker("user", "add", "typo", "--role", "viewer", input=f"{PW}\nsomething else\n")
    assert r.exit_code != 0 and auth.get_user(sqlite_engine, "typo") is None

    r = tracker("user", "list", "--json")
    users = json.loads(r.output)
    assert [u["name"] for u in users] == ["boss", "zhang"]
    zhang = users[1]
    assert set(zhang) == {"name", "role", "chains", "areas", "scope", "disabled", "locked",
                          "locked_until", "created"}
    assert (zhang["role"], zhang["chains"], zhang["areas"]) == ("editor", ["BIO", "IC"], ["联和街道", "萝岗街道"])
    assert users[0]["chains"] is None and "argon2" not in r.output
    assert authenticate(sqlite_engine, "zhang", PW).user.scope == Scope.of(["BIO", "IC"], ["萝岗街道", "联和街道"])

    r = tracker("user", "list")
    assert "zhang" in r.output and "编辑" in r.output and "正常" in r.output

    r = tracker("user", "passwd", "zhang", "--password-stdin", input="a new password\n")
    assert r.exit_code == 0
    authenticate(sqlite_engine, "zhang", "a new password")
    r = tracker("user", "disable", "zhang")
    assert r.exit_code == 0 and auth.get_user(sqlite_engine, "zhang").disabled
    assert "已停用" in tracker("user", "list").output

    log = entries(sqlite_engine, entity="user")
    assert [e["action"] for e in log] == ["user.add", "user.add", "user.passwd", "user.disable"]
    assert all(e["user"].startswith("cli") for e in log)
    assert PW not in json.dumps(log, ensure_ascii=False, default=str)
    assert "a new password" not in json.dumps(log, ensure_ascii=False, default=str)


@pytest.mark.parametrize("args,needle", [
    (["user", "add", "x", "--role", "admin", "--chains", "BIO"], "管理员的范围是全区"),
    (["user", "add", "x", "--role", "editor", "--chains", "NOPE"], "未知的产业链代码"),
    (["user", "add", "x", "--role", "guest"], "guest"),
    (["user", "disable", "ghost"], "没有名为“ghost”的用户"),
    (["user", "passwd", "ghost", "--password-stdin"], "没有名为“ghost”的用户"),
])
def test_cli_user_errors_are_one_line(sqlite_url, sqlite_engine, capsys, args, needle):
    from tracker.cli import run

    code = run(["--db", sqlite_url, *args])
    out, err = capsys.readouterr()
    assert code != 0 and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_password_stdin_in_a_real_process(sqlite_url, sqlite_engine):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "tracker", "--db", sqlite_url, "user", "add",
                             "wu", "--role", "viewer", "--password-stdin"],
                            input=PW + "\n", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert PW not in result.stdout + result.stderr
    assert authenticate(sqlite_engine, "wu", PW).user.role == "viewer"


def test_cli_password_stdin_must_hold_a_line(tracker, sqlite_engine):
    r = tracker("user", "add", "wu2", "--role", "viewer", "--password-stdin", input="")
    assert r.exit_code != 0 and "没有密码" in str(r.exception)
    assert auth.get_user(sqlite_engine, "wu2") is None
