"""数据 Data: template, upload → preview → validation report → confirm import, edits,
and the recent audit log (layout only; the work is done by tracker.ingest / tracker.audit)."""

import tempfile
from pathlib import Path

import streamlit as st

from tracker import views
from tracker.dashboard import empty, run_page


def _template_bytes(engine) -> bytes:
    from tracker.ingest import write_template

    folder = Path(tempfile.mkdtemp(prefix="redwood-template-"))
    return write_template(folder / "template.xlsx", engine).read_bytes()


def _saved(upload) -> Path:
    """The uploaded file on disk under its own name (the readers use the name)."""
    folder = Path(tempfile.mkdtemp(prefix="redwood-upload-"))
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


def _report_tables(ctx, report):
    st.dataframe([{ctx.t("sheet"): name, ctx.t("rows"): views.fmt_int(c.rows),
                   ctx.t("added"): views.fmt_int(c.added), ctx.t("updated"): views.fmt_int(c.updated),
                   ctx.t("unchanged"): views.fmt_int(c.unchanged),
                   ctx.t("rejected"): views.fmt_int(c.rejected)}
                  for name, c in report.counts.items()], hide_index=True)


def import_section(ctx):
    st.subheader(ctx.t("import_title"))
    st.download_button(ctx.t("template_download"), data=_template_bytes(ctx.engine),
                       file_name="红杉林导入模板.xlsx", key="template",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    upload = st.file_uploader(ctx.t("upload"), type=["xlsx", "csv"], key="upload")
    if upload is None:
        st.session_state.pop("_import", None)
        return
    from tracker.ingest import import_path

    synthetic = views.provenance(ctx.engine, ctx.lang).synthetic
    replace = False
    if synthetic and views.data_bounds(ctx.engine)["firms"]:
        st.warning(ctx.t("demo_store_warning"))
        replace = st.checkbox(ctx.t("replace_demo"), key="replace_demo")
    partial = st.checkbox(ctx.t("partial"), key="partial")
    state = st.session_state.get("_import")
    if state is None or state["id"] != upload.file_id:
        path = _saved(upload)
        with st.spinner(ctx.t("validating")):
            report = import_path(ctx.engine, path, dry_run=True, replace_demo=replace)
        state = {"id": upload.file_id, "path": path, "report": report, "done": None}
        st.session_state["_import"] = state
    report = state["report"]

    st.markdown("**" + ctx.t("preview") + "**")
    for name, sheet in report.validated.sheets.items():
        with st.expander(f"{name}（{views.fmt_int(len(sheet.rows))}）"):
            headers = [h or f"#{i + 1}" for i, h in enumerate(sheet.headers)]
            st.dataframe([{h: ("" if v is None else str(v)) for h, v in zip(headers, row.values)}
                          for row in sheet.rows[:50]], hide_index=True)
    st.markdown("**" + ctx.t("validation") + "**")
    _report_tables(ctx, report)
    if not synthetic:  # the importer's notes on the demo store speak of CLI flags
        for note in report.notes:
            st.caption(note)
    if report.rejections:
        st.error(ctx.t("rejections", n=views.fmt_int(len(report.rejections))))
        st.dataframe([r.as_dict() for r in report.rejections[:1000]], hide_index=True)
    else:
        st.success(ctx.t("validation_ok"))
    if state["done"] is not None:
        st.success(state["done"])
        return
    blocked = (bool(report.rejections) and not partial) or (
        synthetic and views.data_bounds(ctx.engine)["firms"] > 0 and not replace)
    if st.button(ctx.t("confirm_import"), type="primary", disabled=blocked, key="confirm"):
        with st.spinner(ctx.t("importing")):
            done = import_path(ctx.engine, state["path"], partial=partial, replace_demo=replace,
                               user="dashboard")
        state["done"] = ctx.t("import_done", rows=views.fmt_int(done.total_rows),
                              entries=views.fmt_int(done.audit_entries))
        st.rerun()


def audit_section(ctx):
    st.subheader(ctx.t("audit_title"))
    rows = views.recent_audit(ctx.engine, 100)
    if rows is None:
        empty(ctx.t("audit_unavailable"))
    elif not rows:
        empty(ctx.t("audit_empty"))
    else:
        st.dataframe([{ctx.t("when"): r["at"], ctx.t("user"): r["user"], ctx.t("kind"): r["kind"],
                       ctx.t("action"): r["action"], ctx.t("entity"): r["entity_key"],
                       ctx.t("source"): r["source"]} for r in rows], hide_index=True)


def body(ctx):
    st.title(ctx.t("page_data"))
    import_section(ctx)
    audit_section(ctx)


run_page(body)
