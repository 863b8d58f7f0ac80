"""How the dashboard writes numbers and bilingual data for people.

Examples
--------
>>> fmt_pct(0.8734), fmt_int(12345), fmt_delta_int(12, 15)
('87.3%', '12,345', '-3')
>>> fmt_delta_pp(0.5, 0.25), fmt_delta_pp(0.5, 0.25, "en"), fmt_delta_pp(None, 0.2)
('+25.0个百分点', '+25.0 pp', None)
>>> in_lang({"zh": "生物医药", "en": "Biomedicine"}, "en"), in_lang({"zh": "生物医药", "en": ""}, "en")
('Biomedicine', '生物医药')
>>> from datetime import date
>>> fmt_day(date(2026, 11, 27)), fmt_day("2026-11-27"), fmt_day(None), fmt_day(float("nan"), "无")
('2026-11-27', '2026-11-27', '—', '无')
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ...i18n import percent, t

__all__ = ["fmt_day", "fmt_delta_int", "fmt_delta_pp", "fmt_int", "fmt_number", "fmt_pct",
           "in_lang"]


def fmt_day(value, missing: str = "—") -> str:
    """A date as ``YYYY-MM-DD``; ``missing`` when there is none (None, or the NaN / NaT a
    data frame puts in its place)."""
    if value is None or (not isinstance(value, str | date) and pd.isna(value)):
        return missing
    return value.isoformat()[:10] if isinstance(value, date) else str(value)


def fmt_pct(rate: float | None) -> str:
    """A rate as a percentage with one decimal; a dash when undefined (no firms).

    :func:`tracker.i18n.percent`, the one rate formatter of the product.
    """
    return percent(rate, 1)


def fmt_int(value: int | None) -> str:
    """An integer with thousands separators; a dash when missing."""
    return "—" if value is None else f"{int(value):,}"


def fmt_number(value, missing: str = "—") -> str:
    """A count of days or the like: whole numbers without decimals, halves with one
    (a median of an even count); ``missing`` for none.

    >>> fmt_number(42.0), fmt_number(3.5), fmt_number(1234), fmt_number(float("nan"))
    ('42', '3.5', '1,234', '—')
    """
    if value is None or pd.isna(value):
        return missing
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def fmt_delta_pp(now: float | None, before: float | None, lang: str = "zh") -> str | None:
    """Change of a rate in percentage points, signed, one decimal; None when undefined."""
    if now is None or before is None:
        return None
    return t("app.delta_pp", lang, delta=f"{(now - before) * 100:+.1f}")


def fmt_delta_int(now: int, before: int) -> str:
    """Change of a count, signed, with thousands separators."""
    return f"{now - before:+,}"


def in_lang(texts: dict[str, str], lang: str) -> str:
    """The text of ``lang`` from data stored in both languages (a chain's names, the
    forecast's assumptions, the planner's reasons); Chinese when the other is missing,
    as :func:`tracker.i18n.t` does for the locale files."""
    return texts.get(lang) or texts.get("zh") or ""
