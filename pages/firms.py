"""企业 Firms: search and filter the firms, and one firm's page: its status, how it is covered,
why not, what to do, the rule findings and its history (layout only)."""

import pandas as pd
import streamlit as st

from tracker.dashboard import charts, empty, run_page, views, visible_chains
from tracker.dashboard.page import record_link
from tracker.dashboard.tables import show_table
from tracker.vocab import STATUS


def coverers(ctx, card):
    """Who covers the firm, each organisation a link to its page, with the day since when."""
    for org in card.orgs:
        since = views.fmt_day(org["since"], ctx.t("drill.since_unknown"))
        record_link("orgs.py", ctx.t("drill.covered_by_org", name=org["name"], code=org["code"],
                                     since=since), ":material/groups:", org=org["code"])
    for person in card.liaisons:
        since = views.fmt_day(person["since"], ctx.t("drill.since_unknown"))
        st.markdown(ctx.t("drill.covered_by_liaison", name=person["name"], unit=person["unit"],
                          since=since))


def uncovered(ctx, card):
    """Why the firm is not covered, how long it has waited, and what to do."""
    st.warning(ctx.t("drill.why_not", reason=card.reason), icon=":material/help:")
    if card.overdue is not None:
        st.warning(ctx.t("drill.overdue_line", days=f"{card.overdue['days']:,}",
                       cause=card.overdue["cause_label"]), icon=":material/schedule:")
    if card.action:
        st.info(ctx.t("drill.action_line", action=card.action), icon=":material/task_alt:")
    else:
        st.caption(ctx.t("drill.no_action"))


def visit_line(ctx, code):
    visit = views.firm_visit(ctx.engine, code, ctx.as_of)
    last = visit["last_visit"]
    text = (ctx.t("visit_counts", day=last.isoformat(), days=visit["window"]) if visit["visited"]
            else ctx.t("visit_too_old", day=last.isoformat(), days=visit["window"]) if last
            else ctx.t("visit_none", days=visit["window"]))
    (st.success if visit["visited"] else st.warning)(text)


def history_table(ctx, card):
    history = card.history
    st.plotly_chart(charts.timeline(history, ctx.lang), key="timeline")
    ends = [views.period_end(r.end, ctx.as_of) for r in history.itertuples()]
    shown = pd.DataFrame({
        ctx.t("from"): [r.start.isoformat() for r in history.itertuples()],
        ctx.t("drill.to"): [views.fmt_day(e, ctx.t("drill.ongoing")) for e in ends],
        ctx.t("status"): history["status_label"], ctx.t("covering_orgs"): history["orgs"],
        ctx.t("liaison"): history["liaisons"], ctx.t("chain"): history["chains"]})
    show_table(shown, name=ctx.t("drill.history_file", name=card.name), as_of=ctx.as_of,
               lang=ctx.lang, key="firm_history")


def findings_table(ctx, findings, key):
    st.subheader(ctx.t("drill.findings_title", n=len(findings)))
    if findings.empty:
        st.caption(ctx.t("drill.findings_none"))
        return
    shown = pd.DataFrame({ctx.t("drill.rule"): findings["rule"] + " " + findings["title"],
                          ctx.t("severity"): findings["severity_label"],
                          ctx.t("message"): findings["message"]})
    show_table(shown, name=ctx.t("findings"), as_of=ctx.as_of, lang=ctx.lang, key=key)


def firm_section(ctx, code):
    card = views.firm_card(ctx.engine, code, ctx.as_of, ctx.scope, ctx.lang)
    if card is None:
        st.warning(ctx.t("drill.firm_not_shown", code=code, day=ctx.as_of.isoformat()))
        return
    row = card.row
    st.subheader(ctx.t("drill.aside", text=card.name, detail=code))
    st.markdown(ctx.t("firm_status_line", status=row["status_label"],
                      chains=row["chain_names"] or "—"))
    if card.since is not None:
        st.caption(ctx.t("drill.status_since", status=row["status_label"],
                         day=card.since.isoformat()))
    coverers(ctx, card)
    if row["status"] == "work":
        visit_line(ctx, code)
    elif row["status"] == "none":
        uncovered(ctx, card)
    if card.history.empty:
        empty(ctx.t("no_history"))
    else:
        history_table(ctx, card)
    findings_table(ctx, card.findings, "firm_findings")


def body(ctx):
    st.title(ctx.t("page_firms"))
    frame = views.firm_table(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    # A link that names a firm (/firms?firm=…, as every list opens it) opens that firm: the
    # search is set to its code, so the list and the page below show it at once.
    wanted = (st.query_params.get("firm") or "").strip().upper()
    if wanted and st.session_state.get("_firm_from_url") != wanted:
        st.session_state["_firm_from_url"] = wanted
        if wanted in set(frame["credit_code"]):
            st.session_state["firm_search"] = wanted
            st.session_state["firm_pick"] = wanted
        else:  # not in the population on that day, or not the user's to see
            st.warning(ctx.t("drill.firm_not_shown", code=wanted, day=ctx.as_of.isoformat()))
    if frame.empty:
        bounds = views.data_bounds(ctx.engine)
        empty(ctx.t("empty_store") if bounds["firms"] == 0 else
              ctx.t("empty_before_data", day=ctx.as_of.isoformat(),
                    first=bounds["first"].isoformat() if bounds["first"] else "—"))
        return
    chains = dict(visible_chains(ctx))
    text = st.text_input(ctx.t("search"), key="firm_search",
                         placeholder=ctx.t("drill.search_hint"))
    cols = st.columns(5)
    pick_chains = cols[0].multiselect(ctx.t("chain"), list(chains), format_func=chains.get,
                                      key="f_chain", placeholder=ctx.t("choose"))
    parks = sorted(p for p in frame["park"].unique() if p)
    streets = sorted(s for s in frame["street"].unique() if s)
    pick_parks = cols[1].multiselect(ctx.t("park"), parks, key="f_park", placeholder=ctx.t("choose"))
    pick_streets = cols[2].multiselect(ctx.t("street"), streets, key="f_street", placeholder=ctx.t("choose"))
    pick_status = cols[3].multiselect(ctx.t("status"), STATUS.codes, key="f_status", placeholder=ctx.t("choose"),
                                      format_func=lambda c: STATUS.label(c, ctx.lang))
    pick_size = cols[4].multiselect(ctx.t("size"), ["above", "below"], key="f_size",
                                    placeholder=ctx.t("choose"),
                                    format_func=lambda c: ctx.t(f"size_{c}"))
    found = views.firm_filters(frame, text, pick_chains, pick_parks, pick_streets, pick_status,
                               pick_size, index=views.firm_search_index(
                                   ctx.engine, ctx.as_of, ctx.scope, ctx.lang))
    st.caption(ctx.t("firms_found", n=views.fmt_int(len(found)), total=views.fmt_int(len(frame)))
               + " " + ctx.t("drill.pick_row_firm"))
    # The status beside the name: on a narrow screen the last columns scroll out of sight.
    columns = {"name": ctx.t("firm_name"), "status_label": ctx.t("status"),
               "chain_names": ctx.t("chain"), "credit_code": ctx.t("credit_code"),
               "park": ctx.t("park"), "street": ctx.t("street"),
               "size_label": ctx.t("size"), "formal_members": ctx.t("formal_members")}
    picked = show_table(found.rename(columns=columns)[list(columns.values())],
                        name=ctx.t("drill.firms_file"), as_of=ctx.as_of, lang=ctx.lang,
                        key="firm_list", selectable=True)
    if found.empty:
        return
    codes = found["credit_code"].head(2000).tolist()
    if picked is not None:  # a row of the list opens its firm below
        code = found["credit_code"].iloc[picked]
        if code not in codes:
            codes.append(code)
        st.session_state["firm_pick"] = code
    label = dict(zip(found["credit_code"], found["name"]))
    if st.session_state.get("firm_pick") not in codes:
        st.session_state["firm_pick"] = wanted if wanted in codes else codes[0]
    code = st.selectbox(ctx.t("drill.firm_pick"), codes, key="firm_pick",
                        format_func=lambda c: ctx.t("drill.aside", text=label.get(c, c), detail=c))
    st.query_params["firm"] = code
    st.session_state["_firm_from_url"] = code
    with st.container(border=True):
        firm_section(ctx, code)


run_page(body)
