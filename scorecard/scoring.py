"""The scoring engine: metric values from DuckDB, then points, statuses and scores in Polars.

1. :func:`compute_metric_values` runs the metric queries (``queries/metric_*.sql``) set-wise for every
   visible leader at once and returns one row per (leader, metric): value and sample size.
2. :func:`switched_off_for` says which metrics the data cannot support, and why: an extract or
   column not loaded, a column blank on most rows, a data window too short for the metric, or
   product lines the rubric names that the data does not have.
3. :func:`assess` gives each row its status (scored, not enough data, switched off with the reason)
   and its points: by band (floor 0, target 100, linear, clamped) or by percentile among peer
   leaders at the same level.
4. :func:`score_table` turns points into role and SMART dimension scores: the weighted mean over the
   metrics that were scored (the weight of a metric without data is spread over the rest, never
   scored 0), and the overall score, the mean of the five role scores; :func:`score_coverage` says
   how much of each score's weight was scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl

from scorecard import sql
from scorecard.calendar import Period
from scorecard.metrics import FILLED_ON_MOST_ROWS, METRICS, QUERY_FAMILIES, ROLES, SCORES, Metric
from scorecard.rubric import Rubric, product_key, unmatched_product_lines

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

    @property
    def days_elapsed(self) -> int:
        return max(0, (self.as_of - self.period.start).days)

    @property
    def last_day(self) -> date:
        """The last day measured (inclusive)."""
        return self.as_of - timedelta(days=1)


def window(period: Period, today: date) -> Window:
    as_of = min(period.end_exclusive, today + timedelta(days=1))
    return Window(period, max(as_of, period.start))


def same_share_elapsed(earlier: Period, running: Window) -> Window:
    """The window of an earlier period cut at the share of it that ``running`` has elapsed, so a
    quarter in progress is compared with the previous quarter at the same point, not with all of it."""
    if running.complete:
        return window(earlier, earlier.end)
    days = max(1, round(running.elapsed_share * earlier.days))
    return Window(earlier, min(earlier.start + timedelta(days=days), earlier.end_exclusive))


def query_params(win: Window, visible_reps: list[str] | tuple[str, ...], rubric: Rubric,
                 fiscal_year_start_month: int = 1, *, data_start: date | None = None,
                 judge_next_step: bool = True, judge_activity: bool = True) -> dict[str, Any]:
    """The named parameters every metric query takes.

    ``data_start`` is the first day of the data (ramp time counts reps hired from then on);
    ``judge_next_step`` and ``judge_activity`` say whether pipeline hygiene can judge next steps and
    activities on deals (false when the data carries none).
    """
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
        "strategic_lines": [product_key(line) for line in rubric.strategic_lines],
        "bundle_lines": [product_key(line) for line in rubric.bundle_lines],
        "data_start": data_start or period.start,
        "judge_next_step": judge_next_step,
        "judge_activity": judge_activity,
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
    """Rows per extract and values per optional column (see ``score_data_presence.sql``)."""
    row = sql.run(con, "score_data_presence").row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}


@dataclass(frozen=True)
class DataFacts:
    """What the data holds, once per load: rows and filled values, its time span, its product lines."""

    presence: dict[str, int]
    first_day: date | None
    """The first day with a deal or an activity (None: neither was loaded)."""
    as_of: date | None
    """The data's as-of date (``scorecard.as_of``)."""
    hires_inside: int
    """Reps hired from ``first_day`` up to ``as_of``."""
    product_lines: tuple[str, ...]
    """The product lines the deals carry, most used first."""


def data_facts(con: duckdb.DuckDBPyConnection, as_of: date | None) -> DataFacts:
    presence = data_presence(con)
    span = sql.run(con, "score_data_window", as_of=as_of or date.max).row(0, named=True)
    lines = sql.run(con, "score_product_lines")["product_line"].to_list() if presence.get(
        "opportunities.product_line") else []
    return DataFacts(presence, span["first_day"], as_of, int(span["hires_inside"] or 0), tuple(lines))


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


def switched_off_reasons(presence: dict[str, int], mostly_blank: float = 0.5) -> dict[str, str]:
    """metric -> why it is switched off, naming the extract or column that would switch it on.

    An extract or column is missing when it holds nothing; a column of ``FILLED_ON_MOST_ROWS`` is
    also missing when it is blank on more than ``mostly_blank`` of its extract's rows.
    """
    reasons: dict[str, str] = {}
    for metric in METRICS.values():
        for group in metric_needs(metric):
            if any(_has(presence, need, mostly_blank) for need in group):
                continue
            blank = [need for need in group if presence.get(need, 0) > 0]
            if blank:
                reasons[metric.key] = "switched off: " + "; ".join(
                    _describe_blank(presence, need) for need in blank) + "; fill it in the CRM export to switch it on"
            else:
                reasons[metric.key] = "switched off: " + " or ".join(_describe_need(n) for n in group) + \
                    (" is" if len(group) == 1 else " are") + " missing or empty; load it to switch it on"
            break
    return reasons


def _has(presence: dict[str, int], need: str, mostly_blank: float) -> bool:
    filled = presence.get(need, 0)
    if filled <= 0:
        return False
    if need not in FILLED_ON_MOST_ROWS:
        return True
    rows = presence.get(need.split(".", 1)[0], 0)
    return rows <= 0 or 1 - filled / rows <= mostly_blank


def _describe_need(need: str) -> str:
    if "." in need:
        extract, column = need.split(".", 1)
        return f"column {column} of the {extract} extract"
    return f"the {need} extract"


def _describe_blank(presence: dict[str, int], need: str) -> str:
    rows = presence.get(need.split(".", 1)[0], 0)
    blank = rows - presence.get(need, 0)
    return (f"{FILLED_ON_MOST_ROWS[need]} ({_describe_need(need)} is blank on {blank:,} of {rows:,} rows,"
            f" {blank / rows:.0%})")


def window_reasons(facts: DataFacts, win: Window, fiscal_year_start_month: int = 1) -> dict[str, str]:
    """metric -> why the data's time span is too short for it in this window (see ``Metric.window``)."""
    first = facts.first_day
    if first is None:
        return {}
    begins = f"the data begins on {_day(first)}"
    reasons: dict[str, str] = {}
    year_before = win.period.year_before(fiscal_year_start_month)
    for metric in METRICS.values():
        if metric.window == "hires_inside" and facts.hires_inside == 0:
            reasons[metric.key] = (f"switched off: no rep was hired inside the data window ({begins}); ramp time"
                                   " counts reps hired after the data begins, whose first won deal the data"
                                   " holds; load deals and reps' hire dates that reach back to a hire")
        elif metric.window == "twelve_months" and first > win.as_of - timedelta(days=365):
            reasons[metric.key] = (f"switched off: 12-month retention needs 12 months of data before the as-of"
                                   f" date ({_day(win.last_day)}) and {begins}; load a longer history to"
                                   " switch it on")
        elif metric.window == "year_before" and first > year_before.start:
            reasons[metric.key] = (f"switched off: growth needs the same period a year before"
                                   f" ({year_before.label}) inside the data, and {begins}; load deals back to"
                                   f" {_day(year_before.start)} to switch it on")
    return reasons


def product_line_reasons(rubric: Rubric, in_data: tuple[str, ...] | list[str]) -> dict[str, str]:
    """metric -> why the product lines the rubric names cannot be counted: none is named, or none
    matches a product line in the data (compared without case, spaces or punctuation)."""
    reasons: dict[str, str] = {}
    for metric in METRICS.values():
        if metric.product_lines is None or not in_data:
            continue
        which = "strategic" if metric.product_lines == "strategic" else "bundle"
        named = rubric.product_lines(metric.product_lines)
        if not named:
            reasons[metric.key] = (f"switched off: the rubric names no {which} product lines; name them on the"
                                   " Methodology page to switch it on")
        elif len(unmatched_product_lines(named, in_data)) == len(named):
            shown = ", ".join(in_data[:8]) + (", ..." if len(in_data) > 8 else "")
            reasons[metric.key] = (f"switched off: none of the rubric's {which} product lines"
                                   f" ({', '.join(named)}) is a product line in the data (the deals carry"
                                   f" {shown}); set them on the Methodology page to switch it on")
    return reasons


def switched_off_for(facts: DataFacts, rubric: Rubric, win: Window,
                     fiscal_year_start_month: int = 1) -> dict[str, str]:
    """Every metric the data cannot support in this window, with the reason and what would switch it
    on: missing or mostly blank inputs first, then product lines, then the data's time span."""
    reasons = switched_off_reasons(facts.presence, rubric.coverage.mostly_blank)
    for extra in (product_line_reasons(rubric, facts.product_lines),
                  window_reasons(facts, win, fiscal_year_start_month)):
        for metric, reason in extra.items():
            reasons.setdefault(metric, reason)
    return {m: reasons[m] for m in METRICS if m in reasons}


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


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


MOVER_FLOOR = 0.5
"""A metric moved a score when it changed the score by more than this many points (no more reads 0)."""

CONTRIBUTIONS_SCHEMA: dict[str, Any] = {"leader_id": pl.String, "score": pl.String, "metric": pl.String,
                                        "points": pl.Float64, "share": pl.Float64, "contribution": pl.Float64}
MOVERS_SCHEMA: dict[str, Any] = {"leader_id": pl.String, "score": pl.String, "metric": pl.String,
                                 "change": pl.Float64}


def contributions(assessed: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """What each scored metric adds to each score, per leader: leader_id, score, metric, points,
    share (the metric's share of the score) and contribution (points times share, in points of the
    score). A role or SMART score is the weighted mean of its scored metrics, so a metric's share is
    its effective weight; the overall score is the mean of the roles that were scored, so a metric's
    share of it is its share of each role it counts in divided by how many roles were scored. The
    contributions of a score sum to the score; a metric without points has no row."""
    counted = weighted(assessed, rubric).filter(pl.col("points").is_not_null() & (pl.col("weight") > 0))
    own = counted.select("leader_id", "score", "metric", "points", pl.col("effective_weight").alias("share"))
    roles = own.filter(pl.col("score").is_in(ROLE_KEYS)).with_columns(
        pl.col("score").n_unique().over("leader_id").alias("_roles"))
    overall = (
        roles.group_by("leader_id", "metric", maintain_order=True)
        .agg(pl.col("points").first(), (pl.col("share") / pl.col("_roles")).sum().alias("share"))
        .select("leader_id", pl.lit("overall").alias("score"), "metric", "points", "share")
    )
    return (pl.concat([overall, own], how="vertical")
            .with_columns((pl.col("points") * pl.col("share")).alias("contribution"))
            .cast(CONTRIBUTIONS_SCHEMA))  # type: ignore[arg-type]


def score_movers(now: pl.DataFrame, before: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """The metric that moved each score most between two assessed periods (the previous comparable
    one, then this one), per leader: leader_id, score, metric, change (in points of that score; for
    the overall score, overall points).

    A metric's change is the change of its points times its share of the score now: what it added
    to the score against what it would have added at its earlier points. Only metrics scored in both
    periods are compared, at this period's weights, so a metric whose points held still did not move
    the score, even when a metric gaining or losing data spread the weights anew. A score with no
    metric that moved it by more than :data:`MOVER_FLOOR` points (a change that would read 0) has no
    row. Ties go to the metric first in the catalogue."""
    order = {key: i for i, key in enumerate(METRICS)}
    was = before.filter(pl.col("points").is_not_null()).select(
        "leader_id", "metric", pl.col("points").alias("_before"))
    return (
        contributions(now, rubric)
        .join(was, on=["leader_id", "metric"], how="inner")
        .with_columns(((pl.col("points") - pl.col("_before")) * pl.col("share")).alias("change"))
        .filter(pl.col("change").abs() > MOVER_FLOOR)
        .with_columns(pl.col("metric").replace_strict(order, default=len(order), return_dtype=pl.Int64)
                      .alias("_order"), pl.col("change").abs().alias("_size"))
        .sort(["leader_id", "score", "_size", "_order"], descending=[False, False, True, False])
        .unique(["leader_id", "score"], keep="first", maintain_order=True)
        .select(list(MOVERS_SCHEMA)).cast(MOVERS_SCHEMA)  # type: ignore[arg-type]
    )


def movers_wide(movers: pl.DataFrame) -> pl.DataFrame:
    """One row per leader: ``<score>_mover`` (the metric that moved the score most, see
    :func:`score_movers`) and ``<score>_mover_change`` (its signed change, in points of the score)
    for the eleven scores; null where no metric moved the score."""
    wide = movers.select("leader_id").unique(maintain_order=True)
    for score in SCORE_KEYS:
        part = movers.filter(pl.col("score") == score).select(
            "leader_id", pl.col("metric").alias(f"{score}_mover"), pl.col("change").alias(f"{score}_mover_change"))
        wide = wide.join(part, on="leader_id", how="left")
    return wide


COVERAGE_SCHEMA: dict[str, Any] = {"leader_id": pl.String, "score": pl.String, "scored": pl.Int64,
                                   "total": pl.Int64, "weight_share": pl.Float64, "coverage": pl.String}


def score_coverage(assessed: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """How much of each score was scored, per leader: leader_id, score, scored and total (metrics,
    or roles for the overall score), weight_share (0-1) and coverage ("3 of 5 metrics, 60% of the
    weight"). The overall score's share is the mean of the five roles' shares, as it is their mean."""
    weights = weights_frame(rubric).filter(pl.col("weight") > 0)
    per_score = (
        assessed.select("leader_id", "metric", "points").join(weights, on="metric", how="inner")
        .group_by("leader_id", "score")
        .agg(pl.col("points").is_not_null().sum().cast(pl.Int64).alias("scored"),
             pl.len().cast(pl.Int64).alias("total"),
             (pl.col("weight").filter(pl.col("points").is_not_null()).sum() / pl.col("weight").sum())
             .alias("weight_share"))
    )
    overall = (
        per_score.filter(pl.col("score").is_in(ROLE_KEYS))
        .group_by("leader_id")
        .agg(pl.lit("overall").alias("score"), (pl.col("scored") > 0).sum().cast(pl.Int64).alias("scored"),
             pl.lit(len(ROLE_KEYS), dtype=pl.Int64).alias("total"),
             (pl.col("weight_share").sum() / len(ROLE_KEYS)).alias("weight_share"))
    )
    noun = pl.when(pl.col("score") == "overall").then(pl.lit("roles")).otherwise(pl.lit("metrics"))
    frame = pl.concat([overall.select(per_score.columns), per_score], how="vertical")
    return frame.with_columns(
        pl.format("{} of {} {}, {}% of the weight", pl.col("scored"), pl.col("total"), noun,
                  (pl.col("weight_share") * 100).round(0).cast(pl.Int64)).alias("coverage")
    ).select(list(COVERAGE_SCHEMA)).cast(COVERAGE_SCHEMA)  # type: ignore[arg-type]


def coverage_wide(coverage: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """One row per leader: ``<score>_coverage`` (share of the weight scored, 0-1) for the eleven
    scores, ``coverage`` (the overall score's, in words) and ``thin_coverage`` (the overall score
    rests on less of its weight than the rubric's ``coverage.thin_below``)."""
    wide = coverage.select("leader_id").unique(maintain_order=True)
    for score in SCORE_KEYS:
        part = coverage.filter(pl.col("score") == score).select(
            "leader_id", pl.col("weight_share").alias(f"{score}_coverage"))
        wide = wide.join(part, on="leader_id", how="left")
    words = coverage.filter(pl.col("score") == "overall").select("leader_id", "coverage")
    return wide.join(words, on="leader_id", how="left").with_columns(
        (pl.col("overall_coverage").fill_null(0.0) < rubric.coverage.thin_below).alias("thin_coverage"))


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
