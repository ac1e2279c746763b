"""The Compare page (pages/compare.py) through the router, on the demo org: nothing chosen, two leaders,
a peer cohort, an id nobody has, and a leader logged in who sees only their subtree; the URL is the view
(Back and a pasted link set the pickers, a pick writes the URL, a click on a chart counts once)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest
from streamlit.elements.plotly_chart import PlotlySelectionState, PlotlyState
from streamlit.testing.v1 import AppTest

from scorecard.ui import state
from tests.app.conftest import RunApp, logged_in, texts, unescaped

PAGE = "pages/compare.py"


@pytest.fixture
def compare_page(run_app: RunApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunApp]:
    """``run_app`` on the Compare page, listed in the navigation as the router lists every page."""
    if "compare" not in state.PAGES:
        monkeypatch.setitem(state.PAGES, "compare", dataclasses.replace(
            state.PAGES["leader"], key="compare", script=PAGE, title="Compare", icon=":material/compare_arrows:"))

    def run(db: Path, params: dict[str, str] | None = None, **kwargs: object) -> AppTest:
        return run_app(db, PAGE, params=params, **kwargs)

    yield run


def _leaders(db: Path) -> dict[str, tuple[str, int, str, str, str | None]]:
    """leader id -> (name, level, region, e-mail, manager id)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select l.leader_id, r.rep_name, l.level, r.region, r.email, r.manager_id from leaders l"
                           " join reps r on r.rep_id = l.leader_id order by l.leader_id").fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def _no_exception(at: AppTest) -> None:
    assert [e.value for e in at.exception] == []


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first ``st.table`` on the page with ``column``, as the reader reads it (its Markdown escapes
    removed)."""
    for element in at.table:
        frame = element.value.reset_index().rename(columns=unescaped)
        if column in frame.columns:
            return frame.map(unescaped)
    raise AssertionError(f"no table with a {column!r} column on the page")


def _mode(at: AppTest) -> Any:
    """The control that switches between leaders picked and a peer cohort."""
    return at.get("button_group")[0]


def _leaders_picked(at: AppTest) -> list[str]:
    return list(at.multiselect(key="url_leaders").value)


def _compared(at: AppTest) -> list[str]:
    """The leaders the heatmap shows, in its order (the org median left out)."""
    return [x for x in _charts(at)[0]["data"][1]["x"] if x != "Org median"]


def test_nothing_chosen_offers_every_visible_leader(compare_page: RunApp, demo_db_path: Path) -> None:
    at = compare_page(demo_db_path)
    _no_exception(at)
    assert [t.value for t in at.title] == ["Compare leaders"]
    picker = at.multiselect(key="url_leaders")
    assert picker.value == [] and len(picker.options) == 16  # the VP, 3 directors, 12 managers
    assert any("Pick two to five leaders" in i.value for i in at.info)
    assert _charts(at) == [] and len(at.table) == 0 and at.warning.len == 0
    assert dict(at.query_params) == {}  # opening the page writes nothing


def test_two_leaders_side_by_side(compare_page: RunApp, demo_db_path: Path) -> None:
    leaders = _leaders(demo_db_path)
    first, second = leaders["U0005"][0], leaders["U0006"][0]
    at = compare_page(demo_db_path, {"leaders": "U0005,U0006"})
    _no_exception(at)
    assert _leaders_picked(at) == ["U0005", "U0006"]
    heat = _charts(at)[0]
    assert heat["data"][1]["x"] == [first, second, "Org median"]
    scores = _table_with(at, "Score")
    assert list(scores.columns) == ["Score", first, second, "Org median"]
    assert scores["Score"].tolist()[:2] == ["Overall", "Company leader"] and len(scores) == 11
    metrics = _table_with(at, "Gap (points)")
    assert list(metrics.columns) == ["Metric", first, second, "Gap (points)", "Ahead", "Counts in"]
    assert len(metrics) == 34  # no metric switched off: no Note column
    gaps = [int(g) for g in metrics["Gap (points)"] if g != "–"]
    assert gaps == sorted(gaps, reverse=True)  # where they differ most first
    assert "–" in metrics["Gap (points)"].tolist()  # a metric neither leader is scored on has no gap...
    cells = [str(c) for table in at.table for c in table.value.reset_index().to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells  # ...and reads "–", never "None"
    assert [unescaped(link.label) for link in at.get("page_link")][-2:] == [f"Open {first}", f"Open {second}"]
    # a third leader picked: the URL follows, so the view can be shared
    at.multiselect(key="url_leaders").select("U0007").run()
    _no_exception(at)
    assert at.query_params["leaders"] == "U0005,U0006,U0007"
    assert _compared(at) == [first, second, leaders["U0007"][0]]
    # Back (or a pasted link) puts the URL back: the picker and the view follow it
    at.query_params["leaders"] = "U0006,U0005"
    at.run()
    assert _leaders_picked(at) == ["U0006", "U0005"]
    assert _charts(at)[0]["data"][1]["x"] == [second, first, "Org median"]
    # the metrics of one score, heaviest weight first
    at.selectbox(key="url_score").select("teams").run()
    teams = _table_with(at, "Weight")
    assert teams["Metric"].tolist()[0] == "Coaching coverage" and teams["Weight"].tolist() == ["3", "2", "2", "1"]
    # switched to a cohort: the peers of the first leader picked (same level, same region)
    _mode(at).set_value("cohort").run()
    _no_exception(at)
    level, region = leaders["U0006"][1], leaders["U0006"][2]
    assert at.query_params["cohort"] == f"level:{level},region:{region}" and "leaders" not in at.query_params
    peers = sorted(name for name, lv, rg, _, _ in leaders.values() if (lv, rg) == (level, region))
    assert sorted(_charts(at)[0]["data"][1]["x"][:-1]) == peers


def test_a_peer_cohort_from_its_link(compare_page: RunApp, demo_db_path: Path) -> None:
    leaders = _leaders(demo_db_path)
    emea = [name for name, level, region, _, _ in leaders.values() if level == 2 and region == "EMEA"]
    at = compare_page(demo_db_path, {"cohort": "level:2,region:EMEA"})
    _no_exception(at)
    assert _mode(at).value == "cohort"
    assert at.selectbox(key="compare_level").value == "2" and at.selectbox(key="compare_region").value == "EMEA"
    assert "Level 2 leaders in EMEA" in texts(at)
    shown = _charts(at)[0]["data"][1]["x"]
    assert sorted(shown[:-1]) == sorted(emea) and len(emea) == 4 and shown[-1] == "Org median"
    # every region: the twelve first-line managers, and the link says so
    at.selectbox(key="compare_region").select("any").run()
    _no_exception(at)
    assert at.query_params["cohort"] == "level:2"
    assert len(_charts(at)[0]["data"][1]["x"]) == 12 + 1


def test_an_unknown_id_says_so_and_offers_the_list(compare_page: RunApp, demo_db_path: Path) -> None:
    at = compare_page(demo_db_path, {"leaders": "U0005,NOPE"})
    _no_exception(at)
    warning = " ".join(w.value for w in at.warning)
    assert unescaped(warning) == "No leader NOPE in your part of the organisation: pick the leaders from the list."
    assert _leaders_picked(at) == ["U0005"]
    assert len(at.multiselect(key="url_leaders").options) == 16
    assert at.query_params["leaders"] == "U0005,NOPE"  # the link stays as pasted
    assert any("Pick two to five leaders" in i.value for i in at.info)
    assert _charts(at) == []


def test_a_cohort_link_that_cannot_be_read(compare_page: RunApp, demo_db_path: Path) -> None:
    at = compare_page(demo_db_path, {"cohort": "team:7"})
    _no_exception(at)
    assert any("peer cohort cannot be read" in unescaped(w.value) for w in at.warning)
    assert _charts(at) == [] and at.selectbox(key="compare_level").value == "any"


@pytest.fixture(scope="module")
def hosted_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hosted_compare")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    (folder / "access.toml").write_text('executives = ["cro@example.com"]\n')
    return db


def test_a_director_compares_only_inside_their_subtree(compare_page: RunApp, hosted_db: Path) -> None:
    leaders = _leaders(hosted_db)
    director = "U0002"
    mine = {i for i, row in leaders.items() if i == director or row[4] == director}
    outsider = next(i for i, row in leaders.items() if row[1] == 2 and i not in mine)
    inside = sorted(i for i in mine if i != director)[0]
    at = compare_page(hosted_db, {"leaders": f"{inside},{outsider}"}, user=logged_in(leaders[director][3]))
    _no_exception(at)
    picker = at.multiselect(key="url_leaders")
    assert {o.split(" · ")[0] for o in picker.options} == {leaders[i][0] for i in mine} and picker.value == [inside]
    assert any(outsider in unescaped(w.value) for w in at.warning)  # the id from the link, and nothing else
    shown = texts(at) + " ".join(str(o) for o in picker.options) + json.dumps(_charts(at))
    shown += " ".join(unescaped(frame.value.to_csv()) for frame in at.table)
    assert leaders[outsider][0] not in shown
    # a cohort reaches no further: level 2 is the director's own managers
    at = compare_page(hosted_db, {"cohort": "level:2"}, user=logged_in(leaders[director][3]))
    _no_exception(at)
    assert sorted(_charts(at)[0]["data"][1]["x"][:-1]) == sorted(leaders[i][0] for i in mine if i != director)


def test_a_first_line_manager_sees_only_themself(compare_page: RunApp, hosted_db: Path) -> None:
    leaders = _leaders(hosted_db)
    at = compare_page(hosted_db, {"leaders": "U0005,U0008"}, user=logged_in(leaders["U0005"][3]))
    _no_exception(at)
    assert [o.split(" · ")[0] for o in at.multiselect(key="url_leaders").options] == [leaders["U0005"][0]]
    assert any("U0008" in unescaped(w.value) for w in at.warning)
    assert leaders["U0008"][0] not in texts(at) and _charts(at) == []


def test_back_and_forward_walk_the_comparisons_and_each_pick_writes_the_url(compare_page: RunApp,
                                                                            demo_db_path: Path) -> None:
    leaders = _leaders(demo_db_path)
    two, three = ["U0005", "U0006"], ["U0005", "U0006", "U0007"]
    at = compare_page(demo_db_path, {"leaders": "U0005,U0006"})
    assert _compared(at) == [leaders[i][0] for i in two]
    at.multiselect(key="url_leaders").select("U0007").run()  # a third leader: the URL follows
    assert dict(at.query_params) == {"leaders": "U0005,U0006,U0007"}
    _mode(at).set_value("cohort").run()  # a cohort: the first leader's peers
    level, region = leaders["U0005"][1], leaders["U0005"][2]
    assert dict(at.query_params) == {"cohort": f"level:{level},region:{region}"}
    peers = sorted(name for name, lv, rg, _, _ in leaders.values() if (lv, rg) == (level, region))
    assert sorted(_compared(at)) == peers

    # Back: the URL of the three leaders; the control, the picker and the view follow it
    at.query_params.clear()
    at.query_params["leaders"] = "U0005,U0006,U0007"
    at.run()
    _no_exception(at)
    assert _mode(at).value == "leaders"
    assert _leaders_picked(at) == three and _compared(at) == [leaders[i][0] for i in three]
    assert dict(at.query_params) == {"leaders": "U0005,U0006,U0007"}  # showing a view writes nothing
    at.query_params["leaders"] = "U0005,U0006"  # Back again
    at.run()
    assert _leaders_picked(at) == two and _compared(at) == [leaders[i][0] for i in two]
    at.query_params.clear()  # Forward twice: the cohort again, its selectboxes from the URL
    at.query_params["cohort"] = f"level:{level},region:{region}"
    at.run()
    assert _mode(at).value == "cohort"
    assert (at.selectbox(key="compare_level").value, at.selectbox(key="compare_region").value) == (str(level), region)
    assert sorted(_compared(at)) == peers
    at.selectbox(key="compare_level").select("any").run()  # a pick in the cohort writes the cohort
    assert dict(at.query_params) == {"cohort": f"region:{region}"}
    # back to leaders from a cohort of two to five: its members become the leaders picked
    _mode(at).set_value("leaders").run()
    members = [i for i, row in leaders.items() if row[2] == region]
    if 2 <= len(members) <= 5:
        assert sorted(at.query_params["leaders"].split(",")) == sorted(members)
    else:
        assert dict(at.query_params) == {}


def test_a_click_on_a_cell_opens_the_leader_on_that_score(compare_page: RunApp, demo_db_path: Path) -> None:
    at = compare_page(demo_db_path, {"leaders": "U0005,U0006", "period": "2026Q3"})
    _no_exception(at)
    at.session_state["compare_heatmap"] = PlotlyState(  # a click on Maya Hansen's Teams cell
        {"selection": PlotlySelectionState({"points": [{"customdata": ["U0006", "teams"]}], "point_indices": [0],
                                            "box": [], "lasso": []})})
    at.run()
    _no_exception(at)
    assert dict(at.query_params) == {"leader": "U0006", "score": "teams", "period": "2026Q3"}
    assert [t.value for t in at.title] != ["Compare leaders"]


def test_the_tables_in_words_escaped_whole_and_as_wide_as_they_need() -> None:
    from scorecard.compare import METRIC_COLUMNS, SCORE_COLUMNS, Comparison
    from scorecard.ui import compare as picker

    def side(names: list[str]) -> Comparison:
        return Comparison(period="2026Q1", leaders=pl.DataFrame({"leader_id": [f"L{n}" for n in range(len(names))],
                                                                 "leader_name": names}),
                          scores=pl.DataFrame(schema=SCORE_COLUMNS), metrics=pl.DataFrame(schema=METRIC_COLUMNS),
                          weights=pl.DataFrame(schema={"score": pl.String, "metric": pl.String, "weight": pl.Float64}))

    two = side(["Ann *Lee*", "Bob"])
    table = pl.DataFrame({"metric": ["win_rate", "ramp_time"], "Metric": ["Win rate", "Ramp time"],
                          "Weight": [3.0, None],
                          "Ann *Lee*": ["36% · 100 pts", "not enough data: 0 reps ramped (min 2)"],
                          "Bob": ["$38,754 · 64 pts", None], "Gap (points)": [64.4, None], "Ahead": ["Ann *Lee*", None],
                          "Counts in": ["Company leader", "Organization architect"], "Note": [None, None]})
    shown = picker.in_words(table, two)
    assert shown.index.name == "Metric" and shown.index.tolist() == ["Win rate", "Ramp time"]
    assert shown.columns.tolist() == ["Weight", "Ann \\*Lee\\*", "Bob", "Gap \\(points\\)", "Ahead", "Counts in"]
    nbsp = "\u00a0"
    assert shown["Bob"].tolist() == [f"\\$38\\,754{nbsp}·{nbsp}64{nbsp}pts", "–"]  # one line, no LaTeX, no "None"
    assert unescaped(shown["Ann \\*Lee\\*"].tolist()[1]) == "not enough data: 0 reps ramped (min 2)"  # wraps
    assert shown["Weight"].tolist() == ["3", "–"] and shown["Gap \\(points\\)"].tolist() == ["64", "–"]
    assert picker.table_width(two) == "stretch"  # cells wrap to the page's width
    assert picker.table_width(side([f"Leader {n}" for n in range(6)])) == picker.WIDE  # scrolls, metric in view


def test_without_the_optional_extracts_the_switched_off_metrics_say_why(compare_page: RunApp,
                                                                        core_only_db: Path) -> None:
    at = compare_page(core_only_db, {"cohort": "all"})
    _no_exception(at)
    assert _mode(at).value == "cohort" and len(_compared(at)) >= 2
    metrics = _table_with(at, "Note")
    coaching = metrics[metrics["Metric"] == "Coaching coverage"].iloc[0]
    assert coaching["Note"] == "switched off: the coaching extract is missing or empty; load it to switch it on"
    assert {coaching[name].replace("\u00a0", " ") for name in _compared(at)} == {"switched off"}
