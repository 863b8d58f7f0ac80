"""The saves of the data page's edit forms: the permission check, then the edit.

Each helper checks the user's permission (:func:`tracker.auth.require_edit`, with its
messages), then makes the edit of :mod:`tracker.edits` with the login name, source
``dashboard`` and the version the form loaded; edits that stand or fall together run in
one transaction (:func:`tracker.store.session_scope`).

Examples
--------
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> firm_record(engine, "91440112MA0000000X") is None, org_record(engine, "P1") is None
(True, True)
>>> edit_org(engine, None, "found", "P1", effective=date(2024, 1, 1), name="一支部")
Traceback (most recent call last):
...
tracker.errors.TrackerError: 请先登录
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .. import auth, edits, uscc
from ..auth import UserInfo
from ..edits import FIRM_FIELDS
from ..model import Assignment, Firm, Liaison, PartyOrg
from ..store import session_scope

__all__ = [
    "SOURCE",
    "edit_add_firm",
    "edit_add_visit",
    "edit_liaison",
    "edit_link",
    "edit_membership",
    "edit_org",
    "edit_record_election",
    "edit_update_firm",
    "firm_officers",
    "firm_record",
    "org_record",
]

#: The source every edit of the dashboard records in the audit log.
SOURCE = "dashboard"


def firm_record(engine: Engine, code: str) -> dict | None:
    """A firm's editable fields and ``version`` as stored now (None when unknown)."""
    with Session(engine) as session:
        row = session.exec(select(Firm).where(Firm.credit_code == uscc.normalize(code))).first()
        return None if row is None else {f: getattr(row, f) for f in FIRM_FIELDS}


def org_record(engine: Engine, code: str) -> dict | None:
    """An organisation's fields and ``version`` as stored now (None when unknown)."""
    with Session(engine) as session:
        row = session.exec(select(PartyOrg).where(PartyOrg.code == uscc.normalize(code))).first()
        if row is None:
            return None
        return {"code": row.code, "name": row.name, "kind": row.kind, "formation": row.formation,
                "founded": row.founded, "dissolved": row.dissolved,
                "member_count": row.member_count, "term_start": row.term_start,
                "term_years": row.term_years, "version": row.version}


def firm_officers(engine: Engine, code: str) -> list[dict]:
    """The officers ever assigned to a firm, each with the periods of the assignment:
    ``name, unit, periods`` (``[(start, end)]``, None for an open end), by name (the visit
    form offers them; :func:`tracker.edits.add_visit` checks the day)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Liaison.name, Liaison.unit, Assignment.start, Assignment.end)
            .join(Assignment, Assignment.liaison_id == Liaison.id)
            .join(Firm, Firm.id == Assignment.firm_id)
            .where(Firm.credit_code == uscc.normalize(code))
            .order_by(Liaison.name, Liaison.unit, Assignment.start)).all()
    out: dict[tuple[str, str], dict] = {}
    for name, unit, start, end in rows:
        out.setdefault((name, unit), {"name": name, "unit": unit, "periods": []})["periods"].append(
            (start, end))
    return list(out.values())


def _require_writer(user: UserInfo | None) -> None:
    """Refuse a user who may change nothing (not logged in, a viewer, a disabled account)."""
    if user is None or user.role == "viewer" or user.disabled:
        raise auth.edit_refused(user)


def _require_place(user: UserInfo, chain: str | None, park: str | None, street: str | None) -> None:
    """A firm placed in ``chain`` and ``park``/``street`` must lie in the user's scope (a
    check :func:`tracker.auth.can_edit` cannot make: the firm is not stored yet)."""
    scope = auth.user_scope(user)
    if scope.chains is not None and (chain is None or chain.upper() not in scope.chains):
        raise auth.edit_refused(user)
    if scope.areas is not None and park not in scope.areas and street not in scope.areas:
        raise auth.edit_refused(user)


def edit_add_firm(engine: Engine, user: UserInfo | None, code: str, name: str, *,
                  effective: date, chain: str | None = None, segment: str = "midstream",
                  chain_master: bool = False, **fields) -> dict:
    """Add a firm (and, with ``chain``, its membership from ``effective``) in one transaction.

    A user scoped by chain must put the new firm in one of their chains, a user scoped by
    area in one of their parks/streets: a firm outside the scope would vanish from their
    view the moment it is saved.
    """
    _require_writer(user)
    _require_place(user, chain, fields.get("park") or None, fields.get("street") or None)
    with session_scope(engine) as session:
        after = edits.add_firm(session, code, name, effective=effective, user=user.name,
                               source=SOURCE, **fields)
        if chain:
            edits.join_chain(session, after["credit_code"], chain, effective, segment=segment,
                             chain_master=chain_master, user=user.name, source=SOURCE)
    return after


def edit_update_firm(engine: Engine, user: UserInfo | None, code: str, version: int, *,
                     effective: date, **changes) -> dict:
    """Update a firm's fields; refused (:class:`tracker.edits.ConflictError`) when its
    version is no longer ``version`` (someone saved since the form was loaded)."""
    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    scope = auth.user_scope(user)
    if scope.areas is not None and ("park" in changes or "street" in changes):
        # Moving the firm out of the user's areas would be an edit outside the scope.
        current = firm_record(engine, code) or {}
        park, street = changes.get("park", current.get("park")), changes.get("street", current.get("street"))
        if park not in scope.areas and street not in scope.areas:
            raise auth.edit_refused(user)
    return edits.update_firm(engine, code, expected_version=version, effective=effective,
                             user=user.name, source=SOURCE, **changes)


def _confirm_firm(session, code: str, version: int | None, user: UserInfo) -> None:
    """Refuse when the firm changed since the form loaded it (same transaction as the edit)."""
    if version is not None:
        edits.update_firm(session, code, expected_version=version, user=user.name, source=SOURCE)


def edit_membership(engine: Engine, user: UserInfo | None, action: str, code: str,
                    version: int | None, chain: str, *, effective: date,
                    segment: str = "midstream", chain_master: bool = False) -> dict:
    """``action`` ``join`` or ``leave``: a firm joins / leaves a chain on ``effective``.

    Allowed to whoever may edit the whole chain, or the firm when the chain is theirs.
    """
    _require_writer(user)
    if not auth.can_edit(user, chain=chain):
        auth.require_edit(user, firm=code, engine=engine)
        scope = auth.user_scope(user)
        if scope.chains is not None and chain.upper() not in scope.chains:
            raise auth.edit_refused(user)
    with session_scope(engine) as session:
        _confirm_firm(session, code, version, user)
        if action == "join":
            return edits.join_chain(session, code, chain, effective, segment=segment,
                                    chain_master=chain_master, user=user.name, source=SOURCE)
        return edits.leave_chain(session, code, chain, effective, user=user.name, source=SOURCE)


def edit_org(engine: Engine, user: UserInfo | None, action: str, code: str, *,
             effective: date, version: int | None = None, name: str = "", kind: str = "branch",
             formation: str = "single", parent: str | None = None, member_count: int = 0) -> dict:
    """``action`` ``found`` (a new organisation) or ``dissolve`` (with the loaded ``version``).

    A new organisation covers no firm yet, so any editor may found it (under a parent they
    may edit); dissolving changes the coverage of every firm it covers: all must be theirs.
    """
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
    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    auth.require_edit(user, org=org_code, engine=engine)
    with session_scope(engine) as session:
        _confirm_firm(session, code, version, user)
        change = edits.link if action == "link" else edits.unlink
        return change(session, org_code, code, effective, user=user.name, source=SOURCE)


def edit_liaison(engine: Engine, user: UserInfo | None, action: str, name: str, unit: str,
                 code: str, version: int | None, *, effective: date,
                 role: str = "liaison") -> dict:
    """``action`` ``assign`` / ``end``: a liaison's assignment to a firm starts / ends."""
    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    with session_scope(engine) as session:
        _confirm_firm(session, code, version, user)
        if action == "assign":
            return edits.assign_liaison(session, name, unit, code, effective, role=role,
                                        user=user.name, source=SOURCE)
        return edits.end_liaison(session, name, unit, code, effective, user=user.name,
                                 source=SOURCE)


def edit_add_visit(engine: Engine, user: UserInfo | None, name: str, unit: str, code: str,
                   day: date, mode: str = "visit", note: str = "") -> dict:
    """Record a visit of an officer (name + unit) to a firm on ``day``
    (:func:`tracker.edits.add_visit`: the import's checks, among them an assignment active
    on that day). Allowed to whoever may edit the firm."""
    _require_writer(user)
    auth.require_edit(user, firm=code, engine=engine)
    return edits.add_visit(engine, name, unit, code, day, mode, note, user=user.name,
                           source=SOURCE)


def edit_record_election(engine: Engine, user: UserInfo | None, org_code: str, term_start: date,
                         term_years: int | None = None, *, version: int | None = None) -> dict:
    """Record a 换届: the organisation's current term starts on ``term_start``
    (:func:`tracker.edits.record_election`; ``term_years`` None keeps the kind's default),
    refused when the organisation changed since the form loaded ``version``. Allowed to
    whoever may edit the organisation (every firm it covers lies in their scope)."""
    _require_writer(user)
    auth.require_edit(user, org=org_code, engine=engine)
    return edits.record_election(engine, org_code, term_start, term_years,
                                 expected_version=version, user=user.name, source=SOURCE)
