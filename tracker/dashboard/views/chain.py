"""The figures of the chain page: one chain's counts and segments, its chain masters with
their organisations, its uncovered firms with the reason and the planner's way to cover
each, and its network picture.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> detail = chain_detail(empty_store(), "BIO", date(2024, 6, 30))
>>> detail.name, detail.exists, detail.counts.firms, detail.gap
('生物技术', True, 0, 0)
>>> uncovered_reason(4, 0, None)
'有4名正式党员，达到单独组建条件，尚未建立党组织'
>>> uncovered_reason(0, 0, None, "en")
'no party members and no liaison officer assigned'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...coverage import Counts, coverage
from ...graph import build_graph, chain_subgraph
from ...i18n import join, t
from ...intervals import active_clause
from ...model import Assignment, CoverageLink, PartyOrg
from ...planning.plan import action_text
from ...rules import MIN_FORMAL_MEMBERS
from ...scope import EVERYTHING, Scope
from ...vocab import SEGMENT, STATUS
from .cache import cached
from .common import chain_list, plan_info
from .firms import population_frame
from .plan import plan_result

__all__ = ["ChainDetail", "chain_detail", "chain_graph", "suggestions", "uncovered_reason"]

def uncovered_reason(formal: int, probationary: int, ended: date | None, lang: str = "zh") -> str:
    """Why a firm is uncovered, from its member counts (against the rules' threshold of a
    branch of its own) and its past coverage."""
    if formal >= MIN_FORMAL_MEMBERS:
        text = t("app.reason_own_branch", lang, n=formal)
    elif formal > 0:
        text = t("app.reason_few_members", lang, n=formal, min=MIN_FORMAL_MEMBERS)
    elif probationary > 0:
        text = t("app.reason_probationary", lang, n=probationary)
    else:
        text = t("app.reason_no_members", lang)
    if ended is not None:
        text += t("app.reason_coverage_ended", lang, day=ended.isoformat())
    return text


def _ended_coverage(engine: Engine, firm_ids: list[int], on: date) -> dict[int, date]:
    """For each firm, the latest end (on or before ``on``) of a coverage link or assignment."""
    if not firm_ids:
        return {}
    L, A, O = CoverageLink.__table__, Assignment.__table__, PartyOrg.__table__
    out: dict[int, date] = {}
    with engine.connect() as conn:
        for start in range(0, len(firm_ids), 900):
            batch = firm_ids[start:start + 900]
            for table, end in ((L, L.c.end), (A, A.c.end)):
                query = (sa.select(table.c.firm_id, sa.func.max(end))
                         .where(table.c.firm_id.in_(batch), end.is_not(None), end <= on)
                         .group_by(table.c.firm_id))
                for firm_id, value in conn.execute(query):
                    out[firm_id] = max(out.get(firm_id, value), value)
            dissolved = (sa.select(L.c.firm_id, sa.func.max(O.c.dissolved))
                         .select_from(L.join(O, O.c.id == L.c.org_id))
                         .where(L.c.firm_id.in_(batch), O.c.dissolved.is_not(None),
                                O.c.dissolved <= on)
                         .group_by(L.c.firm_id))
            for firm_id, value in conn.execute(dissolved):
                out[firm_id] = max(out.get(firm_id, value), value)
    return out


def suggestions(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                lang: str = "zh") -> dict[str, dict]:
    """Credit code → the planner's proposed way to cover the firm
    (:func:`tracker.planning.plan.plan_store` on ``as_of`` in ``scope``): ``type`` (a
    :data:`tracker.vocab.PLAN_ACTION` code), ``text`` (its label, with the organisation to
    join or the liaison officer), ``reason`` (the planner's why)."""
    result = plan_result(engine, as_of, scope)
    O = PartyOrg.__table__
    codes = sorted({a.org for a in result.actions if a.org})
    org_names: dict[str, str] = {}
    if codes:
        with engine.connect() as conn:
            for start in range(0, len(codes), 900):
                org_names.update(conn.execute(sa.select(O.c.code, O.c.name)
                                              .where(O.c.code.in_(codes[start:start + 900]))).all())
    out: dict[str, dict] = {}
    for action in result.actions:
        text, reason = action_text(action, lang, org_names), action.reason_text(lang)
        for code in action.firms:
            # The planner gives each firm one action; the first stands if it ever gave two.
            out.setdefault(code, {"type": action.type, "text": text, "reason": reason})
    return out


@dataclass
class ChainDetail:
    code: str
    name: str
    exists: bool
    counts: Counts
    target_rate: float
    gap: int
    segments: list[dict]
    masters: pd.DataFrame  # credit_code, name, segment, status, orgs
    # credit_code, name, park, street, formal_members, probationary_members, reason,
    # suggestion (the planner's way: label and organisation/officer), suggestion_type (a
    # PLAN_ACTION code), suggestion_reason (the planner's why)
    uncovered: pd.DataFrame
    denominator_text: str


@cached
def chain_detail(engine: Engine, code: str, as_of: date, lang: str = "zh") -> ChainDetail:
    """One chain at ``as_of``: figures, segments, chain masters with their organisations,
    uncovered firms with the reason and the planner's suggestion."""
    names = dict(chain_list(engine, lang))
    scope = Scope.of(chains=[code])
    plan = plan_info(engine, as_of)
    target = plan["target_rate"] if plan else 1.0
    if code not in names:
        empty = pd.DataFrame()
        return ChainDetail(code, code, False, Counts(), target, 0, [], empty, empty, "")
    result = coverage(engine, as_of, by="segment", scope=scope, lang=lang)
    segments = [{"key": g.key, "name": g.name, **g.counts.as_dict()} for g in result.groups]
    frame = population_frame(engine, as_of, scope, result.denominator)
    orgs = _covering_orgs(engine, frame["firm_id"].tolist(), as_of)
    masters = frame[frame["chain_master"]].copy()
    masters["orgs"] = [orgs.get(i, "") for i in masters["firm_id"]]
    masters["status_label"] = [STATUS.label(s, lang) for s in masters["status"]]
    masters["segment_label"] = [_segments_label(s, lang) for s in masters["segments"]]
    uncovered = frame[frame["status"] == "none"].copy()
    ended = _ended_coverage(engine, uncovered["firm_id"].tolist(), as_of)
    uncovered["reason"] = [
        uncovered_reason(int(f), int(p), ended.get(i), lang)
        for f, p, i in zip(uncovered["formal_members"], uncovered["probationary_members"],
                           uncovered["firm_id"])]
    # The planner's way for each uncovered firm (planned in this chain's scope, so the
    # joint branches it proposes group firms of this chain).
    ways = suggestions(engine, as_of, scope, lang) if len(uncovered) else {}
    none = {"type": "", "text": "", "reason": ""}
    found = [ways.get(c, none) for c in uncovered["credit_code"]]
    uncovered["suggestion"] = [w["text"] for w in found]
    uncovered["suggestion_type"] = [w["type"] for w in found]
    uncovered["suggestion_reason"] = [w["reason"] for w in found]
    for frame_ in (masters, uncovered):
        # No "None" on screen for a firm without a park or street.
        frame_["park"] = frame_["park"].fillna("")
        frame_["street"] = frame_["street"].fillna("")
    uncovered["segment_label"] = [_segments_label(s, lang) for s in uncovered["segments"]]
    return ChainDetail(code, names[code], True, result.total, target,
                       result.total.gap_to(target), segments,
                       masters.reset_index(drop=True), uncovered.reset_index(drop=True),
                       result.denominator_text)


def _segments_label(segments: str, lang: str) -> str:
    return join((SEGMENT.label(s, lang) for s in str(segments or "").split(";") if s), lang)


def _covering_orgs(engine: Engine, firm_ids: list[int], on: date) -> dict[int, str]:
    """Firm id → names of the organisations covering it on ``on``, joined by 、."""
    if not firm_ids:
        return {}
    L, O = CoverageLink.__table__, PartyOrg.__table__
    out: dict[int, list[str]] = {}
    with engine.connect() as conn:
        for start in range(0, len(firm_ids), 900):
            query = (sa.select(L.c.firm_id, O.c.name)
                     .select_from(L.join(O, O.c.id == L.c.org_id))
                     .where(L.c.firm_id.in_(firm_ids[start:start + 900]))
                     .where(active_clause(L.c.start, L.c.end, on))
                     .where(active_clause(O.c.founded, O.c.dissolved, on))
                     .order_by(O.c.name))
            for firm_id, name in conn.execute(query):
                out.setdefault(firm_id, []).append(name)
    return {k: "、".join(v) for k, v in out.items()}


@cached
def chain_graph(engine: Engine, code: str, as_of: date):
    """The network picture of one chain (:func:`tracker.graph.chain_subgraph`)."""
    return chain_subgraph(build_graph(engine, as_of, Scope.of(chains=[code])), code)
