"""The TV view (``?tv=1``): the URL's filters, no widget, the as-of and load times, the rotation, a new
load picked up by the next turn. The org is tests/unit/test_as_of.py's (data ending 15 Nov 2023):
Vera leads the org (level 0), Lena and Kurt lead teams below her (level 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from scorecard import format
from scorecard.store import Store
from scorecard.ui.tv import Screen, screens
from tests.app.conftest import RunApp, texts
from tests.unit.test_as_of import past_org_frames

WIDGET_KINDS = ("button", "checkbox", "color_picker", "date_input", "multiselect", "number_input", "radio",
                "select_slider", "selectbox", "slider", "text_area", "text_input", "time_input", "toggle",
                "chat_input")


def _frames(kurt: str = "Kurt") -> dict[str, pl.DataFrame]:
    frames = past_org_frames()
    frames["reps"] = frames["reps"].with_columns(
        pl.Series("region", ["EMEA", "EMEA", "EMEA", "EMEA", "Americas", "Americas"]),
        pl.when(pl.col("rep_id") == "K").then(pl.lit(kurt)).otherwise(pl.col("rep_name")).alias("rep_name"))
    return frames


@pytest.fixture
def regions_db(tmp_path: Path) -> Path:
    store = Store(tmp_path / "regions.duckdb")
    store.load(_frames(), loaded_by="test")
    return store.path


def _figure(at: AppTest) -> dict[str, Any]:
    charts = at.get("plotly_chart")
    assert len(charts) == 1, "the TV shows one chart at a time"
    figure: dict[str, Any] = json.loads(charts[0].proto.spec)
    return figure


def _rows(at: AppTest) -> list[str]:
    """The leaders on the chart, top first (the bars' names, or the heatmap's rows); every leader of this
    small org is scored on little of the weight, so each name carries "(thin coverage)"."""
    trace = _figure(at)["data"][0]
    return [str(name).removesuffix(" (thin coverage)") for name in trace["y"]]


def _no_widget(at: AppTest) -> None:
    for kind in WIDGET_KINDS:
        assert len(at.get(kind)) == 0, f"the TV view draws a {kind}"


def test_the_tv_shows_the_region_and_level_of_its_address_without_a_widget(run_app: RunApp,
                                                                            regions_db: Path) -> None:
    at = run_app(regions_db, params={"tv": "1", "level": "1"})
    assert not at.exception
    _no_widget(at)
    assert [t.value for t in at.title] == []
    assert _rows(at) == ["Lena", "Kurt"]  # level 1 by overall (48, 25): Vera (level 0) is left out

    at = run_app(regions_db, params={"tv": "1", "level": "1", "region": "EMEA", "sort": "teams"})
    assert not at.exception
    _no_widget(at)
    assert _rows(at) == ["Lena"]  # Kurt is in the Americas
    assert _figure(at)["data"][0]["marker"]["color"] == "#393b79"  # bars in the colour of Teams
    shown = texts(at)
    assert "Sales-leadership scorecard · 2023Q4 (in progress)" in shown
    assert "EMEA · Level 1 · ranked by Teams" in shown


def test_the_tv_says_the_data_as_of_date_and_when_the_data_was_loaded(run_app: RunApp, regions_db: Path) -> None:
    loaded = Store(regions_db).loads()["loaded_at"][0]
    at = run_app(regions_db, params={"tv": "1"})
    captions = [c.value for c in at.caption]
    assert "Data as of 15 Nov 2023" in captions
    assert f"Updated {format.moment(loaded)} UTC" in captions  # the load's time, as every page writes a moment


def test_a_value_the_data_does_not_have_falls_back_to_the_scorecards_default(run_app: RunApp,
                                                                               regions_db: Path) -> None:
    at = run_app(regions_db, params={"tv": "1", "period": "1999Q1", "sort": "<b>", "level": "two"})
    assert not at.exception
    shown = texts(at)
    assert "Sales-leadership scorecard · 2023Q4 (in progress)" in shown
    assert "All regions · All levels · ranked by Overall" in shown
    assert _rows(at) == ["Lena", "Vera", "Kurt"]  # by overall: 48, 35, 25


def test_a_region_without_leaders_says_so(run_app: RunApp, regions_db: Path) -> None:
    at = run_app(regions_db, params={"tv": "1", "region": "APAC"})
    assert not at.exception
    _no_widget(at)
    assert "No leader matches the region and level of this address." in texts(at)


def test_the_tv_turns_from_the_ranking_to_the_heatmap_and_picks_up_a_new_load(run_app: RunApp,
                                                                                regions_db: Path) -> None:
    at = run_app(regions_db, params={"tv": "1", "level": "1"})
    assert _figure(at)["data"][0]["type"] == "bar"
    at.run()  # the next turn (a TV's fragment reruns by itself every few seconds)
    heat = _figure(at)["data"][0]
    assert heat["type"] == "heatmap"
    assert _rows(at) == ["Lena", "Kurt", "Org median"]  # by overall: Lena 48, Kurt 25

    Store(regions_db).load(_frames(kurt="Kurt Neumann"), loaded_by="test")
    at.run()
    _no_widget(at)
    assert _figure(at)["data"][0]["type"] == "bar"
    assert _rows(at) == ["Lena", "Kurt Neumann"]


def test_leaders_beyond_a_screen_are_shown_a_page_at_a_time() -> None:
    assert screens(3, rows=12) == [Screen("ranking", 0, 1), Screen("heatmap", 0, 1)]
    assert screens(16, rows=12) == [Screen("ranking", 0, 2), Screen("heatmap", 0, 2),
                                    Screen("ranking", 1, 2), Screen("heatmap", 1, 2)]
    assert screens(0, rows=12) == [Screen("ranking", 0, 1), Screen("heatmap", 0, 1)]


def test_the_heatmap_shows_the_change_against_last_quarter_beside_overall(run_app: RunApp,
                                                                           regions_db: Path) -> None:
    at = run_app(regions_db, params={"tv": "1", "level": "1"})
    at.run()  # the heatmap's turn
    scores, change = _figure(at)["data"][:2]
    assert scores["x"][:3] == ["Overall", "vs last quarter", "Company leader"]  # as on the Scorecard
    assert _rows(at) == ["Lena", "Kurt", "Org median"]
    tv_changes = [row[1] for row in change["text"]]
    assert tv_changes[-1] == ""  # the median row has no change
    assert all(re.fullmatch(r"[+-]?\d+|new", c) for c in tv_changes[:-1]), tv_changes

    # the same figures as the Scorecard's heatmap of the same leaders
    board = run_app(regions_db, "pages/scorecard_page.py", params={"level": "1"})
    heatmaps = [json.loads(c.proto.spec)["data"] for c in board.get("plotly_chart")]
    board_heat = next(d for d in heatmaps if d[0]["type"] == "heatmap" and "vs last quarter" in d[0]["x"])
    board_rows = [str(n).removesuffix(" (thin coverage)") for n in board_heat[0]["y"]]
    board_changes = dict(zip(board_rows, [row[1] for row in board_heat[1]["text"]], strict=True))
    assert tv_changes[:-1] == [board_changes["Lena"], board_changes["Kurt"]]
