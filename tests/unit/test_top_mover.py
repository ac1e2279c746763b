"""The metric that moved a score most, on small assessed frames worked out by hand.

The rubric in force is the default: company leader weighs quota attainment 3 and reps at quota 2
(growth, mix and sourcing have no data here); course corrector weighs forecast accuracy 3, pipeline
coverage 2, stalled-deal rate 2 and recovery 2 (no data). The overall score is the mean of the roles
scored.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scorecard.api import Scorecard
from scorecard.explain import mover_text
from scorecard.metrics import ROLES
from scorecard.rubric import default_rubric
from scorecard.scoring import assess, contributions, movers_wide, score_movers, score_table
from scorecard.settings import Settings

RUBRIC = default_rubric()
LEADERS = pl.DataFrame({"leader_id": ["L1", "L2"], "level": [1, 1]},
                       schema={"leader_id": pl.String, "level": pl.Int32})


def _assessed(rows: list[tuple[str, str, float | None, int]]) -> pl.DataFrame:
    raw = pl.DataFrame(rows, schema={"leader_id": pl.String, "metric": pl.String, "value": pl.Float64,
                                     "sample": pl.Int64}, orient="row")
    return assess(LEADERS, raw, RUBRIC, period_complete=True)


def _base(leader: str) -> list[tuple[str, str, float | None, int]]:
    # points: reps at quota 47.5% -> 50; coverage 3.5x -> 100; stalled 30% -> 50
    return [(leader, "reps_at_quota", 0.475, 5), (leader, "pipeline_coverage", 3.5, 4),
            (leader, "stalled_deal_rate", 0.3, 40)]


BEFORE = _assessed([
    # L1: quota attainment 1.0 -> 100, forecast accuracy 90% -> 100
    *_base("L1"), ("L1", "quota_attainment", 1.0, 5), ("L1", "forecast_accuracy", 0.9, 1),
    # L2: forecast 60% -> 0; no executive-access data before
    *_base("L2"), ("L2", "quota_attainment", 1.0, 5), ("L2", "forecast_accuracy", 0.6, 1),
])
NOW = _assessed([
    # L1: quota attainment 0.75 -> 50, forecast accuracy 75% -> 50
    *_base("L1"), ("L1", "quota_attainment", 0.75, 5), ("L1", "forecast_accuracy", 0.75, 1),
    # L2: forecast 75% -> 50 (up); reps at quota 30% -> 0 (down); executive access appears (not compared)
    ("L2", "reps_at_quota", 0.3, 5), ("L2", "pipeline_coverage", 3.5, 4), ("L2", "stalled_deal_rate", 0.3, 40),
    ("L2", "quota_attainment", 1.0, 5), ("L2", "forecast_accuracy", 0.75, 1),
    ("L2", "executive_access", 0.5, 20),
])


def _mover(frame: pl.DataFrame, leader: str, score: str) -> tuple[str, float] | None:
    row = frame.filter((pl.col("leader_id") == leader) & (pl.col("score") == score))
    return None if row.is_empty() else (row["metric"][0], row["change"][0])


def test_contributions_add_up_to_the_score() -> None:
    parts = contributions(NOW, RUBRIC).filter(pl.col("leader_id") == "L1")
    scores = score_table(NOW, RUBRIC).filter(pl.col("leader_id") == "L1").row(0, named=True)
    for score in ("overall", "company_leader", "course_corrector"):
        total = parts.filter(pl.col("score") == score)["contribution"].sum()
        assert total == pytest.approx(scores[score]), score
    # company leader (3*50 + 2*50) / 5 = 50: quota attainment adds 3/5 of 50 = 30, to the overall 15
    one = parts.filter(pl.col("metric") == "quota_attainment")
    assert dict(zip(one["score"], one["contribution"], strict=True)) == pytest.approx(
        {"overall": 15.0, "company_leader": 30.0})


def test_the_metric_that_moved_each_score_most() -> None:
    movers = score_movers(NOW, BEFORE, RUBRIC)
    # L1, overall: quota attainment 100 -> 50 at 3/5 of company leader, half the overall: -15;
    # forecast accuracy 100 -> 50 at 3/7 of course corrector, half the overall: -75/7 = -10.7
    assert _mover(movers, "L1", "overall") == ("quota_attainment", pytest.approx(-15.0))
    assert _mover(movers, "L1", "company_leader") == ("quota_attainment", pytest.approx(-30.0))
    assert _mover(movers, "L1", "course_corrector") == ("forecast_accuracy", pytest.approx(-150 / 7))
    # measurable holds forecast accuracy alone (weight share 1): 100 -> 50
    assert _mover(movers, "L1", "measurable") == ("forecast_accuracy", pytest.approx(-50.0))
    # L2: executive access is scored now and not before, so customer champion is a third role scored
    # (the overall score is the mean of three roles now) but it is not a mover; at this period's
    # weights forecast accuracy 0 -> 50 adds 50 * 3/7 / 3 = +50/7 = +7.1, reps at quota 50 -> 0 takes
    # 50 * 2/5 / 3 = -6.7, and quota attainment, which held still at 100, moved nothing
    assert _mover(movers, "L2", "overall") == ("forecast_accuracy", pytest.approx(50 / 7))
    assert _mover(movers, "L2", "company_leader") == ("reps_at_quota", pytest.approx(-20.0))
    assert movers.filter(pl.col("metric") == "executive_access").is_empty()
    # the sum over the metrics scored in both periods is the change of the overall score
    before = score_table(BEFORE, RUBRIC).filter(pl.col("leader_id") == "L1")["overall"][0]
    now = score_table(NOW, RUBRIC).filter(pl.col("leader_id") == "L1")["overall"][0]
    assert now - before == pytest.approx(-15.0 - 75 / 7)


def test_nothing_moved_no_mover() -> None:
    movers = score_movers(BEFORE, BEFORE, RUBRIC)
    assert movers.is_empty()
    # a score without a mover is null in the wide form, never a metric at 0
    wide = movers_wide(score_movers(NOW, BEFORE, RUBRIC))
    l1 = wide.filter(pl.col("leader_id") == "L1").row(0, named=True)
    assert l1["overall_mover"] == "quota_attainment" and l1["overall_mover_change"] == pytest.approx(-15.0)
    assert l1["action_mover"] is None and l1["action_mover_change"] is None  # stalled-deal rate held still


def test_a_leader_without_a_previous_period_has_no_mover() -> None:
    movers = score_movers(NOW, BEFORE.filter(pl.col("leader_id") == "L1"), RUBRIC)
    assert set(movers["leader_id"]) == {"L1"}


def test_the_scorecard_names_what_moved_each_leader(tmp_path: Path) -> None:
    # tests/pack_org.py: Lee's team won 240,000 in January and nothing since, so their quota
    # attainment falls from above target (100 points) to 0; it is the only company-leader metric
    # scored for Lee, so it moves that score by -100 and the overall by -100 / the roles scored
    from pack_org import PERIOD, build

    store = build(tmp_path / "pack.duckdb")
    card = Scorecard.open(store.path, settings=Settings(db=store.path))
    lee = card.leaders(PERIOD).filter(pl.col("leader_id") == "L1").row(0, named=True)
    assert lee["company_leader_mover"] == "quota_attainment"
    assert lee["company_leader_mover_change"] == pytest.approx(-100.0)
    assert lee["company_leader_change"] == pytest.approx(-100.0)
    roles = sum(lee[r] is not None for r in ROLES)
    assert lee["overall_mover"] == "quota_attainment"
    assert lee["overall_mover_change"] == pytest.approx(-100.0 / roles)
    assert mover_text(lee["overall_mover"], lee["overall_mover_change"]) == f"Quota attainment {-100 / roles:+.0f}"


# -- the rows behind a metric: what decides it first ------------------------------------------------

def test_the_rows_behind_hygiene_say_why_a_deal_is_not_hygienic(tmp_path: Path) -> None:
    # tests/pack_org.py as of Wednesday 20 May 2026, with Lee's team given three more open deals:
    # A2 has a next step, a close date in June and a call on 18 May: hygienic;
    # A3 closes on 1 May (in the past), has no next step and no activity;
    # A4 has a next step but no close date, and its last activity was on 1 April (over 30 days ago)
    from datetime import date, datetime

    from pack_org import PERIOD, frames

    from scorecard.store import Store

    data = frames()
    deals = data["opportunities"].with_columns(
        pl.when(pl.col("opportunity_id") == "A2").then(pl.lit("Send the proposal")).otherwise(pl.col("next_step"))
        .alias("next_step"))
    extra = pl.DataFrame({
        "opportunity_id": ["A3", "A4"], "owner_rep_id": ["A", "B"], "account_id": ["ACC1"] * 2,
        "created_date": [date(2026, 3, 1)] * 2, "close_date": [date(2026, 5, 1), None],
        "stage": ["Proposal"] * 2, "is_closed": [False] * 2, "is_won": [False] * 2, "amount": [10000.0, 20000.0],
        "next_step": [None, "Call the buyer"]}, schema=deals.schema)
    activity = data["activities"].head(1).with_columns(
        pl.lit("a5").alias("activity_id"), pl.lit("B").alias("rep_id"), pl.lit("A4").alias("opportunity_id"),
        pl.lit(datetime(2026, 4, 1, 9)).alias("activity_at"))
    data.update(opportunities=pl.concat([deals, extra]), activities=pl.concat([data["activities"], activity]))
    store = Store(tmp_path / "hygiene.duckdb")
    store.load(data, loaded_by="test", as_of=date(2026, 5, 20))
    card = Scorecard.open(store.path, settings=Settings(db=store.path))
    rows = card.metric_rows("L1", "pipeline_hygiene", PERIOD)
    assert rows.columns[:5] == ["hygienic", "hygiene_reason", "close_date", "next_step", "last_activity_at"]
    assert rows.columns[5] == "opportunity_id"  # then what names the row
    why = dict(zip(rows["opportunity_id"], rows["hygiene_reason"], strict=True))
    assert why == {"A2": None, "A3": "close date in the past, no next step, no activity in 30 days",
                   "A4": "no close date, no activity in 30 days"}
    assert dict(zip(rows["opportunity_id"], rows["hygienic"], strict=True)) == {"A2": True, "A3": False,
                                                                               "A4": False}
    # win rate: the outcome first
    closed = card.metric_rows("L1", "win_rate", "2026Q1")
    assert closed.columns[0] == "outcome" and set(closed["outcome"]) == {"Won"}


def test_a_leader_sees_what_moved_them_as_the_whole_org_sees_it(tmp_path: Path) -> None:
    # whole org first, then filtered: Lee, who sees only their own team, reads the same mover
    from pack_org import PERIOD, build

    from scorecard.access import Viewer

    store = build(tmp_path / "pack.duckdb")
    settings = Settings(db=store.path)
    everyone = Scorecard.open(store.path, settings=settings).leaders(PERIOD)
    lee = Viewer(email="lee@example.com", rep_id="L1", visible_reps=("A", "B", "L1"), can_upload=False,
                 is_executive=False)
    mine = Scorecard.open(store.path, settings=settings, viewer=lee).leaders(PERIOD)
    assert mine["leader_id"].to_list() == ["L1"]
    columns = [c for c in mine.columns if c.endswith(("_mover", "_mover_change"))]
    assert len(columns) == 22
    assert mine.select(columns).row(0) == everyone.filter(pl.col("leader_id") == "L1").select(columns).row(0)
