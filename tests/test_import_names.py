"""Firms named by name in 覆盖关系, 联络员 and 走访记录; the credit-code message that does
not blame the check character; importing a real ledger on the demo store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.builders import checksum
from tracker import uscc
from tracker.chains import empty_store
from tracker.ingest import import_path
from tracker.ingest.names import NameIndex, firm_name_key
from tracker.model import Assignment, CoverageLink, Firm, Visit

A, B, C, D = (uscc.make(f"91440112{n:09d}") for n in (301, 302, 303, 304))
FIRMS = ["统一社会信用代码", "企业名称", "产业链", "入链日期"]
ORGS = ["党组织代码", "党组织名称", "成立日期"]


def book(path: Path, **sheets) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def engine(tmp_path):
    engine = empty_store(f"sqlite:///{tmp_path / 's.db'}")
    yield engine
    engine.dispose()


def firms(*rows):
    return [FIRMS, *rows]


BASE = dict(
    企业=firms([A, "广州市蓝奥生物科技有限公司", "BIO", "2022-01-01"],
             [B, "广州青松材料有限公司", "BIO", "2022-01-01"],
             [C, "青松材料（广州）有限公司", "BIO", "2022-01-01"]),
    党组织=[ORGS, ["P1", "蓝奥党支部", "2022-02-01"]],
)


def test_links_and_assignments_name_their_firm_by_name(engine, tmp_path):
    path = book(tmp_path / "a.xlsx", **BASE,
                覆盖关系=[["党组织代码", "所在单位", "开始日期"], ["P1", "蓝奥生物科技", "2022-02-01"],
                      ["P1", " 广州青松材料有限公司 ", "2022-03-01"]],
                联络员=[["姓名", "派出单位", "联系企业", "开始日期"],
                     ["王明", "区工信局", "广州蓝奥生物科技（有限）公司", "2022-03-01"]],
                走访记录=[["姓名", "派出单位", "企业名称", "走访日期"],
                      ["王明", "区工信局", "蓝奥生物科技有限公司", "2022-04-01"]])
    report = import_path(engine, path)
    assert report.exit_code == 0, [str(r) for r in report.rejections]
    found = {(m["sheet"], m["row"]): (m["credit_code"], m["matched"]) for m in report.validated.name_matches}
    assert found == {("覆盖关系", 2): (A, "广州市蓝奥生物科技有限公司"),
                     ("覆盖关系", 3): (B, "广州青松材料有限公司"),
                     ("联络员", 2): (A, "广州市蓝奥生物科技有限公司"),
                     ("走访记录", 2): (A, "广州市蓝奥生物科技有限公司")}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CoverageLink.__table__)).scalar() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(Assignment.__table__)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(Visit.__table__)).scalar() == 1
    # The store's firms are found too: a later ledger of links only.
    later = book(tmp_path / "b.xlsx", 覆盖关系=[["党组织代码", "企业名称", "开始日期"],
                                            ["P1", "广州市青松材料有限公司", "2023-01-01"]])
    report = import_path(engine, later)
    assert report.exit_code == 0 and report.validated.name_matches[0]["credit_code"] == B


def test_an_ambiguous_and_an_unknown_name_are_rejected_with_candidates(engine, tmp_path):
    before = checksum(engine)
    path = book(tmp_path / "a.xlsx", 企业=firms(
        [A, "广州青松材料有限公司", "BIO", "2022-01-01"],
        [B, "广州市青松材料有限责任公司", "BIO", "2022-01-01"],
        [C, "蓝奥生物科技有限公司", "BIO", "2022-01-01"]),
        党组织=[ORGS, ["P1", "支部", "2022-02-01"]],
        覆盖关系=[["党组织代码", "所在单位"], ["P1", "青松材料"], ["P1", "蓝奥生物制药"], ["P1", "白云机场"]])
    report = import_path(engine, path)
    assert report.exit_code == 1 and not report.written
    assert checksum(engine) == before, "all or nothing"
    by_row = {r.row: r for r in report.rejections}
    assert set(by_row) == {2, 3, 4}
    ambiguous = by_row[2]
    assert (ambiguous.sheet, ambiguous.column, ambiguous.value) == ("覆盖关系", "企业名称", "青松材料")
    assert "对应2家企业" in ambiguous.reason and A in ambiguous.reason and B in ambiguous.reason
    assert "请改填统一社会信用代码" in ambiguous.reason
    similar = by_row[3].reason
    assert "找不到名为“蓝奥生物制药”的企业" in similar and f"蓝奥生物科技有限公司（{C}）" in similar
    assert "相近的企业" not in by_row[4].reason and "请核对名称" in by_row[4].reason


def test_a_row_needs_a_code_or_a_name_and_a_code_wins(engine, tmp_path):
    path = book(tmp_path / "a.xlsx", **BASE,
                覆盖关系=[["党组织代码", "统一社会信用代码", "企业名称"], ["P1", None, None],
                      ["P1", B, "蓝奥生物科技"]])
    report = import_path(engine, path, partial=True)
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (2, "统一社会信用代码", "“统一社会信用代码”和“企业名称”须填一项")]
    with engine.connect() as conn:
        linked = conn.execute(sa.select(Firm.credit_code).join(
            CoverageLink, CoverageLink.firm_id == Firm.id)).scalars().all()
    assert linked == [B]


def test_a_name_of_a_rejected_firm_row_says_it_depends_on_it(engine, tmp_path):
    path = book(tmp_path / "a.xlsx", 企业=firms([A, "广州蓝奥有限公司", "没有这条链", None]),
                党组织=[ORGS, ["P1", "支部", "2022-02-01"]],
                覆盖关系=[["党组织代码", "所在单位"], ["P1", "蓝奥"]])
    report = import_path(engine, path)
    link = next(r for r in report.rejections if r.sheet == "覆盖关系")
    assert "依赖的行被拒绝" in link.reason and "企业 第2行" in link.reason


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["广州市", "广州", "", "广东省广州市"]), st.text(
    alphabet="蓝奥青松生物科技材料", min_size=2, max_size=8), st.sampled_from(
    ["有限公司", "有限责任公司", "公司", ""]), st.booleans(), st.booleans())
def test_name_variants_find_the_one_firm(prefix, core, suffix, wide, spaced):
    index = NameIndex({A: f"广州{core}有限公司"})
    name = prefix + core + suffix
    if spaced:
        name = " ".join(name)
    if wide:
        name = name.replace("(", "（").replace(")", "）")
    assert index.match(name).code == A
    assert firm_name_key(name) == firm_name_key(f"广州{core}有限公司")


# --------------------------------------------------------------------------- credit codes


def test_a_code_that_does_not_verify_does_not_blame_the_check_character():
    good = uscc.make("91440112MA5C1111X")
    typo = good[:5] + ("1" if good[5] != "1" else "2") + good[6:]  # a slip in position 6
    with pytest.raises(uscc.InvalidCode) as caught:
        uscc.validate(typo)
    text = str(caught.value)
    assert "不能通过校验" in text and "不一定是第18位" in text and "应为" not in text
    swapped = good[:10] + good[11] + good[10] + good[12:]
    if swapped != good and not uscc.is_valid(swapped):
        with pytest.raises(uscc.InvalidCode, match="对调第11位和第12位"):
            uscc.validate(swapped)
    # The other messages stay.
    with pytest.raises(uscc.InvalidCode, match="应为18位，实际为17位"):
        uscc.validate(good[:17])
    with pytest.raises(uscc.InvalidCode, match="不允许的字符：I"):
        uscc.validate("I" + good[1:])


# --------------------------------------------------------------------------- the demo store


def _demo(engine) -> None:
    from sqlmodel import Session

    from tracker.provenance import set_info

    path = Path(engine.url.database).with_name("demo.xlsx")
    import_path(engine, book(path, 企业=firms([D, "演示企业", "BIO", "2022-01-01"])))
    with Session(engine) as session:
        set_info(session, synthetic="true", source="合成演示数据")
        session.commit()


def _upload_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_demo_store_offers_one_confirmed_all_or_nothing_replacement(tmp_path, monkeypatch):
    from tests.test_app import CHEAP, assert_clean, open_app
    from tracker import auth
    from tracker.provenance import get_info

    for key, value in CHEAP.items():
        monkeypatch.setenv(key, value)
    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = empty_store(url)
    auth.add_user(engine, "chief", "admin", "chief-password")
    _demo(engine)
    at = open_app(url, monkeypatch, "data")
    # A ledger with a bad row: the replacement is refused as a whole, the demo stays.
    at.file_uploader(key="upload").upload("台账.xlsx", _upload_bytes(
        firms([A, "真实企业", "BIO", "2024-01-01"], ["91440112BADCODE00X", "坏", "BIO", None])),
        "application/octet-stream")
    at.run()
    assert any("演示数据" in w.value and "什么都不改变" in w.value for w in at.warning)
    assert not [c for c in at.checkbox if c.key == "partial"], "no partial import over the demo"
    assert at.button(key="confirm").label == "用此台账替换演示数据"
    assert at.button(key="confirm").disabled
    # A clean ledger: confirmed in one step, the demo data goes, the ledger comes.
    at.file_uploader(key="upload").upload("台账2.xlsx", _upload_bytes(
        firms([A, "真实企业", "BIO", "2024-01-01"])), "application/octet-stream")
    at.run()
    assert_clean(at)
    report = at.dataframe[1].value
    assert report.iloc[0]["新增"] == "1", "previewed as it will be: against an empty district"
    assert at.button(key="confirm").disabled, "not before the officer confirms"
    at.checkbox(key="replace_demo").check().run()
    at.button(key="confirm").click().run()
    assert_clean(at)
    assert any("演示数据已删除" in s.value for s in at.success)
    with engine.connect() as conn:
        assert conn.execute(sa.select(Firm.credit_code)).scalars().all() == [A]
    assert get_info(engine)["synthetic"] == "false"
