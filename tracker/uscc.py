"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z). The 18th is a
check character over the first 17 with weights ``3**(i-1) mod 31``.

Unlike ``stdnum.cn.uscc`` this module does not insist that the first eight characters are
digits (codes issued by some authorities begin with A, N or Y), and it does not refuse a
code whose embedded organisation code has a wrong check digit: the standard's own check
character is the only ground for refusal.

Examples
--------
>>> is_valid("91350100M000100Y43")
True
>>> check_character("91110000600037341")
'L'
>>> normalize(" 9111 0000 6000 3734 1l ")
'91110000600037341L'
>>> validate("91350100M000100Y34")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tracker.uscc.InvalidCode: 统一社会信用代码校验位错误：这18位不能通过校验，可能是其中任何一位录入有误（不一定是第18位）；若对调第17位和第18位则能通过校验...
"""

from __future__ import annotations

import unicodedata

__all__ = ["ALPHABET", "InvalidCode", "normalize", "check_character", "validate", "is_valid", "make"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]


class InvalidCode(ValueError):
    """A credit code that fails the standard; the message is the Chinese reason."""


def normalize(code: object) -> str:
    """Strip spaces, fold full-width characters to ASCII and upper-case."""
    text = unicodedata.normalize("NFKC", str(code if code is not None else ""))
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 characters of a code."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: object) -> str:
    """Return the normalised code or raise :class:`InvalidCode` with the reason."""
    text = normalize(code)
    if not text:
        raise InvalidCode("统一社会信用代码为空")
    if len(text) != 18:
        raise InvalidCode(f"统一社会信用代码应为18位，实际为{len(text)}位")
    bad = sorted({c for c in text if c not in _VALUE})
    if bad:
        raise InvalidCode(f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、S、V、Z）")
    if text[17] != check_character(text[:17]):
        # Never "the 18th should be X": the typo is as likely in any of the 18 characters
        # (each one, changed, can make the code verify), and "fixing" the check character
        # would store a wrong code that passes. Only a swap of two neighbours is worth naming.
        swaps = "、".join(f"第{i + 1}位和第{i + 2}位" for i in _verifying_swaps(text))
        hint = f"；若对调{swaps}则能通过校验，可能是这两位颠倒了" if swaps else ""
        raise InvalidCode("统一社会信用代码校验位错误：这18位不能通过校验，可能是其中任何一位录入有误"
                          f"（不一定是第18位）{hint}。请对照营业执照核对整个代码")
    return text


def _verifying_swaps(text: str) -> list[int]:
    """Positions ``i`` (0-based) where swapping characters ``i`` and ``i + 1`` of an
    18-character code gives one that verifies (a transposition, the commonest slip)."""
    out = []
    for i in range(17):
        if text[i] == text[i + 1]:
            continue
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        if check_character(swapped[:17]) == swapped[17]:
            out.append(i)
    return out


def is_valid(code: object) -> bool:
    try:
        validate(code)
    except InvalidCode:
        return False
    return True


def make(first17: str) -> str:
    """Append the check character (used by the synthetic data generator)."""
    first17 = normalize(first17)
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise InvalidCode("需要17位有效字符")
    return first17 + check_character(first17)
