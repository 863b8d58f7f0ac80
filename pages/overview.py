"""总览 Overview: the district against the plan at the as-of date (layout only)."""

import streamlit as st

from tracker.dashboard import charts, views
from tracker.dashboard import empty, run_page


def body(ctx):
    st.title(ctx.t("page_overview"))
    view = views.overview(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if not view.has_data:
        empty(ctx.t("empty_store"))
        return
    if view.total.firms == 0:
        first = view.first_date.isoformat() if view.first_date else "—"
        empty(ctx.t("empty_before_data", day=ctx.as_of.isoformat(), first=first))
        return
    total, before, lang = view.total, view.previous, ctx.lang
    st.caption(ctx.t("delta_since", day=view.previous_date.isoformat()))
    cols = st.columns(6)
    cols[0].metric(ctx.t("work_coverage"), views.fmt_pct(total.coverage_rate),
                   views.fmt_delta_pp(total.coverage_rate, before.coverage_rate, lang))
    cols[1].metric(ctx.t("org_coverage"), views.fmt_pct(total.org_coverage_rate),
                   views.fmt_delta_pp(total.org_coverage_rate, before.org_coverage_rate, lang))
    cols[2].metric(ctx.t("single_unit_rate"), views.fmt_pct(total.single_unit_rate),
                   views.fmt_delta_pp(total.single_unit_rate, before.single_unit_rate, lang))
    cols[3].metric(ctx.t("firms"), views.fmt_int(total.firms),
                   views.fmt_delta_int(total.firms, before.firms))
    cols[4].metric(ctx.t("orgs"), views.fmt_int(view.orgs),
                   views.fmt_delta_int(view.orgs, view.orgs_previous))
    cols[5].metric(ctx.t("liaisons"), views.fmt_int(view.liaisons),
                   views.fmt_delta_int(view.liaisons, view.liaisons_previous))

    plan = view.plan
    if plan is None:
        empty(ctx.t("no_plan"))
    else:
        status = views.STATUSES[plan.status][0 if lang == "zh" else 1]
        target = views.fmt_pct(plan.target_rate)
        if plan.passed:
            st.subheader(ctx.t("plan_after_deadline", name=plan.name,
                               deadline=plan.deadline.isoformat()))
            c1, c2 = st.columns(2)
            c1.metric(ctx.t("result_at_deadline"), views.fmt_pct(plan.at_deadline.coverage_rate),
                      help=ctx.t("target_is", target=target))
            c2.metric(ctx.t("position_today", day=ctx.as_of.isoformat()),
                      views.fmt_pct(total.coverage_rate))
            st.markdown(ctx.t("plan_status_line", status=status, target=target))
        else:
            st.subheader(ctx.t("plan_days_left", name=plan.name, days=f"{plan.days_left:,}",
                               deadline=plan.deadline.isoformat()))
            st.markdown(ctx.t("plan_status_line", status=status, target=target)
                        + " " + ctx.t("gap_line", gap=views.fmt_int(views.gap_to_target(
                            total, plan.target_rate))))

    left, right = st.columns([1, 1])
    with left:
        st.plotly_chart(charts.progress_bars(view.chains, lang),
                        key="bars")
    with right:
        series = views.burnup_series(ctx.engine, ctx.as_of, ctx.scope)
        projection = views.projection(ctx.engine, ctx.as_of, ctx.scope, "*", ctx.lang)
        st.plotly_chart(charts.burnup(
            series, plan.deadline if plan else None, plan.target_rate if plan else None,
            projection.frame if projection else None, lang,
            projection.assumption if projection else None), key="burnup")
        if projection:
            st.caption(projection.assumption)
    table = [{ctx.t("chain"): row.name, ctx.t("firms"): views.fmt_int(row.counts.firms),
              ctx.t("covered"): views.fmt_int(row.counts.covered),
              ctx.t("work_coverage"): views.fmt_pct(row.counts.coverage_rate),
              ctx.t("org_coverage"): views.fmt_pct(row.counts.org_coverage_rate),
              ctx.t("gap"): views.fmt_int(row.gap),
              ctx.t("status"): views.STATUSES[row.status][0 if lang == "zh" else 1]}
             for row in sorted(view.chains, key=lambda r: -r.gap)]
    st.dataframe(table, hide_index=True)


run_page(body)
