"""Points, statuses, weighted scores and coaching priorities, on small frames computed by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from scorecard.calendar import parse_period
from scorecard.metrics import METRICS
from scorecard.rubric import default_rubric
from scorecard.scoring import (
    SCORE_KEYS,
    assess,
    coaching_priorities,
    score_table,
    switched_off_reasons,
    window,
)

RUBRIC = default_rubric()

LEADERS = pl.DataFrame({
    "leader_id": ["L1", "L2", "L3", "L4"],
    "level": [1, 1, 0, 1],
}, schema={"leader_id": pl.String, "level": pl.Int32})


def _raw(rows: list[tuple[str, str, float | None, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"leader_id": pl.String, "metric": pl.String, "value": pl.Float64,
                                      "sample": pl.Int64}, orient="row")


RAW = _raw([
    # company leader: quota attainment 1.2 -> 100 (band 0.5..1.0); reps at quota 47.5% -> 50 (30%..65%)
    ("L1", "quota_attainment", 1.2, 5),
    ("L1", "reps_at_quota", 0.475, 5),
    # course corrector: forecast 75% -> 50 (60%..90%); coverage 3.5x -> 100 (inside 3-4.5x);
    # stalled 30% -> 50 (50%..10%, lower is better); recovery has no data
    ("L1", "forecast_accuracy", 0.75, 1),
    ("L1", "pipeline_coverage", 3.5, 4),
    ("L1", "stalled_deal_rate", 0.3, 40),
    # coaching is loaded for nobody: the value must be ignored once switched off
    ("L1", "coaching_coverage", 5.0, 10),
    # peers at level 1 by deal size: L1 40k, L2 60k, L4 has too few deals; L3 alone at level 0
    ("L1", "avg_deal_size", 40_000.0, 10),
    ("L2", "avg_deal_size", 60_000.0, 10),
    ("L4", "avg_deal_size", 50_000.0, 2),
    ("L3", "avg_deal_size", 80_000.0, 10),
])

OFF = {"coaching_coverage": "switched off: the coaching extract is missing or empty; load it to switch it on"}


@pytest.fixture
def assessed() -> pl.DataFrame:
    return assess(LEADERS, RAW, RUBRIC, switched_off=OFF, period_complete=True)


def _row(frame: pl.DataFrame, leader: str, metric: str) -> dict[str, object]:
    return frame.filter((pl.col("leader_id") == leader) & (pl.col("metric") == metric)).row(0, named=True)


def test_band_points_and_statuses(assessed: pl.DataFrame) -> None:
    assert _row(assessed, "L1", "quota_attainment")["points"] == 100.0
    assert _row(assessed, "L1", "reps_at_quota")["points"] == pytest.approx(50.0)
    assert _row(assessed, "L1", "stalled_deal_rate")["points"] == pytest.approx(50.0)
    assert _row(assessed, "L1", "pipeline_coverage")["points"] == 100.0
    recovery = _row(assessed, "L1", "recovery")
    assert recovery["status"] == "not_enough_data" and recovery["points"] is None
    assert recovery["reason"] == "not enough data: 0 reps behind pace at mid-period (minimum 2)"


def test_switched_off_metric_is_never_scored(assessed: pl.DataFrame) -> None:
    coaching = _row(assessed, "L1", "coaching_coverage")
    assert coaching["status"] == "switched_off"
    assert coaching["points"] is None
    assert "coaching extract" in str(coaching["reason"])


def test_percentile_among_peers_at_the_same_level(assessed: pl.DataFrame) -> None:
    # level 1, scored: L1 40k (lowest of 2 -> 0), L2 60k (highest -> 100); L4 has 2 deals (< 5): no data
    assert _row(assessed, "L1", "avg_deal_size")["points"] == 0.0
    assert _row(assessed, "L2", "avg_deal_size")["points"] == 100.0
    assert _row(assessed, "L4", "avg_deal_size")["status"] == "not_enough_data"
    # alone at level 0: the middle
    assert _row(assessed, "L3", "avg_deal_size")["points"] == 50.0
    # the target of a percentile metric is the best peer's value
    assert _row(assessed, "L1", "avg_deal_size")["target"] == 60_000.0


def test_weights_of_metrics_without_data_are_spread(assessed: pl.DataFrame) -> None:
    scores = score_table(assessed, RUBRIC).filter(pl.col("leader_id") == "L1").row(0, named=True)
    # course corrector: (3*50 + 2*100 + 2*50) / (3+2+2) = 450/7; recovery (weight 2) has no data
    assert scores["course_corrector"] == pytest.approx(450 / 7)
    # company leader: (3*100 + 2*50) / 5 = 80 (growth, mix and sourcing have no data)
    assert scores["company_leader"] == pytest.approx(80.0)
    # measurable: only forecast accuracy (50); action: only the stalled-deal rate (50)
    assert scores["measurable"] == pytest.approx(50.0)
    assert scores["action"] == pytest.approx(50.0)
    # teams: coaching switched off, nothing else: no score at all, never 0
    assert scores["teams"] is None
    # overall: the mean of the role scores that exist: (80 + 450/7) / 2
    assert scores["overall"] == pytest.approx((80 + 450 / 7) / 2)
    assert list(score_table(assessed, RUBRIC).columns) == ["leader_id", *SCORE_KEYS]


def test_coaching_priorities_rank_by_overall_gain(assessed: pl.DataFrame) -> None:
    top = coaching_priorities(assessed, "L1", RUBRIC, n=3)
    # forecast accuracy 50 -> 100: course corrector 600/7 (+150/7), overall +75/7 = 10.714
    # reps at quota 50 -> 100: company leader 100 (+20), overall +10
    # stalled-deal rate 50 -> 100: course corrector 550/7 (+100/7), overall +50/7 = 7.143
    assert top["metric"].to_list() == ["forecast_accuracy", "reps_at_quota", "stalled_deal_rate"]
    assert top["gain"].to_list() == pytest.approx([75 / 7, 10.0, 50 / 7])
    assert top["target"].to_list() == pytest.approx([0.9, 0.65, 0.1])


def test_recovery_waits_for_the_end_of_the_period() -> None:
    raw = _raw([("L1", "recovery", 1.0, 4)])
    running = assess(LEADERS, raw, RUBRIC, period_complete=False)
    row = _row(running, "L1", "recovery")
    assert row["status"] == "not_enough_data"
    assert row["reason"] == "measured once the period is over"
    done = assess(LEADERS, raw, RUBRIC, period_complete=True)
    assert _row(done, "L1", "recovery")["points"] == 100.0


def test_switched_off_reasons_name_what_would_switch_them_on() -> None:
    presence = {need: 1 for m in METRICS.values() for group in m.requires for need in group}
    presence.update({"activities": 1, "coaching": 0, "opportunities.product_line": 0, "forecasts": 0})
    reasons = switched_off_reasons(presence)
    assert set(reasons) == {"coaching_coverage", "strategic_mix", "bundle_rate"}
    assert "the coaching extract" in reasons["coaching_coverage"]
    assert "column product_line of the opportunities extract" in reasons["strategic_mix"]
    # forecast accuracy falls back on the commit category while that column is loaded
    presence["opportunities.forecast_category"] = 0
    reasons = switched_off_reasons(presence)
    assert "the forecasts extract or column forecast_category of the opportunities extract" in \
        reasons["forecast_accuracy"]


def test_metrics_counted_from_activities_are_switched_off_without_them() -> None:
    # a small org uploaded reps and deals only: with no activity at all, the leader's meetings, the
    # activities per rep per day and the daily consistency would read 0 over the days elapsed
    presence = {need: 1 for m in METRICS.values() for group in m.requires for need in group}
    presence.update({"activities": 0, "activities.opportunity_id": 0, "activities.contact_id": 0,
                     "activities.contact_level": 0, "activities.account_id": 0})
    reasons = switched_off_reasons(presence)
    for metric in ("leader_customer_meetings", "activities_per_rep_day", "daily_consistency",
                   "insight_touches"):
        assert reasons[metric] == ("switched off: the activities extract is missing or empty;"
                                   " load it to switch it on")
    # metrics counted from deals or reps stay on
    assert not {"span_of_control", "sales_cycle_days", "data_completeness"} & set(reasons)
    raw = _raw([("L1", "leader_customer_meetings", 0.0, 53), ("L1", "daily_consistency", 0.0, 148)])
    scores = score_table(assess(LEADERS, raw, RUBRIC, switched_off=reasons), RUBRIC)
    row = scores.filter(pl.col("leader_id") == "L1").row(0, named=True)
    assert row["customer_champion"] is None and row["action"] is None and row["overall"] is None


def test_window_of_a_running_quarter() -> None:
    q3 = parse_period("2026Q3")  # 2026-07-01 .. 2026-09-30, 92 days
    running = window(q3, date(2026, 8, 15))
    # as of 2026-08-16 (exclusive): 46 days elapsed of 92
    assert running.as_of == date(2026, 8, 16)
    assert running.elapsed_share == pytest.approx(46 / 92)
    assert not running.complete
    assert window(q3, date(2026, 12, 1)).complete
