"""The Upload page in Streamlit's AppTest: verdicts, preview, confirm, the mapping editor, saved
profiles, restore.

AppTest cannot drive a file-upload widget, so each test stages files the way the uploader does
(``session_state["staged"]``); the browser test drives the real uploader. A confirmed load and a
restore run in a child process: ``finish_job`` runs the page again until the child is done (the
browser polls on its own)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from scorecard.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "scorecard.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(path))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()  # the app caches its settings and store: start from this database
    st.cache_data.clear()
    return path


def staged(tmp_path: Path, *files: Path) -> list[str]:
    folder = tmp_path / "uploads" / "t"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        shutil.copy2(f, folder / f.name)
        out.append(str(folder / f.name))
    return out


def run_page(paths: list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    at.session_state["staged"] = paths
    return at.run()


def finish_job(at: AppTest, timeout: float = 120) -> AppTest:
    """Run the page until the load or restore its child process runs has finished."""
    deadline = time.monotonic() + timeout
    while "upload_job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert "upload_job" not in at.session_state, "the child process did not finish in time"
    assert not at.exception
    return at


def test_good_files_show_verdicts_and_preview_then_load(db: Path, tmp_path: Path) -> None:
    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv",
                         DATA / "exports/hubspot/hubspot-deals-internal-names.csv"))
    assert not at.exception
    files = at.dataframe[0].value
    assert files["verdict"].to_list() == ["accepted", "accepted"]
    assert files["format"].to_list() == ["canonical CSV", "HubSpot export"]
    changes = next(df.value for df in at.dataframe if "added" in df.value.columns)
    assert changes[["extract", "added", "removed"]].values.tolist() == [["reps", 4, 0], ["opportunities", 3, 0]]
    at.button(key="confirm").click().run()
    assert not at.exception
    finish_job(at)
    assert any("Loaded as load 1" in s.value for s in at.success)
    with Store(db).reader() as con:
        assert con.execute("select count(*) from opportunities").fetchall() == [(3,)]
        assert con.execute("select source from loads").fetchall() == [("upload",)]
    # the uploader is emptied and the child's job folder is gone
    assert "staged" not in at.session_state
    assert not list((db.parent / "uploads" / ".jobs").iterdir())


def test_rejected_file_shows_rule_and_sample_and_no_confirm(db: Path, tmp_path: Path) -> None:
    at = run_page(staged(tmp_path, DATA / "bad/reps_hierarchy_cycle.csv"))
    assert not at.exception
    failures = next(df.value for df in at.dataframe if "rule" in df.value.columns)
    assert failures["rule"].to_list() == ["no cycle in the hierarchy"]
    assert failures["rows"].to_list() == [3]
    # the sample rows, in full, under the table
    assert any("reps_hierarchy_cycle.csv line 3: rep_id='B', manager_id='D'" in c.value for c in at.code)
    assert not [b for b in at.button if b.key == "confirm"]
    assert any("Rejected" in e.value for e in at.error)
    # nothing "will change" for a rejected upload; its verdict is kept for the Data quality page
    assert not [df for df in at.dataframe if "added" in df.value.columns]
    with Store(db).reader() as con:
        assert con.execute("select rule, accepted from check_results where not passed").fetchall() == [
            ("no cycle in the hierarchy", False)]


def test_unknown_sheet_gets_the_mapping_editor_and_a_saved_profile(db: Path, tmp_path: Path) -> None:
    at = run_page(staged(tmp_path, DATA / "exports/handkept/team.csv"))
    assert not at.exception
    assert at.selectbox(key="extract_team.csv").value == "reps"
    # still mapping: no red verdict, no failure table, nothing recorded for the Data quality page
    assert not at.error
    assert any("Map the columns of the files above" in i.value for i in at.info)
    assert not [df for df in at.dataframe if "rule" in df.value.columns]
    assert at.dataframe[0].value["verdict"].to_list() == ["to map"]
    with Store(db).reader() as con:
        assert con.execute("select count(*) from check_results").fetchall() == [(0,)]
    # The editor suggests "Rep name" for rep_name and "Manager name" for manager_id; saving the
    # profile makes the same shape recognised and accepted.
    at.text_input(key="profile_team.csv").input("team sheet").run()
    at.button(key="save_team.csv").click().run()
    assert not at.exception
    assert (db.parent / "mappings" / "team_sheet.toml").is_file()
    files = at.dataframe[0].value
    assert files["format"].to_list() == ["mapping profile 'team sheet'"]
    assert files["verdict"].to_list() == ["accepted"]


def test_history_and_restore(db: Path, tmp_path: Path) -> None:
    from scorecard.ingest import ingest_files

    store = Store(db)
    first = ingest_files(store, [DATA / "exports/hubspot/team.csv"], loaded_by="t")
    ingest_files(store, [DATA / "exports/hubspot/hubspot-owners.csv"], loaded_by="t")
    assert first.load is not None
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    assert at.dataframe[0].value["load_id"].to_list() == [2, 1]
    assert at.selectbox(key="restore_pick").value == 1  # the load before the one in place
    at.selectbox(key="restore_pick").select(1).run()
    at.button(key="restore").click().run()
    finish_job(at)
    with store.reader() as con:
        assert con.execute("select count(*) from reps").fetchall() == [(4,)]  # the team sheet again
    # the history lists the restore at once
    assert any("Load 1 restored as load 3" in s.value for s in at.success)
    assert at.dataframe[0].value["load_id"].to_list() == [3, 2, 1]


def test_a_restore_that_cannot_be_done_is_said_and_changes_nothing(db: Path) -> None:
    from scorecard.ingest import ingest_files

    store = Store(db)
    first = ingest_files(store, [DATA / "exports/hubspot/team.csv"], loaded_by="t")
    ingest_files(store, [DATA / "exports/hubspot/hubspot-owners.csv"], loaded_by="t")
    assert first.load is not None
    (store.archive_dir / "1" / "team.csv").write_text("rep_id,rep_name\nX,Someone else\n", encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    at.selectbox(key="restore_pick").select(1).run()
    at.button(key="restore").click().run()
    finish_job(at)
    assert any("Load 1 was not restored" in e.value and "has changed" in e.value for e in at.error)
    with store.reader() as con:
        assert con.execute("select count(*) from reps").fetchall() == [(3,)]  # the owners, as before


def test_checking_and_checking_again_leave_no_copies_behind(db: Path, tmp_path: Path) -> None:
    """The page's checks run in a child process that keeps no copy for the archive: a confirmed load
    checks the files again in its own process and copies them while it does."""
    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv"))
    staging = Store(db).archive_dir / ".staging"
    assert not staging.exists() or not [p for p in staging.rglob("*") if p.is_file()]
    at.toggle(key="append").set_value(True).run()  # checked again
    assert not at.exception
    assert not staging.exists() or not [p for p in staging.rglob("*") if p.is_file()]
    assert not list((db.parent / "uploads" / ".jobs").iterdir())  # the checking job's folder is gone


# -- the load runs in a child process -------------------------------------------------------------

def test_a_load_waits_for_the_readers_of_other_sessions(db: Path, tmp_path: Path) -> None:
    """Other sessions read the database in the app's process while a load is confirmed: the load
    runs in its own process and lands once their reads are done."""
    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv"))
    store = Store(db)
    stop = threading.Event()

    def other_sessions() -> None:  # a read every few milliseconds, each held a little while
        while not stop.is_set():
            with store.reader() as con:
                con.execute("select count(*) from loads").fetchall()
                time.sleep(0.02)
            time.sleep(0.01)

    readers = threading.Thread(target=other_sessions, daemon=True)
    readers.start()
    try:
        at.button(key="confirm").click().run()
        finish_job(at)
    finally:
        stop.set()
        readers.join()
    assert any("Loaded as load 1" in s.value for s in at.success), [e.value for e in at.error]
    with store.reader() as con:
        assert con.execute("select count(*) from reps").fetchall() == [(4,)]


def test_a_load_is_refused_when_the_data_changed_after_the_preview(db: Path, tmp_path: Path) -> None:
    from scorecard.ingest import ingest_files

    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv"))
    changes = next(df.value for df in at.dataframe if "added" in df.value.columns)
    assert changes[["extract", "added", "removed"]].values.tolist() == [["reps", 4, 0]]
    # another load lands between the preview and the confirmation
    ingest_files(Store(db), [DATA / "exports/hubspot/hubspot-owners.csv"], loaded_by="someone else")
    at.button(key="confirm").click().run()
    finish_job(at)
    assert any("Not loaded: the data in place changed after the preview (another load landed)" in e.value
               for e in at.error)
    with Store(db).reader() as con:
        assert con.execute("select count(*) from loads").fetchall() == [(1,)]
    # checked again: the new preview replaces the 3 owners now in place and adds the 4th, to confirm anew
    changes = next(df.value for df in at.dataframe if "added" in df.value.columns)
    assert changes[["extract", "added", "replaced", "removed"]].values.tolist() == [["reps", 1, 3, 0]]
    at.button(key="confirm").click().run()
    finish_job(at)
    assert any("Loaded as load 2" in s.value for s in at.success)
    assert not at.error


def test_the_child_says_each_step_and_refuses_a_file_changed_on_disk(db: Path, tmp_path: Path) -> None:
    from scorecard import upload_view
    from scorecard.ingest import plan_ingest

    store = Store(db)
    paths = [Path(p) for p in staged(tmp_path, DATA / "exports/hubspot/team.csv")]
    plan = plan_ingest(store, paths)
    folder = upload_view.start_load(store, plan, mapping=None, append=False, loaded_by="ops@example.com")
    status = upload_view.job_status(folder)
    while status.running:
        time.sleep(0.2)
        status = upload_view.job_status(folder)
    assert (status.state, status.message, status.load_id) == ("loaded", "Loaded as load 1.", 1)
    assert status.steps[0] == "checking the files again before loading them"
    assert "reading team.csv" in status.steps and status.steps[-2:] == ["loading in one transaction", "done"]
    upload_view.end_job(folder)
    assert not folder.exists()

    plan = plan_ingest(store, paths)
    store.discard_staged(plan.staged)
    with paths[0].open("a", encoding="utf-8") as fh:
        fh.write("9,Nina Novak,nina@example.com,1,ae,East,smb,2026-01-05,\n")
    folder = upload_view.start_load(store, plan, mapping=None, append=False, loaded_by="ops@example.com")
    status = upload_view.job_status(folder)
    while status.running:
        time.sleep(0.2)
        status = upload_view.job_status(folder)
    assert status.state == "refused"
    assert status.message.startswith("Not loaded: team.csv changed on disk after it was checked.")
    upload_view.end_job(folder)
    with store.reader() as con:
        assert con.execute("select count(*) from loads").fetchall() == [(1,)]


# -- hand-kept sheets and saved profiles ----------------------------------------------------------

def test_team_sheet_with_managers_only_as_names_maps_and_loads_from_the_page(db: Path, tmp_path: Path) -> None:
    at = run_page(staged(tmp_path, DATA / "exports/handkept/sales_teams.csv"))
    assert not at.exception and not at.error
    assert at.selectbox(key="extract_sales_teams.csv").value == "reps"
    # the suggestions: sales_agent is the rep's name, manager the manager, regional_office the region;
    # the preview already lists the three managers the sheet names only in the manager column
    preview = next(df.value for df in at.dataframe if "rep_name" in df.value.columns)
    assert preview["rep_id"].tolist()[:2] == ["anna_abbott", "ben_brooks"]
    assert any("3 managers named only in the manager column" in c.value for c in at.caption)
    at.text_input(key="profile_sales_teams.csv").input("sales teams").run()
    at.button(key="save_sales_teams.csv").click().run()
    assert at.dataframe[0].value["verdict"].tolist() == ["accepted"]
    assert at.dataframe[0].value["rows"].tolist() == [13]
    at.button(key="confirm").click().run()
    finish_job(at)
    with Store(db).reader() as con:
        assert con.execute("select leader_id, direct_reports from leaders order by 1").fetchall() == [
            ("dana_dubois", 4), ("emil_eriksen", 3), ("farah_fadel", 3)]


def _save_team_profiles(db: Path, *names: str) -> None:
    from scorecard.mapping import MappingProfile, profiles_dir, save_profile

    for name in names:
        save_profile(profiles_dir(db), MappingProfile(
            name=name, extract="reps", headers=["sales_agent", "manager", "regional_office"],
            columns={"rep_name": "sales_agent", "manager_id": "manager",
                     ("segment" if "segment" in name else "region"): "regional_office"}))


def test_two_profiles_for_one_shape_the_uploader_chooses(db: Path, tmp_path: Path) -> None:
    _save_team_profiles(db, "sales teams", "teams by segment")
    at = run_page(staged(tmp_path, DATA / "exports/handkept/sales_teams.csv"))
    assert not at.exception and not at.error  # a choice to make, not a rejection
    assert at.dataframe[0].value["verdict"].to_list() == ["to choose"]
    assert not [b for b in at.button if b.key == "confirm"]
    assert at.radio(key="choose_sales_teams.csv").options == ["sales teams", "teams by segment"]
    at.radio(key="choose_sales_teams.csv").set_value("teams by segment").run()
    at.button(key="use_sales_teams.csv").click().run()
    assert not at.exception
    assert at.dataframe[0].value["format"].tolist() == ["mapping profile 'teams by segment'"]
    at.button(key="confirm").click().run()
    finish_job(at)
    with Store(db).reader() as con:
        assert con.execute("select segment, region from reps where rep_id = 'anna_abbott'").fetchall() == [
            ("Central", None)]


def test_a_saved_profile_is_edited_and_deleted_on_the_page(db: Path, tmp_path: Path) -> None:
    from scorecard.mapping import load_profiles, profiles_dir

    _save_team_profiles(db, "sales teams")
    at = run_page(staged(tmp_path, DATA / "exports/handkept/sales_teams.csv"))
    assert at.dataframe[0].value["format"].tolist() == ["mapping profile 'sales teams'"]
    assert at.selectbox(key="profile_pick_sales_teams").value == "sales teams"  # the one this upload was read with
    # the editor shows the saved mapping; the office becomes the segment, and the profile is renamed
    at.toggle(key="edit_sales_teams_open").set_value(True).run()
    editor = next(df.value for df in at.dataframe if "header in the file" in df.value.columns)
    rows = dict(zip(editor["canonical column"], editor["header in the file"], strict=True))
    assert (rows["rep_name"], rows["manager_id"], rows["region"]) == ("sales_agent", "manager", "regional_office")
    at.session_state["editor_edit_sales_teams_reps"] = {
        "edited_rows": {5: {"header in the file": "(not in this file)"},
                        6: {"header in the file": "regional_office"}}, "added_rows": [], "deleted_rows": []}
    at.text_input(key="profile_edit_sales_teams").input("teams by segment").run()
    at.button(key="edit_sales_teams_save").click().run()
    assert not at.exception
    saved = load_profiles(profiles_dir(db))
    assert [(p.name, p.columns) for p in saved] == [("teams by segment", {
        "rep_name": "sales_agent", "manager_id": "manager", "segment": "regional_office"})]
    # planned again with the edited profile
    assert at.dataframe[0].value["format"].tolist() == ["mapping profile 'teams by segment'"]
    at.toggle(key="edit_teams_by_segment_open").set_value(True).run()
    at.button(key="edit_teams_by_segment_delete").click().run()
    assert not at.exception
    assert load_profiles(profiles_dir(db)) == []
    # the sheet is of an unknown shape again: its editor is back
    assert at.selectbox(key="extract_sales_teams.csv").value == "reps"


def test_the_uploader_sets_the_data_as_of_date(db: Path, tmp_path: Path) -> None:
    from datetime import date

    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv",
                         DATA / "exports/hubspot/hubspot-deals-internal-names.csv"))
    assert any("from the files" in c.value for c in at.caption)
    at.date_input(key="as_of").set_value(date(2026, 6, 30)).run()
    assert any("Data as of 30 Jun 2026, as you set it" in c.value for c in at.caption)
    at.button(key="confirm").click().run()
    finish_job(at)
    with Store(db).reader() as con:
        assert con.execute("select as_of from loads").fetchall() == [(date(2026, 6, 30),)]
