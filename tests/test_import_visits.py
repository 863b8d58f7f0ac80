"""Visits (走访记录) and terms (本届开始日期, 任期) entering the store: the import and the edits.

Import files are built from the template (``write_template``) with openpyxl: the data
rows go below the template's example rows, so their Excel row numbers are fixed here by
hand: 企业 has 2 example rows (data from row 4), 党组织, 联络员 1 (data from row 3),
走访记录 2 (data from row 4).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from tests.builders import checksum
from tracker import edits, uscc
from tracker.audit import entries
from tracker.cli import run
from tracker.errors import TrackerError
from tracker.ingest import import_path
from tracker.ingest.template import write_template
from tracker.model import Liaison, PartyOrg, Visit
from tracker.provenance import set_info
from tracker.terms import terms

D = date
UNIT = "区工信局"
OLD_ORG_HEADERS = ["党组织代码", "党组织名称", "类型", "组建方式", "上级党组织代码", "成立日期",
                   "撤销日期", "党员数"]
#: The first data row of each sheet of the template (below its example rows).
FIRST = {"企业": 4, "党组织": 3, "覆盖关系": 3, "联络员": 3, "供应关系": 3, "走访记录": 4}


def ledger(path: Path, **sheets) -> Path:
    """The template with ``sheets`` (name → rows) appended below its example rows."""
    write_template(path)
    wb = load_workbook(path)
    for name, rows in sheets.items():
        ws = wb[name]
        assert ws.max_row == FIRST[name] - 1, name  # the example rows are where we think
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def visit_row(name, firm, day, mode="走访", note="", unit=UNIT):
    return [name, unit, firm, day, mode, note]




def stored_visits(engine) -> list[tuple]:
    with Session(engine) as s:
        rows = s.exec(select(Liaison.name, Liaison.unit, Visit.day, Visit.mode, Visit.note)
                      .join(Visit, Visit.liaison_id == Liaison.id)).all()
    return sorted(tuple(r) for r in rows)


def reasons(report) -> list[tuple]:
    return [(r.sheet, r.row, r.column, r.reason) for r in report.rejections]


@pytest.fixture
def assigned(world):
    """Firm A; 王明 of 区工信局 assigned to A over [2024-03-01, 2024-12-01)."""
    world.firm("A", joined="2022-01-01")
    world.liaison("王明", unit=UNIT)
    world.assign("王明", "A", start="2024-03-01", end="2024-12-01")
    return world


# --------------------------------------------------------------------------- the template


def test_template_has_the_visit_sheet_and_the_term_columns(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert [c.value for c in wb["走访记录"][1]] == ["姓名", "派出单位", "统一社会信用代码", "走访日期",
                                                   "方式", "备注"]
    assert [c.value for c in wb["党组织"][1]][-2:] == ["本届开始日期", "任期（年）"]
    examples = [r for r in wb["走访记录"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(examples) == 2 and all(r[0].startswith("示例") for r in examples)
    # 方式 offers the five modes as a drop-down.
    assert "走访方式" in [c.value for c in wb["选项"][1]]


# --------------------------------------------------------------------------- visits


def test_visits_on_the_first_and_last_day_of_an_assignment_are_accepted(engine, assigned, tmp_path):
    a = assigned.code("A")
    path = ledger(tmp_path / "v.xlsx", 走访记录=[
        visit_row("王明", a, "2024-03-01", "走访", "首次走访"),   # the assignment's first day
        visit_row("王明", a, "2024-11-30", "座谈"),              # its last day (ends 12-01)
        visit_row("王明", a, "2024-06-01", ""),                  # empty 方式: 走访
    ])
    report = import_path(engine, path, user="测试")
    assert report.rejections == []
    assert report.counts["走访记录"].as_dict() == {"rows": 3, "added": 3, "updated": 0,
                                                 "unchanged": 0, "rejected": 0}
    assert stored_visits(engine) == [("王明", UNIT, D(2024, 3, 1), "visit", "首次走访"),
                                     ("王明", UNIT, D(2024, 6, 1), "visit", ""),
                                     ("王明", UNIT, D(2024, 11, 30), "talk", "")]
    log = [e for e in entries(engine) if e["action"] == "visit.add"]
    assert len(log) == 3 and {e["kind"] for e in log} == {"import"}
    first = next(e for e in log if e["effective"] == D(2024, 3, 1))
    assert first["entity_key"] == f"王明@{UNIT}/{a}/2024-03-01/visit"
    assert first["after"] == {"mode": "visit", "note": "首次走访"}
    assert first["source"] == "v.xlsx#走访记录!4" and first["user"] == "测试"


def test_visits_before_or_after_the_assignment_are_rejected_with_the_reason(engine, assigned,
                                                                          tmp_path):
    a = assigned.code("A")
    before = checksum(engine)
    path = ledger(tmp_path / "v.xlsx", 走访记录=[
        visit_row("王明", a, "2024-02-29"),   # the day before the assignment starts
        visit_row("王明", a, "2024-06-01"),   # fine
        visit_row("王明", a, "2024-12-01"),   # the end day: no longer assigned
    ])
    report = import_path(engine, path)
    why = "走访日期不在王明（区工信局）派驻该企业的时段内（派驻时段：2024-03-01–2024-12-01），走访不予记录"
    assert reasons(report) == [("走访记录", 4, "走访日期", why), ("走访记录", 6, "走访日期", why)]
    assert [r.value for r in report.rejections] == [D(2024, 2, 29), D(2024, 12, 1)]
    assert report.exit_code == 1 and not report.written
    assert checksum(engine) == before  # all or nothing: the good row is not written either
    assert "走访记录 第4行 [走访日期] “2024-02-29”" in str(report.rejections[0])

    partial = import_path(engine, path, partial=True)
    assert partial.counts["走访记录"].added == 1 and partial.counts["走访记录"].rejected == 2
    assert stored_visits(engine) == [("王明", UNIT, D(2024, 6, 1), "visit", "")]


def test_visit_periods_name_every_assignment(engine, assigned, tmp_path):
    a = assigned.code("A")
    assigned.assign("王明", "A", start="2025-01-01")  # a second, open assignment
    report = import_path(engine, ledger(tmp_path / "v.xlsx", 走访记录=[
        visit_row("王明", a, "2024-12-15"), visit_row("王明", a, "2025-01-01")]))
    assert [r.reason for r in report.rejections] == [
        ("走访日期不在王明（区工信局）派驻该企业的时段内（派驻时段：2024-03-01–2024-12-01、"
         "2025-01-01–至今），走访不予记录")]
    assert report.rejections[0].row == 4


def test_unknown_officer_firm_or_assignment(engine, assigned, tmp_path):
    assigned.firm("B", joined="2022-01-01")
    a, b = assigned.code("A"), assigned.code("B")
    ghost = assigned.code("GHOST")  # a valid credit code of no firm
    path = ledger(tmp_path / "v.xlsx", 走访记录=[
        visit_row("李四", a, "2024-06-01"),                  # 4: nobody of that name
        visit_row("王明", a, "2024-06-01", unit="区财政局"),  # 5: same name, another unit
        visit_row("王明", b, "2024-06-01"),                  # 6: known, not assigned to B
        visit_row("王明", ghost, "2024-06-01"),              # 7: unknown firm
    ])
    report = import_path(engine, path)
    assert reasons(report) == [
        ("走访记录", 4, "姓名", "联络员不存在：李四（区工信局）（本文件“联络员”表和数据库中都没有此人，同名同单位视为同一人）"),
        ("走访记录", 5, "姓名", "联络员不存在：王明（区财政局）（本文件“联络员”表和数据库中都没有此人，同名同单位视为同一人）"),
        ("走访记录", 6, "走访日期", "王明（区工信局）没有派驻该企业（数据库和本文件“联络员”表中都没有这次派驻），走访不予记录"),
        ("走访记录", 7, "统一社会信用代码", "企业不存在（本文件“企业”表和数据库中都没有这个统一社会信用代码）"),
    ]
    assert stored_visits(engine) == []


@pytest.mark.parametrize("cell,column,reason", [
    ("喝茶", "方式", "“喝茶”不是有效的走访方式，可选：走访、座谈、指导、活动、线上"),
    ("online", None, None),  # the code is accepted too
])
def test_visit_mode(engine, assigned, tmp_path, cell, column, reason):
    a = assigned.code("A")
    report = import_path(engine, ledger(tmp_path / "v.xlsx",
                                        走访记录=[visit_row("王明", a, "2024-06-01", cell)]))
    if reason is None:
        assert report.rejections == [] and stored_visits(engine)[0][3] == "online"
    else:
        assert reasons(report) == [("走访记录", 4, column, reason)]
        assert report.rejections[0].value == cell


@pytest.mark.parametrize("cell,reason", [
    ("2024-02-30", "日期不存在"),
    ("上周三", "无法识别的日期，请写成 2024-03-01、2024/3/1 或 2024年3月1日"),
    (None, "“走访日期”为必填项"),
])
def test_bad_visit_dates(engine, assigned, tmp_path, cell, reason):
    a = assigned.code("A")
    report = import_path(engine, ledger(tmp_path / "v.xlsx",
                                        走访记录=[visit_row("王明", a, cell)]))
    assert reasons(report) == [("走访记录", 4, "走访日期", reason)]


def test_a_visit_on_an_assignment_from_the_same_file(engine, tmp_path):
    # Neither the firm, nor the person, nor the assignment is in the store yet.
    from tests.test_import import firm_row

    b = uscc.make("91440112000000002")
    path = ledger(tmp_path / "v.xlsx",
                  企业=[firm_row(b, "乙公司")],
                  联络员=[["张三", UNIT, "指导员", b, "2024-05-01", None]],
                  走访记录=[visit_row("张三", b, "2024-05-01", "指导"),    # 4: first day
                            visit_row("张三", b, "2024-04-30", "指导")])   # 5: the day before
    report = import_path(engine, path)
    assert reasons(report) == [("走访记录", 5, "走访日期",
                                ("走访日期不在张三（区工信局）派驻该企业的时段内（派驻时段：2024-05-01–至今），"
                                 "走访不予记录"))]
    report = import_path(engine, path, partial=True)
    assert report.counts["走访记录"].added == 1
    assert stored_visits(engine) == [("张三", UNIT, D(2024, 5, 1), "guidance", "")]


def test_the_files_end_date_of_a_stored_assignment_is_the_one_that_counts(engine, world, tmp_path):
    world.firm("A", joined="2022-01-01")
    world.liaison("王明", unit=UNIT)
    world.assign("王明", "A", start="2024-03-01")  # open in the store
    a = world.code("A")
    path = ledger(tmp_path / "v.xlsx",
                  联络员=[["王明", UNIT, "联络员", a, "2024-03-01", "2024-06-01"]],  # the file ends it
                  走访记录=[visit_row("王明", a, "2024-05-31"), visit_row("王明", a, "2024-06-01")])
    report = import_path(engine, path)
    assert [(r.row, r.column) for r in report.rejections] == [(5, "走访日期")]
    assert "2024-03-01–2024-06-01" in report.rejections[0].reason


def test_a_visit_whose_assignment_row_is_rejected_says_so(engine, world, tmp_path):
    world.firm("A", joined="2022-01-01")
    a = world.code("A")
    path = ledger(tmp_path / "v.xlsx",
                  # 3: end before start, so the assignment row is refused cell by cell
                  联络员=[["王明", UNIT, "联络员", a, "2024-05-01", "2024-04-01"]],
                  走访记录=[visit_row("王明", a, "2024-05-02")])
    report = import_path(engine, path, partial=True)
    assert [(r.sheet, r.row, r.column) for r in report.rejections] == [
        ("联络员", 3, "结束日期"), ("走访记录", 4, "走访日期")]
    assert report.rejections[1].reason == "依赖的行被拒绝：派驻（联络员 第3行）"
    assert stored_visits(engine) == []


def test_reimport_is_idempotent_and_a_changed_note_updates(engine, assigned, tmp_path):
    a = assigned.code("A")
    rows = [visit_row("王明", a, "2024-04-01", "走访", "了解需求"),
            visit_row("王明", a, "2024-04-01", "座谈")]  # same day, another mode: another visit
    path = ledger(tmp_path / "v.xlsx", 走访记录=rows)
    assert import_path(engine, path).counts["走访记录"].added == 2
    state, logged = checksum(engine), len(entries(engine))
    again = import_path(engine, path)
    assert again.counts["走访记录"].as_dict() == {"rows": 2, "added": 0, "updated": 0,
                                                "unchanged": 2, "rejected": 0}
    assert not again.written and checksum(engine) == state and len(entries(engine)) == logged

    rows[0][5] = "了解需求，已解决"
    changed = import_path(engine, ledger(tmp_path / "v2.xlsx", 走访记录=rows))
    assert (changed.counts["走访记录"].updated, changed.counts["走访记录"].unchanged) == (1, 1)
    update = [e for e in entries(engine) if e["action"] == "visit.update"]
    assert len(update) == 1
    assert update[0]["before"] == {"note": "了解需求"}
    assert update[0]["after"] == {"note": "了解需求，已解决"}
    assert update[0]["effective"] == D(2024, 4, 1)
    assert ("王明", UNIT, D(2024, 4, 1), "visit", "了解需求，已解决") in stored_visits(engine)


def test_a_visit_given_twice_in_the_file(engine, assigned, tmp_path):
    a = assigned.code("A")
    report = import_path(engine, ledger(tmp_path / "v.xlsx", 走访记录=[
        visit_row("王明", a, "2024-04-01", "走访", "甲"), visit_row("王明", a, "2024年4月1日", "走访", "乙")]))
    assert reasons(report) == [
        ("走访记录", 4, "走访日期", "文件内重复：联络员、企业、走访日期和方式与第5行相同"),
        ("走访记录", 5, "走访日期", "文件内重复：联络员、企业、走访日期和方式与第4行相同")]


def test_a_csv_named_visits_is_read(engine, assigned, tmp_path):
    a = assigned.code("A")
    path = tmp_path / "visits.csv"
    path.write_text("name,unit,credit_code,visit_date,mode,note\n"
                    f"王明,{UNIT},{a},2024/7/1,线上,\n", encoding="utf-8")
    report = import_path(engine, path)
    assert report.rejections == [] and stored_visits(engine) == [("王明", UNIT, D(2024, 7, 1), "online", "")]


def test_replacing_the_demo_data_removes_its_visits(engine, assigned, tmp_path):
    assigned.visit("王明", "A", "2024-05-01")
    with Session(engine) as s:
        set_info(s, synthetic="true")
        s.commit()
    from tests.test_import import firm_row

    report = import_path(engine, ledger(tmp_path / "r.xlsx", 企业=[firm_row(uscc.make("91440112000000002"))]),
                         replace_demo=True)
    assert report.replaced_demo
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Visit.__table__)).scalar() == 0


# --------------------------------------------------------------------------- terms


def org_row(code, kind="党支部", founded="2020-01-01", dissolved=None, term_start=None,
            term_years=None, name=None):
    return [code, name or f"{code}支部", kind, "单独组建", None, founded, dissolved, 3, term_start,
            term_years]


def test_terms_are_imported_and_read_back(engine, tmp_path):
    path = ledger(tmp_path / "o.xlsx", 党组织=[
        org_row("O1", term_start="2023-06-01"),                    # 党支部: 3 years by default
        org_row("O2", kind="党委", term_start="2021-03-01"),        # 党委: 5 years by default
        org_row("O3", term_start="2024-02-29", term_years=2),      # 29 February → 28 February
        org_row("O4"),                                             # no term recorded
        org_row("O5", kind="党总支", term_start=D(2025, 1, 10), term_years="4"),
    ])
    report = import_path(engine, path)
    assert report.rejections == [] and report.counts["党组织"].added == 5
    rows = {r.org_code: r for r in terms(engine, D(2026, 3, 1))}
    assert {c: (r.term_start, r.term_years, r.due, r.status, r.days_to_due)
            for c, r in rows.items()} == {
        "O1": (D(2023, 6, 1), 3, D(2026, 6, 1), "due_soon", 92),
        "O2": (D(2021, 3, 1), 5, D(2026, 3, 1), "overdue", 0),
        "O3": (D(2024, 2, 29), 2, D(2026, 2, 28), "overdue", -1),
        "O4": (None, 3, None, "unknown", None),
        "O5": (D(2025, 1, 10), 4, D(2029, 1, 10), "ok", 1046),
    }
    with Session(engine) as s:  # an empty 任期 is stored empty (the kind's default applies)
        stored = {o.code: o.term_years for o in s.exec(select(PartyOrg))}
    assert stored == {"O1": None, "O2": None, "O3": 2, "O4": None, "O5": 4}
    found = next(e for e in entries(engine) if e["entity_key"] == "O3")
    assert found["after"]["term_start"] == "2024-02-29" and found["after"]["term_years"] == 2


@pytest.mark.parametrize("cell", [0, 11, 2.5, "三", -1, "3年"])
def test_bad_term_years_are_rejected(engine, tmp_path, cell):
    report = import_path(engine, ledger(tmp_path / "o.xlsx", 党组织=[
        org_row("O1", term_start="2023-06-01", term_years=cell)]))
    assert reasons(report) == [("党组织", 3, "任期（年）",
                                f"任期（年）须为 1 至 10 之间的整数，而不是“{cell}”")]
    assert report.rejections[0].value == cell


@pytest.mark.parametrize("term_start,dissolved,reason", [
    ("2019-12-31", None, "本届开始日期早于党组织成立日期 2020-01-01"),
    ("2024-01-01", "2024-01-01", "本届开始日期不早于党组织撤销日期 2024-01-01"),
    ("2099-01-01", None, f"本届开始日期晚于今天（{date.today().isoformat()}），换届尚未发生"),
])
def test_impossible_term_starts_are_rejected(engine, tmp_path, term_start, dissolved, reason):
    report = import_path(engine, ledger(tmp_path / "o.xlsx", 党组织=[
        org_row("O1", dissolved=dissolved, term_start=term_start)]))
    assert reasons(report) == [("党组织", 3, "本届开始日期", reason)]


def old_ledger(path: Path, rows) -> Path:
    """A 党组织 sheet as ledgers were kept before the term columns existed."""
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("党组织")
    ws.append(OLD_ORG_HEADERS)
    for row in rows:
        ws.append(row[:8])
    wb.save(path)
    return path


def test_a_ledger_without_the_term_columns_imports_and_keeps_the_terms(engine, tmp_path):
    path = old_ledger(tmp_path / "old.xlsx", [org_row("O1"), org_row("O2", kind="党委")])
    report = import_path(engine, path)
    assert report.rejections == [] and report.counts["党组织"].added == 2
    # A 换届 recorded afterwards…
    edits.record_election(engine, "O1", D(2023, 6, 1), 4, user="组织部")
    state = checksum(engine)
    # …survives the old ledger imported again: nothing changes, nothing is logged.
    again = import_path(engine, path)
    assert again.counts["党组织"].unchanged == 2 and checksum(engine) == state
    # A changed name is an update that leaves the term alone.
    renamed = import_path(engine, old_ledger(tmp_path / "old2.xlsx",
                                             [org_row("O1", name="一支部"), org_row("O2", kind="党委")]))
    assert renamed.counts["党组织"].updated == 1
    rows = {r.org_code: r for r in terms(engine, D(2026, 1, 1))}
    assert (rows["O1"].name, rows["O1"].term_start, rows["O1"].term_years) == ("一支部", D(2023, 6, 1), 4)
    assert rows["O2"].status == "unknown"
    # A ledger with the columns states the term: an empty cell clears it (the whole row).
    cleared = import_path(engine, ledger(tmp_path / "new.xlsx", 党组织=[
        org_row("O1", name="一支部"), org_row("O2", kind="党委", term_start="2022-01-01")]))
    assert cleared.counts["党组织"].updated == 2
    rows = {r.org_code: r for r in terms(engine, D(2026, 1, 1))}
    assert rows["O1"].status == "unknown" and rows["O2"].due == D(2027, 1, 1)
    update = [e for e in entries(engine) if e["action"] == "org.update" and e["entity_key"] == "O1"]
    assert update[-1]["before"] == {"term_start": "2023-06-01", "term_years": 4}
    assert update[-1]["after"] == {"term_start": None, "term_years": None}


# --------------------------------------------------------------------------- edits


def test_add_visit_accepted_and_audited(engine, assigned):
    a = assigned.code("A")
    after = edits.add_visit(engine, "王明", UNIT, a, D(2024, 3, 1), "座谈", "首次", user="李",
                            source="dashboard")
    assert after == {"liaison": "王明", "unit": UNIT, "firm": a, "day": "2024-03-01",
                     "mode": "talk", "note": "首次"}
    edits.add_visit(engine, " 王明 ", UNIT, a.lower(), D(2024, 11, 30))  # last day, default 走访
    assert stored_visits(engine) == [("王明", UNIT, D(2024, 3, 1), "talk", "首次"),
                                     ("王明", UNIT, D(2024, 11, 30), "visit", "")]
    log = [e for e in entries(engine) if e["action"] == "visit.add"]
    assert len(log) == 2
    first = next(e for e in log if e["source"] == "dashboard")
    assert (first["kind"], first["user"], first["effective"], first["before"]) == (
        "edit", "李", D(2024, 3, 1), None)
    assert first["entity_key"] == f"王明@{UNIT}/{a}/2024-03-01/talk"


def test_add_visit_refusals(engine, assigned):
    a = assigned.code("A")
    assigned.firm("B", joined="2022-01-01")
    edits.add_visit(engine, "王明", UNIT, a, D(2024, 4, 1))
    logged = len(entries(engine))
    cases = [
        (("王明", UNIT, a, D(2024, 2, 29)), "派驻时段：2024-03-01–2024-12-01"),
        (("王明", UNIT, a, D(2024, 12, 1)), "未派驻该企业"),
        (("王明", UNIT, assigned.code("B"), D(2024, 4, 1)), "未派驻该企业"),
        (("李四", UNIT, a, D(2024, 4, 1)), "联络员不存在：李四（区工信局）"),
        (("王明", "区财政局", a, D(2024, 4, 1)), "联络员不存在：王明（区财政局）"),
        (("王明", UNIT, assigned.code("GHOST"), D(2024, 4, 1)), "企业不存在"),
        (("王明", UNIT, a, D(2024, 4, 1)), "该走访已记录"),
        (("王明", UNIT, a, D(2024, 4, 2), "喝茶"), "不是有效的走访方式"),
        (("王明", UNIT, a, D(2024, 4, 2), "走访", "字" * 501), "备注过长（501 字，最多 500 字）"),
        (("", UNIT, a, D(2024, 4, 2)), "姓名和派出单位不能为空"),
        (("王明", UNIT, a, None), "走访日期不能为空"),
    ]
    for args, message in cases:
        with pytest.raises(TrackerError, match=message) as caught:
            edits.add_visit(engine, *args)
        assert " / " in str(caught.value)  # Chinese and English
    assert len(entries(engine)) == logged and len(stored_visits(engine)) == 1


def test_add_visit_joins_the_callers_session(engine, assigned):
    with Session(engine) as session:
        edits.assign_liaison(session, "赵六", UNIT, assigned.code("A"), D(2024, 1, 1))
        edits.add_visit(session, "赵六", UNIT, assigned.code("A"), D(2024, 1, 2))
        session.rollback()
    assert stored_visits(engine) == []


def test_record_election_accepted_audited_and_refused(engine, world):
    world.org("O1", founded="2020-01-01")
    world.org("P", kind="committee", founded="2020-01-01", dissolved="2025-01-01")
    after = edits.record_election(engine, "O1", D(2023, 6, 1), user="组织部", source="dashboard")
    assert after == {"code": "O1", "name": "O1党组织", "kind": "branch", "term_start": "2023-06-01",
                     "term_years": None, "term_years_effective": 3, "version": 2}
    entry = [e for e in entries(engine) if e["action"] == "org.elect"][-1]
    assert (entry["kind"], entry["user"], entry["source"], entry["effective"]) == (
        "edit", "组织部", "dashboard", D(2023, 6, 1))
    assert entry["before"] == {"term_start": None, "term_years": None, "term_years_effective": 3,
                               "version": 1}
    assert entry["after"]["term_start"] == "2023-06-01"
    assert terms(engine, D(2026, 6, 1))[0].status == "overdue"

    # The next 换届, five years this time.
    edits.record_election(engine, "O1", D(2026, 6, 1), 5, expected_version=2)
    row = next(r for r in terms(engine, D(2026, 6, 2)) if r.org_code == "O1")
    assert (row.term_start, row.term_years, row.due, row.status) == (
        D(2026, 6, 1), 5, D(2031, 6, 1), "ok")
    logged = len(entries(engine))
    # The same term again changes nothing and logs nothing.
    assert edits.record_election(engine, "O1", D(2026, 6, 1), 5)["version"] == 3
    assert len(entries(engine)) == logged

    refusals = [
        (("O1", D(2019, 12, 31)), {}, "早于党组织成立日期 2020-01-01"),
        (("O1", D(2099, 1, 1)), {}, "晚于今天"),
        (("O1", D(2025, 1, 1)), {}, "早于已记录的本届开始日期 2026-06-01"),
        (("P", D(2025, 1, 1)), {}, "党组织已于 2025-01-01 撤销"),
        (("NOPE", D(2024, 1, 1)), {}, "党组织不存在：NOPE"),
        (("O1", D(2026, 7, 1), 0), {}, "任期（年）须为 1 至 10 之间的整数"),
        (("O1", D(2026, 7, 1), 11), {}, "任期（年）须为 1 至 10 之间的整数"),
        (("O1", D(2026, 7, 1)), {"expected_version": 1}, "该记录已被他人修改"),
        (("O1", None), {}, "本届开始日期不能为空"),
    ]
    for args, kwargs, message in refusals:
        with pytest.raises(TrackerError, match=message):
            edits.record_election(engine, *args, today=D(2026, 11, 27), **kwargs)
    assert len(entries(engine)) == logged

    # A wrong date already recorded is corrected, and logged as a correction.
    fixed = edits.record_election(engine, "O1", D(2026, 5, 20), 5, correct=True,
                                  today=D(2026, 11, 27))
    assert fixed["term_start"] == "2026-05-20"
    assert entries(engine, limit=1)[0]["kind"] == "correction"


def test_cli_visit_add_and_org_elect(sqlite_url, sqlite_engine, capsys):
    code = "91350100M000100Y43"
    db = ["--db", sqlite_url]
    assert run(db + ["firm", "add", code, "甲公司"]) == 0
    assert run(db + ["liaison", "assign", "张三", UNIT, code, "--date", "2024-01-15"]) == 0
    capsys.readouterr()
    assert run(db + ["visit", "add", "张三", UNIT, code, "--date", "2024-02-01", "--mode", "座谈",
                     "--note", "党建指导", "--user", "王"]) == 0
    assert '"mode": "talk"' in capsys.readouterr().out
    assert run(db + ["visit", "add", "张三", UNIT, code, "--date", "2024-01-14"]) == 1
    assert "派驻时段：2024-01-15–至今" in capsys.readouterr().err
    assert run(db + ["visit", "add", "张三", UNIT, code]) == 2  # --date is required
    assert run(db + ["org", "found", "O-1", "甲支部", "--date", "2024-02-01"]) == 0
    assert run(db + ["org", "elect", "O-1", "--date", "2024-02-01", "--years", "3"]) == 0
    assert run(db + ["org", "elect", "O-1", "--date", "2024-01-01"]) == 1
    assert "早于" in capsys.readouterr().err
    assert run(db + ["org", "elect", "O-1", "--date", "2024-01-01", "--years", "12"]) == 1
    assert [e["action"] for e in entries(sqlite_engine, limit=2)] == ["org.found", "org.elect"]
    assert [e["user"] for e in entries(sqlite_engine) if e["action"] == "visit.add"] == ["王"]
