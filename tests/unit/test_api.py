"""The Scorecard API and the `score` / `explain` commands on the demo database, as users see them."""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from scorecard import cli
from scorecard.access import Viewer
from scorecard.api import Scorecard
from scorecard.metrics import METRICS, SCORES
from scorecard.settings import Settings
from scorecard.store import Store

CONTRACT_COLUMNS = ["leader_id", "leader_name", "level", "region", "team_size", *SCORES,
                    *[f"{s}_change" for s in SCORES]]
EXPLAIN_COLUMNS = ["score", "score_label", "metric", "metric_label", "value", "unit", "points", "weight",
                   "sample", "min_sample", "status", "reason"]


@pytest.fixture(scope="module")
def card(demo_db_path: Path) -> Scorecard:
    return Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path))


def test_leaders_one_row_per_leader_sorted_by_overall(card: Scorecard) -> None:
    frame = card.leaders()
    assert set(CONTRACT_COLUMNS) <= set(frame.columns)
    # the demo org: a VP, 3 directors, 12 first-line managers
    assert frame.height == 16
    assert frame["leader_id"].n_unique() == 16
    overall = frame["overall"].drop_nulls().to_list()
    assert overall == sorted(overall, reverse=True)
    for score in SCORES:
        values = frame[score].drop_nulls()
        assert ((values >= 0) & (values <= 100)).all(), score
    # overall is the mean of the five role scores
    row = frame.row(0, named=True)
    roles = [row[r] for r in ("company_leader", "customer_champion", "process_guru", "organization_architect",
                              "course_corrector") if row[r] is not None]
    assert row["overall"] == pytest.approx(sum(roles) / len(roles))
    assert card.leaders(level=2).height == 12
    assert set(card.leaders(region="EMEA")["region"]) == {"EMEA"}


def test_change_is_against_the_previous_quarter(card: Scorecard) -> None:
    # the demo's current quarter runs (its data is as of today): the previous quarter is cut at the
    # same share elapsed; a complete quarter is compared with the whole previous one
    now = card.leaders()
    assert now["in_progress"].all()
    cut = card.previous_scored()
    assert cut.window is not None and not cut.window.complete
    assert cut.period == card.current_period().previous()
    before = cut.scores.select("leader_id", pl.col("teams").alias("before"))
    joined = now.join(before, on="leader_id")
    for row in joined.iter_rows(named=True):
        if row["teams"] is not None and row["before"] is not None:
            assert row["teams_change"] == pytest.approx(row["teams"] - row["before"])
    last = card.current_period().previous()
    whole = card.previous_scored(last)
    assert whole.window is not None and whole.window.complete and whole.period == last.previous()


def test_explain_lists_every_metric_of_a_score(card: Scorecard) -> None:
    frame = card.explain("U0005", score="teams")
    assert frame.columns[:len(EXPLAIN_COLUMNS)] == EXPLAIN_COLUMNS
    assert set(frame["metric"]) == {"coaching_coverage", "team_selling", "attainment_spread", "rep_retention"}
    scored = frame.filter(pl.col("status") == "scored")
    teams = card.scores_of("U0005")["teams"]
    assert teams == pytest.approx(
        (scored["points"] * scored["weight"]).sum() / scored["weight"].sum())
    everything = card.explain("U0005")
    assert set(everything["score"]) == set(SCORES) - {"overall"}
    assert set(everything["metric"]) == set(METRICS)


def test_metric_rows_are_the_crm_rows_behind_a_metric(card: Scorecard) -> None:
    deals = card.metric_rows("U0005", "stalled_deal_rate")
    assert deals.height == card.metric_values().filter(
        (pl.col("leader_id") == "U0005") & (pl.col("metric") == "stalled_deal_rate"))["sample"][0]
    assert {"opportunity_id", "owner_name", "last_activity_at", "quiet_21_days"} <= set(deals.columns)
    coaching = card.metric_rows("U0005", "coaching_coverage")
    assert {"coach_id", "rep_id", "session_at"} <= set(coaching.columns)


def test_coaching_priorities_and_history(card: Scorecard) -> None:
    top = card.coaching_priorities("U0008")
    assert 1 <= top.height <= 3
    assert top["gain"].to_list() == sorted(top["gain"].to_list(), reverse=True)
    assert (top["gain"] > 0).all() and (top["points"] < 100).all()
    history = card.history("U0005")
    assert history.height == 8
    assert history["period"].to_list()[-1] == card.current_period().label
    assert history["period_start"].is_sorted()
    assert history["overall"].to_list()[-1] == pytest.approx(card.scores_of("U0005")["overall"])


def test_org_median_and_periods(card: Scorecard) -> None:
    median = card.org_median()
    assert list(median) == list(SCORES)
    assert median["overall"] == pytest.approx(float(card.leaders()["overall"].median()))  # type: ignore[arg-type]
    assert not math.isnan(median["teams"])
    periods = card.periods()
    assert periods[-1] == card.current_period()
    assert len(periods) >= 9  # eight quarters of history and the current one


@pytest.fixture(scope="module")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The org of tests/unit/test_metrics.py: V1 over M1 (A1, A2, A3) and M2 (B1, B2); M3 over D1."""
    from tests.unit.test_metrics import handmade_frames

    store = Store(tmp_path_factory.mktemp("median") / "org.duckdb")
    store.load(handmade_frames(), loaded_by="test")
    return store


def test_the_org_median_is_the_whole_orgs_whoever_looks(small_org: Store) -> None:
    from tests.unit.test_metrics import Q1, TODAY

    settings = Settings(db=small_org.path)
    cro = Scorecard.open(small_org.path, settings=settings, today=TODAY)
    max_manager = Viewer(email="m2@x.io", rep_id="M2", visible_reps=("B1", "B2", "M2"), can_upload=False,
                         is_executive=False)
    his = Scorecard(small_org, settings, max_manager, today=TODAY)
    everyone = cro.scored(Q1).scores
    assert sorted(everyone["leader_id"]) == ["M1", "M2", "M3", "V1"]
    assert his.scored(Q1).scores["leader_id"].to_list() == ["M2"]
    by_leader = {row["leader_id"]: row for row in everyone.iter_rows(named=True)}
    # four leaders: the median is the mean of the middle two, the same whoever looks. Action: M3 and
    # M2 0, V1 and M1 20 -> 10. Teams: M3 and M2 0, M1 26.7, V1 51.5 -> 13.3. Overall: M3 0, M2 15,
    # V1 46.2, M1 47.3 -> (15 + V1's) / 2
    assert [by_leader[x]["action"] for x in ("M3", "M2", "V1", "M1")] == [0.0, 0.0, 20.0, 20.0]
    assert his.org_median(Q1)["action"] == pytest.approx(10.0) == cro.org_median(Q1)["action"]
    assert his.org_median(Q1)["teams"] == pytest.approx(by_leader["M1"]["teams"] / 2) == pytest.approx(40 / 3)
    assert by_leader["M2"]["overall"] == pytest.approx(15.0)
    assert his.org_median(Q1)["overall"] == pytest.approx((15.0 + by_leader["V1"]["overall"]) / 2)
    assert his.org_median(Q1)["overall"] != pytest.approx(his.scores_of("M2", Q1)["overall"])


def test_results_are_cached_until_the_data_changes(card: Scorecard) -> None:
    first = card.scored()
    assert card.scored() is first


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_score_command_prints_one_row_per_leader(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run_cli(["score", "--db", str(demo_db_path), "--format", "csv"], capsys)
    assert code == 0
    frame = pl.read_csv(out.encode())
    assert frame.columns == ["leader_id", "leader_name", "level", *SCORES, "coverage", "thin_coverage",
                             *[f"{s}_coverage" for s in SCORES]]
    assert frame.height == 16
    assert frame["coverage"].str.contains(r"^\d of 5 roles, \d+% of the weight$").all()
    current = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path)).current_period().label
    # the period scored is always named: on stderr when stdout carries csv
    assert err.startswith(f"Scores for {current} (") and "the quarter of the data's as-of date" in err
    code, out, _ = _run_cli(["score", "--db", str(demo_db_path)], capsys)
    assert code == 0 and "U0001" in out and "overall" in out.splitlines()[1]
    assert out.startswith(f"Scores for {current} (") and "of 5 roles" in out
    period = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path)).current_period().previous().label
    code, out, _ = _run_cli(["score", "--db", str(demo_db_path), "--period", period, "--format", "json"], capsys)
    assert code == 0 and len(json.loads(out)) == 16


def test_explain_command(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_cli(["explain", "--db", str(demo_db_path), "--leader", "U0005"], capsys)
    assert code == 0
    assert out.startswith("U0005 ") and "Teams:" in out and "Coaching coverage" in out
    code, out, _ = _run_cli(["explain", "--db", str(demo_db_path), "--leader", "U0005", "--score", "teams",
                             "--format", "json"], capsys)
    rows = json.loads(out)
    assert code == 0 and {r["metric"] for r in rows} == {"coaching_coverage", "team_selling",
                                                          "attainment_spread", "rep_retention"}
    code, out, _ = _run_cli(["explain", "--db", str(demo_db_path), "--leader", "U0005", "--metric",
                             "coaching_coverage", "--format", "csv"], capsys)
    sessions = pl.read_csv(out.encode())
    card = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path))
    assert code == 0 and sessions.height == card.metric_rows("U0005", "coaching_coverage").height > 0
    code, _, err = _run_cli(["explain", "--db", str(demo_db_path), "--leader", "NOBODY"], capsys)
    assert code == 2 and "NOBODY" in err


def test_api_does_not_import_streamlit() -> None:
    import subprocess

    code = ("import sys; import scorecard.api, scorecard.scoring_cli; "
            "sys.exit(1 if 'streamlit' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_history_leaves_out_quarters_before_the_data(tmp_path: Path) -> None:
    from scorecard.ingest import ingest_files
    from scorecard.store import Store

    dynamics = Path(__file__).resolve().parent.parent / "data" / "exports" / "dynamics"
    db = tmp_path / "small.duckdb"
    assert ingest_files(Store(db), [dynamics / "systemuser.csv", dynamics / "opportunity.csv"],
                        loaded_by="t").accepted
    card = Scorecard.open(db)
    # the first deal was created on 15 January 2026: nothing is scored before 2026Q1
    vp = "3f1e0c01-5b2a-ef11-8409-000d3a1b0001"
    assert card.history(vp, quarters=8, period="2026Q3")["period"].to_list() == ["2026Q1", "2026Q2", "2026Q3"]


def test_leaders_carry_their_coverage(card: Scorecard) -> None:
    frame = card.leaders()
    assert {*(f"{s}_coverage" for s in SCORES), "coverage", "thin_coverage", "in_progress"} <= set(frame.columns)
    # the demo org loads every extract: nobody is scored on thin coverage
    assert not frame["thin_coverage"].any()
    row = frame.row(0, named=True)
    words = card.coverage().filter((pl.col("leader_id") == row["leader_id"]) & (pl.col("score") == "overall"))
    assert row["coverage"] == words["coverage"][0]
    assert row["overall_coverage"] == pytest.approx(words["weight_share"][0])
    explained = card.explain(row["leader_id"], score="teams")
    assert explained["score_coverage"].n_unique() == 1
    assert explained["score_coverage"][0].endswith("of 4 metrics, " + explained["score_coverage"][0].split(", ")[1])


def test_product_lines_the_rubric_names_are_set_from_the_data(tmp_path: Path) -> None:
    from scorecard.store import Store
    from tests.unit.test_as_of import past_org_frames

    frames = past_org_frames()
    lines = {"D1": "GTXPro", "D2": "MG Special", "D4": "GTXPro", "D6": "MG Special"}
    frames["opportunities"] = frames["opportunities"].with_columns(
        pl.col("opportunity_id").replace_strict(lines, default="GTX Basic").alias("product_line"))
    db = tmp_path / "lines.duckdb"
    Store(db).load(frames, loaded_by="test")
    card = Scorecard.open(db, settings=Settings(db=db))
    assert card.product_lines() == ["GTX Basic", "GTXPro", "MG Special"]  # most used first
    # the shipped rubric names the demo org's lines: strategic mix and bundle rate are switched off
    off = dict(zip(card.switched_off()["metric"], card.switched_off()["reason"], strict=True))
    assert "none of the rubric's strategic product lines" in off["strategic_mix"]
    assert "(the deals carry GTX Basic, GTXPro, MG Special)" in off["strategic_mix"]
    mix = card.explain("L", score="strategic").filter(pl.col("metric") == "strategic_mix").row(0, named=True)
    assert mix["status"] == "switched_off" and mix["points"] is None
    # named the way the sales team writes them, saved beside the database, in force at once
    saved = card.set_product_lines(strategic=["GTX Pro"], bundles=["MG Special"])
    assert saved == tmp_path / "rubric.toml" and 'strategic = ["GTX Pro"]' in saved.read_text(encoding="utf-8")
    assert "strategic_mix" not in set(card.switched_off()["metric"])
    values = {r["metric"]: r for r in card.metric_values().filter(pl.col("leader_id") == "L").iter_rows(named=True)}
    # Lena's team won D1 80k and D4 20k in GTXPro of 170k won; bundles: D2 and D6 of 4 won deals
    assert values["strategic_mix"]["value"] == pytest.approx(100 / 170)
    assert values["bundle_rate"]["value"] == pytest.approx(0.5)
    # a new card on the same database reads the saved rubric
    assert Scorecard.open(db, settings=Settings(db=db)).rubric.strategic_lines == ("GTX Pro",)


def test_a_salesforce_export_is_scored_as_of_its_own_date(tmp_path: Path) -> None:
    # tests/exports_fixtures.py: a weekly Data Export whose newest SystemModstamp is 29 Dec 2023, loaded
    # years later; Andrés Peña, the org's best seller, is also a leader (a player-coach)
    from scorecard.ingest import ingest_files
    from scorecard.store import Store
    from tests.exports_fixtures import SALESFORCE_WEEKLY, zip_export

    db = tmp_path / "salesforce.duckdb"
    result = ingest_files(Store(db), [zip_export(SALESFORCE_WEEKLY, tmp_path)], loaded_by="test")
    assert result.accepted, result.report()
    card = Scorecard.open(db, settings=Settings(db=db))
    assert card.data_as_of() == date(2023, 12, 29)
    assert card.current_period().label == "2023Q4"
    assert card.period_status() == "in progress: 90 of 92 days, to 29 Dec 2023"
    andres = card.scores_of("0058d0000000002AAA")
    assert andres["overall"] is not None and andres["overall"] > 0
    # tasks carry no type: the metrics that need one are switched off, saying why
    off = dict(zip(card.switched_off()["metric"], card.switched_off()["reason"], strict=True))
    assert off["activities_per_rep_day"].startswith("switched off: activities without a type")
