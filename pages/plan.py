"""缺口与计划 Gap and plan: the forecast against the deadline, a what-if, and the
planner's proposed actions (layout only; tracker.planning.forecast and tracker.planning.plan do the work)."""

import pandas as pd
import streamlit as st

from tracker.dashboard import empty, run_page, views
from tracker.dashboard.tables import show_table
from tracker.vocab import PLAN_STATUS


def forecast_section(ctx):
    st.subheader(ctx.t("forecast_title"))
    result = views.forecast_result(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if result is None:
        empty(ctx.t("no_plan"))
        return
    d = result.district
    reach = views.reach_text(result, d, ctx.lang)
    cols = st.columns(4)
    cols[0].metric(ctx.t("deadline_status"), PLAN_STATUS.label(d.status, ctx.lang))
    cols[1].metric(ctx.t("work_coverage"), views.fmt_pct(d.rate))
    # A short value on the card (a date, or "after <year>"); the sentence in its help.
    cols[2].metric(ctx.t("reach"), reach["value"], help=reach["help"])
    cols[3].metric(ctx.t("needed_per_month"),
                   "—" if d.needed_per_month is None else f"{d.needed_per_month:,.1f}")
    st.caption(reach["help"])
    rows = []
    for f in result.chains:
        text = views.reach_text(result, f, ctx.lang)
        rows.append({ctx.t("chain"): f.name, ctx.t("work_coverage"): views.fmt_pct(f.rate),
                     ctx.t("deadline_status"): PLAN_STATUS.label(f.status, ctx.lang),
                     ctx.t("reach"): text["value"], ctx.t("reach_range_short"): text["range"],
                     ctx.t("needed_per_month"): "—" if f.needed_per_month is None
                     else f"{f.needed_per_month:,.1f}"})
    show_table(pd.DataFrame(rows), name=ctx.t("forecast_title"), as_of=ctx.as_of, lang=ctx.lang,
               key="plan_forecast")
    st.caption(views.forecast_assumptions(result, ctx.lang))

    st.subheader(ctx.t("what_if"))
    c1, c2 = st.columns(2)
    k = c1.number_input(ctx.t("what_if_orgs"), min_value=0, max_value=10000, value=5, step=1,
                        key="wi_k")
    l_ = c2.number_input(ctx.t("what_if_liaisons"), min_value=0, max_value=10000, value=5,
                         step=1, key="wi_l")
    scenario = views.forecast_result(ctx.engine, ctx.as_of, ctx.scope, ctx.lang, int(k), int(l_))
    if scenario.district.what_if is not None:
        st.markdown(views.what_if_text(scenario, ctx.lang))


def plan_section(ctx):
    st.subheader(ctx.t("planner_title"))
    result = views.plan_result(ctx.engine, ctx.as_of, ctx.scope)
    if result.firms == 0:
        empty(ctx.t("empty_before_data_short", day=ctx.as_of.isoformat()))
        return
    totals = result.totals
    cols = st.columns(6)
    cols[0].metric(ctx.t("coverage_before"), views.fmt_pct(result.coverage_before))
    cols[1].metric(ctx.t("coverage_after"), views.fmt_pct(result.coverage_after))
    cols[2].metric(ctx.t("new_orgs"), views.fmt_int(totals.get("new_orgs", 0)))
    cols[3].metric(ctx.t("joined"), views.fmt_int(totals.get("joined", 0)))
    cols[4].metric(ctx.t("liaison_assignments"), views.fmt_int(totals.get("liaison_assignments", 0)))
    cols[5].metric(ctx.t("new_liaisons_needed"), views.fmt_int(totals.get("new_liaisons_needed", 0)))
    actions = views.plan_actions(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if actions.empty:
        st.success(ctx.t("nothing_to_plan"))
        return
    columns = {"action": ctx.t("action"), "firms": ctx.t("firms"),
               "firm_names": ctx.t("firm_name"), "org": ctx.t("org_code"),
               "liaison": ctx.t("liaison"), "area": ctx.t("area"), "chain": ctx.t("chain"),
               "pooled_formal_members": ctx.t("formal_members"), "reason": ctx.t("reason_plan")}
    show_table(actions.rename(columns=columns)[list(columns.values())],
               name=ctx.t("planner_title"), as_of=ctx.as_of, lang=ctx.lang, key="plan_actions")


def body(ctx):
    st.title(ctx.t("page_plan"))
    if views.data_bounds(ctx.engine)["firms"] == 0:
        empty(ctx.t("empty_store"))
        return
    forecast_section(ctx)
    plan_section(ctx)


run_page(body)
