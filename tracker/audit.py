"""The audit log: every write to the store (import, edit, correction) leaves one entry.

An entry says who (``user``), when (``at``, UTC), what (``action`` on ``entity`` with its
natural key ``entity_key``), the state ``before`` and ``after`` (JSON objects of the
fields that describe the entity), the ``effective`` date of the fact when it has one, and
the ``source``: ``file.xlsx#企业!5`` (file, sheet, row as Excel shows it) for an import,
the page or ``cli`` for an edit. ``kind`` is ``import``, ``edit`` or ``correction``.

Entries are only ever added, never changed: the log is the history.

Examples
--------
>>> from tracker.chains import empty_store
>>> engine = empty_store()
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
from .progress import ProgressCallback, Reporter

__all__ = ["KINDS", "to_json", "entry_row", "record", "record_many", "entries", "utcnow",
           "clip_user", "clip_key", "clip_source"]

KINDS = ("import", "edit", "correction")
T = AuditEntry.__table__

# The widths of the text columns (from the model): an entry's text is cut to fit them here,
# for single entries and for the bulk import (tracker.ingest.load) alike.
_USER_CHARS = T.c.user.type.length
_KEY_CHARS = T.c.entity_key.type.length
_SOURCE_CHARS = T.c.source.type.length


def clip_user(user: str | None) -> str:
    """The user as stored: ``"unknown"`` when none, cut to the column's width.

    >>> clip_user(None), len(clip_user("王" * 500))
    ('unknown', 100)
    """
    return (user or "unknown")[:_USER_CHARS]


def clip_key(key) -> str:
    """An entity's natural key as stored (text, cut to the column's width)."""
    return str(key)[:_KEY_CHARS]


def clip_source(source) -> str | None:
    """Where an entry came from, as stored (text cut to the column's width, or None)."""
    return None if source is None else str(source)[:_SOURCE_CHARS]


def utcnow() -> datetime:
    """Now in UTC, timezone-aware (the column type, UTCDateTime, requires it)."""
    return datetime.now(timezone.utc)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One encoder for every entry (the bulk import writes hundreds of thousands):
# json.dumps with keyword arguments builds a new encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_plain).encode


def to_json(values: dict | None) -> str | None:
    """A dict of field values as stable JSON text (dates as ISO strings, keys sorted).

    >>> to_json({"name": "甲", "joined": date(2024, 3, 1)})
    '{"joined": "2024-03-01", "name": "甲"}'
    """
    return None if values is None else _ENCODE(values)


def entry_row(*, action: str, entity: str, key: str, before: dict | None, after: dict | None,
              kind: str, user: str, source: str | None, effective: date | None = None,
              at: datetime | None = None) -> dict:
    """The column values of one entry (for :func:`record_many`)."""
    if kind not in KINDS:
        raise ValueError(f"未知的记录类型：{kind}（可选：{'、'.join(KINDS)}）")
    return {
        "at": at or utcnow(), "user": clip_user(user), "kind": kind,
        "action": action, "entity": entity, "entity_key": clip_key(key),
        "effective": effective, "before": to_json(before), "after": to_json(after),
        "source": clip_source(source),
    }


def record(conn, **fields) -> None:
    """Add one entry in the caller's transaction (a Connection or a Session)."""
    conn.execute(T.insert().values(**entry_row(**fields)))


def record_many(conn, rows: Iterable[dict], batch: int = 5000,
                progress: ProgressCallback | None = None) -> int:
    """Add many entries made by :func:`entry_row` (bulk insert); returns how many.

    ``progress`` receives a :class:`~tracker.progress.Progress` event (stage ``audit``,
    entries written so far) after each batch.
    """
    report = Reporter(progress)
    count = 0
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.execute(T.insert(), chunk)
            count += len(chunk)
            chunk = []
            report("audit", done=count)
    if chunk:
        conn.execute(T.insert(), chunk)
        count += len(chunk)
        report("audit", done=count)
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
