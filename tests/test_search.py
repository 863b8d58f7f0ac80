"""Search that forgives (tracker.search): the officer's ways of typing a firm all find it.

Properties over generated names: a name is found by any part of itself, with spaces put in,
in full width, with or without a 广州/广州市 prefix, by its pinyin initials and by its
credit code in any case; an empty query finds everything; a query finds only what it
should (each hit has the query in one of the searched forms).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.dashboard.views import firm_filters
from tracker.search import PLACE_PREFIXES, build_index, initials, normalise, strip_place

HAN = "广州蓝奥生物科技有限公司重庆长安汽车行银材料显示医药电子黄埔新能源智能制造"
names = st.text(alphabet=HAN + "ABCxyz0123 ", min_size=2, max_size=20).filter(
    lambda n: len(normalise(n)) >= 2)
codes = st.from_regex(r"91440112[0-9A-Z]{10}", fullmatch=True)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (what a Chinese IME types)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@SETTINGS
@given(st.lists(names, min_size=1, max_size=8), st.data())
def test_a_name_is_found_by_any_part_of_itself(found, data):
    index = build_index(found)
    i = data.draw(st.integers(0, len(found) - 1))
    norm = normalise(found[i])
    start = data.draw(st.integers(0, len(norm) - 1))
    end = data.draw(st.integers(start + 1, len(norm)))
    part = norm[start:end]
    spaced = " ".join(part)  # "蓝 奥"
    for query in (part, spaced, full_width(part), part.upper()):
        assert i in index.find(query), (query, found[i])


@SETTINGS
@given(st.lists(names, min_size=1, max_size=8), st.data())
def test_place_prefixes_are_forgiven(found, data):
    i = data.draw(st.integers(0, len(found) - 1))
    core = strip_place(found[i])
    named = [("广州" + n if k == i else n) for k, n in enumerate(found)]
    index = build_index(named)
    for prefix in ("广州市", "广州", "黄埔区", ""):
        assert i in index.find(prefix + core), (prefix + core, named[i])


@SETTINGS
@given(st.lists(names, min_size=1, max_size=8), st.data())
def test_pinyin_initials_find_the_name(found, data):
    index = build_index(found)
    i = data.draw(st.integers(0, len(found) - 1))
    letters = initials(found[i])
    if letters.isalpha():
        assert i in index.find(letters) and i in index.find(letters.upper())


@SETTINGS
@given(st.lists(codes, min_size=1, max_size=8, unique=True), st.data())
def test_codes_in_any_case(found, data):
    index = build_index(["甲"] * len(found), found)
    i = data.draw(st.integers(0, len(found) - 1))
    part = found[i][data.draw(st.integers(0, 9)):]
    for query in (part, part.lower(), full_width(part.lower()), f" {part} "):
        assert i in index.find(query)


@SETTINGS
@given(st.lists(names, max_size=8), st.text(max_size=6))
def test_every_hit_holds_the_query(found, query):
    """No false friends: a hit has the query in its name, its place-free name or its
    initials; an empty query finds all."""
    index = build_index(found)
    hits = index.find(query)
    assert hits == sorted(set(hits)) and all(0 <= h < len(found) for h in hits)
    q = normalise(query)
    if not q:
        assert hits == list(range(len(found)))
    for h in hits:
        name = normalise(found[h])
        assert q in name or strip_place(q) in name or q in initials(found[h])


def test_the_issue_examples():
    """The trap of issue 15: "广州市蓝奥" and "蓝 奥" found nothing though 广州蓝奥… exists."""
    frame = pd.DataFrame({
        "name": ["广州蓝奥生物科技有限公司", "广州市黄埔区蓝天材料有限公司", "重庆长安汽车黄埔分公司"],
        "credit_code": ["91440112MA5ABCDE1X", "91440112MA5FGHIJ2Y", "91440112MA5KLMNO3Z"]})
    def names_for(query):
        return list(firm_filters(frame, query)["name"].str[:6])
    assert names_for("广州市蓝奥") == ["广州蓝奥生物"]
    assert names_for("蓝 奥") == ["广州蓝奥生物"]
    assert names_for("ｇｚｌａ") == ["广州蓝奥生物"]
    assert names_for("91440112ma5fghij") == ["广州市黄埔区"]
    assert names_for("蓝天") == ["广州市黄埔区"]
    assert names_for("cqca") == ["重庆长安汽车"]  # 重 read as in 重庆
    assert names_for("蓝") == ["广州蓝奥生物", "广州市黄埔区"]
    assert names_for("广州") == ["广州蓝奥生物", "广州市黄埔区"]
    assert names_for("北京") == []
    assert "广州市" in PLACE_PREFIXES and "广州" in PLACE_PREFIXES


@settings(max_examples=300, deadline=None)
@given(names)
def test_initials_read_word_by_word_equal_pypinyin_reading_the_whole_name(name):
    """The words' readings are kept (:func:`tracker.search.initials`); the result is what
    pypinyin gives for the whole name, polyphones read as in their words included."""
    from pypinyin import Style, lazy_pinyin

    whole = lazy_pinyin(normalise(name), style=Style.FIRST_LETTER, errors=lambda x: list(x))
    assert initials(name) == "".join(x.lower() for x in whole if x.isalnum())


def test_initials_of_the_demo_names_equal_pypinyin():
    from pypinyin import Style, lazy_pinyin

    from tracker.demo import generate

    found = generate(2000, seed=7, today=date(2026, 11, 27)).firms.column("name")
    assert len(found) >= 2000
    for name in found:
        whole = lazy_pinyin(normalise(name), style=Style.FIRST_LETTER, errors=lambda x: list(x))
        assert initials(name) == "".join(x.lower() for x in whole if x.isalnum()), name
