"""Sales ops in a real headless Chromium: drop files on the Upload page, read the verdicts, confirm
(the load runs in a child process while the page shows its progress), see a rejected file
explained, map hand-kept sheets and edit a saved profile. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from scorecard.store import Store
from tests.browser.journeys import wait_for_text
from tests.conftest import screenshot, start_app, stop_app

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parent.parent / "data"
LOAD_TIMEOUT_MS = 120_000
"""A load checks the files again in its own process before it writes: on a busy machine that takes a while."""


def settle(page: Any, quiet_ms: int = 600, timeout_s: float = 60) -> None:
    """Wait until the app has finished running the page (its "running" indicator gone for a while)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        if page.get_by_test_id("stStatusWidget").count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet_ms / 1000:
            return
        page.wait_for_timeout(100)


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
        wait_for_text(page, "Loading (checked again first)")  # the child's progress, polled by the page
        screenshot(page, "upload-loading")
        wait_for_text(page, "Loaded as load 1", LOAD_TIMEOUT_MS)
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
        wait_for_text(page, "Loaded as load 1", LOAD_TIMEOUT_MS)
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
        wait_for_text(page, "Loaded as load 2", LOAD_TIMEOUT_MS)
        assert (db.parent / "mappings" / "team_sheet.toml").is_file()
        with Store(db).reader() as con:
            assert con.execute("select manager_id from reps where rep_id = 'hugo_hansen'").fetchall() == [
                ("grace_garcia",)]

        # The public data set's team sheet: its managers appear only in the manager column. The
        # editor suggests sales_agent, manager and regional_office; the managers become the leaders.
        open_upload(page, app.url)
        page.locator("input[type=file]").first.set_input_files([str(DATA / "exports/handkept/sales_teams.csv")])
        wait_for_text(page, "Map the columns of sales_teams.csv")
        wait_for_text(page, "3 managers named only in the manager column")
        assert page.get_by_text("Rejected: fix the files above").count() == 0  # still mapping: not checked yet
        page.get_by_label("Save this mapping as").fill("sales teams")
        page.get_by_label("Save this mapping as").press("Enter")
        page.get_by_role("button", name="Save mapping profile").click()
        wait_for_text(page, "mapping profile 'sales teams'")

        # Saved profiles can be edited (and deleted) on the page: the one just used is offered; rename it.
        settle(page)
        page.get_by_text("Edit the mapping profile 'sales teams'").click()
        page.get_by_label("Profile name").fill("sales teams by office")
        page.get_by_label("Profile name").press("Enter")
        settle(page)
        page.get_by_role("button", name="Save changes").click()
        wait_for_text(page, "mapping profile 'sales teams by office'")
        screenshot(page, "upload-profile-edited")
        assert (db.parent / "mappings" / "sales_teams_by_office.toml").is_file()
        assert not (db.parent / "mappings" / "sales_teams.toml").exists()

        page.get_by_role("button", name="Confirm and load").click()
        wait_for_text(page, "Loaded as load 3", LOAD_TIMEOUT_MS)
        with Store(db).reader() as con:
            assert con.execute("select leader_id from leaders order by 1").fetchall() == [
                ("dana_dubois",), ("emil_eriksen",), ("farah_fadel",)]
    finally:
        stop_app(app)
