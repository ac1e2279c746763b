"""The scoring engine: metric values from DuckDB, then points, statuses and scores in Polars.

1. :func:`compute_metric_values` runs the metric queries (``queries/metric_*.sql``) set-wise for every
   visible leader at once and returns one row per (leader, metric): value and sample size.
2. :func:`assess` gives each row its status (scored, not enough data, switched off with the reason)
   and its points: by band (floor 0, target 100, linear, clamped) or by percentile among peer
   leaders at the same level.
3. :func:`score_table` turns points into role and SMART dimension scores: the weighted mean over the
   metrics that were scored (the weight of a metric without data is spread over the rest, never
   scored 0), and the overall score, the mean of the five role scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl

from scorecard import sql
from scorecard.calendar import Period
from scorecard.metrics import METRICS, QUERY_FAMILIES, ROLES, SCORES, Metric
from scorecard.rubric import Rubric

SCORE_KEYS: list[str] = list(SCORES)
ROLE_KEYS: list[str] = list(ROLES)

VALUES_SCHEMA: dict[str, Any] = {"leader_id": pl.String, "metric": pl.String, "value": pl.Float64,
                                 "sample": pl.Int64}
LEADERS_SCHEMA: dict[str, Any] = {"leader_id": pl.String, "leader_name": pl.String, "level": pl.Int32,
                                  "region": pl.String, "direct_reports": pl.Int64, "team_size": pl.Int64}


@dataclass(frozen=True)
class Window:
    """The part of a period that can be measured on ``today``."""

    period: Period
    as_of: date
    """Exclusive: what happened before this date counts (the period end, or tomorrow while it runs)."""

    @property
    def complete(self) -> bool:
        return self.as_of >= self.period.end_exclusive

    @property
    def elapsed_share(self) -> float:
        return max(0, (self.as_of - self.period.start).days) / self.period.days


def window(period: Period, today: date) -> Window:
    as_of = min(period.end_exclusive, today + timedelta(days=1))
    return Window(period, max(as_of, period.start))


def query_params(win: Window, visible_reps: list[str] | tuple[str, ...], rubric: Rubric,
                 fiscal_year_start_month: int = 1) -> dict[str, Any]:
    """The named parameters every metric query takes."""
    period = win.period
    year_before = period.year_before(fiscal_year_start_month)
    following = period.next(fiscal_year_start_month)
    return {
        "visible_reps": list(visible_reps),
        "period_start": period.start,
        "period_end": period.end_exclusive,
        "period_days": period.days,
        "as_of": win.as_of,
        "mid": period.start + timedelta(days=period.days // 2),
        "period_complete": win.complete,
        "elapsed_share": win.elapsed_share,
        "year_before_start": year_before.start,
        "year_before_as_of": year_before.start + (win.as_of - period.start),
        "next_start": following.start,
        "next_end": following.end_exclusive,
        "strategic_lines": list(rubric.strategic_lines),
        "bundle_lines": list(rubric.bundle_lines),
        "per_rep": False,
    }


def visible_leaders(con: duckdb.DuckDBPyConnection, visible_reps: list[str] | tuple[str, ...]) -> pl.DataFrame:
    frame = sql.run(con, "score_leaders", visible_reps=list(visible_reps))
    return frame.cast(LEADERS_SCHEMA) if frame.height else pl.DataFrame(schema=LEADERS_SCHEMA)  # type: ignore[arg-type]


def rep_metric_values(con: duckdb.DuckDBPyConnection, params: dict[str, Any], rubric: Rubric,
                      switched_off: dict[str, str], period_complete: bool) -> pl.DataFrame:
    """The metrics that make sense for one rep on their own, for every visible rep employed in the
    period: rep_id, rep_name, manager_id, metric, metric_label, unit, value, sample, min_sample,
    status, reason, points, target, and team_median (median over the scored reps of the same manager).
    """
    reps = sql.run(con, "score_reps", **params).filter(pl.col("employed_in_period") & ~pl.col("is_leader"))
    raw = compute_metric_values(con, {**params, "per_rep": True})
    per_rep = [m.key for m in METRICS.values() if m.per_rep]
    units = reps.select(pl.col("rep_id").alias("leader_id"), pl.lit(0, dtype=pl.Int32).alias("level"))
    assessed = assess(units, raw.filter(pl.col("metric").is_in(per_rep)), rubric,
                      switched_off=switched_off, period_complete=period_complete)
    return (
        assessed.filter(pl.col("metric").is_in(per_rep))
        .rename({"leader_id": "rep_id"})
        .join(reps.select("rep_id", "rep_name", "manager_id"), on="rep_id", how="left")
        .with_columns(
            pl.col("value").filter(pl.col("status") == "scored").median().over("manager_id", "metric")
            .alias("team_median")
        )
        .select("rep_id", "rep_name", "manager_id", "metric", "metric_label", "unit", "value", "sample",
                "min_sample", "status", "reason", "points", "target", "team_median")
        .sort("rep_id", "metric")
    )


def data_presence(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per optional extract and values per optional column (see ``score_data_presence.sql``)."""
    row = sql.run(con, "score_data_presence").row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}


def compute_metric_values(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pl.DataFrame:
    """Every metric for every visible leader: leader_id, metric, value, sample (from DuckDB)."""
    parts = [sql.run(con, f"metric_{family}", **params).cast(VALUES_SCHEMA)  # type: ignore[arg-type]
             for family in QUERY_FAMILIES]
    return pl.concat(parts, how="vertical")


ROWS_EXTRACT: dict[str, str] = {"score_rows_activities": "activities"}
"""Rows query -> the extract those rows come from. A metric counted from that extract needs it loaded
even when its sample counts something else (days elapsed, seller working days): with the extract
empty, its value would be zero activity, a score of 0 for data that was never uploaded."""


def metric_needs(metric: Metric) -> tuple[tuple[str, ...], ...]:
    """What a metric needs loaded: its own requirements, then the extract its rows come from."""
    source = ROWS_EXTRACT.get(metric.rows)
    if source is None or any(source in group for group in metric.requires):
        return metric.requires
    return (*metric.requires, (source,))


def switched_off_reasons(presence: dict[str, int]) -> dict[str, str]:
    """metric -> why it is switched off, naming the extract or column that would switch it on."""
    reasons: dict[str, str] = {}
    for metric in METRICS.values():
        for group in metric_needs(metric):
            if not any(presence.get(need, 0) > 0 for need in group):
                reasons[metric.key] = "switched off: " + " or ".join(_describe_need(n) for n in group) + \
                    (" is" if len(group) == 1 else " are") + " missing or empty; load it to switch it on"
                break
    return reasons


def _describe_need(need: str) -> str:
    if "." in need:
        extract, column = need.split(".", 1)
        return f"column {column} of the {extract} extract"
    return f"the {need} extract"


def _catalogue_frame(rubric: Rubric) -> pl.DataFrame:
    rows = []
    for m in METRICS.values():
        band = rubric.bands[m.key]
        rows.append({
            "metric": m.key, "metric_label": m.label, "unit": m.unit, "direction": m.direction,
            "sample_label": m.sample, "needs_complete_period": m.needs_complete_period,
            "method": band.method, "floor": band.floor, "target": band.target,
            "target_high": band.target_high, "floor_high": band.floor_high, "min_sample": band.min_sample,
        })
    return pl.DataFrame(rows, schema={
        "metric": pl.String, "metric_label": pl.String, "unit": pl.String, "direction": pl.String,
        "sample_label": pl.String, "needs_complete_period": pl.Boolean, "method": pl.String,
        "floor": pl.Float64, "target": pl.Float64, "target_high": pl.Float64, "floor_high": pl.Float64,
        "min_sample": pl.Int64,
    })


def assess(leaders: pl.DataFrame, raw: pl.DataFrame, rubric: Rubric, *,
           switched_off: dict[str, str] | None = None, period_complete: bool = True) -> pl.DataFrame:
    """Status and points of every (leader, metric).

    Returns leader_id, level, metric, metric_label, unit, value, sample, min_sample, status, reason,
    points (null unless scored), target.
    """
    off = pl.DataFrame({"metric": list((switched_off or {}).keys()),
                        "off_reason": list((switched_off or {}).values())},
                       schema={"metric": pl.String, "off_reason": pl.String})
    grid = (
        leaders.select("leader_id", "level")
        .join(_catalogue_frame(rubric), how="cross")
        .join(raw.unique(["leader_id", "metric"], keep="first"), on=["leader_id", "metric"], how="left")
        .join(off, on="metric", how="left")
        .with_columns(pl.col("sample").fill_null(0))
    )
    not_over = pl.col("needs_complete_period") & pl.lit(not period_complete)
    too_small = pl.col("value").is_null() | pl.col("value").is_nan() | (pl.col("sample") < pl.col("min_sample"))
    status = (
        pl.when(pl.col("off_reason").is_not_null()).then(pl.lit("switched_off"))
        .when(not_over | too_small).then(pl.lit("not_enough_data"))
        .otherwise(pl.lit("scored"))
    )
    reason = (
        pl.when(pl.col("off_reason").is_not_null()).then(pl.col("off_reason"))
        .when(not_over).then(pl.lit("measured once the period is over"))
        .when(too_small).then(pl.format("not enough data: {} {} (minimum {})", pl.col("sample"),
                                        pl.col("sample_label"), pl.col("min_sample")))
        .otherwise(pl.lit(""))
    )
    v = pl.col("value")
    band_share = (v - pl.col("floor")) / (pl.col("target") - pl.col("floor"))
    range_share = (
        pl.when(v > pl.col("target_high"))
        .then((pl.col("floor_high") - v) / (pl.col("floor_high") - pl.col("target_high")))
        .when(v >= pl.col("target")).then(pl.lit(1.0))
        .otherwise(band_share)
    )
    graded = grid.with_columns(status.alias("status"), reason.alias("reason")).with_columns(
        pl.when(pl.col("method") == "range").then(range_share).otherwise(band_share)
        .clip(0.0, 1.0).mul(100.0).alias("band_points")
    )
    # percentile among peer leaders at the same level who were scored on the metric
    scored = pl.col("status") == "scored"
    signed = pl.when(pl.col("direction") == "lower").then(-v).otherwise(v)
    peers = pl.len().over("metric", "level", scored)
    rank = signed.rank("average").over("metric", "level", scored)
    percentile = pl.when(peers > 1).then((rank - 1) / (peers - 1) * 100.0).otherwise(pl.lit(50.0))
    best_peer = (pl.when(pl.col("direction") == "lower").then(v.min()).otherwise(v.max())
                 .over("metric", "level", scored))
    return graded.with_columns(
        pl.when(~scored).then(None)
        .when(pl.col("method") == "percentile").then(percentile)
        .otherwise(pl.col("band_points")).alias("points"),
        pl.when(pl.col("method") == "percentile").then(pl.when(scored).then(best_peer))
        .otherwise(pl.col("target")).alias("target"),
    ).select(
        "leader_id", "level", "metric", "metric_label", "unit", "value", "sample", "min_sample",
        "status", "reason", "points", "target",
    )


def weights_frame(rubric: Rubric) -> pl.DataFrame:
    rows = rubric.weight_rows()
    return pl.DataFrame({"score": [r[0] for r in rows], "metric": [r[1] for r in rows],
                         "weight": [r[2] for r in rows]},
                        schema={"score": pl.String, "metric": pl.String, "weight": pl.Float64})


def weighted(assessed: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """Each (leader, score, metric) with its weight and its effective share of the score."""
    joined = assessed.join(weights_frame(rubric), on="metric", how="inner")
    counted = pl.col("points").is_not_null() & (pl.col("weight") > 0)
    total = pl.col("weight").filter(counted).sum().over("leader_id", "score")
    return joined.with_columns(
        pl.when(counted).then(pl.col("weight") / total).otherwise(pl.lit(0.0)).alias("effective_weight")
    )


def score_table(assessed: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """One row per leader: overall, the five roles and the five SMART dimensions (0-100 or null)."""
    contributions = weighted(assessed, rubric)
    long = (
        contributions.filter(pl.col("points").is_not_null() & (pl.col("weight") > 0))
        .group_by("leader_id", "score")
        .agg(((pl.col("points") * pl.col("weight")).sum() / pl.col("weight").sum()).alias("value"))
    )
    leaders = assessed.select("leader_id").unique(maintain_order=True)
    wide = leaders
    for score in SCORE_KEYS[1:]:
        wide = wide.join(long.filter(pl.col("score") == score).select("leader_id", pl.col("value").alias(score)),
                         on="leader_id", how="left")
    for score in SCORE_KEYS[1:]:
        if score not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(score))
    return wide.with_columns(
        pl.mean_horizontal(*ROLE_KEYS).alias("overall")
    ).select("leader_id", *SCORE_KEYS)


def overall_from_points(points: dict[str, float | None], rubric: Rubric) -> float | None:
    """The overall score a leader would get with these metric points (None = not scored)."""
    role_scores = []
    for role in ROLE_KEYS:
        pairs = [(points.get(m), w) for m, w in rubric.scores[role].weights.items()]
        pairs = [(p, w) for p, w in pairs if p is not None and w > 0]
        total = sum(w for _, w in pairs)
        if total > 0:
            role_scores.append(sum(p * w for p, w in pairs if p is not None) / total)
    return sum(role_scores) / len(role_scores) if role_scores else None


def coaching_priorities(assessed: pl.DataFrame, leader_id: str, rubric: Rubric, n: int = 3) -> pl.DataFrame:
    """The ``n`` metrics whose improvement to target would raise the leader's overall score most."""
    mine = assessed.filter(pl.col("leader_id") == leader_id)
    points = {r["metric"]: r["points"] for r in mine.iter_rows(named=True)}
    base = overall_from_points(points, rubric)
    rows = []
    for r in mine.iter_rows(named=True):
        if r["points"] is None or r["points"] >= 100.0 or base is None:
            continue
        gain = (overall_from_points({**points, r["metric"]: 100.0}, rubric) or base) - base
        if gain > 1e-9:
            rows.append({"metric": r["metric"], "metric_label": r["metric_label"], "value": r["value"],
                         "target": r["target"], "points": r["points"], "gain": gain})
    schema = {"metric": pl.String, "metric_label": pl.String, "value": pl.Float64, "target": pl.Float64,
              "points": pl.Float64, "gain": pl.Float64}
    frame = pl.DataFrame(rows, schema=schema)
    return frame.sort(["gain", "metric"], descending=[True, False]).head(n)


def metric_of(key: str) -> Metric:
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}; known: {', '.join(METRICS)}") from None
