"""The figures of the firms page: every firm of the population with its status, the
filters of the search, and one firm's coverage history.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> len(firm_table(engine, date(2024, 6, 30)))
0
>>> firm_history(engine, "91440112MA0000000X", date(2024, 6, 30)).empty
True
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...coverage import firm_status
from ...i18n import join, t
from ...intervals import is_active
from ...model import Assignment, Chain, ChainMembership, CoverageLink, Firm, Liaison, PartyOrg
from ...scope import EVERYTHING, Scope
from ...search import SearchIndex, build_index
from ...vocab import STATUS
from .cache import cached
from .common import chain_list, plan_info

__all__ = ["firm_filters", "firm_history", "firm_search_index", "firm_table", "population_frame"]


@cached
def firm_table(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame:
    """Every firm of the population at ``as_of`` with its status, chains and labels
    (:func:`tracker.coverage.firm_status` plus display columns)."""
    plan = plan_info(engine, as_of)
    denominator = plan["denominator"] if plan else "chain_firms"
    frame = population_frame(engine, as_of, scope, denominator).copy()
    names = dict(chain_list(engine, lang))
    frame["status_label"] = [STATUS.label(s, lang) for s in frame["status"]]
    frame["chain_names"] = [join((names.get(c, c) for c in str(cs).split(";") if c), lang)
                            for cs in frame["chains"]]
    frame["park"] = frame["park"].fillna("")
    frame["street"] = frame["street"].fillna("")
    frame["size_label"] = np.where(frame["above_size"].astype(bool), t("app.size_above", lang),
                                   t("app.size_below", lang))
    return frame


@cached
def population_frame(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                     denominator: str = "chain_firms") -> pd.DataFrame:
    """:func:`tracker.coverage.firm_status` (cached; shared, so never to be changed in place:
    callers copy what they add columns to)."""
    return firm_status(engine, as_of, scope=scope, denominator=denominator)


@cached
def firm_search_index(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                      lang: str = "zh") -> SearchIndex:
    """The search index (:func:`tracker.search.build_index`) of :func:`firm_table`'s names
    and credit codes, in its row order: kept per data version with the table."""
    frame = firm_table(engine, as_of, scope, lang)
    return build_index(frame["name"], frame["credit_code"])


def firm_filters(frame: pd.DataFrame, text: str = "", chains=(), parks=(), streets=(),
                 statuses=(), sizes=(), index: SearchIndex | None = None) -> pd.DataFrame:
    """Filter a :func:`firm_table` frame: ``text`` finds firms as :mod:`tracker.search`
    does (part of the name or code, spaces, full width, 广州/广州市, any case, pinyin
    initials); each other argument keeps rows whose value is in it (empty: all).
    ``sizes`` holds ``"above"`` / ``"below"``. ``index`` is the frame's
    :func:`firm_search_index` (built here when not given).

    >>> frame = pd.DataFrame({"name": ["广州蓝奥生物科技有限公司", "乙显示材料有限公司"],
    ...                       "credit_code": ["91440112MA5ABCDE1X", "91440112MA5FGHIJ2Y"]})
    >>> [list(firm_filters(frame, q)["name"].str[:4]) for q in ("广州市蓝奥", "蓝 奥", "gzla", "ma5fgh")]
    [['广州蓝奥'], ['广州蓝奥'], ['广州蓝奥'], ['乙显示材']]
    """
    mask = pd.Series(True, index=frame.index)
    text = (text or "").strip()
    if text:
        index = index if index is not None else build_index(frame["name"], frame["credit_code"])
        mask &= index.mask(text)
    if chains:
        wanted = set(chains)
        mask &= frame["chains"].map(lambda cs: bool(wanted & set(str(cs).split(";"))))
    if parks:
        mask &= frame["park"].isin(list(parks))
    if streets:
        mask &= frame["street"].isin(list(streets))
    if statuses:
        mask &= frame["status"].isin(list(statuses))
    if sizes:
        flags = {s == "above" for s in sizes}
        mask &= frame["above_size"].astype(bool).isin(list(flags))
    return frame[mask]


@cached
def firm_history(engine: Engine, credit_code: str, until: date, lang: str = "zh") -> pd.DataFrame:
    """A firm's coverage history up to ``until``: one row per period of constant status.

    Periods start at every date where a fact of the firm starts or ends (chain
    membership, coverage link and its organisation, liaison assignment); each row holds
    ``start, end`` (exclusive; ``until`` + 1 day for the open last period), ``status``
    (``org`` / ``work`` / ``none`` / ``out``: in no chain), ``status_label``, ``orgs``,
    ``liaisons``, ``chains`` (names). Empty when the firm is unknown or has no dated facts.
    """
    F, M, C = Firm.__table__, ChainMembership.__table__, Chain.__table__
    L, O, A, LI = CoverageLink.__table__, PartyOrg.__table__, Assignment.__table__, Liaison.__table__
    columns = ["start", "end", "status", "status_label", "orgs", "liaisons", "chains"]
    with engine.connect() as conn:
        firm_id = conn.execute(sa.select(F.c.id).where(F.c.credit_code == credit_code)).scalar()
        if firm_id is None:
            return pd.DataFrame(columns=columns)
        members = conn.execute(sa.select(M.c.joined, M.c.left, C.c.code)
                               .select_from(M.join(C, C.c.id == M.c.chain_id))
                               .where(M.c.firm_id == firm_id)).all()
        links = conn.execute(sa.select(L.c.start, L.c.end, O.c.founded, O.c.dissolved, O.c.name)
                             .select_from(L.join(O, O.c.id == L.c.org_id))
                             .where(L.c.firm_id == firm_id)).all()
        assigns = conn.execute(sa.select(A.c.start, A.c.end, LI.c.name, LI.c.unit)
                               .select_from(A.join(LI, LI.c.id == A.c.liaison_id))
                               .where(A.c.firm_id == firm_id)).all()
    names = dict(chain_list(engine, lang))
    points = {d for row in members for d in row[:2] if d is not None}
    points |= {d for row in links for d in row[:4] if d is not None}
    points |= {d for row in assigns for d in row[:2] if d is not None}
    points = sorted(p for p in points if p <= until)
    if not points:
        if not (members or links or assigns):
            return pd.DataFrame(columns=columns)
        points = [until]
    rows = []
    bounds = points + [until + timedelta(days=1)]
    for start, end in pairwise(bounds):
        if start >= end:
            continue
        chains = sorted({code for j, lft, code in members if is_active(j, lft, start)})
        orgs = sorted({name for s, e, f, dis, name in links
                       if is_active(s, e, start) and is_active(f, dis, start)})
        liaisons = sorted({t("drill.aside", lang, text=name, detail=unit)
                           for s, e, name, unit in assigns if is_active(s, e, start)})
        status = ("out" if not chains else "org" if orgs else "work" if liaisons else "none")
        label = t("app.not_in_chain", lang) if status == "out" else STATUS.label(status, lang)
        rows.append({"start": start, "end": end, "status": status, "status_label": label,
                     "orgs": join(orgs, lang), "liaisons": join(liaisons, lang),
                     "chains": join((names.get(c, c) for c in chains), lang)})
    # Before the firm's first chain membership there is nothing to tell.
    while rows and rows[0]["status"] == "out":
        rows.pop(0)
    # Merge neighbours with the same content: a period is "constant status and coverers".
    merged: list[dict] = []
    for row in rows:
        if merged and all(merged[-1][k] == row[k] for k in ("status", "orgs", "liaisons", "chains")):
            merged[-1]["end"] = row["end"]
        else:
            merged.append(row)
    return pd.DataFrame(merged, columns=columns)
