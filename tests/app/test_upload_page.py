"""The Upload page in Streamlit's AppTest: verdicts, preview, confirm, the mapping editor, restore.

AppTest cannot drive a file-upload widget, so each test stages files the way the uploader does
(``session_state["staged"]``); the browser test drives the real uploader."""

from __future__ import annotations

import shutil
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
    assert any("Loaded as load 1" in s.value for s in at.success)
    with Store(db).reader() as con:
        assert con.execute("select count(*) from opportunities").fetchall() == [(3,)]


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
    assert not at.exception
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
    assert not at.exception
    assert any("Load 1 was not restored" in e.value and "has changed" in e.value for e in at.error)
    with store.reader() as con:
        assert con.execute("select count(*) from reps").fetchall() == [(3,)]  # the owners, as before


def test_planning_again_keeps_one_copy_of_the_files_for_the_archive(db: Path, tmp_path: Path) -> None:
    at = run_page(staged(tmp_path, DATA / "exports/hubspot/team.csv"))
    staging = Store(db).archive_dir / ".staging"
    assert len(list(staging.iterdir())) == 1
    at.toggle(key="append").set_value(True).run()  # planned again
    assert not at.exception
    copies = list(staging.iterdir())
    assert len(copies) == 1 and (copies[0] / "1-team.csv").exists()
