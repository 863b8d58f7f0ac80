"""Provenance of the data in a store: where it came from, under what licence, as of when.

Kept as key/value rows of :class:`tracker.model.DatasetInfo`. Every page and every report
shows it; the ``synthetic`` key makes the demo data set say what it is wherever it goes.

Known keys: ``source`` (and ``source_en``, its English when known), ``licence``,
``synthetic`` (``"true"``/``"false"``), ``last_import`` (ISO time), ``last_import_file``,
``demo_seed``, ``demo_firms``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .model import DatasetInfo

__all__ = ["get_info", "is_synthetic", "set_info", "source_text"]


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


def source_text(info: dict[str, str], lang: str = "zh") -> str:
    """Where the data came from, in ``lang`` when the store says it in that language.

    >>> info = {"source": "合成演示数据", "source_en": "synthetic demo data"}
    >>> source_text(info, "zh"), source_text(info, "en"), source_text({"source": "台账"}, "en")
    ('合成演示数据', 'synthetic demo data', '台账')
    """
    return (lang == "en" and info.get("source_en")) or info.get("source", "")
