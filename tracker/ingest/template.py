"""The import workbook: its sheets, their columns, and the blank template.

The sheets and header rows are a contract with the staff who fill them in (see
``docs/import.md``): ``企业``, ``党组织``, ``覆盖关系``, ``联络员`` and the optional
``供应关系`` and ``走访记录``. Each column is declared once here with its Chinese header, an English alias
the importer also accepts, and the kind of value it holds; the reader, the validator and
the template writer all work from these declarations.

Examples
--------
>>> [c.header for c in SHEETS["覆盖关系"]]
['党组织代码', '统一社会信用代码', '开始日期', '结束日期']
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..uscc import make
from ..vocab import (
    FORMATION,
    LIAISON_ROLE,
    ORG_KIND,
    OWNERSHIP,
    SEGMENT,
    VISIT_MODE,
    YES_NO,
    Vocabulary,
)

__all__ = [
    "Column",
    "SHEETS",
    "SHEET_ALIASES",
    "OPTIONAL_SHEETS",
    "EXTRA_COLUMNS",
    "columns_of",
    "EXAMPLE_PREFIX",
    "EXAMPLES",
    "chain_choices",
    "write_template",
]

#: A row whose first cell begins with this is an example and is skipped by the importer.
EXAMPLE_PREFIX = "示例"


@dataclass(frozen=True)
class Column:
    """One column of an import sheet.

    ``kind`` is one of ``code`` (credit code), ``orgcode``, ``text``, ``chains``, ``enum``
    (with ``vocab``), ``date``, ``count`` (integer >= 0), ``years`` (a term in whole years,
    1 to 10).

    ``keep_when_absent``: a column added to a sheet after ledgers were already kept
    without it. When the file has no such column, the stored value is kept (a ledger
    written before the column existed imports unchanged); when the column is there, a
    blank cell means the default, as for every other column.
    """

    header: str
    key: str
    alias: str
    kind: str
    required: bool = False
    vocab: Vocabulary | None = None
    width: int = 14
    keep_when_absent: bool = False
    #: The key of another column that may stand in for this required one: a firm named by
    #: its 企业名称 instead of its credit code (see :data:`EXTRA_COLUMNS`).
    either: str | None = None


SHEETS: dict[str, list[Column]] = {
    "企业": [
        Column("统一社会信用代码", "credit_code", "credit_code", "code", True, width=22),
        Column("企业名称", "name", "name", "text", True, width=30),
        Column("产业链", "chains", "chains", "chains", width=20),
        Column("环节", "segment", "segment", "enum", vocab=SEGMENT),
        Column("链主企业", "chain_master", "chain_master", "enum", vocab=YES_NO),
        Column("企业类型", "ownership", "ownership", "enum", vocab=OWNERSHIP),
        Column("规上企业", "above_size", "above_size", "enum", vocab=YES_NO),
        Column("所在园区", "park", "park", "text"),
        Column("所在街道", "street", "street", "text"),
        Column("正式党员数", "formal_members", "formal_members", "count"),
        Column("预备党员数", "probationary_members", "probationary_members", "count"),
        Column("入链日期", "joined", "joined", "date"),
        Column("退出日期", "left", "left", "date"),
    ],
    "党组织": [
        Column("党组织代码", "code", "org_code", "orgcode", True, width=18),
        Column("党组织名称", "name", "name", "text", True, width=30),
        Column("类型", "kind", "kind", "enum", vocab=ORG_KIND),
        Column("组建方式", "formation", "formation", "enum", vocab=FORMATION),
        Column("上级党组织代码", "parent", "parent_code", "orgcode", width=18),
        Column("成立日期", "founded", "founded", "date"),
        Column("撤销日期", "dissolved", "dissolved", "date"),
        Column("党员数", "member_count", "member_count", "count"),
        Column("本届开始日期", "term_start", "term_start", "date", keep_when_absent=True),
        Column("任期（年）", "term_years", "term_years", "years", keep_when_absent=True),
    ],
    "覆盖关系": [
        Column("党组织代码", "org", "org_code", "orgcode", True, width=18),
        Column("统一社会信用代码", "firm", "credit_code", "code", True, width=22, either="firm_name"),
        Column("开始日期", "start", "start", "date"),
        Column("结束日期", "end", "end", "date"),
    ],
    "联络员": [
        Column("姓名", "name", "name", "text", True),
        Column("派出单位", "unit", "unit", "text", True, width=24),
        Column("类型", "role", "role", "enum", vocab=LIAISON_ROLE),
        Column("统一社会信用代码", "firm", "credit_code", "code", True, width=22, either="firm_name"),
        Column("开始日期", "start", "start", "date"),
        Column("结束日期", "end", "end", "date"),
    ],
    "供应关系": [
        Column("供方信用代码", "supplier", "supplier_code", "code", True, width=22),
        Column("需方信用代码", "buyer", "buyer_code", "code", True, width=22),
        Column("产业链", "chain", "chain", "chains", width=20),
    ],
    "走访记录": [
        Column("姓名", "name", "name", "text", True),
        Column("派出单位", "unit", "unit", "text", True, width=24),
        Column("统一社会信用代码", "firm", "credit_code", "code", True, width=22, either="firm_name"),
        Column("走访日期", "day", "visit_date", "date", True),
        Column("方式", "mode", "mode", "enum", vocab=VISIT_MODE),
        Column("备注", "note", "note", "text", width=30),
    ],
}

#: English sheet names accepted as well (CSV file names or sheet titles).
SHEET_ALIASES = {"firms": "企业", "orgs": "党组织", "coverage": "覆盖关系",
                 "liaisons": "联络员", "supply": "供应关系", "visits": "走访记录"}

OPTIONAL_SHEETS = {"供应关系", "走访记录"}

#: Columns a sheet accepts beyond the template's: a firm named by its name where the
#: template asks for its credit code (party ledgers list the units an organisation covers
#: by name). Not written into the template, whose sheets and headers are a contract.
_FIRM_NAME = Column("企业名称", "firm_name", "firm_name", "text", width=30)
EXTRA_COLUMNS: dict[str, list[Column]] = {
    "覆盖关系": [_FIRM_NAME], "联络员": [_FIRM_NAME], "走访记录": [_FIRM_NAME]}


def columns_of(sheet: str) -> list[Column]:
    """Every column ``sheet`` accepts: the template's, then :data:`EXTRA_COLUMNS`.

    >>> [c.header for c in columns_of("覆盖关系")][-1]
    '企业名称'
    """
    return SHEETS[sheet] + EXTRA_COLUMNS.get(sheet, [])

_EXAMPLE_FIRM = make("91440112MA5C1111X")
_EXAMPLE_BUYER = make("91440112MA5C2222X")

#: Example rows per sheet, valid if the prefix were removed and consistent across the
#: sheets. One per sheet, except 企业 which needs the supply example's buyer as well.
EXAMPLES: dict[str, list[list[object]]] = {
    "企业": [[_EXAMPLE_FIRM, "广州示例科技有限公司", "DISPLAY", "中游", "否", "民营", "是",
            "广州科学城", "萝岗街道", 5, 1, "2023-01-01", None],
           [_EXAMPLE_BUYER, "广州示例显示有限公司", "新型显示", "下游", "是", "外资", "是",
            "中新广州知识城", "九佛街道", 0, 0, "2022-12-15", None]],
    "党组织": [["HP-DISPLAY-01", "广州示例科技有限公司党支部", "党支部", "单独组建", None,
             "2023-06-01", None, 6, "2023-06-01", 3]],
    "覆盖关系": [["HP-DISPLAY-01", _EXAMPLE_FIRM, "2023-06-01", None]],
    "联络员": [["王明", "区工业和信息化局", "联络员", _EXAMPLE_BUYER, "2023-03-01", None]],
    "供应关系": [[_EXAMPLE_FIRM, _EXAMPLE_BUYER, "DISPLAY"]],
    "走访记录": [["王明", "区工业和信息化局", _EXAMPLE_BUYER, "2023-04-10", "走访", "了解企业党建需求"],
             ["王明", "区工业和信息化局", _EXAMPLE_BUYER, "2023-05-15", "座谈", ""]],
}


def chain_choices(engine=None) -> list[tuple[str, str]]:
    """(code, Chinese name) of the chains: from the store when given, else ``data/chains.csv``."""
    if engine is not None:
        import sqlalchemy as sa

        from ..model import Chain

        C = Chain.__table__
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.select(C.c.code, C.c.name_zh)
                                    .order_by(C.c.sort_order, C.c.code)).all()
            if rows:
                return [(r[0], r[1]) for r in rows]
        except Exception:  # noqa: BLE001 - a store that cannot be read: use the shipped list
            pass
    from ..chains import CHAINS_FILE

    with open(CHAINS_FILE, encoding="utf-8-sig", newline="") as f:
        return [(r["code"].strip().upper(), r["name_zh"].strip()) for r in csv.DictReader(f)
                if (r.get("code") or "").strip()]


_INSTRUCTIONS = [
    ("Redwood（红杉林）导入模板", ""),
    ("", ""),
    ("工作表", "说明"),
    ("企业", "每行一家企业，按统一社会信用代码新增或更新。“产业链”可填多条（代码或名称），"
             "用 ; ； 或 、 分隔，环节、链主、入链/退出日期对每条链相同。"),
    ("党组织", ("每行一个党组织，按党组织代码新增或更新。上级党组织可在本表或已导入的数据中。"
                "本届开始日期是本届委员会（或书记）选举产生的日期；任期（年）为空时，党支部、党总支按3年，"
                "党委按5年计算，填写时须为1至10的整数。")),
    ("覆盖关系", "党组织覆盖企业（组织覆盖）。开始日期为空时取党组织成立日期。"),
    ("联络员", "每行一次派驻（工作覆盖）；同名同单位视为同一人。类型：联络员或指导员。"),
    ("供应关系", "可选：供方、需方企业的上下游关系，产业链可空。"),
    ("走访记录", ("可选：联络员、指导员到企业的走访（同名同单位视为同一人）。方式：走访、座谈、指导、活动、线上，"
                  "空为走访。走访日期必须在此人派驻该企业的时段内（数据库中或本文件“联络员”表中的派驻）。"
                  "同一人、同一企业、同一天、同一方式只记一次。")),
    ("", ""),
    ("规则", ""),
    ("示例行", "首格以“示例”开头的行不导入，可删除。"),
    ("表头", ("表头可以在前15行中的任意一行（上方可有标题）；常见的其他写法也能识别，如“社会信用代码”"
              "“企业全称”“所属产业链”（同义词表见 data/header_synonyms.csv）。无法识别的列不导入，"
              "导入结果会列出。覆盖关系、联络员、走访记录可填“企业名称”代替统一社会信用代码。")),
    ("文件格式", "可导入 .xlsx、.xls、.ods、.xlsb、.xlsm 工作簿或每表一个 CSV 文件。"),
    ("日期", "Excel 日期，或 2024-03-01、2024/3/1、2024年3月1日。结束日期是不再成立的第一天。"),
    ("代码", "空格和全角字符会自动清除和转换；统一社会信用代码须通过第18位校验。"),
    ("是/否", "链主企业、规上企业填“是”或“否”，空为“否”。"),
    ("人数", "非负整数，空为0。系统不记录党员姓名，只记人数。"),
    ("公式", "含公式的单元格按其计算结果导入；没有计算结果的公式会被拒绝，请粘贴为数值。"),
    ("合并单元格", "合并的数据单元格视为左上角的值在整个合并区域重复。"),
    ("全部或全不", "默认只要有一行被拒绝就什么都不写入；--partial 只写入合格的行。"),
    ("重复导入", "同一文件再次导入不会产生任何变化；改动的值记为更新并写入操作日志。"),
]


def write_template(path: Path | str, engine=None) -> Path:
    """Write the blank import workbook to ``path`` and return the path.

    Parameters
    ----------
    path : where to write (``.xlsx``)
    engine : the store, to offer its chains in the 产业链 drop-down (else ``data/chains.csv``)
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    chains = chain_choices(engine)
    wb = Workbook()
    info = wb.active
    info.title = "说明"
    for row in _INSTRUCTIONS:
        info.append(list(row))
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 100

    # Hidden sheet with the drop-down lists: a list in a range has no 255-character limit.
    lists = wb.create_sheet("选项")
    lists.sheet_state = "hidden"
    choices = {
        "chains": [f"{code}" for code, _ in chains] + [name for _, name in chains],
        **{c.vocab.name: c.vocab.labels("zh") for cols in SHEETS.values() for c in cols
           if c.vocab is not None},
    }
    ranges: dict[str, str] = {}
    for col_index, (name, values) in enumerate(choices.items(), start=1):
        letter = lists.cell(row=1, column=col_index).column_letter
        lists.cell(row=1, column=col_index, value=name)
        for r, value in enumerate(values, start=2):
            lists.cell(row=r, column=col_index, value=value)
        ranges[name] = f"选项!${letter}$2:${letter}${len(values) + 1}"

    header_fill = PatternFill("solid", fgColor="C00000")
    examples = EXAMPLES
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([c.header for c in columns])
        for example in examples[sheet]:
            ws.append([f"{EXAMPLE_PREFIX}{example[0]}", *example[1:]])
        for i, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            ws.column_dimensions[cell.column_letter].width = column.width
            source = None
            if column.vocab is not None:
                source = ranges[column.vocab.name]
            elif column.kind == "chains":
                # Several chains may be typed (a;b), so the list only suggests.
                source = ranges["chains"]
            if source is not None:
                dv = DataValidation(type="list", formula1=f"={source}",
                                    allow_blank=True, showErrorMessage=column.kind != "chains")
                dv.error = f"请从下拉列表中选择{column.header}"
                dv.errorTitle = "无效的值"
                ws.add_data_validation(dv)
                dv.add(f"{cell.column_letter}2:{cell.column_letter}100000")
        ws.freeze_panes = "A2"
    wb.save(path)
    return path
