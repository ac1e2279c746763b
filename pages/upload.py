"""Upload (sales ops): drop CRM files, see how each was read and checked, preview, confirm."""

from __future__ import annotations

import streamlit as st

from scorecard import ui, upload_view
from scorecard.ingest import commit_plan, plan_ingest
from scorecard.store import StoreError

who = ui.current_viewer()
st.title("Upload CRM extracts")
if not who.can_upload:
    st.error("Only sales ops may upload. Ask for your e-mail address to be listed in the access file.")
    st.stop()
store = ui.store()
limit_mb = ui.settings().upload_limit_mb

uploaded = st.file_uploader(
    f"CSV, TSV, XLSX or a zip of them (Salesforce Data Export, HubSpot, canonical, or any sheet you map);"
    f" up to {limit_mb:,} MB each", type=["csv", "tsv", "txt", "xlsx", "zip"], accept_multiple_files=True,
    key=f"upload_files_{st.session_state.get('upload_round', 0)}")  # a new key empties it after a load
append = st.toggle("Add activities and coaching to what is loaded (instead of replacing them)", key="append")

if uploaded:
    signature = tuple((f.name, f.size) for f in uploaded)
    if st.session_state.get("upload_signature") != signature:
        st.session_state["upload_signature"] = signature
        st.session_state["staged"] = [str(p) for p in upload_view.stage_uploads(
            store, [(f.name, f.getvalue()) for f in uploaded])]
        upload_view.discard_plan(store, st.session_state.pop("plan", None))
elif "upload_signature" in st.session_state:  # the files were taken out of the uploader
    upload_view.discard_plan(store, st.session_state.pop("plan", None))
    for key in ("staged", "plan_key", "upload_signature"):
        st.session_state.pop(key, None)

staged = st.session_state.get("staged") or []
if staged:
    plan_key = (tuple(staged), append, st.session_state.get("profiles_saved", 0))
    if st.session_state.get("plan_key") != plan_key:
        bar = st.progress(0.0, text="reading the files")

        def show_progress(message: str, fraction: float) -> None:
            bar.progress(min(fraction, 1.0), text=message)

        # planned again (a mapping saved, append switched): the earlier plan's copies go
        upload_view.discard_plan(store, st.session_state.pop("plan", None))
        st.session_state["plan"] = plan_ingest(store, upload_view.paths(staged), append=append,
                                               progress=show_progress)
        st.session_state["plan_key"] = plan_key
        upload_view.record_if_rejected(store, st.session_state["plan"])  # for the Data quality page
        bar.empty()
    plan = st.session_state["plan"]

    st.subheader("Files, formats and verdicts")
    st.dataframe(upload_view.files_frame(plan), hide_index=True, key="files_table",
                 column_config=upload_view.LABELS)
    for table in plan.tables:
        if table.mapping:
            with st.expander(f"How {table.file} was mapped ({table.format_label})"):
                st.dataframe(upload_view.mapping_frame(table), hide_index=True)
                for note in table.notes:
                    st.caption(note)

    failures = upload_view.failures_frame(plan)
    if not failures.is_empty():
        st.subheader(upload_view.failures_heading(failures))
        st.dataframe(failures.drop("sample"), hide_index=True, key="failures_table",
                     column_config={**upload_view.LABELS, "message": st.column_config.TextColumn(width="large")})
        for row in failures.filter(failures["sample"] != "").iter_rows(named=True):
            with st.expander(f"Sample rows: {row['file']}, {row['rule']} ({row['rows']:,} rows)"):
                st.code(row["sample"], language=None)

    for table in upload_view.unmapped_tables(plan):
        with st.expander(f"Map the columns of {table.file}", expanded=True):
            extract = st.selectbox("This file holds", upload_view.EXTRACT_CHOICES, key=f"extract_{table.file}",
                                   index=upload_view.EXTRACT_CHOICES.index(upload_view.guess_extract(table.table)))
            options = [upload_view.NOT_MAPPED, *table.table.headers]
            editor = st.data_editor(
                upload_view.editor_rows(table.table, extract), hide_index=True, key=f"editor_{table.file}_{extract}",
                disabled=["canonical column", "required", "description"],
                column_config={"header in the file": st.column_config.SelectboxColumn(options=options, required=True)})
            date_order = st.radio("Dates like 3/1/2026 are", ["auto", "mdy", "dmy"], horizontal=True,
                                  key=f"dates_{table.file}",
                                  format_func={"auto": "guess", "mdy": "month first (US)", "dmy": "day first"}.get)
            stage_header = upload_view.header_for(editor, "stage")
            stages: dict[str, str] = {}
            for value in upload_view.stage_values(table.table, stage_header):
                stages[value] = st.segmented_control(
                    f"Stage '{value}' means", ["open", "won", "lost"], key=f"stage_{table.file}_{value}",
                    default=upload_view.guess_outcome(value)) or "open"
            name = st.text_input("Save this mapping as", key=f"profile_{table.file}",
                                 placeholder="e.g. pipeline sheet")
            profile = upload_view.profile_from_editor(name or "unsaved", extract, table.table, editor,
                                                      date_order, stages)
            preview, note = upload_view.preview_profile(store, table.table, profile)
            if note:
                st.caption(note)
            if not preview.is_empty():
                st.dataframe(preview, hide_index=True, key=f"preview_{table.file}")
            if st.button("Save mapping profile", key=f"save_{table.file}", disabled=not name or preview.is_empty()):
                path = upload_view.save_editor_profile(store, profile)
                st.session_state["profiles_saved"] = st.session_state.get("profiles_saved", 0) + 1
                st.toast(f"Saved {path.name}: files of this shape are now recognised")
                st.rerun()

    if plan.accepted:
        st.subheader("What will change")
        st.dataframe(plan.changes, hide_index=True, key="changes_table", column_config=upload_view.LABELS)
        if st.button("Confirm and load", type="primary", key="confirm"):
            bar = st.progress(0.9, text="loading in one transaction")
            try:
                result = commit_plan(store, plan, loaded_by=who.email or "local", source="upload")
            except StoreError as exc:  # busy database, a file changed on disk: nothing was loaded
                bar.empty()
                st.error(f"Not loaded: {exc}. Nothing was changed.")
                st.stop()
            bar.progress(1.0, text="done")
            upload_view.discard_uploads(staged)  # the archive holds them now
            st.session_state.pop("restored", None)
            for key in ("staged", "plan", "plan_key", "upload_signature"):
                st.session_state.pop(key, None)
            st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
            st.session_state["last_load"] = result.load.load_id if result.load else None
            st.rerun()
    else:
        st.error("Rejected: fix the files above and upload them again. Nothing was changed.")

if st.session_state.get("last_load"):
    st.success(f"Loaded as load {st.session_state['last_load']}.")
if st.session_state.get("restored"):
    st.success(st.session_state["restored"])

st.subheader("Load history")
history = upload_view.load_history(store)
if history.is_empty():
    st.info("No loads yet.")
else:
    st.dataframe(history, hide_index=True, key="history_table", column_config=upload_view.LABELS)
    col_pick, col_button = st.columns([1, 1])
    loads = history["load_id"].to_list()
    # the newest load is what is in place: the one before it is the likely one to bring back
    chosen = col_pick.selectbox("Load to restore", loads, index=min(1, len(loads) - 1), key="restore_pick")
    if col_button.button("Restore", key="restore") and chosen is not None:
        try:
            with st.spinner(f"Restoring load {chosen}: reading its archive and loading it in one transaction"):
                record = store.restore(int(chosen), loaded_by=who.email or "local")
        except StoreError as exc:  # an archive that is missing or no longer reads as it landed
            st.error(f"Load {chosen} was not restored: {exc}")
        else:
            st.session_state["last_load"] = None
            st.session_state["restored"] = f"Load {chosen} restored as load {record.load_id}."
            st.rerun()  # the history and every page show the restored data
