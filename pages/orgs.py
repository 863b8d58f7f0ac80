"""党组织 Organisations: the tree with subtree roll-ups, and the rule findings (layout only)."""

import streamlit as st

from tracker.dashboard import views
from tracker.dashboard import empty, run_page


def body(ctx):
    st.title(ctx.t("page_orgs"))
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
                     height=min(600, 38 + 35 * len(tree)))

    st.subheader(ctx.t("findings"))
    findings = views.rule_findings(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if findings is None:
        empty(ctx.t("rules_unavailable"))
    elif findings.empty:
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
