"""Rule checks R1-R7: where the district's organisation breaks the party's rules on D.

The rules are declared as data (:data:`RULES`: id, severity, subject; their titles,
articles and finding texts in ``tracker/locales/rules.json``); each has one function that
reads the typed graph of :func:`tracker.graph.build_graph` and returns its
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

R1-R5 read the typed graph; R6 and R7 read the visits and terms of the graph's firms and
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

from dataclasses import dataclass, field
from datetime import date

import networkx as nx
from sqlalchemy.engine import Engine

from .graph import build_graph, chain_node, firm_flags
from .i18n import join, t
from .plans import plan_in_force
from .scope import EVERYTHING, Scope
from .terms import terms
from .visits import VISIT_WINDOW_DAYS, is_visited, last_visits
from .vocab import FORMATION, ORG_KIND, SEVERITY, Term, Vocabulary

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
    "check",
    "check_graph",
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


def _nodes(G: nx.MultiDiGraph, kind: str):
    return [(n, d) for n, d in G.nodes(data=True) if d.get("type") == kind]


# --------------------------------------------------------------------------- the rules


def rule_r1(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R1: firm with >= ``min_formal_members`` formal members and no own (单独组建) organisation."""
    out = []
    for node, f in _nodes(G, "firm"):
        n = f["formal_members"]
        if n >= config.min_formal_members and not firm_flags(G, node)[2]:
            out.append(_finding("R1", f, lang, n=n, min=config.min_formal_members))
    return out


def rule_r2(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R2: 党支部 with more than ``max_branch_members`` members."""
    out = []
    for _, o in _nodes(G, "org"):
        if o["kind"] == "branch" and o["members"] > config.max_branch_members:
            out.append(_finding("R2", o, lang, kind=_term(ORG_KIND, "branch"),
                                members=o["members"], max=config.max_branch_members))
    return out


def rule_r3(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R3: 联合组建 organisation covering more than ``max_joint_units`` firms on the date.

    Counts every firm with a link active on the date (``linked_firms``), in a chain or not.
    """
    out = []
    for _, o in _nodes(G, "org"):
        n = o.get("linked_firms", 0)
        if o["formation"] == "joint" and n > config.max_joint_units:
            out.append(_finding("R3", o, lang, formation=_term(FORMATION, "joint"), n=n,
                                max=config.max_joint_units))
    return out


def rule_r4(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R4: active organisation with fewer than ``min_org_members`` members."""
    out = []
    for _, o in _nodes(G, "org"):
        if o["members"] < config.min_org_members:
            out.append(_finding("R4", o, lang, kind=_term(ORG_KIND, o["kind"]),
                                members=o["members"], min=config.min_org_members))
    return out


def rule_r5(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R5: chain-master firm (active chain-master membership) without organisation coverage."""
    out = []
    for node, f in _nodes(G, "firm"):
        masters = sorted(G.nodes[target]["code"] for _, target, data in G.out_edges(node, data=True)
                         if data["label"] == "in_chain" and data.get("chain_master"))
        if masters and not firm_flags(G, node)[0]:
            chains = tuple(Term(c, G.nodes[chain_node(c)]["name"], G.nodes[chain_node(c)]["name_en"])
                           for c in masters)
            out.append(_finding("R5", f, lang, chains=chains))
    return out


def rule_r6(G: nx.MultiDiGraph, engine: Engine, as_of: date, window_days: int,
            lang: str = "zh") -> list[Finding]:
    """R6: a work-covered firm of the graph with no counted visit in the window."""
    work = {f["credit_code"]: f for _, f in _nodes(G, "firm") if f.get("status") == "work"}
    last = last_visits(engine, as_of, work, by_code=True) if work else {}
    out = []
    for code, f in work.items():
        seen = last.get(code)
        if is_visited(seen, as_of, window_days):
            continue
        if seen is None:
            out.append(_finding("R6", f, lang, key="R6_none", days=window_days))
        else:
            out.append(_finding("R6", f, lang, last=seen.isoformat(), days=window_days))
    return out


def rule_r7(G: nx.MultiDiGraph, engine: Engine, as_of: date, lang: str = "zh") -> list[Finding]:
    """R7: an organisation of the graph whose term is overdue (warning) or unknown (info)."""
    codes = {o["code"] for _, o in _nodes(G, "org")}
    out = []
    for row in terms(engine, as_of, codes):
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


def check_graph(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh",
                rules: list[str] | None = None) -> list[Finding]:
    """All findings on a graph from :func:`tracker.graph.build_graph`, sorted by rule then subject."""
    unknown = sorted(set(rules or []) - set(RULES))
    if unknown:
        raise ValueError(t("rules.unknown_rules", unknown="、".join(unknown), known="、".join(RULES)))
    out: list[Finding] = []
    for rule_id, function in _CHECKS.items():
        if rules is None or rule_id in rules:
            out.extend(function(G, config, lang))
    return sorted(out, key=_sort_key)


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
    G = build_graph(engine, as_of, scope)
    found = check_graph(G, config, lang, rules)
    if rules is None or "R6" in rules:
        plan = plan_in_force(engine, as_of)
        window = plan.visit_within_days if plan is not None else VISIT_WINDOW_DAYS
        found += rule_r6(G, engine, as_of, window, lang)
    if rules is None or "R7" in rules:
        found += rule_r7(G, engine, as_of, lang)
    return sorted(found, key=_sort_key)
