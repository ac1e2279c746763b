"""Leaders side by side (scorecard/compare.py) on the hand-made org of tests/unit/test_metrics.py, scored
for 2026Q1 as of 15 May 2026: Vera VP (V1, level 0, EMEA) over Mia Manager (M1: Ann, Ben, Cal) and Max
Manager (M2: Dee, Eve), both level 1 in EMEA; Moe Manager (M3, level 0, Americas) over Dan. The
coaching extract is left out, so coaching coverage is switched off for everyone.

Points by the shipped rubric's bands (value -> points), worked out in the comments."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scorecard.access import Viewer
from scorecard.api import Scorecard
from scorecard.charts import comparison_bars, comparison_heatmap
from scorecard.compare import Cohort, Comparison, compare, comparison
from scorecard.metrics import SCORES
from scorecard.settings import Settings
from scorecard.store import Store
from tests.unit.test_metrics import Q1, TODAY, handmade_frames

REGIONS = {"V1": "EMEA", "M1": "EMEA", "M2": "EMEA", "M3": "Americas"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    frames = handmade_frames()
    del frames["coaching"]
    frames["reps"] = frames["reps"].with_columns(
        pl.col("rep_id").replace_strict(REGIONS, default="EMEA").alias("region"))
    store = Store(tmp_path_factory.mktemp("compare") / "org.duckdb")
    store.load(frames, loaded_by="test")
    return store


@pytest.fixture(scope="module")
def card(store: Store) -> Scorecard:
    return Scorecard.open(store.path, settings=Settings(db=store.path), today=TODAY)


@pytest.fixture(scope="module")
def side(card: Scorecard) -> Comparison:
    return compare(card, ["M2", "M1"], Q1)


def _score(side: Comparison, leader: str, score: str) -> dict[str, object]:
    return side.scores.filter((pl.col("leader_id") == leader) & (pl.col("score") == score)).row(0, named=True)


def _metric(table: pl.DataFrame, metric: str) -> dict[str, object]:
    return table.filter(pl.col("metric") == metric).row(0, named=True)


def test_two_leaders_in_the_order_picked_with_their_scores(side: Comparison) -> None:
    assert side.leader_ids == ["M2", "M1"] and side.names == {"M2": "Max Manager", "M1": "Mia Manager"}
    assert side.period == Q1 and side.enough and side.not_found == () and side.left_out == ()
    assert side.scores.height == 2 * 11
    assert side.scores["score"].to_list()[:11] == list(SCORES)
    # Company leader, Mia: quota attainment 190k / 250k = 0.76 -> (0.76 - 0.5) / (1 - 0.5) = 52 points
    # (weight 3), win rate 80% >= 30% -> 100 (2), reps at quota 2/3 >= 65% -> 100 (2); the other three
    # have too little data: 556 / 7, on 7 of the 11 weight.
    mia = _score(side, "M1", "company_leader")
    assert mia["points"] == pytest.approx(556 / 7)
    assert mia["weight_scored"] == pytest.approx(7 / 11)
    assert mia["coverage"] == "3 of 6 metrics, 64% of the weight" and mia["status"] == "scored"
    # Max: only his quota attainment is scored (0.8 -> 60 points, 3 of 11): thin coverage
    max_ = _score(side, "M2", "company_leader")
    assert max_["points"] == pytest.approx(60.0) and max_["status"] == "thin coverage"
    # Course corrector, Mia: forecast accuracy 0.947 >= 0.9 -> 100 (3), pipeline coverage 0.56x below
    # the 1.0x floor -> 0 (2), recovery 50% -> 100 (2), pipeline created the best of her level -> 100 (1)
    assert _score(side, "M1", "course_corrector")["points"] == pytest.approx((300 + 0 + 200 + 100) / 8)
    # Max's overall: the mean of the four roles he is scored on (60, 0, 0, 0); process guru has no data
    assert _score(side, "M2", "overall")["points"] == pytest.approx(15.0)


def test_a_score_without_data_is_said_never_zero(side: Comparison) -> None:
    # no process-guru metric has enough data for either (2 and 1 open deals, 4 and 2 won deals, ...)
    for leader in ("M1", "M2"):
        guru = _score(side, leader, "process_guru")
        assert guru["points"] is None and guru["status"] == "not scored"
        assert guru["coverage"] == "0 of 5 metrics, 0% of the weight"
    # Teams with coaching switched off: Mia's attainment spread 2/3 -> (0.667 - 0.4) / 0.4 = 66.7
    # points, 2 of the 8 weight (thin); Max has 2 reps with a quota (minimum 3): not scored
    teams = _score(side, "M1", "teams")
    assert teams["points"] == pytest.approx(200 / 3) and teams["weight_scored"] == pytest.approx(0.25)
    assert teams["status"] == "thin coverage"
    assert _score(side, "M2", "teams")["points"] is None
    words = dict(zip(side.score_table()["Score"], side.score_table()["Max Manager"], strict=True))
    assert words["Teams"] == "not scored: 0 of 4 metrics, 0% of the weight"
    assert words["Process guru"] == "not scored: 0 of 5 metrics, 0% of the weight"
    assert words["Company leader"].startswith("60") and "thin coverage: 1 of 6 metrics, 27% of the weight" in \
        words["Company leader"]


def test_each_metric_side_by_side_with_value_points_and_why(side: Comparison) -> None:
    table = side.metric_table()
    assert table.columns == ["metric", "Metric", "Max Manager", "Mia Manager", "Gap (points)", "Ahead", "Counts in",
                             "Note"]
    quota = _metric(table, "quota_attainment")
    assert (quota["Max Manager"], quota["Mia Manager"]) == ("0.80x · 60 pts", "0.76x · 52 pts")
    assert quota["Gap (points)"] == pytest.approx(8.0) and quota["Ahead"] == "Max Manager"
    # Max won both his 2 closed deals: a value, but under the minimum of 5 closed deals
    win = _metric(table, "win_rate")
    assert win["Max Manager"] == "100% · not enough data: 2 closed deals (minimum 5)"
    assert win["Mia Manager"] == "80% · 100 pts"
    assert win["Gap (points)"] is None and win["Ahead"] is None  # one scored leader is no comparison
    # Max made no forecast call: no value at all
    assert _metric(table, "forecast_accuracy")["Max Manager"] == "not enough data: 0 forecast calls (minimum 1)"
    coaching = _metric(table, "coaching_coverage")
    assert coaching["Max Manager"] == coaching["Mia Manager"] == "switched off"
    assert "coaching extract" in str(coaching["Note"])
    assert _metric(table, "strategic_mix")["Counts in"] == "Company leader, Strategic"
    # where they differ most first: pipeline created 100 - 0, span of control (3 reps: (3 - 2) / (6 - 2)
    # = 25 points; 1 rep: 0), Mia's 8.5 leader meetings points, quota attainment 60 - 52
    assert table["metric"].to_list()[:4] == ["pipeline_created", "span_of_control", "leader_customer_meetings",
                                             "quota_attainment"]
    assert table["Gap (points)"].to_list()[:2] == [100.0, 25.0]
    assert _metric(table, "pipeline_created")["Ahead"] == "Mia Manager"


def test_the_metrics_of_one_score_heaviest_first(side: Comparison) -> None:
    teams = side.metric_table("teams")
    assert teams["metric"].to_list() == ["coaching_coverage", "team_selling", "attainment_spread", "rep_retention"]
    assert teams["Weight"].to_list() == [3.0, 2.0, 2.0, 1.0]
    overall = set(side.metric_table("overall")["metric"])
    assert "quota_attainment" in overall and "activities_per_rep_day" not in overall  # a role's, not Action's
    with pytest.raises(KeyError):
        side.metric_table("charisma")


def test_the_long_frames_name_each_leader(side: Comparison) -> None:
    row = side.metrics.filter((pl.col("leader_id") == "M1") & (pl.col("metric") == "avg_deal_size")).row(0, named=True)
    # (60k + 50k + 30k + 50k) / 4 won deals, under the minimum of 5
    assert row["value"] == pytest.approx(47_500.0) and row["value_text"] == "$47,500"
    assert row["points"] is None and row["status"] == "not_enough_data" and row["leader_name"] == "Mia Manager"
    assert side.metrics["leader_id"].unique(maintain_order=True).to_list() == ["M2", "M1"]
    # the org median beside them: Action is 0 (M3), 0 (M2), 20 (V1), 20 (M1) -> 10
    assert side.median["action"] == pytest.approx(10.0)
    assert dict(zip(side.score_table()["Score"], side.score_table()["Org median"], strict=True))["Action"] == "10"


def test_an_id_the_viewer_cannot_see_reads_like_an_unknown_one(store: Store, card: Scorecard) -> None:
    assert compare(card, ["M1", "NOPE", "M2"], Q1).not_found == ("NOPE",)
    max_manager = Viewer(email="m2@x.io", rep_id="M2", visible_reps=("B1", "B2", "M2"), can_upload=False,
                         is_executive=False)
    his = compare(Scorecard(store, Settings(db=store.path), max_manager, today=TODAY), ["M1", "M2", "NOPE"], Q1)
    assert his.not_found == ("M1", "NOPE") and his.leader_ids == ["M2"] and not his.enough
    assert set(his.scores["leader_id"]) == set(his.metrics["leader_id"]) == {"M2"}
    # a cohort never reaches past the viewer's part of the organisation either
    assert compare(Scorecard(store, Settings(db=store.path), max_manager, today=TODAY),
                   Cohort(level=1), Q1).leader_ids == ["M2"]


def test_peer_cohorts(card: Scorecard) -> None:
    # level 1: Mia (47.3) then Max (15), both on thin coverage; level 0: Vera, then Moe on thin coverage
    assert compare(card, Cohort(level=1), Q1).leader_ids == ["M1", "M2"]
    assert compare(card, Cohort(level=0), Q1).leader_ids == ["V1", "M3"]
    assert compare(card, Cohort(region="EMEA"), Q1).leader_ids == ["V1", "M1", "M2"]
    alone = compare(card, Cohort(region="Americas"), Q1)
    assert alone.leader_ids == ["M3"] and not alone.enough and alone.cohort == Cohort(region="Americas")
    max_row = card.leaders(Q1).filter(pl.col("leader_id") == "M2").row(0, named=True)
    assert Cohort.peers_of(max_row) == Cohort(level=1, region="EMEA")


def test_a_cohort_as_a_link_carries_it() -> None:
    cohort = Cohort.parse("level:2,region:EMEA")
    assert cohort == Cohort(level=2, region="EMEA") and cohort.key == "level:2,region:EMEA"
    assert cohort.describe() == "Level 2 leaders in EMEA"
    assert Cohort.parse("region:EMEA, North") == Cohort(region="EMEA, North")  # a region may hold a comma
    assert Cohort.parse("level:0").describe() == "Level 0 leaders"
    assert Cohort.parse("all") == Cohort() and Cohort().key == "all" and Cohort().describe() == "Every leader"
    assert Cohort.parse(Cohort(region="A:B").key) == Cohort(region="A:B")
    for bad in ("level:two", "team:3", "level:1,level:2", "EMEA"):
        with pytest.raises(ValueError):
            Cohort.parse(bad)


def test_five_leaders_at_most_and_shared_names_told_apart(card: Scorecard) -> None:
    # three more leaders copied from Mia under new ids, with her name: seven leaders in all
    leaders, coverage, values = card.leaders(Q1), card.coverage(Q1), card.metric_values(Q1)

    def with_copies(frame: pl.DataFrame) -> pl.DataFrame:
        mia = frame.filter(pl.col("leader_id") == "M1")
        return pl.concat([frame, *[mia.with_columns(pl.lit(f"X{n}").alias("leader_id")) for n in (1, 2, 3)]])

    side = comparison(with_copies(leaders), with_copies(coverage), with_copies(values), card.rubric,
                      ["M1", "X1", "V1", "X2", "M2", "X3"], period=Q1)
    assert side.leader_ids == ["M1", "X1", "V1", "X2", "M2"] and side.left_out == ("X3",)
    assert list(side.names.values()) == ["Mia Manager (M1)", "Mia Manager (X1)", "Vera VP", "Mia Manager (X2)",
                                         "Max Manager"]
    assert "Mia Manager (X1)" in side.metric_table().columns


def test_the_heatmap_and_the_bars_show_no_zero_for_missing(side: Comparison) -> None:
    heat = comparison_heatmap(side)
    gaps, points, cells = heat.data[0], heat.data[1], heat.data[2]
    assert list(points.x) == ["Max Manager", "Mia Manager", "Org median"]
    guru = list(SCORES).index("process_guru")
    assert points.z[guru][0] is None and gaps.text[guru][0] == "no data"  # grey, says so
    assert points.text[0][0] == "15 thin" and points.z[0][0] == pytest.approx(15.0)
    assert points.text[list(SCORES).index("action")][0] == "0"  # Max's Action is a real 0 (scored)
    assert [list(c) for c in cells.customdata][:2] == [["M2", "overall"], ["M2", "company_leader"]]
    bars = comparison_bars(side)
    max_bars = bars.data[0]
    assert max_bars.text[guru] == "no data" and max_bars.marker.pattern.shape[guru] == "/"
    assert max_bars.text[list(SCORES).index("action")] == "0" and max_bars.x[list(SCORES).index("action")] == 0


def test_compare_does_not_import_streamlit() -> None:
    import subprocess
    import sys

    code = "import sys; import scorecard.compare; sys.exit(1 if 'streamlit' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=Path(__file__).parents[2]).returncode == 0


def test_ahead_names_up_to_three_then_how_many_more() -> None:
    from scorecard.compare import _ahead

    assert _ahead(["Ann"]) == "Ann" and _ahead(["Ann", "Bob", "Cal"]) == "Ann, Bob, Cal"
    assert _ahead(["Ann", "Bob", "Cal", "Dee", "Eve"]) == "Ann, Bob and 3 more"
