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

from ..i18n import t
from .charts import Chart, ChartSet
from .content import ReportContent, chinese_date, chinese_number, percent

__all__ = ["Block", "Title", "Recipient", "Heading", "Para", "Table", "Figure", "Signature",
           "Attachment", "build", "section_number", "issuer", "ATTACHMENT_LIMIT",
           "attachment_firms"]

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


def section_number(n: int, lang: str) -> str:
    """``一、`` … in Chinese, ``1.`` in English."""
    return f"{chinese_number(n)}、" if lang == "zh" else f"{n}. "


def issuer(content: ReportContent) -> str:
    """The 落款: the store's ``issuer`` provenance key if set, else the default."""
    return content.provenance.get("issuer") or content.tr("doc_issuer")


def build(c: ReportContent, charts: ChartSet) -> list[Block]:
    """The blocks of the written report."""
    blocks: list[Block] = []
    banner = t("common.synthetic_banner", c.lang) if c.synthetic else None
    blocks.append(Title(c.tr("doc_title", scope=c.scope_text), banner))
    blocks.append(Recipient(c.tr("doc_recipient")))
    blocks.append(Para(c.tr("doc_opening", date=_day(c))))
    number = 0

    def heading(key: str) -> None:
        nonlocal number
        number += 1
        blocks.append(Heading(section_number(number, c.lang) + c.tr(key)))

    table_no = 0
    figure_no = 0

    def caption(kind: str, key: str) -> str:
        nonlocal table_no, figure_no
        if kind == "table":
            table_no += 1
            return c.tr("doc_table_caption", n=table_no, title=c.tr(key))
        figure_no += 1
        return c.tr("doc_figure_caption", n=figure_no, title=key)

    # 一、总体情况
    heading("doc_sec_overall")
    blocks += [Para(p) for p in c.summary["overall"]]
    # 二、各产业链覆盖情况
    heading("doc_sec_chains")
    blocks += [Para(p) for p in c.summary["chains"]]
    blocks.append(_chain_table(c, caption("table", "doc_table_chains")))
    for chart in charts.charts:
        blocks.append(Figure(caption("figure", chart.title), chart))
    if charts.error:
        blocks.append(Para(c.tr("doc_charts_missing", reason=charts.error)))
    # 三、未覆盖企业
    heading("doc_sec_uncovered")
    blocks += [Para(p) for p in c.summary["uncovered"]]
    if len(c.uncovered):
        blocks.append(Para(c.tr("doc_see_attachment")))
    if len(c.uncovered) > ATTACHMENT_LIMIT:
        blocks.append(Para(c.tr("doc_attachment_partial", shown=f"{ATTACHMENT_LIMIT:,}",
                                n=f"{len(c.uncovered):,}")))
    # 四、规则检查
    heading("doc_sec_rules")
    blocks += [Para(p) for p in c.summary["findings"]]
    if c.findings:
        blocks.append(_findings_table(c, caption("table", "doc_table_rules")))
    # 五、下一步工作建议
    if c.summary["plan"] or c.plan_section:
        heading("doc_sec_plan")
        blocks += [Para(p) for p in c.summary["plan"]]
        if c.plan_section and c.plan_section.brief_rows:
            s = c.plan_section
            blocks.append(Table(c.tr("doc_table_caption", n=table_no + 1, title=s.title),
                                s.brief_headers, [[_text(v) for v in r] for r in s.brief_rows],
                                [3.0, 1.0, 1.0, 1.2], numeric={1, 2, 3},
                                note=c.tr("doc_plan_detail")))
            table_no += 1
    # 六、数据说明
    heading("doc_sec_data")
    blocks += [Para(p) for p in _data_paragraphs(c)]
    if len(c.uncovered):
        blocks.append(Para(c.tr("doc_attachment_note", n=len(c.uncovered))))
    blocks.append(Signature(issuer(c), _day(c, official=True)))
    if len(c.uncovered):
        blocks.append(Attachment(c.tr("doc_attachment"), c.tr("doc_attachment_title", scope=c.scope_text,
                                                               date=_day(c))))
        blocks.append(_uncovered_table(c))
    return blocks


def _day(c: ReportContent, official: bool = False) -> str:
    if c.lang != "zh":
        return c.as_of.strftime("%d %B %Y").lstrip("0")
    if official:
        return chinese_date(c.generated_at.date())
    return f"{c.as_of.year}年{c.as_of.month}月{c.as_of.day}日"


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _chain_table(c: ReportContent, caption: str) -> Table:
    keys = ["chain_name", "firms", "org_covered", "work_covered", "uncovered", "coverage_rate"]
    if c.plan:
        keys += ["gap"]
    rows = []
    for ch in [*c.chains, c.total]:
        n = ch.counts
        row = [ch.name, f"{n.firms:,}", f"{n.org_covered:,}", f"{n.work_covered:,}",
               f"{n.uncovered:,}", percent(n.coverage_rate)]
        if c.plan:
            row.append(_text(ch.gap))
        rows.append(row)
    widths = [3.2] + [1.0] * (len(keys) - 1)
    return Table(caption, [c.tr(f"col_{k}") for k in keys], rows, widths,
                 numeric=set(range(1, len(keys))), bold_last=True)


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
    return Table("", headers, rows, [0.6, 3.4, 2.4, 2.2, 1.6, 0.9], numeric={0, 5})


def _data_paragraphs(c: ReportContent) -> list[str]:
    info = c.provenance
    out = [c.tr("doc_data_basis", date=_day(c), denominator=c.denominator_text),
           c.tr("note_definitions_text")]
    source = info.get("source") or c.tr("unknown")
    out.append(c.tr("doc_data_source", source=source,
                    generated=c.generated_at.strftime("%Y-%m-%d %H:%M")))
    if c.synthetic:
        out.append(t("common.synthetic_banner", c.lang))
    out += c.notes
    return out
