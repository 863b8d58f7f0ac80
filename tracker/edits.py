"""Edits with history: the one way the CLI and the dashboard change the store by hand.

Every function takes the store (an ``Engine``, committed at once, or a ``Session``,
flushed into the caller's transaction), the facts, an ``effective`` date, the ``user``
and the ``source`` (``cli`` or the page), and writes one audit entry with the state
before and after.

Nothing is overwritten without trace, and the coverage on any past date stays what it
was (time travel):

- Dated facts (a firm in a chain, an organisation, a coverage link, a liaison
  assignment) are intervals ``[start, end)``. An ordinary edit only **opens** a new
  interval at the effective date (refused when it would overlap one already recorded)
  or **closes** an open one there (the end is the first day the fact no longer holds).
  Leaving a chain sets ``left``; nothing is ever deleted.
- A **correction** (``correct=True``; ``--correction`` on the command line) changes a
  date already recorded (the start of the latest interval for ``join``/``found``/
  ``link``/``assign``, its end for ``leave``/``dissolve``/``unlink``/``end``), because the
  record was wrong, not because the world changed. It is logged with kind
  ``correction``.
- Firms, organisations and liaisons carry a ``version``, raised by every update. Update
  functions take ``expected_version``: when it no longer matches, someone else saved in
  between and the edit is refused (optimistic concurrency).

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> add_firm(engine, "91350100M000100Y43", "甲公司")["version"]
1
>>> join_chain(engine, "91350100M000100Y43", "BIO", date(2024, 1, 1))["joined"]
'2024-01-01'
>>> leave_chain(engine, "91350100M000100Y43", "BIO", date(2024, 6, 1))["left"]
'2024-06-01'
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from . import uscc
from .audit import record
from .errors import TrackerError
from .i18n import both, t
from .intervals import check_order, is_active
from .model import Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg, Visit
from .store import session_scope
from .terms import DEFAULT_TERM_YEARS
from .vocab import FORMATION, LIAISON_ROLE, ORG_KIND, OWNERSHIP, SEGMENT, VISIT_MODE

__all__ = [
    "TERM_YEARS_RANGE",
    "ConflictError",
    "add_firm",
    "add_visit",
    "assign_liaison",
    "assignment_periods",
    "dissolve_org",
    "end_liaison",
    "found_org",
    "join_chain",
    "leave_chain",
    "link",
    "parse_term_years",
    "parse_visit_mode",
    "periods_text",
    "record_election",
    "unlink",
    "update_firm",
    "update_liaison",
    "update_org",
]


class ConflictError(TrackerError):
    """The record changed since the editor read it (optimistic concurrency)."""


@contextmanager
def _session(target):
    if isinstance(target, Session):
        yield target
        target.flush()
        return
    if not isinstance(target, Engine):
        raise TypeError("需要数据库引擎（Engine）或会话（Session）")
    with session_scope(target) as session:
        yield session


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def _plain(obj, fields) -> dict:
    return {f: _iso(getattr(obj, f)) for f in fields}


FIRM_FIELDS = ("credit_code", "name", "ownership", "above_size", "park", "street",
               "formal_members", "probationary_members", "version")
ORG_FIELDS = ("code", "name", "kind", "formation", "parent", "founded", "dissolved",
              "member_count", "version")


def _log(session, action, entity, key, before, after, *, correct, user, source, effective):
    record(session, action=action, entity=entity, key=key, before=before, after=after,
           kind="correction" if correct else "edit", user=user, source=source,
           effective=effective)


def _check_version(obj, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise ConflictError(f"该记录已被他人修改（当前版本 {obj.version}，您编辑的是版本 {expected}），"
                            "请刷新后重试")


def _bump_version(session, obj, read_version: int, *, bump: bool = True) -> None:
    """Raise ``obj``'s version in the same statement that checks it.

    A check in Python alone is not enough: two editors who read the same version both
    pass it, and the second overwrites the first once its lock is granted. Here the
    UPDATE matches only while the row still has the version this editor read, so exactly
    one of them wins and the other gets :class:`ConflictError` and a rollback. On SQLite a
    writer whose snapshot went stale is refused with "database is locked": the same
    conflict. With ``bump=False`` the row is only confirmed (a save that changes nothing
    must still be refused when someone else saved in between).
    """
    model = type(obj)
    statement = (sa.update(model)
                 .where(model.id == obj.id, model.version == read_version)
                 .values(version=read_version + (1 if bump else 0))
                 .execution_options(synchronize_session=False))
    try:
        session.flush()
        matched = session.execute(statement).rowcount
    except sa.exc.OperationalError as exc:
        if "locked" not in str(exc.orig):
            raise
        matched = 0
    if matched != 1:
        raise ConflictError("该记录已被他人修改（保存时版本已变化），请刷新后重试")
    set_committed_value(obj, "version", read_version + (1 if bump else 0))


def _firm(session, credit_code) -> Firm:
    code = uscc.normalize(credit_code)
    firm = session.exec(select(Firm).where(Firm.credit_code == code)).first()
    if firm is None:
        raise TrackerError(f"企业不存在：{code}")
    return firm


def _chain(session, chain) -> Chain:
    key = str(chain).strip()
    found = session.exec(select(Chain).where(sa.or_(Chain.code == key.upper(),
                                                     Chain.name_zh == key))).first()
    if found is None:
        raise TrackerError(f"未知的产业链：{key}（运行 `tracker chains` 查看）")
    return found


def _org(session, code) -> PartyOrg:
    key = uscc.normalize(code)
    org = session.exec(select(PartyOrg).where(PartyOrg.code == key)).first()
    if org is None:
        raise TrackerError(f"党组织不存在：{key}")
    return org


def _liaison(session, name, unit) -> Liaison:
    found = session.exec(select(Liaison).where(Liaison.name == name.strip(),
                                               Liaison.unit == unit.strip())).first()
    if found is None:
        raise TrackerError(f"联络员不存在：{name}（{unit}）")
    return found


def _order(start, end) -> None:
    try:
        check_order(start, end)
    except ValueError as exc:
        raise TrackerError(str(exc)) from None


def _count(value, what: str) -> int:
    value = int(value)
    if value < 0:
        raise TrackerError(f"{what}不能为负数")
    return value


def _org_dict(session, org: PartyOrg) -> dict:
    out = _plain(org, [f for f in ORG_FIELDS if f != "parent"])
    out["parent"] = session.get(PartyOrg, org.parent_id).code if org.parent_id else None
    return out


# --------------------------------------------------------------------------- firms


def _firm_values(changes: dict) -> dict:
    out = {}
    for key, value in changes.items():
        if key == "name":
            value = str(value).strip()
            if not value:
                raise TrackerError("企业名称不能为空")
        elif key == "ownership":
            value = OWNERSHIP.parse(value)
        elif key == "above_size":
            value = bool(value)
        elif key in ("park", "street"):
            value = (str(value).strip() or None) if value is not None else None
        elif key in ("formal_members", "probationary_members"):
            value = _count(value, "党员数")
        else:
            raise TrackerError(f"不能修改的企业字段：{key}")
        out[key] = value
    return out


def add_firm(target, credit_code: str, name: str, *, effective: date | None = None,
             ownership: str = "private", above_size: bool = False, park: str | None = None,
             street: str | None = None, formal_members: int = 0, probationary_members: int = 0,
             user: str = "cli", source: str = "cli") -> dict:
    """Add a firm (refused when its credit code is already in the store); returns its state."""
    try:
        code = uscc.validate(credit_code)
    except uscc.InvalidCode as exc:
        raise TrackerError(str(exc)) from None
    values = _firm_values(dict(name=name, ownership=ownership, above_size=above_size, park=park,
                               street=street, formal_members=formal_members,
                               probationary_members=probationary_members))
    with _session(target) as session:
        if session.exec(select(Firm).where(Firm.credit_code == code)).first() is not None:
            raise TrackerError(f"企业已存在：{code}（修改请用 update）")
        firm = Firm(credit_code=code, version=1, **values)
        session.add(firm)
        session.flush()
        after = _plain(firm, FIRM_FIELDS)
        _log(session, "firm.add", "firm", code, None, after, correct=False, user=user,
             source=source, effective=effective)
    return after


def update_firm(target, credit_code: str, *, expected_version: int | None = None,
                effective: date | None = None, correct: bool = False, user: str = "cli",
                source: str = "cli", **changes) -> dict:
    """Change a firm's fields (``name``, ``ownership``, ``above_size``, ``park``, ``street``,
    ``formal_members``, ``probationary_members``); raises :class:`ConflictError` when
    ``expected_version`` is stale. Returns the new state."""
    values = _firm_values(changes)
    with _session(target) as session:
        firm = _firm(session, credit_code)
        _check_version(firm, expected_version)
        read_version = firm.version
        changed = {k: v for k, v in values.items() if getattr(firm, k) != v}
        if not changed:
            if expected_version is not None:
                _bump_version(session, firm, read_version, bump=False)
            return _plain(firm, FIRM_FIELDS)
        before = {k: _iso(getattr(firm, k)) for k in changed}
        for k, v in changed.items():
            setattr(firm, k, v)
        _bump_version(session, firm, read_version)
        session.add(firm)
        session.flush()
        _log(session, "firm.update", "firm", firm.credit_code, {**before, "version": firm.version - 1},
             {**{k: _iso(v) for k, v in changed.items()}, "version": firm.version},
             correct=correct, user=user, source=source, effective=effective)
        return _plain(firm, FIRM_FIELDS)


# --------------------------------------------------------------------------- intervals


def _latest(rows, start_attr):
    """The interval that started last (an open start counts as earliest)."""
    return max(rows, key=lambda r: (getattr(r, start_attr) is not None,
                                    getattr(r, start_attr) or date.min, r.id), default=None)


def _overlapping(rows, start: date, end_attr: str):
    """Rows that are still open at ``start`` or end after it: a new [start, ∞) would overlap."""
    return [r for r in rows if getattr(r, end_attr) is None or getattr(r, end_attr) > start]


def _open(session, rows, start_attr, end_attr, effective, correct, make, what):
    """Open a new interval at ``effective``, or (correction) move the latest start there."""
    if correct:
        row = _latest(rows, start_attr)
        if row is None:
            raise TrackerError(f"没有可更正的{what}记录")
        before = getattr(row, start_attr)
        _order(effective, getattr(row, end_attr))
        setattr(row, start_attr, effective)
        session.add(row)
        session.flush()
        return row, {start_attr: _iso(before)}
    if _overlapping(rows, effective, end_attr):
        raise TrackerError(f"{what}在 {effective} 时已有记录（与现有时段重叠）；更正过去的记录请用 --correction")
    row = make()
    session.add(row)
    session.flush()
    return row, None


def _close(session, rows, start_attr, end_attr, effective, correct, what):
    """Close the interval open before ``effective``, or (correction) move the latest end."""
    if correct:
        row = _latest(rows, start_attr)
        if row is None:
            raise TrackerError(f"没有可更正的{what}记录")
    else:
        candidates = [r for r in rows if getattr(r, end_attr) is None
                      and (getattr(r, start_attr) is None or getattr(r, start_attr) < effective)]
        if not candidates:
            raise TrackerError(f"{effective} 之前没有正在进行的{what}记录")
        row = _latest(candidates, start_attr)
    before = getattr(row, end_attr)
    _order(getattr(row, start_attr), effective)
    setattr(row, end_attr, effective)
    session.add(row)
    session.flush()
    return row, {end_attr: _iso(before)}


def _membership_dict(m: ChainMembership, chain: Chain) -> dict:
    return {"chain": chain.code, "segment": m.segment, "is_chain_master": m.is_chain_master,
            "joined": _iso(m.joined), "left": _iso(m.left)}


def join_chain(target, credit_code: str, chain: str, effective: date, *,
               segment: str = "midstream", chain_master: bool = False, correct: bool = False,
               user: str = "cli", source: str = "cli") -> dict:
    """Record a firm joining a chain on ``effective`` (or correct the latest join date)."""
    segment = SEGMENT.parse(segment)
    with _session(target) as session:
        firm, ch = _firm(session, credit_code), _chain(session, chain)
        rows = session.exec(select(ChainMembership).where(
            ChainMembership.firm_id == firm.id, ChainMembership.chain_id == ch.id)).all()
        row, before = _open(session, rows, "joined", "left", effective, correct,
                            lambda: ChainMembership(firm_id=firm.id, chain_id=ch.id,
                                                    segment=segment, is_chain_master=chain_master,
                                                    joined=effective), "入链")
        after = _membership_dict(row, ch)
        _log(session, "membership.join", "chain_membership",
             f"{firm.credit_code}/{ch.code}/{after['joined'] or ''}", before, after,
             correct=correct, user=user, source=source, effective=effective)
        return after


def leave_chain(target, credit_code: str, chain: str, effective: date, *, correct: bool = False,
                user: str = "cli", source: str = "cli") -> dict:
    """Record a firm leaving a chain on ``effective`` (sets ``left``; never deletes)."""
    with _session(target) as session:
        firm, ch = _firm(session, credit_code), _chain(session, chain)
        rows = session.exec(select(ChainMembership).where(
            ChainMembership.firm_id == firm.id, ChainMembership.chain_id == ch.id)).all()
        row, before = _close(session, rows, "joined", "left", effective, correct, "入链")
        after = _membership_dict(row, ch)
        _log(session, "membership.leave", "chain_membership",
             f"{firm.credit_code}/{ch.code}/{after['joined'] or ''}", before, after,
             correct=correct, user=user, source=source, effective=effective)
        return after


# --------------------------------------------------------------------------- organisations


def _parent_id(session, org: PartyOrg | None, parent: str | None) -> int | None:
    if parent is None or not str(parent).strip():
        return None
    parent_org = _org(session, parent)
    # Walk up from the new parent: meeting the organisation itself would close a cycle.
    seen, current = set(), parent_org
    while current is not None and current.id not in seen:
        if org is not None and current.id == org.id:
            raise TrackerError(f"上级党组织关系形成循环：{org.code} → {parent_org.code}")
        seen.add(current.id)
        current = session.get(PartyOrg, current.parent_id) if current.parent_id else None
    return parent_org.id


def found_org(target, code: str, name: str, effective: date, *, kind: str = "branch",
              formation: str = "single", parent: str | None = None, member_count: int = 0,
              correct: bool = False, user: str = "cli", source: str = "cli") -> dict:
    """Record an organisation founded on ``effective`` (or correct its founding date)."""
    key = uscc.normalize(code)
    if not key:
        raise TrackerError("党组织代码不能为空")
    with _session(target) as session:
        existing = session.exec(select(PartyOrg).where(PartyOrg.code == key)).first()
        if correct:
            if existing is None:
                raise TrackerError(f"党组织不存在：{key}")
            before = _org_dict(session, existing)
            _order(effective, existing.dissolved)
            existing.founded = effective
            _bump_version(session, existing, before["version"])
            session.add(existing)
            session.flush()
            after = _org_dict(session, existing)
            _log(session, "org.found", "party_org", key, before, after, correct=True, user=user,
                 source=source, effective=effective)
            return after
        if existing is not None:
            raise TrackerError(f"党组织已存在：{key}（更正成立日期请用 --correction）")
        if not str(name).strip():
            raise TrackerError("党组织名称不能为空")
        org = PartyOrg(code=key, name=str(name).strip(), kind=ORG_KIND.parse(kind),
                       formation=FORMATION.parse(formation), founded=effective,
                       member_count=_count(member_count, "党员数"),
                       parent_id=_parent_id(session, None, parent), version=1)
        session.add(org)
        session.flush()
        after = _org_dict(session, org)
        _log(session, "org.found", "party_org", key, None, after, correct=False, user=user,
             source=source, effective=effective)
        return after


def update_org(target, code: str, *, expected_version: int | None = None,
               effective: date | None = None, correct: bool = False, user: str = "cli",
               source: str = "cli", **changes) -> dict:
    """Change ``name``, ``kind``, ``formation``, ``parent`` (a code) or ``member_count``."""
    with _session(target) as session:
        org = _org(session, code)
        _check_version(org, expected_version)
        read_version = org.version
        before = _org_dict(session, org)
        for key, value in changes.items():
            if key == "name":
                if not str(value).strip():
                    raise TrackerError("党组织名称不能为空")
                org.name = str(value).strip()
            elif key == "kind":
                org.kind = ORG_KIND.parse(value)
            elif key == "formation":
                org.formation = FORMATION.parse(value)
            elif key == "parent":
                org.parent_id = _parent_id(session, org, value)
            elif key == "member_count":
                org.member_count = _count(value, "党员数")
            else:
                raise TrackerError(f"不能修改的党组织字段：{key}")
        after = _org_dict(session, org)
        if after == before:
            if expected_version is not None:
                _bump_version(session, org, read_version, bump=False)
            return after
        _bump_version(session, org, read_version)
        session.add(org)
        session.flush()
        after = _org_dict(session, org)
        changed = [k for k in after if after[k] != before[k]]
        _log(session, "org.update", "party_org", org.code, {k: before[k] for k in changed},
             {k: after[k] for k in changed}, correct=correct, user=user, source=source,
             effective=effective)
        return after


def dissolve_org(target, code: str, effective: date, *, expected_version: int | None = None,
                 correct: bool = False, user: str = "cli", source: str = "cli") -> dict:
    """Record an organisation dissolved on ``effective`` (its links stay, it stops covering)."""
    with _session(target) as session:
        org = _org(session, code)
        _check_version(org, expected_version)
        read_version = org.version
        if org.dissolved is not None and not correct:
            raise TrackerError(f"党组织已于 {org.dissolved} 撤销；更正日期请用 --correction")
        _order(org.founded, effective)
        before = _org_dict(session, org)
        org.dissolved = effective
        _bump_version(session, org, read_version)
        session.add(org)
        session.flush()
        after = _org_dict(session, org)
        _log(session, "org.dissolve", "party_org", org.code, before, after, correct=correct,
             user=user, source=source, effective=effective)
        return after


# --------------------------------------------------------------------------- coverage links


def _link_dict(link_row: CoverageLink, org: PartyOrg, firm: Firm) -> dict:
    return {"org": org.code, "firm": firm.credit_code, "start": _iso(link_row.start),
            "end": _iso(link_row.end)}


def link(target, org_code: str, credit_code: str, effective: date, *, correct: bool = False,
         user: str = "cli", source: str = "cli") -> dict:
    """Record that an organisation covers a firm from ``effective``."""
    with _session(target) as session:
        org, firm = _org(session, org_code), _firm(session, credit_code)
        rows = session.exec(select(CoverageLink).where(CoverageLink.org_id == org.id,
                                                       CoverageLink.firm_id == firm.id)).all()
        row, before = _open(session, rows, "start", "end", effective, correct,
                            lambda: CoverageLink(org_id=org.id, firm_id=firm.id, start=effective),
                            "覆盖关系")
        after = _link_dict(row, org, firm)
        _log(session, "link.add", "coverage_link", f"{org.code}/{firm.credit_code}/{after['start'] or ''}",
             before, after, correct=correct, user=user, source=source, effective=effective)
        return after


def unlink(target, org_code: str, credit_code: str, effective: date, *, correct: bool = False,
           user: str = "cli", source: str = "cli") -> dict:
    """End an organisation's coverage of a firm on ``effective``."""
    with _session(target) as session:
        org, firm = _org(session, org_code), _firm(session, credit_code)
        rows = session.exec(select(CoverageLink).where(CoverageLink.org_id == org.id,
                                                       CoverageLink.firm_id == firm.id)).all()
        row, before = _close(session, rows, "start", "end", effective, correct, "覆盖关系")
        after = _link_dict(row, org, firm)
        _log(session, "link.end", "coverage_link", f"{org.code}/{firm.credit_code}/{after['start'] or ''}",
             before, after, correct=correct, user=user, source=source, effective=effective)
        return after


# --------------------------------------------------------------------------- liaisons


def _assignment_dict(a: Assignment, person: Liaison, firm: Firm) -> dict:
    return {"liaison": person.name, "unit": person.unit, "role": person.role,
            "firm": firm.credit_code, "start": _iso(a.start), "end": _iso(a.end)}


def assign_liaison(target, name: str, unit: str, credit_code: str, effective: date, *,
                   role: str = "liaison", correct: bool = False, user: str = "cli",
                   source: str = "cli") -> dict:
    """Assign a liaison (created when new: a person is name + unit) to a firm from ``effective``."""
    name, unit = str(name).strip(), str(unit).strip()
    if not name or not unit:
        raise TrackerError("联络员姓名和派出单位不能为空")
    role = LIAISON_ROLE.parse(role)
    with _session(target) as session:
        firm = _firm(session, credit_code)
        person = session.exec(select(Liaison).where(Liaison.name == name,
                                                    Liaison.unit == unit)).first()
        if person is None:
            if correct:
                raise TrackerError(f"联络员不存在：{name}（{unit}）")
            person = Liaison(name=name, unit=unit, role=role, version=1)
            session.add(person)
            session.flush()
            _log(session, "liaison.add", "liaison", f"{name}@{unit}", None, {"role": role},
                 correct=False, user=user, source=source, effective=effective)
        rows = session.exec(select(Assignment).where(Assignment.liaison_id == person.id,
                                                     Assignment.firm_id == firm.id)).all()
        row, before = _open(session, rows, "start", "end", effective, correct,
                            lambda: Assignment(liaison_id=person.id, firm_id=firm.id,
                                               start=effective), "派驻")
        after = _assignment_dict(row, person, firm)
        _log(session, "liaison.assign", "assignment",
             f"{name}@{unit}/{firm.credit_code}/{after['start'] or ''}", before, after,
             correct=correct, user=user, source=source, effective=effective)
        return after


def end_liaison(target, name: str, unit: str, credit_code: str, effective: date, *,
                correct: bool = False, user: str = "cli", source: str = "cli") -> dict:
    """End a liaison's assignment to a firm on ``effective``."""
    with _session(target) as session:
        person, firm = _liaison(session, name, unit), _firm(session, credit_code)
        rows = session.exec(select(Assignment).where(Assignment.liaison_id == person.id,
                                                     Assignment.firm_id == firm.id)).all()
        row, before = _close(session, rows, "start", "end", effective, correct, "派驻")
        after = _assignment_dict(row, person, firm)
        _log(session, "liaison.end", "assignment",
             f"{person.name}@{person.unit}/{firm.credit_code}/{after['start'] or ''}", before,
             after, correct=correct, user=user, source=source, effective=effective)
        return after


def update_liaison(target, name: str, unit: str, *, role: str,
                   expected_version: int | None = None, effective: date | None = None,
                   user: str = "cli", source: str = "cli") -> dict:
    """Change a liaison's role (联络员 / 指导员)."""
    role = LIAISON_ROLE.parse(role)
    with _session(target) as session:
        person = _liaison(session, name, unit)
        _check_version(person, expected_version)
        state = {"name": person.name, "unit": person.unit, "role": person.role,
                 "version": person.version}
        if person.role == role:
            if expected_version is not None:
                _bump_version(session, person, person.version, bump=False)
            return state
        before = {"role": person.role, "version": person.version}
        person.role = role
        _bump_version(session, person, before["version"])
        session.add(person)
        session.flush()
        _log(session, "liaison.update", "liaison", f"{person.name}@{person.unit}", before,
             {"role": role, "version": person.version}, correct=False, user=user,
             source=source, effective=effective)
        return {**state, "role": role, "version": person.version}


# --------------------------------------------------------------------------- visits

#: The longest note a visit keeps (the column's width).
NOTE_CHARS = Visit.__table__.c.note.type.length


def parse_visit_mode(value) -> str:
    """The code of a visit mode (走访/座谈/指导/活动/线上, or the code); empty means 走访.

    Raises ``ValueError`` with the allowed labels (in Chinese and English) when unknown.

    >>> parse_visit_mode("座谈"), parse_visit_mode(""), parse_visit_mode("online")
    ('talk', 'visit', 'online')
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return "visit"
    try:
        return VISIT_MODE.parse(text)
    except ValueError:
        raise ValueError(both("ingest.visit_bad_mode", value=text,
                              allowed="、".join(VISIT_MODE.labels("zh")))) from None


def assignment_periods(periods) -> list[tuple[date | None, date | None]]:
    """``(start, end)`` pairs in order of start (an open start first)."""
    return sorted(periods, key=lambda p: (p[0] is not None, p[0] or date.min))


def periods_text(periods, lang: str = "zh") -> str:
    """Assignment periods for a message: ``2024-03-01–2024-12-01、2025-01-01–至今``."""
    parts = []
    for start, end in assignment_periods(periods):
        left = start.isoformat() if start else t("ingest.period_open_start", lang)
        right = end.isoformat() if end else t("ingest.period_open_end", lang)
        parts.append(f"{left}–{right}")
    return t("ingest.period_sep", lang).join(parts)


def _visit_dict(v: Visit, person: Liaison, firm: Firm) -> dict:
    return {"liaison": person.name, "unit": person.unit, "firm": firm.credit_code,
            "day": _iso(v.day), "mode": v.mode, "note": v.note}


def _visit_key(person: Liaison, firm: Firm, day: date, mode: str) -> str:
    return f"{person.name}@{person.unit}/{firm.credit_code}/{day.isoformat()}/{mode}"


def add_visit(target, name: str, unit: str, credit_code: str, day: date, mode: str = "visit",
              note: str = "", *, user: str = "cli", source: str = "cli") -> dict:
    """Record that a liaison officer or instructor visited a firm on ``day`` (走访记录).

    ``name`` + ``unit`` is the person (as in :func:`assign_liaison`); ``mode`` is a code or
    label of :data:`tracker.vocab.VISIT_MODE` (走访/座谈/指导/活动/线上); ``note`` at most
    :data:`NOTE_CHARS` characters. The same checks as the import's sheet 走访记录:

    - the person and the firm must be in the store;
    - the person must have an assignment to the firm **active on** ``day``
      (``start <= day < end``); otherwise the visit is refused, naming the periods;
    - the natural key person + firm + day + mode must be new (a second identical visit is
      refused).

    Refusals raise :class:`tracker.errors.TrackerError` with a "zh / en" message. The visit
    is audited (``visit.add``, effective ``day``, no state before). Returns the visit:
    ``{"liaison", "unit", "firm", "day", "mode", "note"}``.

    >>> from tracker.chains import empty_store
    >>> engine = empty_store()
    >>> _ = add_firm(engine, "91350100M0002000YC", "甲公司")
    >>> _ = assign_liaison(engine, "王明", "区工信局", "91350100M0002000YC", date(2024, 3, 1))
    >>> add_visit(engine, "王明", "区工信局", "91350100M0002000YC", date(2024, 3, 5), "座谈")["mode"]
    'talk'
    >>> add_visit(engine, "王明", "区工信局", "91350100M0002000YC", date(2024, 2, 5))
    Traceback (most recent call last):
    ...
    tracker.errors.TrackerError: 王明（区工信局）在 2024-02-05 未派驻该企业（91350100M0002000YC）；其派驻时段：2024-03-01–至今 / ...
    """
    name, unit = str(name or "").strip(), str(unit or "").strip()
    if not name or not unit:
        raise TrackerError(both("ingest.visit_name_unit_empty"))
    if not isinstance(day, date):
        raise TrackerError(both("ingest.visit_no_date"))
    try:
        mode = parse_visit_mode(mode)
    except ValueError as exc:
        raise TrackerError(str(exc)) from None
    note = str(note or "").strip()
    if len(note) > NOTE_CHARS:
        raise TrackerError(both("ingest.visit_note_too_long", length=len(note), limit=NOTE_CHARS))
    code = uscc.normalize(credit_code)
    with _session(target) as session:
        person = session.exec(select(Liaison).where(Liaison.name == name,
                                                    Liaison.unit == unit)).first()
        if person is None:
            raise TrackerError(both("ingest.visit_unknown_liaison", name=name, unit=unit))
        firm = session.exec(select(Firm).where(Firm.credit_code == code)).first()
        if firm is None:
            raise TrackerError(both("ingest.visit_unknown_firm", code=code))
        rows = session.exec(select(Assignment).where(Assignment.liaison_id == person.id,
                                                     Assignment.firm_id == firm.id)).all()
        if not any(is_active(a.start, a.end, day) for a in rows):
            periods = [(a.start, a.end) for a in rows]
            if periods:
                raise TrackerError(
                    f"{_not_assigned(name, unit, code, day, periods, 'zh')} / "
                    f"{_not_assigned(name, unit, code, day, periods, 'en')}")
            raise TrackerError(both("ingest.visit_not_assigned", name=name, unit=unit,
                                    code=code, day=day.isoformat()))
        duplicate = session.exec(select(Visit).where(
            Visit.liaison_id == person.id, Visit.firm_id == firm.id, Visit.day == day,
            Visit.mode == mode)).first()
        if duplicate is not None:
            raise TrackerError(both("ingest.visit_duplicate", name=name, unit=unit,
                                    day=day.isoformat(), mode=VISIT_MODE.label(mode),
                                    code=code))
        visit = Visit(liaison_id=person.id, firm_id=firm.id, day=day, mode=mode, note=note)
        session.add(visit)
        session.flush()
        after = _visit_dict(visit, person, firm)
        _log(session, "visit.add", "visit", _visit_key(person, firm, day, mode), None, after,
             correct=False, user=user, source=source, effective=day)
        return after


def _not_assigned(name, unit, code, day, periods, lang) -> str:
    return t("ingest.visit_not_assigned_known", lang, name=name, unit=unit, code=code,
             day=day.isoformat(), periods=periods_text(periods, lang))


# --------------------------------------------------------------------------- terms (换届)

#: The term (任期, years) a ledger or an edit may give: anything else is a typing error.
TERM_YEARS_RANGE = (1, 10)


def parse_term_years(value) -> int | None:
    """A term in whole years within :data:`TERM_YEARS_RANGE`; None (the kind's default) when
    empty. Raises ``ValueError`` ("zh / en") otherwise.

    >>> parse_term_years(5), parse_term_years(""), parse_term_years("3"), parse_term_years(3.0)
    (5, None, 3, 3)
    >>> parse_term_years(0)
    Traceback (most recent call last):
    ...
    ValueError: 任期（年）须为 1 至 10 之间的整数，而不是“0” / the term (years) must be a whole number from 1 to 10, not "0"
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low, high = TERM_YEARS_RANGE
    text = str(value).strip()
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and text.isascii() and text.isdigit():
        number = int(text)
    if number is None or not low <= number <= high:
        raise ValueError(both("ingest.term_years_range", low=low, high=high, value=text))
    return number


def _term_dict(org: PartyOrg) -> dict:
    years = org.term_years
    return {"term_start": _iso(org.term_start), "term_years": years,
            "term_years_effective": years or DEFAULT_TERM_YEARS.get(org.kind),
            "version": org.version}


def record_election(target, org_code: str, term_start: date, term_years: int | None = None, *,
                    effective: date | None = None, expected_version: int | None = None,
                    correct: bool = False, today: date | None = None, user: str = "cli",
                    source: str = "cli") -> dict:
    """Record an election (换届): the organisation's current term starts on ``term_start``.

    ``term_years`` is the term in years (:data:`TERM_YEARS_RANGE`); None keeps the kind's
    default (3 for 党支部 and 党总支, 5 for 党委: :data:`tracker.terms.DEFAULT_TERM_YEARS`),
    stored as None. Refused (:class:`tracker.errors.TrackerError`, "zh / en") when the
    organisation is unknown, ``term_start`` lies after ``today`` (default: today) or before
    the organisation's founding, on or after its dissolution, or (unless ``correct``, a
    correction of the recorded date) before the term start already recorded.
    ``expected_version`` as in :func:`update_org`. Recording the same term again changes
    nothing and writes no audit entry.

    Audited as ``org.elect`` (``correction`` with ``correct``), effective ``effective``
    (default ``term_start``), with the term before and after. The organisation's version
    goes up by one. Returns ``{"code", "name", "kind", "term_start", "term_years",
    "term_years_effective", "version"}``.

    >>> from tracker.chains import empty_store
    >>> engine = empty_store()
    >>> _ = found_org(engine, "P1", "一支部", date(2020, 1, 1))
    >>> r = record_election(engine, "P1", date(2023, 6, 1))
    >>> r["term_start"], r["term_years"], r["term_years_effective"], r["version"]
    ('2023-06-01', None, 3, 2)
    >>> record_election(engine, "P1", date(2019, 6, 1))
    Traceback (most recent call last):
    ...
    tracker.errors.TrackerError: 本届开始日期 2019-06-01 早于党组织成立日期 2020-01-01 / ...
    """
    if not isinstance(term_start, date):
        raise TrackerError(both("ingest.election_no_date"))
    try:
        years = parse_term_years(term_years)
    except ValueError as exc:
        raise TrackerError(str(exc)) from None
    today = today or date.today()
    key = uscc.normalize(org_code)
    with _session(target) as session:
        org = session.exec(select(PartyOrg).where(PartyOrg.code == key)).first()
        if org is None:
            raise TrackerError(both("ingest.election_unknown_org", code=key))
        _check_version(org, expected_version)
        day = term_start.isoformat()
        if term_start > today:
            raise TrackerError(both("ingest.election_future", day=day, today=today.isoformat()))
        if org.founded is not None and term_start < org.founded:
            raise TrackerError(both("ingest.election_before_founded", day=day,
                                    founded=org.founded.isoformat()))
        if org.dissolved is not None and term_start >= org.dissolved:
            raise TrackerError(both("ingest.election_after_dissolved", day=day,
                                    dissolved=org.dissolved.isoformat()))
        if (not correct and org.term_start is not None and term_start < org.term_start):
            raise TrackerError(both("ingest.election_before_current", day=day,
                                    current=org.term_start.isoformat()))
        read_version = org.version
        before = _term_dict(org)
        if org.term_start == term_start and org.term_years == years:
            if expected_version is not None:
                _bump_version(session, org, read_version, bump=False)
            return {"code": org.code, "name": org.name, "kind": org.kind, **before}
        org.term_start, org.term_years = term_start, years
        _bump_version(session, org, read_version)
        session.add(org)
        session.flush()
        after = _term_dict(org)
        _log(session, "org.elect", "party_org", org.code, before, after, correct=correct,
             user=user, source=source, effective=effective or term_start)
        return {"code": org.code, "name": org.name, "kind": org.kind, **after}
