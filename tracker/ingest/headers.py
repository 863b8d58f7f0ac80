"""Which standard column each header of a ledger's sheet is: synonyms, ``--map``, memory.

Every office words its columns a little differently (社会信用代码, 企业全称, 所属产业链 …).
A header is matched after :func:`normalise` (full/half width, spaces, bracket kinds, a
trailing ``*`` or colon, case), in this order:

1. an explicit mapping (``tracker import --map "原列名=标准列名"``, or a column changed in
   the dashboard's upload preview) — ``how`` ``"map"``;
2. the mapping remembered for a sheet with exactly these headers (saved when such an
   import was written) — ``"remembered"``;
3. the standard header or its English alias — ``"exact"``;
4. a synonym from ``data/header_synonyms.csv`` (editable without code: one line per
   synonym, ``工作表,标准列名,同义词``; an empty 工作表 means every sheet that has the
   standard column) — ``"synonym"``; failing that, the header with its bracketed part
   removed (``企业名称（盖章）``) matched by 3 or 4.

A header that matches nothing is no column: the sheet lists it as 未识别的列.

Remembered mappings are kept in the store's key/value table ``dataset_info`` under
``header_map:<signature>`` (the signature is a hash of the sheet and its normalised
headers), so they go wherever the store goes (backups included) and need no schema.

Examples
--------
>>> normalise(" 统一社会信用代码（18位）* ")
'统一社会信用代码(18位)'
>>> [(c.header if c else None, how) for c, how in map_headers("企业", ["社会信用代码", "企业全称", "备注2"])]
[('统一社会信用代码', 'synonym'), ('企业名称', 'synonym'), (None, None)]
>>> explicit = parse_map(["备注2=所在园区"])
>>> map_headers("企业", ["备注2"], HeaderMap(explicit=explicit))[0][0].header
'所在园区'
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

from ..errors import TrackerError
from ..model import DatasetInfo
from ..resources import DATA_DIR
from .template import SHEET_ALIASES, SHEETS, Column, columns_of

__all__ = [
    "HOW",
    "REMEMBER_PREFIX",
    "SYNONYMS_FILE",
    "HeaderMap",
    "MapError",
    "load_remembered",
    "lookup",
    "map_headers",
    "normalise",
    "parse_map",
    "remember",
    "sheet_for_name",
    "signature",
    "synonyms",
]

SYNONYMS_FILE = DATA_DIR / "header_synonyms.csv"
#: How a header was matched, best first (an explicit choice beats a remembered one …).
HOW = ("map", "remembered", "exact", "synonym")
REMEMBER_PREFIX = "header_map:"

_BRACKETS = str.maketrans({"【": "(", "〔": "(", "[": "(", "{": "(", "〈": "(", "《": "(",
                           "】": ")", "〕": ")", "]": ")", "}": ")", "〉": ")", "》": ")"})
_BRACKETED = re.compile(r"\([^()]*\)")


class MapError(TrackerError):
    """A ``--map`` that names no column (exit code 2, like a file that cannot be read)."""

    exit_code = 2


def normalise(text) -> str:
    """A header as compared: NFKC (full width to half), no spaces, one kind of bracket,
    no trailing ``*``/colon, lower case."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = "".join(value.split()).translate(_BRACKETS)
    return value.rstrip("*:").lower()


@lru_cache(maxsize=4)
def _load(path: str, stamp: float) -> dict[str, dict[str, tuple[Column, str]]]:
    tables: dict[str, dict[str, tuple[Column, str]]] = {}
    for sheet in SHEETS:
        table = tables[sheet] = {}
        for column in columns_of(sheet):
            for word in (column.header, column.alias):
                table.setdefault(normalise(word), (column, "exact"))
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except OSError as exc:
        raise TrackerError(f"无法读取表头同义词文件 {path}：{exc.strerror or exc}") from None
    for number, line in enumerate(lines[1:], 2):
        if not line or not any(cell.strip() for cell in line) or line[0].lstrip().startswith("#"):
            continue
        if len(line) < 3:
            raise TrackerError(f"{Path(path).name} 第{number}行：应为 工作表,标准列名,同义词")
        sheet, standard, word = (cell.strip() for cell in line[:3])
        sheets = [SHEET_ALIASES.get(sheet.lower(), sheet)] if sheet else list(SHEETS)
        placed = False
        for name in sheets:
            if name not in tables:
                raise TrackerError(f"{Path(path).name} 第{number}行：未知的工作表“{sheet}”")
            target = tables[name].get(normalise(standard))
            if target is None or target[1] != "exact":
                continue
            placed = True
            key = normalise(word)
            known = tables[name].get(key)
            if known is None:
                tables[name][key] = (target[0], "synonym")
            elif known[0].key != target[0].key and known[1] == "synonym":
                raise TrackerError(f"{Path(path).name} 第{number}行：“{word}”在工作表“{name}”中"
                                   f"既是“{known[0].header}”又是“{target[0].header}”的同义词")
        if not placed:
            raise TrackerError(f"{Path(path).name} 第{number}行：“{standard}”不是"
                               f"{'工作表“' + sheet + '”的' if sheet else '任何工作表的'}标准列名")
    return tables


def synonyms(path: Path | str | None = None) -> dict[str, dict[str, tuple[Column, str]]]:
    """Per sheet: normalised header → (column, ``"exact"`` or ``"synonym"``), from the
    declared columns and ``path`` (default :data:`SYNONYMS_FILE`; reread when it changes)."""
    path = Path(path or SYNONYMS_FILE)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load(str(path), stamp)


def lookup(sheet: str, text) -> tuple[Column | None, str | None]:
    """The column a header names by itself (standard, alias or synonym, then without its
    bracketed part), with how; ``(None, None)`` when nothing matches."""
    table = synonyms()[sheet]
    key = normalise(text)
    if not key:
        return None, None
    found = table.get(key)
    if found is None:
        bare = _BRACKETED.sub("", key)
        found = table.get(bare) if bare and bare != key else None
        if found is not None:
            return found[0], "synonym"
        return None, None
    return found


@dataclass
class HeaderMap:
    """Mappings that beat the synonyms: ``explicit`` (sheet, or None for every sheet →
    normalised header → standard header text, None to leave the column out) and
    ``remembered`` (signature → normalised header → column key, None for left out)."""

    explicit: dict[str | None, dict[str, str | None]] = field(default_factory=dict)
    remembered: dict[str, dict[str, str | None]] = field(default_factory=dict)


def parse_map(items, sheets=None) -> dict[str | None, dict[str, str | None]]:
    """``["原列名=标准列名", "企业:原列名=标准列名", "原列名="]`` → :attr:`HeaderMap.explicit`.

    A target is any header the sheet recognises (standard, alias or synonym); an empty
    target leaves the column out. Raises :class:`MapError` for a malformed item or a
    target that is a column of no sheet.
    """
    out: dict[str | None, dict[str, str | None]] = {}
    for item in items or ():
        text = unicodedata.normalize("NFKC", str(item))
        if "=" not in text:
            raise MapError(f"--map “{item}”：应写成 原列名=标准列名")
        source, target = (part.strip() for part in text.split("=", 1))
        sheet = None
        if ":" in source:
            head, rest = source.split(":", 1)
            if sheet_for_name(head) is not None:
                sheet, source = sheet_for_name(head), rest.strip()
        if not normalise(source):
            raise MapError(f"--map “{item}”：原列名为空")
        if target:
            names = [sheet] if sheet else list(SHEETS)
            if not any(lookup(name, target)[0] is not None for name in names):
                raise MapError(f"--map “{item}”：“{target}”不是{'工作表“' + sheet + '”的' if sheet else ''}"
                               f"标准列名（可用的列名见 docs/import.md）")
        out.setdefault(sheet, {})[normalise(source)] = target or None
    return out


def sheet_for_name(name: str) -> str | None:
    """The canonical sheet name for a sheet title or file stem, or None.

    >>> sheet_for_name(" firms "), sheet_for_name("说明")
    ('企业', None)
    """
    key = unicodedata.normalize("NFKC", "" if name is None else str(name))
    key = "".join(key.split()).rstrip("*").lower()
    if key in SHEETS:
        return key
    return SHEET_ALIASES.get(key)


def signature(sheet: str, headers) -> str:
    """A short hash of the sheet and its normalised non-blank headers, in order."""
    words = [normalise(h) for h in headers]
    text = "\x1f".join([sheet, *[w for w in words if w]])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def map_headers(sheet: str, headers, header_map: HeaderMap | None = None
                ) -> list[tuple[Column | None, str | None]]:
    """The column (or None) and how it was matched, for each header of ``sheet``."""
    header_map = header_map or HeaderMap()
    by_key = {c.key: c for c in columns_of(sheet)}
    mine = header_map.explicit.get(sheet, {})
    every = header_map.explicit.get(None, {})
    remembered = header_map.remembered.get(signature(sheet, headers)) if header_map.remembered else None
    out: list[tuple[Column | None, str | None]] = []
    for text in headers:
        key = normalise(text)
        if not key:
            out.append((None, None))
            continue
        if key in mine or key in every:
            target = mine[key] if key in mine else every[key]
            column = lookup(sheet, target)[0] if target else None
            if column is not None or not target or key in mine:
                out.append((column, "map"))
                continue
        if remembered is not None and key in remembered:
            column = by_key.get(remembered[key]) if remembered[key] else None
            out.append((column, "remembered"))
            continue
        out.append(lookup(sheet, text))
    return out


def load_remembered(conn) -> dict[str, dict[str, str | None]]:
    """Every remembered mapping in the store: signature → normalised header → key."""
    table = DatasetInfo.__table__
    out = {}
    for key, value in conn.execute(sa.select(table.c.key, table.c.value)
                                   .where(table.c.key.startswith(REMEMBER_PREFIX))):
        try:
            out[key[len(REMEMBER_PREFIX):]] = dict(json.loads(value)["map"])
        except (ValueError, KeyError, TypeError):
            continue  # a damaged entry is no mapping: the synonyms apply
    return out


def remember(conn, sheets) -> int:
    """Save, in the caller's transaction, the mapping of each sheet that had an explicit
    or remembered choice (``how`` map/remembered); returns how many were saved."""
    from datetime import datetime

    table = DatasetInfo.__table__
    saved = 0
    for raw in sheets:
        hows = getattr(raw, "how", None) or []
        if "map" not in hows:
            continue
        mapping = {normalise(h): (c.key if c is not None else None)
                   for h, c in zip(raw.headers, raw.columns) if normalise(h)}
        value = json.dumps({"sheet": raw.name, "headers": list(raw.headers), "map": mapping},
                           ensure_ascii=False)
        key = REMEMBER_PREFIX + raw.signature
        now = datetime.now(UTC)
        if conn.execute(sa.select(table.c.key).where(table.c.key == key)).first():
            conn.execute(table.update().where(table.c.key == key).values(value=value, updated=now))
        else:
            conn.execute(table.insert().values(key=key, value=value, updated=now))
        saved += 1
    return saved
