"""Sales ops in a real headless Chromium: drop files on the Upload page, read the verdicts, confirm,
and see a rejected file explained. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scorecard.store import Store
from tests.browser.journeys import wait_for_text
from tests.conftest import screenshot, start_app, stop_app

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parent.parent / "data"


def open_upload(page: Any, url: str) -> None:
    """Through the app's navigation, as sales ops would (the router decides who gets the page)."""
    page.goto(url)
    page.get_by_role("link", name="Upload").first.click(timeout=45_000)
    wait_for_text(page, "Upload CRM extracts")


def test_upload_confirm_and_reject(page: Any, tmp_path: Path) -> None:
    db = tmp_path / "scorecard.duckdb"
    Store(db).initialise()
    app = start_app(db)
    try:
        open_upload(page, app.url)
        page.locator("input[type=file]").first.set_input_files([
            str(DATA / "exports/hubspot/team.csv"), str(DATA / "exports/hubspot/hubspot-deals-internal-names.csv")])
        wait_for_text(page, "Files, formats and verdicts")
        wait_for_text(page, "What will change")
        page.get_by_role("button", name="Confirm and load").wait_for(timeout=30_000)
        screenshot(page, "upload-preview")
        page.get_by_role("button", name="Confirm and load").click()
        wait_for_text(page, "Loaded as load 1")
        screenshot(page, "upload-loaded")
        # The uploader is emptied after a load, so the same files are not offered again.
        assert page.get_by_text("Files, formats and verdicts").count() == 0
        with Store(db).reader() as con:
            assert con.execute("select count(*) from reps").fetchall() == [(4,)]
            assert con.execute("select count(*) from opportunities").fetchall() == [(3,)]

        open_upload(page, app.url)
        page.locator("input[type=file]").first.set_input_files([str(DATA / "bad/reps_hierarchy_cycle.csv")])
        wait_for_text(page, "Checks that failed")
        wait_for_text(page, "Rejected: fix the files above")
        assert page.get_by_role("button", name="Confirm and load").count() == 0
        screenshot(page, "upload-rejected")
        with Store(db).reader() as con:
            assert con.execute("select count(*) from reps").fetchall() == [(4,)]
    finally:
        stop_app(app)


def test_salesforce_export_and_hand_kept_sheet(page: Any, tmp_path: Path) -> None:
    import zipfile

    db = tmp_path / "scorecard.duckdb"
    Store(db).initialise()
    export = tmp_path / "WE_00D_1.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for csv in sorted((DATA / "exports/salesforce").glob("*.csv")):
            archive.write(csv, csv.name)
    app = start_app(db)
    try:
        open_upload(page, app.url)
        page.locator("input[type=file]").first.set_input_files(
            [str(export), str(DATA / "exports/salesforce/quotas.xlsx")])
        wait_for_text(page, "Salesforce Data Export")
        page.get_by_role("button", name="Confirm and load").click()
        wait_for_text(page, "Loaded as load 1")
        screenshot(page, "upload-salesforce-loaded")
        with Store(db).reader() as con:
            assert con.execute("select count(*) from leaders").fetchall() == [(4,)]

        # A hand-kept team sheet: names instead of IDs. The editor's suggestions map it; name and save.
        open_upload(page, app.url)
        page.locator("input[type=file]").first.set_input_files([str(DATA / "exports/handkept/team.csv")])
        wait_for_text(page, "Map the columns of team.csv")
        page.get_by_label("Save this mapping as").fill("team sheet")
        page.get_by_label("Save this mapping as").press("Enter")
        page.get_by_role("button", name="Save mapping profile").click()
        wait_for_text(page, "mapping profile 'team sheet'")
        screenshot(page, "upload-mapped-sheet")
        page.get_by_role("button", name="Confirm and load").click()
        wait_for_text(page, "Loaded as load 2")
        assert (db.parent / "mappings" / "team_sheet.toml").is_file()
        with Store(db).reader() as con:
            assert con.execute("select manager_id from reps where rep_id = 'hugo_hansen'").fetchall() == [
                ("grace_garcia",)]
    finally:
        stop_app(app)
