"""企业 Firms: search and filter the firms, and a firm's coverage history (layout only)."""

import streamlit as st

from tracker.dashboard import charts, empty, run_page, views, visible_chains
from tracker.vocab import STATUS


def body(ctx):
    st.title(ctx.t("page_firms"))
    frame = views.firm_table(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
    if frame.empty:
        bounds = views.data_bounds(ctx.engine)
        empty(ctx.t("empty_store") if bounds["firms"] == 0 else
              ctx.t("empty_before_data", day=ctx.as_of.isoformat(),
                    first=bounds["first"].isoformat() if bounds["first"] else "—"))
        return
    chains = dict(visible_chains(ctx))
    # A link that names a firm (/firms?firm=…, as the overview's lists open it) opens that
    # firm: the search is set to its code, so the list and the detail below show it at once.
    wanted = st.query_params.get("firm")
    if wanted and st.session_state.get("_firm_from_url") != wanted:
        st.session_state["_firm_from_url"] = wanted
        if wanted in set(frame["credit_code"]):
            st.session_state["firm_search"] = wanted
            st.session_state["firm_pick"] = wanted
    text = st.text_input(ctx.t("search"), key="firm_search", placeholder=ctx.t("search_hint"))
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
                               pick_size)
    st.caption(ctx.t("firms_found", n=views.fmt_int(len(found)), total=views.fmt_int(len(frame))))
    columns = {"name": ctx.t("firm_name"), "credit_code": ctx.t("credit_code"),
               "chain_names": ctx.t("chain"), "park": ctx.t("park"), "street": ctx.t("street"),
               "size_label": ctx.t("size"), "formal_members": ctx.t("formal_members"),
               "status_label": ctx.t("status")}
    st.dataframe(found.head(2000).rename(columns=columns)[list(columns.values())], hide_index=True)
    if found.empty:
        return

    codes = found["credit_code"].head(2000).tolist()
    label = dict(zip(found["credit_code"], found["name"]))
    wanted = st.query_params.get("firm")
    if st.session_state.get("firm_pick") not in codes:
        st.session_state["firm_pick"] = wanted if wanted in codes else codes[0]
    code = st.selectbox(ctx.t("firm_detail"), codes, key="firm_pick",
                        format_func=lambda c: f"{label.get(c, c)}（{c}）")
    st.query_params["firm"] = code
    st.session_state["_firm_from_url"] = code
    row = found[found["credit_code"] == code].iloc[0]
    st.subheader(f"{row['name']}（{code}）")
    st.markdown(ctx.t("firm_status_line", status=row["status_label"],
                      chains=row["chain_names"] or "—"))
    if row["status"] == "work":
        visit = views.firm_visit(ctx.engine, code, ctx.as_of)
        last = visit["last_visit"]
        text = (ctx.t("visit_counts", day=last.isoformat(), days=visit["window"]) if visit["visited"]
                else ctx.t("visit_too_old", day=last.isoformat(), days=visit["window"]) if last
                else ctx.t("visit_none", days=visit["window"]))
        (st.success if visit["visited"] else st.warning)(text)
    history = views.firm_history(ctx.engine, code, ctx.as_of, ctx.lang)
    if history.empty:
        empty(ctx.t("no_history"))
        return
    st.plotly_chart(charts.timeline(history, ctx.lang), key="timeline")
    st.dataframe([{ctx.t("from"): r.start.isoformat(), ctx.t("until"): (r.end).isoformat(),
                   ctx.t("status"): r.status_label, ctx.t("covering_orgs"): r.orgs,
                   ctx.t("liaison"): r.liaisons, ctx.t("chain"): r.chains}
                  for r in history.itertuples()], hide_index=True)


run_page(body)
