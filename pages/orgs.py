"""党组织 Organisations: one organisation (from a link), the 换届提醒 board, the tree with
subtree roll-ups, and the rule findings (layout only)."""

import pandas as pd
import streamlit as st

from tracker.dashboard import empty, open_page, page_url, pick_row, run_page, views
from tracker.vocab import TERM_STATUS


def term_text(ctx, row) -> str:
    """One organisation's term in a sentence."""
    start = views.fmt_day(row.get("term_start"), "")
    if not start:
        return ctx.t("term_unknown_line", years=row.get("term_years") or "—")
    days = int(row["days_to_due"])
    when = (ctx.t("term_days_over", n=f"{-days:,}") if days <= 0
            else ctx.t("term_days_left", n=f"{days:,}"))
    return ctx.t("term_line", start=start, years=int(row["term_years"]),
                 due=views.fmt_day(row["due"]), status=row["status_label"], when=when)


def detail_section(ctx, code):
    org = views.org_detail(ctx.engine, code, ctx.as_of, ctx.scope, ctx.lang)
    if org is None:
        st.warning(ctx.t("org_not_shown", code=code, day=ctx.as_of.isoformat()))
        return
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.subheader(f"{org['name']}（{org['code']}）")
        if c2.button(ctx.t("close"), key="org_close"):
            del st.query_params["org"]
            st.rerun()
        cols = st.columns(4)
        cols[0].metric(ctx.t("org_kind"), org["kind_label"])
        cols[1].metric(ctx.t("formation"), org["formation_label"])
        cols[2].metric(ctx.t("own_members"), views.fmt_int(org["own_members"]))
        cols[3].metric(ctx.t("direct_firms"), views.fmt_int(org["direct_firms"]))
        status = org.get("status", "unknown")
        text = term_text(ctx, org)
        {"overdue": st.error, "due_soon": st.warning}.get(status, st.info)(text)
        if org["parent"]:
            st.caption(ctx.t("parent_is", code=org["parent"]))
        if not org["firms"].empty:
            st.dataframe(org["firms"].rename(columns={"credit_code": ctx.t("credit_code"),
                                                      "name": ctx.t("firm_name")}),
                         hide_index=True, key="org_firms")


def board_section(ctx):
    st.subheader(ctx.t("terms_title"))
    board = views.term_board(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    cols = st.columns(len(views.BOARD_BUCKETS))
    for col, bucket in zip(cols, views.BOARD_BUCKETS):
        col.metric(ctx.t(f"terms_{bucket}"), views.fmt_int(len(board[bucket])))
    st.caption(ctx.t("terms_note"))
    tabs = st.tabs([f"{ctx.t(f'terms_{b}')}（{len(board[b]):,}）" for b in views.BOARD_BUCKETS])
    for tab, bucket in zip(tabs, views.BOARD_BUCKETS):
        with tab:
            frame = board[bucket]
            if frame.empty:
                st.caption(ctx.t("terms_bucket_empty"))
                continue
            shown = pd.DataFrame({
                ctx.t("org_name"): frame["name"], ctx.t("org_kind"): frame["kind_label"],
                ctx.t("term_start"): [views.fmt_day(d) for d in frame["term_start"]],
                ctx.t("term_years"): frame["term_years"],
                ctx.t("term_due"): [views.fmt_day(d) for d in frame["due"]],
                ctx.t("days_to_due"): ["—" if pd.isna(d) else f"{int(d):,}"
                                       for d in frame["days_to_due"]],
                ctx.t("term_status"): frame["status_label"],
                ctx.t("link"): [page_url(ctx, "orgs", org=c) for c in frame["org_code"]],
                ctx.t("org_code"): frame["org_code"]})
            colour = f"color: {TERM_STATUS.colour(frame['status'].iloc[0])}"
            styled = shown.style.map(lambda _, c=colour: c, subset=[ctx.t("term_status")])
            opened = pick_row(f"terms_{bucket}", styled, len(shown),
                              {ctx.t("link"): st.column_config.LinkColumn(
                                  display_text=ctx.t("open"))}, max_height=400)
            if opened is not None:
                open_page(ctx, "orgs.py", org=frame["org_code"].iloc[opened])


def body(ctx):
    st.title(ctx.t("page_orgs"))
    wanted = st.query_params.get("org")
    if wanted:
        detail_section(ctx, wanted)
    board_section(ctx)
    st.subheader(ctx.t("org_tree_title"))
    tree = views.org_tree(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if tree.empty:
        empty(ctx.t("no_orgs", day=ctx.as_of.isoformat()))
    else:
        cols = st.columns(3)
        cols[0].metric(ctx.t("orgs"), views.fmt_int(len(tree)))
        roots = tree[tree["depth"] == 0]
        cols[1].metric(ctx.t("members_total"), views.fmt_int(int(roots["members"].sum())))
        cols[2].metric(ctx.t("top_level"), views.fmt_int(len(roots)))
        shown = tree.assign(name=["　" * d + ("└ " if d else "") + n
                                  for d, n in zip(tree["depth"], tree["name"])])
        columns = {"name": ctx.t("org_name"), "code": ctx.t("org_code"),
                   "kind_label": ctx.t("org_kind"), "formation_label": ctx.t("formation"),
                   "own_members": ctx.t("own_members"), "members": ctx.t("subtree_members"),
                   "direct_firms": ctx.t("direct_firms"), "covered_firms": ctx.t("subtree_firms")}
        st.dataframe(shown.rename(columns=columns)[list(columns.values())], hide_index=True,
                     height=min(600, 38 + 35 * len(tree)), key="org_tree")

    st.subheader(ctx.t("findings"))
    findings = views.rule_findings(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if findings.empty:
        st.success(ctx.t("no_findings"))
    else:
        counts = findings.groupby("rule").size()
        cols = st.columns(max(1, len(counts)))
        for col, (rule, n) in zip(cols, counts.items()):
            col.metric(rule, views.fmt_int(int(n)))
        for rule, group in findings.groupby("rule", sort=True):
            first = group.iloc[0]
            with st.expander(f"{rule} · {first.get('title', '')}（{len(group):,}）"):
                st.caption(ctx.t("article", text=first.get("article", "")))
                st.dataframe(group.rename(columns={
                    "subject_id": ctx.t("subject"), "subject_name": ctx.t("name"),
                    "severity_label": ctx.t("severity"), "message": ctx.t("message")})[[
                        ctx.t("subject"), ctx.t("name"), ctx.t("severity"), ctx.t("message")]],
                    hide_index=True)


run_page(body)
