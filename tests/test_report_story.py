"""The reader's story of the written report (issue 16): what a leader reads on page 1.

The first section (一、总体判断和建议) gives the verdict on the deadline with the days past
it and the rates then and now (:mod:`tracker.verdict`'s figures), the lagging chains by
coverage rate with their lead departments (the chain list's), and the measures, whose
counts by chain and by street or park add up to the planner's (:mod:`tracker.planning`).
Titles come from one template that never repeats a word; dates are written in Arabic
numerals (GB/T 9704-2012), the data date and the generation date each named for what it is.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_reports import AFTER, AS_OF, build_after, build_district
from tracker.chains import read_chain_list
from tracker.demo import load_demo
from tracker.i18n import percent, t
from tracker.planning import plan_store
from tracker.reports.charts import ChartSet
from tracker.reports.content import (
    LEAD_LAGGARDS,
    data_date,
    gather,
    issued_date,
    report_title,
    scope_phrase,
    title_text,
)
from tracker.reports.outline import Heading, Para, Signature, Table, Title, build, section_number
from tracker.scope import Scope
from tracker.verdict import verdict

CHAINS = read_chain_list()
LEADS = {row.code: row.lead_department for row in CHAINS}
NO_CHARTS = ChartSet(error="no browser")


def _blocks_text(blocks) -> list[str]:
    """Every piece of text of the outline, in order (titles, paragraphs, table cells)."""
    out = []
    for b in blocks:
        if isinstance(b, Title):
            out += [b.text, b.banner or ""]
        elif isinstance(b, (Heading, Para)):
            out.append(b.text)
        elif isinstance(b, Table):
            out += [b.caption, *b.headers, *(cell for row in b.rows for cell in row), b.note or ""]
        elif isinstance(b, Signature):
            out += [b.issuer, b.date_text]
    return out


def _first_section(blocks) -> list[str]:
    """The paragraphs of section 一 (the page-1 story)."""
    heads = [i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 1]
    return [b.text for b in blocks[heads[0] + 1:heads[1]] if isinstance(b, Para)]


def _points(change: float) -> str:
    return f"{abs(round(change * 100, 1)):.1f}个百分点"


# --------------------------------------------------------------------------- page 1


def test_first_section_tells_the_verdict_with_verdict_figures(sqlite_engine):
    build_after(sqlite_engine)
    c = gather(sqlite_engine, AFTER)
    v = verdict(sqlite_engine, c.ended.plan, AFTER)
    d = v.district
    blocks = build(c, NO_CHARTS)
    assert isinstance(blocks[0], Title) and blocks[0].text == report_title(c)
    first = next(b for b in blocks if isinstance(b, Heading))
    assert first.text == "一、总体判断和建议" and first.level == 1
    story = _first_section(blocks)
    assert story == c.summary["lead"]
    # The verdict opens the story: the days past the deadline, the rate on it, now, the change.
    assert v.days_past_deadline == 181
    assert story[0] == (
        f"“红杉林计划”截止日（2025年12月31日）已过{v.days_past_deadline}天："
        f"截止日全区产业链覆盖率{percent(d.at_deadline.coverage_rate)}（未达标，差{d.short_at_deadline}家），"
        f"统计日{percent(d.now.coverage_rate)}（低于目标，差{d.short_now}家），"
        f"较截止日下降{_points(d.change)}。")
    assert (percent(d.at_deadline.coverage_rate), percent(d.now.coverage_rate)) == ("71.4%", "60.0%")
    # The laggards, lowest rate first, each with its lead department from the chain list.
    assert story[1] == ("低于目标的产业链2条，按覆盖率从低到高依次为："
                        f"汽车制造（智能网联与新能源汽车）50.0%（{LEADS['AUTO']}牵头）、"
                        f"生物技术66.7%（{LEADS['BIO']}牵头）。")
    # The measures, with the owners and the due date (the plan's 90-day cover window).
    assert "由各产业链牵头部门会同属地街道（园区）于2026年9月28日前完成" in story[2]
    assert c.action_due == date(2026, 9, 28)
    # The one definition of the coverage rate, and the liaison-only count by its own name.
    assert story[-1].startswith("注：覆盖率 =（组织覆盖 + 工作覆盖）÷ 企业数；工作覆盖（联络员/指导员）")


def test_laggards_are_sorted_by_rate_not_by_firms_short(sqlite_engine):
    """BIO is 2 firms short at 60 %, AUTO 1 firm short at 50 %: AUTO leads, BIO comes last."""
    build_district(sqlite_engine)
    c = gather(sqlite_engine, AS_OF)
    lag = c.laggards
    assert [ch.key for ch in lag] == ["AUTO", "DISPLAY", "BIO"]
    assert [ch.gap for ch in lag] == [1, 2, 2]  # by firms short AUTO would come last
    rates = [ch.counts.coverage_rate for ch in lag]
    assert rates == sorted(rates)
    assert [ch.lead_department for ch in lag] == [LEADS["AUTO"], LEADS["DISPLAY"], LEADS["BIO"]]
    story = c.summary["lead"]
    assert story[0] == ("“红杉林计划”要求2025年12月31日前各产业链覆盖率达到100%，距截止日还有184天。"
                        "统计日全区产业链覆盖率50.0%（低于目标，差5家）。")
    positions = [story[1].index(ch.name) for ch in lag]
    assert positions == sorted(positions)
    for ch in lag:
        assert f"{ch.name}{percent(ch.counts.coverage_rate)}（{ch.lead_department}牵头）" in story[1]
    # The measures by chain list the laggards first, in the same order, with the department.
    keys = [m.key for m in c.measures_by_chain]
    assert keys == sorted(keys, key=["AUTO", "DISPLAY", "BIO"].index)
    assert [m.owner for m in c.measures_by_chain] == [LEADS[k] for k in keys]


def test_many_laggards_name_the_lowest_and_count_the_rest(sqlite_engine):
    load_demo(sqlite_engine, firms=400, seed=7, today=date(2026, 11, 27))
    c = gather(sqlite_engine, date(2026, 11, 27))
    lag = c.laggards
    assert len(lag) > LEAD_LAGGARDS
    line = c.summary["lead"][1]
    assert line.startswith(f"低于目标的产业链{len(lag)}条，覆盖率最低的{LEAD_LAGGARDS}条为：")
    shown = lag[:LEAD_LAGGARDS]
    assert {ch.key for ch in c.chains if ch.name in line} == {ch.key for ch in shown}
    positions = [line.index(f"{ch.name}{percent(ch.counts.coverage_rate)}（{ch.lead_department}牵头）")
                 for ch in shown]
    assert positions == sorted(positions)


@pytest.mark.parametrize(("as_of", "expected", "absent"), [
    (date(2025, 12, 31), "今天是“红杉林计划”的截止日（2025年12月31日）", "已过"),
    (date(2026, 1, 1), "“红杉林计划”截止日（2025年12月31日）已过1天：", "已过0天"),
    (date(2025, 12, 30), "距截止日还有1天", "已过"),
])
def test_the_deadline_day_is_said_properly(sqlite_engine, as_of, expected, absent):
    build_after(sqlite_engine)
    c = gather(sqlite_engine, as_of, include_plan=False)
    text = "\n".join(_blocks_text(build(c, NO_CHARTS)))
    assert expected in c.summary["lead"][0]
    assert absent not in c.summary["lead"][0]
    assert "已过0天" not in text and "已超过截止日0天" not in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_story_is_on_page_one_of_the_pdf(sqlite_engine, tmp_path, artifacts):
    from tracker.reports.pdf import write_pdf

    build_after(sqlite_engine)
    path = tmp_path / "r.pdf"
    with open(path, "wb") as handle:
        write_pdf(gather(sqlite_engine, AFTER), NO_CHARTS, handle)
    page1 = "".join(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
                                   capture_output=True, text=True, check=True).stdout.split())
    assert "一、总体判断和建议" in page1 and "截止日（2025年12月31日）已过181天" in page1
    assert "截止日全区产业链覆盖率71.4%" in page1 and "统计日60.0%" in page1
    assert f"{LEADS['AUTO']}牵头" in page1 and "建议" in page1 and "2026年9月28日前完成" in page1
    # For a person to look at: the first page as a leader sees it.
    for old in artifacts.glob("report-story-page*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", "1", "-l", "1", str(path),
                    str(artifacts / "report-story-page")], check=True)
    assert (artifacts / "report-story-page.png").stat().st_size > 20_000


# --------------------------------------------------------------------------- measures


def _check_reconciles(c, totals) -> None:
    for tallies in (c.measures_by_chain, c.measures_by_area, [c.measures_total]):
        assert sum(m.form_branch for m in tallies) == totals["form_branch"]
        assert sum(m.joint for m in tallies) == totals["form_joint_branch"]
        assert sum(m.joined for m in tallies) == totals["joined"]
        assert sum(m.liaison for m in tallies) == totals["liaison_assignments"]
        assert sum(m.new_liaisons for m in tallies) == totals["new_liaisons_needed"]


def test_measures_by_chain_and_area_add_up_to_the_planner(sqlite_engine):
    today = date(2026, 11, 27)
    load_demo(sqlite_engine, firms=600, seed=11, today=today)
    c = gather(sqlite_engine, today)
    result = plan_store(sqlite_engine, today)
    totals = result.totals
    assert totals["form_branch"] > 0 and totals["joined"] > 0
    _check_reconciles(c, totals)
    m = c.measures_total
    # 单独组建: the new own organisations in uncovered firms are the uncovered firms with 3 or
    # more formal members (the 未覆盖企业 section's count); the rest are covered R1 firms.
    ready = int((c.uncovered["formal_members"] >= 3).sum())
    assert m.form_branch_uncovered == ready
    r1 = sum(f.rule == "R1" for f in c.findings)
    assert m.form_branch == r1 == totals["form_branch"]
    assert f"具备单独组建条件的企业{ready}家，已全部列入下一步新建单独组建党组织的建议" in \
        c.summary["uncovered"][1]
    lead = c.summary["lead"][2]
    assert lead.startswith(f"建议新建单独组建党组织{m.form_branch}个（未覆盖企业{ready}家、"
                           f"已覆盖但应单独组建的企业{m.form_branch - ready}家）")
    assert f"新建联合党支部{totals['form_joint_branch']}个" in lead
    assert f"{totals['joined']}家企业加入现有联合党组织" in lead
    assert (f"覆盖率可由{percent(result.coverage_before)}提高到{percent(result.coverage_after)}"
            in lead)
    plan_text = c.summary["plan"][0]
    assert f"建议新建单独组建党组织{totals['form_branch']}个（其中尚未覆盖的企业{ready}家" in plan_text
    # The tables of next steps: rows add up to the total row, which is the planner's.
    blocks = build(c, NO_CHARTS)
    tables = {b.caption.split("　", 1)[1]: b for b in blocks if isinstance(b, Table) and b.caption}
    for title, tallies in (("分产业链补齐措施及牵头部门", c.measures_by_chain),
                           ("分街道（园区）补齐措施及责任单位", c.measures_by_area)):
        table = tables[title]
        assert table.headers[1] in ("牵头部门", "责任单位") and table.headers[-1] == "完成时限"
        body, total = table.rows[:-1], table.rows[-1]
        assert len(body) == len(tallies)
        for col, key in ((4, "form_branch"), (5, "form_joint_branch"), (6, "joined"),
                         (7, "liaison_assignments")):
            assert sum(int(r[col].replace(",", "")) for r in body) == totals[key]
            assert int(total[col].replace(",", "")) == totals[key]
        assert {r[-1] for r in table.rows} == {"2027年1月26日"}  # 60-day window of the plan
        assert all(r[1] for r in body)  # every row has an owner
    # The chains' rows: the laggards first, lowest rate first, then the others.
    lag_keys = [ch.key for ch in c.laggards]
    keys = [m.key for m in c.measures_by_chain]
    assert [k for k in keys if k in lag_keys] == [k for k in lag_keys if k in keys]
    first_other = next((i for i, k in enumerate(keys) if k not in lag_keys), len(keys))
    assert all(k not in lag_keys for k in keys[first_other:])
    chain_rows = tables["分产业链补齐措施及牵头部门"].rows[:-1]
    names = {ch.name: ch for ch in c.chains}
    assert all(r[1] == (names[r[0]].lead_department or "未登记") for r in chain_rows if r[0] in names)


def test_measures_reconcile_in_a_chain_scope(sqlite_engine):
    today = date(2026, 11, 27)
    load_demo(sqlite_engine, firms=400, seed=3, today=today)
    scope = Scope.of(chains=["BIO", "AI"])
    c = gather(sqlite_engine, today, scope)
    _check_reconciles(c, plan_store(sqlite_engine, today, scope).totals)
    assert {m.key for m in c.measures_by_chain} <= {"BIO", "AI", ""}


# --------------------------------------------------------------------------- one name per measure


def test_one_name_per_measure_and_each_notice_once(sqlite_engine):
    today = date(2026, 11, 27)
    load_demo(sqlite_engine, firms=300, seed=5, today=today)
    c = gather(sqlite_engine, today)
    assert c.synthetic
    blocks = build(c, NO_CHARTS)
    text = "\n".join(_blocks_text(blocks))
    assert "工作覆盖率" not in text
    assert text.count("覆盖率 =（组织覆盖 + 工作覆盖）÷ 企业数") == 1
    # A sentence with the liaison-only count never carries a bare "覆盖率" as if the same.
    for sentence in re.split(r"[。\n]", text):
        if re.search(r"工作覆盖\d", sentence):
            pytest.fail(f"work coverage count without its name: {sentence}")
    assert text.count(t("common.synthetic_banner", "zh")) == 1
    assert blocks[0].banner == t("common.synthetic_banner", "zh")
    assert text.count("名单见附件") == 1


# --------------------------------------------------------------------------- headings


def test_heading_levels_and_numbers(sqlite_engine):
    build_after(sqlite_engine)
    for lang, level2 in (("zh", "（一）"), ("en", "(a) ")):
        blocks = build(gather(sqlite_engine, AFTER, lang=lang), NO_CHARTS)
        heads = [b for b in blocks if isinstance(b, Heading)]
        assert {h.level for h in heads} == {1, 2}
        # Each level-2 run restarts under its parent.
        runs, last = [], None
        for h in heads:
            if h.level == 2:
                if last == 1:
                    runs.append([])
                runs[-1].append(h.text)
            last = h.level
        assert len(runs) >= 2 and all(run[0].startswith(level2) for run in runs)
        ones = [h.text for h in heads if h.level == 1]
        assert [section_number(i, lang) for i in range(1, len(ones) + 1)] == \
            [h[:len(section_number(i, lang))] for i, h in enumerate(ones, start=1)]
    assert [section_number(11, "zh", level) for level in (1, 2, 3, 4)] == ["十一、", "（十一）", "11.", "（11）"]
    assert section_number(3, "en", 3) == "(iii) "
    with pytest.raises(ValueError):
        section_number(1, "zh", 5)


# --------------------------------------------------------------------------- titles

AREAS = ["科学城", "知识城", "萝岗街道", "广州国际生物岛"]
TEMPLATE_WORDS = {"zh": ["关于", "产业链", "党建", "覆盖", "报告", "台账"],
                  "en": ["report", "party-work", "coverage", "ledger", "industrial", "of"]}


@pytest.fixture(scope="module")
def chain_store(tmp_path_factory):
    from tests.conftest import _fresh

    engine = _fresh(f"sqlite:///{tmp_path_factory.mktemp('titles') / 'r.db'}")
    yield engine
    engine.dispose()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chains=st.none() | st.sets(st.sampled_from([r.code for r in CHAINS]), min_size=1, max_size=6),
       areas=st.none() | st.sets(st.sampled_from(AREAS), min_size=1, max_size=2),
       lang=st.sampled_from(["zh", "en"]), kind=st.sampled_from(["doc", "ledger"]))
def test_a_title_never_repeats_a_word(chain_store, chains, areas, lang, kind):
    scope = Scope.of(chains=chains, areas=areas)
    title = title_text(scope_phrase(chain_store, scope, lang), lang, kind)
    names = {r.code: (r.name_zh if lang == "zh" else r.name_en) for r in CHAINS}
    listed = [names[c] for c in sorted(chains or ())]
    listed = listed if len(listed) <= 3 else listed[:2]
    rest = title
    for name in [*listed, *sorted(areas or ())]:
        assert title.count(name) == 1, (name, title)
        rest = rest.replace(name, " ")
    if lang == "zh":
        assert title.count("产业链") == 1, title
        for word in TEMPLATE_WORDS["zh"]:
            assert rest.count(word) <= 1, (word, title)
    else:
        assert len(re.findall(r"\bchains?\b", title, flags=re.IGNORECASE)) == 1, title
        words = re.findall(r"[a-z][a-z'-]*", rest.lower())
        assert len(words) == len(set(words)), title
    # No word twice in a row anywhere ("产业链产业链", "chains: chains:").
    assert not re.search(r"(\b\w+\b)\W+\1\b", title) and "产业链产业链" not in title


@pytest.mark.parametrize(("scope", "zh", "en"), [
    (Scope(), "关于全区产业链党建工作覆盖情况的报告",
     "Report on party-work coverage of the district's industrial chains"),
    (Scope.of(chains=["MEDDEV"]), "关于生物医药及高端医疗器械产业链党建工作覆盖情况的报告",
     "Report on party-work coverage of the Biomedicine and high-end medical devices chain"),
    (Scope.of(areas=["科学城"]), "关于科学城产业链党建工作覆盖情况的报告",
     "Report on party-work coverage of the industrial chains in 科学城"),
    (Scope.of(chains=["BIO", "AI", "IC", "SOFT"]), "关于人工智能、生物技术等4条产业链党建工作覆盖情况的报告",
     "Report on party-work coverage of 4 industrial chains (Artificial intelligence; Biotechnology; …)"),
    (Scope.of(chains=["BIO", "MEDDEV"], areas=["科学城", "知识城"]),
     "关于知识城、科学城生物技术、生物医药及高端医疗器械产业链党建工作覆盖情况的报告",
     ("Report on party-work coverage of 2 chains (Biotechnology; Biomedicine and high-end medical "
      "devices) in 知识城, 科学城")),
])
def test_titles_read_well(chain_store, scope, zh, en):
    assert title_text(scope_phrase(chain_store, scope, "zh")) == zh
    assert title_text(scope_phrase(chain_store, scope, "en"), "en") == en


def test_a_chain_named_with_its_noun_is_not_doubled(sqlite_engine):
    """A district's list may name a chain "……产业链": the title still says it once."""
    import sqlalchemy as sa

    from tracker.model import Chain

    chain_store = sqlite_engine
    with chain_store.begin() as conn:
        conn.execute(sa.update(Chain.__table__).where(Chain.__table__.c.code == "UHD")
                     .values(name_zh="超高清视频产业链", name_en="Ultra HD video chain"))
    scope = Scope.of(chains=["UHD"])
    assert title_text(scope_phrase(chain_store, scope)) == "关于超高清视频产业链党建工作覆盖情况的报告"
    assert title_text(scope_phrase(chain_store, scope, "en"), "en", "ledger") == \
        "Party-work coverage ledger: the Ultra HD video chain"


# --------------------------------------------------------------------------- dates


def test_dates_in_arabic_numerals_data_date_and_signature_date(sqlite_engine):
    build_district(sqlite_engine)
    for lang, opening, signed in (
            ("zh", "（数据日期：2025年6月30日）", "{d.year}年{d.month}月{d.day}日"),
            ("en", "(data as of 30 June 2025)", "{d.day} {month} {d.year}")):
        c = gather(sqlite_engine, AS_OF, lang=lang)
        c.generated_at = datetime(2026, 11, 27, 9, 30)
        d = c.generated_at.date()
        blocks = build(c, NO_CHARTS)
        text = "\n".join(_blocks_text(blocks))
        signature = next(b for b in blocks if isinstance(b, Signature))
        # The 落款 date is the generation date; the as-of date is stated as the data date.
        assert signature.date_text == issued_date(c) == signed.format(d=d, month="November")
        assert data_date(c) == ("2025年6月30日" if lang == "zh" else "30 June 2025")
        assert opening in text
        dates_line = next(p for p in _blocks_text(blocks) if issued_date(c) in p and data_date(c) in p)
        assert dates_line == t("reports.doc_dates", lang, as_of=data_date(c), issued=issued_date(c))
        assert not re.search("[〇零][一二三四五六七八九〇]|二〇", text)  # no Chinese-numeral dates


def test_a_one_chain_report_names_its_department(sqlite_engine):
    build_after(sqlite_engine)
    c = gather(sqlite_engine, AFTER, Scope.of(chains=["BIO"]))
    lead = c.summary["lead"]
    assert lead[0].startswith("“红杉林计划”截止日（2025年12月31日）已过181天：截止日生物技术产业链覆盖率80.0%")
    assert lead[1] == f"低于目标的产业链：生物技术66.7%（{LEADS['BIO']}牵头）。"
    assert f"由{LEADS['BIO']}会同属地街道（园区）于2026年9月28日前完成" in lead[2]
    assert report_title(c) == "关于生物技术产业链党建工作覆盖情况的报告"
    assert report_title(c, "ledger") == "生物技术产业链党建工作覆盖台账"
