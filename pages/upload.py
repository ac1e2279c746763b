"""Upload (sales ops): drop CRM files, see how each was read and checked, preview, confirm.

The checks, a confirmed load and a restore run in a child process (``scorecard.upload_view``), one writer outside
the app; the page shows their progress from the status file the child writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from scorecard import format, upload_view
from scorecard.formats.values import slug
from scorecard.mapping import MappingError, MappingProfile
from scorecard.readers import RawTable
from scorecard.ui import auth, cache, widgets

POLL_SECONDS = 0.5
DATE_ORDERS = ["auto", "mdy", "dmy"]
DATE_LABELS = {"auto": "guess", "mdy": "month first (US)", "dmy": "day first"}

who = auth.current_viewer()
st.title("Upload CRM extracts")
if not who.can_upload:
    st.error("Only sales ops may upload. Ask for your e-mail address to be listed in the access file.")
    st.stop()
store = cache.store()
limit_mb = cache.settings().upload_limit_mb
UPLOAD_STATE = ("staged", "plan", "plan_key", "upload_signature", "mapping_choice")


def finish(job: dict[str, Any], status: upload_view.JobStatus) -> None:
    """What a finished load or restore leaves on the page."""
    st.session_state.pop("upload_problem", None)
    if status.state == upload_view.LOADED:
        upload_view.discard_uploads(job["staged"])  # the archive holds them now
        if st.session_state.get("staged") == job["staged"]:
            for key in UPLOAD_STATE:
                st.session_state.pop(key, None)
            st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1  # empties the uploader
        st.session_state.pop("restored", None)
        st.session_state["last_load"] = status.load_id
    elif status.state == upload_view.RESTORED:
        st.session_state["last_load"] = None
        st.session_state["restored"] = status.message
    else:  # refused (not the plan confirmed) or failed: nothing changed; a load is checked again
        st.session_state["upload_problem"] = status.message
        if job["kind"] == "load":
            st.session_state.pop("plan_key", None)


job: dict[str, Any] | None = st.session_state.get("upload_job")
if job is not None:
    finished = upload_view.job_status(Path(job["folder"]))
    if not finished.running:
        upload_view.end_job(Path(job["folder"]))
        st.session_state.pop("upload_job", None)
        finish(job, finished)
        job = None
busy = job is not None


@st.fragment(run_every=POLL_SECONDS)
def show_progress(folder: str, label: str) -> None:
    """Reruns on its own while the child works (no database read); the whole page once it is done."""
    status = upload_view.job_status(Path(folder))
    if not status.running:
        st.rerun()
    st.progress(min(max(status.fraction, 0.0), 1.0), text=f"{label}: {status.message}")


if job is not None:
    show_progress(job["folder"], job["label"])
if st.session_state.get("upload_problem"):
    st.error(st.session_state["upload_problem"])

uploaded = st.file_uploader(
    f"CSV, TSV, XLSX or a zip of them (Salesforce Data Export, HubSpot, canonical, or any sheet you map);"
    f" up to {limit_mb:,} MB each", type=["csv", "tsv", "txt", "xlsx", "zip"], accept_multiple_files=True,
    key=f"upload_files_{st.session_state.get('upload_round', 0)}", disabled=busy)  # a new key empties it
append = st.toggle("Add activities and coaching to what is loaded (instead of replacing them)", key="append",
                   disabled=busy)
as_of = st.date_input("Data as of (leave empty: the export's own date, else the newest date in the data)",
                      value=None, key="as_of", disabled=busy, format="YYYY-MM-DD")

if uploaded:
    signature = tuple((f.name, f.size) for f in uploaded)
    if st.session_state.get("upload_signature") != signature:
        st.session_state["upload_signature"] = signature
        st.session_state["staged"] = [str(p) for p in upload_view.stage_uploads(
            store, [(f.name, f.getvalue()) for f in uploaded])]
        st.session_state.pop("mapping_choice", None)
        upload_view.discard_plan(store, st.session_state.pop("plan", None))
elif "upload_signature" in st.session_state:  # the files were taken out of the uploader
    upload_view.discard_plan(store, st.session_state.pop("plan", None))
    for key in ("staged", "plan_key", "upload_signature", "mapping_choice"):
        st.session_state.pop(key, None)


def mapping_editor(key: str, headers: list[str], table: RawTable | None, *, extract: str,
                   columns: dict[str, str] | None = None, date_order: str = "auto",
                   stages: dict[str, str] | None = None, name: str | None = None) -> tuple[MappingProfile, str]:
    """The column-mapping editor (for a new file, or a saved profile): the profile it describes and
    the name typed for it."""
    extract = st.selectbox("This file holds", upload_view.EXTRACT_CHOICES, key=f"extract_{key}",
                           index=upload_view.EXTRACT_CHOICES.index(extract))
    options = [upload_view.NOT_MAPPED, *headers]
    editor = st.data_editor(
        upload_view.editor_rows(headers, extract, columns), hide_index=True, key=f"editor_{key}_{extract}",
        disabled=["canonical column", "required", "description"],
        column_config={"header in the file": st.column_config.SelectboxColumn(options=options, required=True)})
    order = st.radio("Dates like 3/1/2026 are", DATE_ORDERS, horizontal=True, key=f"dates_{key}",
                     index=DATE_ORDERS.index(date_order), format_func=DATE_LABELS.get)
    stage_header = upload_view.header_for(editor, "stage")
    values = upload_view.stage_values(table, stage_header) if table is not None else []
    outcomes: dict[str, str] = {}
    for value in sorted(set(values) | set(stages or {})):
        default = (stages or {}).get(value) or upload_view.guess_outcome(value)
        outcomes[value] = st.segmented_control(
            f"Stage '{value}' means", ["open", "won", "lost"], key=f"stage_{key}_{value}", default=default) or "open"
    if name is None:  # a new profile
        typed = st.text_input("Save this mapping as", key=f"profile_{key}", placeholder="e.g. pipeline sheet")
    else:
        typed = st.text_input("Profile name", key=f"profile_{key}", value=name)
    profile = upload_view.profile_from_editor(typed or "unsaved", extract, headers, editor, order or "auto", outcomes)
    return profile, typed


def profile_saved(message: str) -> None:
    st.session_state["profiles_saved"] = st.session_state.get("profiles_saved", 0) + 1  # planned again
    st.toast(message)
    st.rerun()


staged = st.session_state.get("staged") or []
choice: str | None = st.session_state.get("mapping_choice")
plan = None
if staged:
    plan_key = (tuple(staged), append, st.session_state.get("profiles_saved", 0), choice, as_of)
    if st.session_state.get("plan_key") != plan_key and not busy:
        bar = st.progress(0.0, text="reading the files")

        def planning(message: str, fraction: float) -> None:
            bar.progress(min(fraction, 1.0), text=message)

        # planned again (a mapping saved or chosen, append switched): the earlier plan's copies go
        upload_view.discard_plan(store, st.session_state.pop("plan", None))
        # checked in a child process: bounded in time, and stopped if this page goes away
        planned = upload_view.plan_upload(store, staged, append=append, mapping=choice, as_of=as_of,
                                          progress=planning, wanted=auth.session_is_open)
        if planned is None:
            st.stop()
        st.session_state["plan"] = planned
        st.session_state["plan_key"] = plan_key
        upload_view.record_if_rejected(store, planned)  # for the Data quality page
        bar.empty()
    plan = st.session_state.get("plan")

if plan is not None:
    st.subheader("Files, formats and verdicts")
    st.dataframe(upload_view.files_frame(plan), hide_index=True, placeholder=format.MISSING, key="files_table",
                 column_config=upload_view.LABELS)
    if choice:
        col_text, col_again = st.columns([3, 1])
        col_text.caption(f"Read with the mapping profile '{choice}', as you chose.")
        if col_again.button("Choose again", key="choose_again", disabled=busy):
            st.session_state.pop("mapping_choice", None)
            st.rerun()
    for table in plan.tables:
        if table.mapping:
            with st.expander(f"How {table.file} was mapped ({table.format_label})"):
                st.dataframe(upload_view.mapping_frame(table), hide_index=True, placeholder=format.MISSING)
                for note in table.notes:
                    st.caption(note)
                if table.format.startswith("profile:"):
                    st.caption("Edit or delete this profile under 'Saved mapping profiles' below.")

    failures = upload_view.failures_frame(plan)
    if not failures.is_empty():
        st.subheader(upload_view.failures_heading(failures))
        st.dataframe(failures.drop("sample"), hide_index=True, placeholder=format.MISSING, key="failures_table",
                     column_config={**upload_view.LABELS, "message": st.column_config.TextColumn(width="large")})
        for row in failures.filter(failures["sample"] != "").iter_rows(named=True):
            with st.expander(f"Sample rows: {row['file']}, {row['rule']} ({row['rows']:,} rows)"):
                st.code(row["sample"], language=None)

    for table in upload_view.tables_to_choose(plan):
        with st.expander(f"Choose the mapping profile for {table.file}", expanded=True):
            st.write(f"Several saved mapping profiles match the headers of {table.file}. Which one reads it?")
            names = upload_view.profile_candidates(store, table.table)
            picked = st.radio("Read it with", names, key=f"choose_{table.file}")
            if st.button("Use this profile", key=f"use_{table.file}", disabled=busy or not picked):
                st.session_state["mapping_choice"] = picked
                st.rerun()

    for table in upload_view.unmapped_tables(plan):
        with st.expander(f"Map the columns of {table.file}", expanded=True):
            profile, name = mapping_editor(table.file, table.table.headers, table.table,
                                           extract=upload_view.guess_extract(table.table))
            preview, note = upload_view.preview_profile(store, table.table, profile)
            if note:
                st.caption(note)
            if not preview.is_empty():
                st.dataframe(preview, hide_index=True, placeholder=format.MISSING, key=f"preview_{table.file}")
            if st.button("Save mapping profile", key=f"save_{table.file}",
                         disabled=busy or not name or preview.is_empty()):
                try:
                    path = upload_view.save_editor_profile(store, profile)
                except MappingError as exc:
                    st.error(f"Not saved: {exc}")
                else:
                    profile_saved(f"Saved {path.name}: files of this shape are now recognised")

    if job is not None and job["kind"] == "load":
        st.caption("The changes shown are being loaded.")
    elif plan.accepted:
        st.subheader("What will change")
        st.caption(upload_view.as_of_caption(plan, given=as_of is not None))
        st.dataframe(plan.changes, hide_index=True, placeholder=format.MISSING,
                     key="changes_table", column_config=upload_view.LABELS)
        if st.button("Confirm and load", type="primary", key="confirm", disabled=busy):
            # The child checks the files again and loads them only if that is the plan shown here.
            folder = upload_view.start_load(store, plan, mapping=choice, append=append, as_of=as_of,
                                            loaded_by=who.email or "local")
            upload_view.discard_plan(store, plan)  # the child makes its own copies for the archive
            st.session_state["upload_job"] = {"folder": str(folder), "kind": "load", "staged": list(staged),
                                              "label": "Loading (checked again first)"}
            for key in ("last_load", "restored", "upload_problem"):
                st.session_state.pop(key, None)
            st.rerun()
    elif upload_view.rejected_by_checks(plan):
        st.error("Rejected: fix the files above and upload them again. Nothing was changed.")
    else:
        st.info("Map the columns of the files above (or choose their profile): they are checked once mapped."
                " Nothing was changed.")

if st.session_state.get("last_load"):
    st.success(f"Loaded as load {st.session_state['last_load']}.")
if st.session_state.get("restored"):
    st.success(st.session_state["restored"])

st.subheader("Saved mapping profiles")
profiles = upload_view.saved_profiles(store)
if not profiles:
    st.caption("None yet: map a file of an unknown shape above and save its mapping.")
else:
    st.dataframe(upload_view.profiles_frame(profiles), hide_index=True, placeholder=format.MISSING,
                 key="profiles_table")
    names = [p.name for p in profiles]
    in_use = [n for n in upload_view.profiles_in_use(plan) if n in names]
    # offered first: the profile the upload above was read with (a new upload, a new first choice)
    picked_name = st.selectbox("Profile to edit or delete", names, index=names.index(in_use[0]) if in_use else 0,
                               key=f"profile_pick_{slug(in_use[0])}" if in_use else "profile_pick")
    chosen = next(p for p in profiles if p.name == picked_name)
    edit_key = f"edit_{slug(chosen.name) or 'profile'}"
    if st.toggle(f"Edit the mapping profile '{chosen.name}'", key=f"{edit_key}_open"):
        sample = upload_view.table_for_profile(plan, chosen)
        edited, new_name = mapping_editor(
            edit_key, chosen.headers or list(chosen.columns.values()), sample, extract=chosen.extract,
            columns=chosen.columns, date_order=chosen.date_order, stages=chosen.stages, name=chosen.name)
        missing = edited.missing_required()
        if missing:
            st.caption(f"Map something to the required column(s): {', '.join(missing)}")
        col_save, col_delete = st.columns(2)
        if col_save.button("Save changes", key=f"{edit_key}_save", disabled=busy or not new_name or bool(missing)):
            try:
                path = upload_view.edit_profile(store, chosen, edited)
            except MappingError as exc:
                st.error(f"Not saved: {exc}")
            else:
                profile_saved(f"Saved {path.name}")
        if col_delete.button("Delete this profile", key=f"{edit_key}_delete", disabled=busy):
            upload_view.remove_profile(chosen)
            profile_saved(f"Deleted the mapping profile '{chosen.name}'")

st.subheader("Load history")
if job is not None:
    st.caption("The load history shows again once the load is done.")
else:
    history = upload_view.load_history(store)
    if history.is_empty():
        st.info("No loads yet.")
    else:
        widgets.table(history, "history_table")  # headed in words, moments without seconds, "–" for none
        col_pick, col_button = st.columns([1, 1])
        loads = history["load_id"].to_list()
        # the newest load is what is in place: the one before it is the likely one to bring back
        restore_pick = col_pick.selectbox("Load to restore", loads, index=min(1, len(loads) - 1), key="restore_pick")
        if col_button.button("Restore", key="restore") and restore_pick is not None:
            folder = upload_view.start_restore(store, int(restore_pick), loaded_by=who.email or "local")
            st.session_state["upload_job"] = {"folder": str(folder), "kind": "restore", "staged": [],
                                              "label": f"Restoring load {restore_pick}"}
            for key in ("last_load", "restored", "upload_problem"):
                st.session_state.pop(key, None)
            st.rerun()
