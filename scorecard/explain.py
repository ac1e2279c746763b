"""Every score explained: role or dimension, then each metric's value, points, weight, sample and
status, then the CRM rows behind the metric (deals, activities, reps, coaching sessions)."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from scorecard import format, sql
from scorecard.metrics import METRICS, ROLES, SCORES
from scorecard.rubric import Rubric
from scorecard.scoring import metric_of, score_coverage, weighted

EXPLANATION_COLUMNS = [
    "score", "score_label", "metric", "metric_label", "value", "unit", "points", "weight", "sample",
    "min_sample", "status", "reason", "effective_weight", "score_coverage",
]


def explanation(assessed: pl.DataFrame, rubric: Rubric, leader_id: str, score: str | None = None,
                coverage: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per (score, metric) of a leader.

    ``score`` None gives all ten role and SMART scores; ``overall`` gives the five roles; a role or
    dimension key gives that score's metrics. ``effective_weight`` is the metric's share of the score
    after the weight of metrics without data was spread over the rest; ``score_coverage`` says how
    much of the score's weight was scored ("3 of 5 metrics, 60% of the weight"), from ``coverage``
    (``scoring.score_coverage``; computed here when not given).
    """
    if score is not None and score not in SCORES:
        raise KeyError(f"unknown score {score!r}; known: {', '.join(SCORES)}")
    wanted = list(ROLES) if score == "overall" else [score] if score else [s for s in SCORES if s != "overall"]
    order = {s: i for i, s in enumerate(SCORES)}
    labels = pl.DataFrame({"score": list(SCORES), "score_label": list(SCORES.values())})
    mine = assessed.filter(pl.col("leader_id") == leader_id)
    covered = (coverage if coverage is not None else score_coverage(mine, rubric)).filter(
        pl.col("leader_id") == leader_id).select("score", pl.col("coverage").alias("score_coverage"))
    rows = (
        weighted(mine, rubric)
        .filter(pl.col("score").is_in(wanted))
        .join(labels, on="score", how="left")
        .join(covered, on="score", how="left")
        .with_columns(pl.col("score").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
        .sort(["_order", "weight", "metric"], descending=[False, True, False])
    )
    return rows.select(EXPLANATION_COLUMNS)


def mover_text(metric: str | None, change: float | None) -> str | None:
    """The metric that moved a score most and its signed change in points of the score, as the pages
    write it: ``Win rate -6`` (``scoring.score_movers``); None when no metric moved it."""
    if not metric or format.missing(change):
        return None
    return f"{format.metric_label(metric)} {format.delta(change)}"


def change_sentence(row: dict[str, Any], score: str) -> str | None:
    """How a leader's score moved against the previous comparable period and the metric that moved it
    most, as the Leader page opens its explanation: ``Process guru -7 against last quarter, moved most
    by Pipeline hygiene -6.``; None when there is no earlier score to compare with."""
    change = row.get(f"{score}_change")
    if format.missing(change):
        return None
    moved = mover_text(row.get(f"{score}_mover"), row.get(f"{score}_mover_change"))
    return (f"{SCORES[score]} {format.delta(change)} against last quarter"
            + (f", moved most by {moved}." if moved else ": no metric moved it by a point or more."))


IDENTITY_COLUMNS = ("opportunity_id", "activity_id", "owner_name", "rep_name", "account_name")
"""What names a row (the deal, the activity, the rep, the account): shown right after the columns
that decide the metric."""


def metric_rows(con: duckdb.DuckDBPyConnection, leader_id: str, metric: str, params: dict[str, Any]) -> pl.DataFrame:
    """The CRM rows a leader's metric counted, from the metric's rows query and row filter: the
    columns that decide the metric first (``Metric.deciding``), then what names each row, then the
    rest. Deals carry their ``outcome`` (won, lost or open); the deals query says why a deal is not
    hygienic (``hygiene_reason``), by the same tests as ``hygienic``."""
    definition = metric_of(metric)
    frame = sql.run(con, definition.rows, leader_id=leader_id, **params)
    if definition.row_filter:
        frame = frame.filter(pl.col(definition.row_filter)).drop(
            [c for c in _flag_columns(frame) if c != definition.row_filter])
    if {"is_won", "is_closed"} <= set(frame.columns):
        frame = frame.with_columns(
            pl.when(pl.col("is_won")).then(pl.lit("Won")).when(pl.col("is_closed")).then(pl.lit("Lost"))
            .otherwise(pl.lit("Open")).alias("outcome"))
    if "hygiene_reason" in frame.columns and "hygiene_reason" not in definition.deciding:
        frame = frame.drop("hygiene_reason")  # said where hygiene is the metric
    first = [c for c in (*definition.deciding, *IDENTITY_COLUMNS) if c in frame.columns]
    return frame.select(*dict.fromkeys(first), *[c for c in frame.columns if c not in first])


def _flag_columns(frame: pl.DataFrame) -> list[str]:
    flags = {m.row_filter for m in METRICS.values() if m.row_filter}
    return [c for c in frame.columns if c in flags]


def format_explanation(frame: pl.DataFrame, scores: dict[str, float | None] | None = None) -> str:
    """The explanation as plain text for the command line."""
    lines: list[str] = []
    current = None
    for row in frame.iter_rows(named=True):
        if row["score"] != current:
            current = row["score"]
            value = (scores or {}).get(current)
            lines.append("")
            lines.append(f"{row['score_label']}: {_points(value)}"
                         + (f"  ({row['score_coverage']})" if row.get("score_coverage") else ""))
        status = {"scored": "", "not_enough_data": "  [not enough data]",
                  "switched_off": "  [switched off]"}[row["status"]]
        lines.append(
            f"  {row['metric_label']:<46} {format.value(row['value'], row['unit']):>10}"
            f"  points {_points(row['points']):>5}  weight {row['weight']:g}"
            f" ({row['effective_weight']:.0%})  sample {row['sample']}{status}"
        )
        if row["status"] != "scored":
            lines.append(f"      {row['reason']}")
    return "\n".join(lines).lstrip("\n")


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
