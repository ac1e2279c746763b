"""The PDF packs downloaded from the pages, as the CRO gets them: logged in through the identity
provider, the board pack from the Scorecard page and a leader's 1:1 pack from the Leader page; the
text of each PDF names the leaders, prints their scores and the data's as-of date."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pypdf import PdfReader

from scorecard import format, reports
from scorecard.access import AccessPolicy, viewer_for_email
from scorecard.api import Scorecard
from scorecard.settings import Settings
from tests.browser.hosting import log_in, new_page, start_hosted_app, start_provider, stop_provider
from tests.browser.journeys import wait_for_text
from tests.conftest import RunningApp, screenshot, stop_app

pytestmark = pytest.mark.browser

CRO = "cro@example.com"
LEADER = "U0005"
PACK_TIMEOUT_MS = 240_000  # a pack is made when its button is clicked: scores of eight quarters, Chromium


@dataclass
class Hosted:
    app: RunningApp
    card: Scorecard
    """What the CRO may see, read from the same database as the app."""


@pytest.fixture(scope="module")
def hosted(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    folder = tmp_path_factory.mktemp("downloads")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    (folder / "access.toml").write_text(f'executives = ["{CRO}"]\n', encoding="utf-8")
    provider = start_provider([{"sub": "cro", "email": CRO, "email_verified": True}], folder)
    app = start_hosted_app(db, provider)
    settings = Settings(db=db)
    with Scorecard.open(db, settings=settings).store.reader() as con:
        viewer = viewer_for_email(con, CRO, AccessPolicy.from_file(settings.resolved_access_file()))
    try:
        yield Hosted(app, Scorecard.open(db, viewer=viewer, settings=settings))
    finally:
        stop_app(app)
        stop_provider(provider)


def _download(page: Any, button_name: str, saved: Path) -> str:
    """Click the download button, keep the file, return its text (whitespace runs as one space)."""
    button = page.get_by_role("button", name=button_name)
    button.wait_for()
    with page.expect_download(timeout=PACK_TIMEOUT_MS) as download:
        button.click()
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def test_the_cro_downloads_the_board_pack(hosted: Hosted, browser: Any, tmp_path: Path) -> None:
    card = hosted.card
    leaders = card.leaders()
    as_of = reports.as_of_line(card)
    page = new_page(browser)
    log_in(page, hosted.app.url, "cro")
    wait_for_text(page, "Org median overall")
    text = _download(page, "Board pack (PDF)", tmp_path / "board.pdf")
    screenshot(page, "board_pack_downloaded")
    page.context.close()

    assert f"Sales-leadership scorecard: {card.current_period().label}" in text
    assert as_of in text
    assert f"{leaders.height} leaders in view" in text
    rank = 0
    for row in leaders.iter_rows(named=True):  # the ranking: each leader with their overall score
        rank += 0 if row["thin_coverage"] else 1
        number = "" if row["thin_coverage"] else f"{rank} "
        overall = format.points(row["overall"])
        assert re.search(rf"{number}{re.escape(row['leader_name'])} {overall} ", text), row["leader_name"]
        assert f"{row['leader_name']} ({row['leader_id']})" in text  # and a page of their own
    median = format.points(card.org_median()["overall"])
    assert f"Org median overall score: {median}." in text


def test_the_cro_downloads_a_leaders_one_on_one_pack(hosted: Hosted, browser: Any, tmp_path: Path) -> None:
    card = hosted.card
    row = card.leaders().filter(pl.col("leader_id") == LEADER).row(0, named=True)
    team = card.leader_team(LEADER)
    page = new_page(browser)
    log_in(page, hosted.app.url, "cro", f"/leader?leader={LEADER}")
    wait_for_text(page, "Why this score")
    text = _download(page, "1:1 pack (PDF)", tmp_path / "one-on-one.pdf")
    screenshot(page, "one_on_one_pack_downloaded")
    page.context.close()

    assert f"1:1 pack: {row['leader_name']}" in text
    assert reports.as_of_line(card) in text
    assert re.search(rf"Overall {format.points(row['overall'])} {re.escape(reports.change(row['overall_change']))} ",
                     text)
    for key in ("company_leader", "customer_champion", "process_guru"):
        label = {"company_leader": "Company leader", "customer_champion": "Customer champion",
                 "process_guru": "Process guru"}[key]
        assert re.search(rf"{label} {format.points(row[key])} ", text), key
    for name in team["rep_name"].to_list():
        assert name in text
