"""The Plotly figures: what they draw from small frames, and one colour per score everywhere."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from scorecard import charts
from scorecard.metrics import SCORES


def _leaders() -> pl.DataFrame:
    # two leaders; Bob has no "teams" score (not enough data)
    scores = {key: [80.0, 60.0] for key in SCORES}
    scores["teams"] = [90.0, None]  # type: ignore[list-item]
    return pl.DataFrame({"leader_id": ["L1", "L2"], "leader_name": ["Ann", "Bob"], **scores})


def test_every_score_has_its_own_colour() -> None:
    assert set(charts.SCORE_COLOURS) == set(SCORES)
    assert len(set(charts.SCORE_COLOURS.values())) == len(SCORES)


def test_heatmap_rows_cells_and_click_targets() -> None:
    fig = charts.score_heatmap(_leaders())
    heat, clicks = fig.data
    assert list(heat.y) == ["Ann", "Bob"]
    assert list(heat.x) == list(SCORES.values())
    assert heat.z[0][0] == 80.0 and heat.z[1][-1] is None
    assert heat.text[1][-1] == ""  # a missing score is a blank cell, never a 0
    assert (heat.zmin, heat.zmax) == (0, 100)
    # one click target per cell, carrying the leader's id and the cell's score: 2 leaders x 11 scores
    assert len(clicks.customdata) == 22
    assert [list(c) for c in clicks.customdata[:11]] == [["L1", key] for key in SCORES]
    assert clicks.hovertext[-1] == "Bob<br>Teams: not enough data"
    # the axes are fixed to the cells, top row first
    assert tuple(fig.layout.yaxis.range) == (1.5, -0.5)


def test_heatmap_tells_apart_two_leaders_with_the_same_name() -> None:
    frame = _leaders().with_columns(pl.lit("Sam Lee").alias("leader_name"))
    assert list(charts.score_heatmap(frame).data[0].y) == ["Sam Lee (L1)", "Sam Lee (L2)"]


def test_ranking_bars_best_first_in_the_scores_colour() -> None:
    fig = charts.ranking_bars(_leaders(), "teams")
    bar = fig.data[0]
    assert list(bar.y) == ["Ann"]  # Bob has no teams score: not ranked, not shown as 0
    assert list(bar.customdata) == ["L1"]
    assert bar.marker.color == charts.SCORE_COLOURS["teams"]


def test_radar_closes_the_loop_and_compares_with_the_median() -> None:
    median = {key: 50.0 for key in SCORES}
    fig = charts.leader_radar("Ann", _leaders().row(0, named=True), median)
    ann, med = fig.data  # the median drawn last, over the leader's fill: never hidden by it
    assert med.name == "Org median" and ann.name == "Ann"
    assert ann.fill == "toself" and med.fill is None
    assert len(ann.r) == 11 and ann.r[0] == ann.r[-1]  # ten scores, closed back to the first
    assert list(med.r) == [50.0] * 11


def test_history_draws_one_line_per_score_in_its_colour() -> None:
    history = pl.DataFrame({"period": ["2026Q1", "2026Q2"], "overall": [60.0, 70.0],
                            "teams": [40.0, 55.0]})
    fig = charts.score_history(history)
    assert [t.name for t in fig.data] == ["Overall", "Teams"]
    assert fig.data[1].line.color == charts.SCORE_COLOURS["teams"]
    assert list(fig.data[0].y) == [60.0, 70.0]


def test_explanation_labels_metrics_by_score_when_several_scores_are_shown() -> None:
    explanation = pl.DataFrame({
        "score": ["company_leader", "teams"], "score_label": ["Company leader", "Teams"],
        "metric": ["quota_attainment", "coaching_coverage"],
        "metric_label": ["Quota attainment", "Coaching coverage"], "points": [100.0, None],
        "weight": [0.33, 0.375], "status": ["scored", "not_enough_data"],
    })
    bar = charts.explanation_bars(explanation).data[0]
    assert list(bar.y) == ["Company leader · Quota attainment", "Teams · Coaching coverage"]
    assert list(bar.marker.color) == [charts.SCORE_COLOURS["company_leader"], charts.SCORE_COLOURS["teams"]]
    assert list(bar.text) == ["100", ""]


def test_team_bars_are_red_behind_pace_and_green_ahead() -> None:
    team = pl.DataFrame({"rep_id": ["A", "B"], "rep_name": ["Ann", "Bob"], "attainment_full_period": [0.4, 0.8],
                         "expected_attainment": [50 / 91, 50 / 91]})
    bar = charts.team_attainment_bars(team).data[0]
    assert list(bar.y) == ["Ann", "Bob"]  # lowest attainment first
    assert list(bar.marker.color) == [charts.BEHIND_COLOUR, charts.AHEAD_COLOUR]
    assert list(bar.customdata) == ["A", "B"]


def test_rep_against_median_as_a_ratio() -> None:
    vs_team = pl.DataFrame({"label": ["Quota attainment", "Win rate"], "rep": [0.4, 0.5],
                            "team_median": [0.6, None], "ahead": [False, None]})
    bar = charts.rep_against_median(vs_team).data[0]
    assert list(bar.y) == ["Quota attainment"]  # no median, no bar
    assert bar.x[0] == pytest.approx(0.4 / 0.6)


def test_attainment_against_pace_draws_both_lines() -> None:
    curve = pl.DataFrame({"day": [date(2026, 4, 1), date(2026, 4, 2)], "won_to_date": [0.0, 10.0],
                          "pace_to_date": [1.0, 2.0]})
    fig = charts.attainment_against_pace(curve)
    # money on the axis in the short form of every page, with the currency (not Plotly's "400k")
    # (the largest amount, 10, in five steps of 2)
    assert list(fig.layout.yaxis.ticktext) == ["$0", "$2", "$4", "$6", "$8", "$10"]
    assert (fig.layout.legend.y, fig.layout.legend.yanchor) == (1.02, "bottom")
    assert [t.name for t in fig.data] == ["Won to date", "Pace to quota"]
    no_quota = curve.with_columns(pl.lit(None, dtype=pl.Float64).alias("pace_to_date"))
    assert [t.name for t in charts.attainment_against_pace(no_quota).data] == ["Won to date"]


def test_heatmap_median_row_for_reference() -> None:
    median = {key: 70.0 for key in SCORES}
    median["teams"] = float("nan")  # no leader had enough data
    fig = charts.score_heatmap(_leaders(), median=median)
    heat, clicks = fig.data
    assert list(heat.y) == ["Ann", "Bob", "Org median"]
    assert heat.z[2][0] == 70.0 and heat.z[2][-1] is None
    assert len(clicks.customdata) == 22  # the median row is not a leader to open
    assert "Org median" not in set(clicks.y)


def test_radar_leaves_a_missing_score_out_rather_than_at_zero() -> None:
    median = {key: 50.0 for key in SCORES}
    median["strategic"] = float("nan")  # no leader had enough data
    fig = charts.leader_radar("Bob", _leaders().row(1, named=True), median)
    bob, med = fig.data
    teams = list(SCORES).index("teams") - 1  # the radar shows the ten scores, without overall
    strategic = list(SCORES).index("strategic") - 1
    assert bob.r[teams] is None  # Bob has no teams score: a gap, not a point at 0
    assert med.r[strategic] is None
    assert bob.r[0] == 60.0


def test_explanation_hover_shows_the_weight_as_a_number() -> None:
    explanation = pl.DataFrame({
        "score": ["company_leader", "company_leader"], "score_label": ["Company leader"] * 2,
        "metric": ["quota_attainment", "reps_at_quota"], "metric_label": ["Quota attainment", "Reps at quota"],
        "points": [100.0, 50.0], "weight": [3.0, 2.0], "status": ["scored", "scored"],
    })
    bar = charts.explanation_bars(explanation).data[0]
    assert list(bar.hovertext) == ["weight 3, scored", "weight 2, scored"]  # not 300% and 200%
    not_enough = charts.explanation_bars(explanation.with_columns(pl.lit("not_enough_data").alias("status")))
    assert list(not_enough.data[0].hovertext) == ["weight 3, not enough data", "weight 2, not enough data"]


def test_a_bar_of_100_keeps_its_whole_label() -> None:
    # the label sits outside the bar: the axis leaves room for it and the plot does not clip it ("10")
    leaders = _leaders().with_columns(pl.lit(100.0).alias("overall"))
    fig = charts.ranking_bars(leaders, "overall")
    assert list(fig.data[0].text) == ["100", "100"]
    assert fig.data[0].cliponaxis is False and fig.layout.xaxis.range[1] >= 112
    assert list(fig.layout.xaxis.tickvals) == [0, 25, 50, 75, 100]


def test_legends_sit_above_the_plot_clear_of_the_axis_labels() -> None:
    history = pl.DataFrame({"period": ["2026Q1", "2026Q2"], "overall": [60.0, 70.0]})
    for fig in (charts.score_history(history),
                charts.leader_radar("Ann", _leaders().row(0, named=True), {k: 50.0 for k in SCORES})):
        assert (fig.layout.legend.y, fig.layout.legend.yanchor) == (1.02, "bottom")


def test_the_org_shows_roles_in_words() -> None:
    people = pl.DataFrame({"rep_id": ["V", "R"], "rep_name": ["Vera", "Ron"], "manager_id": [None, "V"],
                           "role": ["executive", "ae"], "region": ["EMEA", None]})
    assert list(charts.org_sunburst(people).data[0].hovertext) == ["Executive · EMEA", "Account executive"]


def test_history_leaves_a_quarter_without_a_score_as_a_gap() -> None:
    history = pl.DataFrame({"period": ["2026Q1", "2026Q2", "2026Q3"], "overall": [60.0, None, 70.0]})
    line = charts.score_history(history).data[0]
    assert list(line.y) == [60.0, None, 70.0]
    assert line.connectgaps is False


def _moved() -> pl.DataFrame:
    # Ann: overall down 6, moved most by win rate (-6); Bob: new (no previous quarter)
    return _leaders().with_columns(
        pl.Series("overall_change", [-6.2, None]), pl.Series("overall_mover", ["win_rate", None]),
        pl.Series("overall_mover_change", [-5.8, None]), pl.Series("teams_change", [0.3, None]),
        pl.Series("teams_mover", [None, None], dtype=pl.String),
        pl.Series("teams_mover_change", [None, None], dtype=pl.Float64))


def test_heatmap_shows_the_change_and_what_moved_it() -> None:
    fig = charts.score_heatmap(_moved(), median={key: 50.0 for key in SCORES}, change=True)
    heat, change, clicks = fig.data
    # the change sits beside the overall score, in a column of its own
    assert list(fig.layout.xaxis.categoryarray) == ["Overall", charts.CHANGE_COLUMN, *list(SCORES.values())[1:]]
    # compact: column names level on two lines, no colour bar (each cell says its points)
    assert "Organization<br>architect" in fig.layout.xaxis.ticktext and fig.layout.xaxis.tickangle == 0
    assert heat.showscale is False
    at = list(change.x).index(charts.CHANGE_COLUMN)
    assert at == 1 and list(heat.x) == list(change.x)  # one grid: the scores' cell of the change is blank
    assert [t[at] for t in change.text] == ["-6", "new", ""]  # the median row has no change
    assert change.z[0][at] == -6.2 and change.z[1][at] is None and heat.z[0][at] is None
    assert {v for row in change.z for i, v in enumerate(row) if i != at} == {None}
    # each cell's hover: its points, its change and the metric that moved it most
    ann_overall = list(clicks.customdata).index(["L1", "overall"])
    assert clicks.hovertext[ann_overall] == ("Ann<br>Overall: 80 points<br>-6 vs last quarter"
                                             " · moved most by Win rate -6")
    ann_teams = list(clicks.customdata).index(["L1", "teams"])
    assert clicks.hovertext[ann_teams] == "Ann<br>Teams: 90 points<br>0 vs last quarter"
    # the change cell opens the leader on the overall score
    assert list(clicks.customdata[-2:]) == [["L1", "overall"], ["L2", "overall"]]
    assert list(clicks.x[-2:]) == [charts.CHANGE_COLUMN] * 2


def test_a_click_names_the_leader_and_the_score_of_the_cell() -> None:
    cell = {"selection": {"points": [{"x": "Teams", "y": "Ann", "customdata": ["L1", "teams"]}]}}
    assert charts.selected_cell(cell) == ("L1", "teams")
    assert charts.selected_cell(cell, "action") == ("L1", "teams")  # the cell's own score
    bar = {"selection": {"points": [{"x": 80, "y": "Ann", "customdata": "L1"}]}}
    assert charts.selected_cell(bar, "action") == ("L1", "action")  # a ranking bar: the "Rank by" score
    assert charts.selected_cell({"selection": {"points": []}}) is None
    assert charts.selected_cell(None) is None


def test_ranking_bars_say_what_moved_the_score() -> None:
    bar = charts.ranking_bars(_moved(), "overall").data[0]
    assert list(bar.hovertext) == ["-6 vs last quarter · moved most by Win rate -6",
                                "no score last quarter to compare with"]


def _side_by_side(names: list[str]) -> object:
    """A comparison of leaders L1, L2... named ``names``: L1 scores 80 everywhere but Teams (not scored)
    and a thin Action (40, up 4); each other leader 60, level; the org median 70 but Teams."""
    from scorecard.compare import METRIC_COLUMNS, SCORE_COLUMNS, Comparison

    ids = [f"L{n + 1}" for n in range(len(names))]
    rows = []
    for n, leader_id in enumerate(ids):
        for key, label in SCORES.items():
            points, change, status = (80.0, -2.0, "scored") if n == 0 else (60.0, 0.0, "scored")
            if n == 0 and key == "teams":
                points, change, status = None, None, "not scored"
            if n == 0 and key == "action":
                points, change, status = 40.0, 4.0, "thin coverage"
            rows.append({"leader_id": leader_id, "leader_name": names[n], "score": key, "score_label": label,
                         "points": points, "change": change, "weight_scored": 0.3 if status == "thin coverage" else 1.0,
                         "coverage": "1 of 4 metrics, 30% of the weight" if status == "thin coverage" else
                         "0 of 3 metrics had enough data" if points is None else "4 of 4 metrics, 100% of the weight",
                         "status": status})
    return Comparison(
        period="2026Q1", leaders=pl.DataFrame({"leader_id": ids, "leader_name": names}),
        scores=pl.DataFrame(rows, schema=SCORE_COLUMNS), metrics=pl.DataFrame(schema=METRIC_COLUMNS),
        weights=pl.DataFrame(schema={"score": pl.String, "metric": pl.String, "weight": pl.Float64}),
        median={key: None if key == "teams" else 70.0 for key in SCORES})


def test_comparison_bars_are_horizontal_grouped_by_score_with_level_labels() -> None:
    fig = charts.comparison_bars(_side_by_side(["Ann <b>Lee</b>", "Bob"]))  # type: ignore[arg-type]
    ann, bob = fig.data
    assert (ann.orientation, bob.orientation) == ("h", "h") and fig.layout.barmode == "group"
    assert list(ann.y) == list(SCORES.values())  # the scores' names beside their groups, level
    assert fig.layout.yaxis.autorange == "reversed"  # the overall score on top
    assert ann.name == "Ann &lt;b&gt;Lee&lt;/b&gt;"  # CRM text shows as typed, no markup
    teams, action = list(SCORES).index("teams"), list(SCORES).index("action")
    # a score without data: a hatched grey bar across the scale that says so, never a bar at 0
    assert ann.x[teams] == 100.0 and ann.text[teams] == "no data" and ann.marker.pattern.shape[teams] == "/"
    assert ann.marker.color[teams] == charts.MISSING_FILL and ann.textposition[teams] == "inside"
    # the points at the bar's end, level; a thin score paler, its hover saying so
    assert ann.x[0] == 80.0 and ann.text[0] == "80" and ann.textposition[0] == "outside" and ann.textangle == 0
    assert ann.marker.opacity[action] == 0.45 and ann.marker.opacity[0] == 1.0
    assert ann.hovertext[action] == "40 points, ▲ 4 vs the previous quarter<br>1 of 4 metrics, 30% of the weight" \
                                    " · thin coverage"
    assert ann.hovertext[teams] == "not scored (0 of 3 metrics had enough data)"
    assert [list(c) for c in bob.customdata[:2]] == [["L2", "overall"], ["L2", "company_leader"]]
    # labels only where they fit (hidden rather than shrunk); legend above the plot, clear of the bars
    assert fig.layout.uniformtext.mode == "hide" and fig.layout.legend.yanchor == "bottom"
    assert fig.layout.xaxis.range == (0, 110)
    assert fig.layout.height == round(11 * 40 + 110)  # two leaders of 16 px: a band of 40 px a score


def test_comparison_bars_of_a_cohort_are_thinner_and_the_figure_taller() -> None:
    fig = charts.comparison_bars(_side_by_side([f"Leader {n}" for n in range(12)]))  # type: ignore[arg-type]
    assert len(fig.data) == 12
    assert fig.layout.height == round(11 * 12 * 8 / 0.8 + 110)  # 8 px a bar: 120 px a score


def test_comparison_heatmap_names_level_on_two_lines_and_missing_said() -> None:
    fig = charts.comparison_heatmap(_side_by_side(["Annabel Featherstone-Lee", "Bob"]))  # type: ignore[arg-type]
    gaps, points, cells = fig.data
    assert list(points.x) == ["Annabel Featherstone-Lee", "Bob", "Org median"]
    assert list(fig.layout.xaxis.ticktext) == ["Annabel<br>Featherstone-Lee", "Bob", "Org median"]
    assert fig.layout.xaxis.tickangle == 0
    teams, action = list(SCORES).index("teams"), list(SCORES).index("action")
    assert points.z[teams][0] is None and gaps.text[teams][0] == "no data"  # grey, says so, never 0
    assert points.z[teams][2] is None and gaps.text[teams][2] == "no data"  # the median too
    assert points.text[action][0] == "40 thin" and points.text[0][2] == "70"
    assert [list(c) for c in cells.customdata][:2] == [["L1", "overall"], ["L1", "company_leader"]]
    assert len(cells.customdata) == 2 * 11  # the median is not clickable


def test_comparison_heatmap_of_a_cohort_puts_every_name_on_two_lines() -> None:
    names = [f"Leader Number{n}" for n in range(7)]
    fig = charts.comparison_heatmap(_side_by_side(names))  # type: ignore[arg-type]
    assert list(fig.layout.xaxis.ticktext) == [f"Leader<br>Number{n}" for n in range(7)] + ["Org<br>median"]
    assert fig.layout.xaxis.tickfont.size == 11
