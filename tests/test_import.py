"""The import: template, readers, every rejection reason, all-or-nothing, idempotence."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tests.builders import checksum
from tracker import uscc
from tracker.audit import entries
from tracker.cli import run
from tracker.coverage import coverage
from tracker.ingest import DemoStoreError, ReadError, import_path, write_rejects
from tracker.ingest.template import EXAMPLE_PREFIX, SHEETS, write_template
from tracker.model import Firm, PartyOrg
from tracker.provenance import get_info, set_info

HEADERS = {name: [c.header for c in cols] for name, cols in SHEETS.items()}


def code(n: int) -> str:
    return uscc.make(f"91440112{n:09d}")


A, B, C, D = code(1), code(2), code(3), code(4)


def workbook(path: Path, **sheets) -> Path:
    """Write ``sheets`` (name → list of rows, headers added) to an .xlsx file."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(HEADERS[name])
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def firm_row(credit, name="企业", chains="BIO", joined="2022-01-01", left=None, formal=3,
             prob=0, segment="上游", master="否", ownership="民营", above="否"):
    return [credit, name, chains, segment, master, ownership, above, "科学城", "萝岗街道",
            formal, prob, joined, left]


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model.__table__)).scalar()


# --------------------------------------------------------------------------- template


def test_template_sheets_headers_dropdowns_and_examples(sqlite_engine, tmp_path):
    path = write_template(tmp_path / "t.xlsx", sqlite_engine)
    wb = load_workbook(path)
    assert "说明" in wb.sheetnames
    for name, headers in HEADERS.items():
        ws = wb[name]
        assert [c.value for c in ws[1]] == headers
        examples = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]
        assert examples and all(str(r[0]).startswith(EXAMPLE_PREFIX) for r in examples)
    assert HEADERS["企业"] == ["统一社会信用代码", "企业名称", "产业链", "环节", "链主企业", "企业类型",
                             "规上企业", "所在园区", "所在街道", "正式党员数", "预备党员数", "入链日期", "退出日期"]
    assert HEADERS["联络员"] == ["姓名", "派出单位", "类型", "统一社会信用代码", "开始日期", "结束日期"]
    # Drop-downs for the enumerations and the chains (the chain list comes from the store).
    validations = wb["企业"].data_validations.dataValidation
    covered = {str(dv.sqref).split(":")[0] for dv in validations}
    assert {"C2", "D2", "E2", "F2", "G2"} <= covered
    options = wb["选项"]
    assert "BIO" in [c.value for c in options["A"]]
    # The template itself imports cleanly: the example rows are skipped.
    report = import_path(sqlite_engine, path)
    assert report.exit_code == 0 and report.total_rows == 0 and count(sqlite_engine, Firm) == 0


def test_template_examples_are_valid_without_prefix(sqlite_engine, tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    for name in HEADERS:
        for row in wb[name].iter_rows(min_row=2):
            if row[0].value and str(row[0].value).startswith(EXAMPLE_PREFIX):
                row[0].value = row[0].value[len(EXAMPLE_PREFIX):]
    wb.save(tmp_path / "real.xlsx")
    report = import_path(sqlite_engine, tmp_path / "real.xlsx")
    assert report.rejections == []
    assert all(c.added == c.rows and c.rows >= 1 for c in report.counts.values())


# --------------------------------------------------------------------------- coverage


def test_known_coverage_before_and_after_import(engine, world, tmp_path):
    world.firm("X", chains=["BIO"], joined="2020-01-01")
    before = coverage(engine, date(2024, 1, 1)).total
    assert (before.firms, before.org_covered, before.work_covered) == (1, 0, 0)
    path = workbook(
        tmp_path / "w.xlsx",
        企业=[firm_row(A, "甲", "BIO；新型显示", joined="2023-01-01"),
            firm_row(B, "乙", "生物技术", joined=datetime(2023, 1, 1)),
            firm_row(C, "丙", "BIO", joined="2023/1/1", left="2024年6月1日")],
        # The child comes before its parent; the link before the organisation's row.
        覆盖关系=[["O-1", A, None, None], [" o-2 ", world.code("X"), "2023-07-01", None]],
        党组织=[["O-2", "乙党支部", "党支部", "联合组建", "O-1", "2023-05-01", None, 4],
             ["O-1", "甲党委", "党委", "单独组建", None, "2023-06-01", None, 60]],
        联络员=[["张三", "区工信局", "联络员", B, "2023-03-01", "2024-03-01"]],
    )
    report = import_path(engine, path)
    assert report.rejections == [] and report.exit_code == 0
    mid = coverage(engine, date(2024, 1, 1)).total
    assert (mid.firms, mid.org_covered, mid.work_covered, mid.single_unit) == (4, 2, 1, 1)
    late = coverage(engine, date(2024, 6, 1)).total  # C has left, B's liaison ended
    assert (late.firms, late.org_covered, late.work_covered) == (3, 2, 0)
    early = coverage(engine, date(2023, 5, 31)).total  # before O-1 was founded
    assert (early.firms, early.org_covered, early.work_covered) == (4, 0, 1)
    by_chain = coverage(engine, date(2024, 1, 1), by="chain")
    assert by_chain.group("DISPLAY").counts.firms == 1
    with engine.connect() as conn:
        start = conn.execute(sa.text("select start from coverage_link l join party_org o "
                                     "on o.id = l.org_id where o.code = 'O-1'")).scalar()
        parent = conn.execute(sa.text("select p.code from party_org o join party_org p "
                                      "on p.id = o.parent_id where o.code = 'O-2'")).scalar()
    assert str(start)[:10] == "2023-06-01"  # empty start = the organisation's founded date
    assert parent == "O-1"
    assert get_info(engine)["synthetic"] == "false"
    assert get_info(engine)["last_import_file"] == "w.xlsx"


def test_reimport_is_idempotent_and_changes_are_audited(engine, tmp_path):
    rows = dict(企业=[firm_row(A, "甲"), firm_row(B, "乙")],
                党组织=[["O-1", "甲支部", "党支部", "单独组建", None, "2023-06-01", None, 5]],
                覆盖关系=[["O-1", A, "2023-06-01", None]],
                联络员=[["张三", "区工信局", "联络员", B, "2023-03-01", None]],
                供应关系=[[A, B, "BIO"]])
    path = workbook(tmp_path / "w.xlsx", **rows)
    first = import_path(engine, path, user="王")
    assert first.exit_code == 0
    assert first.audit_entries == len(entries(engine)) > 0
    state = checksum(engine)
    second = import_path(engine, path)
    assert second.exit_code == 0 and not second.written and second.audit_entries == 0
    assert all(c.unchanged == c.rows for c in second.counts.values())
    assert checksum(engine) == state
    # A changed value is an update with before/after, not a duplicate.
    rows["企业"][0] = firm_row(A, "甲（更名）", formal=9)
    rows["覆盖关系"][0] = ["O-1", A, "2023-06-01", "2024-06-01"]
    third = import_path(engine, workbook(tmp_path / "w2.xlsx", **rows), user="李")
    assert third.counts["企业"].updated == 1 and third.counts["企业"].unchanged == 1
    assert third.counts["覆盖关系"].updated == 1
    assert count(engine, Firm) == 2
    log = entries(engine, entity="firm", key=A)
    assert log[-1]["before"] == {"formal_members": 3, "name": "甲"}
    assert log[-1]["after"] == {"formal_members": 9, "name": "甲（更名）"}
    assert log[-1]["user"] == "李" and log[-1]["kind"] == "import"
    assert log[-1]["source"] == "w2.xlsx#企业!2"
    with engine.connect() as conn:
        assert conn.execute(sa.select(Firm.version).where(Firm.credit_code == A)).scalar() == 2
    assert coverage(engine, date(2024, 6, 1)).total.org_covered == 0


# --------------------------------------------------------------------------- rejections

BAD = uscc.make("91440112000000009")[:17] + ("0" if uscc.make("91440112000000009")[-1] != "0" else "1")

REJECTIONS = [
    # (sheets, sheet, row, column, reason pattern)
    (dict(企业=[firm_row(BAD)]), "企业", 2, "统一社会信用代码", "校验位错误"),
    (dict(企业=[firm_row(A, chains="BIO;不存在链")]), "企业", 2, "产业链", "未知的产业链：不存在链"),
    (dict(企业=[firm_row(A, formal=-1)]), "企业", 2, "正式党员数", "不能为负数"),
    (dict(企业=[firm_row(A, prob="三")]), "企业", 2, "预备党员数", "整数"),
    (dict(企业=[firm_row(A, joined="2024-03-01", left="2024-01-01")]), "企业", 2, "退出日期", "不晚于"),
    (dict(企业=[firm_row(A, joined="2024-02-30")]), "企业", 2, "入链日期", "日期不存在"),
    (dict(企业=[firm_row(A, joined="去年")]), "企业", 2, "入链日期", "无法识别的日期"),
    (dict(企业=[firm_row(A, segment="最上游")]), "企业", 2, "环节", "不是有效的环节"),
    (dict(企业=[firm_row(A, master="也许")]), "企业", 2, "链主企业", "不是有效的是否"),
    (dict(企业=[firm_row(A, name=None)]), "企业", 2, "企业名称", "必填"),
    (dict(企业=[firm_row(A, name="=A1&B1")]), "企业", 2, "企业名称", "单元格含公式"),
    (dict(企业=[firm_row(A, name="长" * 201)]), "企业", 2, "企业名称", "长度超过"),
    (dict(企业=[firm_row(A), firm_row(B), firm_row(A)]), "企业", 4, "统一社会信用代码", "文件内重复"),
    (dict(党组织=[["O-1", "支部", "党支部", "单独组建", "O-9", "2023-01-01", None, 3]]),
     "党组织", 2, "上级党组织代码", "上级党组织 O-9 不存在"),
    (dict(党组织=[["O-1", "一", "党支部", "单独组建", "O-2", None, None, 3],
                ["O-2", "二", "党支部", "单独组建", "O-1", None, None, 3]]),
     "党组织", 3, "上级党组织代码", "形成循环"),
    (dict(党组织=[["O-1", "一", "党支部", "单独组建", "O-1", None, None, 3]]),
     "党组织", 2, "上级党组织代码", "形成循环：O-1 → O-1"),
    (dict(党组织=[["O-1", "一", "党支部", "单独组建", None, "2024-01-01", "2023-01-01", 3]]),
     "党组织", 2, "撤销日期", "不晚于"),
    (dict(党组织=[["O-1", "一", "小组", "单独组建", None, None, None, 3]]), "党组织", 2, "类型", "不是有效的党组织类型"),
    (dict(党组织=[["O-1", "一", "党支部", "单独组建", None, None, None, -5]]), "党组织", 2, "党员数", "不能为负数"),
    (dict(企业=[firm_row(A)], 党组织=[["O-1", "一", "党支部", "单独组建", None, "2023-01-01", None, 3]],
          覆盖关系=[["O-1", B, None, None]]), "覆盖关系", 2, "统一社会信用代码", "企业不存在"),
    (dict(企业=[firm_row(A)], 覆盖关系=[["O-7", A, None, None]]), "覆盖关系", 2, "党组织代码", "党组织不存在"),
    (dict(企业=[firm_row(A)], 党组织=[["O-1", "一", "党支部", "单独组建", None, "2023-01-01", None, 3]],
          覆盖关系=[["O-1", A, "2023-01-01", None], ["O-1", A, "2023-01-01", None]]),
     "覆盖关系", 3, "统一社会信用代码", "文件内重复"),
    (dict(企业=[firm_row(A)], 联络员=[["张三", "区工信局", "联络员", A, "2024-01-01", "2023-01-01"]]),
     "联络员", 2, "结束日期", "不晚于"),
    (dict(企业=[firm_row(A)], 联络员=[["张三", "区工信局", "指挥员", A, None, None]]),
     "联络员", 2, "类型", "不是有效的联络员类型"),
    (dict(企业=[firm_row(A)], 联络员=[["张三", "区工信局", "联络员", D, None, None]]),
     "联络员", 2, "统一社会信用代码", "企业不存在"),
    (dict(企业=[firm_row(A)], 供应关系=[[A, A, None]]), "供应关系", 2, "需方信用代码", "同一家企业"),
    (dict(企业=[firm_row(A)], 供应关系=[[A, D, None]]), "供应关系", 2, "需方信用代码", "企业不存在"),
]


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One store for the rejection cases: none of them may write anything."""
    from tracker.chains import init_store
    from tracker.store import get_engine

    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('rejections') / 'r.db'}")
    init_store(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("sheets,sheet,row,column,reason", REJECTIONS,
                         ids=[f"{r[1]}-{r[4][:8]}" for r in REJECTIONS])
def test_every_rejection_reason(shared_store, tmp_path, sheets, sheet, row, column, reason):
    before = checksum(shared_store)
    report = import_path(shared_store, workbook(tmp_path / "bad.xlsx", **sheets))
    assert report.exit_code == 1 and not report.written
    hits = [r for r in report.rejections if (r.sheet, r.row, r.column) == (sheet, row, column)]
    assert hits, report.rejections
    assert any(re.search(reason, r.reason) for r in hits), hits
    assert checksum(shared_store) == before  # all or nothing


def test_cycle_through_organisations_in_the_store(sqlite_engine, tmp_path):
    workbook(tmp_path / "a.xlsx", 党组织=[["P-1", "一", "党委", "单独组建", None, None, None, 3],
                                        ["P-2", "二", "党支部", "单独组建", "P-1", None, None, 3]])
    assert import_path(sqlite_engine, tmp_path / "a.xlsx").exit_code == 0
    # Re-parenting P-1 under P-2 (which is in the store, under P-1) closes a cycle.
    report = import_path(sqlite_engine, workbook(
        tmp_path / "b.xlsx", 党组织=[["P-1", "一", "党委", "单独组建", "P-2", None, None, 3]]))
    assert report.exit_code == 1
    assert "P-1 → P-2 → P-1" in report.rejections[0].reason


def test_partial_writes_valid_rows_and_rejects_dependants(engine, tmp_path):
    path = workbook(
        tmp_path / "w.xlsx",
        企业=[firm_row(A), firm_row(BAD), firm_row(C, formal=-2)],
        覆盖关系=[["O-1", A, None, None], ["O-1", C, None, None]],
        党组织=[["O-1", "一", "党支部", "单独组建", None, "2023-01-01", None, 3]],
    )
    all_or_nothing = import_path(engine, path)
    assert all_or_nothing.exit_code == 1 and count(engine, Firm) == 0
    report = import_path(engine, path, partial=True)
    assert report.exit_code == 1
    assert count(engine, Firm) == 1 and count(engine, PartyOrg) == 1
    dependant = [r for r in report.rejections if r.sheet == "覆盖关系"]
    assert [(r.row, r.column) for r in dependant] == [(3, "统一社会信用代码")]
    assert "依赖的行被拒绝" in dependant[0].reason and "第4行" in dependant[0].reason
    assert report.counts["企业"].rejected == 2 and report.counts["企业"].added == 1
    assert coverage(engine, date(2024, 1, 1)).total.org_covered == 1


def test_dry_run_reports_and_writes_nothing(sqlite_engine, tmp_path):
    path = workbook(tmp_path / "w.xlsx", 企业=[firm_row(A), firm_row(B)])
    before = checksum(sqlite_engine)
    report = import_path(sqlite_engine, path, dry_run=True)
    assert report.counts["企业"].added == 2 and not report.written
    assert checksum(sqlite_engine) == before
    import_path(sqlite_engine, path)
    report = import_path(sqlite_engine, workbook(tmp_path / "w2.xlsx", 企业=[firm_row(A, "新名"), firm_row(B)]),
                         dry_run=True)
    assert (report.counts["企业"].updated, report.counts["企业"].unchanged) == (1, 1)


def test_rejects_file_can_be_fixed_and_reimported(sqlite_engine, tmp_path):
    path = workbook(tmp_path / "w.xlsx", 企业=[firm_row(A), firm_row(B, formal=-1), firm_row(C)])
    report = import_path(sqlite_engine, path, partial=True)
    for suffix in ("xlsx", "csv"):
        out = write_rejects(report, tmp_path / f"企业.{suffix}")
        if suffix == "xlsx":
            ws = load_workbook(out)["企业"]
            rows = list(ws.iter_rows(values_only=True))
        else:
            rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert list(rows[0]) == HEADERS["企业"] + ["错误列", "错误原因"]
        assert len(rows) == 2 and rows[1][0] == B
        assert rows[1][-2] == "正式党员数" and "负数" in rows[1][-1]
    # Fix the rejected row in the rejects workbook and import it: it goes in.
    wb = load_workbook(tmp_path / "企业.xlsx")
    wb["企业"]["J2"] = 2
    wb.save(tmp_path / "fixed.xlsx")
    again = import_path(sqlite_engine, tmp_path / "fixed.xlsx")
    assert again.exit_code == 0 and count(sqlite_engine, Firm) == 3


# --------------------------------------------------------------------------- readers


def test_gb18030_utf8_bom_csv_and_folder(engine, tmp_path):
    folder = tmp_path / "ledgers"
    folder.mkdir()
    lines = [",".join(HEADERS["企业"]),
             ",".join(map(str, [A, "黄埔甲公司", "生物技术、新型显示", "下游", "是", "国有", "是", "知识城",
                                "九佛街道", 12, 2, "2023/3/1", ""]))]
    (folder / "企业.csv").write_bytes("\r\n".join(lines).encode("gb18030"))
    org_lines = [",".join(HEADERS["党组织"]), "Ｏ－１,甲党委,党委,单独组建,,2023年4月1日,,55"]
    (folder / "党组织.csv").write_bytes(("\ufeff" + "\n".join(org_lines)).encode("utf-8"))
    link_lines = [",".join(HEADERS["覆盖关系"]), f"O-1, {A[:9]} {A[9:].lower()} ,,"]
    (folder / "覆盖关系.csv").write_text("\n".join(link_lines), encoding="utf-8")
    report = import_path(engine, folder)
    assert report.rejections == []
    result = coverage(engine, date(2024, 1, 1), by="chain")
    assert result.total.org_covered == 1 and result.group("DISPLAY").counts.firms == 1
    with engine.connect() as conn:
        name = conn.execute(sa.select(Firm.name).where(Firm.credit_code == A)).scalar()
        org = conn.execute(sa.select(PartyOrg.code)).scalar()
    assert name == "黄埔甲公司" and org == "O-1"
    # A single CSV file named like its sheet works too.
    again = import_path(engine, folder / "企业.csv")
    assert again.counts["企业"].unchanged == 1


def test_merged_cells_title_rows_blank_rows_and_aliases(sqlite_engine, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "firms"  # English sheet name
    ws.append(["黄埔区产业链企业台账（2024年）"])
    ws.merge_cells("A1:M1")
    ws.append(["credit_code", "name", "chains", "环节", "链主企业", "企业类型", "规上企业",
               "所在园区", "所在街道", "正式党员数", "预备党员数", "入链日期", "退出日期"])
    for credit in (A, B, C):
        ws.append([credit, None, None, "中游", "否", "民营", "否", None, "萝岗街道", 1, 0, None, None])
    ws["B3"] = "同一集团"
    ws.merge_cells("B3:B5")  # the name applies to the three rows
    ws["C3"] = "BIO"
    ws.merge_cells("C3:C5")
    for _ in range(30):
        ws.append([None, "  ", None])
    wb.save(tmp_path / "m.xlsx")
    report = import_path(sqlite_engine, tmp_path / "m.xlsx")
    assert report.rejections == [] and report.counts["企业"].added == 3
    assert coverage(sqlite_engine, date(2024, 1, 1)).total.firms == 3


def test_formula_cells_cached_values_used_or_refused(sqlite_engine, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(HEADERS["企业"])
    ws.append(firm_row(A, formal="=1+2"))
    ws.append(firm_row(B, formal="=2+2"))
    wb.save(tmp_path / "f.xlsx")
    # Give the first formula a cached value, as Excel would have saved it.
    with zipfile.ZipFile(tmp_path / "f.xlsx") as src, zipfile.ZipFile(tmp_path / "g.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<f>1\+2</f><v\s*/?>(</v>)?", b"<f>1+2</f><v>3</v>", data)
            dst.writestr(item, data)
    report = import_path(sqlite_engine, tmp_path / "g.xlsx", partial=True)
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (3, "正式党员数", "单元格含公式，请粘贴为数值")]
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.select(Firm.formal_members)).scalar() == 3


def test_unreadable_files_raise_read_error(sqlite_engine, tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "其他.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "企业.csv").write_text("名字,代码\n1,2\n", encoding="utf-8")
    for name, reason in [("x.xlsx", "无法读取"), ("old.xls", "另存为 .xlsx"), ("其他.csv", "文件名"),
                         ("企业.csv", "找不到表头"), ("missing.xlsx", "找不到文件")]:
        with pytest.raises(ReadError, match=reason):
            import_path(sqlite_engine, tmp_path / name)


# --------------------------------------------------------------------------- CLI and demo


def test_cli_exit_codes_and_rejects_option(sqlite_url, sqlite_engine, tmp_path, capsys):
    good = workbook(tmp_path / "good.xlsx", 企业=[firm_row(A)])
    bad = workbook(tmp_path / "bad.xlsx", 企业=[firm_row(B, formal=-1)])
    (tmp_path / "junk.xlsx").write_bytes(b"\x00\x01junk")
    assert run(["--db", sqlite_url, "import", str(good)]) == 0
    assert run(["--db", sqlite_url, "import", str(bad), "--rejects", str(tmp_path / "r.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "企业 第2行 [正式党员数]" in err and "不能为负数" in err
    assert (tmp_path / "r.xlsx").exists()
    assert run(["--db", sqlite_url, "import", str(tmp_path / "junk.xlsx")]) == 2
    assert run(["--db", sqlite_url, "import", str(good), "--dry-run"]) == 0
    assert run(["--db", sqlite_url, "template", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert load_workbook(tmp_path / "t.xlsx")["党组织"]["A1"].value == "党组织代码"
    assert run(["--db", sqlite_url, "log", "--json"]) == 0
    assert A in capsys.readouterr().out


def test_demo_store_is_not_mixed_with_real_data(engine, world, tmp_path):
    world.firm("DEMO1")
    from sqlmodel import Session

    from tracker.plans import add_plan, list_plans

    with Session(engine) as session:
        set_info(session, synthetic="true", demo_seed="1")
        session.commit()
    add_plan(engine, "示例计划", date(2026, 1, 1), date(2030, 12, 31), is_example=True)
    path = workbook(tmp_path / "w.xlsx", 企业=[firm_row(A)])
    with pytest.raises(DemoStoreError) as caught:
        import_path(engine, path)
    assert caught.value.exit_code == 3
    assert import_path(engine, path, dry_run=True).notes
    report = import_path(engine, path, replace_demo=True)
    assert report.replaced_demo and report.exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(Firm.credit_code)).scalars().all() == [A]
    assert get_info(engine)["synthetic"] == "false"
    # The demo's illustrative plan goes with it; the shipped plan stays.
    assert [p.name for p in list_plans(engine)] == ["红杉林计划"]


def _sheet_xml(path: Path, xml: bytes, out: Path) -> Path:
    """A copy of the workbook ``path`` whose first sheet's XML is ``xml``."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = xml
            dst.writestr(item, data)
    return out


def test_workbook_values_as_the_validator_takes_them(tmp_path):
    """Texts, booleans, integral numbers as int, other numbers as float, dates (and Excel
    date serials in date-formatted cells) as datetimes, dates typed as text as text, a
    formula without a cached value as its text, blank rows skipped with their numbers."""
    from tracker.ingest.readers import read_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(HEADERS["企业"])
    ws.append([A, "甲 rich", "BIO", "上游", True, "民营", False, None, "街道", 3.0, 2,
               datetime(2024, 3, 1), date(2025, 1, 31)])
    ws.append([B, 12345, None, None, None, None, None, "园区", None, 1.5, -2, 45352, "2024/3/1"])
    ws["J3"].number_format = "0.00"
    ws["L3"].number_format = "yyyy-mm-dd"  # an Excel date typed as a serial with a date style
    ws.append([C, "=B2", "x"])  # formula without a cached value
    ws.append([None] * 13)
    wb.save(tmp_path / "v.xlsx")
    sheet = read_workbook(tmp_path / "v.xlsx")["企业"]
    assert [r.values for r in sheet.rows] == [
        [A, "甲 rich", "BIO", "上游", True, "民营", False, None, "街道", 3, 2,
         datetime(2024, 3, 1), datetime(2025, 1, 31)],
        [B, 12345, None, None, None, None, None, "园区", None, 1.5, -2, datetime(2024, 3, 1),
         "2024/3/1"],
        [C, "=B2", "x"] + [None] * 10]
    assert [r.number for r in sheet.rows] == [2, 3, 4]
    values = sheet.rows[0].values
    assert type(values[9]) is int and type(values[11]) is datetime and type(values[12]) is datetime
    assert type(sheet.rows[1].values[9]) is float


def test_cell_kinds_and_positions(tmp_path):
    """Escaped text, numbers, booleans, a date, a formula, an empty cell, spaces kept,
    an empty row, and cells that start further right than column A."""
    from tracker.ingest.readers import read_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(HEADERS["企业"])
    ws.append(["a & <b>", 1, 2.5, True, datetime(2024, 3, 1), "=A1", None, "  空格 "])
    ws.append([])
    ws.append([None, None, "后面"])
    ws["D5"] = "x"
    wb.save(tmp_path / "p.xlsx")
    rows = read_workbook(tmp_path / "p.xlsx")["企业"].rows
    assert [r.number for r in rows] == [2, 4, 5]
    assert rows[0].values[:8] == ["a & <b>", 1, 2.5, True, datetime(2024, 3, 1), "=A1", None,
                                  "  空格 "]
    assert rows[1].values[:3] == [None, None, "后面"] and rows[2].values[:4] == [None, None, None, "x"]
    assert {len(r.values) for r in rows} == {13}
    # A sheet whose first used cell is C3 (a title in C1 is not a header): columns and
    # row numbers are those Excel shows.
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    for j, text in enumerate(HEADERS["企业"]):
        ws.cell(row=3, column=3 + j, value=text)
    ws.cell(row=5, column=4, value="乙")
    wb.save(tmp_path / "c.xlsx")
    sheet = read_workbook(tmp_path / "c.xlsx")["企业"]
    assert sheet.headers[:3] == ["", "", HEADERS["企业"][0]]
    assert [(r.number, r.values[:5]) for r in sheet.rows] == [(5, [None, None, None, "乙", None])]


def test_sheet_xml_of_other_writers(tmp_path):
    """Sheet XML as other programs write it: namespace prefixes, cells without ``r``,
    rich and phonetic text, formulas with and without cached values (a shared formula's
    follower has no text of its own), error values, ISO dates (``t="d"``)."""
    from tracker.ingest.readers import read_workbook

    base = workbook(tmp_path / "base.xlsx", 企业=[])
    header = "".join(f'<x:c t="inlineStr"><x:is><x:t>{h}</x:t></x:is></x:c>' for h in HEADERS["企业"])
    xml = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<x:sheetData><x:row>{header}</x:row>'
           '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c>'
           '<x:c r="B2"><x:f>1+1</x:f></x:c><x:c r="C2" t="str"><x:f>""</x:f><x:v></x:v></x:c>'
           '<x:c r="D2" t="str"><x:f>A2</x:f><x:v>甲</x:v></x:c>'
           '<x:c r="E2" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c><x:c r="F2" t="e"><x:v>#N/A</x:v></x:c>'
           '<x:c r="G2" t="b"><x:v>1</x:v></x:c><x:c r="H2"><x:f>2*3</x:f><x:v>6</x:v></x:c></x:row>'
           '<x:row r="4"><x:c t="inlineStr"><x:is><x:r><x:t>富</x:t></x:r><x:r><x:t>文本</x:t></x:r>'
           '<x:rPh><x:t>ふ</x:t></x:rPh></x:is></x:c><x:c><x:v>7</x:v></x:c>'
           '<x:c><x:f t="shared" si="0"/></x:c><x:c t="d"><x:v>2024-03-01T10:00:00</x:v></x:c>'
           '<x:c t="inlineStr"><x:is><x:t>&#20013;&#x6587;&amp;&lt;</x:t></x:is></x:c></x:row>'
           '</x:sheetData></x:worksheet>').encode()
    rows = read_workbook(_sheet_xml(base, xml, tmp_path / "x.xlsx"))["企业"].rows
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].values[:8] == ["甲", "=1+1", None, "甲", "#DIV/0!", "#N/A", True, 6]
    assert rows[1].values[:5] == ["富文本", 7, "=（共享公式）", datetime(2024, 3, 1, 10), "中文&<"]


def test_formulas_without_cached_values_in_a_large_sheet(tmp_path):
    """The formula texts land in the cells they belong to, also far down a sheet."""
    from tracker.ingest.readers import read_workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业")
    ws.append(HEADERS["企业"])
    for i in range(3000):
        ws.append([code(5000 + i), f"企业{i}", "BIO", None, None, None, None, None, None,
                   f"=J{i}" if i % 1000 == 999 else i % 7])
    wb.save(tmp_path / "f.xlsx")
    rows = read_workbook(tmp_path / "f.xlsx")["企业"].rows
    assert [(r.number, r.values[9]) for r in rows if isinstance(r.values[9], str)] == [
        (1001, "=J999"), (2001, "=J1999"), (3001, "=J2999")]
    assert rows[0].values[9] == 0 and rows[-2].values[9] == 2998 % 7


# --------------------------------------------------------------------------- bulk path


def test_bulk_import_audit_trail_across_chunks(engine, tmp_path, monkeypatch):
    """Firm rows are written a chunk at a time: with chunks of 7 rows, 30 new firms, a
    changed firm, a new chain for a known firm and an unchanged firm must still give one
    entry per change with the right values, source and membership firm ids."""
    import importlib

    from tracker.model import ChainMembership

    load_module = importlib.import_module("tracker.ingest.load")

    monkeypatch.setattr(load_module, "BATCH", 7)
    first = [firm_row(code(100 + i), f"企业{i}", "BIO;DISPLAY" if i % 3 == 0 else "SOFT",
                      joined=f"2023-01-{1 + i % 28:02d}", formal=i, prob=i % 2,
                      master="是" if i % 5 == 0 else "否", above="是" if i % 2 else "否")
             for i in range(4)]
    import_path(engine, workbook(tmp_path / "a.xlsx", 企业=first), user="甲")
    before_entries = len(entries(engine))
    rows = [firm_row(code(100), "企业0（改名）", "BIO;DISPLAY", joined="2023-01-01", formal=0,
                     master="是", above="否"),  # update
            firm_row(code(101), "企业1", "SOFT;BIO", joined="2023-01-02", formal=1, prob=1,
                     above="是"),  # a new chain (BIO) for a known firm
            first[2]]  # unchanged
    rows += [firm_row(code(200 + i), f"新企业{i}", ["BIO", "SOFT;DISPLAY", None][i % 3],
                      joined=None if i % 3 == 2 else "2024-05-06", left="2025-01-01" if i == 4 else None,
                      formal=i, segment=["上游", "中游", "下游"][i % 3]) for i in range(30)]
    report = import_path(engine, workbook(tmp_path / "b.xlsx", 企业=rows), user="乙")
    assert report.exit_code == 0
    counts = report.counts["企业"]
    assert (counts.added, counts.updated, counts.unchanged) == (30, 2, 1)
    log = entries(engine)[before_entries:]
    assert report.audit_entries == len(log) == 30 + 2
    assert {e["user"] for e in log} == {"乙"} and {e["kind"] for e in log} == {"import"}
    assert len({e["at"] for e in log}) == 1
    added = {e["entity_key"]: e for e in log if e["action"] == "firm.add"}
    assert set(added) == {code(200 + i) for i in range(30)}
    four = added[code(204)]
    assert four["source"] == "b.xlsx#企业!9"  # row 2 + 3 known firms + 4
    assert four["after"] == {
        "name": "新企业4", "ownership": "private", "above_size": False, "park": "科学城",
        "street": "萝岗街道", "formal_members": 4, "probationary_members": 0,
        "chains": [{"chain": "SOFT", "joined": "2024-05-06", "left": "2025-01-01",
                    "segment": "midstream", "is_chain_master": False},
                   {"chain": "DISPLAY", "joined": "2024-05-06", "left": "2025-01-01",
                    "segment": "midstream", "is_chain_master": False}]}
    assert added[code(202)]["after"]["chains"] == []
    update = next(e for e in log if e["action"] == "firm.update")
    assert (update["entity_key"], update["before"], update["after"]) == (
        code(100), {"name": "企业0"}, {"name": "企业0（改名）"})
    join = next(e for e in log if e["action"] == "membership.join")
    assert join["entity_key"] == f"{code(101)}/BIO/2023-01-02"
    assert join["effective"] == date(2023, 1, 2)
    # Every membership row points at the firm whose row named it.
    F, M = Firm.__table__, ChainMembership.__table__
    from tracker.model import Chain
    C = Chain.__table__
    with engine.connect() as conn:
        got = {(r.credit_code, r.code, r.joined, r.left, r.segment)
               for r in conn.execute(sa.select(F.c.credit_code, C.c.code, M.c.joined, M.c.left, M.c.segment)
                                     .select_from(M.join(F, F.c.id == M.c.firm_id).join(C, C.c.id == M.c.chain_id))
                                     .where(F.c.credit_code.like("91440112000000%")))}
    want = set()
    for i in range(30):
        chains = ["BIO", "SOFT;DISPLAY", None][i % 3]
        for chain in (chains or "").split(";"):
            if chain:
                want.add((code(200 + i), chain, date(2024, 5, 6), date(2025, 1, 1) if i == 4 else None,
                          ["upstream", "midstream", "downstream"][i % 3]))
    assert {g for g in got if g[0] in {code(200 + i) for i in range(30)}} == want
    # The same file again: nothing changes, no entry.
    again = import_path(engine, tmp_path / "b.xlsx")
    assert again.audit_entries == 0 and not again.written
    assert len(entries(engine)) == before_entries + 32


@given(st.lists(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff"),
                max_size=12).map("".join))
@settings(max_examples=60, deadline=None)
def test_character_references_in_cell_text_read_as_the_characters(tmp_path_factory, text):
    """A cell's text written with every character as a decimal or hex character
    reference, as openpyxl's write-only mode and other writers do, reads as the text."""
    from tracker.ingest.readers import read_workbook

    text = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 0x20)  # XML 1.0 characters
    if text.strip() == "" or text.strip().startswith(EXAMPLE_PREFIX):
        return
    folder = tmp_path_factory.mktemp("refs")
    base = workbook(folder / "base.xlsx", 企业=[])
    refs = "".join(f"&#{ord(ch)};" if i % 2 else f"&#x{ord(ch):x};" for i, ch in enumerate(text))
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADERS["企业"])
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<sheetData><row r="1">{header}</row><row r="2"><c r="B2" t="inlineStr">'
           f'<is><t xml:space="preserve">{refs}</t></is></c></row></sheetData></worksheet>').encode()
    rows = read_workbook(_sheet_xml(base, xml, folder / "r.xlsx"))["企业"].rows
    assert rows[0].values[1] == text


def test_large_csv_rows_and_shared_texts(sqlite_engine, tmp_path):
    """The streamed CSV reader: row numbers, blank cells, padding and cut-off of long rows."""
    from tracker.ingest.readers import read_csv

    path = tmp_path / "企业.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["标题行"])
        writer.writerow(HEADERS["企业"])
        for i in range(2000):
            writer.writerow(firm_row(code(1000 + i), f"企业{i}", "BIO", formal=i % 7)
                            + (["多余"] if i % 2 else []))
        writer.writerow([""] * 13)
        writer.writerow([code(5000), "短行"])
    raw = read_csv(path)
    assert len(raw.rows) == 2001 and raw.rows[0].number == 3 and raw.rows[-1].number == 2004
    assert {len(r.values) for r in raw.rows} == {13}
    assert raw.rows[-1].values == [code(5000), "短行"] + [None] * 11
    assert raw.rows[0].values[3] is raw.rows[1].values[3] == "上游"
    report = import_path(sqlite_engine, path)
    assert report.exit_code == 0 and report.counts["企业"].added == 2001


def test_merged_ranges_and_special_characters_over_many_rows(tmp_path):
    """Merged ranges repeat their top-left value, text with XML's special characters
    reads back as written, over a few hundred rows."""
    from tracker.ingest.readers import read_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(HEADERS["企业"])
    for i in range(300):
        ws.append(firm_row(code(3000 + i), f"企业&<{i}>", "BIO", formal=i % 5, joined=datetime(2024, 1, 1 + i % 28)))
    ws["H2"] = "知识城"
    ws.merge_cells("H2:H6")  # a park merged over five rows
    wb.save(tmp_path / "m.xlsx")
    rows = read_workbook(tmp_path / "m.xlsx")["企业"].rows
    assert [r.values for r in rows] == [
        firm_row(code(3000 + i), f"企业&<{i}>", "BIO", formal=i % 5,
                 joined=datetime(2024, 1, 1 + i % 28))[:7] + ["知识城" if i < 5 else "科学城"]
        + firm_row(code(3000 + i), formal=i % 5)[8:11] + [datetime(2024, 1, 1 + i % 28), None]
        for i in range(300)]


def test_zip_bombs_are_refused_before_they_are_read(tmp_path):
    """A sheet part that decompresses beyond the limit is refused from the archive's
    listing; one that claims to be small but is larger is refused by zipfile's size and
    CRC check before python-calamine reads it."""
    import struct

    from tracker.ingest import readers

    base = workbook(tmp_path / "base.xlsx", 企业=[firm_row(A)])
    # Declared: a sheet part of 1.5 GB (the header's size field says so).
    big = tmp_path / "big.xlsx"
    big.write_bytes(base.read_bytes())
    with zipfile.ZipFile(big) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(big.read_bytes())
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    while data[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = data.rfind(b"PK\x01\x02", 0, central)
    data[central + 24:central + 28] = struct.pack("<I", 1_500_000_000)
    big.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="超过上限"):
        readers.read_workbook(big)
    # Real: a part larger than it says (the declared size of a small one).
    liar = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            payload = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                payload = payload.replace(b"</sheetData>", b" " * 5_000_000 + b"</sheetData>")
            dst.writestr(item, payload)
    data = bytearray(liar.read_bytes())
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while (at := data.find(header, at + 1)) >= 0:
            name_at = at + (30 if header == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 24] == b"xl/worksheets/sheet1.xml":
                data[at + offset:at + offset + 4] = struct.pack("<I", 4096)
    liar.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="无法读取工作簿"):
        readers.read_workbook(liar)
    # Tiny, but one value far out: calamine's grid would span 17 billion cells.
    wb = load_workbook(base)
    wb["企业"]["XFD1048576"] = 1
    wb.save(tmp_path / "far.xlsx")
    with pytest.raises(ReadError, match="单元格范围过大"):
        readers.read_workbook(tmp_path / "far.xlsx")
    # A sheet with extra columns far right (to AZ) but few rows is read.
    wb = load_workbook(base)
    for r in range(1, 500):
        wb["企业"].cell(row=r, column=52, value=f"备注{r}")
    wb.save(tmp_path / "wide.xlsx")
    sheet = readers.read_workbook(tmp_path / "wide.xlsx")["企业"]
    assert sheet.headers[51] == "备注1" and len(sheet.rows) == 498
    assert sheet.rows[0].values[:2] == [A, "企业"] and sheet.rows[-1].values[51] == "备注499"


@pytest.mark.slow
def test_a_sheet_of_one_and_a_half_gigabytes_is_refused_with_bounded_memory(tmp_path):
    """A real 1.5 GB sheet part (deflated to a few MB): refused in a child process whose
    peak memory stays far below the part's size."""
    import subprocess
    import sys

    path = tmp_path / "bomb.xlsx"
    base = workbook(tmp_path / "base.xlsx", 企业=[firm_row(A)])
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=1) as dst:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, src.read(item))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      b"<sheetData>")
            written = 0
            while written < 1_500_000_000:
                out.write(row)
                written += len(row)
            out.write(b"</sheetData></worksheet>")
    script = ("import sys\n"
              "from tracker.ingest import ReadError, import_path\n"
              "from tracker.chains import empty_store\n"
              "try:\n"
              "    import_path(empty_store(), sys.argv[1])\n"
              "except ReadError as exc:\n"
              "    print('refused', exc)\n"
              # VmHWM, not ru_maxrss: Linux carries a forked child's pre-exec peak (the
              # parent's size, hundreds of MB in a full test run) into ru_maxrss.
              "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
              "print(int(hwm.split()[1]) // 1024)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    refused, peak = done.stdout.splitlines()
    assert refused.startswith("refused") and "超过上限" in refused, done.stderr
    assert int(peak) < 400, peak  # MiB: the part is never held


# --------------------------------------------------------------------------- progress


def test_an_import_reports_progress_events(sqlite_engine, tmp_path):
    from tracker.progress import Progress

    path = workbook(tmp_path / "p.xlsx", 企业=[firm_row(A), firm_row(B)],
                    党组织=[["O-1", "甲支部", "党支部", "单独组建", None, "2023-06-01", None, 5]])
    events: list = []
    report = import_path(sqlite_engine, path, progress=events.append)
    assert events and all(isinstance(e, Progress) for e in events)
    stages = [e.stage for e in events]
    assert stages.index("read") < stages.index("validate") < stages.index("write")
    last = {(e.stage, e.detail): e for e in events}
    assert (last["validate", "企业"].done, last["validate", "企业"].total) == (2, 2)
    assert (last["write", "企业"].done, last["write", "企业"].total) == (2, 2)
    assert last["audit", ""].done == report.audit_entries == 3
    assert last["read", "企业"].fraction == 1.0
    # A dry run writes nothing, so it reports no write.
    events.clear()
    import_path(sqlite_engine, path, dry_run=True, progress=events.append)
    assert {e.stage for e in events} == {"read", "validate"}


def test_progress_printer_draws_events_on_one_line_each():
    import io

    from tracker.cli.output import progress_printer
    from tracker.progress import Progress

    out = io.StringIO()
    draw = progress_printer("zh", stream=out, delay=0, interval=3600)
    draw(Progress("write", 5000, 25000, "企业", 1234.4))
    draw(Progress("write", 10000, 25000, "企业", 1300.0))  # within the interval: not drawn
    draw(Progress("write", 25000, 25000, "企业", 1300.0))  # the stage is complete: drawn
    draw(Progress("audit", 7))
    assert out.getvalue().splitlines() == ["写入 企业：5,000/25,000 行（1,234 行/秒）",
                                           "写入 企业：25,000/25,000 行（1,300 行/秒）",
                                           "写入操作日志：7 条"]

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    draw = progress_printer("en", stream=tty, delay=0, interval=0)
    draw(Progress("read", 20000, None, "企业"))
    draw(Progress("read", 40000, None, "企业"))
    draw(Progress("validate", 0, 10, "企业"))
    assert tty.getvalue() == ("Reading 企业: 20,000 rows\n"
                              "\x1b[FReading 企业: 40,000 rows\x1b[K\n"
                              "Validating 企业: 0/10 rows\n")
    # Nothing during the first second (short imports show nothing), nothing when quiet.
    out = io.StringIO()
    progress_printer(stream=out)(Progress("read", 1))
    progress_printer(quiet=True, stream=out, delay=0)(Progress("read", 1))
    assert out.getvalue() == ""
