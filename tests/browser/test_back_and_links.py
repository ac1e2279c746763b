"""The URL is the view, in a real Chromium: the browser's Back walks the views back exactly, a pasted
link shows the same view, an unknown id says so, and the Scorecard has one address.

The demo org (seed 7) has 16 leaders, 5 of them in EMEA (the director and four managers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.journeys import (
    choose_option,
    chosen,
    click_bar,
    click_category,
    metric_value,
    path_and_query,
    plot,
    query,
    wait_for_path,
    wait_for_text,
    wait_until_rendered,
    y_categories,
)
from tests.conftest import RunningApp, screenshot

pytestmark = pytest.mark.browser


def _back(page: Any, heading: str) -> None:
    page.go_back()
    wait_until_rendered(page, heading)
    page.wait_for_timeout(1000)  # a view reached by Back is drawn by one run; let any second run show up
    wait_until_rendered(page, heading)


def _subheading(page: Any) -> str:
    return str(page.locator("[data-testid='stHeading'] h3").first.inner_text()).strip()


def _scorecard(page: Any, region: str, leaders: str) -> None:
    assert chosen(page, "Region") == region
    assert metric_value(page, "Leaders") == leaders


def _leader(page: Any, url: str, name: str) -> None:
    assert path_and_query(page) == url
    assert chosen(page, "Leader") == f"{name} ({query(page)['leader']})"
    assert _subheading(page) == name


def _rep(page: Any, url: str, name: str) -> None:
    assert path_and_query(page) == url
    assert chosen(page, "Rep") == f"{name} ({query(page)['rep']})"
    assert _subheading(page) == name


def test_back_walks_scorecard_filter_leader_rep_back_and_a_pasted_link_shows_each_view(
        running_app: RunningApp, page: Any, browser: Any) -> None:
    page.goto(running_app.url)
    wait_until_rendered(page, "Scorecard")
    assert path_and_query(page) == "/"
    _scorecard(page, "All regions", "16")

    choose_option(page, "Region", "EMEA")  # a filter: one step in the history
    wait_for_path(page, "region=EMEA")
    wait_until_rendered(page, "Scorecard")
    assert path_and_query(page) == "/?region=EMEA"
    _scorecard(page, "EMEA", "5")
    heatmap = plot(page, 0)
    assert len([n for n in y_categories(heatmap) if n != "Org median"]) == 5

    click_category(page, heatmap, x="Overall", y_index=0)  # the best EMEA leader's overall cell
    wait_for_path(page, "/leader?")
    wait_until_rendered(page, "Leader")
    leader_url = path_and_query(page)
    leader_id, period = query(page)["leader"], query(page)["period"]
    leader_name = chosen(page, "Leader").removesuffix(f" ({leader_id})")
    _leader(page, leader_url, leader_name)
    assert chosen(page, "Period").startswith(period)

    team = page.locator(".st-key-team_bars .js-plotly-plot")
    team.locator(".nsewdrag").first.wait_for()
    team.scroll_into_view_if_needed()
    rep_name = click_bar(page, team, 0)
    wait_for_path(page, "/rep?")
    wait_until_rendered(page, "Rep")
    rep_url = path_and_query(page)
    assert query(page)["period"] == period
    _rep(page, rep_url, rep_name)
    screenshot(page, "navigation_rep")

    _back(page, "Leader")  # the same leader, not another one with the rep page's query
    _leader(page, leader_url, leader_name)
    _back(page, "Scorecard")  # the filter is still there
    assert path_and_query(page) == "/?region=EMEA"
    _scorecard(page, "EMEA", "5")
    _back(page, "Scorecard")  # and before the filter, all leaders
    assert path_and_query(page) == "/"
    _scorecard(page, "All regions", "16")
    screenshot(page, "navigation_back_to_start")

    page.go_forward()
    wait_until_rendered(page, "Scorecard")
    page.wait_for_timeout(1000)
    wait_until_rendered(page, "Scorecard")
    assert path_and_query(page) == "/?region=EMEA"
    _scorecard(page, "EMEA", "5")

    # each view's address pasted into a new window shows the same view
    pasted = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        pasted.goto(running_app.url + "/?region=EMEA")
        wait_until_rendered(pasted, "Scorecard")
        _scorecard(pasted, "EMEA", "5")
        pasted.goto(running_app.url + leader_url)
        wait_until_rendered(pasted, "Leader")
        _leader(pasted, leader_url, leader_name)
        pasted.goto(running_app.url + rep_url)
        wait_until_rendered(pasted, "Rep")
        _rep(pasted, rep_url, rep_name)
    finally:
        pasted.context.close()


def test_filters_back_and_forward_on_one_page_and_the_tv_view(running_app: RunningApp, page: Any) -> None:
    page.goto(running_app.url + "/?region=EMEA")
    wait_until_rendered(page, "Scorecard")
    choose_option(page, "Rank by", "Teams")
    wait_for_path(page, "sort=teams")
    wait_until_rendered(page, "Scorecard")
    choose_option(page, "Region", "All regions")
    wait_for_path(page, "region=all")
    wait_until_rendered(page, "Scorecard")
    _scorecard(page, "All regions", "16")
    _back(page, "Scorecard")  # the widget follows the address, not the other way round
    assert query(page) == {"region": "EMEA", "sort": "teams"}
    _scorecard(page, "EMEA", "5")
    assert chosen(page, "Rank by") == "Teams"
    _back(page, "Scorecard")
    assert path_and_query(page) == "/?region=EMEA"
    assert chosen(page, "Rank by") == "Overall"

    page.get_by_role("button", name="TV view").click()  # the TV view is an address of its own
    wait_for_path(page, "tv=1")
    assert query(page)["region"] == "EMEA"
    wait_for_text(page, "EMEA · All levels")  # the TV view's own heading line, with the filters
    page.go_back()
    wait_until_rendered(page, "Scorecard")
    assert path_and_query(page) == "/?region=EMEA"
    _scorecard(page, "EMEA", "5")


def test_unknown_ids_say_so_and_the_scorecard_has_one_address(running_app: RunningApp, page: Any) -> None:
    page.goto(running_app.url + "/leader?leader=NOPE")
    wait_until_rendered(page, "Leader")
    body = page.inner_text("body").replace("\u2060", "")
    assert "No leader NOPE in your part of the organisation: pick one from the list." in body
    assert chosen(page, "Leader") == ""  # no one else in their place, and the list is offered
    assert page.locator("[data-testid='stMetric']").count() == 0
    screenshot(page, "navigation_unknown_leader")
    choose_option(page, "Leader", "Farid Ueda (U0005)")
    wait_for_path(page, "leader=U0005")
    wait_until_rendered(page, "Leader")
    assert _subheading(page) == "Farid Ueda"

    page.goto(running_app.url + "/leader")  # the Leader page from the navigation: asks whom to show
    wait_until_rendered(page, "Leader")
    assert "Pick a leader from the list." in page.inner_text("body")
    assert chosen(page, "Leader") == ""
    assert page.locator("[data-testid='stMetric']").count() == 0
    choose_option(page, "Leader", "Farid Ueda (U0005)")  # the pick is the address
    wait_for_path(page, "/leader?leader=U0005")
    wait_until_rendered(page, "Leader")
    assert _subheading(page) == "Farid Ueda"

    page.goto(running_app.url + "/rep?rep=NOPE")
    wait_until_rendered(page, "Rep")
    body = page.inner_text("body").replace("\u2060", "")
    assert "No rep NOPE in your part of the organisation: pick one from the list." in body
    assert page.locator("[data-testid='stMetric']").count() == 0

    page.goto(running_app.url + "/rep")  # the Rep page from the navigation: asks, never an empty page
    wait_until_rendered(page, "Rep")
    assert "Pick a rep from the list." in page.inner_text("body")
    assert chosen(page, "Rep") == ""
    assert page.locator("[data-testid='stMetric']").count() == 0
    screenshot(page, "navigation_rep_without_rep")

    page.goto(running_app.url + "/methodology")
    wait_until_rendered(page, "Methodology")
    page.goto(running_app.url + "/scorecard_page?region=EMEA")  # the address in e-mails leads to /
    wait_for_path(page, "/?region=EMEA")
    wait_until_rendered(page, "Scorecard")
    assert "Page not found" not in page.inner_text("body")
    _scorecard(page, "EMEA", "5")
    page.go_back()  # the alias is not kept in the history: Back leaves the scorecard
    wait_until_rendered(page, "Methodology")
    assert path_and_query(page) == "/methodology"
    page.goto(running_app.url + "/")
    wait_until_rendered(page, "Scorecard")
    _scorecard(page, "All regions", "16")
