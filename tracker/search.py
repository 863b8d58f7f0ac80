"""Search that forgives: find a firm from what an officer types.

A query matches a firm when, after both are **normalised** (:func:`normalise`: full-width
characters as half-width, letters in lower case, spaces and punctuation dropped),

- the query is part of the firm's name, or the query without a place prefix
  (:func:`strip_place`: 广州市, 广州, 黄埔区 ...) is: "广州市蓝奥" and "蓝 奥" both find
  广州蓝奥生物科技有限公司;
- the query is part of the credit code, in any case (``91440112ma`` finds ``91440112MA…``);
- the query is made of Latin letters only and is part of the **pinyin initials** of the
  name (:func:`initials`): ``gzla`` finds 广州蓝奥…; each character is read as in its
  words (重庆 ``cq``, 长安 ``ca``).

:func:`build_index` computes the normalised names once, their initials at the first query in
Latin letters (the dashboard keeps the index per data version); :meth:`SearchIndex.mask` answers a query over it.

Examples
--------
>>> names = ["广州蓝奥生物科技有限公司", "黄埔重庆长安汽车有限公司", "Ａｌｐｈａ Materials Ltd"]
>>> codes = ["91440112MA5ABCDE1X", "91440112MA5FGHIJ2Y", "91440112MA5KLMNO3Z"]
>>> index = build_index(names, codes)
>>> [names[i] for i in index.find("广州市蓝奥")]
['广州蓝奥生物科技有限公司']
>>> index.find("蓝 奥"), index.find("gzla"), index.find("GZLA"), index.find("cqca")
([0], [0], [0], [1])
>>> index.find("91440112ma5fghij"), index.find("alpha mat"), index.find("  ")
([1], [2], [0, 1, 2])
>>> normalise("Ｂｉｏ　科技 (广州)"), strip_place("广州市黄埔区蓝奥"), initials("广州蓝奥")
('bio科技广州', '蓝奥', 'gzla')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from pypinyin import Style
from pypinyin import lazy_pinyin as pinyin_initials
from pypinyin.seg.simpleseg import seg as pinyin_words

__all__ = ["PLACE_PREFIXES", "SearchIndex", "build_index", "initials", "normalise",
           "strip_place"]

#: Place names a firm's name may start with, or not (longest first): "广州市蓝奥" and
#: "广州蓝奥" are the same firm to an officer.
PLACE_PREFIXES = ("广东省", "广东", "广州市", "广州", "黄埔区", "黄埔")
_DROP = re.compile(r"[\s\W_]+")


def normalise(text: object) -> str:
    """``text`` as searched: NFKC (full-width as half-width), lower case, no spaces or
    punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text or "")).lower())


def strip_place(text: str) -> str:
    """Normalised ``text`` without the place names it starts with (:data:`PLACE_PREFIXES`)."""
    text = normalise(text)
    stripped = True
    while stripped:
        stripped = False
        for prefix in PLACE_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text, stripped = text[len(prefix):], True
                break
    return text


def _keep(chars: str) -> list[str]:
    return list(chars)


@lru_cache(maxsize=50_000)
def _word_initials(word: str) -> tuple[str, ...]:
    return tuple(pinyin_initials(word, style=Style.FIRST_LETTER, errors=_keep))


@lru_cache(maxsize=200_000)
def initials(text: str) -> str:
    """The pinyin initials of ``text`` (normalised), each character read as in its words
    (pypinyin's phrases: 重庆 is ``cq``, 银行 ``yh``); Latin letters and digits as they are.

    pypinyin reads a text by cutting it into words (its own segmentation) and reading each
    word on its own; here the words' readings are kept, since firms' names share most of
    their words (科技, 有限公司, 广州): the first pinyin search over the 100,000 names of
    the bench store took 1.6 s, where reading each whole name cost 117 µs (about 12 s). ``tests/test_search.py`` holds it equal to
    pypinyin reading the whole text.

    >>> initials("重庆银行"), initials("广州ABC 科技")
    ('cqyh', 'gzabckj')
    """
    letters = [x for word in pinyin_words(normalise(text)) for x in _word_initials(word)]
    return "".join(x.lower() for x in letters if x.isalnum())


@dataclass
class SearchIndex:
    """The searched forms of a list of names and codes (:func:`build_index`). The pinyin
    initials are worked out at the first query in Latin letters, then kept."""

    names: tuple[str, ...]
    normalised: pd.Series
    codes: pd.Series
    _initials: pd.Series | None = field(default=None, repr=False)

    @property
    def initials(self) -> pd.Series:
        """The pinyin initials of each name (:func:`initials`)."""
        if self._initials is None:
            self._initials = pd.Series([initials(n) for n in self.names], dtype=object)
        return self._initials

    def mask(self, query: str) -> np.ndarray:
        """A boolean array: which names (and codes) ``query`` finds; all for an empty query."""
        q = normalise(query)
        if not q:
            return np.ones(len(self.names), dtype=bool)
        found = self.normalised.str.contains(q, regex=False).to_numpy(dtype=bool, copy=True)
        core = strip_place(q)
        if core != q:
            found |= self.normalised.str.contains(core, regex=False).to_numpy(dtype=bool)
        found |= self.codes.str.contains(q, regex=False).to_numpy(dtype=bool)
        if q.isascii() and q.isalpha() and len(self.names):
            found |= self.initials.str.contains(q, regex=False).to_numpy(dtype=bool)
        return found

    def find(self, query: str) -> list[int]:
        """The positions of the names ``query`` finds."""
        return np.flatnonzero(self.mask(query)).tolist()


def build_index(names: Iterable[str], codes: Sequence[str] | None = None) -> SearchIndex:
    """The searched forms of ``names`` (and their credit ``codes``, same order)."""
    names = tuple("" if n is None else str(n) for n in names)
    normalised = [normalise(n) for n in names]
    code_list = [normalise(c) for c in codes] if codes is not None else [""] * len(names)
    return SearchIndex(names=names, normalised=pd.Series(normalised, dtype=object),
                       codes=pd.Series(code_list, dtype=object))
