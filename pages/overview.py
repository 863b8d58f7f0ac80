"""总览 Overview: the district against the plan in force at the as-of date, the officer's
to-do list, the firms lost this month and the flow of firms (layout only)."""

import html

import pandas as pd
import streamlit as st

from tracker.dashboard import charts, empty, open_page, page_url, run_page, views
from tracker.dashboard.tables import show_table
from tracker.plans import plan_name
from tracker.vocab import DEADLINE_RESULT, PLAN_STATUS, STANDING, TREND


def coloured(vocab, code, lang, text=None) -> str:
    """A word of a vocabulary in its colour (HTML for st.markdown)."""
    word = html.escape(text if text is not None else (vocab.label(code, lang) if code else "—"))
    return f'<span style="color:{vocab.colour(code)};font-weight:600">{word}</span>'


def headline(ctx, view):
    total, before, lang = view.total, view.previous, ctx.lang
    st.caption(ctx.t("delta_since", day=view.previous_date.isoformat()))
    # The rates in one row, the counts in the next: seven in a row cut the English labels
    # ("Organisation cover…") at a laptop's width.
    cols = st.columns(4) + st.columns(4)[:3]
    cols[0].metric(ctx.t("work_coverage"), views.fmt_pct(total.coverage_rate),
                   views.fmt_delta_pp(total.coverage_rate, before.coverage_rate, lang),
                   help=ctx.t("coverage_rate_help"))
    cols[1].metric(ctx.t("effective_rate"), views.fmt_pct(view.effective_rate),
                   help=ctx.t("effective_rate_help", days=view.visit_window))
    cols[2].metric(ctx.t("org_coverage"), views.fmt_pct(total.org_coverage_rate),
                   views.fmt_delta_pp(total.org_coverage_rate, before.org_coverage_rate, lang))
    cols[3].metric(ctx.t("single_unit_rate"), views.fmt_pct(total.single_unit_rate),
                   views.fmt_delta_pp(total.single_unit_rate, before.single_unit_rate, lang))
    cols[4].metric(ctx.t("firms"), views.fmt_int(total.firms),
                   views.fmt_delta_int(total.firms, before.firms))
    cols[5].metric(ctx.t("orgs"), views.fmt_int(view.orgs),
                   views.fmt_delta_int(view.orgs, view.orgs_previous))
    cols[6].metric(ctx.t("liaisons"), views.fmt_int(view.liaisons),
                   views.fmt_delta_int(view.liaisons, view.liaisons_previous))
    st.caption(ctx.t("rates_defined", days=view.visit_window,
                     visited=views.fmt_int(view.work_visited),
                     work=views.fmt_int(total.work_covered)))


def example_badge(ctx, is_example) -> str:
    """The visible 示例 marker of an illustrative plan (a badge in its heading)."""
    return f" :orange-badge[:material/science: {ctx.t('example_badge')}]" if is_example else ""


def plan_section(ctx, view):
    """The plan in force (a 示例 badge for an illustrative one) and, once a plan has ended,
    its verdict: the deadline spoken of as past."""
    plan, lang, ended = view.plan, ctx.lang, view.ended
    target = views.fmt_pct(plan.target_rate)
    if ended is not None:
        verdict_block(ctx, view, ended)
    if plan.passed:  # no plan follows the ended one: its verdict is all there is
        return
    st.subheader(ctx.t("plan_days_left", name=plan.name, days=f"{plan.days_left:,}",
                       deadline=plan.deadline.isoformat()) + example_badge(ctx, plan.is_example),
                 help=ctx.t("example_plan_note") if plan.is_example else None)
    st.markdown(ctx.t("plan_status_line", status=PLAN_STATUS.label(plan.status, lang),
                      target=target) + " " + ctx.t("gap_line", gap=views.fmt_int(plan.gap)))
    if plan.verdict is not None:
        st.markdown(standing_line(ctx, plan.verdict, target), unsafe_allow_html=True)


def verdict_block(ctx, view, ended):
    lang, v = ctx.lang, ended.district
    target = views.fmt_pct(ended.plan.target_rate)
    deadline = ended.plan.deadline.isoformat()
    st.subheader(ctx.t("plan_ended", name=plan_name(ended.plan, ctx.lang), deadline=deadline,
                       days=f"{ended.days_past_deadline:,}")
                 + example_badge(ctx, ended.plan.is_example),
                 help=ctx.t("example_plan_note") if ended.plan.is_example else None)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(ctx.t("rate_at_deadline"), views.fmt_pct(v.at_deadline.coverage_rate),
              help=ctx.t("target_is", target=target))
    c2.metric(ctx.t("result_at_deadline"), DEADLINE_RESULT.label(v.result_at_deadline, lang),
              ctx.t("short_firms", n=views.fmt_int(v.short_at_deadline))
              if v.short_at_deadline else None, delta_color="inverse", delta_arrow="off")
    c3.metric(ctx.t("rate_on_day", day=ctx.as_of.isoformat()), views.fmt_pct(v.now.coverage_rate),
              ctx.t("change_since_deadline", delta=views.fmt_delta_pp(
                  v.now.coverage_rate, v.at_deadline.coverage_rate, lang))
              if v.change is not None else None)
    c4.metric(ctx.t("trend_3m"), TREND.label(v.trend, lang) if v.trend else "—")
    result = coloured(DEADLINE_RESULT, v.result_at_deadline, lang)
    short = (ctx.t("verdict_short", n=views.fmt_int(v.short_at_deadline), target=target)
             if v.short_at_deadline else ctx.t("verdict_reached", target=target))
    line = ctx.t("verdict_line", result=result, short=short, deadline=deadline,
                 rate=views.fmt_pct(v.at_deadline.coverage_rate))
    if view.plan.passed:  # the ended plan is the plan in force: its standing too
        line += " " + standing_line(ctx, view.plan.verdict, target)
    st.markdown(line, unsafe_allow_html=True)


def standing_line(ctx, v, target) -> str:
    lang = ctx.lang
    standing = coloured(STANDING, v.standing, lang)
    trend = coloured(TREND, v.trend, lang)
    short = ctx.t("standing_short", n=views.fmt_int(v.short_now)) if v.short_now else ""
    return ctx.t("standing_line", standing=standing, short=short, target=target, trend=trend)


def link_column(ctx) -> dict:
    """The column of a list's links, shown as 打开 / Open (a row can be picked as well)."""
    return {ctx.t("link"): st.column_config.LinkColumn(display_text=ctx.t("open"))}


def overdue_section(ctx):
    queue = views.overdue_list(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    frame = queue.frame
    st.subheader(ctx.t("overdue_title", n=views.fmt_int(len(frame)), days=queue.days))
    if frame.empty:
        st.success(ctx.t("overdue_none", days=queue.days))
        return
    st.caption(ctx.t("overdue_note", plan=queue.plan or "—", days=queue.days))
    shown = pd.DataFrame({
        ctx.t("firm_name"): frame["name"], ctx.t("chain"): frame["chain_names"],
        ctx.t("uncovered_since"): [views.fmt_day(d) for d in frame["uncovered_since"]],
        ctx.t("days_uncovered"): frame["days"],
        ctx.t("cause"): frame["cause_label"], ctx.t("suggestion"): frame["action"],
        ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in frame["credit_code"]],
        ctx.t("credit_code"): frame["credit_code"]})
    opened = show_table(shown, name=ctx.t("drill.overdue_file"), as_of=ctx.as_of, lang=ctx.lang,
                        key="overdue", column_config=link_column(ctx), selectable=True,
                        page_rows=15, secondary=(ctx.t("chain"),))
    if opened is not None:
        open_page(ctx, "firms.py", firm=frame["credit_code"].iloc[opened])


def losses_section(ctx):
    lost = views.lost_this_month(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    since = views.previous_month_end(ctx.as_of).isoformat()
    st.subheader(ctx.t("lost_title", n=views.fmt_int(len(lost)), day=since))
    if lost.empty:
        st.caption(ctx.t("lost_none", day=since))
        return
    shown = pd.DataFrame({
        ctx.t("firm_name"): lost["name"], ctx.t("chain"): lost["chain_names"],
        ctx.t("what_ended"): lost["ended"], ctx.t("ended_on"): lost["ended_on"],
        ctx.t("link"): [page_url(ctx, "firms", firm=c) for c in lost["credit_code"]],
        ctx.t("credit_code"): lost["credit_code"]})
    opened = show_table(shown, name=ctx.t("drill.lost_file"), as_of=ctx.as_of, lang=ctx.lang,
                        key="lost", column_config=link_column(ctx), selectable=True,
                        page_rows=15, secondary=(ctx.t("chain"),))
    if opened is not None:
        open_page(ctx, "firms.py", firm=lost["credit_code"].iloc[opened])


def flow_section(ctx, view):
    st.subheader(ctx.t("flow_title"))
    scope = ctx.scope
    if scope.areas is not None:
        empty(ctx.t("flow_area_scope"))
        return
    chain = None
    if scope.chains is not None:
        names = dict(views.chain_list(ctx.engine, ctx.lang))
        codes = sorted(scope.chains)
        chain = st.selectbox(ctx.t("chain"), codes, key="flow_chain", format_func=names.get)
    starts = {}
    if view.ended is not None:
        starts["deadline"] = view.ended.plan.deadline
    starts["month"] = views.previous_month_end(ctx.as_of)
    pick = st.radio(ctx.t("flow_from"), list(starts), key="flow_from", horizontal=True,
                    format_func=lambda k: ctx.t(f"flow_from_{k}", day=starts[k].isoformat()))
    moves = views.flow_between(ctx.engine, starts[pick], ctx.as_of, chain).as_dict()
    ttc = moves["time_to_cover"]
    st.caption(ctx.t("flow_line", start=moves["from"], end=moves["to"],
                     entered=views.fmt_int(moves["entered"]),
                     entered_covered=views.fmt_int(moves["entered_covered"]),
                     left=views.fmt_int(moves["left"]),
                     left_covered=views.fmt_int(moves["left_covered"]),
                     gained=views.fmt_int(moves["gained"]), lost=views.fmt_int(moves["lost"]))
               + " " + (ctx.t("ttc_line", entered=views.fmt_int(ttc["entered"]),
                              covered=views.fmt_int(ttc["covered"]),
                              median=f"{ttc['median_days']:g}", p90=ttc["p90_days"])
                        if ttc["median_days"] is not None else
                        ctx.t("ttc_line_none", entered=views.fmt_int(ttc["entered"]))))
    left, right = st.columns(2)
    left.plotly_chart(charts.flow_waterfall(moves, ctx.lang), key="flow_covered")
    right.plotly_chart(charts.flow_waterfall(moves, ctx.lang, uncovered=True), key="flow_uncovered")


def chains_section(ctx, view):
    lang = ctx.lang
    plan = view.plan
    left, right = st.columns([1, 1])
    with left:
        # A click on a chain's bar opens the chain page (the bar carries the chain's code).
        # The chart's key changes after each pick, so that coming back to the overview
        # does not open the same chain again.
        picks = st.session_state.get("_bars_picks", 0)
        event = st.plotly_chart(charts.progress_bars(view.chains, lang,
                                                     standing=view.ended is not None),
                                key=f"bars_{picks}", on_select="rerun", selection_mode="points",
                                config={"displayModeBar": False})
        picked = charts.picked_codes(event)
        if picked:
            st.session_state["_bars_picks"] = picks + 1
            open_page(ctx, "chain.py", chain=picked[0])
    with right:
        series = views.burnup_series(ctx.engine, ctx.as_of, ctx.scope)
        projection = views.projection(ctx.engine, ctx.as_of, ctx.scope, "*", ctx.lang)
        st.plotly_chart(charts.burnup(
            series, plan.deadline if plan else None, plan.target_rate if plan else None,
            projection.frame if projection else None, lang,
            projection.assumption if projection else None), key="burnup")
        if projection:
            st.caption(projection.assumption)
    st.subheader(ctx.t("chains_title"))
    st.caption(ctx.t("chains_note"))
    if view.ended is not None and plan is not None and not plan.passed:
        st.caption(ctx.t("chains_two_plans", ended=plan_name(view.ended.plan, ctx.lang),
                         deadline=view.ended.plan.deadline.isoformat(), plan=plan.name))
    rows, codes = [], []
    for row in view.chains:  # lowest coverage rate first
        v = row.verdict  # the plan in force: the standing and the trend
        final = row.ended or v  # the deadline's result: of the last ended plan, else pending
        short = final.short_at_deadline if final is not None else None
        result = DEADLINE_RESULT.label(final.result_at_deadline, lang) if final else "—"
        if short:
            result += ctx.t("short_suffix", n=views.fmt_int(short))
        # The words that judge the chain first, beside its rate; the counts after them.
        rows.append({
            ctx.t("chain"): row.name,
            ctx.t("work_coverage"): views.fmt_pct(row.counts.coverage_rate),
            ctx.t("standing"): STANDING.label(v.standing, lang) if v else "—",
            ctx.t("trend"): TREND.label(v.trend, lang) if v and v.trend else "—",
            ctx.t("result_at_deadline"): result,
            ctx.t("gap"): views.fmt_int(row.gap),
            ctx.t("firms"): views.fmt_int(row.counts.firms),
            ctx.t("covered"): views.fmt_int(row.counts.covered),
            ctx.t("effective_rate"): views.fmt_pct(v.now.effective_rate) if v else "—",
            ctx.t("rate_at_deadline"): views.fmt_pct(
                final.at_deadline.coverage_rate) if final and final.at_deadline else "—"})
        codes.append((final.result_at_deadline if final else None, v.standing if v else None,
                      v.trend if v else None))
    table = pd.DataFrame(rows)
    # Each of the three words in its own colour (tracker.vocab), the rest as it is.
    colours = pd.DataFrame("", index=table.index, columns=table.columns)
    for column, vocab, at in ((ctx.t("result_at_deadline"), DEADLINE_RESULT, 0),
                              (ctx.t("standing"), STANDING, 1), (ctx.t("trend"), TREND, 2)):
        colours[column] = [f"color: {vocab.colour(c[at])}; font-weight: 600" for c in codes]
    if (table[ctx.t("rate_at_deadline")] == "—").all():  # no deadline has passed yet
        table, colours = (x.drop(columns=[ctx.t("rate_at_deadline")]) for x in (table, colours))
    styled = table.style.apply(lambda _: colours, axis=None)
    st.caption(ctx.t("drill.chains_click"))
    opened = show_table(styled, name=ctx.t("drill.chains_file"), as_of=ctx.as_of, lang=lang,
                        key="chains_table", selectable=True, column_config={
                            ctx.t("chain"): st.column_config.TextColumn(pinned=True)})
    if opened is not None:  # a chain's row opens its page
        open_page(ctx, "chain.py", chain=view.chains[opened].code)


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
    if view.plan is None:
        empty(ctx.t("no_plan"))
    else:
        plan_section(ctx, view)
    headline(ctx, view)
    overdue_section(ctx)
    losses_section(ctx)
    flow_section(ctx, view)
    chains_section(ctx, view)


run_page(body)
