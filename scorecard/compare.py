"""Leaders side by side: two to five leaders, or a peer cohort (same level, same region), on the
eleven scores (overall, the five CSO roles, the five SMART dimensions) and on every metric behind
them (value, points, status).

    >>> from scorecard.api import Scorecard
    >>> from scorecard.compare import Cohort, compare
    >>> card = Scorecard.open("data/scorecard.duckdb")
    >>> side = compare(card, ["U0005", "U0006"], "2026Q3")
    >>> side.scores            # one row per (leader, score): points, change, how much was scored
    >>> side.metric_table()    # one row per metric, one column per leader: "42% · 71 pts"
    >>> compare(card, Cohort(level=2, region="EMEA"))   # the peers of a level and a region

Only leaders the viewer may see are compared: the card's scores are already filtered for its viewer,
so an id outside the viewer's part of the organisation reads exactly like an id nobody has (it is
listed in :attr:`Comparison.not_found`, never shown). A score or a metric without enough data is
said (``not scored``, the reason), never 0; a score resting on little of its weight is marked
``thin coverage``.

Plain Python and Polars (no Streamlit), so a notebook compares the same way the app does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from scorecard import format
from scorecard.metrics import METRICS, ROLES, SCORES
from scorecard.rubric import Rubric

if TYPE_CHECKING:
    from scorecard.api import Scorecard

MAX_LEADERS = 5
"""Picked leaders shown side by side at most (a cohort shows all its members)."""
MIN_LEADERS = 2

ScoreStatus = Literal["scored", "thin coverage", "not scored"]

SCORE_COLUMNS: dict[str, Any] = {
    "leader_id": pl.String, "leader_name": pl.String, "score": pl.String, "score_label": pl.String,
    "points": pl.Float64, "change": pl.Float64, "weight_scored": pl.Float64, "coverage": pl.String,
    "status": pl.String,
}
METRIC_COLUMNS: dict[str, Any] = {
    "leader_id": pl.String, "leader_name": pl.String, "metric": pl.String, "metric_label": pl.String,
    "counts_in": pl.String, "unit": pl.String, "value": pl.Float64, "value_text": pl.String,
    "points": pl.Float64, "status": pl.String, "reason": pl.String, "sample": pl.Int64,
    "min_sample": pl.Int64, "target": pl.Float64,
}
_FIXED_TABLE_COLUMNS = ("metric", "Metric", "Counts in", "Weight", "Gap (points)", "Ahead", "Note", "Score")


# -- the peer cohort ----------------------------------------------------------------------------------

_COHORT_KEYS = ("level", "region")


@dataclass(frozen=True)
class Cohort:
    """Peers: every visible leader at one level and/or in one region (None: any)."""

    level: int | None = None
    region: str | None = None

    @classmethod
    def parse(cls, text: str) -> Cohort:
        """``"level:2,region:EMEA"``, ``"level:2"``, ``"region:EMEA"`` or ``"all"`` (as a link carries
        it). A region may itself hold a comma. Raises ``ValueError`` saying what is wrong."""
        text = text.strip()
        if text.lower() in {"all", "any", ""}:
            return cls()
        parts: list[list[str]] = []
        for piece in text.split(","):
            key, sep, value = piece.partition(":")
            if sep and key.strip().lower() in _COHORT_KEYS:
                parts.append([key.strip().lower(), value])
            elif parts and parts[-1][0] == "region":  # "region:EMEA, North": the comma is the region's
                parts[-1][1] += "," + piece
            else:
                raise ValueError(f"a peer cohort reads like level:2,region:EMEA, not {text!r}")
        found = {key: value.strip() for key, value in parts}
        if len(found) != len(parts):
            raise ValueError(f"a peer cohort names each of level and region once, not {text!r}")
        level: int | None = None
        if found.get("level"):
            try:
                level = int(found["level"])
            except ValueError:
                raise ValueError(f"a level is a number (0 is the top), not {found['level']!r}") from None
        return cls(level=level, region=found.get("region") or None)

    @classmethod
    def peers_of(cls, leader: Mapping[str, Any]) -> Cohort:
        """The leaders at the same level and in the same region as ``leader`` (a row of
        ``Scorecard.leaders``)."""
        level = leader.get("level")
        return cls(level=None if level is None else int(level), region=leader.get("region") or None)

    @property
    def key(self) -> str:
        """The cohort as a link carries it (``Cohort.parse`` reads it back)."""
        parts = [f"level:{self.level}" if self.level is not None else "",
                 f"region:{self.region}" if self.region else ""]
        return ",".join(p for p in parts if p) or "all"

    def describe(self) -> str:
        """"Level 2 leaders in EMEA", "Every leader in EMEA", "Level 2 leaders", "Every leader"."""
        who = f"Level {self.level} leaders" if self.level is not None else "Every leader"
        return f"{who} in {self.region}" if self.region else who

    def members(self, leaders: pl.DataFrame) -> list[str]:
        """The ids of the leaders of ``leaders`` (``Scorecard.leaders``) in the cohort, in its order."""
        frame = leaders
        if self.level is not None:
            frame = frame.filter(pl.col("level") == self.level)
        if self.region is not None:
            frame = frame.filter(pl.col("region") == self.region)
        return [str(i) for i in frame["leader_id"].to_list()]


# -- the comparison -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """Leaders side by side for one period, in the order they were picked (a cohort: by overall
    score, leaders on thin coverage last)."""

    period: str
    leaders: pl.DataFrame
    """One row per leader compared: leader_id, leader_name (unique: a shared name gets the id),
    level, region, team_size, overall, coverage (of the overall score, in words), thin_coverage."""
    scores: pl.DataFrame
    """One row per (leader, score), overall first, then the five roles and the five dimensions:
    points (null when not scored, never 0), change against the previous period, weight_scored (the
    share of the score's weight that had data, 0-1), coverage ("3 of 5 metrics, 60% of the
    weight") and status (``scored``, ``thin coverage``, ``not scored``)."""
    metrics: pl.DataFrame
    """One row per (leader, metric): value (and value_text in the metric's unit), points (null unless
    scored), status (``scored``, ``not_enough_data``, ``switched_off``), reason, sample, min_sample,
    target, and the scores the metric counts in (counts_in)."""
    weights: pl.DataFrame
    """The rubric's weights: score, metric, weight (for :meth:`metric_table` of one score)."""
    median: dict[str, float | None] = field(default_factory=dict)
    """The whole org's median of each score, for reference (empty when not asked for)."""
    cohort: Cohort | None = None
    not_found: tuple[str, ...] = ()
    """Ids asked for that are not among the leaders the viewer may see (unknown, or outside their part
    of the organisation: the two read the same)."""
    left_out: tuple[str, ...] = ()
    """Picked leaders beyond the fifth, not compared."""

    @property
    def leader_ids(self) -> list[str]:
        return [str(i) for i in self.leaders["leader_id"].to_list()]

    @property
    def names(self) -> dict[str, str]:
        """Leader id -> the name shown (unique among the leaders compared)."""
        return dict(zip(self.leader_ids, self.leaders["leader_name"].to_list(), strict=True))

    @property
    def enough(self) -> bool:
        """At least two leaders to put side by side."""
        return self.leaders.height >= MIN_LEADERS

    def score_table(self) -> pl.DataFrame:
        """The scores in words, one row per score, one column per leader: "62 (▲ 4)", "48 (▲ 4) · thin
        coverage: 1 of 4 metrics, 25% of the weight", "not scored: 0 of 5 metrics had enough data";
        then the org median when the comparison carries it."""
        columns: dict[str, list[str]] = {"Score": list(SCORES.values())}
        for leader_id, name in self.names.items():
            mine = {r["score"]: r for r in self.scores.filter(pl.col("leader_id") == leader_id).iter_rows(named=True)}
            columns[name] = [_score_words(mine.get(score)) for score in SCORES]
        if self.median:
            columns["Org median"] = [format.points(self.median.get(score)) for score in SCORES]
        return pl.DataFrame(columns, schema={name: pl.String for name in columns})

    def metric_table(self, score: str | None = None) -> pl.DataFrame:
        """The metrics, one row each, one column per leader with the value and the points in words
        ("42% · 71 pts", "100% · not enough data: 2 closed deals (minimum 5)", "switched off").

        ``score`` None: every metric, where the leaders differ most first (the gap between the most
        and the fewest points), metrics nobody could be scored on last. A score key: that score's
        metrics (for ``overall``, the five roles'), heaviest weight first, with their weight.
        After the leaders: ``Gap (points)``, ``Ahead`` (who has the most points, when they differ; beyond
        three, "Ann, Bob and 4 more"),
        ``Counts in`` (the scores the metric counts in) and ``Note`` (why a metric is switched off, the
        same for everyone)."""
        if score is not None and score not in SCORES:
            raise KeyError(f"unknown score {score!r}; known: {', '.join(SCORES)}")
        names = self.names
        metrics = self.metrics
        weight: dict[str, float] = {}
        if score is not None:
            wanted = list(ROLES) if score == "overall" else [score]
            rows = self.weights.filter(pl.col("score").is_in(wanted) & (pl.col("weight") > 0))
            for metric, w in zip(rows["metric"].to_list(), rows["weight"].to_list(), strict=True):
                weight[metric] = weight.get(metric, 0.0) + float(w)
            metrics = metrics.filter(pl.col("metric").is_in(list(weight)))
        catalogue = {key: i for i, key in enumerate(METRICS)}
        table: list[dict[str, Any]] = []
        for (metric,), rows in metrics.group_by(["metric"], maintain_order=True):
            by_leader = {r["leader_id"]: r for r in rows.iter_rows(named=True)}
            first = rows.row(0, named=True)
            scored = {i: r["points"] for i, r in by_leader.items() if r["points"] is not None}
            gap = (max(scored.values()) - min(scored.values())) if len(scored) >= MIN_LEADERS else None
            top = max(scored.values()) if scored else None
            ahead = _ahead([names[i] for i in names if gap and scored.get(i) == top])
            off = [r["reason"] for r in rows.iter_rows(named=True) if r["status"] == "switched_off"]
            entry: dict[str, Any] = {"metric": metric, "Metric": first["metric_label"]}
            if score is not None:
                entry["Weight"] = weight.get(str(metric))
            entry.update({name: _metric_words(by_leader.get(leader_id)) for leader_id, name in names.items()})
            entry.update({"Gap (points)": gap, "Ahead": ahead or None, "Counts in": first["counts_in"],
                          "Note": off[0] if off else None, "_order": catalogue.get(str(metric), len(catalogue))})
            table.append(entry)
        schema: dict[str, Any] = {"metric": pl.String, "Metric": pl.String}
        if score is not None:
            schema["Weight"] = pl.Float64
        schema.update({name: pl.String for name in names.values()})
        schema.update({"Gap (points)": pl.Float64, "Ahead": pl.String, "Counts in": pl.String, "Note": pl.String,
                       "_order": pl.Int64})
        frame = pl.DataFrame(table, schema=schema)
        if score is not None:
            frame = frame.sort(["Weight", "_order"], descending=[True, False])
        else:
            frame = frame.sort(["Gap (points)", "_order"], descending=[True, False], nulls_last=True)
        return frame.drop("_order")


def compare(card: Scorecard, chosen: Sequence[str] | Cohort, period: str | None = None, *,
            with_median: bool = True) -> Comparison:
    """The leaders ``chosen`` (ids, or a :class:`Cohort`) side by side in ``period`` (default: the
    quarter of the data's as-of date), among the leaders the card's viewer may see."""
    target = card.period(period)
    return comparison(card.leaders(target), card.coverage(target), card.metric_values(target), card.rubric,
                      chosen, period=target.label, median=card.org_median(target) if with_median else None)


def comparison(leaders: pl.DataFrame, coverage: pl.DataFrame, metric_values: pl.DataFrame, rubric: Rubric,
               chosen: Sequence[str] | Cohort, *, period: str,
               median: Mapping[str, float | None] | None = None) -> Comparison:
    """The comparison from the scored period's frames: ``leaders`` (``Scorecard.leaders``),
    ``coverage`` (``Scorecard.coverage``), ``metric_values`` (``Scorecard.metric_values``), all
    already filtered to the leaders the viewer may see."""
    visible = [str(i) for i in leaders["leader_id"].to_list()]
    not_found: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    cohort: Cohort | None = None
    if isinstance(chosen, Cohort):
        cohort = chosen
        ids = cohort.members(leaders)
    else:
        asked = list(dict.fromkeys(str(i).strip() for i in chosen if str(i).strip()))
        known = [i for i in asked if i in visible]
        not_found = tuple(i for i in asked if i not in visible)
        ids, left_out = known[:MAX_LEADERS], tuple(known[MAX_LEADERS:])
    order = {leader_id: n for n, leader_id in enumerate(ids)}
    picked = (
        leaders.filter(pl.col("leader_id").is_in(ids))
        .with_columns(pl.col("leader_id").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
        .sort("_order").drop("_order")
    )
    shown = _unique_names(picked)
    picked = picked.with_columns(pl.Series("leader_name", shown, dtype=pl.String))
    names = picked.select("leader_id", "leader_name")
    weights = pl.DataFrame(rubric.weight_rows(), schema={"score": pl.String, "metric": pl.String,
                                                         "weight": pl.Float64}, orient="row")
    return Comparison(
        period=period,
        leaders=picked.select("leader_id", "leader_name", "level", "region", "team_size", "overall", "coverage",
                              "thin_coverage"),
        scores=_scores(picked, names, coverage, rubric.coverage.thin_below),
        metrics=_metrics(metric_values, names, weights, order),
        weights=weights,
        median={k: _number(v) for k, v in median.items()} if median is not None else {},
        cohort=cohort, not_found=not_found, left_out=left_out,
    )


def _scores(picked: pl.DataFrame, names: pl.DataFrame, coverage: pl.DataFrame, thin_below: float) -> pl.DataFrame:
    """Long: one row per (leader, score) in the leaders' order, then the scores' order."""
    if picked.is_empty():
        return pl.DataFrame(schema=SCORE_COLUMNS)
    keys = list(SCORES)
    points = picked.unpivot(on=keys, index="leader_id", variable_name="score", value_name="points")
    changes = picked.select("leader_id", *[pl.col(f"{s}_change").alias(s) for s in keys]).unpivot(
        index="leader_id", variable_name="score", value_name="change")
    covered = coverage.select("leader_id", "score", pl.col("weight_share").alias("weight_scored"), "coverage")
    leader_order = {leader_id: n for n, leader_id in enumerate(names["leader_id"].to_list())}
    score_order = {key: n for n, key in enumerate(keys)}
    status = (
        pl.when(pl.col("points").is_null()).then(pl.lit("not scored"))
        .when(pl.col("weight_scored").fill_null(0.0) < thin_below).then(pl.lit("thin coverage"))
        .otherwise(pl.lit("scored"))
    )
    return (
        points.join(changes, on=["leader_id", "score"], how="left")
        .join(covered, on=["leader_id", "score"], how="left")
        .join(names, on="leader_id", how="left")
        .with_columns(pl.col("points").cast(pl.Float64), pl.col("change").cast(pl.Float64),
                      pl.col("score").replace_strict(SCORES, return_dtype=pl.String).alias("score_label"),
                      status.alias("status"),
                      pl.col("leader_id").replace_strict(leader_order, return_dtype=pl.Int64).alias("_leader"),
                      pl.col("score").replace_strict(score_order, return_dtype=pl.Int64).alias("_score"))
        .sort("_leader", "_score")
        .select(list(SCORE_COLUMNS))
        .cast(SCORE_COLUMNS)  # type: ignore[arg-type]
    )


def _metrics(metric_values: pl.DataFrame, names: pl.DataFrame, weights: pl.DataFrame,
             order: Mapping[str, int]) -> pl.DataFrame:
    """Long: one row per (leader, metric) in the leaders' order, then the catalogue's."""
    picked = metric_values.filter(pl.col("leader_id").is_in(names["leader_id"].implode()))
    if picked.is_empty():
        return pl.DataFrame(schema=METRIC_COLUMNS)
    counts_in = (
        weights.filter(pl.col("weight") > 0)
        .with_columns(pl.col("score").replace_strict(SCORES, return_dtype=pl.String).alias("label"))
        .group_by("metric", maintain_order=True).agg(pl.col("label").str.join(", ").alias("counts_in"))
    )
    catalogue = {key: n for n, key in enumerate(METRICS)}
    texts = [value_text(v, u) for v, u in zip(picked["value"].to_list(), picked["unit"].to_list(), strict=True)]
    return (
        picked.with_columns(pl.Series("value_text", texts, dtype=pl.String))
        .join(names, on="leader_id", how="left")
        .join(counts_in, on="metric", how="left")
        .with_columns(pl.col("leader_id").replace_strict(dict(order), return_dtype=pl.Int64).alias("_leader"),
                      pl.col("metric").replace_strict(catalogue, default=len(catalogue),
                                                      return_dtype=pl.Int64).alias("_metric"),
                      pl.col("value").fill_nan(None))
        .sort("_leader", "_metric")
        .select(list(METRIC_COLUMNS))
        .cast(METRIC_COLUMNS)  # type: ignore[arg-type]
    )


# -- in words --------------------------------------------------------------------------------------------

def value_text(value: float | None, unit: str) -> str:
    """A metric's value in its unit ("42%", "0.76x", "$47.5K", "54 days"); a missing value is
    ``format.MISSING``, never 0."""
    if value is None or format.missing(value):
        return format.MISSING
    if unit == "money":
        return format.money(value)
    return format.value(value, unit)


def _metric_words(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return format.MISSING
    if row["status"] == "switched_off":
        return "switched off"
    if row["status"] == "scored":
        return f"{row['value_text']} · {format.points(row['points'])} pts"
    reason = row["reason"] or "not enough data"
    return reason if row["value"] is None else f"{row['value_text']} · {reason}"


def _score_words(row: Mapping[str, Any] | None) -> str:
    if row is None or row["status"] == "not scored":
        covered = f": {row['coverage']}" if row is not None and row["coverage"] else ""
        return f"not scored{covered}"
    change = f" ({format.change(row['change'])})" if row["change"] is not None else ""
    text = f"{format.points(row['points'])}{change}"
    return f"{text} · thin coverage: {row['coverage']}" if row["status"] == "thin coverage" else text


def _ahead(names: list[str]) -> str:
    """Who has the most points: up to three names; more (a cohort where many reach 100) as the first
    two and how many more, so the column stays narrow."""
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def _unique_names(leaders: pl.DataFrame) -> list[str]:
    """Each leader's name as a column heading: the id beside a name shared by two leaders, or one that
    reads like a column of the tables."""
    names = [str(n) if n is not None and str(n).strip() else str(i)
             for n, i in zip(leaders["leader_name"].to_list(), leaders["leader_id"].to_list(), strict=True)]
    ids = [str(i) for i in leaders["leader_id"].to_list()]
    taken = set(_FIXED_TABLE_COLUMNS) | {"Org median"}
    return [f"{n} ({i})" if names.count(n) > 1 or n in taken else n for n, i in zip(names, ids, strict=True)]


def _number(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


# -- links ---------------------------------------------------------------------------------------------

def parse_leader_ids(text: str | None) -> list[str]:
    """``"U0005,U0006"`` (as a link carries it) -> ``["U0005", "U0006"]``; blanks and repeats dropped."""
    if not text:
        return []
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
