"""The figures of the data page: the newest entries of the audit log.

Examples
--------
>>> from tracker.chains import empty_store
>>> recent_audit(empty_store(), 10)
[]
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from ...audit import entries
from .cache import cached

__all__ = ["recent_audit"]


@cached
def recent_audit(engine: Engine, limit: int = 100) -> list[dict]:
    """The newest ``limit`` audit entries, newest first (``at`` as text)."""
    rows = entries(engine, limit=limit)
    out = []
    for row in reversed(rows):
        at = row.get("at")
        out.append({**row, "at": at.strftime("%Y-%m-%d %H:%M:%S") if hasattr(at, "strftime") else str(at)})
    return out
