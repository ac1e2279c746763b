"""The URL is the view (``scorecard.ui.state``), page by page: the pickers take their value from the
URL on every run, a pick writes the URL, an unknown or hidden id is said and no one else is shown, the
Rep and Leader pages without a person ask for one. The demo org (seed 7): U0005 is Farid Ueda, a leader; U0046 is
Grace Quintero, a rep; 16 leaders, 5 of them in EMEA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.elements.plotly_chart import PlotlySelectionState, PlotlyState

from scorecard.ui import state
from tests.app.conftest import RunApp, frame_with, texts


def _no_exception(at: Any) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_an_unknown_leader_is_said_and_no_one_else_is_shown(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "NOPE"})
    _no_exception(at)
    assert "No leader NOPE in your part of the organisation: pick one from the list." in texts(at)
    picker = at.selectbox(key="url_leader")
    assert picker.value is None and "Farid Ueda (U0005)" in picker.options  # the list is offered
    assert not at.subheader and not at.metric  # no one in their place
    assert at.query_params["leader"] == "NOPE"  # the address is left as it was typed

    picker.select("U0005").run()  # picking from the list writes the URL
    _no_exception(at)
    assert at.query_params["leader"] == "U0005"
    assert [s.value for s in at.subheader][:1] == ["Farid Ueda"]
    assert "No leader NOPE" not in texts(at)


def test_a_hostile_unknown_id_is_shown_as_text(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "**x**](http://e.vil)"})
    _no_exception(at)
    assert "No leader **x**](http://e.vil) in your part of the organisation" in texts(at)
    assert not at.subheader


def test_an_unknown_rep_is_said_and_the_rep_page_without_a_rep_asks_for_one(run_app: RunApp,
                                                                           demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": "NOPE"})
    _no_exception(at)
    assert "No rep NOPE in your part of the organisation: pick one from the list." in texts(at)
    assert at.selectbox(key="url_rep").value is None
    assert not at.subheader and not at.metric

    at = run_app(demo_db_path, "pages/rep.py")  # from the navigation, no rep in the URL
    _no_exception(at)
    assert "Pick a rep from the list." in texts(at)
    assert at.selectbox(key="url_rep").value is None
    assert not at.subheader and not at.metric  # never an empty page of "–", $0 and "0 of 0"
    assert "rep" not in at.query_params

    at.selectbox(key="url_rep").select("U0046").run()
    _no_exception(at)
    assert at.query_params["rep"] == "U0046"
    assert [s.value for s in at.subheader][:1] == ["Grace Quintero"]


def test_the_leader_page_without_a_leader_asks_whom_to_show(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py")  # from the navigation: the viewer may see 16 leaders
    _no_exception(at)
    assert "Pick a leader from the list." in texts(at)
    picker = at.selectbox(key="url_leader")
    assert picker.value is None and len(picker.options) == 16  # the list is offered
    assert "Farid Ueda (U0005)" in picker.options
    assert not at.subheader and not at.metric and not at.dataframe  # no one drawn in the leader's place
    assert "leader" not in at.query_params

    picker.select("U0005").run()  # the pick writes the URL and shows the leader
    _no_exception(at)
    assert at.query_params["leader"] == "U0005"
    assert [s.value for s in at.subheader][:1] == ["Farid Ueda"]
    assert "Pick a leader from the list." not in texts(at)
    assert [m.label for m in at.metric] == ["Overall", "Company leader", "Customer champion", "Process guru",
                                            "Organization architect", "Course corrector"]


def test_the_url_outranks_the_pickers_state(run_app: RunApp, demo_db_path: Path) -> None:
    """What Back does: the address changes under a page whose pickers showed something else."""
    at = run_app(demo_db_path, "pages/scorecard_page.py")
    _no_exception(at)
    assert at.selectbox(key="url_region").value == "all"
    assert len(frame_with(at, "rank")) == 16
    assert "region" not in at.query_params  # showing the default writes nothing (no step in the history)

    at.selectbox(key="url_region").select("EMEA").run()  # a pick writes the URL
    assert at.query_params["region"] == "EMEA"
    assert len(frame_with(at, "rank")) == 5

    at.query_params["region"] = "all"  # Back: the URL of the view before
    at.run()
    _no_exception(at)
    assert at.selectbox(key="url_region").value == "all"
    assert len(frame_with(at, "rank")) == 16
    assert at.query_params["region"] == "all"

    del at.query_params["region"]  # Back once more: no region in the URL, the default
    at.query_params["sort"] = "teams"
    at.run()
    assert at.selectbox(key="url_region").value == "all"
    assert at.selectbox(key="url_sort").value == "teams"
    assert "region" not in at.query_params


def test_a_click_sets_the_view_once_and_back_is_not_undone(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005", "score": "process_guru"})
    at.session_state["explain_chart"] = PlotlyState(  # a click on the Pipeline hygiene bar
        {"selection": PlotlySelectionState({"points": [{"customdata": "pipeline_hygiene"}], "point_indices": [0],
                                            "box": [], "lasso": []})})
    at.run()
    _no_exception(at)
    assert at.query_params["metric"] == "pipeline_hygiene"
    assert "Rows behind Pipeline hygiene" in texts(at)

    del at.query_params["metric"]  # Back: the selection stays on the chart, the URL has no metric
    at.run()
    _no_exception(at)
    assert "metric" not in at.query_params
    assert "Rows behind" not in texts(at)

    at.query_params["score"] = "overall"  # another score: the same selection is no new click
    at.run()
    assert "metric" not in at.query_params


def test_an_unknown_period_is_said_and_the_default_shown(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/scorecard_page.py", params={"period": "1999Q1"})
    _no_exception(at)
    shown = at.selectbox(key="url_period").value
    assert shown != "1999Q1" and shown is not None
    assert "No period 1999Q1 in the data: showing" in texts(at)


def test_each_page_has_one_address() -> None:
    addresses = [p.url_path for p in state.PAGES.values() if p.key != state.DEFAULT_PAGE]
    assert len(addresses) == len(set(addresses))
    assert state.ALIASES == {"scorecard_page": "scorecard"}  # the file's name leads to the Scorecard's "/"
    assert state.query(leader="U0005", period=None, region="", level=2) == {"leader": "U0005", "level": "2"}
