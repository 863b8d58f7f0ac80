"""报表 Reports: the ledger, the official-style report, PDF and CSV for any date and
scope (layout only; tracker.reports writes the files)."""

import streamlit as st

from tracker.dashboard import intersect, progress_bar, run_page, views, visible_chains
from tracker.reports import FORMATS, default_filename, render_report
from tracker.scope import EVERYTHING, Scope


def body(ctx):
    st.title(ctx.t("page_reports"))
    chains = dict(visible_chains(ctx))
    cols = st.columns(3)
    fmt = cols[0].selectbox(ctx.t("report_format"), list(FORMATS), key="r_fmt",
                            format_func=lambda c: FORMATS[c].label(ctx.lang))
    picked = cols[1].multiselect(ctx.t("report_scope"), list(chains), key="r_chains",
                                 format_func=chains.get, placeholder=ctx.t("whole_district"))
    report_lang = cols[2].radio(ctx.t("report_lang"), ["zh", "en"], key="r_lang", horizontal=True,
                                format_func={"zh": "中文", "en": "English"}.get)
    # Every export is within the user's scope; a pick narrows it further.
    scope = intersect(Scope.of(chains=picked) if picked else EVERYTHING, ctx.scope)
    st.caption(ctx.t("report_note", day=ctx.as_of.isoformat(), scope=scope.describe(ctx.lang)))
    key = (fmt, ctx.as_of.isoformat(), scope, report_lang,
           views.data_version(ctx.engine))
    made = st.session_state.get("_report")
    if st.button(ctx.t("report_make"), type="primary", key="r_make"):
        missing = []  # the line saying the charts could not be rendered (the report has it too)
        bar = progress_bar(ctx.lang)

        def progress(event):
            if event.stage == "charts" and event.detail:
                missing.append(event.detail)
            bar(event)

        with st.status(ctx.t("report_making"), expanded=False) as status:
            data = render_report(ctx.engine, fmt, ctx.as_of, scope, report_lang, progress=progress)
            bar.clear()
            status.update(label=ctx.t("report_ready"), state="complete")
        made = {"key": key, "data": data, "missing": missing[:1]}
        st.session_state["_report"] = made
    if made is not None and made["key"] == key:
        for line in made.get("missing", ()):
            st.warning(line)
        st.download_button(ctx.t("report_download", size=views.fmt_int(len(made["data"]) // 1024)),
                           data=made["data"], mime=FORMATS[fmt].mime, key="r_download",
                           file_name=default_filename(fmt, ctx.as_of, scope, report_lang))


run_page(body)
