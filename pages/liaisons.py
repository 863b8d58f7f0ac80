"""联络员 Liaisons: each officer's firms, the visits in the window and the firms not visited,
the officers with the most unvisited firms first (layout only; tracker.visits does the work)."""

import pandas as pd
import streamlit as st

from tracker.dashboard import empty, open_page, page_url, run_page, views
from tracker.dashboard.tables import show_table


def body(ctx):
    st.title(ctx.t("page_liaisons"))
    board = views.liaison_board(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    people, firms = board.officers, board.firms
    if people.empty:
        empty(ctx.t("liaisons_none", day=ctx.as_of.isoformat()))
        return
    cols = st.columns(4)
    cols[0].metric(ctx.t("liaisons"), views.fmt_int(len(people)))
    cols[1].metric(ctx.t("assigned_firms"), views.fmt_int(len(firms)))
    cols[2].metric(ctx.t("visits_in_window", days=board.window),
                   views.fmt_int(int(people["visits_in_window"].sum())))
    cols[3].metric(ctx.t("unvisited_firms"), views.fmt_int(int(people["unvisited"].sum())))
    st.caption(ctx.t("liaisons_note", days=board.window))
    officers = pd.DataFrame({
        ctx.t("liaison_name"): people["name"], ctx.t("liaison_unit"): people["unit"],
        ctx.t("liaison_role"): people["role_label"], ctx.t("assigned_firms"): people["firms"],
        ctx.t("visits_in_window", days=board.window): people["visits_in_window"],
        ctx.t("unvisited_firms"): people["unvisited"]})
    # A row picks the officer whose firms are listed below.
    st.caption(ctx.t("drill.pick_row_officer"))
    picked = show_table(officers, name=ctx.t("page_liaisons"), as_of=ctx.as_of, lang=ctx.lang,
                        key="officers", selectable=True, page_rows=25)
    if picked is not None:
        st.session_state["officer_pick"] = people["officer"].iloc[picked]
    officer = st.selectbox(ctx.t("officer_detail"), list(people["officer"]), key="officer_pick")
    mine = firms[firms["officer"] == officer].reset_index(drop=True)
    shown = pd.DataFrame({
        ctx.t("firm_name"): mine["name"],
        ctx.t("last_visit"): [views.fmt_day(d, ctx.t("no_visit")) for d in mine["last_visit"]],
        ctx.t("visits_in_window", days=board.window): mine["visits_in_window"],
        ctx.t("visit_counts_column"): [ctx.t("yes") if v else ctx.t("no") for v in mine["visited"]],
        ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in mine["credit_code"]],
        ctx.t("credit_code"): mine["credit_code"]})
    opened = show_table(shown, name=ctx.t("drill.officer_firms_file", name=officer),
                        as_of=ctx.as_of, lang=ctx.lang, key="officer_firms", selectable=True,
                        column_config={ctx.t("link"): st.column_config.LinkColumn(
                            display_text=ctx.t("open"))})
    if opened is not None:
        open_page(ctx, "firms.py", firm=mine["credit_code"].iloc[opened])


run_page(body)
