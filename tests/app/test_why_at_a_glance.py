"""The why at a glance: each leader's change and the metric that moved it most on the scorecard, a
click from a heatmap cell, a ranking bar or an explanation bar to the view behind it, and the rows
behind a metric with the columns that decide it first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
from streamlit.elements.plotly_chart import PlotlySelectionState, PlotlyState
from streamlit.testing.v1 import AppTest

from scorecard import format
from scorecard.api import Scorecard
from scorecard.charts import CHANGE_COLUMN
from scorecard.explain import mover_text
from scorecard.settings import Settings
from tests.app.conftest import RunApp, column_config, frame_with, texts


def _no_exception(at: AppTest) -> None:
    errors = [e.value for e in at.exception]
    assert errors == [], errors


def _click(at: AppTest, page: str, chart_key: str, customdata: Any) -> AppTest:
    """Select a point of a chart, as a click in the browser does (Streamlit keeps the chart's
    selection under its key, as the state ``st.plotly_chart`` returns), and run the page again."""
    at.session_state[chart_key] = PlotlyState(
        {"selection": PlotlySelectionState({"points": [{"customdata": customdata}], "point_indices": [0],
                                            "box": [], "lasso": []})})
    at.switch_page(page)
    return at.run()


def _heatmap(at: AppTest) -> dict[str, Any]:
    for element in at.get("plotly_chart"):
        figure: dict[str, Any] = json.loads(element.proto.spec)
        if any(t.get("type") == "heatmap" for t in figure.get("data", [])):
            return figure
    raise AssertionError("no heatmap on the page")


def test_each_leader_row_carries_its_change_and_what_moved_it(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/scorecard_page.py")
    _no_exception(at)
    ranking = frame_with(at, "moved_most_by")
    assert list(ranking.columns[:6]) == ["rank", "leader_id", "leader_name", "overall", "change", "moved_most_by"]
    moved = [m for m in ranking["moved_most_by"] if m is not None]
    assert moved and all(re.fullmatch(r"[A-Z].* [+-][1-9]\d*", m) for m in moved), moved
    # the table says what the package computed: one place, one definition
    card = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path))
    leaders = card.leaders().select("leader_id", "overall_mover", "overall_mover_change")
    expected = {r["leader_id"]: mover_text(r["overall_mover"], r["overall_mover_change"])
                for r in leaders.iter_rows(named=True)}
    assert dict(zip(ranking["leader_id"], ranking["moved_most_by"], strict=True)) == expected
    # the heatmap: the overall change in a column of its own beside the overall score
    figure = _heatmap(at)
    scores, change, clicks = figure["data"]
    assert figure["layout"]["xaxis"]["categoryarray"][:2] == ["Overall", CHANGE_COLUMN]
    at = change["x"].index(CHANGE_COLUMN)
    assert all(re.fullmatch(r"[+-]\d+|0|new|", t[at]) for t in change["text"])
    # the hover of each cell says what moved the score most
    assert any("moved most by" in h for h in clicks["hovertext"])
    # compact rows: sixteen leaders and the median in a heatmap no taller than 500 px
    assert len(scores["y"]) == 17 and figure["layout"]["height"] <= 500


def test_a_heatmap_cell_opens_the_leader_on_that_score(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/scorecard_page.py")
    figure = _heatmap(at)
    clicks = figure["data"][-1]
    cell = clicks["customdata"][clicks["x"].index("Teams")]  # the top leader's Teams cell
    at = _click(at, "pages/scorecard_page.py", "heatmap", cell)
    _no_exception(at)
    assert cell[1] == "teams"
    assert at.query_params["leader"] == cell[0] and at.query_params["score"] == "teams"
    assert set(frame_with(at, "value_text")["score_label"]) == {"Teams"}  # on that score's explanation


def test_a_ranking_bar_opens_the_leader_on_the_rank_by_score(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/scorecard_page.py", params={"sort": "action"})
    at = _click(at, "pages/scorecard_page.py", "ranking_bars", "U0005")
    _no_exception(at)
    assert (at.query_params["leader"], at.query_params["score"]) == ("U0005", "action")
    assert [s.value for s in at.subheader] == ["Farid Ueda"]
    assert set(frame_with(at, "value_text")["score_label"]) == {"Action"}


def test_an_explanation_bar_opens_the_rows_behind_its_metric(run_app: RunApp, demo_db_path: Path) -> None:
    # the second click from the scorecard: the CRM rows behind one metric
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005", "score": "process_guru"})
    _no_exception(at)
    assert "Rows behind" not in texts(at)
    # the explanation opens on how the score moved and the metric that moved it most
    card = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path))
    farid = card.leaders().filter(pl.col("leader_id") == "U0005").row(0, named=True)
    moved = mover_text(farid["process_guru_mover"], farid["process_guru_mover_change"])
    assert moved is not None
    assert (f"Process guru {format.delta(farid['process_guru_change'])} against last quarter, moved most by"
            f" {moved}.") in texts(at)
    at = _click(at, "pages/leader.py", "explain_chart", "pipeline_hygiene")
    _no_exception(at)
    assert at.query_params["metric"] == "pipeline_hygiene"
    assert "Rows behind Pipeline hygiene" in texts(at)


def test_the_rows_behind_a_metric_show_what_decides_it_first(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py",
                 params={"leader": "U0005", "score": "process_guru", "metric": "pipeline_hygiene"})
    _no_exception(at)
    rows = pl.from_pandas(frame_with(at, "hygiene_reason"))
    assert rows.columns[:5] == ["hygienic", "hygiene_reason", "close_date", "next_step", "last_activity_at"]
    # a reason for every deal that is not hygienic, none for those that are
    assert rows.filter(pl.col("hygienic") == pl.col("hygiene_reason").is_not_null()).is_empty()
    config = column_config(at, "hygiene_reason")
    assert config["hygienic"]["label"] == "Hygienic" and config["hygienic"]["help"] == "Decides Pipeline hygiene"
    assert config["hygiene_reason"]["label"] == "Why not hygienic"
    assert config["close_date"]["type_config"]["format"] == "D MMM YYYY"
    assert config["amount"]["type_config"]["format"] == "$%,.0f"
    shown = next(e for e in at.dataframe if "hygiene_reason" in e.value.columns).proto.column_order
    assert list(shown[:2]) == ["hygienic", "hygiene_reason"]
    # an id beside its name and the row filter (true on every row) are left out
    assert "owner_rep_id" not in shown and "open_at_as_of" not in shown and "owner_name" in shown
