"""The figures of the organisations page: the organisation tree with its roll-ups, the
换届提醒 board (:mod:`tracker.terms`), one organisation's card, and the findings of the
rules of organisation.

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> org_tree(engine, date(2024, 6, 30)).empty, rule_findings(engine, date(2024, 6, 30)).empty
(True, True)
>>> {bucket: len(rows) for bucket, rows in term_board(engine, date(2024, 6, 30)).items()}
{'overdue': 0, 'within_3_months': 0, 'within_6_months': 0, 'unknown': 0}
>>> org_detail(engine, "P1", date(2024, 6, 30)) is None
True
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ... import rules
from ...graph import build_graph, org_rollup
from ...intervals import active_clause
from ...model import CoverageLink, Firm, PartyOrg
from ...scope import EVERYTHING, Scope
from ...terms import terms
from ...vocab import FORMATION, ORG_KIND, TERM_STATUS
from .cache import cached
from .firms import firm_table

__all__ = ["BOARD_BUCKETS", "org_detail", "org_tree", "rule_findings", "term_board"]

#: The columns of the 换届提醒 board, most urgent first (:attr:`tracker.terms.TermRow.bucket`).
BOARD_BUCKETS = ("overdue", "within_3_months", "within_6_months", "unknown")
TERM_COLUMNS = ["org_code", "name", "kind_label", "term_start", "term_years", "due",
                "days_to_due", "status", "status_label"]


@cached
def org_tree(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh") -> pd.DataFrame:
    """The organisation tree at ``as_of`` in depth-first order with subtree roll-ups
    (:func:`tracker.graph.org_rollup`).

    Columns: ``code, name, depth, kind, kind_label, formation, formation_label,
    own_members, members`` (subtree), ``covered_firms`` (subtree), ``direct_firms``,
    ``parent``.
    """
    G = build_graph(engine, as_of, scope)
    rollup = org_rollup(G)
    orgs = {data["code"]: data for _, data in G.nodes(data=True) if data["type"] == "org"}
    children: dict[str | None, list[str]] = {}
    for code, data in orgs.items():
        parent = data.get("parent") if data.get("parent") in orgs else None
        children.setdefault(parent, []).append(code)
    rows = []

    def walk(code: str, depth: int) -> None:
        data = orgs[code]
        roll = rollup.get(code, {})
        rows.append({
            "code": code, "name": data["name"], "depth": depth, "kind": data["kind"],
            "kind_label": ORG_KIND.label(data["kind"], lang),
            "formation": data["formation"], "formation_label": FORMATION.label(data["formation"], lang),
            "own_members": int(data.get("members", 0)), "members": roll.get("members", 0),
            "covered_firms": roll.get("covered_firms", 0), "direct_firms": roll.get("direct_firms", 0),
            "parent": data.get("parent", ""),
        })
        for child in sorted(children.get(code, [])):
            walk(child, depth + 1)

    for root in sorted(children.get(None, [])):
        walk(root, 0)
    return pd.DataFrame(rows, columns=["code", "name", "depth", "kind", "kind_label", "formation",
                                       "formation_label", "own_members", "members",
                                       "covered_firms", "direct_firms", "parent"])


@cached
def rule_findings(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
                  lang: str = "zh") -> pd.DataFrame:
    """Findings of :func:`tracker.rules.check` in ``lang`` as a frame.

    Columns: the keys of :meth:`tracker.rules.Finding.as_dict` (``rule``, ``severity``,
    ``article``, ``message``, ...).
    """
    found = rules.check(engine, as_of, scope=scope, lang=lang)
    return pd.DataFrame.from_records([f.as_dict() for f in found])


def _codes_in_scope(engine: Engine, as_of: date, scope: Scope) -> set[str] | None:
    """Codes of the organisations of ``scope``'s tree on ``as_of`` (None: all of them)."""
    if scope.is_everything:
        return None
    return set(org_tree(engine, as_of, scope)["code"])


def _term_frame(rows, lang: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "org_code": r.org_code, "name": r.name, "kind_label": ORG_KIND.label(r.kind, lang),
        "term_start": r.term_start, "term_years": r.term_years, "due": r.due,
        "days_to_due": r.days_to_due, "status": r.status,
        "status_label": TERM_STATUS.label(r.status, lang)} for r in rows], columns=TERM_COLUMNS)


@cached
def term_board(engine: Engine, as_of: date, scope: Scope = EVERYTHING,
               lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The 换届提醒 board on ``as_of``: for each of :data:`BOARD_BUCKETS` (overdue, due within
    3 months, within 6 months, no term recorded) the organisations of ``scope``
    (:func:`tracker.terms.terms`, most urgent first), as frames with the columns
    ``org_code, name, kind_label, term_start, term_years, due, days_to_due, status,
    status_label``."""
    found = terms(engine, as_of, _codes_in_scope(engine, as_of, scope))
    return {bucket: _term_frame([r for r in found if r.bucket == bucket], lang)
            for bucket in BOARD_BUCKETS}


@cached
def org_detail(engine: Engine, code: str, as_of: date, scope: Scope = EVERYTHING,
               lang: str = "zh") -> dict | None:
    """One organisation on ``as_of`` (None when unknown, not active then, or outside ``scope``):
    ``code, name, kind_label, formation_label, parent, own_members, members, direct_firms,
    covered_firms`` (its row of :func:`org_tree`), its term (``term_start, term_years, due,
    days_to_due, status, status_label``; :func:`tracker.terms.terms`) and ``firms``: the
    firms of the population in ``scope`` it covers directly on ``as_of`` (``credit_code,
    name, since``: the link's start), as many as ``direct_firms``."""
    tree = org_tree(engine, as_of, scope, lang)
    found = tree[tree["code"] == code]
    if found.empty:
        return None
    row = found.iloc[0].to_dict()
    term = _term_frame(terms(engine, as_of, {code}), lang)
    if not term.empty:
        row.update({k: v for k, v in term.iloc[0].to_dict().items()
                    if k not in ("org_code", "name", "kind_label")})
    L, O, F = CoverageLink.__table__, PartyOrg.__table__, Firm.__table__
    with engine.connect() as conn:
        firms = conn.execute(
            sa.select(F.c.credit_code, F.c.name, L.c.start)
            .select_from(L.join(O, O.c.id == L.c.org_id).join(F, F.c.id == L.c.firm_id))
            .where(O.c.code == code, active_clause(L.c.start, L.c.end, as_of))
            .order_by(F.c.name)).all()
    # The firms of the population in scope, as the tree's counts hold them.
    population = set(firm_table(engine, as_of, scope, lang)["credit_code"])
    row["firms"] = pd.DataFrame([tuple(f) for f in firms if f[0] in population],
                                columns=["credit_code", "name", "since"])
    return row
