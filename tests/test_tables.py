"""Tables that show what they hold (tracker.dashboard.tables.show_table).

The downloads hold the whole table, named with the as-of date, formulas neutralised (a
property over any text: CSV and Excel read back to what was shown, and no cell is ever a
formula); a long table is paged, and each page holds its rows; a long text column gets
the width of its text; the link column is left out of the files.
"""

from __future__ import annotations

import io
import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from tracker.cells import FORMULA_TRIGGERS
from tracker.dashboard.tables import (
    MAX_WIDTH,
    PAGE_ROWS,
    SECONDARY_WIDTH,
    column_widths,
    csv_bytes,
    file_name,
    pages,
    table_height,
    xlsx_bytes,
)

# Any printable text, often starting as a formula would ("=", "+", "-", "@").
cells = st.builds(lambda head, body: head + body, st.sampled_from(["", "=", "+", "-", "@"]),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(cells, st.integers(-10**6, 10**6)), min_size=1, max_size=5))
def test_downloads_read_back_as_shown_and_never_as_formulas(rows):
    frame = pd.DataFrame(rows, columns=["名称", "数"])
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)
    for text, shown in zip(frame["名称"], back["名称"]):
        assert shown == ("'" + text if text.startswith(FORMULA_TRIGGERS) else text)
    sheet = load_workbook(io.BytesIO(xlsx_bytes(frame, "表"))).active
    assert [c.value for c in sheet[1]] == ["名称", "数"]
    for (text, number), (cell, value) in zip(rows, sheet.iter_rows(min_row=2)):
        assert value.value == number
        assert cell.value == (text or None)
        if text:
            assert cell.data_type == "s"  # text, never a formula
            assert cell.quotePrefix == text.startswith(FORMULA_TRIGGERS)


def test_file_names_and_paging():
    assert file_name("覆盖台账", "2026-11-27", "xlsx") == "覆盖台账_2026-11-27.xlsx"
    assert file_name("a/b: c", "2026-11-27", "csv") == "a-b-c_2026-11-27.csv"
    assert pages(PAGE_ROWS) == 1 and pages(PAGE_ROWS + 1) == 2
    assert table_height(13) > table_height(12) > 0
    widths = column_widths(pd.DataFrame({"原因": ["有4名正式党员，达到单独组建条件，尚未建立党组织" * 2],
                                         "短": ["甲"], "数": [3]}))
    assert set(widths) == {"原因"} and widths["原因"] <= MAX_WIDTH


def _app():
    import pandas as pd
    import streamlit as st

    from tracker.dashboard.tables import show_table

    frame = pd.DataFrame({"名称": [f"企业{i}" for i in range(450)], "n": range(450),
                          "原因": ["有4名正式党员，达到单独组建条件，尚未建立党组织"] * 450,
                          "链接": [f"/firms?firm={i}" for i in range(450)]})
    show_table(frame, name="企业名单", as_of="2026-11-27", lang="zh", key="big",
               column_config={"链接": st.column_config.LinkColumn(display_text="打开")})
    show_table(frame.head(13), name="产业链", as_of="2026-11-27", lang="en", key="small",
               selectable=True, secondary=("原因",))


def test_show_table_pages_sizes_and_offers_downloads():
    at = AppTest.from_function(_app, default_timeout=60).run()
    assert not at.exception
    big, small = at.dataframe
    assert len(big.value) == PAGE_ROWS and len(small.value) == 13
    assert at.selectbox[0].options == ["第 1 页 / 共 3 页", "第 2 页 / 共 3 页", "第 3 页 / 共 3 页"]
    config = json.loads(big.proto.columns)
    assert config["原因"]["width"] > SECONDARY_WIDTH  # the reason shows whole
    # A secondary column gives up its width, so that the others stay in view.
    assert json.loads(small.proto.columns)["原因"]["width"] == SECONDARY_WIDTH
    assert config["链接"]["type_config"]["type"] == "link"
    buttons = [(b.key, b.label) for b in at.get("download_button")]
    assert buttons == [("big_csv", "下载 CSV"), ("big_xlsx", "下载 Excel"),
                       ("small_csv", "Download CSV"), ("small_xlsx", "Download Excel")]
    assert len(at.selectbox) == 1  # the short table is not paged
    at.selectbox[0].set_value(3).run()
    assert list(at.dataframe[0].value["n"]) == list(range(400, 450))
