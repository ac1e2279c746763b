"""A new load shows up on an open rep page without a reload; a login sees only its own subtree."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest

from scorecard.store import Store
from tests.browser.journeys import metric_value, wait_for_text
from tests.conftest import RunningApp, screenshot, start_app, stop_app

pytestmark = pytest.mark.browser


def test_a_new_load_appears_on_the_open_rep_page(running_app: RunningApp, demo_store: Store,
                                                 page: Any) -> None:
    page.goto(running_app.url + "/rep?rep=U0017")
    wait_for_text(page, "Deals at risk")
    before = int(metric_value(page, "Activities today"))
    version = demo_store.data_version()
    reloads: list[object] = []
    page.on("load", lambda *_: reloads.append(1))

    # the CLI, the inbox or an upload lands one more call for this rep, logged a minute ago
    call = pl.DataFrame({
        "activity_id": ["LIVE-TEST-1"], "rep_id": ["U0017"],
        "activity_at": [datetime.now().replace(microsecond=0) - timedelta(minutes=1)],
        "type": ["call"], "contact_level": ["c_level"], "duration_min": [12.0],
    })
    demo_store.load({"activities": call}, loaded_by="browser-test", source="cli",
                    modes={"activities": "append"})
    landed = time.monotonic()

    deadline = landed + 10.0
    now_shown = before
    while time.monotonic() < deadline:
        now_shown = int(metric_value(page, "Activities today"))
        if now_shown == before + 1:
            break
        time.sleep(0.25)
    waited = time.monotonic() - landed
    assert now_shown == before + 1, f"the new call did not show within 10 s ({now_shown} vs {before})"
    assert reloads == [], "the page was reloaded"
    wait_for_text(page, f"updated with load {version + 1}", timeout_ms=5000)
    screenshot(page, "rep_after_live_load")
    print(f"new load visible after {waited:.1f} s")


def test_a_leader_login_sees_only_their_subtree(demo_store: Store, page: Any) -> None:
    with duckdb.connect(str(demo_store.path), read_only=True) as con:
        email = con.execute("select email from reps where rep_id = 'U0005'").fetchall()[0][0]
        team_size = con.execute("select team_size from leaders where leader_id = 'U0005'").fetchall()[0][0]
        outsider = con.execute(
            "select rep_id, rep_name from reps where rep_id not in (select rep_id from team_members"
            " where leader_id = 'U0005') and rep_id <> 'U0005' order by rep_id desc limit 1").fetchall()[0]
    app = start_app(demo_store.path, env_extra={"SCORECARD_TEST_LOGIN_EMAIL": email})
    try:
        page.goto(app.url)
        wait_for_text(page, "Org median overall")
        body = page.inner_text("body")
        assert "Local demo" not in body
        assert metric_value(page, "Leaders") == "1"  # only U0005 leads anyone in their own subtree
        nav = page.locator("[data-testid='stSidebarNav']")
        assert nav.get_by_text("Scorecard", exact=True).count() >= 1
        assert nav.get_by_text("Upload", exact=True).count() == 0  # a leader is not sales ops
        screenshot(page, "scorecard_leader_login")

        page.goto(app.url + "/org_overview")
        wait_for_text(page, "Extracts loaded")
        page.wait_for_timeout(1000)
        assert outsider[1] not in page.inner_text("body")

        # a hand-edited URL naming a rep of another team shows someone of the leader's own team
        page.goto(app.url + f"/rep?rep={outsider[0]}")
        wait_for_text(page, "Deals at risk")
        assert outsider[1] not in page.inner_text("body")
        assert team_size == 9

        # typing the Upload page's address by hand does not give a leader the uploader
        page.goto(app.url + "/upload")
        wait_for_text(page, "Org median overall")  # the app falls back to its default page
        page.wait_for_timeout(500)
        assert page.locator("[data-testid='stFileUploader']").count() == 0
    finally:
        stop_app(app)
