"""The Compare page's URL is its view, in a real Chromium: two leaders -> a third added -> a peer cohort,
then Back twice and Forward once land on exactly those comparisons, and each address pasted into a new
window shows the same one. An id nobody has is said, never replaced by someone else.

The demo org (seed 7): Farid Ueda (U0005), Maya Hansen (U0006) and Tara Silva (U0007) are first-line
leaders, level 2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pytest

from tests.browser.journeys import (
    PAGE_TIMEOUT_MS,
    path_and_query,
    plot,
    query,
    wait_for_path,
    wait_until_rendered,
)
from tests.conftest import RunningApp, screenshot

pytestmark = pytest.mark.browser

HEADING = "Compare leaders"


@dataclass(frozen=True)
class View:
    """What the Compare page shows: the mode chosen, the leaders' chips (leaders picked) and the
    leaders side by side in the heatmap, in its order."""

    mode: str
    chips: list[str]
    compared: list[str]


def _view(page: Any) -> View:
    mode = page.locator("[data-testid='stButtonGroup'] [aria-checked='true']").first.inner_text().strip()
    chips = [str(t).strip() for t in page.locator(".st-key-url_leaders [data-tag] > span[title]").all_inner_texts()]
    heatmap = plot(page, 0)
    columns = heatmap.evaluate("(gd) => gd.data[1].x")
    return View(mode, chips, [c for c in columns if c != "Org median"])


def _settled(page: Any) -> None:
    """A view reached by a pick, Back or Forward is drawn by one run; let any second run show up."""
    wait_until_rendered(page, HEADING)
    page.wait_for_timeout(1000)
    wait_until_rendered(page, HEADING)
    plot(page, 0)


def _names(db: Any) -> dict[str, tuple[str, int, str]]:
    """leader id -> (name, level, region)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select l.leader_id, r.rep_name, l.level, r.region from leaders l"
                           " join reps r on r.rep_id = l.leader_id").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_back_and_forward_walk_the_comparisons_and_each_address_shows_its_own(
        running_app: RunningApp, page: Any, browser: Any) -> None:
    leaders = _names(running_app.db)
    farid, maya, tara = (leaders[i][0] for i in ("U0005", "U0006", "U0007"))
    level, region = leaders["U0005"][1], leaders["U0005"][2]
    peers = sorted(name for name, lv, rg in leaders.values() if (lv, rg) == (level, region))
    page.set_default_timeout(PAGE_TIMEOUT_MS)

    page.goto(running_app.url + "/compare?leaders=U0005,U0006")
    _settled(page)
    two = View("Leaders I pick", [f"{farid} · level 2", f"{maya} · level 2"], [farid, maya])
    assert _view(page) == two
    two_url = path_and_query(page)
    assert query(page) == {"leaders": "U0005,U0006"}  # opening a link writes nothing

    # a third leader: one step in the history
    box = page.locator(".st-key-url_leaders input").first
    box.click()
    box.fill(tara)
    page.get_by_role("option", name=f"{tara} · level 2", exact=True).first.click()
    page.keyboard.press("Escape")
    wait_for_path(page, "U0007")
    _settled(page)
    three = View("Leaders I pick", [*two.chips, f"{tara} · level 2"], [farid, maya, tara])
    assert _view(page) == three
    assert query(page) == {"leaders": "U0005,U0006,U0007"}
    three_url = path_and_query(page)

    # a peer cohort: the first leader's peers, the leaders gone from the address, in one step
    page.locator("[data-testid='stButtonGroup']").get_by_text("A peer cohort", exact=True).click()
    wait_for_path(page, "cohort=")
    _settled(page)
    cohort_url = path_and_query(page)
    assert query(page) == {"cohort": f"level:{level},region:{region}"}
    cohort = _view(page)
    assert cohort.mode == "A peer cohort" and cohort.chips == [] and sorted(cohort.compared) == peers
    screenshot(page, "compare_cohort")

    page.go_back()  # the three leaders again
    _settled(page)
    assert path_and_query(page) == three_url and _view(page) == three
    page.go_back()  # and the two before
    _settled(page)
    assert path_and_query(page) == two_url and _view(page) == two
    page.go_forward()
    _settled(page)
    assert path_and_query(page) == three_url and _view(page) == three
    screenshot(page, "compare_forward_to_three")

    # each address pasted into a new window shows the same comparison
    pasted = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    pasted.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        for url, view in ((two_url, two), (three_url, three), (cohort_url, cohort)):
            pasted.goto(running_app.url + url)
            _settled(pasted)
            assert path_and_query(pasted) == url and _view(pasted) == view, url
    finally:
        pasted.context.close()


def test_an_unknown_id_is_said_and_no_one_shown_in_its_place(running_app: RunningApp, page: Any) -> None:
    leaders = _names(running_app.db)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(running_app.url + "/compare?leaders=U0005,NOPE,U0006")
    _settled(page)
    body = page.inner_text("body").replace("\u2060", "")
    assert "No leader NOPE in your part of the organisation: pick the leaders from the list." in body
    assert _view(page).compared == [leaders["U0005"][0], leaders["U0006"][0]]
    assert query(page) == {"leaders": "U0005,NOPE,U0006"}  # the link stays as pasted, so it is still said
    screenshot(page, "compare_unknown_leader")
