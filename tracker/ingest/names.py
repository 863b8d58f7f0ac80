"""Firms named by name: party ledgers list the units an organisation covers by name
(所在单位), not by credit code.

:func:`firm_name_key` is the one rule for "the same name": what the firm search ignores
(:func:`tracker.search.strip_place`: full/half width, case, spaces, brackets and other
punctuation, a place-name prefix such as 广州市/广州/黄埔区) and the (有限责任|有限)公司
ending do not count. :class:`NameIndex` finds the firms of a name among
the firms of the file and of the store: exactly one is a match, none or several reject
the row, naming the candidates.

Examples
--------
>>> firm_name_key("广州市蓝奥（科技）有限公司") == firm_name_key("蓝奥(科技) 公司")
True
>>> index = NameIndex({"91440112MA5C1111X1": "广州蓝奥科技有限公司"})
>>> index.match("广州市蓝奥科技有限公司").code
'91440112MA5C1111X1'
>>> index.match("蓝天")
Match(code=None, name=None, candidates=[], ambiguous=False)
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

from ..search import strip_place

__all__ = ["Match", "NameIndex", "firm_name_key"]

_SUFFIXES = ("有限责任公司", "有限公司", "公司")
#: Above this many distinct names, candidates for an unknown name are found by containment
#: only (a fuzzy comparison with every name would cost seconds per row).
_FUZZY_LIMIT = 20_000


def firm_name_key(name) -> str:
    """The name as compared (see the module notes); "" for a blank name."""
    text = strip_place(name)
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[:-len(suffix)]
            break
    return text


class Match(NamedTuple):
    """The firm found for a name (``code`` and its recorded ``name``), or None with the
    ``candidates`` (code, name): all firms of that name when ``ambiguous``, else similar
    names."""

    code: str | None
    name: str | None
    candidates: list[tuple[str, str]]
    ambiguous: bool


class NameIndex:
    """Firms by :func:`firm_name_key`: ``{credit code: name}`` of the store, then of the
    file (:meth:`add`)."""

    def __init__(self, firms: dict[str, str] | None = None):
        self.by_key: dict[str, dict[str, str]] = {}
        for code, name in (firms or {}).items():
            self.add(code, name)

    def add(self, code: str, name: str) -> None:
        key = firm_name_key(name)
        if key and code:
            self.by_key.setdefault(key, {})[code] = name

    def match(self, name) -> Match:
        """The one firm of that name, or why not (see :class:`Match`)."""
        key = firm_name_key(name)
        found = self.by_key.get(key, {})
        if len(found) == 1:
            code, recorded = next(iter(found.items()))
            return Match(code, recorded, [], False)
        if found:
            return Match(None, None, sorted(found.items()), True)
        return Match(None, None, self.similar(key), False)

    def similar(self, key: str, limit: int = 3) -> list[tuple[str, str]]:
        if not key:
            return []
        keys = [k for k in self.by_key if key in k or k in key]
        if len(keys) < limit and len(self.by_key) <= _FUZZY_LIMIT:
            keys += [k for k in difflib.get_close_matches(key, list(self.by_key), n=limit,
                                                          cutoff=0.6) if k not in keys]
        out = []
        for k in keys[:limit]:
            out.extend(sorted(self.by_key[k].items()))
        return out[:limit * 2]
