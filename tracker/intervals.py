"""The one rule for every dated fact: an interval ``[start, end)``.

A fact (a firm's membership of a chain, an organisation, a coverage link, a liaison
assignment) is **active on D** when ``start <= D`` (or it has no start) and
(it has no end or ``D < end``). The end date is the first day the fact no longer holds:
a firm that left a chain on 2024-03-01 is not in it on 2024-03-01.

The same rule is offered three ways, for the three places it is evaluated: plain Python
(:func:`is_active`), an SQL expression (:func:`active_clause`) and a vectorised mask over
numpy arrays (:func:`active_mask`). Tests hold the three equal.

Examples
--------
>>> from datetime import date
>>> is_active(date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 1))
False
>>> is_active(None, None, date(1990, 1, 1))
True
"""

from __future__ import annotations

from datetime import date

import numpy as np
import sqlalchemy as sa

__all__ = ["is_active", "active_clause", "active_mask", "NO_DATE", "to_day_numbers", "check_order"]

#: Day number used for "no start" (far past) and "no end" (far future) in vectorised form.
NO_DATE = {"start": np.iinfo(np.int32).min, "end": np.iinfo(np.int32).max}


def is_active(start: date | None, end: date | None, on: date) -> bool:
    return (start is None or start <= on) and (end is None or on < end)


def active_clause(start_col, end_col, on: date):
    """SQL boolean expression: the row's interval contains ``on``."""
    return sa.and_(
        sa.or_(start_col.is_(None), start_col <= on),
        sa.or_(end_col.is_(None), end_col > on),
    )


def to_day_numbers(values, missing: str) -> np.ndarray:
    """Dates to int32 day numbers (proleptic ordinal); ``None`` becomes the open end."""
    fill = NO_DATE[missing]
    return np.fromiter(
        (fill if v is None else v.toordinal() for v in values), dtype=np.int64, count=len(values)
    )


def active_mask(starts: np.ndarray, ends: np.ndarray, on: date) -> np.ndarray:
    """Vectorised :func:`is_active` over day-number arrays made by :func:`to_day_numbers`."""
    d = on.toordinal()
    return (starts <= d) & (d < ends)


def check_order(start: date | None, end: date | None) -> None:
    """Refuse an interval whose end is not after its start (Chinese message)."""
    if start is not None and end is not None and end <= start:
        raise ValueError(f"结束日期 {end} 不晚于开始日期 {start}")
