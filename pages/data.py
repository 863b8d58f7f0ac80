"""数据 Data: template, upload → preview → validation report → confirm import, edit
forms, and the recent audit log (layout only; the work is done by tracker.ingest,
tracker.dashboard's edit helpers over tracker.edits, and tracker.audit).

Who sees what: the import is for admins (a workbook may touch any part of the district);
the edit forms for admins and editors (each save checked against the editor's scope);
the audit log for admins (tracker.auth.can_view_audit); a viewer sees none of them.
"""

import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from tracker import auth, dashboard
from tracker.dashboard import empty, progress_bar, run_page, views, visible_chains
from tracker.dashboard.views import data as data_views
from tracker.edits import periods_text
from tracker.errors import TrackerError
from tracker.i18n import t
from tracker.vocab import FORMATION, LIAISON_ROLE, ORG_KIND, OWNERSHIP, SEGMENT, VISIT_MODE

#: What the upload accepts: the workbook formats the importer reads, and CSV.
UPLOAD_TYPES = ("xlsx", "xlsm", "xls", "xlsb", "ods", "csv")


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


def _tr(ctx, key: str, **values) -> str:
    """A string of this page's import area (tracker/locales/ingest.json)."""
    return t(f"ingest.{key}", ctx.lang, **values)


def _report_tables(ctx, report):
    read = report.sheets or report.counts
    st.dataframe([{ctx.t("sheet"): name, _tr(ctx, "col_format"): report.sheet_info(name).get("format", ""),
                   _tr(ctx, "col_header_row"): str(report.sheet_info(name).get("header_row", "")),
                   ctx.t("rows"): views.fmt_int(c.rows),
                   ctx.t("added"): views.fmt_int(c.added), ctx.t("updated"): views.fmt_int(c.updated),
                   ctx.t("unchanged"): views.fmt_int(c.unchanged),
                   ctx.t("rejected"): views.fmt_int(c.rejected)}
                  for name, c in report.counts.items() if name in read], hide_index=True)


def _mapping_editor(ctx, raw, state) -> None:
    """One select box per header of the sheet: the column it is read as (changeable)."""
    sheet = raw.name
    st.caption(_tr(ctx, "sheet_caption", format=raw.fmt, row=raw.header_row))
    rows = data_views.sheet_rows(raw)
    hows = raw.how or [None] * len(raw.headers)
    choices = data_views.mapping_choices(sheet)
    columns = st.columns(4)
    for n, (i, header, key) in enumerate(rows):
        how = hows[i] if i < len(hows) else None
        with columns[n % 4]:
            chosen = st.selectbox(
                _tr(ctx, "map_label", header=header, how=_tr(ctx, f"how_{how}")), choices,
                index=choices.index(key), key=f"map|{state['id']}|{sheet}|{i}",
                format_func=lambda k, s=sheet: (data_views.column_label(s, k, ctx.lang)
                                                 or _tr(ctx, "skip_column")))
        if chosen != key:
            # The officer changed a column: read the file again with that choice.
            state["choices"].setdefault(sheet, {})[header] = chosen
            state["report"] = None
            st.rerun()
    if raw.unmatched:
        st.caption(_tr(ctx, "unmatched", columns=t("common.list_sep", ctx.lang).join(raw.unmatched)))


def import_section(ctx):
    st.subheader(ctx.t("import_title"))
    st.download_button(ctx.t("template_download"), data=_template_bytes(ctx.engine),
                       file_name="红杉林导入模板.xlsx", key="template",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    upload = st.file_uploader(_tr(ctx, "upload"), type=list(UPLOAD_TYPES), key="upload")
    if upload is None:
        st.session_state.pop("_import", None)
        return
    from tracker.ingest import ReadError, import_path

    synthetic = views.provenance(ctx.engine, ctx.lang).synthetic
    demo_firms = views.data_bounds(ctx.engine)["firms"] if synthetic else 0
    demo = bool(synthetic and demo_firms)
    partial = False
    if demo:
        # Never mixed: a real ledger takes the demo district's place, as one confirmed
        # action that is all-or-nothing like every import.
        st.warning(_tr(ctx, "demo_replace_explain", firms=views.fmt_int(demo_firms)))
    else:
        partial = st.checkbox(ctx.t("partial"), key="partial")
    state = st.session_state.get("_import")
    if state is None or state["id"] != upload.file_id:
        state = {"id": upload.file_id, "path": _saved(upload), "choices": {}, "report": None,
                 "error": None, "sheet": None, "done": None}
        st.session_state["_import"] = state
    mapping = data_views.preview_mapping(state["choices"])
    if state["report"] is None and state["error"] is None or state.get("mapping") != mapping:
        state["mapping"] = mapping
        with st.spinner(ctx.t("validating")):
            bar = progress_bar(ctx.lang)
            try:
                state["report"] = import_path(ctx.engine, state["path"], dry_run=True,
                                              replace_demo=demo, progress=bar, mapping=mapping)
                state["error"] = state["sheet"] = None
            except ReadError as exc:
                state["report"], state["error"] = None, str(exc)
                state["sheet"] = getattr(exc, "sheet", None)
            bar.clear()
    report = state["report"]
    if report is None:
        st.error(state["error"])
        if state["sheet"] is not None:  # a required column missing: let the officer map it
            st.markdown("**" + _tr(ctx, "mapping_title") + "**")
            with st.expander(state["sheet"].name, expanded=True):
                _mapping_editor(ctx, state["sheet"], state)
        return

    st.markdown("**" + ctx.t("preview") + "**")
    for name, sheet in report.validated.sheets.items():
        with st.expander(ctx.t("drill.aside", text=name, detail=views.fmt_int(len(sheet.rows)))):
            _mapping_editor(ctx, sheet, state)
            headers = [h or f"#{i + 1}" for i, h in enumerate(sheet.headers)]
            st.dataframe([{h: ("" if v is None else str(v)) for h, v in zip(headers, row.values)}
                          for row in sheet.rows[:50]], hide_index=True)
    st.markdown("**" + ctx.t("validation") + "**")
    _report_tables(ctx, report)
    if report.validated.name_matches:
        st.caption(_tr(ctx, "name_matches_title"))
        st.dataframe([{ctx.t("sheet"): m["sheet"], _tr(ctx, "col_row"): str(m["row"]),
                       _tr(ctx, "col_given_name"): m["name"], _tr(ctx, "col_matched"): m["matched"],
                       _tr(ctx, "col_code"): m["credit_code"]}
                      for m in report.validated.name_matches[:1000]], hide_index=True)
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
    confirmed = True
    if demo:
        confirmed = st.checkbox(_tr(ctx, "demo_replace_confirm", firms=views.fmt_int(demo_firms)),
                                key="replace_demo")
    blocked = (bool(report.rejections) and not partial) or not confirmed
    label = _tr(ctx, "demo_replace_button") if demo else ctx.t("confirm_import")
    if st.button(label, type="primary", disabled=blocked, key="confirm"):
        with st.spinner(ctx.t("importing")):
            done = import_path(ctx.engine, state["path"], partial=partial, replace_demo=demo,
                               user=ctx.user.name, progress=progress_bar(ctx.lang),
                               mapping=state["mapping"])
        message = ctx.t("import_done", rows=views.fmt_int(done.total_rows),
                        entries=views.fmt_int(done.audit_entries))
        if done.replaced_demo:
            message += " " + _tr(ctx, "demo_replaced")
        if done.remembered:
            message += " " + _tr(ctx, "mapping_remembered", n=done.remembered)
        state["done"] = message
        st.rerun()


def audit_section(ctx):
    st.subheader(ctx.t("audit_title"))
    rows = views.recent_audit(ctx.engine, 100)
    if not rows:
        empty(ctx.t("audit_empty"))
    else:
        st.dataframe([{ctx.t("when"): r["at"], ctx.t("user"): r["user"], ctx.t("kind"): r["kind"],
                       ctx.t("action"): r["action"], ctx.t("entity"): r["entity_key"],
                       ctx.t("source"): r["source"]} for r in rows], hide_index=True)


# --------------------------------------------------------------------------- edit forms

EDIT_KINDS = ["add_firm", "update_firm", "membership", "org", "link", "liaison", "visit",
              "election"]


def _save(ctx, action, what: str) -> bool:
    """Run a save; its refusal (no permission, a conflict, a bad value) as a message."""
    try:
        action()
    except (TrackerError, ValueError) as exc:
        st.error(str(exc))
        return False
    st.success(ctx.t("saved", what=what))
    return True


def _effective(ctx, key: str) -> date:
    return st.date_input(ctx.t("effective"), value=ctx.as_of, key=key, format="YYYY-MM-DD",
                         min_value=dashboard.MIN_DAY, max_value=dashboard.MAX_DAY)


def _vocab(ctx, label: str, vocab, key: str, index: int = 0):
    return st.selectbox(label, vocab.codes, index=index, key=key,
                        format_func=lambda c: vocab.label(c, ctx.lang))


def _firm_loader(ctx, prefix: str) -> dict | None:
    """Credit code + 载入: the firm as stored now, whose version the save will expect."""
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    code = c1.text_input(ctx.t("firm_code"), key=f"{prefix}_code")
    if c2.button(ctx.t("load"), key=f"{prefix}_load"):
        record = dashboard.firm_record(ctx.engine, code) if code.strip() else None
        if record is None or not auth.can_view(ctx.user, firm=record["credit_code"],
                                               engine=ctx.engine):
            # A firm outside the scope is reported as unknown: its existence is not theirs.
            st.session_state.pop(f"{prefix}_firm", None)
            st.error(ctx.t("firm_not_found", code=code.strip()))
        else:
            st.session_state[f"{prefix}_firm"] = record
            if prefix == "uf":  # the update form starts from the stored values
                for field in ("name", "ownership", "above_size", "park", "street",
                              "formal_members", "probationary_members"):
                    value = record[field]
                    st.session_state[f"uf_{field}"] = "" if value is None and field in (
                        "park", "street") else value
    record = st.session_state.get(f"{prefix}_firm")
    if record is None:
        st.caption(ctx.t("load_first"))
        return None
    st.caption(ctx.t("loaded_version", name=record["name"], code=record["credit_code"],
                     version=record["version"]))
    return record


def _reload(ctx, prefix: str, record: dict) -> None:
    st.session_state[f"{prefix}_firm"] = dashboard.firm_record(ctx.engine, record["credit_code"])


def form_add_firm(ctx):
    chains = dict(visible_chains(ctx))
    if ctx.scope.chains is not None:
        st.caption(ctx.t("add_firm_need_chain"))
    with st.form("form_add_firm"):
        c1, c2 = st.columns(2)
        code = c1.text_input(ctx.t("credit_code"), key="af_code")
        name = c2.text_input(ctx.t("firm_name"), key="af_name")
        c1, c2, c3 = st.columns(3)
        with c1:
            ownership = _vocab(ctx, ctx.t("ownership"), OWNERSHIP, "af_ownership")
        park = c2.text_input(ctx.t("park"), key="af_park")
        street = c3.text_input(ctx.t("street"), key="af_street")
        c1, c2, c3 = st.columns(3)
        formal = c1.number_input(ctx.t("formal_members"), min_value=0, step=1, key="af_formal")
        probationary = c2.number_input(ctx.t("probationary_members"), min_value=0, step=1,
                                       key="af_prob")
        above = c3.checkbox(ctx.t("above_size_flag"), key="af_above")
        options = [""] + list(chains)
        c1, c2, c3 = st.columns(3)
        chain = c1.selectbox(ctx.t("join_chain_optional"), options, key="af_chain",
                             format_func=lambda c: chains.get(c, ctx.t("none_option")))
        with c2:
            segment = _vocab(ctx, ctx.t("segment"), SEGMENT, "af_segment", 1)
        master = c3.checkbox(ctx.t("chain_master_flag"), key="af_master")
        effective = _effective(ctx, "af_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            _save(ctx, lambda: dashboard.edit_add_firm(
                ctx.engine, ctx.user, code, name, effective=effective, chain=chain or None,
                segment=segment, chain_master=master, ownership=ownership, park=park or None,
                street=street or None, formal_members=int(formal),
                probationary_members=int(probationary), above_size=above),
                ctx.t("drill.aside", text=name, detail=code.strip().upper()))


def form_update_firm(ctx):
    record = _firm_loader(ctx, "uf")
    if record is None:
        return
    with st.form("form_update_firm"):
        name = st.text_input(ctx.t("firm_name"), key="uf_name")
        c1, c2, c3 = st.columns(3)
        with c1:
            ownership = _vocab(ctx, ctx.t("ownership"), OWNERSHIP, "uf_ownership")
        park = c2.text_input(ctx.t("park"), key="uf_park")
        street = c3.text_input(ctx.t("street"), key="uf_street")
        c1, c2, c3 = st.columns(3)
        formal = c1.number_input(ctx.t("formal_members"), min_value=0, step=1,
                                 key="uf_formal_members")
        probationary = c2.number_input(ctx.t("probationary_members"), min_value=0, step=1,
                                       key="uf_probationary_members")
        above = c3.checkbox(ctx.t("above_size_flag"), key="uf_above_size")
        effective = _effective(ctx, "uf_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            changes = {"name": name, "ownership": ownership, "park": park or None,
                       "street": street or None, "formal_members": int(formal),
                       "probationary_members": int(probationary), "above_size": above}
            # Only what the form changed: a field the form did not touch is not rewritten.
            changes = {k: v for k, v in changes.items() if v != record[k]}
            if _save(ctx, lambda: dashboard.edit_update_firm(
                    ctx.engine, ctx.user, record["credit_code"], record["version"],
                    effective=effective, **changes), record["credit_code"]):
                _reload(ctx, "uf", record)


def _action(ctx, key: str, actions: list[str]) -> str:
    return st.radio(ctx.t("action"), actions, key=key, horizontal=True,
                    format_func=lambda a: ctx.t(f"action_{a}"))


def form_membership(ctx):
    record = _firm_loader(ctx, "mb")
    if record is None:
        return
    chains = dict(visible_chains(ctx))
    with st.form("form_membership"):
        action = _action(ctx, "mb_action", ["join", "leave"])
        c1, c2, c3 = st.columns(3)
        chain = c1.selectbox(ctx.t("chain"), list(chains), key="mb_chain", format_func=chains.get)
        with c2:
            segment = _vocab(ctx, ctx.t("segment"), SEGMENT, "mb_segment", 1)
        master = c3.checkbox(ctx.t("chain_master_flag"), key="mb_master")
        effective = _effective(ctx, "mb_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            if _save(ctx, lambda: dashboard.edit_membership(
                    ctx.engine, ctx.user, action, record["credit_code"], record["version"],
                    chain, effective=effective, segment=segment, chain_master=master),
                    f"{record['name']} · {ctx.t('action_' + action)} · {chains.get(chain, chain)}"):
                _reload(ctx, "mb", record)


def form_org(ctx):
    action = _action(ctx, "og_action", ["found", "dissolve"])
    if action == "found":
        with st.form("form_found_org"):
            c1, c2 = st.columns(2)
            code = c1.text_input(ctx.t("org_code"), key="og_code")
            name = c2.text_input(ctx.t("org_name"), key="og_name")
            c1, c2, c3, c4 = st.columns(4)
            with c1:
                kind = _vocab(ctx, ctx.t("org_kind"), ORG_KIND, "og_kind", 2)
            with c2:
                formation = _vocab(ctx, ctx.t("formation"), FORMATION, "og_formation")
            parent = c3.text_input(ctx.t("parent_org"), key="og_parent")
            members = c4.number_input(ctx.t("member_count"), min_value=0, step=1, key="og_members")
            effective = _effective(ctx, "og_effective")
            if st.form_submit_button(ctx.t("save"), type="primary"):
                _save(ctx, lambda: dashboard.edit_org(
                    ctx.engine, ctx.user, "found", code, effective=effective, name=name,
                    kind=kind, formation=formation, parent=parent.strip() or None,
                    member_count=int(members)), f"{ctx.t('action_found')} {name}")
        return
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    code = c1.text_input(ctx.t("org_code"), key="od_code")
    if c2.button(ctx.t("load"), key="od_load"):
        record = dashboard.org_record(ctx.engine, code) if code.strip() else None
        if record is None:
            st.session_state.pop("od_org", None)
            st.error(ctx.t("org_not_found", code=code.strip()))
        else:
            st.session_state["od_org"] = record
    record = st.session_state.get("od_org")
    if record is None:
        st.caption(ctx.t("load_first"))
        return
    st.caption(ctx.t("loaded_version", name=record["name"], code=record["code"],
                     version=record["version"]))
    with st.form("form_dissolve_org"):
        effective = _effective(ctx, "od_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            if _save(ctx, lambda: dashboard.edit_org(
                    ctx.engine, ctx.user, "dissolve", record["code"], effective=effective,
                    version=record["version"]), f"{ctx.t('action_dissolve')} {record['name']}"):
                st.session_state["od_org"] = dashboard.org_record(ctx.engine, record["code"])


def form_link(ctx):
    record = _firm_loader(ctx, "lk")
    if record is None:
        return
    with st.form("form_link"):
        action = _action(ctx, "lk_action", ["link", "unlink"])
        org = st.text_input(ctx.t("org_code"), key="lk_org")
        effective = _effective(ctx, "lk_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            if _save(ctx, lambda: dashboard.edit_link(
                    ctx.engine, ctx.user, action, org, record["credit_code"], record["version"],
                    effective=effective), f"{ctx.t('action_' + action)} {org} → {record['name']}"):
                _reload(ctx, "lk", record)


def form_liaison(ctx):
    record = _firm_loader(ctx, "ls")
    if record is None:
        return
    with st.form("form_liaison"):
        action = _action(ctx, "ls_action", ["assign", "end"])
        c1, c2, c3 = st.columns(3)
        name = c1.text_input(ctx.t("liaison_name"), key="ls_name")
        unit = c2.text_input(ctx.t("liaison_unit"), key="ls_unit")
        with c3:
            role = _vocab(ctx, ctx.t("liaison_role"), LIAISON_ROLE, "ls_role")
        effective = _effective(ctx, "ls_effective")
        if st.form_submit_button(ctx.t("save"), type="primary"):
            if _save(ctx, lambda: dashboard.edit_liaison(
                    ctx.engine, ctx.user, action, name, unit, record["credit_code"],
                    record["version"], effective=effective, role=role),
                    f"{ctx.t('action_' + action)} {name} → {record['name']}"):
                _reload(ctx, "ls", record)


def form_visit(ctx):
    record = _firm_loader(ctx, "vs")
    if record is None:
        return
    people = dashboard.firm_officers(ctx.engine, record["credit_code"])
    if not people:
        st.info(ctx.t("visit_no_officer"))
        return
    keys = [ctx.t("drill.aside", text=p["name"], detail=p["unit"]) for p in people]
    by_key = dict(zip(keys, people))
    with st.form("form_visit"):
        c1, c2, c3 = st.columns(3)
        who = c1.selectbox(ctx.t("officer"), keys, key="vs_officer",
                           format_func=lambda k: f"{k}：{periods_text(by_key[k]['periods'], ctx.lang)}")
        day = c2.date_input(ctx.t("visit_day"), value=ctx.as_of, key="vs_day",
                            format="YYYY-MM-DD", min_value=dashboard.MIN_DAY,
                            max_value=dashboard.MAX_DAY)
        with c3:
            mode = _vocab(ctx, ctx.t("visit_mode"), VISIT_MODE, "vs_mode")
        note = st.text_input(ctx.t("visit_note"), key="vs_note", max_chars=200)
        if st.form_submit_button(ctx.t("save"), type="primary"):
            person = by_key[who]
            _save(ctx, lambda: dashboard.edit_add_visit(
                ctx.engine, ctx.user, person["name"], person["unit"], record["credit_code"],
                day, mode, note), ctx.t("visit_saved", who=who, firm=record["name"],
                                       day=day.isoformat(), mode=VISIT_MODE.label(mode, ctx.lang)))


def form_election(ctx):
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    code = c1.text_input(ctx.t("org_code"), key="el_code")
    if c2.button(ctx.t("load"), key="el_load"):
        record = dashboard.org_record(ctx.engine, code) if code.strip() else None
        if record is None or not auth.can_view(ctx.user, org=record["code"], engine=ctx.engine):
            st.session_state.pop("el_org", None)
            st.error(ctx.t("org_not_found", code=code.strip()))
        else:
            st.session_state["el_org"] = record
    record = st.session_state.get("el_org")
    if record is None:
        st.caption(ctx.t("load_first"))
        return
    st.caption(ctx.t("loaded_version", name=record["name"], code=record["code"],
                     version=record["version"]))
    st.caption(ctx.t("term_current", start=record["term_start"].isoformat()
                     if record["term_start"] else "—",
                     years=record["term_years"] or ctx.t("term_years_default")))
    with st.form("form_election"):
        c1, c2 = st.columns(2)
        start = c1.date_input(ctx.t("term_start"), value=ctx.as_of, key="el_start",
                              format="YYYY-MM-DD", min_value=dashboard.MIN_DAY,
                              max_value=dashboard.MAX_DAY)
        years = c2.number_input(ctx.t("term_years_input"), min_value=0, max_value=10, step=1,
                                value=int(record["term_years"] or 0), key="el_years",
                                help=ctx.t("term_years_help"))
        saved = st.form_submit_button(ctx.t("save"), type="primary") and _save(
            ctx, lambda: dashboard.edit_record_election(
                ctx.engine, ctx.user, record["code"], start, int(years) or None,
                version=record["version"]),
            ctx.t("election_saved", name=record["name"], day=start.isoformat()))
        if saved:
            st.session_state["el_org"] = dashboard.org_record(ctx.engine, record["code"])


FORMS = {"add_firm": form_add_firm, "update_firm": form_update_firm,
         "membership": form_membership, "org": form_org, "link": form_link,
         "liaison": form_liaison, "visit": form_visit, "election": form_election}


def edit_section(ctx):
    st.subheader(ctx.t("edit_title"))
    if ctx.user.role == "viewer":
        st.info(ctx.t("viewer_no_edits"))
        return
    kind = st.selectbox(ctx.t("edit_kind"), EDIT_KINDS, key="edit_kind",
                        format_func=lambda k: ctx.t(f"edit_{k}"))
    FORMS[kind](ctx)


def body(ctx):
    st.title(ctx.t("page_data"))
    if auth.can_manage_users(ctx.user):
        import_section(ctx)
    else:
        st.subheader(ctx.t("import_title"))
        st.info(ctx.t("import_admin_only"))
    edit_section(ctx)
    if auth.can_view_audit(ctx.user):
        audit_section(ctx)


run_page(body)
