"""The tables of Redwood, declared with SQLModel.

Entities: :class:`Chain`, :class:`Firm`, :class:`PartyOrg`, :class:`Liaison`, :class:`Plan`.
Dated relations (each an interval ``[start, end)``, see :mod:`tracker.intervals`):
:class:`ChainMembership` (firm in chain), :class:`CoverageLink` (organisation covers firm),
:class:`Assignment` (liaison assigned to firm). Undated relation: :class:`SupplyLink`.
:class:`DatasetInfo` holds provenance (source, licence, synthetic flag, last import).

Enumerated columns hold the stable codes of :mod:`tracker.vocab`. No table holds the name
of a party member: firms and organisations carry member *counts* only. Liaison officers
are named because they are the department's own staff, assigned by name and unit.

Every change to these classes comes with an Alembic migration in
``tracker/migrations/versions``; ``tests/test_store.py`` fails when the two disagree.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "Chain",
    "Firm",
    "ChainMembership",
    "PartyOrg",
    "CoverageLink",
    "Liaison",
    "Assignment",
    "SupplyLink",
    "Plan",
    "DatasetInfo",
    "AuditEntry",
    "metadata",
]

metadata = SQLModel.metadata


class Chain(SQLModel, table=True):
    """An industrial chain (产业链)."""

    __tablename__ = "chain"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    lead_department: str | None = Field(default=None, max_length=100)
    confirmed: bool = Field(default=False)
    source: str | None = Field(default=None, max_length=500)
    sort_order: int = Field(default=0)


class Firm(SQLModel, table=True):
    """A firm (企业), keyed by its unified social credit code."""

    __tablename__ = "firm"
    __table_args__ = (
        CheckConstraint("formal_members >= 0", name="ck_firm_formal_nonneg"),
        CheckConstraint("probationary_members >= 0", name="ck_firm_prob_nonneg"),
    )
    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    ownership: str = Field(default="private", max_length=16)
    above_size: bool = Field(default=False)
    park: str | None = Field(default=None, max_length=100, index=True)
    street: str | None = Field(default=None, max_length=100, index=True)
    formal_members: int = Field(default=0)
    probationary_members: int = Field(default=0)
    version: int = Field(default=1)


class ChainMembership(SQLModel, table=True):
    """A firm in a chain (入链), from ``joined`` until ``left``."""

    __tablename__ = "chain_membership"
    __table_args__ = (Index("ix_membership_chain_firm", "chain_id", "firm_id"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    chain_id: int = Field(foreign_key="chain.id")
    segment: str = Field(default="midstream", max_length=16)
    is_chain_master: bool = Field(default=False)
    joined: date | None = Field(default=None)
    left: date | None = Field(default=None)


class PartyOrg(SQLModel, table=True):
    """A party organisation (党组织): a node of the organisation tree."""

    __tablename__ = "party_org"
    __table_args__ = (CheckConstraint("member_count >= 0", name="ck_org_members_nonneg"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="branch", max_length=16)
    formation: str = Field(default="single", max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="party_org.id", index=True)
    founded: date | None = Field(default=None)
    dissolved: date | None = Field(default=None)
    member_count: int = Field(default=0)
    #: The day the current committee or secretary was elected (本届开始日期); None: unknown.
    term_start: date | None = Field(default=None)
    #: The term in years (任期); None: the default of the kind (3 for 党支部 and 党总支, 5 for 党委).
    term_years: int | None = Field(default=None)
    version: int = Field(default=1)


class CoverageLink(SQLModel, table=True):
    """An organisation covers a firm (组织覆盖) from ``start`` until ``end``."""

    __tablename__ = "coverage_link"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="party_org.id", index=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    start: date | None = Field(default=None)
    end: date | None = Field(default=None)


class Liaison(SQLModel, table=True):
    """A liaison officer (联络员) or instructor (指导员), identified by name + sending unit."""

    __tablename__ = "liaison"
    __table_args__ = (UniqueConstraint("name", "unit", name="uq_liaison_name_unit"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    unit: str = Field(max_length=200)
    role: str = Field(default="liaison", max_length=16)
    version: int = Field(default=1)


class Assignment(SQLModel, table=True):
    """A liaison assigned to a firm (工作覆盖) from ``start`` until ``end``."""

    __tablename__ = "assignment"
    id: int | None = Field(default=None, primary_key=True)
    liaison_id: int = Field(foreign_key="liaison.id", index=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    start: date | None = Field(default=None)
    end: date | None = Field(default=None)


class Visit(SQLModel, table=True):
    """A liaison officer's or instructor's visit to a firm (走访记录): what makes work coverage real.

    The natural key is officer + firm + day + mode. No party member is named: the officer
    is already stored by name and sending unit (:class:`Liaison`).
    """

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("liaison_id", "firm_id", "day", "mode", name="uq_visit"),
                      Index("ix_visit_firm_day", "firm_id", "day"))
    id: int | None = Field(default=None, primary_key=True)
    liaison_id: int = Field(foreign_key="liaison.id", index=True)
    firm_id: int = Field(foreign_key="firm.id")
    day: date
    mode: str = Field(default="visit", max_length=16)
    note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


class SupplyLink(SQLModel, table=True):
    """The supplier firm supplies the buyer firm (上下游), optionally within a chain."""

    __tablename__ = "supply_link"
    __table_args__ = (UniqueConstraint("supplier_id", "buyer_id", "chain_id", name="uq_supply"),)
    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="firm.id", index=True)
    buyer_id: int = Field(foreign_key="firm.id", index=True)
    chain_id: int | None = Field(default=None, foreign_key="chain.id")


class Plan(SQLModel, table=True):
    """A coverage plan: reach ``target_rate`` of work coverage by ``deadline``.

    Several plans live in the store (the 红杉林 plan, the next one); the plan in force on a
    date is the one whose [start, deadline] contains it, otherwise the last that ended
    (:func:`tracker.plans.plan_in_force`). ``is_default`` marks the shipped plan that the
    figures fall back on; ``is_example`` marks an illustrative plan of the synthetic demo
    (示例), never real policy.
    """

    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    #: The name the English screens show (None: the name as it is).
    name_en: str | None = Field(default=None, max_length=200)
    start: date
    deadline: date
    target_rate: float = Field(default=1.0)
    denominator: str = Field(default="chain_firms", max_length=32)
    is_default: bool = Field(default=False)
    #: Optional targets for the organisation-coverage rate and the single-unit rate.
    org_target_rate: float | None = Field(default=None)
    single_unit_target: float | None = Field(default=None)
    #: Days within which a firm must be covered after it enters the population (动态全覆盖).
    cover_within_days: int = Field(default=90, sa_column_kwargs={"server_default": "90"})
    #: Where the plan comes from (a document, an article), shown beside its verdict.
    source: str = Field(default="", sa_column_kwargs={"server_default": ""})
    is_example: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    #: A work-covered firm counts as visited when a visit falls in the last this many days.
    visit_within_days: int = Field(default=90, sa_column_kwargs={"server_default": "90"})


class DatasetInfo(SQLModel, table=True):
    """Provenance of the data in the store (key/value): source, licence, synthetic flag."""

    __tablename__ = "dataset_info"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", sa_column_kwargs={})
    updated: datetime | None = Field(default=None)


class AuditEntry(SQLModel, table=True):
    """One recorded write (import, edit or correction): who, when, what, before and after.

    ``before`` and ``after`` are JSON objects of the changed entity's fields (``None`` for an
    insert's before); ``source`` names the file, sheet and row, or the page, that caused it.
    """

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)  # UTC, naive
    user: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # import / edit / correction
    action: str = Field(max_length=32, index=True)
    entity: str = Field(max_length=32)
    entity_key: str = Field(max_length=300, index=True)
    effective: date | None = Field(default=None)
    before: str | None = Field(default=None, sa_column_kwargs={})
    after: str | None = Field(default=None, sa_column_kwargs={})
    source: str | None = Field(default=None, max_length=500)


class User(SQLModel, table=True):
    """A staff account: a role and a scope, see :mod:`tracker.auth`.

    ``role`` is ``admin``, ``editor`` or ``viewer``. ``chains`` and ``areas`` are JSON lists
    (chain codes; park or street names); ``None`` means no restriction on that axis. Only an
    argon2 hash of the password is kept. ``failed_attempts`` counts consecutive failed
    logins; ``locked_until`` refuses logins until then.
    """

    __tablename__ = "app_user"  # "user" is a reserved word in PostgreSQL
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_app_user_role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    role: str = Field(max_length=16)
    chains: str | None = Field(default=None, sa_column_kwargs={})
    areas: str | None = Field(default=None, sa_column_kwargs={})
    password_hash: str = Field(max_length=300)
    disabled: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)  # aware, UTC
    created: datetime  # aware, UTC


class UserSession(SQLModel, table=True):
    """A login session: only the SHA-256 of the random token is stored (times aware, UTC)."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created: datetime
    last_seen: datetime
    expires: datetime = Field(index=True)


__all__ += ["User", "UserSession"]
