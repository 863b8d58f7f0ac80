"""Header recognition: the synonym list (data/header_synonyms.csv), the header row under a
title block, --map, unrecognised columns listed, and the mapping remembered."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tracker import uscc
from tracker.chains import empty_store
from tracker.cli import run
from tracker.ingest import MapError, ReadError, import_path, parse_map
from tracker.ingest import headers as H
from tracker.ingest.template import SHEETS, columns_of

A = uscc.make("91440112000000201")

#: The synonyms issue 18 asks for, standard header ← other words.
REQUIRED = {
    "统一社会信用代码": ["社会信用代码", "信用代码", "统一代码", "统一社会信用代码（18位）"],
    "企业名称": ["企业全称", "单位名称", "单位全称", "企业（单位）名称"],
    "产业链": ["所属产业链", "产业链名称", "所属链条"],
    "环节": ["产业链环节", "上中下游"],
    "所在园区": ["园区", "所属园区"],
    "所在街道": ["街道", "镇街", "所属街道（镇）"],
    "正式党员数": ["正式党员", "正式党员人数"],
    "预备党员数": ["预备党员", "预备党员人数"],
    "入链日期": ["纳入日期", "入链时间"],
    "党组织名称": ["党组织全称"],
    "党组织代码": ["组织代码"],
    "成立日期": ["成立时间", "组建日期"],
}


def sheet_of(standard: str) -> str:
    return next(s for s in SHEETS if any(c.header == standard for c in SHEETS[s]))


@pytest.mark.parametrize("standard, word", [(s, w) for s, words in REQUIRED.items() for w in words])
def test_every_required_synonym_is_recognised(standard, word):
    column, how = H.lookup(sheet_of(standard), word)
    assert column is not None and column.header == standard and how == "synonym"


def _synonym_lines() -> list[tuple[str, str, str]]:
    with open(H.SYNONYMS_FILE, encoding="utf-8-sig", newline="") as handle:
        return [tuple(r[:3]) for r in list(csv.reader(handle))[1:] if r and r[0:1] != ["#"]]


def test_every_line_of_the_synonym_file_is_recognised_where_it_applies():
    lines = _synonym_lines()
    assert len(lines) >= 100
    for sheet, standard, word in lines:
        names = [sheet] if sheet else [s for s in SHEETS
                                       if any(c.header == standard for c in columns_of(s))]
        assert names, (standard, word)
        for name in names:
            column, _ = H.lookup(name, word)
            assert column is not None and column.header == standard, (name, standard, word)


def test_no_word_names_two_columns_of_one_sheet_and_standard_headers_stay_exact():
    for sheet in SHEETS:
        for column in columns_of(sheet):
            assert H.lookup(sheet, column.header) == (column, "exact")
            assert H.lookup(sheet, column.alias)[0] is column


_WIDE = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
_OPEN, _CLOSE = "（([【〔", "）)]】〕"


@st.composite
def spelling(draw):
    """A synonym (or standard header) of the list, written the way a person might: some
    characters full width, spaces anywhere, another kind of bracket, a trailing * or colon."""
    sheet, standard, word = draw(st.sampled_from(_synonym_lines() + [
        ("", c.header, c.header) for s in SHEETS for c in SHEETS[s]]))
    kind = draw(st.integers(0, len(_OPEN) - 1))
    out = []
    for ch in word:
        if ch in "（(":
            ch = _OPEN[kind]
        elif ch in "）)":
            ch = _CLOSE[kind]
        elif ch in _WIDE and draw(st.booleans()):
            ch = _WIDE[ch]
        out.append(ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "\u3000", "\t"])))
    text = draw(st.sampled_from(["", " "])) + "".join(out) + draw(st.sampled_from(["", "*", "：", ":"]))
    return sheet, standard, text


@settings(max_examples=300, deadline=None)
@given(spelling())
def test_random_spellings_of_the_synonym_list_are_recognised(case):
    sheet, standard, text = case
    names = [sheet] if sheet else [s for s in SHEETS if any(c.header == standard for c in columns_of(s))]
    for name in names:
        column, _ = H.lookup(name, text)
        assert column is not None and column.header == standard, (name, text)


def test_the_synonym_file_is_data(tmp_path, monkeypatch):
    own = tmp_path / "syn.csv"
    own.write_text(H.SYNONYMS_FILE.read_text(encoding="utf-8") + ",所在园区,落户载体\n",
                   encoding="utf-8")
    assert H.lookup("企业", "落户载体") == (None, None)
    monkeypatch.setattr(H, "SYNONYMS_FILE", own)
    assert H.lookup("企业", "落户载体")[0].header == "所在园区"
    own.write_text("工作表,标准列名,同义词\n,不存在的列,某词\n", encoding="utf-8")
    with pytest.raises(Exception, match="不是任何工作表的标准列名"):
        H.lookup("企业", "园区")


# --------------------------------------------------------------------------- workbooks


def ledger(path: Path, headers: list, rows: list, title: list[list] = (), sheet="企业") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in title:
        ws.append(line)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


FIRM = [A, "广州某生物科技有限公司", "BIO", "上游", 4]


def test_header_under_a_three_row_title_block(tmp_path):
    path = ledger(tmp_path / "t.xlsx", ["社会信用代码", "企业全称", "所属产业链", "上中下游", "正式党员人数"],
                  [FIRM], title=[["黄埔区企业党建台账"], ["填报单位：某局", None, "2024年"], []])
    engine = empty_store(f"sqlite:///{tmp_path / 's.db'}")
    report = import_path(engine, path)
    assert report.exit_code == 0 and report.counts["企业"].added == 1
    raw = report.sheets["企业"]
    assert raw.header_row == 4 and raw.rows[0].number == 5
    assert [m["how"] for m in raw.mapping()] == ["synonym"] * 5


def test_header_row_anywhere_in_the_first_15_rows(tmp_path):
    headers = ["统一社会信用代码", "企业名称"]
    fine = ledger(tmp_path / "a.xlsx", headers, [FIRM[:2]], title=[[f"说明{i}"] for i in range(14)])
    engine = empty_store(f"sqlite:///{tmp_path / 's.db'}")
    assert import_path(engine, fine, dry_run=True).sheets["企业"].header_row == 15
    late = ledger(tmp_path / "b.xlsx", headers, [FIRM[:2]], title=[[f"说明{i}"] for i in range(15)])
    with pytest.raises(ReadError, match="找不到表头（前15行"):
        import_path(engine, late, dry_run=True)


def test_unrecognised_columns_are_listed_never_silent(tmp_path, capsys):
    path = ledger(tmp_path / "t.xlsx", ["统一社会信用代码", "企业名称", "联系电话", "备注（内部）"], [FIRM[:2]])
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", url, "init"]) == 0
    capsys.readouterr()
    assert run(["--db", url, "import", str(path), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sheets"]["企业"]["unmatched"] == ["联系电话", "备注（内部）"]


def test_map_option_completes_and_overrides_recognition(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", url, "init"]) == 0
    path = ledger(tmp_path / "t.xlsx", ["代码号", "企业名称", "园区", "所在地"],
                  [[A, "广州某公司", "科学城", "知识城"]])
    assert run(["--db", url, "import", str(path), "--quiet"]) == 2  # no credit code column
    assert "缺少必填列 统一社会信用代码" in capsys.readouterr().err
    assert run(["--db", url, "import", str(path), "--quiet", "--map", "代码号=统一社会信用代码",
                "--map", "园区=", "--map", "企业:所在地=所在园区", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    used = {m["column"]: (m["standard"], m["how"]) for m in data["sheets"]["企业"]["mapping"]}
    assert used == {"代码号": ("统一社会信用代码", "map"), "企业名称": ("企业名称", "exact"),
                    "园区": (None, "map"), "所在地": ("所在园区", "map")}
    assert data["remembered_mappings"] == 1
    # The next file with the same headers is read the same way without --map.
    assert run(["--db", url, "import", str(path), "--quiet", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sheets"]["企业"]["unchanged"] == 1
    assert {m["how"] for m in data["sheets"]["企业"]["mapping"]} == {"remembered"}
    # A --map that names no column is refused before anything is read (exit code 2).
    assert run(["--db", url, "import", str(path), "--map", "代码号=电话"]) == 2
    assert "不是标准列名" in capsys.readouterr().err


def test_parse_map_forms():
    assert parse_map(["Ｘ 列 = 信用代码", "企业:备注=", "firms:园区名=园区"]) == {
        None: {"x列": "信用代码"}, "企业": {"备注": None, "园区名": "园区"}}
    for bad in ["没有等号", "=企业名称", "a=不存在的列"]:
        with pytest.raises(MapError):
            parse_map([bad])


def test_two_headers_for_one_column_the_chosen_one_wins(tmp_path):
    path = ledger(tmp_path / "t.xlsx", ["统一社会信用代码", "企业名称", "企业全称"], [[A, "甲", "乙"]])
    engine = empty_store(f"sqlite:///{tmp_path / 's.db'}")
    report = import_path(engine, path, dry_run=True)
    assert report.sheets["企业"].unmatched == ["企业全称"], "the exact header beats a synonym"
    report = import_path(engine, path, dry_run=True, mapping=["企业全称=企业名称", "企业名称="])
    assert report.sheets["企业"].unmatched == ["企业名称"]
    assert report.validated.records["企业"][0].values["name"] == "乙"
    with pytest.raises(ReadError, match="都对应“企业名称”"):
        import_path(engine, ledger(tmp_path / "u.xlsx", ["信用代码", "单位名称", "企业全称"],
                                   [[A, "甲", "乙"]]), dry_run=True)


# --------------------------------------------------------------------------- dashboard


def _bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_preview_mapping_is_changed_and_remembered_across_two_uploads(tmp_path, monkeypatch):
    from tests.test_app import CHEAP, assert_clean, open_app
    from tracker import auth

    for key, value in CHEAP.items():
        monkeypatch.setenv(key, value)
    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = empty_store(url)
    auth.add_user(engine, "chief", "admin", "chief-password")
    headers = ["单位代码号", "企业名称", "落户地", "正式党员数"]
    b = uscc.make("91440112000000202")
    at = open_app(url, monkeypatch, "data")
    at.file_uploader(key="upload").upload("一月.xlsx", _bytes(headers, [[A, "甲公司", "科学城", 3]]), XLSX)
    at.run()
    # 单位代码号 names nothing: the sheet lacks its credit code column, and the preview
    # offers the mapping that completes it.
    assert any("缺少必填列" in e.value for e in at.error)
    box = next(s for s in at.selectbox if s.label == "单位代码号（未识别）")
    assert box.value == ""
    box.set_value("credit_code").run()
    assert_clean(at)
    park = next(s for s in at.selectbox if s.label.startswith("落户地"))
    park.set_value("park").run()
    assert_clean(at)
    report = at.dataframe[1].value
    assert report.iloc[0]["新增"] == "1" and report.iloc[0]["格式"] == "xlsx"
    at.button(key="confirm").click().run()
    assert_clean(at)
    assert any("已记住 1 个工作表的列对应" in s.value for s in at.success)
    # A second file with the same headers: read with the confirmed mapping at once.
    at.file_uploader(key="upload").upload("二月.xlsx", _bytes(headers, [[b, "乙公司", "知识城", 2]]), XLSX)
    at.run()
    assert_clean(at)
    boxes = {s.label: s.value for s in at.selectbox if s.key and s.key.startswith("map|")}
    assert boxes == {"单位代码号（上次确认）": "credit_code", "企业名称（上次确认）": "name",
                     "落户地（上次确认）": "park", "正式党员数（上次确认）": "formal_members"}
    at.button(key="confirm").click().run()
    assert_clean(at)
    from tracker.dashboard.editing import firm_record

    assert firm_record(engine, b)["park"] == "知识城"
