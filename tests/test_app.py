"""The dashboard, driven headless with ``streamlit.testing.v1.AppTest``.

Every page runs against a hand-built district and its figures are compared with the
command line (``tracker coverage --json``) for the same store and date; the empty store,
a chain without firms and a date before any data must show a message, never an
exception. The cache of :mod:`tracker.dashboard.views` is checked to follow the data.

Every page needs a login: the stores hold an admin (:data:`ADMIN`), and :func:`open_app`
starts the app with that admin's session token (``tests/test_app_auth.py`` tests the
login form itself, roles and scopes).
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from tests.builders import World
from tracker import auth, uscc
from tracker.chains import init_store
from tracker.cli import main
from tracker.coverage import Counts, coverage
from tracker.dashboard import TOKEN_KEY, views
from tracker.resources import APP_FILE
from tracker.scope import Scope
from tracker.store import get_engine
from tracker.vocab import PLAN_STATUS

APP = APP_FILE
PAGES = ["overview", "chain", "firms", "orgs", "liaisons", "plan", "reports", "data"]
AS_OF = "2024-06-30"
ADMIN = ("chief", "chief-password")
# A cheap argon2 cost: the tests log in often; the default cost is tested in test_auth.
CHEAP = {"TRACKER_ARGON2_TIME_COST": "1", "TRACKER_ARGON2_MEMORY_KIB": "1024",
         "TRACKER_ARGON2_PARALLELISM": "1"}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    for key, value in CHEAP.items():
        monkeypatch.setenv(key, value)


def login_token(url: str, name: str = ADMIN[0], password: str = ADMIN[1]) -> str:
    return auth.authenticate(get_engine(url), name, password).token


def cli_coverage(url: str, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--db", url, "coverage", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def open_app(url: str, monkeypatch, page: str | None = None, *,
             user: tuple[str, str] | None = ADMIN, **params: str) -> AppTest:
    """The app at ``page``, logged in as ``user`` (None: not logged in)."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.session_state[TOKEN_KEY] = login_token(url, *user)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page and page != "overview":
        at.switch_page(f"../../pages/{page}.py").run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def table_with(at: AppTest, column: str, after: int = 0):
    """The first data frame on the page (from the ``after``-th) that has ``column``."""
    for element in list(at.dataframe)[after:]:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with {column}: {[list(d.value.columns) for d in at.dataframe]}")


def _build(w: World) -> None:
    """Five firms in two chains, one organisation tree, one liaison; BIO has a master."""
    w.firm("A", chains=["BIO"], formal=5, park="广州科学城", joined="2022-01-01", master=True,
           name="甲生物科技有限公司", above_size=True)
    w.firm("B", chains=["BIO", "DISPLAY"], formal=1, street="萝岗街道", joined="2023-01-01",
           name="乙显示材料有限公司")
    w.firm("C", chains=["DISPLAY"], formal=0, joined="2023-06-01", name="丙光电有限公司")
    w.firm("D", chains=["DISPLAY"], formal=4, joined="2022-03-01", name="丁面板有限公司",
           street="萝岗街道")
    w.firm("E", chains=["BIO"], formal=2, joined="2024-06-10", name="戊医药有限公司",
           park="广州科学城")
    w.org("P", kind="committee", formation="industry", members=10, founded="2022-01-01",
          name="新型显示产业链党委")
    w.org("O1", members=5, founded="2022-06-01", parent="P", name="甲生物党支部")
    w.link("O1", "A", start="2022-06-01")
    w.liaison("联络员一号")
    w.assign("联络员一号", "B", start="2024-06-01")
    w.supply("A", "B", chain="BIO")
    w.supply("A", "E", chain="BIO")


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Stores built once per module (migrations take a while) and copied for each test."""
    folder = tmp_path_factory.mktemp("app-stores")
    empty = folder / "empty.db"
    engine = get_engine(f"sqlite:///{empty}")
    init_store(engine)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in CHEAP.items():
            mp.setenv(key, value)
        auth.add_user(engine, ADMIN[0], "admin", ADMIN[1])
    engine.dispose()
    full = folder / "district.db"
    shutil.copy(empty, full)
    engine = get_engine(f"sqlite:///{full}")
    world = World(engine)
    _build(world)
    engine.dispose()
    return {"empty": empty, "district": full, "world": world}


def _copy(templates, name: str, tmp_path: Path) -> str:
    target = tmp_path / f"{name}.db"
    shutil.copy(templates[name], target)
    views.clear_cache()
    return f"sqlite:///{target}"


@pytest.fixture
def empty_url(templates, tmp_path) -> str:
    return _copy(templates, "empty", tmp_path)


@pytest.fixture
def district(templates, tmp_path):
    """A copy of the hand-built district: (World bound to the copy, its URL)."""
    url = _copy(templates, "district", tmp_path)
    world = World(get_engine(url))
    source = templates["world"]
    world.codes, world.firm_ids = dict(source.codes), dict(source.firm_ids)
    world.org_ids, world.liaison_ids = dict(source.org_ids), dict(source.liaison_ids)
    yield world, url
    world.engine.dispose()


def test_overview_matches_cli(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, as_of=AS_OF)
    assert_clean(at)
    expected = cli_coverage(url, "--as-of", AS_OF)["total"]
    shown = metrics(at)
    assert shown["覆盖率"][0] == views.fmt_pct(expected["coverage_rate"]) == "40.0%"
    assert shown["组织覆盖率"][0] == views.fmt_pct(expected["org_coverage_rate"])
    assert shown["单独组建率"][0] == views.fmt_pct(expected["single_unit_rate"])
    assert shown["企业数"][0] == f"{expected['firms']:,}"
    # Since 2024-05-31: E joined (5th firm) and B got its liaison in June.
    before = cli_coverage(url, "--as-of", "2024-05-31")["total"]
    assert shown["企业数"][1] == f"{expected['firms'] - before['firms']:+,}" == "+1"
    assert shown["联络员数"] == ("1", "+1")
    assert shown["党组织数"] == ("2", "+0")
    delta = (expected["coverage_rate"] - before["coverage_rate"]) * 100
    assert shown["覆盖率"][1] == f"{delta:+.1f}个百分点"
    # The chain table: one row per chain, figures as `tracker coverage --by chain`.
    groups = {g["name"]: g for g in cli_coverage(url, "--as-of", AS_OF, "--by", "chain")["groups"]}
    table = table_with(at, "截止日结果")
    assert len(table) == 13
    for _, row in table.iterrows():
        group = groups[row["产业链"]]
        assert row["企业数"] == f"{group['firms']:,}"
        assert row["覆盖率"] == views.fmt_pct(group["coverage_rate"])
    # The deadline (2025-12-31) is ahead on 2024-06-30.
    assert any("还有 549 天" in s.value for s in at.subheader)


def test_overview_after_deadline_shows_result_and_today(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, as_of="2026-03-31")
    assert_clean(at)
    shown = metrics(at)
    at_deadline = cli_coverage(url, "--as-of", "2025-12-31")["total"]
    today = cli_coverage(url, "--as-of", "2026-03-31")["total"]
    assert shown["截止日覆盖率"][0] == views.fmt_pct(at_deadline["coverage_rate"])
    assert shown["统计日 2026-03-31 覆盖率"][0] == views.fmt_pct(today["coverage_rate"])
    assert any("已过 90 天" in s.value for s in at.subheader)


def test_overview_verdict_three_words_after_the_deadline(district, monkeypatch):
    """After the deadline, on a district built by hand: the verdict of the plan and three
    labelled columns instead of one "状态", the laggards first.

    On the deadline (2025-12-31) A is org-covered, B work-covered: BIO 2/3, DISPLAY 1/3,
    the district 2/5 = 40 %. On 2026-02-01 the liaison takes on C and D: on 2026-03-31
    DISPLAY is 3/3 (met; rising from 1/3 three months before), BIO still 2/3 (flat), the
    district 4/5 = 80 % (1 short of 100 %). One visit to B (2026-03-01) counts: the
    effective rate is (A + B) / 5 = 40 %.
    """
    w, url = district
    w.assign("联络员一号", "C", start="2026-02-01")
    w.assign("联络员一号", "D", start="2026-02-01")
    w.visit("联络员一号", "B", "2026-03-01")
    at = open_app(url, monkeypatch, as_of="2026-03-31")
    assert_clean(at)
    shown = metrics(at)
    assert shown["截止日覆盖率"][0] == "40.0%"
    assert shown["截止日结果"] == ("未达标", "差 3 家")
    assert shown["统计日 2026-03-31 覆盖率"] == ("80.0%", "+40.0个百分点（较截止日）")
    assert shown["趋势（近3个月）"][0] == "上升"
    assert shown["覆盖率"][0] == "80.0%" and shown["有效覆盖率"][0] == "40.0%"
    assert any("红杉林计划：截止日 2025-12-31 已过 90 天" == s.value for s in at.subheader)
    verdict = " ".join(m.value for m in at.markdown)
    assert "未达标" in verdict and "差 3 家达到目标 100.0%" in verdict
    assert "低于目标" in verdict and "还差 1 家" in verdict and "上升" in verdict
    table = table_with(at, "截止日结果")
    assert "状态" not in table.columns  # the ambiguous word is gone
    assert {"截止日结果", "统计日状态", "趋势"} <= set(table.columns)
    rows = table.set_index("产业链")
    assert list(table["产业链"][:2]) == ["生物技术", "新型显示"]  # lowest rate first
    assert tuple(rows.loc["生物技术", ["覆盖率", "截止日覆盖率", "截止日结果", "统计日状态",
                                   "趋势"]]) == ("66.7%", "66.7%", "未达标（差 1 家）", "低于目标", "持平")
    assert tuple(rows.loc["新型显示", ["覆盖率", "截止日覆盖率", "截止日结果", "统计日状态",
                                   "趋势"]]) == ("100.0%", "33.3%", "未达标（差 2 家）", "达到目标", "上升")
    assert rows.loc["新型显示", "有效覆盖率"] == "33.3%"  # B visited; C and D not
    assert rows.loc["集成电路", "统计日状态"] == "无数据"  # a chain without firms comes last
    assert list(table["统计日状态"][2:]) == ["无数据"] * 11
    # The flow since the deadline: C and D gained cover; nothing entered, left or was lost.
    assert any("2025-12-31 至 2026-03-31：新入链 0 家" in c.value and "新覆盖 2 家" in c.value
               for c in at.caption)
    # In English, the same three words.
    at = open_app(url, monkeypatch, as_of="2026-03-31", lang="English")
    assert_clean(at)
    table = table_with(at, "Result on the deadline")
    assert {"Standing on the as-of date", "Trend"} <= set(table.columns)
    assert table.iloc[0]["Result on the deadline"] == "missed (1 short)"


def test_overview_overdue_list_rows_and_links(district, monkeypatch):
    """The officer's to-do list on 2024-06-30 (window 90 days, the plan in force's):
    D in DISPLAY uncovered since it joined on 2022-03-01 (852 days), C covered by O1 from
    2023-07-01 until the link ended on 2024-01-15 (lost cover: 167 days); E joined on
    2024-06-10 (20 days: not overdue yet)."""
    w, url = district
    w.link("O1", "C", start="2023-07-01", end="2024-01-15")
    at = open_app(url, monkeypatch, as_of=AS_OF)
    assert_clean(at)
    headings = [s.value for s in at.subheader]
    assert "逾期未覆盖企业：2 家（超过 90 天）" in headings
    table = table_with(at, "未覆盖起始日")
    assert list(table["统一社会信用代码"]) == [w.code("D"), w.code("C")]
    assert list(table["企业名称"]) == ["丁面板有限公司", "丙光电有限公司"]
    assert list(table["未覆盖起始日"]) == ["2022-03-01", "2024-01-15"]
    assert list(table["天数"]) == [852, 167]
    assert list(table["原因"]) == ["新入链未覆盖", "失去覆盖"]
    assert list(table["产业链"]) == ["新型显示", "新型显示"]
    assert all(table["建议覆盖方式"])  # the planner proposes a way for each
    assert list(table["链接"]) == [
        f"/firms?firm={w.code(k)}&as_of={AS_OF}&lang=%E4%B8%AD%E6%96%87" for k in "DC"]
    # The list comes right after the headline (the first table on the page).
    assert "未覆盖起始日" in at.dataframe[0].value.columns
    # The link opens that firm directly on the firms page.
    at = open_app(url, monkeypatch, "firms", as_of=AS_OF, firm=w.code("C"))
    assert_clean(at)
    assert at.text_input(key="firm_search").value == w.code("C")
    assert at.selectbox(key="firm_pick").value == w.code("C")
    assert f"丙光电有限公司（{w.code('C')}）" in [s.value for s in at.subheader]
    # A month's losses: C lost its link in January, not in June.
    at = open_app(url, monkeypatch, as_of="2024-01-31")
    assert any(s.value == "本月失去覆盖的企业：1 家（2023-12-31 以来）" for s in at.subheader)
    lost = table_with(at, "失去的覆盖")
    assert list(lost["统一社会信用代码"]) == [w.code("C")]
    assert lost.iloc[0]["失去的覆盖"] == "覆盖关系结束：甲生物党支部（O1，2024-01-15）"


def test_orgs_page_term_board(district, monkeypatch):
    """The 换届提醒 board on 2024-06-30: T1 (branch, elected 2021-06-30: due 2024-06-30, that
    very day: overdue), T2 (committee, 2019-09-01 + 5 years: due in 63 days), T3 (branch,
    2021-12-01: due 2024-12-01, in 154 days), and P, O1, T4 without a term start."""
    w, url = district
    w.org("T1", founded="2019-01-01", term_start="2021-06-30", name="一号党支部")
    w.org("T2", kind="committee", founded="2019-01-01", term_start="2019-09-01", name="二号党委")
    w.org("T3", founded="2019-01-01", term_start="2021-12-01", name="三号党支部")
    w.org("T4", founded="2019-01-01", name="四号党支部")
    at = open_app(url, monkeypatch, "orgs", as_of=AS_OF)
    assert_clean(at)
    shown = metrics(at)
    assert [shown[k][0] for k in ("换届逾期", "3个月内到期", "6个月内到期", "未登记任期")] == \
        ["1", "1", "1", "3"]
    overdue = table_with(at, "应换届日期")
    assert list(overdue["代码"]) == ["T1"] and list(overdue["应换届日期"]) == ["2024-06-30"]
    assert list(overdue["链接"]) == [f"/orgs?org=T1&as_of={AS_OF}&lang=%E4%B8%AD%E6%96%87"]
    soon = table_with(at, "应换届日期", 1)
    assert list(soon["代码"]) == ["T2"] and list(soon["距到期（天）"]) == ["63"]
    later = table_with(at, "应换届日期", 2)
    assert list(later["代码"]) == ["T3"] and list(later["应换届日期"]) == ["2024-12-01"]
    unknown = table_with(at, "应换届日期", 3)
    assert set(unknown["代码"]) == {"P", "O1", "T4"}
    # A row's link opens the organisation.
    at = open_app(url, monkeypatch, "orgs", as_of=AS_OF, org="T2")
    assert_clean(at)
    assert "二号党委（T2）" in [s.value for s in at.subheader]
    assert any("应于 2024-09-01 换届" in w_.value and "还有 63 天" in w_.value for w_ in at.warning)


def test_liaisons_page_and_the_visit_lines(district, monkeypatch):
    """联络员一号 holds B (visited 2024-06-20) and C (never visited); 联络员二号 holds D (last
    visited 2024-01-10: outside the 90-day window). Most unvisited first: each has one, and
    the names sort 一 before 二."""
    w, url = district
    w.assign("联络员一号", "C", start="2024-01-01")
    w.liaison("联络员二号", unit="区委组织部")
    w.assign("联络员二号", "D", start="2024-01-01")
    w.visit("联络员一号", "B", "2024-06-20")
    w.visit("联络员一号", "B", "2024-06-25", mode="talk")
    w.visit("联络员二号", "D", "2024-01-10")
    at = open_app(url, monkeypatch, "liaisons", as_of=AS_OF)
    assert_clean(at)
    shown = metrics(at)
    assert shown["联络员数"][0] == "2" and shown["负责企业"][0] == "3"
    assert shown["近 90 天走访次数"][0] == "2" and shown["未按期走访企业"][0] == "2"
    people = table_with(at, "未按期走访企业")
    assert list(people["联络员姓名"]) == ["联络员一号", "联络员二号"]
    assert list(people["未按期走访企业"]) == [1, 1]
    mine = table_with(at, "计入有效覆盖")
    assert dict(zip(mine["统一社会信用代码"], mine["计入有效覆盖"])) == {
        w.code("B"): "是", w.code("C"): "否"}
    # The chain page: DISPLAY's work-covered firms with their last visit.
    at = open_app(url, monkeypatch, "chain", as_of=AS_OF, chain="DISPLAY")
    assert_clean(at)
    visits = table_with(at, "最近走访")
    assert dict(zip(visits["统一社会信用代码"], zip(visits["最近走访"], visits["计入有效覆盖"]))) == {
        w.code("B"): ("2024-06-25", "是"), w.code("C"): ("无走访记录", "否"),
        w.code("D"): ("2024-01-10", "否")}
    # The firm page of a work-covered firm says whether its last visit counts.
    at = open_app(url, monkeypatch, "firms", as_of=AS_OF, firm=w.code("D"))
    assert any("2024-01-10" in x.value and "不计入" in x.value for x in at.warning)
    at = open_app(url, monkeypatch, "firms", as_of=AS_OF, firm=w.code("B"))
    assert any("2024-06-25" in x.value and "计入有效覆盖" in x.value for x in at.success)


def test_chain_page_matches_cli_and_lists_uncovered(district, monkeypatch):
    w, url = district
    at = open_app(url, monkeypatch, "chain", as_of=AS_OF, chain="DISPLAY")
    assert_clean(at)
    assert at.title[0].value == "新型显示"
    expected = cli_coverage(url, "--as-of", AS_OF, "--chain", "DISPLAY")["total"]
    shown = metrics(at)
    assert shown["企业数"][0] == str(expected["firms"]) == "3"
    assert shown["覆盖率"][0] == views.fmt_pct(expected["coverage_rate"])
    assert shown["组织覆盖率"][0] == views.fmt_pct(expected["org_coverage_rate"])
    uncovered = table_with(at, "未覆盖原因")
    assert set(uncovered["统一社会信用代码"]) == {w.code("C"), w.code("D")}
    reasons = dict(zip(uncovered["统一社会信用代码"], uncovered["未覆盖原因"]))
    assert "4名正式党员" in reasons[w.code("D")]
    assert reasons[w.code("C")].startswith("无党员")
    # The URL names the chain, so the view can be shared.
    assert at.query_params["chain"] == "DISPLAY"
    assert at.query_params["as_of"] == AS_OF


def test_chain_page_master_and_network(district, monkeypatch):
    w, url = district
    at = open_app(url, monkeypatch, "chain", as_of=AS_OF, chain="BIO")
    assert_clean(at)
    masters = at.dataframe[1].value
    assert list(masters["统一社会信用代码"]) == [w.code("A")]
    assert masters["覆盖党组织"][0] == "甲生物党支部"
    G = views.chain_graph(w.engine, "BIO", date(2024, 6, 30))
    firms = {d["credit_code"] for _, d in G.nodes(data=True) if d["type"] == "firm"}
    assert firms == {w.code("A"), w.code("B"), w.code("E")}


def test_chain_without_firms(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, "chain", as_of=AS_OF, chain="AUTO")
    assert_clean(at)
    assert any("没有企业" in i.value for i in at.info)


def test_firms_page_search_and_history(district, monkeypatch):
    w, url = district
    at = open_app(url, monkeypatch, "firms", as_of=AS_OF)
    assert_clean(at)
    assert len(at.dataframe[0].value) == 5
    at.text_input(key="firm_search").input("显示").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["统一社会信用代码"]) == [w.code("B")]
    at.text_input(key="firm_search").input("").run()
    at.multiselect(key="f_status").set_value(["none"]).run()
    assert set(at.dataframe[0].value["统一社会信用代码"]) == {w.code(k) for k in "CDE"}
    # The history of B: uncovered from joining until the liaison came on 2024-06-01.
    at.multiselect(key="f_status").set_value([]).run()
    at.selectbox(key="firm_pick").set_value(w.code("B")).run()
    assert_clean(at)
    history = at.dataframe[1].value
    assert list(history["状态"]) == ["未覆盖", "工作覆盖"]
    assert list(history["起"]) == ["2023-01-01", "2024-06-01"]
    assert at.query_params["firm"] == w.code("B")


def test_firm_history_periods(district):
    w, _ = district
    w.link("O1", "C", start="2023-09-01", end="2024-02-01")
    history = views.firm_history(w.engine, w.code("C"), date(2024, 6, 30))
    assert [(r.start, r.end, r.status) for r in history.itertuples()] == [
        (date(2023, 6, 1), date(2023, 9, 1), "none"),
        (date(2023, 9, 1), date(2024, 2, 1), "org"),
        (date(2024, 2, 1), date(2024, 7, 1), "none"),
    ]
    # Each period's status is what coverage says on its first day.
    for row in history.itertuples():
        frame = views.firm_table(w.engine, row.start)
        assert frame.set_index("credit_code").loc[w.code("C"), "status"] == row.status
    assert views.firm_history(w.engine, "91440112MA0000000X", date(2024, 1, 1)).empty


def test_orgs_page_tree_and_findings(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, "orgs", as_of=AS_OF)
    assert_clean(at)
    tree = table_with(at, "含下级党员")
    assert list(tree["代码"]) == ["P", "O1"]
    top = tree.iloc[0]
    assert top["含下级党员"] == 15 and top["含下级覆盖企业"] == 1 and top["直接覆盖企业"] == 0
    # D has 4 formal members and no organisation: rule R1 with its article.
    labels = [e.label for e in at.expander]
    assert any(label.startswith("R1") for label in labels)
    assert any("党章" in c.value or "章程" in c.value for c in at.caption)


def test_uncovered_reason_texts():
    assert "单独组建" in views.uncovered_reason(3, 0, None)
    assert "不足3名" in views.uncovered_reason(2, 1, None)
    assert "预备党员1名" in views.uncovered_reason(0, 1, None)
    assert "2024-01-01" in views.uncovered_reason(0, 0, date(2024, 1, 1))
    assert views.uncovered_reason(5, 0, None, "en").startswith("5 formal members")


def _workbook(code: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "企业名称", "产业链", "正式党员数", "入链日期"])
    ws.append([code, "己新材料有限公司", "NEWMAT", 2, "2024-01-15"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_data_page_upload_preview_confirm(district, monkeypatch):
    w, url = district
    code = uscc.make("91440112" + "123456780")
    at = open_app(url, monkeypatch, "data", as_of=AS_OF)
    assert_clean(at)
    assert at.get("download_button"), "the template download is offered"
    at.file_uploader(key="upload").upload("台账.xlsx", _workbook(code),
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    at.run()
    assert_clean(at)
    report = at.dataframe[1].value
    assert report.iloc[0]["工作表"] == "企业" and report.iloc[0]["新增"] == "1"
    assert views.firm_history(w.engine, code, date(2024, 6, 30)).empty, "a preview writes nothing"
    at.button(key="confirm").click().run()
    assert_clean(at)
    assert any("导入完成" in s.value for s in at.success)
    assert cli_coverage(url, "--as-of", AS_OF, "--chain", "NEWMAT")["total"]["firms"] == 1
    assert any(r["entity_key"] == code for r in views.recent_audit(w.engine, 10))
    # The overview follows the import at once: the cache is keyed by the data version.
    at.switch_page("../../pages/overview.py").run()
    assert metrics(at)["企业数"][0] == "6"


def test_data_page_rejects_bad_rows(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, "data", as_of=AS_OF)
    at.file_uploader(key="upload").upload("台账.xlsx", _workbook("91440112BADCODE00X"),
                                          "application/octet-stream")
    at.run()
    assert not at.exception
    assert at.error, "the validation report says what is wrong"
    assert at.button(key="confirm").disabled


@pytest.mark.parametrize("page", PAGES)
def test_empty_store(empty_url, monkeypatch, page):
    at = open_app(empty_url, monkeypatch, page, as_of=AS_OF)
    assert_clean(at)
    if page in ("overview", "firms"):
        assert any("还没有企业数据" in i.value for i in at.info)
    if page == "chain":
        assert any("没有企业" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_date_before_any_data(district, monkeypatch, page):
    _, url = district
    at = open_app(url, monkeypatch, page, as_of="2001-01-01")
    assert_clean(at)
    if page in ("overview", "firms"):
        assert any("2022-01-01" in i.value for i in at.info)


def test_as_of_control_is_kept_in_the_url(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, as_of="2023-12-31")
    assert at.date_input(key="as_of").value == date(2023, 12, 31)
    first = metrics(at)["企业数"][0]
    at.date_input(key="as_of").set_value(date(2024, 6, 30)).run()
    assert_clean(at)
    assert (first, metrics(at)["企业数"][0]) == ("4", "5")
    # The date survives a page switch, and the page shows that date. (That the browser's
    # URL follows the control is checked in Chromium: tests/e2e.)
    at.switch_page("../../pages/chain.py").run()
    assert at.date_input(key="as_of").value == date(2024, 6, 30)
    assert any("统计日：2024-06-30" in c.value for c in at.caption)


def test_bad_url_date_and_english(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, as_of="not-a-date", lang="English")
    assert_clean(at)
    assert at.date_input(key="as_of").value == date.today()
    assert at.title[0].value == "Overview"
    assert "Coverage" in metrics(at)


def test_synthetic_banner_and_provenance(district, monkeypatch):
    w, url = district
    from sqlmodel import Session

    from tracker.provenance import set_info

    with Session(w.engine) as session:
        set_info(session, synthetic="true", source="合成演示数据")
        session.commit()
    for page in PAGES:
        at = open_app(url, monkeypatch, page, as_of=AS_OF)
        assert any("演示数据" in x.value for x in at.warning), page
        footer = at.caption[-1].value
        assert "统计日：2024-06-30" in footer and "统计口径" in footer and "合成演示数据" in footer


def test_cache_follows_the_data(district):
    w, _ = district
    day = date(2024, 6, 30)
    first = views.overview(w.engine, day)
    assert views.overview(w.engine, day) is first, "an unchanged store is answered from memory"
    version = views.data_version(w.engine)
    w.assign("联络员一号", "C", start="2024-01-01")
    assert views.data_version(w.engine) != version
    second = views.overview(w.engine, day)
    assert second.total.work_covered == first.total.work_covered + 1
    assert second.total == coverage(w.engine, day).total
    # An in-place edit (an end date filled in) changes the version as well.
    from sqlalchemy import update

    from tracker.model import Assignment

    version = views.data_version(w.engine)
    with w.engine.begin() as conn:
        conn.execute(update(Assignment).values(end=date(2024, 6, 15)))
    assert views.data_version(w.engine) != version
    assert views.overview(w.engine, day).total.work_covered == 0


def test_data_version_of_an_sqlite_file_is_read_again_only_after_a_commit(district, tmp_path,
                                                                         monkeypatch):
    """On an SQLite file the aggregates are read again only when SQLite's change counter
    says something was committed: not while nothing is, again after a commit of any other
    connection (another engine, as another process would be) and after the file was
    replaced (a restore). A session's own write (its "last seen") is read again but is not
    data: the version, and the cached figures, stay."""
    import shutil
    import sqlite3
    from pathlib import Path

    from sqlalchemy import create_engine, update

    from tracker.dashboard.views import cache
    from tracker.model import Firm

    w, url = district
    reads = []
    real = cache.aggregate_version
    monkeypatch.setattr(cache, "aggregate_version", lambda e: reads.append(1) or real(e))
    first = views.data_version(w.engine)
    assert views.data_version(w.engine) == first
    day = date.fromisoformat(AS_OF)
    figures = views.overview(w.engine, day)  # reading changes nothing
    assert views.data_version(w.engine) == first and len(reads) == 1
    # Not data: the version and the figures stay, after one more reading of the aggregates.
    login_token(url)  # a sign-in: a session row written
    assert views.data_version(w.engine) == first and len(reads) == 2
    assert views.overview(w.engine, day) is figures
    path = w.engine.url.database
    with sqlite3.connect(path) as source, sqlite3.connect(tmp_path / "copy.db") as copy:
        source.backup(copy)  # a backup of the state before the update
    other = create_engine(f"sqlite:///{path}")  # its own pool, as another process's
    with other.begin() as conn:
        conn.execute(update(Firm).values(formal_members=Firm.formal_members + 1))
    other.dispose()
    second = views.data_version(w.engine)
    assert second != first and len(reads) == 3
    # The file replaced by the backup (a restore of the state before the update).
    w.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    shutil.move(tmp_path / "copy.db", path)
    assert views.data_version(w.engine) == first and len(reads) == 4


def test_burnup_series_matches_coverage(district):
    w, _ = district
    day = date(2024, 6, 30)
    series = views.burnup_series(w.engine, day, Scope.of(chains=["BIO"]), "BIO")
    assert series["date"].iloc[0] == date(2022, 1, 31)
    assert series["date"].iloc[-1] == day
    for row in series.iloc[::7].itertuples():
        counts = coverage(w.engine, row.date, scope=Scope.of(chains=["BIO"])).total
        assert (row.firms, row.covered) == (counts.firms, counts.covered)


def test_formatting_and_gap():
    assert views.fmt_pct(None) == "—" and views.fmt_pct(1) == "100.0%"
    assert views.fmt_int(1234567) == "1,234,567"
    assert views.fmt_delta_pp(0.5, 0.25) == "+25.0个百分点"
    assert Counts(firms=20, org_covered=18).gap_to(0.95) == 1
    assert Counts(firms=20, org_covered=19).gap_to(0.95) == 0


def test_plan_page_matches_planner_and_forecast(district, monkeypatch):
    w, url = district
    from tracker.planning.forecast import forecast
    from tracker.planning.plan import plan_store

    at = open_app(url, monkeypatch, "plan", as_of=AS_OF)
    assert_clean(at)
    shown = metrics(at)
    result = plan_store(w.engine, date(2024, 6, 30))
    assert shown["当前覆盖率"][0] == views.fmt_pct(result.coverage_before)
    assert shown["执行方案后"][0] == views.fmt_pct(result.coverage_after)
    assert shown["新建党组织"][0] == str(result.totals["new_orgs"])
    expected = forecast(w.engine, date(2024, 6, 30)).district
    assert shown["计划截止日状态"][0] == PLAN_STATUS.label(expected.status)
    actions = at.dataframe[-1].value
    assert actions["企业数"].sum() == sum(len(a.firms) for a in result.actions)
    # The chain page shows the planner's way for each uncovered firm.
    at.switch_page("../../pages/chain.py").run()
    assert "建议覆盖方式" in table_with(at, "未覆盖原因").columns


def test_reports_page_makes_a_download(district, monkeypatch):
    _, url = district
    at = open_app(url, monkeypatch, "reports", as_of=AS_OF)
    assert_clean(at)
    assert not at.get("download_button")
    at.selectbox(key="r_fmt").set_value("csv").run()
    at.multiselect(key="r_chains").set_value(["BIO"]).run()
    at.button(key="r_make").click().run()
    assert_clean(at)
    assert at.get("download_button")
    # Another date is another report: the old file is not offered for it.
    at.date_input(key="as_of").set_value(date(2024, 5, 31)).run()
    assert not at.get("download_button")
