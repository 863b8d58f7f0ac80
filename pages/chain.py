"""产业链 Chain: one chain at the as-of date (layout only)."""

import streamlit as st

from tracker.dashboard import (
    charts,
    empty,
    intersect,
    run_page,
    scoped_chain_detail,
    scoped_chain_graph,
    views,
    visible_chains,
)
from tracker.scope import Scope


def body(ctx):
    chains = visible_chains(ctx)
    if not chains:
        empty(ctx.t("no_chains"))
        return
    codes = [code for code, _ in chains]
    names = dict(chains)
    wanted = st.query_params.get("chain")
    if "chain_pick" not in st.session_state or st.session_state["chain_pick"] not in codes:
        st.session_state["chain_pick"] = wanted if wanted in codes else codes[0]
    code = st.selectbox(ctx.t("chain"), codes, key="chain_pick", format_func=names.get)
    st.query_params["chain"] = code
    detail = scoped_chain_detail(ctx, code)
    st.title(f"{detail.name}")
    if detail.counts.firms == 0:
        empty(ctx.t("chain_no_firms", chain=detail.name, day=ctx.as_of.isoformat()))
        return
    c = detail.counts
    window = views.visit_window(ctx.engine, ctx.as_of)
    cols = st.columns(6)
    cols[0].metric(ctx.t("firms"), views.fmt_int(c.firms))
    cols[1].metric(ctx.t("work_coverage"), views.fmt_pct(c.coverage_rate),
                   help=ctx.t("coverage_rate_help"))
    cols[2].metric(ctx.t("effective_rate"), views.fmt_pct(c.effective_rate),
                   help=ctx.t("effective_rate_help", days=window))
    cols[3].metric(ctx.t("org_coverage"), views.fmt_pct(c.org_coverage_rate))
    cols[4].metric(ctx.t("single_unit_rate"), views.fmt_pct(c.single_unit_rate))
    cols[5].metric(ctx.t("gap"), views.fmt_int(detail.gap),
                   help=ctx.t("target_is", target=views.fmt_pct(detail.target_rate)))

    scope = intersect(Scope.of(chains=[code]), ctx.scope)
    if scope.areas is not None:
        st.caption(ctx.t("scoped_no_chain_scope"))
    plan = views.plan_info(ctx.engine, ctx.as_of)
    series = views.burnup_series(ctx.engine, ctx.as_of, scope, code)
    projection = views.projection(ctx.engine, ctx.as_of, scope, code, ctx.lang)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.burnup(
            series, plan["deadline"] if plan else None, plan["target_rate"] if plan else None,
            projection.frame if projection else None, ctx.lang,
            projection.assumption if projection else None), key="chain_burnup")
        if projection:
            st.caption(projection.assumption)
    with right:
        st.subheader(ctx.t("segments"))
        st.dataframe([{ctx.t("segment"): s["name"], ctx.t("firms"): views.fmt_int(s["firms"]),
                       ctx.t("covered"): views.fmt_int(s["org_covered"] + s["work_covered"]),
                       ctx.t("work_coverage"): views.fmt_pct(s["coverage_rate"])}
                      for s in detail.segments], hide_index=True)
        st.subheader(ctx.t("masters"))
        if detail.masters.empty:
            empty(ctx.t("no_masters"))
        else:
            st.dataframe(detail.masters.rename(columns={
                "name": ctx.t("firm_name"), "credit_code": ctx.t("credit_code"),
                "status_label": ctx.t("status"), "orgs": ctx.t("covering_orgs"),
                "segment_label": ctx.t("segment")})[[
                    ctx.t("firm_name"), ctx.t("credit_code"), ctx.t("segment"), ctx.t("status"),
                    ctx.t("covering_orgs")]], hide_index=True)

    st.subheader(ctx.t("network"))
    G = scoped_chain_graph(ctx, code)
    st.plotly_chart(charts.network(G, ctx.lang), key="network")

    st.subheader(ctx.t("uncovered_firms", n=views.fmt_int(len(detail.uncovered))))
    if detail.uncovered.empty:
        st.success(ctx.t("all_covered"))
    else:
        # The suggestion goes before the long reason so that it stays in view.
        columns = {"name": ctx.t("firm_name"), "suggestion": ctx.t("suggestion"),
                   "reason": ctx.t("reason"), "formal_members": ctx.t("formal_members"),
                   "park": ctx.t("park"), "street": ctx.t("street"),
                   "credit_code": ctx.t("credit_code")}
        shown = detail.uncovered.rename(columns=columns)[list(columns.values())]
        if not detail.uncovered["suggestion"].astype(bool).any():
            shown = shown.drop(columns=[ctx.t("suggestion")])
        st.dataframe(shown, hide_index=True)

    visits_section(ctx, code, scope, window)
    time_to_cover_section(ctx, code)


def visits_section(ctx, code, scope, window):
    visits = views.chain_visits(ctx.engine, code, ctx.as_of, scope)
    unvisited = int((~visits["visited"]).sum()) if len(visits) else 0
    st.subheader(ctx.t("chain_visits_title", days=window, n=views.fmt_int(unvisited),
                       total=views.fmt_int(len(visits))))
    if visits.empty:
        st.caption(ctx.t("chain_visits_none"))
        return
    st.caption(ctx.t("chain_visits_note", days=window))
    st.dataframe({ctx.t("firm_name"): visits["name"],
                  ctx.t("last_visit"): [views.fmt_day(d, ctx.t("no_visit"))
                                        for d in visits["last_visit"]],
                  ctx.t("visit_counts_column"): [ctx.t("yes") if v else ctx.t("no")
                                                 for v in visits["visited"]],
                  ctx.t("credit_code"): visits["credit_code"]}, hide_index=True,
                 key="chain_visits")


def time_to_cover_section(ctx, code):
    frame = views.time_to_cover(ctx.engine, code, ctx.as_of)
    st.subheader(ctx.t("ttc_section"))
    if frame.empty:
        st.caption(ctx.t("ttc_empty"))
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.time_to_cover(frame, ctx.lang), key="ttc_chart")
    right.dataframe({ctx.t("month"): frame["month"], ctx.t("entered"): frame["entered"],
                     ctx.t("covered_since_entry"): frame["covered"],
                     ctx.t("median_days"): [views.fmt_number(v) for v in frame["median_days"]],
                     ctx.t("p90_days"): [views.fmt_number(v) for v in frame["p90_days"]]},
                    hide_index=True, key="ttc_table")
    st.caption(ctx.t("ttc_note"))


run_page(body)
