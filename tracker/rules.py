"""Rule checks R1-R7: where the district's organisation breaks the party's rules on D.

The rules are declared as data (:data:`RULES`: id, severity, subject; their titles,
articles and finding texts in ``tracker/locales/rules.json``); each has one function that
reads the facts of the date (:class:`RuleFacts`) and returns its
:class:`Finding` objects, which carry a text key and parameters and read in either
language (:meth:`Finding.message`, :meth:`Finding.detail`). The
thresholds live in one place, :class:`RuleConfig` and the constants beside it, which the
planner imports as well.

- ``R1`` (error): a firm with ``>= 3`` formal members not covered by an active 单独组建
  organisation of its own — Party Constitution Art. 30, 支部工作条例 Art. 4.
- ``R2`` (warning): a 党支部 with more than 50 members — 支部工作条例 Art. 4.
- ``R3`` (warning): a 联合组建 organisation covering more than 5 firms — Art. 5.
  **Counting choice**: every firm the organisation covers through a link active on D
  counts, whether or not the firm is in a chain on D (the rule limits the units of a
  joint branch, wherever they sit). The organisation itself must be in scope.
- ``R4`` (error): an active organisation with fewer than 3 members — Art. 4 and 5 (fewer
  than 3 formal members do not make a branch; such units join a joint branch).
- ``R5`` (warning): a chain-master firm (active chain-master membership on D) without
  organisation coverage on D — 中办发〔2012〕11号 and the Redwood plan (链主带动).
- ``R6`` (warning): a work-covered firm that is not **visited** on D: no visit by an officer
  assigned to it within the plan's ``visit_within_days`` (:mod:`tracker.visits`); the
  finding names the last visit or says none is recorded.
- ``R7`` (warning; info when unknown): an organisation whose term is overdue on D (D on or
  after 本届开始日期 + 任期, :mod:`tracker.terms`), or which has no term start recorded —
  中办《关于党的基层组织任期的意见》 (2018), 支部工作条例 Art. 21.

R1-R5 read :class:`RuleFacts`, counted from the store in SQL and numpy
(:func:`facts_from_store`; :func:`check_graph` reads the same facts off the typed graph,
the independent cross-check); R6 and R7 read the visits and terms of those firms and
organisations from the store.

Only firms of the population on D (in at least one chain on D, within the scope) give
firm findings; organisation findings cover the organisations of the graph (all active
ones, or in a restricted scope those covering a scoped firm plus their ancestors).

Examples
--------
>>> from datetime import date
>>> from tracker.chains import empty_store
>>> engine = empty_store()
>>> check(engine, date(2024, 1, 1))
[]
>>> RULES["R2"].severity
'warning'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import networkx as nx
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .coverage import id_values, population_facts
from .graph import chain_node, firm_flags
from .i18n import join, t
from .intervals import active_clause
from .model import Chain, ChainMembership, CoverageLink, Firm, PartyOrg
from .plans import plan_in_force
from .scope import EVERYTHING, Scope
from .terms import terms
from .visits import VISIT_WINDOW_DAYS, is_visited, last_visits
from .vocab import FORMATION, ORG_KIND, SEVERITY, Term, Vocabulary

C, F, M = Chain.__table__, Firm.__table__, ChainMembership.__table__
O, L = PartyOrg.__table__, CoverageLink.__table__

__all__ = [
    "DEFAULT_CONFIG",
    "MAX_BRANCH_MEMBERS",
    "MAX_JOINT_UNITS",
    "MIN_FORMAL_MEMBERS",
    "MIN_ORG_MEMBERS",
    "RULES",
    "Finding",
    "Rule",
    "RuleConfig",
    "RuleFacts",
    "check",
    "check_graph",
    "facts_from_graph",
    "facts_from_store",
    "rule_r1",
    "rule_r2",
    "rule_r3",
    "rule_r4",
    "rule_r5",
    "rule_r6",
    "rule_r7",
]

#: A unit with this many formal members or more shall form its own branch (Art. 30, Art. 4).
MIN_FORMAL_MEMBERS = 3
#: A branch generally has no more members than this (支部工作条例 Art. 4).
MAX_BRANCH_MEMBERS = 50
#: A joint branch generally covers no more units than this (支部工作条例 Art. 5).
MAX_JOINT_UNITS = 5
#: An organisation needs at least this many members (Art. 4 and 5).
MIN_ORG_MEMBERS = 3


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the rules; the defaults are the regulations' (cited in README.md)."""

    min_formal_members: int = MIN_FORMAL_MEMBERS
    max_branch_members: int = MAX_BRANCH_MEMBERS
    max_joint_units: int = MAX_JOINT_UNITS
    min_org_members: int = MIN_ORG_MEMBERS


DEFAULT_CONFIG = RuleConfig()


@dataclass(frozen=True)
class Rule:
    """A rule as data: its id, severity and subject; title and article in the locale file.

    The strings live in ``tracker/locales/rules.json`` (``rules.<id>_title``,
    ``rules.<id>_article``; ``rules.<id>`` is the finding's text with its parameters).
    """

    id: str
    severity: str  # a code of tracker.vocab.SEVERITY
    subject_type: str  # "firm" or "org"

    def title(self, lang: str = "zh") -> str:
        return t(f"rules.{self.id}_title", lang)

    def article(self, lang: str = "zh") -> str:
        return t(f"rules.{self.id}_article", lang)


RULES: dict[str, Rule] = {r.id: r for r in [
    Rule("R1", "error", "firm"),
    Rule("R2", "warning", "org"),
    Rule("R3", "warning", "org"),
    Rule("R4", "error", "org"),
    Rule("R5", "warning", "firm"),
    Rule("R6", "warning", "firm"),
    Rule("R7", "warning", "org"),
]}


@dataclass(frozen=True)
class Finding:
    """One broken rule for one subject on the date of the check.

    The text is not stored: ``key`` names it in ``tracker/locales/rules.json`` and
    ``params`` fill it in, so that one finding reads in either language. A parameter that
    is a :class:`tracker.vocab.Term` (an organisation kind, a chain) shows its label in
    the reader's language; a tuple of them is listed with the language's separator.

    >>> f = Finding("R4", "error", "org", "O1", "甲支部", "R4",
    ...             {"name": "甲支部", "kind": _term(ORG_KIND, "branch"), "members": 2, "min": 3})
    >>> f.detail("zh"), f.detail("en")
    ('党支部“甲支部”仅有党员2名，不足3名', 'Branch "甲支部" has only 2 members, fewer than 3')
    >>> f.message("en").endswith("units with fewer form a joint branch.")
    True
    """

    rule: str
    severity: str
    subject_type: str  # "firm" or "org"
    subject_id: str  # credit code of a firm, code of an organisation
    subject_name: str
    key: str  # the finding's text: rules.<key> in tracker/locales/rules.json
    params: dict = field(default_factory=dict, hash=False)
    lang: str = field(default="zh", compare=False)  # the language the check was run in

    def detail(self, lang: str | None = None) -> str:
        """The finding without the article it cites (for tables that cite it once)."""
        lang = lang or self.lang
        values = {name: _localise(value, lang) for name, value in self.params.items()}
        return t(f"rules.{self.key}", lang, **values)

    def message(self, lang: str | None = None) -> str:
        """The finding citing its article, in ``lang`` (default: the check's language)."""
        lang = lang or self.lang
        return t("rules.with_basis", lang, detail=self.detail(lang),
                 article=RULES[self.rule].article(lang))

    def as_dict(self) -> dict:
        """The JSON contract of ``tracker check --json`` (first five keys), plus extras.

        ``message`` is in the language the check was run with; the Chinese and English
        texts both follow as ``message_zh`` and ``message_en``.
        """
        rule = RULES[self.rule]
        return {
            "rule": self.rule,
            "severity": self.severity,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "message": self.message(),
            "subject_name": self.subject_name,
            "severity_label": SEVERITY.label(self.severity, self.lang),
            "title": rule.title(self.lang),
            "article": rule.article(self.lang),
            "message_zh": self.message("zh"),
            "message_en": self.message("en"),
        }


def _localise(value, lang: str):
    """A parameter as the reader sees it: terms by their label, tuples as a list."""
    if isinstance(value, Term):
        return value.label(lang)
    if isinstance(value, tuple):
        return join((_localise(v, lang) for v in value), lang)
    return value


def _term(vocabulary: Vocabulary, code: str) -> Term | str:
    """The term of ``code`` (its labels in both languages), or the code when unknown."""
    return next((term for term in vocabulary.terms if term.code == code), code)


def _finding(rule_id: str, subject: dict, lang: str, key: str | None = None,
             severity: str | None = None, **params) -> Finding:
    rule = RULES[rule_id]
    subject_id = subject["credit_code"] if rule.subject_type == "firm" else subject["code"]
    return Finding(
        rule=rule_id, severity=severity or rule.severity, subject_type=rule.subject_type,
        subject_id=subject_id, subject_name=subject["name"], key=key or rule_id,
        params={"name": subject["name"], **params}, lang=lang,
    )


# --------------------------------------------------------------------------- the facts
#
# R1-R5 are counts and joins. They read :class:`RuleFacts`: one row per firm of the
# population (numpy columns) and one per organisation in scope. :func:`facts_from_store`
# reads them straight from the store with a handful of SQL scans (a province has a million
# firms: building the whole graph for them took minutes and 2 GiB);
# :func:`facts_from_graph` reads the same facts off the typed graph, which stays the
# independent cross-check (tests/test_rules.py holds the two equal on random districts).


@dataclass
class RuleFacts:
    """What R1-R5 read, on one date within one scope.

    ``firm_*`` are numpy columns over the population's firms: id, formal members,
    organisation-covered, work-covered (and not organisation-covered), covered by a 单独组建
    organisation, and a bit mask of the chains (positions in ``chains``) in which the firm
    is chain master. ``orgs`` are the organisations in scope (dicts with code, name, kind,
    formation, members, linked_firms). ``names(ids)`` gives ``{id: (credit_code, name)}``
    (and exact formal members) for the few firms that have a finding.
    """

    firm_id: np.ndarray
    firm_formal: np.ndarray
    firm_org: np.ndarray
    firm_work: np.ndarray
    firm_single: np.ndarray
    firm_master: np.ndarray
    chains: list[Term]
    orgs: list[dict]
    names: Callable[[list[int]], dict[int, tuple[str, str, int]]]
    #: ``firm_id`` holds the store's firm ids (False: positions, as the graph's facts do).
    store_ids: bool = True

    def subjects(self, mask: np.ndarray) -> list[dict]:
        """The firms where ``mask`` holds, as finding subjects, with their row index."""
        rows = np.flatnonzero(mask)
        named = self.names(self.firm_id[rows].tolist())
        out = []
        for i in rows:
            code, name, formal = named[int(self.firm_id[i])]
            out.append({"credit_code": code, "name": name, "formal": formal, "row": int(i)})
        return out


def facts_from_graph(G: nx.MultiDiGraph) -> RuleFacts:
    """The facts of R1-R5 as the typed graph of :func:`tracker.graph.build_graph` holds them."""
    firms = [(n, d) for n, d in G.nodes(data=True) if d.get("type") == "firm"]
    chain_codes = sorted(d["code"] for _, d in G.nodes(data=True) if d.get("type") == "chain")
    position = {code: i for i, code in enumerate(chain_codes)}
    flags = [firm_flags(G, node) for node, _ in firms]
    master = []
    for node, _ in firms:
        bits = 0
        for _, target, data in G.out_edges(node, data=True):
            if data["label"] == "in_chain" and data.get("chain_master"):
                bits |= 1 << position[G.nodes[target]["code"]]
        master.append(bits)
    named = {i: (d["credit_code"], d["name"], d["formal_members"]) for i, (_, d) in enumerate(firms)}
    orgs = [{"code": o["code"], "name": o["name"], "kind": o["kind"],
             "formation": o["formation"], "members": o["members"],
             "linked_firms": o.get("linked_firms", 0)}
            for _, o in G.nodes(data=True) if o.get("type") == "org"]
    chains = [Term(code, G.nodes[chain_node(code)]["name"], G.nodes[chain_node(code)]["name_en"])
              for code in chain_codes]
    return RuleFacts(
        firm_id=np.arange(len(firms), dtype=np.int64),
        firm_formal=np.array([d["formal_members"] for _, d in firms], dtype=np.int64),
        firm_org=np.array([f[0] for f in flags], dtype=bool),
        firm_work=np.array([f[1] for f in flags], dtype=bool),
        firm_single=np.array([f[2] for f in flags], dtype=bool),
        firm_master=np.array(master, dtype=np.int64), chains=chains, orgs=orgs,
        names=lambda ids: {i: named[i] for i in ids}, store_ids=False)


#: Formal members travel packed with the firm id (id * stride + count): counts above this
#: are read as this (they pass every threshold; a finding reads the exact count).
_FORMAL_CAP = 4095


def _wide(column):
    """``column`` as a 64-bit integer, so that the packed values below cannot overflow
    PostgreSQL's 32-bit ``integer`` (an organisation id times 100,000 firms does; SQLite's
    integers are 64-bit anyway)."""
    return sa.cast(column, sa.BigInteger)


def facts_from_store(engine: Engine, as_of: date, scope: Scope = EVERYTHING) -> RuleFacts:
    """The facts of R1-R5 from the store, in SQL and numpy, no graph.

    The population and how each firm is covered are :func:`tracker.coverage.population_facts`,
    what the coverage figures count (firms with a chain membership active on D, in the
    scope's chains and areas; a link counts when it and its organisation are active; work
    coverage is an active assignment of a firm not organisation-covered). In a restricted
    scope the organisations are those covering a population firm, with their active
    ancestors, as in :func:`tracker.graph.build_graph`.
    """
    with engine.connect() as conn:
        pop, chains = population_facts(conn, as_of, scope)
        size = pop.size
        ids = np.flatnonzero(pop.in_pop)
        stride = max([0, *conn.execute(sa.select(sa.func.max(C.c.id))).scalars()]) + 1
        position = np.full(stride, -1, dtype=np.int64)
        position[np.array([c.id for c in chains], dtype=np.int64)] = np.arange(len(chains))
        masters = id_values(conn, _wide(M.c.firm_id) * stride + M.c.chain_id,
                            active_clause(M.c.joined, M.c.left, as_of),
                            M.c.is_chain_master.is_(True))
        packed = id_values(conn, _wide(F.c.id) * (_FORMAL_CAP + 1) + sa.case(
            (F.c.formal_members > _FORMAL_CAP, _FORMAL_CAP), else_=F.c.formal_members),
            F.c.formal_members > 0)
        org_rows = {o.id: o for o in conn.execute(
            sa.select(O.c.id, O.c.code, O.c.name, O.c.kind, O.c.formation, O.c.parent_id,
                      O.c.member_count).where(active_clause(O.c.founded, O.c.dissolved, as_of)))}
        # (organisation, firm) pairs of the links active on D to an active organisation;
        # ``+ 0`` as in tracker.coverage: one scan of the links, not a lookup per link.
        pairs = id_values(conn, _wide(L.c.org_id) * size + L.c.firm_id,
                          active_clause(L.c.start, L.c.end, as_of),
                          active_clause(O.c.founded, O.c.dissolved, as_of),
                          select_from=L.join(O, O.c.id == L.c.org_id + 0))
    firm_of, formal_of = np.divmod(packed, _FORMAL_CAP + 1)
    formal = np.zeros(size, dtype=np.int64)
    inside = firm_of < size
    formal[firm_of[inside]] = formal_of[inside]
    master = np.zeros(size, dtype=np.int64)
    m_firm, m_chain = np.divmod(masters, stride)
    m_pos = position[m_chain]
    keep = (m_pos >= 0) & (m_firm < size)
    np.bitwise_or.at(master, m_firm[keep], np.left_shift(1, m_pos[keep]))
    # Distinct firms per organisation, in the population or not (R3's counting choice).
    pairs = np.unique(pairs)
    l_org, l_firm = np.divmod(pairs, size)
    linked_ids, linked_counts = np.unique(l_org, return_counts=True)
    linked = dict(zip(linked_ids.tolist(), linked_counts.tolist()))
    if scope.is_everything:
        kept = set(org_rows)
    else:
        kept = set()
        for org_id in set(l_org[pop.in_pop[l_firm]].tolist()):
            # Up while the ancestors are active; stopping at a kept one also ends a cycle.
            while org_id is not None and org_id in org_rows and org_id not in kept:
                kept.add(org_id)
                org_id = org_rows[org_id].parent_id
    orgs = [{"code": o.code, "name": o.name, "kind": o.kind, "formation": o.formation,
             "members": int(o.member_count), "linked_firms": linked.get(i, 0)}
            for i, o in org_rows.items() if i in kept]

    def names(wanted: list[int]) -> dict[int, tuple[str, str, int]]:
        out: dict[int, tuple[str, str, int]] = {}
        with engine.connect() as conn:
            for i in range(0, len(wanted), 5000):  # bound-parameter limits
                for row in conn.execute(sa.select(F.c.id, F.c.credit_code, F.c.name,
                                                  F.c.formal_members)
                                        .where(F.c.id.in_(wanted[i:i + 5000]))):
                    out[row.id] = (row.credit_code, row.name, int(row.formal_members))
        return out

    return RuleFacts(firm_id=ids, firm_formal=formal[ids], firm_org=pop.org[ids],
                     firm_work=pop.work[ids], firm_single=pop.single[ids],
                     firm_master=master[ids],
                     chains=[Term(c.code, c.name_zh, c.name_en) for c in chains], orgs=orgs,
                     names=names)


def _facts(source) -> RuleFacts:
    """Rule functions take the facts, or a typed graph (read with :func:`facts_from_graph`)."""
    return source if isinstance(source, RuleFacts) else facts_from_graph(source)


# --------------------------------------------------------------------------- the rules


def rule_r1(facts, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R1: firm with >= ``min_formal_members`` formal members and no own (单独组建) organisation."""
    facts = _facts(facts)
    hit = (facts.firm_formal >= config.min_formal_members) & ~facts.firm_single
    return [_finding("R1", f, lang, n=f["formal"], min=config.min_formal_members)
            for f in facts.subjects(hit)]


def rule_r2(facts, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R2: 党支部 with more than ``max_branch_members`` members."""
    return [_finding("R2", o, lang, kind=_term(ORG_KIND, "branch"), members=o["members"],
                     max=config.max_branch_members)
            for o in _facts(facts).orgs
            if o["kind"] == "branch" and o["members"] > config.max_branch_members]


def rule_r3(facts, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R3: 联合组建 organisation covering more than ``max_joint_units`` firms on the date.

    Counts every firm with a link active on the date (``linked_firms``), in a chain or not.
    """
    return [_finding("R3", o, lang, formation=_term(FORMATION, "joint"), n=o["linked_firms"],
                     max=config.max_joint_units)
            for o in _facts(facts).orgs
            if o["formation"] == "joint" and o["linked_firms"] > config.max_joint_units]


def rule_r4(facts, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R4: active organisation with fewer than ``min_org_members`` members."""
    return [_finding("R4", o, lang, kind=_term(ORG_KIND, o["kind"]), members=o["members"],
                     min=config.min_org_members)
            for o in _facts(facts).orgs if o["members"] < config.min_org_members]


def rule_r5(facts, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R5: chain-master firm (active chain-master membership) without organisation coverage."""
    facts = _facts(facts)
    out = []
    for f in facts.subjects((facts.firm_master != 0) & ~facts.firm_org):
        bits = int(facts.firm_master[f["row"]])
        chains = tuple(sorted((c for i, c in enumerate(facts.chains) if bits >> i & 1),
                              key=lambda c: c.code))
        out.append(_finding("R5", f, lang, chains=chains))
    return out


def rule_r6(facts, engine: Engine, as_of: date, window_days: int,
            lang: str = "zh") -> list[Finding]:
    """R6: a work-covered firm with no counted visit in the window."""
    facts = _facts(facts)
    work = facts.firm_work
    if not work.any():
        return []
    # One grouped query over all visits, then the work-covered firms picked out here: a
    # list of a hundred thousand codes would pass SQLite's bound-parameter limit.
    last_by_id = last_visits(engine, as_of)
    subjects = facts.subjects(work)
    if facts.store_ids:
        last = {f["credit_code"]: last_by_id.get(int(facts.firm_id[f["row"]])) for f in subjects}
    else:  # graph facts number firms by position: their visits are read by credit code
        last = last_visits(engine, as_of, [f["credit_code"] for f in subjects], by_code=True)
    out = []
    for f in subjects:
        seen = last.get(f["credit_code"])
        if is_visited(seen, as_of, window_days):
            continue
        if seen is None:
            out.append(_finding("R6", f, lang, key="R6_none", days=window_days))
        else:
            out.append(_finding("R6", f, lang, last=seen.isoformat(), days=window_days))
    return out


def rule_r7(facts, engine: Engine, as_of: date, lang: str = "zh") -> list[Finding]:
    """R7: an organisation in scope whose term is overdue (warning) or unknown (info)."""
    codes = {o["code"] for o in _facts(facts).orgs}
    out = []
    for row in terms(engine, as_of, codes, due_only=True):
        subject = {"code": row.org_code, "name": row.name}
        kind = _term(ORG_KIND, row.kind)
        if row.status == "overdue":
            out.append(_finding("R7", subject, lang, kind=kind, due=row.due.isoformat(),
                                days=-row.days_to_due))
        elif row.status == "unknown":
            out.append(_finding("R7", subject, lang, key="R7_unknown", severity="info", kind=kind))
    return out


_CHECKS = {"R1": rule_r1, "R2": rule_r2, "R3": rule_r3, "R4": rule_r4, "R5": rule_r5}
#: Rules that read the store beside the graph (visits, terms).
_STORE_CHECKS = ("R6", "R7")


def _sort_key(finding: Finding):
    return (finding.rule, finding.subject_id)


def _unknown(rules: list[str] | None) -> None:
    unknown = sorted(set(rules or []) - set(RULES))
    if unknown:
        raise ValueError(t("rules.unknown_rules", unknown="、".join(unknown), known="、".join(RULES)))


def _check_facts(facts: RuleFacts, config: RuleConfig, lang: str,
                 rules: list[str] | None) -> list[Finding]:
    out: list[Finding] = []
    for rule_id, function in _CHECKS.items():
        if rules is None or rule_id in rules:
            out.extend(function(facts, config, lang))
    return out


def check_graph(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh",
                rules: list[str] | None = None) -> list[Finding]:
    """R1-R5 on a graph from :func:`tracker.graph.build_graph`, sorted by rule then subject:
    the cross-check of :func:`check`, which reads the same facts from the store."""
    _unknown(rules)
    return sorted(_check_facts(facts_from_graph(G), config, lang, rules), key=_sort_key)


def check(engine: Engine, as_of: date, scope: Scope = EVERYTHING, lang: str = "zh",
          config: RuleConfig = DEFAULT_CONFIG, rules: list[str] | None = None) -> list[Finding]:
    """Run the rule checks on ``as_of`` within ``scope``.

    Parameters
    ----------
    engine : the store
    as_of : the date D
    scope : which firms (and hence organisations) to check
    lang : the default language of :meth:`Finding.message` and of ``as_dict()["message"]``
    config : thresholds
    rules : only these rule ids (default all)

    Returns
    -------
    list of Finding
        Sorted by rule id, then subject id.

    Examples
    --------
    >>> [f.rule for f in check(engine, date(2024, 6, 30))]       # doctest: +SKIP
    ['R1', 'R4', 'R5']
    """
    _unknown(rules)
    facts = facts_from_store(engine, as_of, scope)
    found = _check_facts(facts, config, lang, rules)
    if rules is None or "R6" in rules:
        plan = plan_in_force(engine, as_of)
        window = plan.visit_within_days if plan is not None else VISIT_WINDOW_DAYS
        found += rule_r6(facts, engine, as_of, window, lang)
    if rules is None or "R7" in rules:
        found += rule_r7(facts, engine, as_of, lang)
    return sorted(found, key=_sort_key)
