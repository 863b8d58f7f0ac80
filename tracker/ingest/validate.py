"""Check raw rows and turn them into clean records, collecting every rejected row.

Nothing is written here. :func:`validate` parses every cell (codes, enumerations, dates,
counts), then checks the sheets against each other and against the store: the parent
organisation exists (in the file or the store) and the tree has no cycle, coverage links
and assignments name known firms and organisations, no natural key is given twice, ends
come after starts, an organisation's term (本届开始日期) lies between its founding and
today, and a visit (走访记录) is by a person assigned to that firm on that day (an
assignment in the store, or in the file's 联络员 sheet, which the import writes too). A row
of 覆盖关系, 联络员 or 走访记录 may name its firm by 企业名称 instead of its credit code: it is
found among the firms of the file and of the store (:mod:`tracker.ingest.names`; exactly
one match, else the row is rejected naming the candidates). A row whose own cells are fine but which depends on a rejected row
(a link to a rejected firm) is rejected too, saying so: under ``--partial`` exactly the
rows that are not rejected are written.

Examples
--------
>>> parse_date("2024年3月1日")
datetime.date(2024, 3, 1)
>>> parse_date("2024/3/1")
datetime.date(2024, 3, 1)
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from .. import uscc
from ..i18n import t
from ..intervals import check_order, is_active
from ..model import Assignment, Chain, Firm, Liaison, PartyOrg
from ..progress import ProgressCallback, Reporter
from .names import NameIndex
from .readers import RawSheet
from .template import EXAMPLE_PREFIX, SHEETS, Column, columns_of

__all__ = ["Rejection", "Record", "Validated", "StoreKeys", "parse_date", "validate",
           "FORMULA_REASON"]

FORMULA_REASON = "单元格含公式，请粘贴为数值"
_MAX_TEXT = {"name": 200, "park": 100, "street": 100, "unit": 200, "code": 64, "note": 500}
#: The term (任期, years) a ledger may give; the same bounds as ``tracker.edits``.
TERM_YEARS_RANGE = (1, 10)
_MAX_COUNT = 1_000_000
#: Rows between two progress events.
_PROGRESS_ROWS = 20_000
_SPLIT = re.compile(r"[;；、,，]")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Rejection:
    """One reason a row is refused: sheet, row as Excel shows it, column header, value."""

    sheet: str
    row: int
    column: str
    value: object
    reason: str

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (int, float, str, bool)):
            value = str(value)
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": value,
                "reason": self.reason}

    def __str__(self) -> str:
        shown = "" if self.value is None else str(self.value)
        if len(shown) > 40:
            shown = shown[:40] + "…"
        return f"{self.sheet} 第{self.row}行 [{self.column}] “{shown}”：{self.reason}"


class Record:
    """One clean row: its sheet, row number, parsed values and where it came from."""

    __slots__ = ("sheet", "row", "origin", "values")

    def __init__(self, sheet: str, row: int, origin: str, values: dict):
        self.sheet, self.row, self.origin, self.values = sheet, row, origin, values

    @property
    def source(self) -> str:
        """``file.xlsx#企业!5``: file, sheet and row as Excel shows it (made on demand: a
        million rows would otherwise hold a million copies of the file name)."""
        return f"{self.origin}!{self.row}"

    def __repr__(self) -> str:
        return f"Record({self.sheet!r}, {self.row}, {self.source!r}, {self.values!r})"


@dataclass
class StoreKeys:
    """What the store already holds, as far as validation needs it."""

    chains: dict[str, int] = field(default_factory=dict)  # code and name → id
    chain_codes: dict[int, str] = field(default_factory=dict)
    firms: set[str] = field(default_factory=set)
    #: credit code → name of the store's firms (a row may name its firm by name).
    firm_names: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, tuple[str | None, date | None]] = field(default_factory=dict)  # parent, founded
    #: Liaisons (name, unit) and their assignments: (name, unit, firm) → {start: end}.
    liaisons: set[tuple[str, str]] = field(default_factory=set)
    assignments: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    @classmethod
    def load(cls, conn) -> "StoreKeys":
        keys = cls()
        C, F, O = Chain.__table__, Firm.__table__, PartyOrg.__table__
        for cid, code, name_zh, name_en in conn.execute(sa.select(C.c.id, C.c.code, C.c.name_zh, C.c.name_en)):
            keys.chain_codes[cid] = code
            for label in (code, name_zh, name_en):
                if label:
                    keys.chains.setdefault(_chain_key(label), cid)
        keys.firm_names = dict(conn.execute(sa.select(F.c.credit_code, F.c.name)).all())
        keys.firms = set(keys.firm_names)
        parents = O.alias("parent")
        query = sa.select(O.c.code, parents.c.code, O.c.founded).select_from(
            O.outerjoin(parents, parents.c.id == O.c.parent_id))
        keys.orgs = {code: (parent, founded) for code, parent, founded in conn.execute(query)}
        LI, A = Liaison.__table__, Assignment.__table__
        keys.liaisons = {(name, unit) for name, unit in conn.execute(sa.select(LI.c.name, LI.c.unit))}
        for name, unit, firm, start, end in conn.execute(
                sa.select(LI.c.name, LI.c.unit, F.c.credit_code, A.c.start, A.c.end)
                .select_from(A.join(LI, LI.c.id == A.c.liaison_id).join(F, F.c.id == A.c.firm_id))
                .order_by(A.c.id)):
            keys.assignments.setdefault((name, unit, firm), {}).setdefault(start, end)
        return keys


@dataclass
class Validated:
    """The outcome of validation: clean records per sheet and every rejection."""

    sheets: dict[str, RawSheet]
    records: dict[str, list[Record]]
    rejections: list[Rejection]
    rows: dict[str, int]  # data rows per sheet (examples excluded)
    #: Rows that named their firm by name and the firm found: sheet, row, name, credit
    #: code, the firm's name as recorded.
    name_matches: list[dict] = field(default_factory=list)

    def rejected_rows(self) -> dict[str, dict[int, list[Rejection]]]:
        out: dict[str, dict[int, list[Rejection]]] = {}
        for r in self.rejections:
            out.setdefault(r.sheet, {}).setdefault(r.row, []).append(r)
        return out

    @property
    def ok(self) -> bool:
        return not self.rejections


def _chain_key(label: str) -> str:
    return "".join(unicodedata.normalize("NFKC", label).split()).upper()


# --------------------------------------------------------------------------- cells


def parse_date(value) -> date | None:
    """An Excel date, ``2024-03-01``, ``2024/3/1``, ``2024年3月1日`` or ``20240301``; blank is None.

    Raises ``ValueError`` with the Chinese reason.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, bool):
        raise ValueError("无法识别的日期")
    elif isinstance(value, (int, float)):
        if not (isinstance(value, int) or math.isfinite(value)) or not 1 <= value < 2958466:
            raise ValueError("无法识别的日期（数值超出 Excel 日期范围）")
        result = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return None
        match = _ISO.match(text) or _ZH.match(text) or _COMPACT.match(text)
        if not match:
            raise ValueError("无法识别的日期，请写成 2024-03-01、2024/3/1 或 2024年3月1日")
        try:
            result = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ValueError("日期不存在") from None
    if not 1900 <= result.year <= 2100:
        raise ValueError("日期超出合理范围（1900—2100年）")
    return result


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _count(value) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("人数应为整数")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("人数应为整数")
        value = int(value)
    elif not isinstance(value, int):
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return 0
        if not re.fullmatch(r"[+-]?\d{1,12}(\.0+)?", text):
            raise ValueError("人数应为整数")
        value = int(text.split(".")[0])
    if value < 0:
        raise ValueError("人数不能为负数")
    if value > _MAX_COUNT:
        raise ValueError(f"人数过大（超过{_MAX_COUNT:,}）")
    return value


def _term_years(value) -> int:
    """A term in whole years within :data:`TERM_YEARS_RANGE` (blank is handled before)."""
    low, high = TERM_YEARS_RANGE
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if re.fullmatch(r"\d{1,3}(\.0+)?", text):
            number = int(text.split(".")[0])
    if number is None or not low <= number <= high:
        raise ValueError(t("ingest.term_years_range", "zh", low=low, high=high,
                           value=_text(value)))
    return number


# The check sum of a credit code as one lookup per position: ``_POSITION[i][c]`` is the
# value of character ``c`` times the weight of position ``i`` (the same arithmetic as
# :func:`tracker.uscc.check_character`, without a generator per code).
_POSITION = [{c: v * w for c, v in zip(uscc.ALPHABET, range(31))} for w in
             (pow(3, i, 31) for i in range(17))]


def _code(value) -> str:
    # Fast path: a clean 18-character code with the right check character is returned as
    # it is, which is exactly what uscc.validate returns for it. Anything else (spaces,
    # lower case, full width, a wrong check character) goes through uscc.validate for
    # the normalisation and the reason.
    if value.__class__ is str and len(value) == 18:
        p = _POSITION
        try:
            total = (p[0][value[0]] + p[1][value[1]] + p[2][value[2]] + p[3][value[3]]
                     + p[4][value[4]] + p[5][value[5]] + p[6][value[6]] + p[7][value[7]]
                     + p[8][value[8]] + p[9][value[9]] + p[10][value[10]] + p[11][value[11]]
                     + p[12][value[12]] + p[13][value[13]] + p[14][value[14]]
                     + p[15][value[15]] + p[16][value[16]])
        except KeyError:
            pass
        else:
            if uscc.ALPHABET[(31 - total % 31) % 31] == value[17]:
                return value
    if isinstance(value, float):
        raise ValueError("统一社会信用代码被存成了数字，请将单元格设为文本后重新填写")
    return uscc.validate(value)


def _org_code(value) -> str | None:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    code = uscc.normalize(value)
    if not code:
        return None
    if len(code) > _MAX_TEXT["code"]:
        raise ValueError(f"党组织代码过长（超过{_MAX_TEXT['code']}个字符）")
    return code


def _is_formula(value) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text.startswith("=") and len(text) > 1


def _cell(column: Column, value, keys: StoreKeys):
    """The clean value of one cell; ``ValueError`` with the Chinese reason when it is bad."""
    blank = value is None or (isinstance(value, str) and not value.strip())
    if blank:
        if column.required:
            raise ValueError(f"“{column.header}”为必填项")
        if column.kind == "count":
            return 0
        if column.kind == "chains":
            return []
        return None
    kind = column.kind
    if kind == "code":
        return _code(value)
    if kind == "orgcode":
        return _org_code(value)
    if kind == "text":
        text = _text(value)
        limit = _MAX_TEXT.get(column.key, 200)
        if text is not None and len(text) > limit:
            raise ValueError(f"长度超过{limit}个字符")
        return text
    if kind == "enum":
        text = _text(value)
        return column.vocab.parse(unicodedata.normalize("NFKC", text)) if text else None
    if kind == "date":
        return parse_date(value)
    if kind == "count":
        return _count(value)
    if kind == "years":
        return _term_years(value)
    if kind == "chains":
        ids: list[int] = []
        unknown = []
        for part in _SPLIT.split(_text(value) or ""):
            label = _chain_key(part)
            if not label:
                continue
            cid = keys.chains.get(label)
            if cid is None:
                unknown.append(part.strip())
            elif cid not in ids:
                ids.append(cid)
        if unknown:
            shown = "、".join(unknown)[:100]
            raise ValueError(f"未知的产业链：{shown}（填产业链代码或名称，运行 `tracker chains` 查看）")
        return ids
    raise AssertionError(kind)


#: Distinct cell texts remembered per column. Enumerations, dates, chains, counts, parks
#: and streets repeat a few hundred values over a million rows; codes and names do not,
#: and a full cache stops growing, so memory stays bounded.
_CACHE_LIMIT = 50_000
#: Columns whose values are (nearly) unique per row: not worth caching.
_UNCACHED = {"code", "name"}


class _ColumnParser:
    """Parses the cells of one column: ``(True, value)`` or ``(False, reason)``.

    The outcome depends only on the cell (and the store's chains, fixed for the whole
    validation), so equal texts are parsed once: 100,000 rows hold a few hundred
    distinct 环节, dates or parks. Parsed lists (chains) are shared between rows, which
    is safe because records are never mutated in place.
    """

    __slots__ = ("column", "key", "pos", "header", "keys", "cache")

    def __init__(self, column: Column, pos: int | None, keys: StoreKeys):
        self.column, self.key, self.pos, self.header = column, column.key, pos, column.header
        self.keys = keys
        self.cache: dict | None = None if column.kind in _UNCACHED or column.key in _UNCACHED else {}

    def parse(self, value):
        cache = self.cache
        if cache is not None and value.__class__ is str:
            found = cache.get(value)
            if found is None:
                found = self._parse(value)
                if len(cache) < _CACHE_LIMIT:
                    cache[value] = found
            return found
        return self._parse(value)

    def _parse(self, value):
        if _is_formula(value):
            return (False, FORMULA_REASON)
        try:
            return (True, _cell(self.column, value, self.keys))
        except (ValueError, OverflowError) as exc:
            return (False, str(exc))


# --------------------------------------------------------------------------- sheets


def _header(sheet: str, key: str) -> str:
    return next(c.header for c in SHEETS[sheet] if c.key == key)


def validate(sheets: dict[str, RawSheet], keys: StoreKeys,
             progress: ProgressCallback | None = None) -> Validated:
    """Check every row of ``sheets`` against each other and the store ``keys``.

    ``progress`` receives one :class:`~tracker.progress.Progress` event (stage
    ``validate``, detail the sheet) as each sheet's rows are checked.
    """
    report = Reporter(progress)
    errors: list[Rejection] = []
    parsed: dict[str, list[Record]] = {}
    rows: dict[str, int] = {}
    # Keys of rows refused cell by cell, so rows depending on them can say why.
    failed_keys: dict[str, dict] = {"企业": {}, "党组织": {}, "联络员": {}}
    names: NameIndex | None = None  # built when a row first names its firm by name
    matches: list[dict] = []
    for name in SHEETS:
        raw = sheets.get(name)
        parsed[name] = []
        rows[name] = 0
        if raw is None:
            continue
        # A column added later (keep_when_absent) that the file does not have is not
        # parsed at all: its key stays out of the records, so the store's value is kept.
        parsers = [_ColumnParser(column, raw.position(column.key), keys)
                   for column in columns_of(name)
                   if not (column.keep_when_absent and raw.position(column.key) is None)
                   and not (column.key == "firm_name" and raw.position(column.key) is None)]
        by_name = raw.position("firm_name") is not None
        key = {"企业": "credit_code", "党组织": "code"}.get(name)
        origin = raw.source
        found_rows = parsed[name]
        total = len(raw.rows)
        report("validate", done=0, total=total, detail=name)
        for seen, row in enumerate(raw.rows, 1):
            if not seen % _PROGRESS_ROWS and seen != total:
                report("validate", done=seen, total=total, detail=name)
            cells = row.values
            first = cells[0] if cells else None
            if first.__class__ is str and first.lstrip().startswith(EXAMPLE_PREFIX):
                continue
            rows[name] += 1
            values: dict = {}
            failed = False
            for parser in parsers:
                pos = parser.pos
                value = cells[pos] if pos is not None else None
                if by_name and parser.key == "firm" and (
                        value is None or (value.__class__ is str and not value.strip())):
                    values["firm"] = None  # named by 企业名称: found below
                    continue
                ok, result = parser.parse(value)
                if ok:
                    values[parser.key] = result
                else:
                    errors.append(Rejection(name, row.number, parser.header, value, result))
                    failed = True
            if by_name and not failed and values["firm"] is None:
                if names is None:
                    names = _name_index(sheets.get("企业"), keys)
                failed = not _firm_by_name(name, row.number, values, names, errors, matches)
            if not failed:
                record = Record(name, row.number, origin, values)
                if _row_checks(record, errors):
                    found_rows.append(record)
                    continue
            if key is not None:
                pos = raw.position(key)
                try:
                    found = (_code if name == "企业" else _org_code)(row.values[pos])
                except (ValueError, TypeError):
                    found = None
                if found:
                    failed_keys[name].setdefault(found, row.number)
            elif name == "联络员":
                found = _assignment_key(raw, row)
                if found:
                    failed_keys[name].setdefault(found, row.number)
        report("validate", done=total, total=total, detail=name)
    _cross_checks(parsed, keys, errors, failed_keys)
    errors.sort(key=lambda r: (list(SHEETS).index(r.sheet), r.row))
    bad = {(r.sheet, r.row) for r in errors}
    records = {name: [r for r in recs if (name, r.row) not in bad] for name, recs in parsed.items()}
    return Validated(sheets, records, errors, rows, matches)


def _name_index(raw: RawSheet | None, keys: StoreKeys) -> NameIndex:
    """The firms a row may name: the store's, and every row of the file's 企业 sheet with
    a readable code (a rejected one too, so a row naming it says it depends on it)."""
    index = NameIndex(keys.firm_names)
    if raw is not None:
        code_at, name_at = raw.position("credit_code"), raw.position("name")
        for row in raw.rows:
            cells = row.values
            first = cells[0] if cells else None
            if first.__class__ is str and first.lstrip().startswith(EXAMPLE_PREFIX):
                continue
            try:
                code = _code(cells[code_at])
            except (ValueError, TypeError):
                continue
            text = _text(cells[name_at])
            if text:
                index.add(code, text)
    return index


def _firm_by_name(sheet: str, row: int, values: dict, names: NameIndex,
                  errors: list[Rejection], matches: list[dict]) -> bool:
    """Put the credit code of the firm the row names into ``values["firm"]``; False (with
    the rejection, naming the candidates) when none or several firms have that name."""
    given = values.get("firm_name")
    if not given:
        errors.append(Rejection(sheet, row, "统一社会信用代码", None,
                                t("ingest.firm_code_or_name", "zh")))
        return False
    found = names.match(given)
    if found.code is not None:
        values["firm"] = found.code
        matches.append({"sheet": sheet, "row": row, "name": given, "credit_code": found.code,
                        "matched": found.name})
        return True
    candidates = found.candidates
    shown = t("common.list_sep", "zh").join(f"{n}（{c}）" for c, n in candidates)
    if found.ambiguous:
        reason = t("ingest.firm_name_ambiguous", "zh", name=given, n=len(candidates),
                   candidates=shown)
    elif candidates:
        reason = t("ingest.firm_name_unknown_similar", "zh", name=given, candidates=shown)
    else:
        reason = t("ingest.firm_name_unknown", "zh", name=given)
    errors.append(Rejection(sheet, row, "企业名称", given, reason))
    return False


def _assignment_key(raw: RawSheet, row) -> tuple[str, str, str] | None:
    """(name, unit, firm) of a 联络员 row refused cell by cell, when those three cells are
    readable: a visit of that person to that firm then depends on the refused row."""
    cells = row.values
    found = []
    for key in ("name", "unit", "firm"):
        pos = raw.position(key)
        value = cells[pos] if pos is not None and pos < len(cells) else None
        try:
            found.append(_code(value) if key == "firm" else _text(value))
        except (ValueError, TypeError):
            return None
    return tuple(found) if all(found) else None


def _row_checks(record: Record, errors: list[Rejection]) -> bool:
    """Checks within one row (date order, chains given with dates); False when rejected."""
    v, sheet = record.values, record.sheet
    pairs = {"企业": ("joined", "left"), "党组织": ("founded", "dissolved"),
             "覆盖关系": ("start", "end"), "联络员": ("start", "end")}
    ok = True
    if sheet in pairs:
        start, end = pairs[sheet]
        try:
            check_order(v.get(start), v.get(end))
        except ValueError as exc:
            errors.append(Rejection(sheet, record.row, _header(sheet, end), v.get(end), str(exc)))
            ok = False
    if sheet == "企业" and not v["chains"] and (v["joined"] or v["left"]):
        errors.append(Rejection(sheet, record.row, "产业链", None, "填写了入链或退出日期，但没有填写产业链"))
        ok = False
    if sheet == "供应关系" and len(v["chain"]) > 1:
        errors.append(Rejection(sheet, record.row, "产业链", None, "供应关系只能填一条产业链"))
        ok = False
    if sheet == "供应关系" and v["supplier"] == v["buyer"]:
        errors.append(Rejection(sheet, record.row, "需方信用代码", v["buyer"], "供方和需方是同一家企业"))
        ok = False
    if sheet == "党组织" and v.get("term_start") is not None:
        reason = _term_start_reason(v["term_start"], v["founded"], v["dissolved"])
        if reason:
            errors.append(Rejection(sheet, record.row, "本届开始日期", v["term_start"], reason))
            ok = False
    if sheet == "走访记录" and v["mode"] is None:
        v["mode"] = "visit"  # 方式 left blank: a visit (part of the natural key)
    return ok


def _term_start_reason(start: date, founded: date | None, dissolved: date | None) -> str | None:
    """Why an organisation's 本届开始日期 cannot be, or None: it must lie on or after the
    founding, before the dissolution, and not after today (an election that has happened)."""
    today = date.today()
    if start > today:
        return t("ingest.term_start_future", "zh", today=today.isoformat())
    if founded is not None and start < founded:
        return t("ingest.term_start_before_founded", "zh", founded=founded.isoformat())
    if dissolved is not None and start >= dissolved:
        return t("ingest.term_start_after_dissolved", "zh", dissolved=dissolved.isoformat())
    return None


def _reject_duplicates(records: list[Record], key, column: str, errors: list[Rejection],
                       what: str) -> None:
    """Reject every row whose natural key occurs more than once in the file."""
    # One dict entry per key and a list only for keys seen twice (a million firms: no
    # million one-element lists).
    first: dict[object, Record] = {}
    groups: dict[object, list[Record]] = {}
    for r in records:
        k = key(r)
        seen = first.get(k)
        if seen is None:
            first[k] = r
        elif k in groups:
            groups[k].append(r)
        else:
            groups[k] = [seen, r]
    del first
    for group in sorted(groups.values(), key=lambda g: g[0].row):
        if len(group) > 1:
            numbers = [r.row for r in group]
            for r in group:
                others = "、".join(str(n) for n in numbers if n != r.row)
                errors.append(Rejection(r.sheet, r.row, column, _value_of(r, column),
                                        f"文件内重复：{what}与第{others}行相同"))


def _value_of(record: Record, header: str):
    key = next((c.key for c in SHEETS[record.sheet] if c.header == header), None)
    return record.values.get(key) if key else None


def _cross_checks(parsed: dict[str, list[Record]], keys: StoreKeys, errors: list[Rejection],
                  failed_keys: dict[str, dict[str, int]]) -> None:
    firms, orgs = parsed["企业"], parsed["党组织"]
    _reject_duplicates(firms, lambda r: r.values["credit_code"], "统一社会信用代码", errors,
                       "统一社会信用代码")
    _reject_duplicates(orgs, lambda r: r.values["code"], "党组织代码", errors, "党组织代码")
    _reject_duplicates(parsed["覆盖关系"], lambda r: (r.values["org"], r.values["firm"], r.values["start"]),
                       "统一社会信用代码", errors, "党组织、企业和开始日期")
    _reject_duplicates(parsed["联络员"],
                       lambda r: (r.values["name"], r.values["unit"], r.values["firm"], r.values["start"]),
                       "统一社会信用代码", errors, "联络员、企业和开始日期")
    _reject_duplicates(parsed["供应关系"],
                       lambda r: (r.values["supplier"], r.values["buyer"], tuple(r.values["chain"])),
                       "需方信用代码", errors, "供方、需方和产业链")
    _reject_duplicates(parsed["走访记录"],
                       lambda r: (r.values["name"], r.values["unit"], r.values["firm"],
                                  r.values["day"], r.values["mode"]),
                       "走访日期", errors, "联络员、企业、走访日期和方式")

    bad = {(e.sheet, e.row) for e in errors}
    file_firm_rows = {r.values["credit_code"]: r.row for r in firms}
    file_org_rows = {r.values["code"]: r.row for r in orgs}
    for code, row in failed_keys["企业"].items():
        file_firm_rows.setdefault(code, row)
    for code, row in failed_keys["党组织"].items():
        file_org_rows.setdefault(code, row)
    firm_rows_ok = {r.values["credit_code"]: r for r in firms}
    org_rows_ok = {r.values["code"]: r for r in orgs}

    # Organisations: parents and cycles, repeated until no more rows fall out.
    while True:
        valid_orgs = {c: r for c, r in org_rows_ok.items() if (r.sheet, r.row) not in bad}
        new: list[Rejection] = []
        parent_of = {code: parent for code, (parent, _) in keys.orgs.items()}
        parent_of.update({c: r.values["parent"] for c, r in valid_orgs.items()})
        for code, r in valid_orgs.items():
            parent = r.values["parent"]
            if parent is None:
                continue
            if parent not in valid_orgs and parent not in keys.orgs:
                if parent in file_org_rows:
                    reason = f"依赖的行被拒绝：上级党组织 {parent}（党组织 第{file_org_rows[parent]}行）"
                else:
                    reason = f"上级党组织 {parent} 不存在（本文件和数据库中都没有）"
                new.append(Rejection("党组织", r.row, "上级党组织代码", parent, reason))
                continue
            path = [code]
            current = parent
            while current is not None and current not in path:
                path.append(current)
                current = parent_of.get(current)
            if current is not None:  # came back to a code on the path: a cycle
                cycle = path[path.index(current):] + [current]
                if code in cycle[:-1]:
                    new.append(Rejection("党组织", r.row, "上级党组织代码", parent,
                                         "上级党组织关系形成循环：" + " → ".join(cycle)))
                else:
                    new.append(Rejection("党组织", r.row, "上级党组织代码", parent,
                                         "上级党组织链条中存在循环：" + " → ".join(cycle)))
        if not new:
            break
        errors.extend(new)
        bad |= {(e.sheet, e.row) for e in new}

    valid_firms = {c for c, r in firm_rows_ok.items() if (r.sheet, r.row) not in bad}
    valid_orgs = {c: r for c, r in org_rows_ok.items() if (r.sheet, r.row) not in bad}

    def firm_missing(code: str, sheet: str, row: int, header: str) -> Rejection | None:
        if code in valid_firms or code in keys.firms:
            return None
        if code in file_firm_rows:
            reason = f"依赖的行被拒绝：企业 {code}（企业 第{file_firm_rows[code]}行）"
        else:
            reason = "企业不存在（本文件“企业”表和数据库中都没有这个统一社会信用代码）"
        return Rejection(sheet, row, header, code, reason)

    for r in parsed["覆盖关系"]:
        if ("覆盖关系", r.row) in bad:
            continue
        v = r.values
        found: list[Rejection] = []
        org = v["org"]
        if org not in valid_orgs and org not in keys.orgs:
            if org in file_org_rows:
                reason = f"依赖的行被拒绝：党组织 {org}（党组织 第{file_org_rows[org]}行）"
            else:
                reason = "党组织不存在（本文件“党组织”表和数据库中都没有这个代码）"
            found.append(Rejection("覆盖关系", r.row, "党组织代码", org, reason))
        missing = firm_missing(v["firm"], "覆盖关系", r.row, "统一社会信用代码")
        if missing:
            found.append(missing)
        if not found and v["start"] is None:
            # An empty start means "since the organisation was founded".
            v["start"] = (valid_orgs[org].values["founded"] if org in valid_orgs
                          else keys.orgs[org][1])
            try:
                check_order(v["start"], v["end"])
            except ValueError as exc:
                found.append(Rejection("覆盖关系", r.row, "结束日期", v["end"],
                                       f"{exc}（开始日期取党组织成立日期）"))
        errors.extend(found)

    roles: dict[tuple, set] = {}
    for r in parsed["联络员"]:
        roles.setdefault((r.values["name"], r.values["unit"]), set()).add(r.values["role"] or "liaison")
    for r in parsed["联络员"]:
        if ("联络员", r.row) in bad:
            continue
        v = r.values
        missing = firm_missing(v["firm"], "联络员", r.row, "统一社会信用代码")
        if missing:
            errors.append(missing)
        if len(roles[(v["name"], v["unit"])]) > 1:
            errors.append(Rejection("联络员", r.row, "类型", v["role"],
                                    "同一联络员（同名同单位）在文件中的类型不一致"))

    for r in parsed["供应关系"]:
        if ("供应关系", r.row) in bad:
            continue
        for key, header in (("supplier", "供方信用代码"), ("buyer", "需方信用代码")):
            missing = firm_missing(r.values[key], "供应关系", r.row, header)
            if missing:
                errors.append(missing)

    _check_visits(parsed, keys, errors, firm_missing, failed_keys)


def _check_visits(parsed: dict[str, list[Record]], keys: StoreKeys, errors: list[Rejection],
                  firm_missing, failed_keys: dict[str, dict]) -> None:
    """A visit needs a known person, a known firm and an assignment of that person to that
    firm active on the visit's day: in the store, or in a valid row of the file's 联络员
    sheet (whose end date, for an assignment the store has too, is the one that will hold).
    """
    visits = parsed["走访记录"]
    if not visits:
        return
    bad = {(e.sheet, e.row) for e in errors}
    people = set(keys.liaisons)
    # (name, unit, firm) → {start: end}: the store's assignments, overlaid with the file's.
    periods: dict[tuple, dict] = {k: dict(v) for k, v in keys.assignments.items()}
    rejected_rows: dict[tuple, int] = dict(failed_keys.get("联络员", {}))
    for r in parsed["联络员"]:
        v = r.values
        people.add((v["name"], v["unit"]))
        key = (v["name"], v["unit"], v["firm"])
        if ("联络员", r.row) in bad:
            rejected_rows.setdefault(key, r.row)
            continue
        periods.setdefault(key, {})[v["start"]] = v["end"]
    for r in visits:
        if ("走访记录", r.row) in bad:
            continue
        v = r.values
        person = (v["name"], v["unit"])
        who = f"{v['name']}（{v['unit']}）"
        missing = firm_missing(v["firm"], "走访记录", r.row, "统一社会信用代码")
        if missing:
            errors.append(missing)
            continue
        key = (v["name"], v["unit"], v["firm"])
        if person not in people and key not in rejected_rows:
            errors.append(Rejection("走访记录", r.row, "姓名", v["name"],
                                    t("ingest.visit_reject_unknown_liaison", "zh", who=who)))
            continue
        spans = periods.get(key, {})
        if any(is_active(start, end, v["day"]) for start, end in spans.items()):
            continue
        if key in rejected_rows:
            reason = t("ingest.visit_reject_depends", "zh", row=rejected_rows[key])
        elif spans:
            reason = t("ingest.visit_reject_outside", "zh", who=who,
                       periods=_periods_text(spans.items()))
        else:
            reason = t("ingest.visit_reject_not_assigned", "zh", who=who)
        errors.append(Rejection("走访记录", r.row, "走访日期", v["day"], reason))


def _periods_text(spans) -> str:
    """Assignment periods as ``2024-03-01–2024-12-01、2025-01-01–至今``."""
    ordered = sorted(spans, key=lambda p: (p[0] is not None, p[0] or date.min))
    return t("ingest.period_sep", "zh").join(
        f"{start.isoformat() if start else t('ingest.period_open_start', 'zh')}–"
        f"{end.isoformat() if end else t('ingest.period_open_end', 'zh')}"
        for start, end in ordered)
