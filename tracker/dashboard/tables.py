"""Tables that show what they hold: :func:`show_table`, the one way a page draws a table.

Every table of the dashboard goes through :func:`show_table`, which

- draws it at **full height** (no scroll box inside the page) up to :data:`PAGE_ROWS`
  rows, and in pages of :data:`PAGE_ROWS` rows beyond, with a page picker;
- gives each text column that the caller did not size a **width that fits its longest
  text** (CJK characters count double), up to :data:`MAX_WIDTH` pixels, so that names,
  reasons and suggested actions are not cut off;
- offers the **whole table** (every page) as CSV and as Excel, named with the table's name
  and the as-of date (``覆盖台账_2026-11-27.xlsx``); the files are made only when a button is
  clicked. Text that a spreadsheet would take for a formula is written as text
  (:func:`safe_cell`);
- with ``selectable``, returns the index (position in ``frame``) of the row the user picked,
  so that a row can open its firm, organisation or chain.

Examples
--------
>>> import pandas as pd
>>> file_name("覆盖台账", date(2026, 11, 27), "xlsx")
'覆盖台账_2026-11-27.xlsx'
>>> file_name("Chains / 产业链", "2026-11-27", "csv")
'Chains-产业链_2026-11-27.csv'
>>> safe_cell("=HYPERLINK(1)"), safe_cell("广州蓝奥"), safe_cell(3)
("'=HYPERLINK(1)", '广州蓝奥', 3)
>>> frame = pd.DataFrame({"name": ["=1+1", "甲"], "n": [1, 2]})
>>> csv_bytes(frame).decode("utf-8-sig").splitlines()
['name,n', "'=1+1,1", '甲,2']
>>> from openpyxl import load_workbook
>>> import io
>>> sheet = load_workbook(io.BytesIO(xlsx_bytes(frame, "表"))).active
>>> sheet["A2"].value, sheet["A2"].data_type, sheet["B3"].value
('=1+1', 's', 2)
>>> pages(450), pages(0), table_height(13)
(3, 1, 498)
>>> column_widths(pd.DataFrame({"原因": ["有4名正式党员，达到单独组建条件"], "天数": ["12"]}))
{'原因': 241}
"""

from __future__ import annotations

import io
import math
import re
from datetime import date

import pandas as pd
import streamlit as st
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..cells import csv_text, put_cell
from ..i18n import display_width, t

__all__ = [
    "LONG_TEXT",
    "MAX_WIDTH",
    "PAGE_ROWS",
    "column_widths",
    "csv_bytes",
    "file_name",
    "pages",
    "safe_cell",
    "show_table",
    "table_height",
    "xlsx_bytes",
]

#: Rows drawn at once; a longer table is paged (a page of 200 rows is still drawn whole).
PAGE_ROWS = 200
#: The widest a column gets from its content (pixels): wider text wraps into the tooltip.
MAX_WIDTH = 420
#: Text up to this many columns shows whole in Streamlit's own column sizing.
LONG_TEXT = 24
#: The widest a secondary column is drawn (pixels; see :func:`show_table`).
SECONDARY_WIDTH = 200
#: Streamlit's default row and header heights (pixels) and the table's border.
ROW_HEIGHT, HEADER_HEIGHT, BORDER = 35, 38, 2
_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\s]+")


def file_name(name: str, as_of, ext: str) -> str:
    """The download's file name: the table's name and the as-of date (characters a file
    system refuses become ``-``)."""
    day = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
    return f"{_UNSAFE_NAME.sub('-', name).strip('-') or 'table'}_{day}.{ext}"


def safe_cell(value: object) -> object:
    """``value`` for a CSV field: the reports' rule (:func:`tracker.cells.csv_text`), text a
    spreadsheet would run as a formula gets a leading ``'``; anything else is kept."""
    return csv_text(value)


def _plain(frame) -> pd.DataFrame:
    """The data of a frame or of its Styler."""
    return frame.data if hasattr(frame, "data") and not isinstance(frame, pd.DataFrame) else frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV in UTF-8 with a byte-order mark (so that Excel reads the Chinese),
    without the index, formula-looking text neutralised (:func:`safe_cell`)."""
    out = frame.map(safe_cell) if len(frame) else frame
    return out.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """The frame as an Excel workbook of one sheet: a bold header row, frozen, columns as
    wide as their text; every text cell stored as text, never as a formula."""
    wb = Workbook()
    ws = wb.active
    ws.title = _UNSAFE_NAME.sub("-", sheet)[:31] or "Sheet1"
    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([None for _ in row])
        for cell, value in zip(ws[ws.max_row], row):
            if value is None or (not isinstance(value, str | date) and pd.isna(value)):
                continue
            if isinstance(value, str):
                put_cell(cell, value)  # text stays text, never a formula (tracker.cells)
            else:
                cell.value = value.item() if hasattr(value, "item") else value
    for i, column in enumerate(frame.columns, start=1):
        widest = max([display_width(column), *(display_width(v) for v in frame.iloc[:, i - 1])],
                     default=8)
        ws.column_dimensions[get_column_letter(i)].width = min(80, widest + 2)
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def pages(rows: int, size: int = PAGE_ROWS) -> int:
    """How many pages of ``size`` rows a table of ``rows`` rows takes (at least one)."""
    return max(1, math.ceil(rows / size))


def table_height(rows: int) -> int:
    """The height (pixels) that shows ``rows`` rows and the header without a scroll bar."""
    return HEADER_HEIGHT + ROW_HEIGHT * max(rows, 1) + BORDER + 3


def column_widths(frame: pd.DataFrame, skip=()) -> dict[str, int]:
    """Column → a width (pixels) that fits its longest text, for the text columns whose text
    is longer than Streamlit's own sizing shows whole (:data:`LONG_TEXT` columns of a
    fixed-width font; CJK characters count double); at most :data:`MAX_WIDTH`. Short
    columns, numbers and dates keep Streamlit's width, so that the table stays narrow."""
    widths = {}
    for column in frame.columns:
        if column in skip or not (frame[column].dtype == object or
                                  isinstance(frame[column].dtype, pd.StringDtype)):
            continue
        values = frame[column].head(2000)
        widest = max([display_width(column) + 3, *(display_width(v) for v in values if v is not None)])
        if widest > LONG_TEXT:
            widths[column] = int(min(MAX_WIDTH, widest * 7 + 24))
    return widths


def _is_link(config) -> bool:
    return isinstance(config, dict) and (config.get("type_config") or {}).get("type") == "link"


def show_table(frame, *, name: str, as_of, lang: str, key: str, column_config: dict | None = None,
               selectable: bool = False, height: int | str = "full",
               page_rows: int = PAGE_ROWS, secondary: tuple[str, ...] = ()) -> int | None:
    """Draw ``frame`` (a data frame, or its pandas Styler) as the dashboard's tables are
    drawn, with its CSV and Excel downloads; the picked row's position, or None.

    Parameters
    ----------
    frame : the rows as they are to be read (columns already named in ``lang``); the
        index is not shown
    name : the table's name in ``lang``: the downloads are ``<name>_<as_of>.csv/.xlsx``
        and the sheet is called so
    as_of : the page's as-of date (a date or ISO text)
    lang : the page's language (the labels of the buttons and of the page picker)
    key : a key unique on the page (the widgets' keys start with it)
    column_config : Streamlit's per-column settings; a long text column without a width
        gets the width of its text (:func:`column_widths`); a link column is left out of
        the downloads (its relative address means nothing outside the dashboard)
    selectable : one row can be picked: the return value is its position in ``frame``
        (0-based, over every page); the pick is forgotten once returned, so that coming
        back to the page shows no stale pick
    height : ``"full"`` (every row without an inner scroll bar; paged beyond
        ``page_rows`` rows), ``"auto"`` (Streamlit's, at most about ten rows) or pixels
    page_rows : the rows of a page with ``height="full"`` (:data:`PAGE_ROWS`; a list on
        a page with more below it, such as the overview's to-do list, takes fewer)
    secondary : columns that give up their width first (at most :data:`SECONDARY_WIDTH`;
        the whole text is in the downloads and on the row's own page), so that the columns
        the table is about stay in view: the English chain names of a to-do list pushed
        its cause and action out of the table

    Returns
    -------
    int | None : the picked row's position in ``frame`` (only with ``selectable``)
    """
    data = _plain(frame)
    rows = len(data)
    config = dict(column_config or {})
    links = [c for c, v in config.items() if _is_link(v)]
    for column, width in column_widths(data, skip=links).items():
        if column in secondary:
            width = min(width, SECONDARY_WIDTH)
        given = config.get(column)
        if given is None:
            config[column] = st.column_config.TextColumn(width=width)
        elif isinstance(given, dict) and given.get("width") is None:
            config[column] = {**given, "width": width}  # the caller's settings, our width
    offset, shown = 0, frame
    if height == "full" and rows > page_rows:
        page_count = pages(rows, page_rows)
        page = st.selectbox(t("drill.table_page", lang, rows=f"{page_rows:,}", total=f"{rows:,}"),
                            range(1, page_count + 1), key=f"{key}_page",
                            format_func=lambda p: t("drill.table_page_of", lang, page=p,
                                                    pages=page_count))
        offset = (page - 1) * page_rows
        part = data.iloc[offset:offset + page_rows]
        # A Styler's functions are applied again to the page's rows (the colours stay).
        shown = part.style.use(frame.export()) if shown is not data else part
    drawn = min(rows - offset, page_rows)
    size = table_height(drawn) if height == "full" else height
    picked = None
    if selectable:
        count = st.session_state.get(f"_{key}_picks", 0)
        event = st.dataframe(shown, hide_index=True, column_config=config, on_select="rerun",
                             selection_mode="single-row", key=f"{key}_pick_{count}", height=size)
        chosen = event.selection.rows if event is not None else []
        if chosen:
            st.session_state[f"_{key}_picks"] = count + 1
            picked = offset + chosen[0]
    else:
        st.dataframe(shown, hide_index=True, column_config=config, key=key, height=size)
    _downloads(data, name, as_of, lang, key, links)
    return picked


def _downloads(data: pd.DataFrame, name: str, as_of, lang: str, key: str, links: list) -> None:
    out = data.drop(columns=[c for c in links if c in data.columns])
    # One row of buttons as wide as their labels (wrapping in a narrow column). Callables: a
    # file is made only when its button is clicked, not on every run.
    row = st.container(horizontal=True, gap="small")
    row.download_button(t("drill.download_csv", lang), lambda: csv_bytes(out),
                         file_name=file_name(name, as_of, "csv"), mime="text/csv",
                         key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    row.download_button(t("drill.download_xlsx", lang), lambda: xlsx_bytes(out, name),
                          file_name=file_name(name, as_of, "xlsx"),
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", icon=":material/download:", on_click="ignore")
