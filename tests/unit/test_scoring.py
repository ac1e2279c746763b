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
    DataFacts,
    assess,
    coaching_priorities,
    product_line_reasons,
    same_share_elapsed,
    score_coverage,
    score_table,
    switched_off_for,
    switched_off_reasons,
    window,
    window_reasons,
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


def test_a_previous_quarter_is_cut_at_the_same_share_elapsed() -> None:
    q3 = parse_period("2026Q3")  # 92 days
    running = window(q3, date(2026, 8, 15))  # 46 of 92 days: half
    q2 = parse_period("2026Q2")  # 2026-04-01 .. 2026-06-30, 91 days
    cut = same_share_elapsed(q2, running)
    # half of 91 days is 45.5, rounded to 46: 1 April - 16 May, as of 17 May (exclusive)
    assert cut.as_of == date(2026, 5, 17) and not cut.complete
    # a complete quarter is compared with the whole previous one
    assert same_share_elapsed(q2, window(q3, date(2026, 12, 1))).complete


# -- never a score for missing data -----------------------------------------------------------------

def _presence(**changes: int) -> dict[str, int]:
    """Every extract with ``activities`` (default 100) rows, every column filled on all of them."""
    rows = changes.get("activities", 100)
    presence = {need: rows for m in METRICS.values() for group in m.requires for need in group}
    presence.update({"reps": rows, "opportunities": rows, "activities": rows, "accounts": rows})
    presence.update(changes)
    return presence


def test_a_column_blank_on_most_rows_switches_its_metrics_off() -> None:
    # a Salesforce export: Task.Type blank on 506 of 507 tasks
    reasons = switched_off_reasons(_presence(**{"activities": 507, "activities.type": 1}))
    expected = ("switched off: activities without a type (column type of the activities extract is blank on"
                " 506 of 507 rows, 100%); fill it in the CRM export to switch it on")
    for metric in ("activities_per_rep_day", "insight_touches", "leader_customer_meetings", "executive_access"):
        assert reasons[metric] == expected
    # an activity without a type is still an activity: consistency and stalled deals stay on
    assert not {"daily_consistency", "stalled_deal_rate", "multi_threading"} & set(reasons)
    # half blank is not most: on; deals without a lead source on 60 of 100: off
    assert not switched_off_reasons(_presence(**{"activities.type": 50}))
    off = switched_off_reasons(_presence(**{"opportunities.lead_source": 40}))
    assert set(off) == {"marketing_partner_pipeline"}
    assert "deals without a lead source" in off["marketing_partner_pipeline"]
    # the share is the rubric's setting
    assert set(switched_off_reasons(_presence(**{"opportunities.lead_source": 40}), mostly_blank=0.7)) == set()


def _facts(first: date, hires_inside: int = 1, lines: tuple[str, ...] = ()) -> DataFacts:
    return DataFacts(_presence(), first, date(2023, 12, 29), hires_inside, lines)


def test_a_data_window_too_short_switches_metrics_off() -> None:
    q4 = window(parse_period("2023Q4"), date(2023, 12, 29))
    reasons = window_reasons(_facts(date(2023, 3, 1), hires_inside=0), q4)
    assert set(reasons) == {"ramp_days", "rep_retention", "revenue_growth"}
    assert reasons["revenue_growth"] == (
        "switched off: growth needs the same period a year before (2022Q4) inside the data, and the data"
        " begins on 1 Mar 2023; load deals back to 1 Oct 2022 to switch it on")
    assert reasons["rep_retention"].startswith(
        "switched off: 12-month retention needs 12 months of data before the as-of date (29 Dec 2023)")
    assert reasons["ramp_days"].startswith("switched off: no rep was hired inside the data window")
    # data from 1 October 2022 on, with a hire inside it: all three are on
    assert window_reasons(_facts(date(2022, 10, 1)), q4) == {}
    # retention needs the 12 months up to the as-of date: data from 30 Dec 2022 on, not from 31 Dec
    assert set(window_reasons(_facts(date(2022, 12, 30)), q4)) == {"revenue_growth"}
    assert set(window_reasons(_facts(date(2022, 12, 31)), q4)) == {"rep_retention", "revenue_growth"}


def test_product_lines_the_data_lacks_switch_their_metrics_off() -> None:
    # the shipped rubric names the demo org's lines; the deals carry others
    reasons = product_line_reasons(RUBRIC, ("GTXPro", "MG Special", "GTX Basic"))
    assert reasons["strategic_mix"] == (
        "switched off: none of the rubric's strategic product lines (Analytics, Platform, Platform + Services)"
        " is a product line in the data (the deals carry GTXPro, MG Special, GTX Basic); set them on the"
        " Methodology page to switch it on")
    assert "none of the rubric's bundle product lines" in reasons["bundle_rate"]
    # one line that matches (without case, spaces or punctuation) is enough
    assert product_line_reasons(RUBRIC, ("platform", "core+services", "GTXPro")) == {}
    # a missing column is said first, naming the column rather than the lines
    facts = DataFacts(_presence(**{"opportunities.product_line": 0}), date(2020, 1, 1), date(2023, 12, 29), 1,
                      ("GTXPro",))
    off = switched_off_for(facts, RUBRIC, window(parse_period("2023Q4"), date(2023, 12, 29)))
    assert "column product_line of the opportunities extract" in off["strategic_mix"]


def test_coverage_says_how_much_of_each_score_was_scored(assessed: pl.DataFrame) -> None:
    coverage = score_coverage(assessed, RUBRIC).filter(pl.col("leader_id") == "L1")
    words = dict(zip(coverage["score"], coverage["coverage"], strict=True))
    # company leader: quota attainment (3) and reps at quota (2) of 6 metrics weighing 11
    assert words["company_leader"] == "2 of 6 metrics, 45% of the weight"
    # course corrector: forecast 3, coverage 2, stalled 2 of 3+2+2+2+1 = 10
    assert words["course_corrector"] == "3 of 5 metrics, 70% of the weight"
    assert words["teams"] == "0 of 4 metrics, 0% of the weight"
    # overall: 2 of the 5 roles, the mean of the roles' shares (5/11 + 7/10 + 0 + 0 + 0) / 5
    assert words["overall"] == "2 of 5 roles, 23% of the weight"
    share = coverage.filter(pl.col("score") == "overall")["weight_share"][0]
    assert share == pytest.approx((5 / 11 + 7 / 10) / 5)
