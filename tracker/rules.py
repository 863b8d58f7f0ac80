"""Rule checks R1-R5: where the district's organisation breaks the party's rules on D.

The rules are declared as data (:data:`RULES`: id, severity, the article in Chinese and
English); each has one function that reads the typed graph of
:func:`tracker.graph.build_graph` and returns its :class:`Finding` objects. The
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

Only firms of the population on D (in at least one chain on D, within the scope) give
firm findings; organisation findings cover the organisations of the graph (all active
ones, or in a restricted scope those covering a scoped firm plus their ancestors).

Examples
--------
>>> from datetime import date
>>> from tracker.store import get_engine
>>> from tracker.chains import init_store
>>> engine = get_engine("sqlite://")
>>> _ = init_store(engine)
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

from .graph import build_graph, firm_flags
from .scope import EVERYTHING, Scope
from .vocab import FORMATION, ORG_KIND, SEVERITY

__all__ = [
    "MIN_FORMAL_MEMBERS",
    "MAX_BRANCH_MEMBERS",
    "MAX_JOINT_UNITS",
    "MIN_ORG_MEMBERS",
    "RuleConfig",
    "DEFAULT_CONFIG",
    "Rule",
    "RULES",
    "Finding",
    "check",
    "check_graph",
    "rule_r1",
    "rule_r2",
    "rule_r3",
    "rule_r4",
    "rule_r5",
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
    """Thresholds of the rules; the defaults are the regulations' (see DOMAIN.md)."""

    min_formal_members: int = MIN_FORMAL_MEMBERS
    max_branch_members: int = MAX_BRANCH_MEMBERS
    max_joint_units: int = MAX_JOINT_UNITS
    min_org_members: int = MIN_ORG_MEMBERS


DEFAULT_CONFIG = RuleConfig()


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # a code of tracker.vocab.SEVERITY
    subject_type: str  # "firm" or "org"
    title_zh: str
    title_en: str
    article_zh: str
    article_en: str

    def title(self, lang: str = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def article(self, lang: str = "zh") -> str:
        return self.article_zh if lang == "zh" else self.article_en


_CONSTITUTION_30 = "《中国共产党章程》第三十条"
_BRANCH_4 = "《中国共产党支部工作条例（试行）》第四条"
_BRANCH_5 = "《中国共产党支部工作条例（试行）》第五条"

RULES: dict[str, Rule] = {r.id: r for r in [
    Rule("R1", "error", "firm",
         "有3名以上正式党员的企业未单独建立党组织",
         "Firm with 3+ formal members without its own organisation",
         f"{_CONSTITUTION_30}、{_BRANCH_4}：凡是有正式党员3人以上的，都应当成立党支部",
         "Party Constitution Art. 30; Regulations on Party Branch Work (Trial) Art. 4: "
         "every unit with 3 or more formal members shall form a branch"),
    Rule("R2", "warning", "org",
         "党支部党员人数超过50人",
         "Branch with more than 50 members",
         f"{_BRANCH_4}：党支部党员人数一般不超过50人",
         "Regulations on Party Branch Work (Trial) Art. 4: a branch generally has no more "
         "than 50 members"),
    Rule("R3", "warning", "org",
         "联合党组织覆盖单位超过5个",
         "Joint organisation covering more than 5 units",
         f"{_BRANCH_5}：联合党支部覆盖单位一般不超过5个",
         "Regulations on Party Branch Work (Trial) Art. 5: a joint branch generally covers "
         "no more than 5 units"),
    Rule("R4", "error", "org",
         "党组织党员人数不足3人",
         "Organisation with fewer than 3 members",
         f"{_BRANCH_4}、第五条：有正式党员3人以上方可成立党支部，不足3人的应成立联合党支部",
         "Regulations on Party Branch Work (Trial) Arts. 4-5: a branch needs 3 or more "
         "formal members; units with fewer form a joint branch"),
    Rule("R5", "warning", "firm",
         "链主企业未实现党的组织覆盖",
         "Chain-master firm without organisation coverage",
         "中办发〔2012〕11号《关于加强和改进非公有制企业党的建设工作的意见（试行）》及"
         "黄埔区“红杉林”产业链党建计划：链主企业应建立党组织、带动上下游",
         "CPC General Office document [2012] No. 11 on party building in non-public firms "
         "and the Huangpu Redwood Forest plan: chain-master firms shall have a party "
         "organisation and lead their up/downstream"),
]}

@dataclass(frozen=True)
class Finding:
    """One broken rule for one subject on the date of the check."""

    rule: str
    severity: str
    subject_type: str  # "firm" or "org"
    subject_id: str  # credit code of a firm, code of an organisation
    subject_name: str
    message: str  # Chinese, citing the article
    message_en: str
    lang: str = field(default="zh", compare=False)
    detail: str = field(default="", compare=False)  # the message without its basis (tables)
    detail_en: str = field(default="", compare=False)

    def text(self, lang: str | None = None) -> str:
        return self.message_en if (lang or self.lang) == "en" else self.message

    def short(self, lang: str | None = None) -> str:
        """The finding without the article it cites (for tables that cite it once)."""
        short = self.detail_en if (lang or self.lang) == "en" else self.detail
        return short or self.text(lang)

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
            "message": self.text(),
            "subject_name": self.subject_name,
            "severity_label": SEVERITY.label(self.severity, self.lang),
            "title": rule.title(self.lang),
            "article": rule.article(self.lang),
            "message_zh": self.message,
            "message_en": self.message_en,
        }


def _finding(rule_id: str, subject: dict, zh: str, en: str, lang: str) -> Finding:
    rule = RULES[rule_id]
    subject_id = subject["credit_code"] if rule.subject_type == "firm" else subject["code"]
    return Finding(
        rule=rule_id, severity=rule.severity, subject_type=rule.subject_type,
        subject_id=subject_id, subject_name=subject["name"],
        message=f"{zh}。依据：{rule.article_zh}。",
        message_en=f"{en}. Basis: {rule.article_en}.",
        lang=lang,
        detail=zh,
        detail_en=en,
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
            out.append(_finding(
                "R1", f,
                f"企业“{f['name']}”有正式党员{n}名（{config.min_formal_members}名以上），"
                f"统计日未由本企业单独组建的党组织覆盖",
                f"Firm \"{f['name']}\" has {n} formal members ({config.min_formal_members} or "
                f"more) but no single-unit organisation of its own on the date",
                lang))
    return out


def rule_r2(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R2: 党支部 with more than ``max_branch_members`` members."""
    out = []
    for _, o in _nodes(G, "org"):
        if o["kind"] == "branch" and o["members"] > config.max_branch_members:
            out.append(_finding(
                "R2", o,
                f"{ORG_KIND.label('branch')}“{o['name']}”有党员{o['members']}名，"
                f"超过{config.max_branch_members}名，宜改设党总支或拆分",
                f"Branch \"{o['name']}\" has {o['members']} members, more than "
                f"{config.max_branch_members}; consider a general branch or a split",
                lang))
    return out


def rule_r3(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R3: 联合组建 organisation covering more than ``max_joint_units`` firms on the date.

    Counts every firm with a link active on the date (``linked_firms``), in a chain or not.
    """
    out = []
    for _, o in _nodes(G, "org"):
        n = o.get("linked_firms", 0)
        if o["formation"] == "joint" and n > config.max_joint_units:
            out.append(_finding(
                "R3", o,
                f"{FORMATION.label('joint')}的“{o['name']}”统计日覆盖{n}家企业，"
                f"超过{config.max_joint_units}家",
                f"Joint organisation \"{o['name']}\" covers {n} firms on the date, more than "
                f"{config.max_joint_units}",
                lang))
    return out


def rule_r4(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R4: active organisation with fewer than ``min_org_members`` members."""
    out = []
    for _, o in _nodes(G, "org"):
        if o["members"] < config.min_org_members:
            out.append(_finding(
                "R4", o,
                f"{ORG_KIND.label(o['kind'])}“{o['name']}”仅有党员{o['members']}名，"
                f"不足{config.min_org_members}名",
                f"{ORG_KIND.label(o['kind'], 'en')} \"{o['name']}\" has only {o['members']} "
                f"members, fewer than {config.min_org_members}",
                lang))
    return out


def rule_r5(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh") -> list[Finding]:
    """R5: chain-master firm (active chain-master membership) without organisation coverage."""
    out = []
    for node, f in _nodes(G, "firm"):
        masters = sorted(G.nodes[target]["code"] for _, target, data in G.out_edges(node, data=True)
                         if data["label"] == "in_chain" and data.get("chain_master"))
        if masters and not firm_flags(G, node)[0]:
            chains_zh = "、".join(G.nodes[f"chain:{c}"]["name"] for c in masters)
            chains_en = ", ".join(G.nodes[f"chain:{c}"]["name_en"] for c in masters)
            out.append(_finding(
                "R5", f,
                f"链主企业“{f['name']}”（{chains_zh}）统计日未被任何党组织覆盖",
                f"Chain-master firm \"{f['name']}\" ({chains_en}) is covered by no party "
                f"organisation on the date",
                lang))
    return out


_CHECKS = {"R1": rule_r1, "R2": rule_r2, "R3": rule_r3, "R4": rule_r4, "R5": rule_r5}


def _sort_key(finding: Finding):
    return (finding.rule, finding.subject_id)


def check_graph(G: nx.MultiDiGraph, config: RuleConfig = DEFAULT_CONFIG, lang: str = "zh",
                rules: list[str] | None = None) -> list[Finding]:
    """All findings on a graph from :func:`tracker.graph.build_graph`, sorted by rule then subject."""
    unknown = sorted(set(rules or []) - set(_CHECKS))
    if unknown:
        raise ValueError(f"未知的规则：{'、'.join(unknown)}（可选：{'、'.join(_CHECKS)}）")
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
    lang : language of :attr:`Finding.text` and of ``as_dict()["message"]``
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
    return check_graph(build_graph(engine, as_of, scope), config, lang, rules)
