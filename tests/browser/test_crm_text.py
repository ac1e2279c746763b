"""CRM text is data, never markup, in a real browser: a leader's name carrying a Markdown image, an
HTML tag, a link and a formula is shown as typed on every page, nothing it names is ever fetched, and
the downloaded CSV holds the formula as text."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scorecard.store import Store
from tests.browser.journeys import plot, wait_for_text, y_categories
from tests.conftest import screenshot, start_app, stop_app

pytestmark = pytest.mark.browser


class Tracker:
    """A tiny web server on 127.0.0.1 that counts every request (a tracking pixel's server)."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _as_read(text: str) -> str:
    """Text as a reader reads it: runs of spaces as one, the invisible word joiners of ``ui.text.plain`` out."""
    return " ".join(str(text).replace("\u2060", "").split())


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    found = Tracker()
    yield found
    found.close()


def test_a_hostile_name_is_text_and_nothing_it_names_is_fetched(demo_store: Store, tracker: Tracker,
                                                                page: Any, tmp_path: Path) -> None:
    name = (f'=HYPERLINK("{tracker.url}/click","Click") ![pixel]({tracker.url}/pixel.png) **bold**'
            f' <img src="{tracker.url}/tag.png"> [site]({tracker.url}/link)')
    with duckdb.connect(str(demo_store.path)) as con:
        con.execute("update reps set rep_name = $name where rep_id = 'U0005'", {"name": name})
    app = start_app(demo_store.path)
    try:
        page.goto(app.url + "/leader?leader=U0005")
        wait_for_text(page, "Why this score")
        heading = page.locator("[data-testid='stHeading']").filter(has_text="HYPERLINK").first
        assert _as_read(heading.inner_text()) == _as_read(name)
        page.wait_for_timeout(1500)
        screenshot(page, "leader_hostile_name")

        page.goto(app.url + "/rep?rep=U0017")  # one of his reps: "Leader: <the name>"
        wait_for_text(page, "Deals at risk")
        link = page.locator("[data-testid='stPageLink']").filter(has_text="HYPERLINK").first
        assert _as_read(link.inner_text()).endswith(_as_read(name))

        page.goto(app.url)
        wait_for_text(page, "Org median overall")
        heatmap = plot(page, 0)
        assert len(y_categories(heatmap)) == 17  # sixteen leaders and the org median
        ticks = [_as_read(t) for t in heatmap.locator(".ytick text").all_text_contents()]
        assert _as_read(name) in ticks  # the label as typed: Plotly made no tag or link of it
        page.wait_for_timeout(1500)
        screenshot(page, "scorecard_hostile_name")

        for where in ("the page", "a chart"):
            assert page.locator(f"img[src^='{tracker.url}'], a[href^='{tracker.url}']").count() == 0, where
        assert page.locator(f".js-plotly-plot a[href^='{tracker.url}']").count() == 0
        assert tracker.hits == [], f"the browser fetched {tracker.hits}"

        # the ranking's download: the formula arrives as text
        page.get_by_role("tab", name="Ranking").click()
        button = page.get_by_role("button", name="Download as CSV").first
        button.wait_for()
        with page.expect_download() as download:
            button.click()
        saved = tmp_path / "ranking.csv"
        download.value.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert next(r for r in rows if r["leader_id"] == "U0005")["leader_name"] == "'" + name
        assert tracker.hits == []
    finally:
        stop_app(app)
