"""Layout rules the Word and the PDF reports share: table columns fitted to their content,
and what stays with the signature.


Both layouts set tables on a fixed text width. Equal or fixed relative widths wrapped a
chain's name over five lines beside a half-empty column of numbers, and cut 18-character
credit codes in two. :func:`fit_widths` instead gives each column

- at least its longest *unbreakable* piece: a run of Latin letters and digits (a credit
  code, a number, an English word such as "Organisation") is never broken, nor is a short
  value (:data:`SHORT_CHARS`); CJK text may break between any two characters, so its
  floor is :data:`MIN_CJK_CHARS` characters;
- its *natural* width (its longest cell on one line) up to a cap common to all columns:
  the short columns stay whole and the long ones (names, titles) wrap alike;
- when every column fits on one line, the spare room in proportion to the natural widths.

The layouts pass their own ``measure`` (fpdf2's font metrics in the PDF; an estimate in
ems from :func:`em_width` for Word, whose fonts are only known on the reader's machine).

Examples
--------
Everything fits on one line: the spare room goes in proportion to the natural widths.

>>> fit_widths(["名称", "代码"], [["甲", "91440101MA5CXXXX0X"]], 40, len)
[4.0, 36.0]

Too narrow: the code keeps its width, the name wraps between its words.

>>> [round(w, 6) for w in fit_widths(["Name", "Code"], [["A long firm name", "ABC"]], 12, len)]
[8.0, 4.0]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..i18n import display_width
from .outline import Para, Signature

__all__ = [
    "MIN_CJK_CHARS",
    "SHORT_CHARS",
    "SIGNATURE_LINES",
    "WIDE_LATIN",
    "LatinWidths",
    "em_width",
    "fit_widths",
    "fits",
    "kept_with_signature",
    "pieces",
]

#: The narrowest a column of CJK text may get, in characters (a cell that cannot hold one
#: character makes fpdf2 loop without end, and a column of one character reads badly).
MIN_CJK_CHARS = 2
#: Values up to this many CJK characters wide are never wrapped (已达标, 93.5%, 2,394).
SHORT_CHARS = 6
#: The narrowest a column gets for its header, in CJK characters.
HEAD_CHARS = 3

#: A run that a line may not break inside: Latin letters, digits and the marks that hold
#: numbers and codes together (``2,394``, ``90.3%``, ``2026-11-27``, ``GB/T``).
#: A line may break after a hyphen or a slash ("Organisation-/covered", "liaison/
#: instructor"), as Word and LibreOffice do.
_UNBREAKABLE = re.compile(r"[(\[]?[0-9A-Za-z][0-9A-Za-z.,%:+_()'’]*[-/]?")


def pieces(text: str) -> list[str]:
    """The pieces of ``text`` a line never breaks inside (Latin words, numbers, codes).

    >>> pieces("甲公司 91440101MA5CXXXX0X, Organisation-covered")
    ['91440101MA5CXXXX0X,', 'Organisation-', 'covered']
    """
    return _UNBREAKABLE.findall(text)


#: Capital letters' widths (ems): the wider of Noto Serif CJK SC's and DejaVu Serif's. A
#: credit code's letters are counted one by one: "…GW47W" is far wider than the average.
CAPITALS = {"A": 0.72, "B": 0.73, "C": 0.77, "D": 0.80, "E": 0.73, "F": 0.69, "G": 0.80,
            "H": 0.87, "I": 0.41, "J": 0.40, "K": 0.75, "L": 0.66, "M": 1.02, "N": 0.88,
            "O": 0.82, "P": 0.67, "Q": 0.82, "R": 0.75, "S": 0.69, "T": 0.67, "U": 0.84,
            "V": 0.72, "W": 1.05, "X": 0.71, "Y": 0.69, "Z": 0.69}


@dataclass(frozen=True)
class LatinWidths:
    """Average advance widths (ems) of Latin characters in the face a reader's office
    client draws them in, measured from the fonts."""

    upper: float  # other capitals than A–Z (:data:`CAPITALS`)
    digit: float
    lower: float
    other: float  # space, punctuation
    marks: tuple[tuple[str, float], ...] = (("%", 0.95), ("−", 0.84), ("—", 1.0), ("+", 0.84),
                                           ("=", 0.84), ("&", 0.9), ("@", 1.0), ("#", 0.84))


#: Latin text: LibreOffice on Debian draws Times New Roman, where it is missing, in DejaVu
#: Serif, the widest of the faces it may be drawn in (Times New Roman, Noto Serif CJK SC).
WIDE_LATIN = LatinWidths(upper=0.74, digit=0.64, lower=0.58, other=0.36)


def em_width(text: str, latin: LatinWidths = WIDE_LATIN) -> float:
    """Width of ``text`` in ems, estimated without the font: CJK characters are one em,
    Latin ones as ``latin`` says (by default the widest face they may be drawn in), so
    that an estimate does not fall short on a reader's machine.

    >>> em_width("产业链"), round(em_width("91440101MA5CXXXX0X"), 2)
    (3.0, 12.46)
    """
    marks = dict(latin.marks)
    total = 0.0
    for ch in text:
        if display_width(ch) == 2:
            total += 1.0
        elif ch in marks:
            total += marks[ch]
        elif ch in CAPITALS:
            total += CAPITALS[ch]
        elif ch.isupper():
            total += latin.upper
        elif ch.isdigit():
            total += latin.digit
        elif ch.islower():
            total += latin.lower
        else:
            total += latin.other
    return total


def _extents(headers: Sequence[str], rows: Sequence[Sequence[str]], measure, padding: float,
             head_measure) -> tuple[list[float], list[float], list[float]]:
    """Per column: natural width, comfortable floor, strict floor (see :func:`fit_widths`)."""
    short = measure("中" * SHORT_CHARS)
    floor = measure("中" * MIN_CJK_CHARS)
    natural, least, strict = [], [], []
    for j, header in enumerate(headers):
        cells = [str(r[j]) for r in rows if j < len(r) and r[j] is not None]
        values = max([0.0, *(measure(c) for c in cells)])
        unbreakable = max([0.0, *(head_measure(p) for p in pieces(header)),
                           *(measure(p) for c in cells for p in pieces(c))])
        natural.append(max(head_measure(header), values) + padding)
        # Short values (已达标, 93.5%) stay on one line; a header may wrap, three
        # characters a line at the least (not one character and a bracket a line).
        head = min(head_measure(header), head_measure("中" * HEAD_CHARS))
        strict.append(max(unbreakable, floor) + padding)
        least.append(max(unbreakable, floor, head, min(values, short)) + padding)
    return natural, least, strict


def fits(headers: Sequence[str], rows: Sequence[Sequence[str]], total: float,
         measure: Callable[[str], float], *, padding: float = 0.0,
         head_measure: Callable[[str], float] | None = None) -> bool:
    """Whether every unbreakable piece (code, number, word) of the table fits in ``total``
    unbroken: else the layouts set the table a size smaller.

    >>> fits(["Code"], [["91440101MA5CXXXX0X"]], 17, len), fits(["名称"], [["甲乙丙"]], 2, len)
    (False, True)
    """
    return sum(_extents(headers, rows, measure, padding, head_measure or measure)[2]) <= total


def fit_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total: float,
               measure: Callable[[str], float], *, padding: float = 0.0,
               head_measure: Callable[[str], float] | None = None) -> list[float]:
    """Column widths that add up to ``total``, fitted to the cells' content.

    Parameters
    ----------
    headers, rows : the table's texts
    total : the table's width (any unit, the same as ``measure``'s)
    measure : width of a text set on one line, in the unit of ``total``
    padding : a cell's left plus right padding, added to every column
    head_measure : how header texts are measured when set in another face (default
        ``measure``)
    """
    natural, least, strict = _extents(headers, rows, measure, padding, head_measure or measure)
    if sum(strict) >= total:  # even the unbreakable pieces do not fit: shrink them alike
        return [w * total / sum(strict) for w in strict]
    if sum(least) > total:  # give up part of the short values' and headers' comfort, alike
        share = (total - sum(strict)) / (sum(least) - sum(strict))
        least = [a + (b - a) * share for a, b in zip(strict, least)]
    if sum(natural) <= total:  # everything on one line: spread what is left over
        rest = total - sum(natural)
        return [n + rest * n / sum(natural) for n in natural]
    # Some cells must wrap: every column is set at its natural width up to a common cap
    # (and at least its floor); the cap is found by bisection. The short columns stay
    # whole, and the long ones (names, titles) share the room and wrap alike.
    def width(cap: float) -> list[float]:
        return [min(n, max(low, cap)) for n, low in zip(natural, least)]

    lo, hi = 0.0, max(natural)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum(width(mid)) < total else (lo, mid)
    widths = width(hi)
    excess = sum(widths) - total  # bisection's rounding, taken from the widest column
    widths[widths.index(max(widths))] -= excess
    return widths


#: Most one-line paragraphs kept on the page of the signature (the attachment notes
#: "附件：1. …", "2. …"): more would leave a page half empty.
SIGNATURE_LINES = 5


def kept_with_signature(blocks: Sequence, one_line: Callable[[object], bool]) -> set[int]:
    """Indexes of the paragraphs that go on the page of the signature that follows them:
    the last paragraph, and the one-line paragraphs before it (the list of attachments),
    up to :data:`SIGNATURE_LINES`. The signature never stands alone on a page, nor does
    it part the list of attachments.

    >>> from tracker.reports.outline import Para, Signature
    >>> blocks = [Para("long text"), Para("附件：1. 甲"), Para("2. 乙"), Signature("单位", "日期")]
    >>> sorted(kept_with_signature(blocks, lambda b: b.text != "long text"))
    [1, 2]
    """
    kept: set[int] = set()
    for i, block in enumerate(blocks):
        if not isinstance(block, Signature):
            continue
        j = i - 1
        while j >= 0 and isinstance(blocks[j], Para) and (
                j == i - 1 or (one_line(blocks[j]) and i - j <= SIGNATURE_LINES)):
            if j < i - 1 and not one_line(blocks[j + 1]):
                break
            kept.add(j)
            j -= 1
    return kept
