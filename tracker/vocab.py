"""Enumerations of the domain, declared as data.

Every enumeration is stored in the database by a stable English code; the Chinese label
is what users see and type. Importers accept either the code or the Chinese label, and
:func:`parse` turns both into the code. One place for each vocabulary: nothing else in
the package spells these labels.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Term",
    "Vocabulary",
    "SEGMENT",
    "OWNERSHIP",
    "ORG_KIND",
    "FORMATION",
    "LIAISON_ROLE",
    "STATUS",
    "SEVERITY",
    "YES_NO",
    "PLAN_ACTION",
    "PLAN_STATUS",
    "DEADLINE_RESULT",
    "STANDING",
    "TREND",
    "UNCOVERED_CAUSE",
    "FLOW_CHANGE",
    "TERM_STATUS",
    "VISIT_MODE",
]


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    #: The one colour of this term in every chart and report (dashboard and Word/PDF alike).
    colour: str | None = None

    def label(self, lang: str = "zh") -> str:
        """The Chinese label for ``"zh"``, the English one for any other language.

        >>> Term("branch", "党支部", "Branch").label("en")
        'Branch'
        """
        return {"zh": self.zh, "en": self.en}.get(lang, self.en)


class Vocabulary:
    """A closed list of terms, looked up by code or by either label."""

    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self.terms = terms
        self._by_key: dict[str, Term] = {}
        for t in terms:
            for key in (t.code, t.zh, t.en.lower()):
                self._by_key[key] = t

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def parse(self, value: str) -> str:
        """Return the code for a code or label; raise ``ValueError`` when unknown."""
        key = str(value).strip()
        term = self._by_key.get(key) or self._by_key.get(key.lower())
        if term is None:
            allowed = "、".join(t.zh for t in self.terms)
            raise ValueError(f"“{value}”不是有效的{self.name}，可选：{allowed}")
        return term.code

    def label(self, code: str | None, lang: str = "zh") -> str:
        if code is None:
            return ""
        term = self._by_key.get(code)
        return term.label(lang) if term else str(code)

    def colour(self, code: str | None, default: str = "#78909c") -> str:
        """The term's colour for charts and reports (``default`` when it has none)."""
        term = self._by_key.get(code) if code is not None else None
        return (term.colour if term is not None else None) or default

    def labels(self, lang: str = "zh") -> list[str]:
        return [t.label(lang) for t in self.terms]

    def __contains__(self, code: str) -> bool:
        return code in self.codes


SEGMENT = Vocabulary("环节", [
    Term("upstream", "上游", "Upstream"),
    Term("midstream", "中游", "Midstream"),
    Term("downstream", "下游", "Downstream"),
])

OWNERSHIP = Vocabulary("企业类型", [
    Term("private", "民营", "Private"),
    Term("foreign", "外资", "Foreign-invested"),
    Term("hmt", "港澳台", "Hong Kong, Macao, Taiwan"),
    Term("state", "国有", "State-owned"),
    Term("mixed", "混合所有制", "Mixed ownership"),
])

ORG_KIND = Vocabulary("党组织类型", [
    Term("committee", "党委", "Party committee"),
    Term("general_branch", "党总支", "General branch"),
    Term("branch", "党支部", "Branch"),
])

FORMATION = Vocabulary("组建方式", [
    Term("single", "单独组建", "Single-unit"),
    Term("joint", "联合组建", "Joint"),
    Term("regional", "区域组建", "Regional / park"),
    Term("industry", "行业组建", "Industry"),
])

LIAISON_ROLE = Vocabulary("联络员类型", [
    Term("liaison", "联络员", "Liaison officer"),
    Term("instructor", "指导员", "Instructor"),
])

STATUS = Vocabulary("覆盖状态", [
    Term("org", "组织覆盖", "Organisation-covered", "#c62828"),
    Term("work", "工作覆盖", "Work-covered", "#ef8f00"),
    Term("none", "未覆盖", "Uncovered", "#9e9e9e"),
])

SEVERITY = Vocabulary("严重程度", [
    Term("error", "违规", "Violation"),
    Term("warning", "提示", "Warning"),
    Term("info", "信息", "Info"),
])

YES_NO = Vocabulary("是否", [
    Term("yes", "是", "Yes"),
    Term("no", "否", "No"),
])

#: The planner's actions (:mod:`tracker.planning.plan`), in the order reports list them.
PLAN_ACTION = Vocabulary("计划措施", [
    Term("form_branch", "单独组建党组织", "Form own organisation"),
    Term("form_joint_branch", "新建联合党支部", "Form a joint branch"),
    Term("join_joint_branch", "加入现有联合党组织", "Join a joint organisation"),
    Term("assign_liaison", "选派联络员", "Assign a liaison officer"),
])

#: Where a chain or the district stands against the plan's deadline (:mod:`tracker.planning.forecast`).
PLAN_STATUS = Vocabulary("计划状态", [
    Term("achieved", "已达标", "achieved", "#2e7d32"),
    Term("on_track", "按期可达", "on track", "#1565c0"),
    Term("at_risk", "存在风险", "at risk", "#ef8f00"),
    Term("missed", "未按期达标", "missed", "#c62828"),
    Term("no_data", "无数据", "no data", "#b0bec5"),
    # Shown by the dashboard while the forecast cannot judge yet (before the deadline,
    # without enough history).
    Term("pending", "进行中", "in progress", "#78909c"),
])

#: An ended plan's result on its deadline (截止日结果, :mod:`tracker.plans`).
DEADLINE_RESULT = Vocabulary("截止日结果", [
    Term("met", "已达标", "met", "#2e7d32"),
    Term("missed", "未达标", "missed", "#c62828"),
    Term("pending", "未到截止日", "deadline ahead", "#78909c"),
    Term("no_data", "无数据", "no data", "#b0bec5"),
])

#: Where a chain stands against the target on the as-of date (统计日状态).
STANDING = Vocabulary("统计日状态", [
    Term("met", "达到目标", "at target", "#2e7d32"),
    Term("below", "低于目标", "below target", "#c62828"),
    Term("no_data", "无数据", "no data", "#b0bec5"),
])

#: The direction of the coverage rate over the last 3 months (趋势).
TREND = Vocabulary("趋势", [
    Term("rising", "上升", "rising", "#2e7d32"),
    Term("flat", "持平", "flat", "#78909c"),
    Term("falling", "下降", "falling", "#c62828"),
])

#: How a firm came to be uncovered (:mod:`tracker.flow`): it entered a chain uncovered, or lost
#: its organisation or liaison.
UNCOVERED_CAUSE = Vocabulary("未覆盖原因", [
    Term("entered", "新入链未覆盖", "entered uncovered"),
    Term("lost", "失去覆盖", "lost coverage"),
])

#: The changes a firm can show between two dates (:mod:`tracker.flow`).
FLOW_CHANGE = Vocabulary("变动", [
    Term("entered", "新入链", "entered"),
    Term("left", "退出", "left"),
    Term("gained", "新覆盖", "gained cover"),
    Term("lost", "失去覆盖", "lost cover"),
])

#: Where an organisation's term stands on a date (:mod:`tracker.terms`).
TERM_STATUS = Vocabulary("换届状态", [
    Term("overdue", "换届逾期", "overdue", "#c62828"),
    Term("due_soon", "即将到期", "due soon", "#ef8f00"),
    Term("ok", "任期内", "in term", "#2e7d32"),
    Term("unknown", "未登记任期", "no term recorded", "#78909c"),
])

#: How an officer worked with a firm (走访记录 方式).
VISIT_MODE = Vocabulary("走访方式", [
    Term("visit", "走访", "visit"),
    Term("talk", "座谈", "talk"),
    Term("guidance", "指导", "guidance"),
    Term("activity", "活动", "joint activity"),
    Term("online", "线上", "online"),
])
