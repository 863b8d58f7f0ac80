"""Chinese-first user-facing strings, with an English switch.

Strings live in data files, one per area of the product, in ``tracker/locales/<area>.json``:
``{"key": {"zh": "...", "en": "..."}}``. A key is written ``"<area>.<key>"``, e.g.
``t("app.overview", "en")``. A missing English string falls back to Chinese; a missing key
raises ``KeyError`` so that a typo fails the tests instead of showing a blank.

Examples
--------
>>> t("common.firms", "zh")
'企业数'
>>> t("common.firms", "en")
'Firms'
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGS", "both", "display_width", "join", "percent", "strings", "t"]

LANGS = ("zh", "en")
LOCALES = Path(__file__).with_name("locales")


@lru_cache(maxsize=None)
def strings(area: str) -> dict[str, dict[str, str]]:
    path = LOCALES / f"{area}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def t(key: str, lang: str = "zh", **values: object) -> str:
    area, _, name = key.partition(".")
    entry = strings(area)[name]
    text = entry.get(lang) or entry["zh"]
    return text.format(**values) if values else text


def both(key: str, **values: object) -> str:
    """``key`` in Chinese and English at once, ``"zh / en"``: for messages raised where no
    reader's language is known (the command line shows them as they are).

    >>> both("common.firms")
    '企业数 / Firms'
    """
    return f"{t(key, 'zh', **values)} / {t(key, 'en', **values)}"


def join(items, lang: str = "zh") -> str:
    """Names listed for a reader, with the language's separator (、 in Chinese, ", " in English):
    the one list separator of the dashboard, the reports and the rule findings.

    >>> join(["生物技术", "新型显示"]), join(["Biotechnology", "New display"], "en")
    ('生物技术、新型显示', 'Biotechnology, New display')
    """
    return t("common.list_sep", lang).join(str(item) for item in items)


def percent(rate: float | None, digits: int = 1) -> str:
    """A rate (a fraction) as a percentage for people; ``"—"`` when undefined (no firms).

    The one rate formatter of the command line and the reports.

    >>> percent(0.9567), percent(1.0, 0), percent(None)
    ('95.7%', '100%', '—')
    """
    if rate is None or rate != rate:  # None, or NaN from a frame
        return "—"
    return f"{rate * 100:.{digits}f}%"


def display_width(text: object) -> int:
    """Columns ``text`` takes in a fixed-width font: CJK characters count double.

    >>> display_width("产业链 BIO")
    10
    """
    text = "" if text is None else str(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
