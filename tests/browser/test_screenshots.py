"""Every page at 1366x768 and 1920x1080 as the CRO sees it (a local install: no login, the whole org),
kept as full-page screenshots in tests/artifacts/screens/<page>-<w>x<h>.png to be looked at.

Each page, and each of its tabs, must draw its heading, no error, no word "None" and no raw code
(``c_level``, ``best_case``, ``not_enough_data``) in its text or its charts, and no headline figure's
label cut short. Tables are drawn on a canvas, out of the browser's reach: their cells are checked by
the pages' AppTests (tests/app).
"""

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

SCREENS = ARTIFACTS / "screens"
SIZES = [(1366, 768), (1920, 1080)]
RENDERED = "[data-testid='stApp'][data-test-script-state='notRunning']"

LEADER = "U0005"  # Farid Ueda, a second-line leader of the demo org
REP = "U0017"  # Liam Ibrahim, one of his reps
PAGES: dict[str, tuple[str, str]] = {
    # name: (address, the heading it shows)
    "scorecard": ("/", "Scorecard"),
    "leader": (f"/leader?leader={LEADER}", "Leader"),
    "rep": (f"/rep?rep={REP}", "Rep"),
    "compare": ("/compare?leaders=U0005,U0006,U0007", "Compare leaders"),
    "org_overview": ("/org_overview", "Org overview"),
    "data_quality": ("/data_quality", "Data quality"),
    "methodology": ("/methodology", "Methodology"),
    "upload": ("/upload", "Upload CRM extracts"),
    "tv": ("/?tv=1", "Sales-leadership scorecard"),
}

NONE = re.compile(r"\bNone\b(?! yet)")  # "None yet: ..." is a sentence, not a missing value
RAW_CODES = re.compile(r"\b(c_level|best_case|not_enough_data)\b")

ALL_TEXT = """() => {
    const parts = [document.body.innerText];
    for (const t of document.querySelectorAll('.js-plotly-plot svg text')) parts.push(t.textContent);
    return parts.join('\\n');
}"""

CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMetricLabel"] *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
"""The headline figures' labels that do not fit their column (cut with an ellipsis)."""

SCROLLER = """() => {
    const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
    return [main.scrollHeight, main.clientHeight];
}"""


@pytest.fixture(scope="module")
def cro_app(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The demo org on a local install: no login, everyone sees everything, as the CRO does."""
    db = tmp_path_factory.mktemp("screens") / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    app = start_app(db)
    yield app
    stop_app(app)


def full_page(page: Any, path: Path, size: tuple[int, int]) -> None:
    """A screenshot of the whole page: Streamlit scrolls its main block, not the document, so the
    window is made as tall as the page for the picture (the width stays), then set back."""
    width, height = size
    scroll, client = page.evaluate(SCROLLER)
    if scroll > client:
        page.set_viewport_size({"width": width, "height": height + scroll - client})
        page.wait_for_timeout(1500)  # the charts redraw at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


def _drawn(page: Any, heading: str) -> None:
    page.locator(RENDERED).wait_for()
    page.locator("h1, h2").filter(has_text=heading).first.wait_for(state="visible")
    page.locator(RENDERED).wait_for()
    charts = page.locator(".js-plotly-plot")
    for i in range(charts.count()):
        if charts.nth(i).is_visible():
            charts.nth(i).locator(".main-svg").first.wait_for()
    page.wait_for_timeout(1500)  # the last charts and tables finish drawing


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_at_both_sizes(cro_app: RunningApp, browser: Any, name: str, size: tuple[int, int]) -> None:
    address, heading = PAGES[name]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot = SCREENS / f"{name}-{size[0]}x{size[1]}.png"
    try:
        page.goto(cro_app.url + address)
        try:
            _drawn(page, heading)
        finally:
            full_page(page, shot, size)
        assert page.locator("h1, h2").filter(has_text=heading).first.is_visible()
        _says_nothing_wrong(page)
        # each further tab's charts and tables too, in a picture of their own
        tabs = page.get_by_role("tab")
        for i in range(1, tabs.count()):
            tab = tabs.nth(i)
            label = re.sub(r"[^a-z0-9]+", "_", tab.inner_text().strip().lower()).strip("_")
            tab.click()
            page.wait_for_timeout(2000)
            full_page(page, SCREENS / f"{name}-{label}-{size[0]}x{size[1]}.png", size)
            _says_nothing_wrong(page)
    finally:
        context.close()


def _says_nothing_wrong(page: Any) -> None:
    """No error, no "Page not found", no word "None" and no raw code in the page's text or charts, no
    headline figure's label cut."""
    errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    assert errors.count() == 0, errors.first.inner_text()
    text = str(page.evaluate(ALL_TEXT)).replace("\u2060", "")
    assert "Page not found" not in text
    assert not NONE.search(text), _around(text, NONE)
    assert not RAW_CODES.search(text), _around(text, RAW_CODES)
    assert page.evaluate(CUT_LABELS) == []  # every label reads in full


def _around(text: str, pattern: re.Pattern[str]) -> str:
    found = pattern.search(text)
    assert found is not None
    return text[max(0, found.start() - 200):found.end() + 200]
