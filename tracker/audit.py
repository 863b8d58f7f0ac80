"""The audit log: every write to the store (import, edit, correction) leaves one entry.

An entry says who (``user``), when (``at``, UTC), what (``action`` on ``entity`` with its
natural key ``entity_key``), the state ``before`` and ``after`` (JSON objects of the
fields that describe the entity), the ``effective`` date of the fact when it has one, and
the ``source``: ``file.xlsx#企业!5`` (file, sheet, row as Excel shows it) for an import,
the page or ``cli`` for an edit. ``kind`` is ``import``, ``edit`` or ``correction``.

Entries are only ever added, never changed: the log is the history.

Examples
--------
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
>>> with engine.begin() as conn:
...     record(conn, action="firm.add", entity="firm", key="91350100M000100Y43",
...            before=None, after={"name": "甲"}, kind="edit", user="王", source="cli")
>>> [e["action"] for e in entries(engine)]
['firm.add']
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .model import AuditEntry

__all__ = ["KINDS", "to_json", "entry_row", "record", "record_many", "entries", "utcnow"]

KINDS = ("import", "edit", "correction")
T = AuditEntry.__table__


def utcnow() -> datetime:
    """Now in UTC, timezone-aware (the column type, UTCDateTime, requires it)."""
    return datetime.now(timezone.utc)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def to_json(values: dict | None) -> str | None:
    """A dict of field values as stable JSON text (dates as ISO strings, keys sorted)."""
    if values is None:
        return None
    return json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False,
                      sort_keys=True)


def entry_row(*, action: str, entity: str, key: str, before: dict | None, after: dict | None,
              kind: str, user: str, source: str | None, effective: date | None = None,
              at: datetime | None = None) -> dict:
    """The column values of one entry (for :func:`record_many`)."""
    if kind not in KINDS:
        raise ValueError(f"未知的记录类型：{kind}（可选：{'、'.join(KINDS)}）")
    return {
        "at": at or utcnow(), "user": (user or "unknown")[:100], "kind": kind,
        "action": action, "entity": entity, "entity_key": str(key)[:300],
        "effective": effective, "before": to_json(before), "after": to_json(after),
        "source": None if source is None else str(source)[:500],
    }


def record(conn, **fields) -> None:
    """Add one entry in the caller's transaction (a Connection or a Session)."""
    conn.execute(T.insert().values(**entry_row(**fields)))


def record_many(conn, rows: Iterable[dict], batch: int = 5000, progress=None) -> int:
    """Add many entries made by :func:`entry_row` (bulk insert); returns how many.

    ``progress(done)`` is called after each batch.
    """
    count = 0
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.execute(T.insert(), chunk)
            count += len(chunk)
            chunk = []
            if progress:
                progress(count)
    if chunk:
        conn.execute(T.insert(), chunk)
        count += len(chunk)
        if progress:
            progress(count)
    return count


def entries(engine: Engine, since: date | datetime | None = None, entity: str | None = None,
            key: str | None = None, kind: str | None = None,
            limit: int | None = None) -> list[dict]:
    """Entries, oldest first, optionally from ``since`` (a date means from its midnight UTC).

    Each entry is a dict with ``id, at, user, kind, action, entity, entity_key, effective,
    before, after, source``; ``before``/``after`` are decoded to dicts.
    """
    query = sa.select(T).order_by(T.c.at, T.c.id)
    if since is not None:
        if not isinstance(since, datetime):
            since = datetime.combine(since, time.min, tzinfo=timezone.utc)
        elif since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        query = query.where(T.c.at >= since)
    if entity is not None:
        query = query.where(T.c.entity == entity)
    if key is not None:
        query = query.where(T.c.entity_key == key)
    if kind is not None:
        query = query.where(T.c.kind == kind)
    if limit is not None:
        # The newest ``limit`` entries, still listed oldest first.
        query = query.order_by(None).order_by(T.c.at.desc(), T.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    if limit is not None:
        rows.reverse()
    for row in rows:
        row["before"] = json.loads(row["before"]) if row["before"] else None
        row["after"] = json.loads(row["after"]) if row["after"] else None
    return rows
