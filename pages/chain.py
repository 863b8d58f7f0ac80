"""产业链 Chain: one chain at the as-of date (layout only).

The figures are :func:`tracker.dashboard.views.chain_detail`'s; the network is
:mod:`tracker.dashboard.network` (the chain's structure by default, one organisation's or
one firm's neighbourhood on demand). Rows of firms open the firm's page, organisations
open the organisation's page.
"""

import pandas as pd
import streamlit as st

from tracker.dashboard import (
    charts,
    empty,
    intersect,
    network,
    open_page,
    page_url,
    run_page,
    scoped_chain_detail,
    views,
    visible_chains,
)
from tracker.dashboard.tables import show_table
from tracker.scope import Scope

#: The network's views: the structure, one organisation, one firm.
NET_MODES = ("structure", "org", "firm")


def link_column(ctx) -> dict:
    """The column of a list's links, shown as 打开 / Open (a row can be picked as well)."""
    return {ctx.t("link"): st.column_config.LinkColumn(display_text=ctx.t("open"))}


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
        segments = pd.DataFrame([{
            ctx.t("segment"): s["name"], ctx.t("firms"): views.fmt_int(s["firms"]),
            ctx.t("covered"): views.fmt_int(s["org_covered"] + s["work_covered"]),
            ctx.t("work_coverage"): views.fmt_pct(s["coverage_rate"])} for s in detail.segments])
        show_table(segments, name=ctx.t("segments"), as_of=ctx.as_of, lang=ctx.lang,
                   key="chain_segments")

    masters_section(ctx, detail)
    network_section(ctx, code, scope)
    uncovered_section(ctx, detail)
    visits_section(ctx, code, scope, window)
    time_to_cover_section(ctx, code)


def masters_section(ctx, detail):
    st.subheader(ctx.t("masters"))
    if detail.masters.empty:
        empty(ctx.t("no_masters"))
        return
    # Status and covering organisation before the code: they are what the row is about.
    masters = detail.masters
    shown = pd.DataFrame({
        ctx.t("firm_name"): masters["name"], ctx.t("status"): masters["status_label"],
        ctx.t("covering_orgs"): masters["orgs"], ctx.t("segment"): masters["segment_label"],
        ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in masters["credit_code"]],
        ctx.t("credit_code"): masters["credit_code"]})
    opened = show_table(shown, name=ctx.t("masters"), as_of=ctx.as_of, lang=ctx.lang,
                        key="chain_masters", column_config=link_column(ctx), selectable=True)
    if opened is not None:
        open_page(ctx, "firms.py", firm=masters["credit_code"].iloc[opened])


def _clicked(key: str) -> None:
    """A click on an organisation (or a firm) of the network expands it."""
    event = st.session_state.get(key)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    node = next((p.get("customdata") for p in points if p.get("customdata")), None)
    if isinstance(node, list):
        node = node[0] if node else None
    if not isinstance(node, str):
        return
    kind, _, value = node.partition(":")
    if kind == "org":
        st.session_state["net_mode"], st.session_state["net_org"] = "org", value
    elif kind == "firm":
        st.session_state["net_mode"], st.session_state["net_firm"] = "firm", value


def network_section(ctx, code, scope):
    st.subheader(ctx.t("network"))
    structure = network.chain_structure(ctx.engine, code, ctx.as_of, scope)
    if st.session_state.get("net_mode") not in NET_MODES:
        st.session_state["net_mode"] = "structure"
    mode = st.radio(ctx.t("meeting.net_mode"), NET_MODES, key="net_mode", horizontal=True,
                    format_func=lambda m: ctx.t(f"meeting.net_mode_{m}"))
    if mode == "structure":
        st.caption(ctx.t("meeting.net_structure_note", n=network.TOP_ORGS))
        st.plotly_chart(network.structure_figure(structure, ctx.lang), key="net_structure",
                        on_select=lambda: _clicked("net_structure"), selection_mode="points",
                        config={"displayModeBar": False})
        return
    if mode == "org":
        if not structure.orgs:
            empty(ctx.t("meeting.net_no_orgs"))
            return
        orgs = {c: ctx.t("drill.aside", text=n, detail=views.fmt_int(k)) for c, n, k in structure.orgs}
        if st.session_state.get("net_org") not in orgs:
            st.session_state["net_org"] = structure.orgs[0][0]
        picked = st.selectbox(ctx.t("meeting.net_pick_org"), list(orgs), key="net_org",
                              format_func=orgs.get)
        node, file, param = f"org:{picked}", "orgs.py", "org"
    else:
        firms = dict(structure.firms)
        if st.session_state.get("net_firm") not in firms:
            st.session_state["net_firm"] = structure.firms[0][0]
        picked = st.selectbox(ctx.t("meeting.net_pick_firm"), list(firms), key="net_firm",
                              format_func=lambda c: f"{firms[c]} · {c}")
        node, file, param = f"firm:{picked}", "firms.py", "firm"
    hood = network.neighbourhood(ctx.engine, code, ctx.as_of, node, scope)
    if hood is None:
        empty(ctx.t("meeting.net_not_in_chain"))
        return
    if st.button(ctx.t(f"meeting.net_open_{mode}", name=hood.centre["name"]), key="net_open"):
        open_page(ctx, file, **{param: picked})
    st.plotly_chart(network.neighbourhood_figure(hood, ctx.lang), key="net_hood",
                    on_select=lambda: _clicked("net_hood"), selection_mode="points",
                    config={"displayModeBar": False})


def uncovered_section(ctx, detail):
    uncovered = detail.uncovered
    st.subheader(ctx.t("uncovered_firms", n=views.fmt_int(len(uncovered))))
    if uncovered.empty:
        st.success(ctx.t("all_covered"))
        return
    # The suggestion goes before the long reason so that it stays in view.
    columns = {"name": ctx.t("firm_name"), "suggestion": ctx.t("suggestion"),
               "reason": ctx.t("reason"), "formal_members": ctx.t("formal_members"),
               "park": ctx.t("park"), "street": ctx.t("street"),
               "credit_code": ctx.t("credit_code")}
    shown = uncovered.rename(columns=columns)[list(columns.values())]
    if not uncovered["suggestion"].astype(bool).any():
        shown = shown.drop(columns=[ctx.t("suggestion")])
    shown.insert(len(shown.columns) - 1, ctx.t("link"),
                 [page_url(ctx, "firms", firm=c) for c in uncovered["credit_code"]])
    opened = show_table(shown, name=ctx.t("meeting.net_uncovered_file"), as_of=ctx.as_of,
                        lang=ctx.lang, key="chain_uncovered", column_config=link_column(ctx),
                        selectable=True)
    if opened is not None:
        open_page(ctx, "firms.py", firm=uncovered["credit_code"].iloc[opened])


def visits_section(ctx, code, scope, window):
    visits = views.chain_visits(ctx.engine, code, ctx.as_of, scope)
    unvisited = int((~visits["visited"]).sum()) if len(visits) else 0
    st.subheader(ctx.t("chain_visits_title", days=window, n=views.fmt_int(unvisited),
                       total=views.fmt_int(len(visits))))
    if visits.empty:
        st.caption(ctx.t("chain_visits_none"))
        return
    st.caption(ctx.t("chain_visits_note", days=window))
    shown = pd.DataFrame({
        ctx.t("firm_name"): visits["name"],
        ctx.t("last_visit"): [views.fmt_day(d, ctx.t("no_visit")) for d in visits["last_visit"]],
        ctx.t("visit_counts_column"): [ctx.t("yes") if v else ctx.t("no")
                                       for v in visits["visited"]],
        ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in visits["credit_code"]],
        ctx.t("credit_code"): visits["credit_code"]})
    opened = show_table(shown, name=ctx.t("meeting.net_visits_file"), as_of=ctx.as_of,
                        lang=ctx.lang, key="chain_visits", column_config=link_column(ctx),
                        selectable=True)
    if opened is not None:
        open_page(ctx, "firms.py", firm=visits["credit_code"].iloc[opened])


def time_to_cover_section(ctx, code):
    frame = views.time_to_cover(ctx.engine, code, ctx.as_of)
    st.subheader(ctx.t("ttc_section"))
    if frame.empty:
        st.caption(ctx.t("ttc_empty"))
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.time_to_cover(frame, ctx.lang), key="ttc_chart")
    with right:
        show_table(pd.DataFrame({
            ctx.t("month"): frame["month"], ctx.t("entered"): frame["entered"],
            ctx.t("covered_since_entry"): frame["covered"],
            ctx.t("median_days"): [views.fmt_number(v) for v in frame["median_days"]],
            ctx.t("p90_days"): [views.fmt_number(v) for v in frame["p90_days"]]}),
            name=ctx.t("ttc_section"), as_of=ctx.as_of, lang=ctx.lang, key="ttc_table")
    st.caption(ctx.t("ttc_note"))


run_page(body)
