"""The synthetic district: a deterministic, seeded demo data set.

No public roster of Huangpu firms with their party organisations exists, so the demo is
generated. Every name and credit code is fictional (codes carry valid check characters);
the store's provenance says ``synthetic = true`` wherever the data is shown.

What the generator draws (proportions from the project's domain notes, the rest our choice):

- **Firms**: uneven chain sizes over the chain list; ~12 % of firms in two chains;
  mostly 民营, some 外资 / 港澳台, few 国有 / 混合所有制; ~18 % above designated size;
  ~70 % in one of the five parks, every firm in a street. Formal party members: most firms
  0-2, some 3-20, a few 21-99, chain masters (链主) 50-300; probationary members small.
- **History** from 2022-01-01 to ``today``: most firms are in their chain at the plan's
  start, more join over time (also after the deadline), some leave. Each firm becomes
  covered at some date: some before the plan, most during it, the last ones just before
  the deadline 2025-12-31. In 2-4 "lagging" chains a few firms miss the deadline, and firms
  joining after it are covered only after a lag, which pulls coverage down again.
- **Organisations** (a tree, parents before children): park and street committees
  (区域组建) on top; one chain committee per chain (行业组建) with the chain masters'
  committees (单独组建) and their branches below; firms with ≥ 3 formal members have
  their own organisation; firms with 1-2 members are grouped by park into joint branches
  (联合组建, 3-5 firms, a few larger); firms without members are covered by regional
  (楼宇) or industry branches, or by a liaison officer only. A few joint branches are
  merged into successors (dissolved), and some organisations of firms that left every
  chain are dissolved.
- **Liaison officers** (联络员 / 指导员) from district units, each serving 1-3 firms at a
  time: a firm is work-covered until its organisation exists, or for good; officers rotate.
- **Supply links** within each chain: upstream → midstream → downstream, chain masters
  with more partners.
- **Rule findings on purpose**: a few firms with ≥ 3 members only in a joint branch (R1),
  a few 党支部 over 50 members (R2), a few joint branches over 5 firms (R3), small
  organisations (R4), one chain master without an organisation (R5).
- **Losses after the deadline** (drawn after everything above, so the earlier data stay
  as they were): from mid-January of the year after the deadline to ``today``, about 0.1 %
  of firms lose their own organisation (dissolved), 0.2 % leave their regional or industry
  branch and 0.2 % lose their only liaison officer, with no replacement; a third of each
  in the month of ``today``, so that "lost this month" is rarely empty.
- **Liaison visits** (走访记录, kept from :data:`VISITS_FROM`): each officer visits each of
  their firms about monthly while assigned (mostly 走访, some 座谈 / 指导 / 活动 / 线上, on
  working days, now and then a second one in a month). Most officers (~72 %) are regular,
  some (~15 %) irregular (half the months), some (~10 %) lapse for 3-8 months (half of
  them still lapsed on ``today``), a few (~3 %) never record a visit; ~3 % of assignments
  see no visit at all. Every visit falls inside its officer's assignment to the firm.
- **Organisation terms** (任期, 换届): a term starts at the founding and again at each
  election, every 3 years (党支部, 党总支) or 5 (党委), held up to two months early or one
  late; ~6 % of organisations have an explicit 任期 (3 or 5 years), the rest the kind's
  default (None). About 10 % of those whose election fell due in the past year, and a few
  older ones, have not held it (overdue); ~3.5 % have no recorded term start.
- **An illustrative follow-on plan** (:data:`EXAMPLE_PLAN`, marked 示例 and
  ``is_example``): added by :func:`load_demo`, never presented as real policy.

:func:`generate` is pure (no database) and deterministic for ``(firms, seed, today)``;
:func:`load_demo` replaces the store's data with it in one transaction using bulk inserts;
:func:`ensure_demo` loads the default demo into an empty store.

Examples
--------
>>> from datetime import date
>>> data = generate(firms=300, seed=1, today=date(2026, 6, 30))
>>> len(data.firms)
300
>>> from tracker.uscc import is_valid
>>> all(is_valid(code) for code in data.firms.column("credit_code"))
True
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .chains import read_chain_list
from .errors import TrackerError
from .i18n import both, t
from .model import (
    Assignment,
    Chain,
    ChainMembership,
    CoverageLink,
    DatasetInfo,
    Firm,
    Liaison,
    PartyOrg,
    Plan,
    SupplyLink,
    Visit,
    metadata,
)
from .progress import ProgressCallback, Reporter
from .provenance import set_info
from .store import refresh_statistics
from .uscc import ALPHABET
from .vocab import VISIT_MODE

__all__ = [
    "DEFAULT_FIRMS",
    "DEFAULT_SEED",
    "EXAMPLE_PLAN",
    "MAX_FIRMS",
    "MIN_FIRMS",
    "PLAN_DEADLINE",
    "PLAN_START",
    "VISITS_FROM",
    "DemoData",
    "Table",
    "ensure_demo",
    "example_plan",
    "generate",
    "load_demo",
    "store_has_firms",
]

DEFAULT_FIRMS = 3000
DEFAULT_SEED = 2022
PLAN_START = date(2022, 1, 1)
PLAN_DEADLINE = date(2025, 12, 31)
MIN_FIRMS = 50
MAX_FIRMS = 5_000_000
LICENCE = "CC0-1.0（合成数据，无真实企业或个人信息 / synthetic, no real firm or person）"

#: The first day of the demo's visit log (the district records visits in Redwood since then).
VISITS_FROM = date(2025, 1, 1)

#: The illustrative follow-on plan that :func:`load_demo` adds (示例: not real policy; no
#: public text names the district's next plan). Name and source are in ``common.json``.
EXAMPLE_PLAN = {
    "start": date(2026, 1, 1),
    "deadline": date(2030, 12, 31),
    "target_rate": 1.0,
    "denominator": "chain_firms",
    "cover_within_days": 60,
    "visit_within_days": 90,
}

_S = PLAN_START.toordinal()
_DL = PLAN_DEADLINE.toordinal()
_NEVER = 10**8  # a day number later than any date we write: "not (yet) covered"
_EPOCH = date(1970, 1, 1).toordinal()  # day number of numpy's datetime64 zero

# --------------------------------------------------------------------------- vocabularies

PARKS = ["中新广州知识城", "广州科学城", "广州国际生物岛", "黄埔港", "穗港智造合作区"]
# Streets of each park (our approximation of the geography; the demo is synthetic).
PARK_STREETS = {
    "中新广州知识城": ["九佛街道", "龙湖街道", "新龙镇"],
    "广州科学城": ["萝岗街道", "联和街道", "长岭街道", "云埔街道", "东区街道", "夏港街道"],
    "广州国际生物岛": ["长洲街道"],
    "黄埔港": ["黄埔街道", "鱼珠街道", "文冲街道"],
    "穗港智造合作区": ["永和街道"],
}
STREETS = ["黄埔街道", "红山街道", "鱼珠街道", "大沙街道", "文冲街道", "穗东街道", "南岗街道",
           "长洲街道", "夏港街道", "萝岗街道", "联和街道", "永和街道", "东区街道", "云埔街道",
           "长岭街道", "九佛街道", "龙湖街道", "新龙镇"]
PARK_WEIGHTS = [0.25, 0.30, 0.06, 0.05, 0.04]  # the rest (0.30) is in no park

OWNERSHIP_CODES = ["private", "foreign", "hmt", "state", "mixed"]

# Relative chain sizes for the shipped chain codes; other codes get a seeded weight.
CHAIN_WEIGHTS = {"BIO": 12, "DISPLAY": 8, "AUTO": 11, "NEWMAT": 8, "IC": 6, "ENERGY": 6,
                 "EQUIP": 10, "BEAUTY": 7, "FOOD": 5, "AI": 8, "SOFT": 11, "MEDDEV": 9, "UHD": 3}

INDUSTRY_WORDS = {
    "BIO": ["生物科技", "基因科技", "生物工程", "生命科学"],
    "DISPLAY": ["显示科技", "光电科技", "液晶材料", "面板科技"],
    "AUTO": ["汽车零部件", "新能源汽车", "汽车电子", "智能网联科技"],
    "NEWMAT": ["新材料", "高分子材料", "复合材料", "化工科技"],
    "IC": ["半导体", "微电子", "集成电路", "芯片科技"],
    "ENERGY": ["新能源", "储能科技", "氢能科技", "光伏科技"],
    "EQUIP": ["智能装备", "精密机械", "机器人", "自动化设备"],
    "BEAUTY": ["化妆品", "日化", "美容科技", "健康产业"],
    "FOOD": ["食品", "营养科技", "饮品", "生物食品"],
    "AI": ["人工智能", "智能科技", "数据科技", "视觉科技"],
    "SOFT": ["软件", "信息技术", "网络科技", "信创科技"],
    "MEDDEV": ["医疗器械", "医药科技", "生物医药", "诊断技术"],
    "UHD": ["视频科技", "超高清技术", "影像科技", "数字传媒"],
}
GENERIC_WORDS = ["科技", "实业", "技术", "发展"]

TRADE_CHARS = list(
    "华鑫瑞恒达信德创宏泰盛源聚博智远天晟凯晶卓越联星耀峰立宇海润金安康正明辰誉启航腾云通和"
    "嘉丰实汇诚禾永昊锦奥迈驰锐捷朗拓蓝杰纳芯微光能英益佳美辉昌铭睿珑瀚骏晨曦铂弘致尚贝思维"
    "度赛优力众合新科鸿景泽图灵航元钧颐祥富裕隆兴旺泓宸斯帆霖璟琪茂"
)

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
                "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
                "薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_CHARS = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌波宇浩凯健俊"
                   "帆帅旭宁龙林欣颖晨琳晶妍茜倩婷雪慧佳嘉鹏飞鑫昊晓志诚航博睿锦彤怡")

UNITS = ["区工业和信息化局", "区科学技术局", "区发展和改革局", "区商务局", "区市场监督管理局",
         "区人力资源和社会保障局", "区财政局", "区住房和城乡建设局", "区卫生健康局", "区投资促进局",
         "区政务服务数据管理局", "区生态环境分局", "区应急管理局", "区统计局", "区司法局",
         "区委组织部", "区委两新工委", "区总工会", "团区委", "区妇联", "区工商联", "区知识产权局",
         "区交通运输局", "区教育局", "区文化广电旅游局", "区国资局", "区金融工作局", "区审计局",
         "区档案局", "区退役军人事务局"] + [f"{s}办事处" if s.endswith("街道") else f"{s}人民政府"
                                    for s in STREETS]


# --------------------------------------------------------------------------- data holder

_DATE_CACHE: dict[int, date] = {}


def _to_date(day: int) -> date | None:
    if day <= 0 or day >= _NEVER:
        return None
    found = _DATE_CACHE.get(day)
    if found is None:
        found = _DATE_CACHE[day] = date.fromordinal(day)
    return found


@dataclass(eq=False)
class Table:
    """Rows of one table as columns (numpy arrays), named like the database columns.

    Date columns hold day numbers (:meth:`datetime.date.toordinal`), 0 for "no date";
    ``nullable`` integer columns use 0 for NULL (ids start at 1). :meth:`rows` turns a
    slice into plain dicts for ``conn.execute(table.insert(), rows)``.
    """

    name: str
    columns: dict[str, np.ndarray]
    dates: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def column(self, name: str) -> list:
        """One column as Python values (dates as :class:`date` or None)."""
        return self._convert(name, self.columns[name].tolist())

    def _convert(self, name: str, values: list) -> list:
        if name in self.dates:
            return [_to_date(v) for v in values]
        if name in self.nullable:
            return [v if v else None for v in values]
        return values

    def rows(self, start: int = 0, stop: int | None = None,
             rename: dict[str, str] | None = None,
             maps: dict[str, dict] | None = None) -> list[dict]:
        """Rows ``start:stop`` as dicts; ``maps`` translates a column's values (e.g. chain code → id)."""
        rename = rename or {}
        maps = maps or {}
        names = list(self.columns)
        cols = []
        for name in names:
            values = self._convert(name, self.columns[name][start:stop].tolist())
            if name in maps:
                lookup = maps[name]
                values = [lookup[v] for v in values]
            cols.append(values)
        keys = [rename.get(n, n) for n in names]
        return [dict(zip(keys, row)) for row in zip(*cols)]

    def equals(self, other: Table) -> bool:
        return (self.name == other.name and list(self.columns) == list(other.columns)
                and all(np.array_equal(self.columns[k], other.columns[k]) for k in self.columns))


@dataclass(eq=False)
class DemoData:
    """The generated district: one :class:`Table` per stored table.

    ``memberships.chain`` and ``supply_links.chain`` hold chain codes (the store's ids are
    looked up when loading); every other reference is an id within this data set.
    """

    firms_requested: int
    seed: int
    today: date
    chains: list[str]
    lagging_chains: list[str]
    firms: Table
    memberships: Table
    orgs: Table
    links: Table
    liaisons: Table
    assignments: Table
    supply_links: Table
    visits: Table
    tables: tuple[str, ...] = field(default=("firms", "memberships", "orgs", "links", "liaisons",
                                             "assignments", "supply_links", "visits"))

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.tables}

    def equals(self, other: DemoData) -> bool:
        """Same data (used to check determinism)."""
        return (self.chains == other.chains and self.lagging_chains == other.lagging_chains
                and all(getattr(self, t).equals(getattr(other, t)) for t in self.tables))


# --------------------------------------------------------------------------- helpers


def _uniform_days(rng: np.random.Generator, lo, hi, size=None) -> np.ndarray:
    """Integer days uniformly in ``[lo, hi]`` (arrays broadcast; hi < lo gives lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    u = rng.random(size if size is not None else np.broadcast(lo, hi).shape)
    return lo + np.floor(u * (hi - lo + 1)).astype(np.int64)


_ALPHABET_CHARS = np.array(list(ALPHABET))
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# GB 11714 values of the USCC alphabet's characters (digits as such, letters A=10 … Z=35).
_ORG_VALUE = np.array([int(c, 36) for c in ALPHABET], dtype=np.int64)


def _digits(values: np.ndarray, base: int, count: int) -> np.ndarray:
    """Most significant first: the ``count`` base-``base`` digits of each value."""
    powers = base ** np.arange(count - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % base


def _credit_codes(rng: np.random.Generator, n: int, kinds: np.ndarray) -> list[str]:
    """Unique fictional Huangpu credit codes (division 440112) with valid check characters.

    ``kinds``: 0 = company (``91``), 1 = farmers' cooperative (``N2``), 2 = other (``Y1``).
    The organisation code part is a bijection of the firm's index (an affine map modulo
    the size of the code space), so codes are unique by construction; ~40 % are
    old-style all-digit codes, the rest new-style ``MA5…`` codes. Its own GB 11714 check
    character is computed too, though the standard does not require it. Vectorised: the
    codes are built as a matrix of alphabet positions.
    """
    old = rng.random(n) < 0.4
    rank_old = np.cumsum(old) - 1
    rank_new = np.cumsum(~old) - 1
    space_old, space_new = 10**8, 31**5
    a_old = int(rng.integers(1, space_old // 7)) * 2 + 1  # odd and (below) not a multiple of 5
    while a_old % 5 == 0:
        a_old += 2
    a_new = int(rng.integers(1, space_new // 31)) * 31 + int(rng.integers(1, 31))
    b_old, b_new = int(rng.integers(0, space_old)), int(rng.integers(0, space_new))
    value_old = (a_old * rank_old + b_old) % space_old
    value_new = (a_new * rank_new + b_new) % space_new
    core = np.where(old[:, None], _digits(value_old, 10, 8),
                    np.c_[np.tile([ALPHABET.index(c) for c in "MA5"], (n, 1)),
                          _digits(value_new, 31, 5)])
    org_check = 11 - (_ORG_VALUE[core] @ _ORG_WEIGHTS) % 11
    org_check = np.where(org_check == 11, 0, np.where(org_check == 10, ALPHABET.index("X"), org_check))
    prefixes = np.array([[ALPHABET.index(c) for c in p] for p in ("91", "N2", "Y1")])
    division = np.tile([ALPHABET.index(c) for c in "440112"], (n, 1))
    first17 = np.c_[prefixes[kinds], division, core, org_check]
    check = (31 - (first17 @ _USCC_WEIGHTS) % 31) % 31
    chars = _ALPHABET_CHARS[np.c_[first17, check]]
    return np.ascontiguousarray(chars).view("<U18").ravel().tolist()


def _months(days: np.ndarray) -> np.ndarray:
    """The month of each day number, counted from January 1970."""
    return (np.asarray(days, dtype=np.int64) - _EPOCH).astype("datetime64[D]").astype(
        "datetime64[M]").astype(np.int64)


def _month_start(months: np.ndarray) -> np.ndarray:
    """The day number of the first day of each month (as counted by :func:`_months`)."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype(
        "datetime64[D]").astype(np.int64) + _EPOCH


def _add_years(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Day numbers plus whole years; 29 February becomes 28 February in a common year
    (as :func:`tracker.terms.term_due` counts)."""
    days = np.asarray(days, dtype=np.int64)
    month = _months(days)
    target = month + 12 * np.asarray(years, dtype=np.int64)
    return np.minimum(_month_start(target) + (days - _month_start(month)),
                      _month_start(target + 1) - 1)


def _chunk_groups(rng: np.random.Generator, keys: np.ndarray, order: np.ndarray,
                  sizes: Callable[[int], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Split items into consecutive groups within each key, in ``order`` (e.g. by date).

    Returns ``(sorted_index, group)``: item positions sorted by (key, order), and for each
    of them a group number 0..G-1 (groups never span two keys). ``sizes(k)`` draws ``k``
    group sizes.
    """
    if len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    idx = np.lexsort((order, keys))
    sorted_keys = keys[idx]
    group = np.empty(len(idx), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(idx)]
    next_group = 0
    for a, b in zip(starts, ends):
        length = b - a
        drawn = sizes(length // 2 + 2)
        bounds = np.cumsum(drawn)
        count = int(np.searchsorted(bounds, length)) + 1
        labels = np.repeat(np.arange(count), drawn[:count])[:length]
        group[a:b] = labels + next_group
        next_group += count
    return idx, group


# --------------------------------------------------------------------------- generator


def generate(firms: int = DEFAULT_FIRMS, seed: int = DEFAULT_SEED, today: date | None = None,
             chains: list[str] | dict[str, str] | None = None) -> DemoData:
    """Generate the synthetic district (pure: no database).

    Parameters
    ----------
    firms : number of firms (all that ever were in a chain up to ``today``)
    seed : the random seed; the data are a function of ``(firms, seed, today, chains)``
    today : the end of the history (default: today); must be after 2022-01-31
    chains : chain codes, or a dict code → Chinese name (default: the shipped list
        ``data/chains.csv``); names appear in the chain organisations' names

    Examples
    --------
    >>> a = generate(200, seed=7, today=date(2026, 1, 31))
    >>> b = generate(200, seed=7, today=date(2026, 1, 31))
    >>> a.equals(b)
    True
    """
    firms = int(firms)
    if not MIN_FIRMS <= firms <= MAX_FIRMS:
        raise ValueError(t("common.err_demo_firms", min=MIN_FIRMS, max=MAX_FIRMS, n=firms))
    today = today or date.today()
    if today <= date(2022, 1, 31):
        raise ValueError(t("common.err_demo_today", today=today))
    if not chains:
        chains = {row.code: row.name_zh for row in read_chain_list()}
    elif not isinstance(chains, dict):
        chains = {code: code for code in chains}
    if not chains:
        raise ValueError(t("common.err_demo_no_chains"))
    return _Generator(firms, int(seed), today, dict(chains)).run()


class CoverageKind(IntEnum):
    """How a generated firm ends up covered; the generator keeps these as ints in arrays."""

    SINGLE = 0  # an organisation of its own (单独组建)
    JOINT = 1  # a joint branch of its park or street (联合组建)
    REGIONAL = 2  # a regional (楼宇) branch of its street (区域组建)
    INDUSTRY = 3  # an industry branch of its chain (行业组建)
    WORK = 4  # a liaison officer only (工作覆盖)


@dataclass(eq=False)
class _Firms:
    """What is drawn per firm (index ``0..n-1``; the firm's id is index + 1)."""

    formal: np.ndarray  # formal party members
    probationary: np.ndarray  # probationary party members
    primary: np.ndarray  # position of its chain in the chain list
    second: np.ndarray  # position of a second chain (used where has_second)
    has_second: np.ndarray  # bool
    master: np.ndarray  # bool: chain master (链主) of its primary chain
    ownership: np.ndarray  # index into OWNERSHIP_CODES
    above: np.ndarray  # bool: above designated size
    park: np.ndarray  # index into PARKS; len(PARKS): in no park
    street: np.ndarray  # index into STREETS
    code_kind: np.ndarray  # credit-code prefix: 0 = company (91), 1 = N2, 2 = Y1


@dataclass(eq=False)
class _History:
    """When firms are in chains: per firm, and per membership row (``m_*``)."""

    cohort: np.ndarray  # 0: in its chain at the plan's start, 1: joined before the deadline, 2: after
    joined: np.ndarray  # day it joined its primary chain
    r5_master: int  # the chain master designated late, without an organisation (rule R5)
    m_firm: np.ndarray
    m_chain: np.ndarray
    m_joined: np.ndarray
    m_left: np.ndarray  # 0: still in the chain
    m_segment: np.ndarray  # 0 upstream, 1 midstream, 2 downstream
    m_master: np.ndarray  # bool
    last_in_chain: np.ndarray  # per firm: the last day in some chain (_NEVER: still in one)
    lagging: set[int]  # chain positions where a few firms miss the deadline


@dataclass(eq=False)
class _CoveragePlan:
    """Per firm: the kind of coverage it ends with, and when."""

    kind: np.ndarray  # CoverageKind values
    covered: np.ndarray  # day first covered (work or organisation); _NEVER: not (yet)
    org_from: np.ndarray  # day its organisation coverage starts (work bridges [covered, org_from))
    bridge: np.ndarray  # bool: work-covered first, organisation-covered later
    committee_founded: np.ndarray  # per chain position: the chain committee's founding day


@dataclass(eq=False)
class _Committees:
    """Ids of the committees on top of the tree (0: a chain committee not founded yet)."""

    park: list[int]
    street: list[int]
    chain: list[int]


class _OrgRows:
    """Organisations and coverage links as they are generated; ids count from 1.

    Links are added in batches (arrays); a batch's index lets a later step move its ends
    (merged or dissolved organisations).
    """

    COLUMNS = ("code", "name", "kind", "formation", "parent_id", "founded", "dissolved",
               "member_count")

    def __init__(self):
        self.org: dict[str, list] = {k: [] for k in self.COLUMNS}
        self.link_org: list[np.ndarray] = []
        self.link_firm: list[np.ndarray] = []  # firm ids (index + 1)
        self.link_start: list[np.ndarray] = []
        self.link_end: list[np.ndarray] = []

    def add(self, name, kind, formation, parent, founded, members, dissolved=0) -> int:
        """Add one organisation; returns its id."""
        org = self.org
        org["name"].append(name)
        org["kind"].append(kind)
        org["formation"].append(formation)
        org["parent_id"].append(parent)
        org["founded"].append(int(founded))
        org["dissolved"].append(int(dissolved))
        org["member_count"].append(int(members))
        return len(org["name"])

    def link(self, org_ids, firms, starts, ends=None) -> int:
        """Add a batch of links (firm indexes, not ids); returns the batch's index."""
        org_ids = np.broadcast_to(np.asarray(org_ids, dtype=np.int64), np.shape(firms))
        self.link_org.append(np.array(org_ids, dtype=np.int64))
        self.link_firm.append(np.asarray(firms, dtype=np.int64) + 1)
        self.link_start.append(np.asarray(starts, dtype=np.int64))
        self.link_end.append(np.zeros(len(firms), np.int64) if ends is None
                             else np.asarray(ends, dtype=np.int64))
        return len(self.link_org) - 1

    def tables(self, T: int) -> tuple[Table, Table]:
        """The organisations and the links that started by day ``T`` (ends after it: open)."""
        org = self.org
        ids = np.arange(1, len(org["name"]) + 1)
        kinds = np.array(org["kind"], dtype=object)
        prefix = np.where(kinds == "committee", "W", np.where(kinds == "general_branch", "Z", "B"))
        orgs = Table("orgs", {
            "id": ids,
            "code": np.array([f"HP{p}{i:07d}" for p, i in zip(prefix.tolist(), ids.tolist())],
                             dtype=object),
            "name": np.array(org["name"], dtype=object),
            "kind": kinds,
            "formation": np.array(org["formation"], dtype=object),
            "parent_id": np.array(org["parent_id"], dtype=np.int64),
            "founded": np.array(org["founded"], dtype=np.int64),
            "dissolved": np.array(org["dissolved"], dtype=np.int64),
            "member_count": np.array(org["member_count"], dtype=np.int64),
        }, dates=frozenset({"founded", "dissolved"}), nullable=frozenset({"parent_id"}))
        l_org, l_firm, l_start, l_end = (
            np.concatenate(x) if x else np.zeros(0, np.int64)
            for x in (self.link_org, self.link_firm, self.link_start, self.link_end))
        ok = l_start <= T
        l_end = np.where(l_end > T, 0, l_end)
        links = Table("links", {"org_id": l_org[ok], "firm_id": l_firm[ok], "start": l_start[ok],
                                "end": l_end[ok]}, dates=frozenset({"start", "end"}))
        return orgs, links


@dataclass(eq=False)
class _Groups:
    """Grouped organisations of one kind: their ids and their firms' rows (by group)."""

    ids: np.ndarray
    starts: np.ndarray  # first row of each group in the sorted firms
    ends: np.ndarray
    keys: np.ndarray  # area or chain key of each sorted row
    counters: dict[int, int]  # organisations numbered so far per key
    links_at: int  # the batch of their links in _OrgRows


class _Generator:
    """One run of the generator; the steps share the random stream in a fixed order.

    Each step reads what the earlier ones drew (small dataclasses of per-firm columns) and
    returns its own; the order of the steps in :meth:`run` is the order of the draws, so
    it fixes the data for a seed.
    """

    def __init__(self, n: int, seed: int, today: date, chains: dict[str, str]):
        self.n = n
        self.seed = seed
        self.today = today
        self.T = today.toordinal()
        self.codes = list(chains)
        self.chain_names = chains
        self.k = len(self.codes)
        self.rng = np.random.default_rng(seed)

    def run(self) -> DemoData:
        firms = self._firms()
        history = self._history(firms)
        memberships = self._membership_table(history)
        plan = self._coverage_plan(firms, history)
        names = self._firm_names(firms)
        orgs, links = self._organisations(firms, history, plan, names)
        liaisons, assignments = self._liaisons(plan)
        supply = self._supply_links(history)
        firm_table = self._firm_table(firms, names)
        # Drawn last, so that everything above stays as it was for a seed.
        self._losses_after_deadline(firms, history, orgs, links, assignments)
        visits = self._visits(liaisons, assignments)
        self._terms(orgs)
        return DemoData(
            firms_requested=self.n, seed=self.seed, today=self.today, chains=self.codes,
            lagging_chains=[self.codes[i] for i in sorted(history.lagging)],
            firms=firm_table, memberships=memberships, orgs=orgs,
            links=links, liaisons=liaisons, assignments=assignments, supply_links=supply,
            visits=visits,
        )

    # ------------------------------------------------------------------ firms
    def _firms(self) -> _Firms:
        rng, n = self.rng, self.n
        # Members: most firms 0-2, some 3-20, a few 21-99 (chain masters come later).
        category = rng.choice(5, size=n, p=[0.55, 0.15, 0.10, 0.17, 0.03])
        small = 3 + np.minimum(rng.geometric(0.18, n) - 1, 17)
        large = 21 + np.minimum(rng.geometric(0.06, n) - 1, 78)
        formal = np.select([category == 0, category == 1, category == 2, category == 3],
                           [0, 1, 2, small], large).astype(np.int64)
        primary, second, has_second = self._chains_of_firms()
        master = self._chain_masters(primary)
        has_second &= ~master
        formal[master] = 50 + np.floor(250 * rng.beta(1.2, 3.0, master.sum())).astype(np.int64)
        probationary = np.where(formal > 0,
                                np.minimum(rng.poisson(0.15 + 0.04 * formal), np.maximum(1, formal // 3)),
                                (rng.random(n) < 0.03).astype(np.int64))
        # Ownership, size, location.
        ownership = rng.choice(5, size=n, p=[0.78, 0.09, 0.07, 0.04, 0.02])
        ownership[master] = rng.choice(5, size=master.sum(), p=[0.45, 0.25, 0.10, 0.12, 0.08])
        p_above = np.select([formal == 0, formal <= 2, formal <= 20], [0.12, 0.18, 0.35], 0.7)
        above = (rng.random(n) < p_above) | master
        park, street = self._locations()
        return _Firms(formal=formal, probationary=probationary, primary=primary, second=second,
                      has_second=has_second, master=master, ownership=ownership, above=above,
                      park=park, street=street,
                      code_kind=rng.choice(3, size=n, p=[0.99, 0.005, 0.005]))

    def _chains_of_firms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uneven chain sizes; ~12 % of firms in a second chain."""
        rng, n, k = self.rng, self.n, self.k
        weights = np.array([CHAIN_WEIGHTS.get(c, 0) or float(rng.uniform(3, 12)) for c in self.codes])
        weights = weights / weights.sum()
        primary = rng.choice(k, size=n, p=weights)
        second = rng.choice(k, size=n, p=weights)
        clash = second == primary
        if k > 1:
            second[clash] = (primary[clash] + rng.integers(1, k, clash.sum())) % k
        has_second = (rng.random(n) < 0.12) & (k > 1)
        return primary, second, has_second

    def _chain_masters(self, primary: np.ndarray) -> np.ndarray:
        """1-3 chain masters per chain (more for very large data sets)."""
        rng = self.rng
        master = np.zeros(self.n, dtype=bool)
        for c in range(self.k):
            members = np.flatnonzero(primary == c)
            if len(members) == 0:
                continue
            # Small demo sets get fewer masters so that they do not dominate the chain.
            count = min(max(1, len(members) // 25), int(rng.integers(1, 4)) + len(members) // 5000)
            master[rng.choice(members, count, replace=False)] = True
        return master

    def _locations(self) -> tuple[np.ndarray, np.ndarray]:
        """A park (or none) and a street of that park (or any street) per firm."""
        rng, n = self.rng, self.n
        park = rng.choice(len(PARKS) + 1, size=n, p=PARK_WEIGHTS + [1 - sum(PARK_WEIGHTS)])
        street = np.empty(n, dtype=np.int64)
        for p in range(len(PARKS) + 1):
            where = np.flatnonzero(park == p)
            pool = ([STREETS.index(s) for s in PARK_STREETS[PARKS[p]]] if p < len(PARKS)
                    else list(range(len(STREETS))))
            street[where] = rng.choice(pool, size=len(where))
        return park, street

    # ------------------------------------------------------------------ memberships
    def _history(self, firms: _Firms) -> _History:
        rng, n, T = self.rng, self.n, self.T
        horizon = min(T, _DL)
        # Cohorts: at the plan's start (0), joining before the deadline (1), after it (2).
        pre_share = 0.28 * (horizon - _S) / (_DL - _S)
        post_months = max(0, T - _DL) / 30.44
        post_share = min(0.35, 0.011 * post_months)
        u = rng.random(n)
        cohort = np.where(u < post_share, 2, np.where(u < post_share + pre_share, 1, 0))
        cohort[firms.master] = 0
        joined = np.full(n, _S, dtype=np.int64)
        first_join = _S + 31
        # Joins before the deadline grow over time (density rising towards 2025).
        span = horizon - first_join
        joined_pre = first_join + np.floor(span * rng.beta(1.6, 1.0, n)).astype(np.int64)
        joined_post = _uniform_days(rng, _DL + 1, T, n)
        joined = np.where(cohort == 1, joined_pre, np.where(cohort == 2, joined_post, joined))
        # One chain master is designated late and has no organisation (rule R5).
        r5_master = int(rng.choice(np.flatnonzero(firms.master)))
        cohort[r5_master] = 1
        joined[r5_master] = min(int(_uniform_days(rng, date(2023, 3, 1).toordinal(),
                                                  date(2024, 12, 31).toordinal())), horizon)

        # Membership rows: the primary chain for every firm, a second chain for some.
        second_firms = np.flatnonzero(firms.has_second)
        delay = np.where(rng.random(len(second_firms)) < 0.5, 0,
                         rng.integers(0, 700, len(second_firms)))
        m_firm = np.r_[np.arange(n), second_firms]
        m_chain = np.r_[firms.primary, firms.second[second_firms]]
        m_joined = np.r_[joined, np.minimum(joined[second_firms] + delay, T)]
        m_master = np.r_[firms.master, np.zeros(len(second_firms), dtype=bool)]
        segment = rng.choice(3, size=len(m_firm), p=[0.30, 0.42, 0.28])
        segment[:n][firms.master] = np.where(rng.random(firms.master.sum()) < 0.8, 1, 2)
        # Leaving: ~7 % of memberships end, at least half a year after joining.
        room = T - m_joined - 180
        leaves = (rng.random(len(m_firm)) < 0.07) & (room > 0) & ~m_master
        m_left = np.where(leaves, m_joined + 181 + np.floor(rng.random(len(m_firm)) * np.maximum(room, 0)),
                          0).astype(np.int64)
        # The last day each firm is in some chain (for dissolving organisations of leavers).
        last_in_chain = np.zeros(n, dtype=np.int64)
        np.maximum.at(last_in_chain, m_firm, np.where(m_left == 0, _NEVER, m_left))

        # Lagging chains: 2-4 chains where a few firms miss the deadline.
        lag_count = min(self.k - 1, int(rng.integers(2, 5))) if self.k > 1 else 0
        lagging = set(rng.choice(self.k, lag_count, replace=False).tolist()) if lag_count else set()
        return _History(cohort=cohort, joined=joined, r5_master=r5_master, m_firm=m_firm,
                        m_chain=m_chain, m_joined=m_joined, m_left=m_left, m_segment=segment,
                        m_master=m_master, last_in_chain=last_in_chain, lagging=lagging)

    def _membership_table(self, history: _History) -> Table:
        return Table(
            "memberships",
            {
                "firm_id": history.m_firm + 1,
                "chain": np.array(self.codes, dtype=object)[history.m_chain],
                "segment": np.array(["upstream", "midstream", "downstream"],
                                    dtype=object)[history.m_segment],
                "is_chain_master": history.m_master,
                "joined": history.m_joined,
                "left": history.m_left,
            },
            dates=frozenset({"joined", "left"}),
        )

    # ------------------------------------------------------------------ coverage plan
    def _coverage_plan(self, firms: _Firms, history: _History) -> _CoveragePlan:
        """Per firm: the kind of coverage it ends with, when it is first covered and when
        its organisation coverage starts (work coverage bridges the two)."""
        rng, n = self.rng, self.n
        kind = self._coverage_kinds(firms, history)
        pre = self._covered_before_plan(firms, history)
        miss = self._missing_the_deadline(firms, history, pre)
        covered, bridge = self._first_covered(firms, history, kind, pre, miss)
        org_from = np.where(bridge, covered + _uniform_days(rng, 90, 720, n), covered)
        org_from = np.where(kind == CoverageKind.WORK, _NEVER, org_from)
        org_from = np.where(covered >= _NEVER, _NEVER, org_from)
        # Industry branches hang under the chain committee: they exist only after it.
        committee_founded = _uniform_days(rng, date(2022, 3, 1).toordinal(),
                                          date(2023, 12, 31).toordinal(), self.k)
        if "DISPLAY" in self.codes:  # the one public example: 新型显示产业链党委, 2022-12-15
            committee_founded[self.codes.index("DISPLAY")] = date(2022, 12, 15).toordinal()
        too_early = (kind == CoverageKind.INDUSTRY) & (org_from < committee_founded[firms.primary])
        kind[too_early] = CoverageKind.REGIONAL
        return _CoveragePlan(kind=kind, covered=covered, org_from=org_from, bridge=bridge,
                             committee_founded=committee_founded)

    def _coverage_kinds(self, firms: _Firms, history: _History) -> np.ndarray:
        K = CoverageKind
        u = self.rng.random(self.n)
        formal = firms.formal
        kind = np.select(
            [formal >= 3, formal >= 1],
            [np.where(u < 0.03, K.JOINT, K.SINGLE),
             np.select([u < 0.68, u < 0.90, u < 0.95], [K.JOINT, K.REGIONAL, K.INDUSTRY], K.WORK)],
            np.select([u < 0.83, u < 0.95], [K.REGIONAL, K.INDUSTRY], K.WORK),
        )
        kind[firms.master] = K.SINGLE
        kind[history.r5_master] = K.WORK
        return kind

    def _covered_before_plan(self, firms: _Firms, history: _History) -> np.ndarray:
        """Covered before the plan started (organisations that already existed, liaisons
        sent since 2021): mostly the firms with members."""
        rng, n, formal, cohort = self.rng, self.n, firms.formal, history.cohort
        p_pre = np.where(formal >= 3, 0.8, 0.3)
        pre = (cohort == 0) & (rng.random(n) < p_pre)
        pre |= (cohort > 0) & (formal >= 3) & (rng.random(n) < 0.25)
        pre[firms.master] = True
        pre[history.r5_master] = False
        return pre

    def _missing_the_deadline(self, firms: _Firms, history: _History, pre: np.ndarray) -> np.ndarray:
        """Lagging chains: a few firms that are only in lagging chains miss the deadline."""
        rng, h = self.rng, history
        in_lagging = np.isin(h.m_chain, list(h.lagging))
        only_lagging = np.ones(self.n, dtype=bool)
        np.logical_and.at(only_lagging, h.m_firm, in_lagging)
        at_deadline = (h.m_joined <= _DL) & ((h.m_left == 0) | (h.m_left > _DL))
        miss = np.zeros(self.n, dtype=bool)
        if self.T > _DL:
            candidates = only_lagging & ~pre & ~firms.master & (h.cohort < 2)
            for c in sorted(h.lagging):
                rows = (h.m_chain == c) & at_deadline
                size = int(rows.sum())
                pool = np.unique(h.m_firm[rows & candidates[h.m_firm]])
                want = min(len(pool), max(2, round(float(rng.uniform(0.03, 0.07)) * size)))
                if want:
                    miss[rng.choice(pool, want, replace=False)] = True
        return miss

    def _first_covered(self, firms: _Firms, history: _History, kind: np.ndarray, pre: np.ndarray,
                       miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The day each firm is first covered, and whether work coverage comes first."""
        rng, n, K = self.rng, self.n, CoverageKind
        cohort, joined = history.cohort, history.joined
        late_start = _S + 31
        cap = _DL - rng.integers(0, 46, n)
        c_initial = late_start + np.floor((cap - late_start) * rng.beta(1.3, 1.0, n)).astype(np.int64)
        c_joiner = np.minimum(joined + np.ceil(rng.exponential(110, n)).astype(np.int64),
                              np.maximum(cap, joined))
        c_post = joined + np.ceil(rng.exponential(100, n)).astype(np.int64)
        c_post = np.where(rng.random(n) < 0.07, _NEVER, c_post)
        c = np.select([cohort == 0, cohort == 1], [c_initial, c_joiner], c_post)
        c_miss = np.where(rng.random(n) < 0.6, _DL + _uniform_days(rng, 20, 330, n), _NEVER)
        c = np.where(miss, c_miss, c)
        # Work coverage first, organisation later (the liaison prepares the organisation).
        bridge_p = np.select([cohort == 0, cohort == 1], [0.2, 0.25], 0.4)
        bridge = (kind != K.WORK) & (rng.random(n) < bridge_p)
        early = date(2014, 1, 1).toordinal()
        pre_org = np.where(kind == K.SINGLE, _uniform_days(rng, early, _S - 1, n),
                           _uniform_days(rng, date(2018, 1, 1).toordinal(), _S - 1, n))
        pre_bridge = pre & (kind != K.SINGLE) & (kind != K.WORK) & (rng.random(n) < 0.15)
        pre_c = np.where(pre_bridge, _uniform_days(rng, date(2021, 1, 1).toordinal(), _S - 1, n),
                         pre_org)
        pre_c = np.where(kind == K.WORK, _uniform_days(rng, date(2021, 1, 1).toordinal(), _S - 1, n),
                         pre_c)
        # Firms that joined later with an organisation already in place.
        pre_c = np.where(cohort > 0, np.minimum(pre_c, joined - _uniform_days(rng, 30, 2000, n)), pre_c)
        bridge = np.where(pre, pre_bridge, bridge)
        c = np.where(pre, pre_c, c)
        masters = firms.master & (np.arange(n) != history.r5_master)
        c[masters] = _uniform_days(rng, date(2005, 1, 1).toordinal(), date(2021, 6, 30).toordinal(),
                                   masters.sum())
        bridge[firms.master] = False
        return c, bridge

    # ------------------------------------------------------------------ organisations
    def _organisations(self, firms: _Firms, history: _History, plan: _CoveragePlan,
                       names: list[str]) -> tuple[Table, Table]:
        """The organisation tree (parents before children) and its coverage links."""
        rows = _OrgRows()
        committees = self._committees(rows, plan)
        total = firms.formal + firms.probationary
        self._master_organisations(rows, committees, firms, history, plan, names, total)
        own, own_ids, own_links_at = self._own_organisations(rows, committees, firms, plan,
                                                             names, total)
        joint = self._grouped_organisations(rows, committees, firms, plan, total)
        self._merge_joint_branches(rows, joint)
        self._dissolve_leavers(rows, history, plan, own, own_ids, own_links_at)
        return rows.tables(self.T)

    def _committees(self, rows: _OrgRows, plan: _CoveragePlan) -> _Committees:
        """Park and street committees (区域组建) and one committee per chain (行业组建)."""
        rng = self.rng
        old = (date(2008, 1, 1).toordinal(), date(2013, 12, 31).toordinal())
        park = [rows.add(f"{p}非公有制企业综合党委", "committee", "regional", 0,
                         _uniform_days(rng, *old), rng.integers(5, 16)) for p in PARKS]
        street = [rows.add(f"{s}非公有制企业综合党委", "committee", "regional", 0,
                           _uniform_days(rng, *old), rng.integers(5, 16)) for s in STREETS]
        # A chain committee exists only once founded (0: not yet on `today`).
        chain = []
        for i, code in enumerate(self.codes):
            founded = int(plan.committee_founded[i])
            members = int(rng.integers(5, 16))
            chain.append(
                rows.add(f"{self.chain_names.get(code, code)}产业链党委", "committee", "industry", 0,
                         founded, members) if founded <= self.T else 0)
        return _Committees(park=park, street=street, chain=chain)

    def _home_committee(self, committees: _Committees, firms: _Firms, firm: int) -> int:
        """The committee of the firm's park, or of its street when it is in no park."""
        p = firms.park[firm]
        return committees.park[p] if p < len(PARKS) else committees.street[firms.street[firm]]

    def _master_organisations(self, rows: _OrgRows, committees: _Committees, firms: _Firms,
                              history: _History, plan: _CoveragePlan, names: list[str],
                              total: np.ndarray) -> None:
        """Chain masters: a committee with its branches, under the chain committee."""
        rng, T = self.rng, self.T
        for f in np.flatnonzero(firms.master).tolist():
            if f == history.r5_master:
                continue
            founded = int(plan.org_from[f])
            direct = int(rng.integers(3, 8))
            rest = int(total[f]) - direct
            count = max(2, math.ceil(rest / 35) + int(rng.integers(0, 2)))
            split = np.floor(rng.dirichlet(np.full(count, 4.0)) * rest).astype(np.int64)
            split[0] += rest - split.sum()
            chain_org = committees.chain[firms.primary[f]]
            committee = rows.add(f"{names[f]}委员会", "committee", "single",
                                 chain_org or self._home_committee(committees, firms, f), founded, direct)
            rows.link(committee, [f], [founded])
            if chain_org:
                rows.link(chain_org, [f], [max(founded, int(plan.committee_founded[firms.primary[f]]))])
            for b, members in enumerate(split.tolist(), start=1):
                b_founded = founded + int(rng.integers(0, 400))
                if b_founded > T:
                    continue
                kind = "branch" if members < 50 or rng.random() < 0.5 else "general_branch"
                label = "党支部" if kind == "branch" else "党总支"
                branch = rows.add(f"{names[f]}第{_cn_number(b)}{label}", kind, "single", committee,
                                  b_founded, members)
                rows.link(branch, [f], [b_founded])

    def _own_organisations(self, rows: _OrgRows, committees: _Committees, firms: _Firms,
                           plan: _CoveragePlan, names: list[str],
                           total: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Firms with their own organisation (a few branches over 50 members: rule R2).

        Returns the firms, their organisations' ids and the batch of their links.
        """
        own = np.flatnonzero((plan.kind == CoverageKind.SINGLE) & ~firms.master
                             & (plan.org_from <= self.T))
        r2 = self.rng.random(len(own)) < 0.3
        own_ids = np.empty(len(own), dtype=np.int64)
        for i, f in enumerate(own.tolist()):
            members = int(total[f])
            if members >= 100:
                kind, suffix = "committee", "委员会"
            elif members >= 50 and not (members <= 80 and r2[i]):
                kind, suffix = "general_branch", "党总支"
            else:
                kind, suffix = "branch", "党支部"
            own_ids[i] = rows.add(f"{names[f]}{suffix}", kind, "single",
                                  self._home_committee(committees, firms, f), plan.org_from[f], members)
        return own, own_ids, rows.link(own_ids, own, plan.org_from[own])

    def _grouped_organisations(self, rows: _OrgRows, committees: _Committees, firms: _Firms,
                               plan: _CoveragePlan, total: np.ndarray) -> _Groups:
        """Joint branches by park (or street), regional branches by street, industry
        branches by chain; each founded with its first firm. Returns the joint branches."""
        rng, K = self.rng, CoverageKind

        def joint_sizes(k):
            sizes = rng.integers(3, 6, k)
            big = rng.random(k) < 0.04  # a few joint branches over 5 firms (rule R3)
            sizes[big] = rng.integers(6, 9, big.sum())
            return sizes

        def joint_key(f):
            return np.where(firms.park[f] < len(PARKS), firms.park[f], len(PARKS) + firms.street[f])

        def area_parent(key):
            return (committees.park[key] if key < len(PARKS)
                    else committees.street[key - len(PARKS)])

        joint = self._grouped(
            rows, firms, plan, total, K.JOINT, joint_key, _area_name, area_parent, joint_sizes,
            "联合党支部", "joint", lambda: 0)
        self._grouped(
            rows, firms, plan, total, K.REGIONAL, lambda f: firms.street[f], lambda k: STREETS[k],
            lambda k: committees.street[k], lambda k: rng.integers(6, 21, k), "楼宇党支部",
            "regional", lambda: int(rng.choice([2, 3, 4, 5, 6], p=[0.08, 0.3, 0.3, 0.2, 0.12])))
        self._grouped(
            rows, firms, plan, total, K.INDUSTRY, lambda f: firms.primary[f],
            lambda k: f"{self.chain_names.get(self.codes[k], self.codes[k])}产业链",
            lambda k: committees.chain[k], lambda k: rng.integers(5, 13, k), "行业党支部",
            "industry", lambda: int(rng.integers(3, 7)))
        return joint

    def _grouped(self, rows: _OrgRows, firms: _Firms, plan: _CoveragePlan, total: np.ndarray,
                 kind: CoverageKind, area_key, area_name, parent_of, sizes, label: str,
                 formation: str, extra) -> _Groups:
        """Group the firms of one coverage kind by ``area_key``, in order of coverage, into
        branches of ``sizes`` firms; ``extra()`` draws members beyond the firms' own."""
        chosen = np.flatnonzero((plan.kind == kind) & (plan.org_from <= self.T))
        keys = area_key(chosen)
        idx, group = _chunk_groups(self.rng, keys, plan.org_from[chosen], sizes)
        members_sorted = chosen[idx]
        keys_sorted = keys[idx]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else \
            np.zeros(0, np.int64)
        ends = np.r_[starts[1:], len(group)].astype(np.int64)
        ids = np.empty(len(starts), dtype=np.int64)
        counters: dict[int, int] = {}
        for g, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
            block = members_sorted[a:b]
            key = int(keys_sorted[a])
            counters[key] = counters.get(key, 0) + 1
            members = int(total[block].sum()) + extra()
            ids[g] = rows.add(f"{area_name(key)}第{counters[key]}{label}", "branch", formation,
                              parent_of(key), plan.org_from[block].min(), members)
        links_at = rows.link(ids[group], members_sorted, plan.org_from[members_sorted])
        return _Groups(ids=ids, starts=starts, ends=ends, keys=keys_sorted, counters=counters,
                       links_at=links_at)

    def _merge_joint_branches(self, rows: _OrgRows, joint: _Groups) -> None:
        """A few joint branches are dissolved and succeeded by a new one (links move)."""
        rng, org = self.rng, rows.org
        limit = min(self.T, date(2025, 10, 31).toordinal())
        j_firm, j_start, j_end = (rows.link_firm[joint.links_at], rows.link_start[joint.links_at],
                                  rows.link_end[joint.links_at])
        for g in np.flatnonzero(rng.random(len(joint.ids)) < 0.05).tolist():
            a, b = int(joint.starts[g]), int(joint.ends[g])
            lo = max(int(j_start[a:b].max()) + 30, date(2024, 1, 1).toordinal())
            if lo > limit:
                continue
            when = int(_uniform_days(rng, lo, limit))
            old_id = int(joint.ids[g])
            org["dissolved"][old_id - 1] = when
            key = int(joint.keys[a])
            joint.counters[key] += 1
            new_id = rows.add(f"{_area_name(key)}第{joint.counters[key]}联合党支部", "branch", "joint",
                              org["parent_id"][old_id - 1], when, org["member_count"][old_id - 1])
            j_end[a:b] = when
            rows.link(new_id, j_firm[a:b] - 1, np.full(b - a, when))

    def _dissolve_leavers(self, rows: _OrgRows, history: _History, plan: _CoveragePlan,
                          own: np.ndarray, own_ids: np.ndarray, own_links_at: int) -> None:
        """Organisations of firms that left every chain: about half are dissolved."""
        rng, last = self.rng, history.last_in_chain
        when = last[own] + rng.integers(30, 366, len(own))
        gone = ((last[own] < _NEVER) & (rng.random(len(own)) < 0.5)
                & (when <= self.T) & (when > plan.org_from[own]))
        for org_id, day in zip(own_ids[gone].tolist(), when[gone].tolist()):
            rows.org["dissolved"][org_id - 1] = day
        rows.link_end[own_links_at][gone] = when[gone]

    # ------------------------------------------------------------------ liaisons
    def _liaisons(self, plan: _CoveragePlan) -> tuple[Table, Table]:
        a_firm, a_start, a_end = self._assignment_spans(plan)
        liaison, officers = self._officer_of_each(a_firm, a_start, a_end)
        rng, T = self.rng, self.T
        names = self._person_names(officers)
        unit_weights = np.r_[np.full(len(UNITS) - len(STREETS), 3.0), np.ones(len(STREETS))]
        units = rng.choice(len(UNITS), size=officers, p=unit_weights / unit_weights.sum())
        roles = np.where(rng.random(officers) < 0.15, "instructor", "liaison").astype(object)
        liaisons = Table("liaisons", {
            "id": np.arange(1, officers + 1),
            "name": np.array(names, dtype=object),
            "unit": np.array([UNITS[u] for u in units], dtype=object),
            "role": roles,
        })
        a_end = np.where(a_end > T, 0, a_end)
        assignments = Table("assignments", {
            "liaison_id": liaison + 1, "firm_id": a_firm + 1, "start": a_start, "end": a_end,
        }, dates=frozenset({"start", "end"}))
        return liaisons, assignments

    def _assignment_spans(self, plan: _CoveragePlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firm, start, end) of each assignment: a firm is work-covered until its
        organisation exists, or for good; officers rotate every 1.5-3 years."""
        T, WORK = self.T, CoverageKind.WORK
        firms = np.flatnonzero(((plan.kind == WORK) | plan.bridge) & (plan.covered <= T))
        start = plan.covered[firms]
        end = np.where(plan.kind[firms] == WORK, _NEVER, plan.org_from[firms])
        tenure = self.rng.integers(540, 1100, (len(firms), 8))
        a_firm, a_start, a_end = [], [], []
        for i, (f, s, e) in enumerate(zip(firms.tolist(), start.tolist(), end.tolist())):
            stop = min(e, T)
            for length in tenure[i].tolist():
                if s + length >= stop:
                    break
                a_firm.append(f)
                a_start.append(s)
                a_end.append(s + length)
                s += length
            a_firm.append(f)
            a_start.append(s)
            a_end.append(e)
        return (np.array(a_firm, dtype=np.int64), np.array(a_start, dtype=np.int64),
                np.array(a_end, dtype=np.int64))

    def _officer_of_each(self, a_firm: np.ndarray, a_start: np.ndarray,
                         a_end: np.ndarray) -> tuple[np.ndarray, int]:
        """The officer (0-based) of each assignment, and how many officers there are."""
        # Officers: enough for 1-3 firms each at the busiest moment (~2.2 on average).
        events = np.r_[a_start, np.minimum(a_end, self.T + 1)]
        delta = np.r_[np.ones(len(a_start), np.int64), -np.ones(len(a_end), np.int64)]
        order = np.lexsort((delta, events))  # ends (-1) before starts on the same day
        peak = int(np.max(np.cumsum(delta[order]), initial=0))
        officers = max(5, math.ceil(peak / 2.2))
        # Greedy: every assignment takes the free slot that has been free longest; slots
        # are interleaved across officers so that loads spread.
        slots = deque(o for _ in range(3) for o in range(officers))
        busy: list[tuple[int, int]] = []
        liaison = np.empty(len(a_firm), dtype=np.int64)
        for i in np.lexsort((a_firm, a_start)).tolist():
            s = int(a_start[i])
            while busy and busy[0][0] <= s:
                slots.append(heapq.heappop(busy)[1])
            officer = slots.popleft()
            liaison[i] = officer
            heapq.heappush(busy, (int(a_end[i]), officer))
        return liaison, officers

    # ------------------------------------------------------------------ supply links
    def _supply_links(self, history: _History) -> Table:
        """Upstream → midstream → downstream within each chain; chain masters with more partners."""
        rng, h = self.rng, history
        sup, buy, chain = [], [], []
        for c in range(self.k):
            rows = h.m_chain == c
            firm = h.m_firm[rows]
            seg = h.m_segment[rows]
            is_master = h.m_master[rows]
            up, mid, down = firm[seg == 0], firm[seg == 1], firm[seg == 2]
            if len(up) and len(mid):
                per = rng.integers(1, 3, len(mid))
                buyers = np.repeat(mid, per)
                sup.append(rng.choice(up, len(buyers)))
                buy.append(buyers)
            if len(mid) and len(down):
                sup.append(rng.choice(mid, len(down)))
                buy.append(down)
            for f, s in zip(firm[is_master], seg[is_master]):
                if s == 1 and len(up):
                    count = int(rng.integers(4, 13))
                    sup.append(rng.choice(up, count))
                    buy.append(np.full(count, f))
                feeds = down if s == 1 else np.zeros(0, np.int64)
                if len(feeds):
                    count = int(rng.integers(4, 13))
                    sup.append(np.full(count, f))
                    buy.append(rng.choice(feeds, count))
            added = sum(len(b) for b in buy) - sum(len(x) for x in chain)
            chain.append(np.full(added, c))
        if not sup:
            s = b = ch = np.zeros(0, np.int64)
        else:
            s, b, ch = np.concatenate(sup), np.concatenate(buy), np.concatenate(chain)
            keep = s != b
            s, b, ch = s[keep], b[keep], ch[keep]
            triples = np.unique(np.c_[ch, s, b], axis=0)
            ch, s, b = triples[:, 0], triples[:, 1], triples[:, 2]
        return Table("supply_links", {
            "supplier_id": s + 1, "buyer_id": b + 1,
            "chain": np.array(self.codes, dtype=object)[ch] if len(ch) else np.zeros(0, object),
        })

    # ------------------------------------------------------------------ after the deadline
    def _losses_after_deadline(self, firms: _Firms, history: _History, orgs: Table, links: Table,
                               assignments: Table) -> None:
        """A few firms still in a chain lose their only cover after the deadline, with no
        replacement: an own organisation dissolved (~0.1 % of firms), a regional or industry
        branch left (~0.2 %), a liaison's assignment ended (~0.2 %); a third of each in the
        month of ``today``. Chain masters are spared (rule R5 stays one firm). In place."""
        rng, n, T = self.rng, self.n, self.T
        first = _DL + 15
        if T < first + 30:
            return
        month_start = int(_month_start(_months(np.array([T])))[0])
        o, lk, a = orgs.columns, links.columns, assignments.columns
        in_chain = np.zeros(n + 1, dtype=bool)
        in_chain[history.m_firm[history.m_left == 0] + 1] = True
        open_link, open_assignment = lk["end"] == 0, a["end"] == 0
        covers = (np.bincount(lk["firm_id"][open_link], minlength=n + 1)
                  + np.bincount(a["firm_id"][open_assignment], minlength=n + 1))
        # Firms in a chain today with exactly one cover that began well before the losses.
        alone = in_chain & (covers == 1) & np.r_[False, ~firms.master]
        org_links = np.bincount(lk["org_id"][open_link], minlength=len(orgs) + 1)
        has_child = np.zeros(len(orgs) + 1, dtype=bool)
        has_child[o["parent_id"][o["parent_id"] > 0]] = True
        org_of = lk["org_id"] - 1
        old = lk["start"] < first - 180
        formation, kind = o["formation"][org_of], o["kind"][org_of]
        dissolvable = (open_link & old & alone[lk["firm_id"]] & (formation == "single")
                       & (kind != "committee") & (org_links[lk["org_id"]] == 1)
                       & ~has_child[lk["org_id"]] & (o["dissolved"][org_of] == 0))
        leavable = (open_link & old & alone[lk["firm_id"]]
                    & ((formation == "regional") | (formation == "industry"))
                    & (org_links[lk["org_id"]] >= 3))
        unassigned = open_assignment & (a["start"] < first - 60) & alone[a["firm_id"]]

        def days(count: int) -> np.ndarray:
            """Loss days: the first third in the month of today, the rest since ``first``."""
            now = -(-count // 3)
            earlier_end = max(first, month_start - 1)
            return np.r_[_uniform_days(rng, max(first, month_start), T, now),
                         _uniform_days(rng, first, earlier_end, count - now)]

        def pick(rows: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
            pool = np.flatnonzero(rows)
            count = min(len(pool), max(1, round(share * n)))
            return np.sort(rng.choice(pool, count, replace=False)), days(count)

        rows, when = pick(dissolvable, 0.001)
        lk["end"][rows] = when
        o["dissolved"][lk["org_id"][rows] - 1] = when
        rows, when = pick(leavable, 0.002)
        lk["end"][rows] = when
        rows, when = pick(unassigned, 0.002)
        a["end"][rows] = when

    def _visits(self, liaisons: Table, assignments: Table) -> Table:
        """Visits from :data:`VISITS_FROM` to ``today``: one chance a month per assignment,
        by the officer's habit (regular, irregular, lapsing, never), on a working day inside
        the assignment; now and then a second visit in the month."""
        rng, T = self.rng, self.T
        officers = len(liaisons)
        habit = rng.choice(4, officers, p=[0.72, 0.15, 0.10, 0.03])
        p_month = np.array([0.9, 0.5, 0.85, 0.0])[habit]
        lapse_len = rng.integers(90, 241, officers)
        ongoing = rng.random(officers) < 0.5
        first = VISITS_FROM.toordinal()
        lapse_from = np.where(ongoing, T - lapse_len + 1,
                              _uniform_days(rng, first, T - lapse_len - 30, officers))
        lapse_from = np.where(habit == 2, lapse_from, 0)
        lapse_to = np.where(habit == 2, lapse_from + lapse_len, 0)  # exclusive

        a = assignments.columns
        lo = np.maximum(a["start"], first)
        hi = np.where(a["end"] == 0, T, a["end"] - 1)
        keep = (lo <= hi) & (rng.random(len(lo)) >= 0.03)  # some pairs never see a visit
        officer, firm, lo, hi = a["liaison_id"][keep] - 1, a["firm_id"][keep], lo[keep], hi[keep]
        # One slot per month of each assignment's visited span.
        m0, m1 = _months(lo), _months(hi)
        count = m1 - m0 + 1
        pair = np.repeat(np.arange(len(lo)), count)
        month = m0[pair] + np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
        s_lo = np.maximum(_month_start(month), lo[pair])
        s_hi = np.minimum(_month_start(month + 1) - 1, hi[pair])
        who = officer[pair]

        def working_day(day: np.ndarray) -> np.ndarray:
            """A Saturday or Sunday moves to a weekday of its week inside the slot (any of
            them alike), else to the nearest one inside the slot, else stays."""
            weekday = (day - 1) % 7  # day number 1 (0001-01-01) was a Monday
            moved = day - weekday + rng.integers(0, 5, len(day))
            friday, monday = day - weekday + 4, day - weekday + 7
            inside = [(c >= s_lo) & (c <= s_hi) for c in (moved, friday, monday)]
            return np.where(weekday < 5, day,
                            np.select(inside, [moved, friday, monday], day))

        day = working_day(_uniform_days(rng, s_lo, s_hi))
        lapsed = (lapse_from[who] <= day) & (day < lapse_to[who])
        made = (rng.random(len(day)) < p_month[who]) & ~lapsed
        mode = rng.choice(5, len(day), p=[0.72, 0.10, 0.09, 0.05, 0.04])
        day2 = working_day(_uniform_days(rng, s_lo, s_hi))
        made2 = made & (rng.random(len(day)) < 0.12)
        mode2 = rng.choice(5, len(day), p=[0.30, 0.25, 0.15, 0.20, 0.10])
        rows = np.unique(np.c_[
            np.r_[day[made], day2[made2]], np.r_[who[made], who[made2]] + 1,
            np.r_[firm[pair][made], firm[pair][made2]], np.r_[mode[made], mode2[made2]],
        ].reshape(-1, 4), axis=0)  # sorted by day, officer, firm, mode; (officer, firm, day, mode) unique
        return Table("visits", {
            "liaison_id": rows[:, 1], "firm_id": rows[:, 2], "day": rows[:, 0],
            "mode": np.array(VISIT_MODE.codes, dtype=object)[rows[:, 3]],
            "note": np.full(len(rows), "", dtype=object),
        }, dates=frozenset({"day"}))

    def _terms(self, orgs: Table) -> None:
        """本届开始日期 and 任期 of each organisation (columns ``term_start``, ``term_years``;
        0 for none), in place: the founding or the last election held, every 3 or 5 years."""
        rng = self.rng
        o = orgs.columns
        count = len(orgs)
        founded = o["founded"]
        default = np.where(o["kind"] == "committee", 5, 3)
        explicit = rng.random(count) < 0.06
        years = np.where(explicit & (rng.random(count) < 0.3), 8 - default, default)
        jitter = rng.integers(-60, 31, count)  # elections up to two months early, one late
        until = np.where(o["dissolved"] > 0, o["dissolved"] - 1, self.T)

        def election(k: np.ndarray) -> np.ndarray:
            """The day of the k-th election (0: the founding)."""
            return np.where(k > 0, _add_years(founded, k * years) + jitter, founded)

        k = np.maximum(0, np.floor((until - jitter - founded) / (365.2425 * years))).astype(np.int64)
        for _ in range(2):
            k = np.where((k > 0) & (election(k) > until), k - 1, k)
            k = np.where(election(k + 1) <= until, k + 1, k)
        since_due = until - election(k)
        overdue = (k > 0) & (rng.random(count) < np.where(since_due < 365, 0.10, 0.015))
        start = np.where(overdue, election(k - 1), election(k))
        unknown = rng.random(count) < 0.035
        o["term_start"] = np.where(unknown, 0, np.minimum(start, until))
        o["term_years"] = np.where(explicit, years, 0)
        orgs.dates = orgs.dates | {"term_start"}
        orgs.nullable = orgs.nullable | {"term_years"}

    # ------------------------------------------------------------------ names
    def _firm_names(self, firms: _Firms) -> list[str]:
        rng, n = self.rng, self.n
        trade = rng.integers(0, len(TRADE_CHARS), (n, 3))
        word_pick = rng.integers(0, 4, n)
        stock = rng.random(n) < 0.2
        names = []
        seen: set[str] = set()
        for i in range(n):
            t = TRADE_CHARS[trade[i, 0]] + TRADE_CHARS[trade[i, 1]]
            words = INDUSTRY_WORDS.get(self.codes[firms.primary[i]], GENERIC_WORDS)
            word = words[word_pick[i] % len(words)]
            form = "股份有限公司" if stock[i] else "有限公司"
            own = firms.ownership[i]
            if firms.code_kind[i] == 1:
                name = f"广州市黄埔区{t}农业专业合作社"
            elif firms.code_kind[i] == 2:
                name = f"广州{t}{word}产业研究院"
            elif own in (1, 2):
                name = f"{t}（广州）{word}有限公司"
            elif own in (3, 4):
                name = f"广州开发区{t}{word}集团有限公司"
            else:
                name = f"广州{t}{word}{form}"
            # Registered names are unique: lengthen the trade name until it is.
            extra = 2
            while name in seen:
                t2 = t + TRADE_CHARS[(trade[i, 2] + extra * 7 + i) % len(TRADE_CHARS)]
                name = name.replace(t, t2, 1)
                t = t2
                extra += 1
            seen.add(name)
            names.append(name)
        return names

    def _person_names(self, count: int) -> list[str]:
        """Fictional names for liaison officers (district staff, not party members)."""
        rng = self.rng
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < count:
            surname = SURNAMES[int(rng.integers(0, len(SURNAMES)))]
            given = "".join(GIVEN_CHARS[int(g)] for g in rng.integers(0, len(GIVEN_CHARS),
                                                                       int(rng.integers(1, 3))))
            name = surname + given
            if name not in seen:
                seen.add(name)
                out.append(name)
        return out

    def _firm_table(self, firms: _Firms, names: list[str]) -> Table:
        codes = _credit_codes(self.rng, self.n, firms.code_kind)
        parks = np.array(PARKS + [None], dtype=object)
        return Table("firms", {
            "id": np.arange(1, self.n + 1),
            "credit_code": np.array(codes, dtype=object),
            "name": np.array(names, dtype=object),
            "ownership": np.array(OWNERSHIP_CODES, dtype=object)[firms.ownership],
            "above_size": firms.above.astype(bool),
            "park": parks[firms.park],
            "street": np.array(STREETS, dtype=object)[firms.street],
            "formal_members": firms.formal,
            "probationary_members": firms.probationary,
        })


_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(value: int) -> str:
    """1..99 in Chinese numerals (第一、第十二…)."""
    if value < 10:
        return _CN_DIGITS[value]
    tens, ones = divmod(value, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _area_name(key: int) -> str:
    """The name of a joint branch's area: a park (keys below ``len(PARKS)``) or a street."""
    return PARKS[key] if key < len(PARKS) else STREETS[key - len(PARKS)]


# --------------------------------------------------------------------------- loading

#: Demo tables in insertion order (parents first) with the model table each fills.
_TARGETS = (
    ("firms", Firm.__table__),
    ("memberships", ChainMembership.__table__),
    ("orgs", PartyOrg.__table__),
    ("links", CoverageLink.__table__),
    ("liaisons", Liaison.__table__),
    ("assignments", Assignment.__table__),
    ("supply_links", SupplyLink.__table__),
    ("visits", Visit.__table__),
)
_CHUNK = 20_000


def _tables_to_clear() -> list[sa.Table]:
    """The data tables, plus any table that refers to them, children first."""
    clear = {t.name for _, t in _TARGETS}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name not in clear and any(
                    fk.column.table.name in clear for fk in table.foreign_keys):
                clear.add(table.name)
                changed = True
    return [t for t in reversed(metadata.sorted_tables) if t.name in clear]


def store_has_firms(engine: Engine) -> bool:
    """True when the store holds at least one firm."""
    with engine.connect() as conn:
        return conn.execute(sa.select(Firm.__table__.c.id).limit(1)).first() is not None


def load_demo(engine: Engine, firms: int = DEFAULT_FIRMS, seed: int = DEFAULT_SEED,
              today: date | None = None,
              progress: ProgressCallback | None = None) -> dict[str, int]:
    """Replace the store's firms, organisations, liaisons and links with the demo data.

    Runs in one transaction (all or nothing) with bulk inserts; chains and plans stay as
    they are (the demo uses the chains already in the store), except that the demo's
    illustrative follow-on plan (:func:`example_plan`, marked 示例) is added or refreshed.
    Provenance is set to synthetic. Returns the number of rows written per table (and
    ``plans``: the example plan).

    Parameters
    ----------
    engine : an initialised store (:func:`tracker.chains.init_store`)
    firms, seed, today : passed to :func:`generate`
    progress : optional callable receiving :class:`tracker.progress.Progress` events:
        stage ``generate`` (firms), then ``write`` (rows) per table, the table's name as
        the detail
    """
    report = Reporter(progress)
    C = Chain.__table__
    with engine.connect() as conn:
        chain_rows = conn.execute(sa.select(C.c.code, C.c.id, C.c.name_zh)
                                  .order_by(C.c.sort_order, C.c.code)).all()
    chain_ids = {code: cid for code, cid, _ in chain_rows}
    if not chain_ids:
        raise TrackerError(t("common.err_store_no_chains"))
    report("generate")
    data = generate(firms=firms, seed=seed, today=today,
                    chains={code: name for code, _, name in chain_rows})
    report("generate", done=firms, total=firms)
    maps = {"chain": chain_ids}
    rename = {"chain": "chain_id"}
    counts: dict[str, int] = {}
    with Session(engine) as session:
        conn = session.connection()
        sqlite = conn.dialect.name == "sqlite"
        try:
            if sqlite:
                # A big page cache keeps the indexes of a large load in memory (this
                # connection only; set back before the commit).
                conn.exec_driver_sql("PRAGMA cache_size=-262144")
            # Unhook the organisation tree first so that deleting it never trips its own key.
            conn.execute(PartyOrg.__table__.update().values(parent_id=None))
            for table in _tables_to_clear():
                conn.execute(table.delete())
            # The data no longer come from an import: drop what said they did.
            conn.execute(DatasetInfo.__table__.delete().where(
                DatasetInfo.__table__.c.key.in_(["last_import", "last_import_file"])))
            for name, table in _TARGETS:
                source: Table = getattr(data, name)
                total = len(source)
                label = t(f"common.demo_{name}")
                for start in range(0, total, _CHUNK):
                    rows = source.rows(start, start + _CHUNK, rename=rename, maps=maps)
                    conn.execute(table.insert(), rows)
                    report("write", done=min(start + _CHUNK, total), total=total, detail=label)
                counts[name] = total
            counts["plans"] = _write_example_plan(conn)
            if conn.dialect.name == "postgresql":
                # Explicit ids bypass the sequences: move them past the highest id.
                for table in (Firm.__table__, PartyOrg.__table__, Liaison.__table__):
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
            set_info(
                session,
                synthetic="true",
                source=f"合成演示数据（tracker demo, seed={seed}）",
                source_en=f"synthetic demo data (tracker demo, seed={seed})",
                licence=LICENCE,
                demo_seed=seed,
                demo_firms=firms,
                demo_today=data.today.isoformat(),
            )
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")
            session.commit()
        except BaseException:
            session.rollback()
            raise
    refresh_statistics(engine)
    return counts


def example_plan() -> dict:
    """The illustrative follow-on plan of the demo as the ``plan`` table's values: marked
    示例 in its name and ``is_example``, its source saying it is no real policy."""
    return {"name": t("common.demo_example_plan_name"),
            "name_en": t("common.demo_example_plan_name", "en"), **EXAMPLE_PLAN,
            "org_target_rate": None, "single_unit_target": None,
            "source": both("common.demo_example_plan_source"),
            "is_default": False, "is_example": True}


def _write_example_plan(conn) -> int:
    """Add (or refresh) the demo's example plan in the load's transaction; returns 1.

    A plan of that name that is not an example is real data: the load stops rather than
    overwrite it.
    """
    P = Plan.__table__
    values = example_plan()
    found = conn.execute(sa.select(P.c.id, P.c.is_example).where(P.c.name == values["name"])).first()
    if found is None:
        conn.execute(P.insert().values(**values))
    elif found.is_example:
        conn.execute(P.update().where(P.c.id == found.id).values(**values))
    else:
        raise TrackerError(both("common.err_demo_plan_taken", name=values["name"]))
    return 1


def ensure_demo(engine: Engine, progress: ProgressCallback | None = None) -> bool:
    """Load the default demo (3,000 firms, seed 2022) when the store has no firm.

    Returns True when it loaded the demo, False when the store already held firms.
    """
    if store_has_firms(engine):
        return False
    load_demo(engine, progress=progress)
    return True
