"""The written report as a sequence of blocks, shared by the Word and the PDF layouts.

:func:`build` turns a :class:`~tracker.reports.content.ReportContent` (and its rendered
charts) into the parts of a report in the order of Chinese official documents
(GB/T 9704): title, 主送 (addressees), numbered sections 一、二、… with paragraphs, tables
and figures, the attachment note, 落款 (issuing unit) and date, then the attachment.
:mod:`tracker.reports.docx` and :mod:`tracker.reports.pdf` only typeset these blocks, so
the two files say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import percent, t
from ..provenance import source_text
from ..verdict import three_months_before
from ..vocab import ORG_KIND, TERM_STATUS
from .charts import Chart, ChartSet
from .content import (
    ReportContent,
    change_points,
    chinese_number,
    data_date,
    issued_date,
    report_title,
)

__all__ = [
    "ATTACHMENT_LIMIT",
    "Attachment",
    "Block",
    "Figure",
    "Heading",
    "Para",
    "Recipient",
    "Signature",
    "Table",
    "Title",
    "attachment_firms",
    "build",
    "issuer",
    "section_number",
]

#: Most uncovered firms the written report (Word, PDF) lists in its attachment. A city or a
#: province has tens of thousands: a printed list of them (hundreds of pages) helps no
#: reader, and the full list is in the Excel and CSV ledgers. Past the limit the
#: attachment keeps the firms with the most formal members (those closest to forming
#: their own organisation) and says so in the text.
ATTACHMENT_LIMIT = 2000


class Block:
    """A part of the written report."""


@dataclass
class Title(Block):
    text: str
    banner: str | None = None  # the synthetic-data warning, under the title


@dataclass
class Recipient(Block):
    text: str


@dataclass
class Heading(Block):
    text: str  # with its number, e.g. "一、总体情况"
    # GB/T 9704 heading levels: 1 "一、" (黑体), 2 "（一）" (楷体), 3 "1." and 4 "（1）"
    # (仿宋, level 3 bold). The layouts set each level in its own face.
    level: int = 1


@dataclass
class Para(Block):
    text: str


@dataclass
class Table(Block):
    caption: str
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    bold_last: bool = False  # a total row
    note: str | None = None
    small: bool = False  # a wide table: set a size smaller (五号 in Word)


@dataclass
class Figure(Block):
    caption: str
    chart: Chart


@dataclass
class Signature(Block):
    issuer: str
    date_text: str


@dataclass
class Attachment(Block):
    label: str  # "附件"
    title: str
    landscape: bool = False  # a wide list (nine columns) is set on landscape pages


def section_number(n: int, lang: str, level: int = 1) -> str:
    """The number of the ``n``-th heading of a level (GB/T 9704-2012: 一、（一）1.（1）).

    English: ``1.``, ``(a)``, ``(i)``, ``(A)``.

    >>> [section_number(2, "zh", level) for level in (1, 2, 3, 4)]
    ['二、', '（二）', '2.', '（2）']
    >>> [section_number(2, "en", level) for level in (1, 2, 3, 4)]
    ['2. ', '(b) ', '(ii) ', '(B) ']
    """
    if level not in (1, 2, 3, 4):
        raise ValueError(f"heading level {level}: 1-4")
    key = "doc_section_number" if level == 1 else f"doc_section_number_{level}"
    letter = _letters(n)
    return t(f"reports.{key}", lang, n=n, chinese=chinese_number(n), letter=letter,
             upper=letter.upper(), roman=_roman(n))


def _letters(n: int) -> str:
    """a … z, aa, ab …"""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _roman(n: int) -> str:
    """Small Roman numerals: i, ii, … (headings of level 3 in English)."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


def issuer(content: ReportContent) -> str:
    """The 落款: the store's ``issuer`` provenance key if set, else the default."""
    return content.provenance.get("issuer") or content.tr("doc_issuer")


def _attachments(c: ReportContent) -> list[str]:
    """The attachments of the report, in the order the text first mentions them."""
    keys = []
    if c.after_deadline and c.overdue_count:
        keys.append("overdue")
    if len(c.uncovered):
        keys.append("uncovered")
    if c.term_rows(("overdue", "due_soon")):
        keys.append("terms")
    return keys


def build(c: ReportContent, charts: ChartSet) -> list[Block]:
    """The blocks of the written report.

    The first part tells the reader's story (:func:`tracker.reports.content.write_summary`,
    key ``lead``): the verdict on the deadline, the lagging chains with their lead
    departments, the measures with their owners and due date, and the one definition of
    the coverage rate. After a plan's deadline (:attr:`ReportContent.after_deadline`) the
    plan's verdict, the flow since the deadline and the overdue queue follow; then the
    figures on the as-of date (in total, by chain, by street or park, the uncovered firms),
    visits and terms, rules, and the next steps by chain and by street or park.
    """
    blocks: list[Block] = []
    banner = t("common.synthetic_banner", c.lang) if c.synthetic else None
    blocks.append(Title(report_title(c), banner))
    blocks.append(Recipient(c.tr("doc_recipient")))
    blocks.append(Para(c.tr("doc_opening", scope=c.scope_text, date=data_date(c))))
    numbers = [0, 0, 0, 0]
    attachments = _attachments(c)

    def ref(key: str) -> str:
        """How the text names an attachment: 附件 when there is one, else 附件2 …"""
        if len(attachments) == 1:
            return c.tr("doc_attachment")
        return c.tr("doc_attachment_n", n=attachments.index(key) + 1)

    def heading(key: str, level: int = 1) -> None:
        numbers[level - 1] += 1
        numbers[level:] = [0] * (4 - level)
        blocks.append(Heading(section_number(numbers[level - 1], c.lang, level) + c.tr(key), level))

    table_no = 0
    figure_no = 0

    def caption(kind: str, key: str, **values) -> str:
        nonlocal table_no, figure_no
        if kind == "table":
            table_no += 1
            return c.tr("doc_table_caption", n=table_no, title=c.tr(key, **values))
        figure_no += 1
        return c.tr("doc_figure_caption", n=figure_no, title=key)

    # 一、总体判断和建议: the story on the first page.
    heading("doc_sec_lead")
    blocks += [Para(p) for p in c.summary["lead"]]
    if c.after_deadline:
        # 计划完成情况: the verdict, in the three words.
        heading("doc_sec_verdict")
        blocks += [Para(p) for p in c.summary["verdict"]]
        if c.ended.district.result_at_deadline != "no_data":
            blocks.append(_verdict_table(c, caption("table", "doc_table_verdict")))
        # 截止日以来覆盖变化: the flow.
        if c.flows:
            heading("doc_sec_flow")
            blocks += [Para(p) for p in c.summary["flow"]]
            if len(c.flows) == 1:
                blocks.append(_flow_table(c, c.flows[0], caption("table", "doc_table_flow")))
        # 逾期未覆盖企业: the officer's to-do list, counted; listed in an attachment.
        heading("doc_sec_overdue")
        blocks += [Para(p) for p in c.summary["overdue"]]
        if c.overdue_count:
            blocks.append(_overdue_count_table(c, c.overdue_by_chain, "col_chain_name",
                                               caption("table", "doc_table_overdue_chains"),
                                               c.tr("doc_overdue_chains_note")))
            blocks.append(_overdue_count_table(c, c.overdue_by_street, "col_street",
                                               caption("table", "doc_table_overdue_streets")))
            blocks.append(Para(c.tr("doc_overdue_see", ref=ref("overdue"))))
            if c.overdue_count > ATTACHMENT_LIMIT:
                blocks.append(Para(c.tr("doc_overdue_partial", shown=f"{ATTACHMENT_LIMIT:,}",
                                        n=f"{c.overdue_count:,}")))
    # 统计日覆盖情况: in total, by chain, by street or park, the uncovered firms.
    heading("doc_sec_overall_now" if c.after_deadline else "doc_sec_overall")
    heading("doc_sub_overall", 2)
    blocks += [Para(p) for p in c.summary["overall"]]
    heading("doc_sec_chains", 2)
    blocks += [Para(p) for p in c.summary["chains"]]
    blocks.append(_chain_table(c, caption("table", "doc_table_chains")))
    for chart in charts.charts:
        blocks.append(Figure(caption("figure", chart.title), chart))
    if charts.error:
        blocks.append(Para(c.tr("doc_charts_missing", reason=charts.error)))
    if c.areas:
        heading("doc_sub_areas", 2)
        blocks.append(_areas_table(c, caption("table", "doc_table_areas")))
    heading("doc_sec_uncovered", 2)
    blocks += [Para(p) for p in c.summary["uncovered"]]
    if len(c.uncovered):
        blocks.append(Para(c.tr("doc_see_attachment", ref=ref("uncovered"))))
    if len(c.uncovered) > ATTACHMENT_LIMIT:
        blocks.append(Para(c.tr("doc_attachment_partial", shown=f"{ATTACHMENT_LIMIT:,}",
                                n=f"{len(c.uncovered):,}")))
    # 联络员走访情况 (issue 14): the effective rate beside the coverage rate.
    heading("doc_sec_visits")
    blocks += [Para(p) for p in c.summary["visits"]]
    if c.total.counts.work_covered:
        blocks.append(_visits_table(c, caption("table", "doc_table_visits")))
    # 党组织换届情况
    heading("doc_sec_terms")
    blocks += [Para(p) for p in c.summary["terms"]]
    if "terms" in attachments:
        blocks.append(Para(c.tr("doc_terms_see", ref=ref("terms"))))
    # 规则检查
    heading("doc_sec_rules")
    blocks += [Para(p) for p in c.summary["findings"]]
    if c.findings:
        blocks.append(_findings_table(c, caption("table", "doc_table_rules")))
    # 下一步工作建议: by chain (lead departments), by street or park, in total.
    if c.summary["plan"] or c.plan_section:
        heading("doc_sec_plan")
        measures = c.measures_total is not None and c.measures_total.any
        if measures:
            heading("doc_sub_plan_chains", 2)
            blocks.append(Para(c.tr("sep_sentences").join(
                p for p in (c.tr("doc_plan_by_chain"), _due_text(c)) if p)))
            blocks.append(_measures_table(c, c.measures_by_chain, "chain",
                                          caption("table", "doc_table_plan_chains")))
            heading("doc_sub_plan_areas", 2)
            blocks.append(Para(c.tr("doc_plan_by_area")))
            blocks.append(_measures_table(c, c.measures_by_area, "area",
                                          caption("table", "doc_table_plan_areas")))
            heading("doc_sub_plan_total", 2)
        blocks += [Para(p) for p in c.summary["plan"]]
        if c.plan_section and c.plan_section.brief_rows:
            s = c.plan_section
            table_no += 1
            blocks.append(Table(c.tr("doc_table_caption", n=table_no, title=s.title),
                                s.brief_headers, [[_text(v) for v in r] for r in s.brief_rows],
                                [3.0, 1.0, 1.0, 1.2], numeric={1, 2, 3},
                                note=c.tr("doc_plan_detail")))
    # 数据说明
    heading("doc_sec_data")
    blocks += [Para(p) for p in _data_paragraphs(c)]
    titles = {"overdue": c.tr("doc_attachment_note_overdue", n=f"{c.overdue_count:,}"),
              "uncovered": c.tr("doc_attachment_note_uncovered", n=f"{len(c.uncovered):,}"),
              "terms": c.tr("doc_attachment_note_terms",
                            n=len(c.term_rows(("overdue", "due_soon"))))}
    if len(attachments) == 1:
        blocks.append(Para(c.tr("doc_attachment_note", title=titles[attachments[0]])))
    for i, key in enumerate(attachments if len(attachments) > 1 else (), start=1):
        blocks.append(Para(c.tr("doc_attachment_note_first" if i == 1 else "doc_attachment_note_next",
                                n=i, title=titles[key])))
    # The 落款 date is the day the report is generated (the data date is said in the text).
    blocks.append(Signature(issuer(c), issued_date(c)))
    for key in attachments:
        label = ref(key)
        if key == "overdue":
            title = c.tr("doc_attachment_title_overdue", scope=c.scope_text, date=_day(c),
                         days=c.overdue.days)
            table = _overdue_table(c)
        elif key == "uncovered":
            title = c.tr("doc_attachment_title", scope=c.scope_text, date=_day(c))
            table = _uncovered_table(c)
        else:
            title = c.tr("doc_attachment_title_terms", scope=c.scope_text, date=_day(c))
            table = _terms_table(c)
        blocks.append(Attachment(label, title, landscape=key in ("overdue", "terms")))
        blocks.append(table)
    return blocks


def _due_text(c: ReportContent) -> str:
    """Why the measures are due when they are (the plan's cover window)."""
    if c.action_due is None or c.overdue is None:
        return ""
    key = "doc_plan_due" if c.overdue.plan else "doc_plan_due_default"
    return c.tr(key, plan=c.overdue.plan or "", days=c.overdue.days, due=_date(c, c.action_due))


def _date(c: ReportContent, day) -> str:
    """A date in the report's text (GB/T 9704-2012: Arabic numerals, 2026年11月27日)."""
    return c.tr("doc_date", year=day.year, month=day.month, day=day.day,
                month_name=day.strftime("%B"))


def _day(c: ReportContent) -> str:
    """The report's data date (统计日) in its text."""
    return _date(c, c.as_of)


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _coverage_table(c: ReportContent, caption: str, first: str, groups,
                    note: str | None = None) -> Table:
    """Coverage per group (a chain, an area), then the total: the one layout of both tables."""
    keys = [first, "firms", "org_covered", "work_covered", "uncovered", "coverage_rate"]
    if c.plan:
        keys += ["gap"]
    rows = []
    for group in [*groups, c.total]:
        n = group.counts
        row = [group.name, f"{n.firms:,}", f"{n.org_covered:,}", f"{n.work_covered:,}",
               f"{n.uncovered:,}", percent(n.coverage_rate)]
        if c.plan:
            row.append(_text(group.gap))
        rows.append(row)
    widths = [2.4] + [1.0] * (len(keys) - 1)
    return Table(caption, [c.tr(f"col_{k}") for k in keys], rows, widths,
                 numeric=set(range(1, len(keys))), bold_last=True, note=note)


def _chain_table(c: ReportContent, caption: str) -> Table:
    return _coverage_table(c, caption, "chain_name", c.chains)


def _areas_table(c: ReportContent, caption: str) -> Table:
    """Coverage by area (park, else street), lowest rate first, then the total."""
    return _coverage_table(c, caption, "area", c.areas, note=c.tr("doc_areas_note"))


def _measures_table(c: ReportContent, tallies, by: str, caption: str) -> Table:
    """The planner's measures by chain (with the lead department) or by area (with its
    party committee), the rate and gap today, and the due date; the total row is the planner's."""
    figures = {ch.key: ch for ch in (c.chains if by == "chain" else c.areas)}
    first = "chain_name" if by == "chain" else "area"
    owner = "lead_department" if by == "chain" else "owner"
    keys = [first, owner, "coverage_rate", "gap", "m_branch", "m_joint", "m_join", "m_liaison",
            "due"]
    due = _date(c, c.action_due) if c.action_due else "—"
    rows = []
    for m in [*tallies, c.measures_total]:
        fig = c.total if m.key == "*" else figures.get(m.key)
        rows.append([m.name, "" if m.key == "*" else m.owner,
                     percent(fig.counts.coverage_rate) if fig else "—",
                     _text(fig.gap) if fig else "—",
                     f"{m.form_branch:,}", f"{m.joint:,}", f"{m.joined:,}", f"{m.liaison:,}", due])
    return Table(caption, [c.tr(f"col_{k}") for k in keys], rows,
                 [2.0, 1.8, 0.9, 0.8, 1.0, 1.0, 1.0, 1.0, 1.4], numeric={2, 3, 4, 5, 6, 7},
                 bold_last=True, small=True, note=c.tr("doc_plan_tables_note"))


def _findings_table(c: ReportContent, caption: str) -> Table:
    counts: dict[tuple, int] = {}
    for r in c.finding_rows():
        key = (r["rule"], r["title"], r["severity"])
        counts[key] = counts.get(key, 0) + 1
    rows = [[rule, title, severity, f"{n:,}"] for (rule, title, severity), n in sorted(counts.items())]
    headers = [c.tr("col_finding_rule"), c.tr("col_finding_title"), c.tr("col_finding_severity"),
               c.tr("col_finding_count")]
    return Table(caption, headers, rows, [0.8, 4.0, 1.0, 1.0], numeric={3},
                 note=c.tr("doc_rules_detail"))


def _verdict_table(c: ReportContent, caption: str) -> Table:
    """Per chain, lowest rate now first, then the total: the three words, never a bare 状态."""
    v = c.ended
    keys = ["chain_name", "rate_at_deadline", "result_at_deadline", "short_at_deadline",
            "rate_now", "standing", "short_now", "change", "trend"]
    rows = []
    for ch in [*v.chains, v.district]:
        name = c.total.name if ch.key == "*" else ch.name
        if ch.key != "*" and ch.result_at_deadline == "no_data" and not ch.now.firms:
            continue
        labels = ch.labels(c.lang)
        rows.append([name,
                     percent(ch.at_deadline.coverage_rate) if ch.at_deadline else "—",
                     labels["result_at_deadline"], _text(ch.short_at_deadline),
                     percent(ch.now.coverage_rate), labels["standing"],
                     _text(ch.short_now if ch.now.firms else None), change_points(ch.change),
                     labels["trend"]])
    return Table(caption, [c.tr(f"col_verdict_{k}") for k in keys], rows,
                 [2.0, 1.15, 1.0, 0.8, 1.15, 1.2, 0.8, 1.0, 0.8],
                 numeric={1, 3, 4, 6, 7}, bold_last=True, small=True,
                 note=c.tr("doc_verdict_note", since=_date(c, three_months_before(v.as_of))))


def _signed(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value:+,}".replace("-", "−") if value else "0"


def _flow_table(c: ReportContent, part, caption: str) -> Table:
    rows = []
    for key, firms, covered, uncovered in part.rows():
        plain = key in ("start", "end")
        fmt = (lambda n: "—" if n is None else f"{n:,}") if plain else _signed
        day = part.result.end_day if key == "end" else part.result.start_day
        rows.append([c.tr(f"flow_row_{key}", date=_date(c, day)), fmt(firms), fmt(covered),
                     fmt(uncovered)])
    headers = [c.tr(f"col_flow_{k}") for k in ("item", "firms", "covered", "uncovered")]
    return Table(caption, headers, rows, [3.4, 1.2, 1.2, 1.2], numeric={1, 2, 3}, bold_last=True)


def _overdue_count_table(c: ReportContent, counts, first: str, caption: str,
                         note: str | None = None) -> Table:
    rows = [[n.name, f"{n.firms:,}", f"{n.lost:,}", _text(n.longest)] for n in counts]
    rows.append([c.total.name, f"{c.overdue_count:,}",
                 f"{int((c.overdue_rows['cause_code'] == 'lost').sum()):,}",
                 _text(max((n.longest for n in counts if n.longest is not None), default=None))])
    headers = [c.tr(first)] + [c.tr(f"col_overdue_count_{k}") for k in ("firms", "lost", "longest")]
    return Table(caption, headers, rows, [3.0, 1.2, 1.2, 1.4], numeric={1, 2, 3}, bold_last=True,
                 note=note)


def _overdue_table(c: ReportContent) -> Table:
    keys = ["name", "credit_code", "chains", "street", "uncovered_since", "days", "cause", "action"]
    headers = [c.tr("col_no")] + [c.tr(f"col_overdue_{k}") for k in keys]
    frame = c.overdue_rows.head(ATTACHMENT_LIMIT)
    rows = []
    for i, r in enumerate(frame[keys].itertuples(index=False, name=None), start=1):
        rows.append([str(i), *[_text(v) if k == "days" else str(v) for k, v in zip(keys, r)]])
    return Table("", headers, rows, [0.75, 2.4, 2.7, 1.5, 1.1, 1.5, 0.9, 1.3, 2.8],
                 numeric={0, 6}, small=True)


def _visits_table(c: ReportContent, caption: str) -> Table:
    keys = ["chain_name", "work_covered", "work_visited", "work_unvisited", "coverage_rate",
            "effective_rate"]
    rows = []
    for ch in [*c.chains, c.total]:
        n = ch.counts
        rows.append([ch.name, f"{n.work_covered:,}", f"{n.work_visited:,}",
                     f"{n.work_covered - n.work_visited:,}", percent(n.coverage_rate),
                     percent(n.effective_rate)])
    headers = [c.tr(f"col_{k}") for k in keys]
    headers[2] = c.tr("col_work_visited_days", days=c.visit_window)
    return Table(caption, headers, rows, [3.0, 1.0, 1.2, 1.2, 1.1, 1.1], numeric={1, 2, 3, 4, 5},
                 bold_last=True, note=c.tr("doc_visits_note"))


def _terms_table(c: ReportContent) -> Table:
    keys = ["org_code", "name", "kind", "term_start", "term_years", "due", "status", "days_to_due"]
    headers = [c.tr("col_no")] + [c.tr(f"col_term_{k}") for k in keys]
    rows = []
    for i, r in enumerate(c.term_rows(("overdue", "due_soon")), start=1):
        rows.append([str(i), r.org_code, r.name, ORG_KIND.label(r.kind, c.lang),
                     r.term_start.isoformat() if r.term_start else "", str(r.term_years),
                     r.due.isoformat() if r.due else "", TERM_STATUS.label(r.status, c.lang),
                     _text(r.days_to_due)])
    return Table("", headers, rows, [0.8, 1.5, 3.0, 1.0, 1.4, 0.9, 1.4, 1.2, 1.1],
                 numeric={0, 5, 8}, small=True)


def attachment_firms(c: ReportContent):
    """The uncovered firms the attachment lists, in ledger order (see :data:`ATTACHMENT_LIMIT`).

    Past the limit: the firms with the most formal members, above-size firms first among
    equals, then by ledger order.
    """
    frame = c.uncovered
    if len(frame) <= ATTACHMENT_LIMIT:
        return frame
    ranked = frame.assign(_order=range(len(frame))).sort_values(
        ["formal_members", "above_size_flag", "_order"], ascending=[False, False, True],
        kind="stable")
    return frame.loc[sorted(ranked.index[:ATTACHMENT_LIMIT])]


def _uncovered_table(c: ReportContent) -> Table:
    keys = ["name", "credit_code", "chains", "park", "formal_members"]
    headers = [c.tr("col_no")] + [c.tr(f"col_{k}") for k in keys]
    rows = []
    for i, r in enumerate(attachment_firms(c)[keys].itertuples(index=False, name=None), start=1):
        name, code, chains, park, formal = r
        rows.append([str(i), name, code, chains, park, str(formal)])
    return Table("", headers, rows, [0.9, 3.2, 2.9, 2.2, 1.6, 1.0], numeric={0, 5}, small=True)


def _data_paragraphs(c: ReportContent) -> list[str]:
    info = c.provenance
    out = [c.tr("doc_dates", as_of=data_date(c), issued=issued_date(c)),
           c.tr("doc_data_basis", denominator=c.denominator_text),
           c.tr("doc_definitions_rest")]
    source = source_text(info, c.lang) or c.tr("unknown")
    out.append(c.tr("doc_data_source", source=source,
                    generated=c.generated_at.strftime("%Y-%m-%d %H:%M")))
    if c.after_deadline:
        out.append(c.tr("doc_data_overdue"))
    # The synthetic-data notice stands once, under the title.
    out += c.notes
    return out
