"""Ledgers as offices save them: .xlsx, .xls (Excel 97-2003, WPS's default), .ods, .xlsb.

The same hand-built district (tests/fixtures/make_ledgers.py: a title block, other header
words, a formula, date cells and dates as text, firms named by name), saved by
LibreOffice in three formats, gives identical stores; the result says per sheet the
format read, the header row found, the mapping used and the counts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.fixtures.make_ledgers import FORMATS, A, B, C, build
from tracker.chains import empty_store
from tracker.cli import run
from tracker.ingest import ReadError, import_path
from tracker.model import (
    Assignment,
    ChainMembership,
    CoverageLink,
    Firm,
    Liaison,
    PartyOrg,
    SupplyLink,
    Visit,
)

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = (Firm, ChainMembership, PartyOrg, CoverageLink, Liaison, Assignment, SupplyLink, Visit)


def store(tmp_path: Path, name: str):
    return empty_store(f"sqlite:///{tmp_path / name}.db")


def domain_rows(engine) -> dict[str, list]:
    """Every row of the district's tables (ids included: the same insert order)."""
    with engine.connect() as conn:
        return {m.__tablename__: sorted(map(repr, conn.execute(sa.select(m.__table__)).all()))
                for m in DOMAIN}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The three shipped fixtures and the openpyxl-built workbook, each imported into a
    fresh store: format → (report, engine)."""
    folder = tmp_path_factory.mktemp("formats")
    out = {}
    for fmt in FORMATS:
        engine = store(folder, fmt)
        out[fmt] = (import_path(engine, FIXTURES / f"ledger.{fmt}"), engine)
    built = build(folder / "built.xlsx", formula=False)
    engine = store(folder, "built")
    out["built"] = (import_path(engine, built), engine)
    yield out
    for _, engine in out.values():
        engine.dispose()


def test_the_same_district_from_xlsx_xls_and_ods_gives_identical_stores(imported):
    rows = {fmt: domain_rows(engine) for fmt, (_, engine) in imported.items()}
    for fmt, (report, _) in imported.items():
        assert report.exit_code == 0, (fmt, [str(r) for r in report.rejections])
        assert report.written
    assert rows["xls"] == rows["xlsx"] == rows["ods"] == rows["built"]
    assert len(rows["xlsx"]["firm"]) == 3 and len(rows["xlsx"]["coverage_link"]) == 2
    assert len(rows["xlsx"]["assignment"]) == 1


def test_cached_formula_values_and_dates_are_read(imported):
    _, engine = imported["xls"]
    with engine.connect() as conn:
        firms = {r.credit_code: r for r in conn.execute(sa.select(Firm.__table__))}
        joined = dict(conn.execute(
            sa.select(Firm.credit_code, ChainMembership.joined)
            .join(Firm, Firm.id == ChainMembership.firm_id)).all())
    assert firms[A].formal_members == 5, "=2+3 read as the value LibreOffice saved"
    assert firms[A].name == "广州市蓝奥生物科技有限公司" and firms[A].park == "广州科学城"
    assert str(joined[A]) == "2022-01-01" and str(joined[B]) == "2023-03-01"
    assert str(joined[C]) == "2023-06-15"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_result_says_format_header_row_mapping_and_counts(imported, fmt):
    report, _ = imported[fmt]
    info = report.as_dict()["sheets"]
    firms = info["企业"]
    assert firms["format"] == fmt and firms["header_row"] == 4
    assert (firms["rows"], firms["added"], firms["updated"], firms["unchanged"],
            firms["rejected"]) == (3, 3, 0, 0, 0)
    assert firms["unmatched"] == ["序号", "备注"]
    used = {m["column"]: (m["standard"], m["how"]) for m in firms["mapping"]}
    assert used["社会信用代码"] == ("统一社会信用代码", "synonym")
    assert used["企业全称"] == ("企业名称", "synonym") and used["序号"] == (None, None)
    assert info["党组织"]["header_row"] == 2, "under a one-row title"
    assert info["覆盖关系"]["mapping"][1] == {"column": "所在单位", "standard": "企业名称",
                                           "how": "synonym"}
    assert "format" not in info["供应关系"], "a sheet not in the file has counts only"


def test_cli_prints_the_sheet_facts_and_json_carries_them(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", url, "init"]) == 0
    capsys.readouterr()
    assert run(["--db", url, "import", str(FIXTURES / "ledger.xls"), "--dry-run", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "企业（ledger.xls#企业）：格式 xls，表头在第4行" in out
    assert "社会信用代码→统一社会信用代码（同义词）" in out
    assert "未识别的列（未导入）：序号、备注" in out
    assert "按名称匹配：覆盖关系 第2行 “蓝奥生物科技” → 广州市蓝奥生物科技有限公司" in out
    assert run(["--db", url, "import", str(FIXTURES / "ledger.ods"), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sheets"]["企业"]["format"] == "ods" and data["sheets"]["企业"]["added"] == 3
    assert len(data["name_matches"]) == 3


def test_a_workbook_is_known_by_its_bytes_and_folders_take_every_format(tmp_path):
    shutil.copy(FIXTURES / "ledger.xls", tmp_path / "台账.dat")
    report = import_path(store(tmp_path, "a"), tmp_path / "台账.dat", dry_run=True)
    assert report.exit_code == 0 and report.sheets["企业"].fmt == "xls"
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(FIXTURES / "ledger.ods", folder / "台账.ods")
    report = import_path(store(tmp_path, "b"), folder, dry_run=True)
    assert report.counts["企业"].added == 3


@pytest.mark.parametrize("name, data, needle", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "不是有效的 .xls 文件"),
    ("broken.ods", b"PK\x03\x04 not a zip", "不是有效的 .ods 文件"),
    ("broken.xlsb", b"junk", "不是有效的 .xlsb 文件"),
])
def test_a_damaged_workbook_is_refused_with_advice(tmp_path, name, data, needle):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ReadError, match=needle) as caught:
        import_path(store(tmp_path, "s"), tmp_path / name)
    assert "另存为 .xlsx" in str(caught.value)
