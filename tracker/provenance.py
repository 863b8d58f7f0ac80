"""Provenance of the data in a store: where it came from, under what licence, as of when.

Kept as key/value rows of :class:`tracker.model.DatasetInfo`. Every page and every report
shows it; the ``synthetic`` key makes the demo data set say what it is wherever it goes.

Known keys: ``source``, ``licence``, ``synthetic`` (``"true"``/``"false"``),
``last_import`` (ISO time), ``last_import_file``, ``demo_seed``, ``demo_firms``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .model import DatasetInfo

__all__ = ["get_info", "set_info", "is_synthetic"]


def get_info(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.value for row in session.exec(select(DatasetInfo))}


def set_info(session: Session, **values: object) -> None:
    """Upsert keys in the caller's transaction."""
    now = datetime.now(timezone.utc)  # the column type (UTCDateTime) requires an aware time
    for key, value in values.items():
        row = session.get(DatasetInfo, key)
        text = "" if value is None else str(value)
        if row is None:
            session.add(DatasetInfo(key=key, value=text, updated=now))
        else:
            row.value = text
            row.updated = now
            session.add(row)


def is_synthetic(engine: Engine) -> bool:
    return get_info(engine).get("synthetic") == "true"
