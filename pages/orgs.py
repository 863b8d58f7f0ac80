"""党组织 Organisations: one organisation (from a link), the 换届提醒 board, the tree with
subtree roll-ups, and the rule findings (layout only)."""

import pandas as pd
import streamlit as st

from tracker.dashboard import empty, open_page, page_url, run_page, views
from tracker.dashboard.page import record_link
from tracker.dashboard.tables import show_table
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


def firm_rows(ctx, frame, key, name, extra=None):
    """A table of firms (``credit_code, name`` and ``extra`` columns) whose rows open the firm."""
    shown = pd.DataFrame({ctx.t("firm_name"): frame["name"], **(extra or {}),
                          ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in frame["credit_code"]],
                          ctx.t("credit_code"): frame["credit_code"]})
    opened = show_table(shown, name=name, as_of=ctx.as_of, lang=ctx.lang, key=key,
                        column_config=link_column(ctx), selectable=True)
    if opened is not None:
        open_page(ctx, "firms.py", firm=frame["credit_code"].iloc[opened])


def link_column(ctx) -> dict:
    return {ctx.t("link"): st.column_config.LinkColumn(display_text=ctx.t("open"))}


def detail_section(ctx, code):
    org = views.org_detail(ctx.engine, code, ctx.as_of, ctx.scope, ctx.lang)
    if org is None:
        st.warning(ctx.t("org_not_shown", code=code, day=ctx.as_of.isoformat()))
        return
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.subheader(ctx.t("drill.aside", text=org["name"], detail=org["code"]))
        if c2.button(ctx.t("close"), key="org_close"):
            del st.query_params["org"]
            st.rerun()
        # Kind and formation as words in a line (a metric would cut "Regional joint branch").
        st.markdown(ctx.t("drill.org_kind_line", kind=org["kind_label"],
                          formation=org["formation_label"]))
        cols = st.columns(3)
        cols[0].metric(ctx.t("own_members"), views.fmt_int(org["own_members"]))
        cols[1].metric(ctx.t("subtree_members"), views.fmt_int(org["members"]))
        cols[2].metric(ctx.t("direct_firms"), views.fmt_int(org["direct_firms"]))
        status = org.get("status", "unknown")
        text = term_text(ctx, org)
        {"overdue": st.error, "due_soon": st.warning}.get(status, st.info)(text)
        if org["parent"]:
            record_link("orgs.py", ctx.t("parent_is", code=org["parent"]), ":material/groups:",
                        org=org["parent"])
        firms = org["firms"]
        st.markdown(f"**{ctx.t('drill.org_firms_title', n=views.fmt_int(len(firms)))}**")
        if firms.empty:
            st.caption(ctx.t("drill.org_no_firms", day=ctx.as_of.isoformat()))
        else:
            firm_rows(ctx, firms, "org_firms", ctx.t("drill.org_firms_file", name=org["name"]),
                      {ctx.t("drill.covered_since"): [views.fmt_day(d) for d in firms["since"]]})
        findings = views.findings_of(ctx.engine, "org", code, ctx.as_of, ctx.scope, ctx.lang)
        st.markdown(f"**{ctx.t('drill.findings_title', n=len(findings))}**")
        if findings.empty:
            st.caption(ctx.t("drill.findings_none"))
        else:
            show_table(pd.DataFrame({
                ctx.t("drill.rule"): findings["rule"] + " " + findings["title"],
                ctx.t("severity"): findings["severity_label"],
                ctx.t("message"): findings["message"]}),
                name=ctx.t("findings"), as_of=ctx.as_of, lang=ctx.lang, key="org_findings")
        events = views.org_events(ctx.engine, code, ctx.as_of, ctx.lang)
        st.markdown(f"**{ctx.t('drill.org_history_title')}**")
        if events.empty:
            st.caption(ctx.t("drill.org_no_history"))
        else:
            shown = pd.DataFrame({
                ctx.t("drill.on"): [views.fmt_day(d) for d in events["on"]],
                ctx.t("drill.event"): events["event"], ctx.t("firm_name"): events["firm"],
                ctx.t("credit_code"): events["credit_code"]})
            opened = show_table(shown, name=ctx.t("drill.org_history_file", name=org["name"]),
                                as_of=ctx.as_of, lang=ctx.lang, key="org_events", selectable=True)
            if opened is not None and events["credit_code"].iloc[opened]:
                open_page(ctx, "firms.py", firm=events["credit_code"].iloc[opened])


def board_section(ctx):
    st.subheader(ctx.t("terms_title"))
    board = views.term_board(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    cols = st.columns(len(views.BOARD_BUCKETS))
    for col, bucket in zip(cols, views.BOARD_BUCKETS):
        col.metric(ctx.t(f"terms_{bucket}"), views.fmt_int(len(board[bucket])))
    st.caption(ctx.t("terms_note"))
    tabs = st.tabs([ctx.t("drill.aside", text=ctx.t(f"terms_{b}"), detail=f"{len(board[b]):,}")
                    for b in views.BOARD_BUCKETS])
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
            opened = show_table(styled, name=ctx.t(f"terms_{bucket}"), as_of=ctx.as_of,
                                lang=ctx.lang, key=f"terms_{bucket}",
                                column_config=link_column(ctx), selectable=True)
            if opened is not None:
                open_page(ctx, "orgs.py", org=frame["org_code"].iloc[opened])


def body(ctx):
    st.title(ctx.t("page_orgs"))
    wanted = (st.query_params.get("org") or "").strip()
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
        st.caption(ctx.t("drill.pick_row_org"))
        opened = show_table(shown.rename(columns=columns)[list(columns.values())],
                            name=ctx.t("org_tree_title"), as_of=ctx.as_of, lang=ctx.lang,
                            key="org_tree", selectable=True)
        if opened is not None:
            open_page(ctx, "orgs.py", org=tree["code"].iloc[opened])

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
            with st.expander(ctx.t("drill.aside", text=f"{rule} · {first.get('title', '')}",
                                   detail=f"{len(group):,}")):
                st.caption(ctx.t("article", text=first.get("article", "")))
                shown = group.rename(columns={
                    "subject_id": ctx.t("subject"), "subject_name": ctx.t("name"),
                    "severity_label": ctx.t("severity"), "message": ctx.t("message")})[[
                        ctx.t("subject"), ctx.t("name"), ctx.t("severity"), ctx.t("message")]]
                # A row opens its subject: the firm's page or the organisation's.
                opened = show_table(shown, name=f"{ctx.t('findings')}_{rule}", as_of=ctx.as_of,
                                    lang=ctx.lang, key=f"findings_{rule}", selectable=True)
                if opened is not None:
                    subject = group.iloc[opened]
                    if subject["subject_type"] == "firm":
                        open_page(ctx, "firms.py", firm=subject["subject_id"])
                    else:
                        open_page(ctx, "orgs.py", org=subject["subject_id"])


run_page(body)
