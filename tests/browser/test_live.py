"""A new load shows up on an open rep page without a reload (logins: test_login.py)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest

from scorecard.store import Store
from tests.browser.journeys import metric_value, wait_for_text
from tests.conftest import RunningApp, screenshot

pytestmark = pytest.mark.browser


def test_a_new_load_appears_on_the_open_rep_page(running_app: RunningApp, demo_store: Store,
                                                 page: Any) -> None:
    page.goto(running_app.url + "/rep?rep=U0017")
    wait_for_text(page, "Deals at risk")
    before = int(metric_value(page, "Activities this week"))
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
        now_shown = int(metric_value(page, "Activities this week"))
        if now_shown == before + 1:
            break
        time.sleep(0.25)
    waited = time.monotonic() - landed
    assert now_shown == before + 1, f"the new call did not show within 10 s ({now_shown} vs {before})"
    assert reloads == [], "the page was reloaded"
    assert demo_store.data_version() == version + 1
    screenshot(page, "rep_after_live_load")
    print(f"new load visible after {waited:.1f} s")
