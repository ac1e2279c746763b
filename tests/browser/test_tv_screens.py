"""The TV view in a real headless Chromium at 1920x1080 and 1366x768: it fits the screen without a
scroll bar, draws no widget, reads from across a room, says the as-of date and the load's time, keeps
to the filters of its address and turns from the ranking to the heatmap by itself.
Screenshots go to tests/artifacts/screens/tv-*.png."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.journeys import PAGE_TIMEOUT_MS
from tests.conftest import ARTIFACTS, RunningApp, start_app, stop_app

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768)]
RENDERED = "[data-testid='stApp'][data-test-script-state='notRunning']"
SCREENS = ARTIFACTS / "screens"


@pytest.fixture(scope="module")
def tv_app(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The demo org on a local install (no login: everyone sees everything, as the CRO does)."""
    db = tmp_path_factory.mktemp("tv") / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    app = start_app(db)
    yield app
    stop_app(app)


def _open(browser: Any, url: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url)
    try:
        page.locator(RENDERED).wait_for()
        page.locator("h2").filter(has_text="Sales-leadership scorecard").wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
    except Exception as error:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"tv-failed-{size[0]}x{size[1]}.png"))
        said = page.inner_text("body")[:1500]
        raise AssertionError(f"the TV view did not draw at {url}; it says:\n{said}") from error
    return page


def _chart_kind(page: Any) -> str:
    """``heatmap`` or ``bar``: the chart on screen now."""
    return str(page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].type"))


def _wait_for_chart(page: Any, kind: str, timeout_ms: int = 40_000) -> None:
    page.wait_for_function(
        "(kind) => { const p = document.querySelector('.js-plotly-plot');"
        " return p && p.data && p.data[0].type === kind && p.querySelector('.main-svg'); }",
        arg=kind, timeout=timeout_ms)
    page.wait_for_timeout(800)  # let Plotly finish drawing


def _fits(page: Any, size: tuple[int, int]) -> None:
    """Nothing to scroll, and the whole chart inside the screen."""
    width, height = size
    scrolled = page.evaluate(
        "() => [...document.querySelectorAll('*')].filter(e => e.scrollHeight > e.clientHeight + 1"
        " && ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)).map(e => e.scrollHeight)")
    assert scrolled == [], f"something scrolls: {scrolled}"
    assert page.evaluate("() => document.documentElement.scrollHeight") <= height
    box = page.locator(".js-plotly-plot .main-svg").first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def _smallest_label_px(page: Any) -> float:
    """The smallest type among the chart's axis labels (names and column labels)."""
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text')]"
        ".map(t => parseFloat(getComputedStyle(t).fontSize))")
    assert sizes, "the chart has no axis labels"
    return float(min(sizes))


def _no_widget(page: Any) -> None:
    widgets = page.locator("button:visible, input:visible, select:visible, textarea:visible,"
                           " [data-testid='stSelectbox'], [data-testid='stSidebar']:visible")
    assert widgets.count() == 0, [widgets.nth(i).evaluate("e => e.outerHTML.slice(0, 200)")
                                  for i in range(widgets.count())]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_tv_fits_the_screen_and_turns_by_itself(tv_app: RunningApp, browser: Any,
                                                    size: tuple[int, int]) -> None:
    page = _open(browser, tv_app.url + "/?tv=1", size)
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        _wait_for_chart(page, "bar")
        body = page.inner_text("body")
        assert "Data as of" in body and "Updated" in body and " UTC" in body
        # sixteen leaders: twelve a screen (the rotation may be on the first or the second page)
        assert re.search(r"leaders (1-12|13-16) of 16", body), body
        _no_widget(page)
        _fits(page, size)
        assert _smallest_label_px(page) >= 18
        page.screenshot(path=str(SCREENS / f"tv-ranking-{size[0]}x{size[1]}.png"))

        _wait_for_chart(page, "heatmap")  # the next turn, without a click or a reload
        _no_widget(page)
        _fits(page, size)
        assert _smallest_label_px(page) >= 18  # the score columns' labels too
        rows = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].y")
        assert rows[-1] == "Org median" and len(rows) in (13, 5)  # twelve or four leaders and the median
        columns = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].x")
        assert columns[:2] == ["Overall", "vs last quarter"]  # the change beside the overall, as on the Scorecard
        page.screenshot(path=str(SCREENS / f"tv-heatmap-{size[0]}x{size[1]}.png"))
    finally:
        page.context.close()


def test_the_tv_keeps_to_the_filters_of_its_address(tv_app: RunningApp, browser: Any) -> None:
    # the Scorecard's own address, EMEA's second-line leaders ranked by Teams
    page = _open(browser, tv_app.url + "/scorecard_page?tv=1&region=EMEA&level=2&sort=teams", (1366, 768))
    try:
        _wait_for_chart(page, "bar")
        names = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].y")
        assert sorted(n.removesuffix(" (thin coverage)") for n in names) == [
            "Elena Varga", "Jonas Moreau", "Olga Dubois", "Tara Silva"]
        assert "EMEA · Level 2 · ranked by Teams" in page.inner_text("body")
        assert _chart_kind(page) == "bar"
        _no_widget(page)
        _fits(page, (1366, 768))
    finally:
        page.context.close()
