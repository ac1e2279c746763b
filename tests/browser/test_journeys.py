"""Journeys in a real headless Chromium: executive -> leader -> rep, each page's screenshot, the TV
view, and the browser's back button. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.journeys import (
    click_bar,
    click_category,
    click_first_row,
    metric_value,
    plot,
    wait_for_path,
    wait_for_text,
    y_categories,
)
from tests.conftest import RunningApp, screenshot

pytestmark = pytest.mark.browser


def test_executive_clicks_a_leader_then_a_rep(running_app: RunningApp, page: Any) -> None:
    page.goto(running_app.url)
    wait_for_text(page, "Org median overall")
    assert "Local demo: no login, everyone sees everything." in page.inner_text("body")
    assert metric_value(page, "Leaders") == "16"
    heatmap = plot(page, 0)
    top_leader = y_categories(heatmap)[0]
    screenshot(page, "scorecard")

    click_category(page, heatmap, x="Overall", y_index=0)  # the best overall leader's cell
    wait_for_path(page, "/leader?leader=")
    wait_for_text(page, "Why this score")
    wait_for_text(page, "The team")
    assert page.locator("[data-testid='stHeading']").filter(has_text=top_leader).count() >= 1
    screenshot(page, "leader")

    team = page.locator(".st-key-team_bars .js-plotly-plot")
    team.locator(".nsewdrag").first.wait_for()
    team.scroll_into_view_if_needed()
    rep_name = click_bar(page, team, 0)  # the rep furthest behind on attainment who has won something
    wait_for_path(page, "/rep?rep=")
    wait_for_text(page, "Deals at risk")
    assert page.locator("[data-testid='stHeading']").filter(has_text=rep_name).count() >= 1
    screenshot(page, "rep")

    page.go_back()  # the browser's back button returns to the leader
    wait_for_path(page, "/leader")
    wait_for_text(page, "Why this score")


def test_every_other_page_and_the_tv_view(running_app: RunningApp, page: Any) -> None:
    for path, marker, name in [
        ("/org_overview", "Extracts loaded", "org_overview"),
        ("/data_quality", "Latest checks per extract", "data_quality"),
        ("/methodology", "Settings in force", "methodology"),
    ]:
        page.goto(running_app.url + path)
        wait_for_text(page, marker)
        page.wait_for_timeout(1500)  # let the charts draw before the screenshot
        assert "Traceback" not in page.inner_text("body")
        assert "Page not found" not in page.inner_text("body")
        screenshot(page, name)

    # a row of the ranking table opens that leader too
    page.goto(running_app.url)
    wait_for_text(page, "Org median overall")
    page.get_by_role("tab", name="Ranking").click()
    grid = page.locator(".st-key-ranking_table [data-testid='stDataFrame']")
    grid.wait_for()
    first = page.locator("[data-testid='stMetric']").filter(has_text="Top overall").first.inner_text()
    click_first_row(page, grid)
    wait_for_path(page, "/leader?leader=")
    wait_for_text(page, "Why this score")
    top_name = first.split("\n")[-1].strip()
    assert page.locator("[data-testid='stHeading']").filter(has_text=top_name).count() >= 1

    page.goto(running_app.url + "/?tv=1")
    page.locator(".js-plotly-plot").first.wait_for()  # the TV view's charts are static: nothing to drag
    assert page.locator("[data-testid='stSidebar']").count() == 0 or not page.locator(
        "[data-testid='stSidebar']").is_visible()
    wait_for_text(page, "Sales-leadership scorecard ·")
    screenshot(page, "scorecard_tv")
