"""Users, roles, scopes, password hashing, lockout and login sessions.

Roles
-----
``admin``
    sees and edits everything, manages users, reads the audit log. Always the whole district.
``editor``
    sees and edits within the account's scope.
``viewer``
    sees within the account's scope, edits nothing.

A scope is the whole district, a set of chains, a set of streets/parks, or both (a firm must
then be in one of the chains *and* in one of the areas); it is a :class:`tracker.scope.Scope`
and every figure, list and export of the dashboard is computed with it.

Passwords are hashed with argon2id (``argon2-cffi``) and never logged. After
``max_failures`` consecutive failed logins (default 5) an account is locked for
``lockout`` (default 15 minutes). A login yields a random token (``secrets.token_urlsafe``);
the store keeps only its SHA-256, and the session expires after ``idle`` without use
(default 8 hours). The three settings come from :class:`AuthPolicy`, by default read from
the environment (``TRACKER_AUTH_MAX_FAILURES``, ``TRACKER_AUTH_LOCKOUT_MINUTES``,
``TRACKER_SESSION_IDLE_HOURS``). The argon2 cost is the library's recommended one unless
``TRACKER_ARGON2_TIME_COST`` / ``TRACKER_ARGON2_MEMORY_KIB`` / ``TRACKER_ARGON2_PARALLELISM``
are set; a stored hash is upgraded to the current cost at its next successful login.

Messages for the user do not tell whether an account exists: a wrong name and a wrong
password both give ``用户名或密码错误``.

Examples
--------
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> _ = add_user(engine, "wang", "editor", "a long secret", chains=["BIO"])
>>> login = authenticate(engine, "wang", "a long secret")
>>> resume(engine, login.token).scope == Scope.of(chains=["BIO"])
True
>>> can_edit(login.user, chain="BIO"), can_edit(login.user, chain="IC")
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .chains import check_codes
from .errors import TrackerError
from .model import ChainMembership, Chain, CoverageLink, Firm, PartyOrg, User, UserSession
from .provenance import is_synthetic
from .scope import EVERYTHING, Scope

__all__ = [
    "ROLES",
    "ROLE_LABELS",
    "MIN_PASSWORD_LENGTH",
    "DEMO_USER",
    "DEMO_PASSWORD",
    "AuthError",
    "AuthPolicy",
    "UserInfo",
    "LoginSession",
    "hash_password",
    "validate_scope",
    "add_user",
    "list_users",
    "get_user",
    "set_password",
    "disable_user",
    "enable_user",
    "authenticate",
    "resume",
    "logout",
    "purge_expired_sessions",
    "user_scope",
    "can_view",
    "can_edit",
    "require_edit",
    "edit_refused",
    "can_manage_users",
    "can_view_audit",
    "ensure_demo_user",
    "demo_credentials",
]

ROLES = ("admin", "editor", "viewer")
ROLE_LABELS = {"admin": "管理员", "editor": "编辑", "viewer": "查看"}
MIN_PASSWORD_LENGTH = 8

DEMO_USER = "demo"
DEMO_PASSWORD = "redwood-demo"
"""The documented password of the demo login; it exists only in a synthetic demo store."""

WRONG = "用户名或密码错误"
LOCKED = "登录失败次数过多，账户已暂时锁定，请 {minutes} 分钟后再试或联系管理员"
DISABLED = "账户已停用，请联系管理员"
EXPIRED = "登录已过期，请重新登录"

_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _hasher() -> PasswordHasher:
    """argon2id with the library's recommended cost (RFC 9106 low-memory profile: 3 passes
    over 64 MiB), unless ``TRACKER_ARGON2_TIME_COST`` / ``TRACKER_ARGON2_MEMORY_KIB`` /
    ``TRACKER_ARGON2_PARALLELISM`` say otherwise (a small server may need less; stored
    hashes are upgraded to the current setting at the next successful login)."""
    return _hasher_for(int(_env_number("TRACKER_ARGON2_TIME_COST", 3)),
                       int(_env_number("TRACKER_ARGON2_MEMORY_KIB", 65536)),
                       int(_env_number("TRACKER_ARGON2_PARALLELISM", 4)))


@lru_cache(maxsize=8)
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    try:
        return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    except Exception as exc:  # argon2 refuses impossible parameters
        raise TrackerError(f"argon2 参数无效：{exc}") from None


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, verified when the name is unknown so that a wrong name
    costs as long as a wrong password."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


class AuthError(TrackerError):
    """A login or session is refused; the message is for the user (Chinese).

    ``reason`` is one of ``invalid``, ``locked``, ``disabled``, ``expired`` (for code and
    tests; the message deliberately says no more than the user may know).
    """

    def __init__(self, message: str, reason: str, **values: object):
        super().__init__(message)
        self.reason = reason
        #: What the message says besides the reason (``minutes`` of a lockout), so that a
        #: screen can say it in its own language.
        self.values = values


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TrackerError(f"环境变量 {name} 应为数字，收到“{raw}”") from None
    if value <= 0:
        raise TrackerError(f"环境变量 {name} 应为正数，收到“{raw}”")
    return value


@dataclass(frozen=True)
class AuthPolicy:
    """Lockout and session settings.

    Parameters
    ----------
    max_failures : consecutive failed logins that lock an account
    lockout : how long a locked account stays locked
    idle : a session expires after this long without use
    """

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(hours=8)

    @classmethod
    def from_env(cls) -> "AuthPolicy":
        return cls(
            max_failures=int(_env_number("TRACKER_AUTH_MAX_FAILURES", 5)),
            lockout=timedelta(minutes=_env_number("TRACKER_AUTH_LOCKOUT_MINUTES", 15)),
            idle=timedelta(hours=_env_number("TRACKER_SESSION_IDLE_HOURS", 8)),
        )


@dataclass(frozen=True)
class UserInfo:
    """What the rest of the program knows of an account (never its password hash)."""

    id: int
    name: str
    role: str
    chains: frozenset[str] | None
    areas: frozenset[str] | None
    disabled: bool = False
    locked_until: datetime | None = None
    created: datetime | None = None

    @property
    def scope(self) -> Scope:
        return user_scope(self)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def as_dict(self, now: datetime | None = None) -> dict:
        now = _aware(now)
        return {
            "name": self.name, "role": self.role,
            "chains": sorted(self.chains) if self.chains is not None else None,
            "areas": sorted(self.areas) if self.areas is not None else None,
            "scope": self.scope.describe(),
            "disabled": self.disabled,
            "locked": self.locked_until is not None and self.locked_until > now,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "created": self.created.isoformat() if self.created else None,
        }


@dataclass(frozen=True)
class LoginSession:
    """A successful login: ``token`` goes to the client (never stored in clear)."""

    token: str
    user: UserInfo
    expires: datetime


# --- helpers -------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime:
    """``moment`` (default now) as an aware UTC time; a naive one is taken to be UTC."""
    if moment is None:
        return _utcnow()
    return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _encode_set(values: Iterable[str] | None) -> str | None:
    return None if values is None else json.dumps(sorted(values), ensure_ascii=False)


def _decode_set(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _info(row: User) -> UserInfo:
    return UserInfo(id=row.id, name=row.name, role=row.role, chains=_decode_set(row.chains),
                    areas=_decode_set(row.areas), disabled=row.disabled,
                    locked_until=row.locked_until, created=row.created)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TrackerError("用户名不能为空")
    if len(name) > 100:
        raise TrackerError("用户名不能超过 100 个字符")
    if any(ch.isspace() for ch in name) or "," in name:
        raise TrackerError(f"用户名“{name}”不能包含空格或逗号")
    return name


def _check_password(password: str) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise TrackerError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if not password.strip():
        raise TrackerError("密码不能全是空白")
    if len(password) > 1024:
        raise TrackerError("密码不能超过 1024 个字符")


def hash_password(password: str) -> str:
    """The argon2id hash of a password (checked for minimum length first)."""
    _check_password(password)
    return _hasher().hash(password)


def validate_scope(engine: Engine, role: str, chains: Iterable[str] | None,
                   areas: Iterable[str] | None) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Check a role and scope (known role, known chain codes, no scope for an admin);
    returns ``(chains, areas)`` as sets, ``None`` for no restriction."""
    if role not in ROLES:
        raise TrackerError(f"未知的角色“{role}”，可选：{'、'.join(ROLES)}")
    chains = [c.strip().upper() for c in chains if c.strip()] if chains else None
    areas = [a.strip() for a in areas if a.strip()] if areas else None
    if role == "admin" and (chains or areas):
        raise TrackerError("管理员的范围是全区，不能限定产业链或区域")
    check_codes(engine, chains)
    return (frozenset(chains) if chains else None), (frozenset(areas) if areas else None)


def _row(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def _require(session: Session, name: str) -> User:
    row = _row(session, name)
    if row is None:
        raise TrackerError(f"没有名为“{name}”的用户")
    return row


# --- user management -----------------------------------------------------------------


def add_user(engine: Engine, name: str, role: str, password: str,
             chains: Iterable[str] | None = None, areas: Iterable[str] | None = None) -> UserInfo:
    """Create an account.

    Parameters
    ----------
    name : unique login name (no spaces or commas)
    role : ``admin``, ``editor`` or ``viewer``
    password : at least :data:`MIN_PASSWORD_LENGTH` characters; only its hash is stored
    chains, areas : the scope; ``None`` or empty = no restriction on that axis. Chain codes
        must exist in the store. An admin cannot be restricted.
    """
    name = _clean_name(name)
    chain_set, area_set = validate_scope(engine, role, chains, areas)
    password_hash = hash_password(password)
    with Session(engine) as session:
        if _row(session, name) is not None:
            raise TrackerError(f"用户“{name}”已存在")
        row = User(name=name, role=role, chains=_encode_set(chain_set),
                   areas=_encode_set(area_set), password_hash=password_hash,
                   created=_utcnow())
        session.add(row)
        try:
            session.commit()
        except sa.exc.IntegrityError:  # a concurrent add of the same name
            raise TrackerError(f"用户“{name}”已存在") from None
        session.refresh(row)
        return _info(row)


def list_users(engine: Engine) -> list[UserInfo]:
    """All accounts, by name."""
    with Session(engine) as session:
        return [_info(r) for r in session.exec(select(User).order_by(User.name))]


def get_user(engine: Engine, name: str) -> UserInfo | None:
    with Session(engine) as session:
        row = _row(session, name)
        return None if row is None else _info(row)


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))


def set_password(engine: Engine, name: str, password: str) -> UserInfo:
    """Replace a password; clears a lockout and ends the account's open sessions."""
    password_hash = hash_password(password)
    with Session(engine) as session:
        row = _require(session, name)
        row.password_hash = password_hash
        row.failed_attempts = 0
        row.locked_until = None
        session.add(row)
        _end_sessions(session, row.id)
        session.commit()
        session.refresh(row)
        return _info(row)


def disable_user(engine: Engine, name: str) -> UserInfo:
    """Disable an account and end its sessions at once (the account and its history stay)."""
    with Session(engine) as session:
        row = _require(session, name)
        row.disabled = True
        session.add(row)
        _end_sessions(session, row.id)
        session.commit()
        session.refresh(row)
        return _info(row)


def enable_user(engine: Engine, name: str) -> UserInfo:
    with Session(engine) as session:
        row = _require(session, name)
        row.disabled = False
        row.failed_attempts = 0
        row.locked_until = None
        session.add(row)
        session.commit()
        session.refresh(row)
        return _info(row)


# --- login and sessions --------------------------------------------------------------


def _verify(password_hash: str, password: str) -> bool:
    try:
        # The parameters are read from the hash itself: old hashes stay valid.
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(engine: Engine, name: str, password: str, *, policy: AuthPolicy | None = None,
                 now: datetime | None = None) -> LoginSession:
    """Check a name and password and open a session, or raise :class:`AuthError`.

    A locked account is refused whatever the password (so a guess cannot be confirmed
    during the lockout). A failure counts against the account; the ``max_failures``-th
    consecutive one locks it for ``lockout``. A success resets the count.

    Returns
    -------
    LoginSession
        ``token`` to keep on the client and hand to :func:`resume` on each request.
    """
    policy = policy or AuthPolicy.from_env()
    now = _aware(now)
    name = (name or "").strip()
    password = password or ""
    with Session(engine) as session:
        row = _row(session, name) if name else None
        if row is None:
            _verify(_dummy_hash(_hasher()), password)  # same cost as a real check
            raise AuthError(WRONG, "invalid")
        if row.locked_until is not None and row.locked_until > now:
            minutes = max(1, -(-int((row.locked_until - now).total_seconds()) // 60))
            raise AuthError(LOCKED.format(minutes=minutes), "locked", minutes=minutes)
        if not _verify(row.password_hash, password):
            # Count in SQL so that two simultaneous wrong guesses both count.
            session.execute(sa.update(User).where(User.id == row.id)
                            .values(failed_attempts=User.failed_attempts + 1))
            session.commit()
            session.refresh(row)
            if row.failed_attempts >= policy.max_failures:
                row.locked_until = now + policy.lockout
                row.failed_attempts = 0
                session.add(row)
                session.commit()
                minutes = max(1, int(policy.lockout.total_seconds() // 60))
                raise AuthError(LOCKED.format(minutes=minutes), "locked", minutes=minutes)
            raise AuthError(WRONG, "invalid")
        if row.disabled:
            raise AuthError(DISABLED, "disabled")
        if _hasher().check_needs_rehash(row.password_hash):
            row.password_hash = _hasher().hash(password)
        row.failed_attempts = 0
        row.locked_until = None
        session.add(row)
        token = secrets.token_urlsafe(32)
        expires = now + policy.idle
        session.add(UserSession(token_hash=_token_hash(token), user_id=row.id, created=now,
                                last_seen=now, expires=expires))
        # Expired sessions are of no use; drop them while we write anyway.
        session.execute(sa.delete(UserSession).where(UserSession.expires <= now))
        session.commit()
        session.refresh(row)
        return LoginSession(token=token, user=_info(row), expires=expires)


def resume(engine: Engine, token: str | None, *, policy: AuthPolicy | None = None,
           now: datetime | None = None) -> UserInfo:
    """The user of a session token, extending its idle expiry; :class:`AuthError` if expired.

    A token that is unknown, expired, logged out, or whose account was disabled since gives
    ``登录已过期，请重新登录``.
    """
    policy = policy or AuthPolicy.from_env()
    now = _aware(now)
    if not token:
        raise AuthError(EXPIRED, "expired")
    with Session(engine) as session:
        found = session.exec(
            select(UserSession, User).join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _token_hash(token))).first()
        if found is None:
            raise AuthError(EXPIRED, "expired")
        login, row = found
        if login.expires <= now or row.disabled:
            session.delete(login)
            session.commit()
            raise AuthError(EXPIRED, "expired")
        # The dashboard calls this on every rerun: write at most once a minute.
        if now - login.last_seen >= timedelta(minutes=1):
            login.last_seen = now
            login.expires = now + policy.idle
            session.add(login)
            session.commit()
            session.refresh(row)
        return _info(row)


def logout(engine: Engine, token: str | None) -> None:
    """End a session (nothing happens for an unknown token)."""
    if not token:
        return
    with engine.begin() as conn:
        conn.execute(sa.delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def purge_expired_sessions(engine: Engine, now: datetime | None = None) -> int:
    """Delete expired sessions; returns how many."""
    now = _aware(now)
    with engine.begin() as conn:
        return conn.execute(sa.delete(UserSession).where(UserSession.expires <= now)).rowcount


# --- permissions ---------------------------------------------------------------------


def user_scope(user: UserInfo | User) -> Scope:
    """The part of the district a user may see (and, for an editor, change).

    An admin sees everything; others see their chains and/or areas.
    """
    if user.role == "admin":
        return EVERYTHING
    chains, areas = user.chains, user.areas
    if isinstance(chains, str) or isinstance(areas, str):  # a table row: JSON text
        chains, areas = _decode_set(chains), _decode_set(areas)
    # Built directly, not with Scope.of: an empty set must stay a restriction to nothing.
    return Scope(
        chains=None if chains is None else frozenset(c.strip().upper() for c in chains),
        areas=None if areas is None else frozenset(a.strip() for a in areas),
    )


def _firm_in_scope(session: Session, scope: Scope, firm) -> bool:
    if isinstance(firm, Firm):
        row = firm
        if row.id is not None:
            row = session.get(Firm, row.id) or firm
    elif isinstance(firm, int):
        row = session.get(Firm, firm)
    else:
        row = session.exec(select(Firm).where(Firm.credit_code == str(firm).strip().upper())).first()
    if row is None:
        return False
    if scope.areas is not None and row.park not in scope.areas and row.street not in scope.areas:
        return False
    if scope.chains is None:
        return True
    if row.id is None:
        return False
    # Any membership, past or present: an editor may correct the history of a chain's firm.
    codes = session.exec(select(Chain.code).join(ChainMembership, ChainMembership.chain_id == Chain.id)
                         .where(ChainMembership.firm_id == row.id)).all()
    return bool(set(codes) & scope.chains)


def _org_in_scope(session: Session, scope: Scope, org) -> bool:
    if isinstance(org, PartyOrg):
        org_id = org.id
    elif isinstance(org, int):
        org_id = org
    else:
        org_id = session.exec(select(PartyOrg.id).where(PartyOrg.code == str(org).strip())).first()
    if org_id is None:
        return False
    firm_ids = set(session.exec(select(CoverageLink.firm_id).where(CoverageLink.org_id == org_id)).all())
    # An organisation changes the coverage of every firm it covers: a scoped user may touch
    # it only when all of them are theirs (one that covers no firm yet is anybody's).
    return all(_firm_in_scope(session, scope, f) for f in firm_ids)


def _in_scope(user, engine, firm, chain, area, org) -> bool:
    scope = user_scope(user)
    if scope.is_everything:
        return True
    targets = [t for t in (firm, chain, area, org) if t is not None]
    if len(targets) != 1:
        raise ValueError("can_view/can_edit 需要且只需要 firm、chain、area、org 之一")
    if chain is not None:
        code = str(chain).strip().upper()
        # Only a user restricted by chain alone holds a whole chain.
        return scope.areas is None and code in scope.chains
    if area is not None:
        return scope.chains is None and str(area).strip() in scope.areas
    if engine is None:
        raise ValueError("判断企业或党组织是否在范围内需要 engine")
    with Session(engine) as session:
        if firm is not None:
            return _firm_in_scope(session, scope, firm)
        return _org_in_scope(session, scope, org)


def can_view(user: UserInfo | User | None, *, firm=None, chain: str | None = None,
             area: str | None = None, org=None, engine: Engine | None = None) -> bool:
    """Whether ``user`` may see one firm, chain, area or party organisation.

    ``firm`` is a :class:`Firm`, its id or credit code; ``org`` a :class:`PartyOrg`, its id
    or code (both need ``engine``). A chain (an area) is wholly visible only to a user whose
    scope contains it and is not narrowed on the other axis.
    """
    if user is None or getattr(user, "disabled", False):
        return False
    return _in_scope(user, engine, firm, chain, area, org)


def can_edit(user: UserInfo | User | None, *, firm=None, chain: str | None = None,
             area: str | None = None, org=None, engine: Engine | None = None) -> bool:
    """Whether ``user`` may change one firm, chain, area or party organisation.

    Admins may change everything; editors what lies within their scope; viewers nothing.

    Examples
    --------
    >>> u = UserInfo(id=1, name="li", role="editor", chains=frozenset({"BIO"}), areas=None)
    >>> can_edit(u, chain="BIO"), can_edit(u, chain="IC")
    (True, False)
    """
    if user is None or getattr(user, "disabled", False) or user.role == "viewer":
        return False
    return _in_scope(user, engine, firm, chain, area, org)


def require_edit(user: UserInfo | User | None, *, firm=None, chain: str | None = None,
                 area: str | None = None, org=None, engine: Engine | None = None) -> None:
    """Raise :class:`TrackerError` with a message for the user unless :func:`can_edit` allows.

    Call it in the save handler, next to the ``expected_version`` of the edit.
    """
    if can_edit(user, firm=firm, chain=chain, area=area, org=org, engine=engine):
        return
    raise edit_refused(user)


def edit_refused(user: UserInfo | User | None) -> TrackerError:
    """The error of a refused edit, for :func:`require_edit` and for checks it cannot make
    (where a new firm is placed): not logged in, a viewer, or outside the user's scope."""
    if user is None:
        return TrackerError("请先登录")
    if user.role == "viewer":
        return TrackerError("您的账户只有查看权限，不能修改数据")
    return TrackerError(f"此记录不在您的权限范围内（{user_scope(user).describe()}），不能修改")


def can_manage_users(user: UserInfo | User | None) -> bool:
    return user is not None and not getattr(user, "disabled", False) and user.role == "admin"


def can_view_audit(user: UserInfo | User | None) -> bool:
    """Only admins read the audit log (issue 7)."""
    return can_manage_users(user)


# --- the demo login ------------------------------------------------------------------


def ensure_demo_user(engine: Engine) -> UserInfo | None:
    """Make sure the synthetic demo store has its documented login (``demo`` / ``redwood-demo``).

    Only a store whose provenance says ``synthetic`` gets it. In any other store an account
    ``demo`` that still has the documented password is disabled (a store that was once the
    demo and now holds real data must not keep a published password); returns ``None``.
    """
    if not is_synthetic(engine):
        with Session(engine) as session:
            row = _row(session, DEMO_USER)
            if row is not None and not row.disabled and _verify(row.password_hash, DEMO_PASSWORD):
                row.disabled = True
                session.add(row)
                _end_sessions(session, row.id)
                session.commit()
        return None
    existing = get_user(engine, DEMO_USER)
    if existing is not None:
        return existing
    try:
        return add_user(engine, DEMO_USER, "admin", DEMO_PASSWORD)
    except TrackerError:  # created meanwhile by another dashboard session
        return get_user(engine, DEMO_USER)


def demo_credentials(engine: Engine) -> tuple[str, str] | None:
    """``(name, password)`` to show on the login page, only for the synthetic demo store."""
    if not is_synthetic(engine):
        return None
    with Session(engine) as session:
        row = _row(session, DEMO_USER)
        # Shown only while it is true: an admin may have changed the demo password.
        if row is None or row.disabled or not _verify(row.password_hash, DEMO_PASSWORD):
            return None
    return DEMO_USER, DEMO_PASSWORD
