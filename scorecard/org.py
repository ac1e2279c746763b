"""What is loaded: the org as the viewer may see it, each extract's rows and columns, the checks.

Feeds the org overview and the data-quality pages. Functions take a read-only connection from
``Store.reader()`` and return Polars frames. Given the reps a viewer may see (``visible_reps``),
counts, column fill and flagged rows cover only the rows that name those people; the verdicts of
uploads and the load history are for viewers who see the whole org's data
(``access.Viewer.sees_whole_org_data``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from scorecard import sql
from scorecard.rubric import Rubric
from scorecard.schema import CORE_EXTRACTS, EXTRACTS


def org_people(con: duckdb.DuckDBPyConnection, visible_reps: Sequence[str]) -> pl.DataFrame:
    """Everyone the viewer may see, with manager (inside the view), level and team size."""
    return sql.run(con, "drill_org_people", visible_reps=list(visible_reps))


def leaders_overview(people: pl.DataFrame) -> pl.DataFrame:
    """The leaders among ``people`` (anyone with a team), top of the org first."""
    return (
        people.filter(pl.col("team_size") > 0)
        .select("rep_id", "rep_name", "manager_name", "level", "region", "direct_reports", "team_size")
        .sort(["level", "team_size", "rep_name"], descending=[False, True, False], nulls_last=True)
    )


PERSON_COLUMNS = ("rep_id", "owner_rep_id", "leader_id")
"""The columns by which a row of an extract names people (``queries/visible_column_fill.sql``)."""


def names_people(extract: str) -> bool:
    """Whether the rows of an extract name a person (so a viewer's share of them can be counted)."""
    return any(c in EXTRACTS[extract].column_names for c in PERSON_COLUMNS)


def extract_rows(con: duckdb.DuckDBPyConnection, visible_reps: Sequence[str] | None = None) -> pl.DataFrame:
    """Each canonical extract with its row count, whether it is optional, and its description.

    With ``visible_reps``, the rows that name only those people; an extract whose rows name no one
    (deal history, currency rates) has no count (null)."""
    if visible_reps is None:
        counts = sql.run(con, "extract_row_counts")
    else:
        fill = column_fill(con, visible_reps=visible_reps)
        counts = fill.group_by("extract").agg(pl.col("rows").first().cast(pl.Int64))
    meta = pl.DataFrame({
        "extract": list(EXTRACTS),
        "optional": [e.optional for e in EXTRACTS.values()],
        "description": [e.description for e in EXTRACTS.values()],
    })
    joined = meta.join(counts, on="extract", how="left")
    if visible_reps is None:
        return joined.with_columns(pl.col("rows").fill_null(0))
    counted = [name for name in EXTRACTS if names_people(name)]
    return joined.with_columns(pl.when(pl.col("extract").is_in(counted)).then(pl.col("rows").fill_null(0))
                               .alias("rows"))


def missing_core_extracts(rows: pl.DataFrame) -> list[str]:
    """The required extracts that hold no rows: what to upload before anything can be scored."""
    empty = set(rows.filter(pl.col("rows") == 0)["extract"].to_list())
    return [name for name in CORE_EXTRACTS if name in empty]


def column_fill(con: duckdb.DuckDBPyConnection, extracts: Sequence[str] | None = None, *,
                visible_reps: Sequence[str] | None = None) -> pl.DataFrame:
    """How full each column of each extract is: ``extract``, ``column``, ``rows``, ``filled``,
    ``fill_share`` (null when the extract is empty) and ``required``.

    With ``visible_reps``, over the rows that name only those people, and only for the extracts
    whose rows name someone."""
    parts = []
    for name in extracts or list(EXTRACTS):
        extract = EXTRACTS[name]
        if visible_reps is None:
            counts = sql.run(con, "drill_column_fill", extract=name).row(0, named=True)
        elif names_people(name):
            counts = sql.run(con, "visible_column_fill", extract=name,
                             visible_reps=list(visible_reps)).row(0, named=True)
        else:
            continue
        rows = int(counts.pop("__rows"))
        parts.append(pl.DataFrame({
            "extract": [name] * len(extract.columns),
            "column": extract.column_names,
            "rows": [rows] * len(extract.columns),
            "filled": [int(counts.get(c, 0)) for c in extract.column_names],
            "required": [c.required for c in extract.columns],
        }))
    frame = pl.concat(parts)
    return frame.with_columns(
        (pl.col("filled") / pl.when(pl.col("rows") > 0).then(pl.col("rows"))).alias("fill_share")
    )


@dataclass(frozen=True)
class DataQuality:
    """What the Data quality page shows: the latest checks, the rows loaded with a flag, how full
    each column is."""

    checks: pl.DataFrame | None
    """The latest checks of the uploads (with their samples); None for a viewer who does not see the
    whole org's data."""
    flagged: pl.DataFrame
    """extract, row_key, file, line, rule, column_name, load_id: every row in place loaded with a flag
    (that the viewer may see)."""
    fill: pl.DataFrame
    whole_org: bool = True
    """Whether the figures cover the whole org, or only the rows of the people the viewer may see."""

    @property
    def flag_counts(self) -> pl.DataFrame:
        """Rows in place per extract and rule that broke it (a row breaking two rules counts in both)."""
        return (self.flagged.group_by("extract", "rule", "column_name")
                .agg(pl.col("row_key").n_unique().alias("rows"), pl.col("file").unique().sort().str.join(", ")
                     .alias("files"))
                .sort("extract", "rows", descending=[False, True]))


FLAGGED_ROWS_SHOWN = 1_000
"""The Data quality page lists at most this many flagged rows (the counts cover them all)."""


def data_quality(con: duckdb.DuckDBPyConnection, visible_reps: Sequence[str] | None = None) -> DataQuality:
    """The whole org's checks, flagged rows and column fill; with ``visible_reps`` (a viewer who does
    not see the whole org's data), no checks, and the flagged rows and fill of those people's rows."""
    if visible_reps is None:
        return DataQuality(latest_checks(con), sql.run(con, "flagged_rows"), column_fill(con))
    flagged = sql.run(con, "flagged_rows_visible", visible_reps=list(visible_reps))
    return DataQuality(None, flagged, column_fill(con, visible_reps=visible_reps), whole_org=False)


def latest_checks(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The newest check results of each extract (rejected loads included), failures first."""
    return sql.run(con, "drill_latest_checks")


def check_summary(checks: pl.DataFrame) -> pl.DataFrame:
    """One row per extract: when it was last checked, whether the load was accepted, rules
    passed and failed, and the rows that failed."""
    if checks.is_empty():
        return pl.DataFrame(schema={"extract": pl.String, "checked_at": pl.Datetime("us"),
                                    "accepted": pl.Boolean, "rules": pl.UInt32,
                                    "failed_rules": pl.UInt32, "failed_rows": pl.Int64})
    return (
        checks.group_by("extract")
        .agg(
            pl.col("checked_at").max().alias("checked_at"),
            pl.col("accepted").all().alias("accepted"),
            pl.len().alias("rules"),
            (~pl.col("passed").fill_null(False)).sum().alias("failed_rules"),
            pl.col("failed_rows").fill_null(0).sum().alias("failed_rows"),
        )
        .sort("extract")
    )


@dataclass(frozen=True)
class OrgOverview:
    """What the org overview page shows."""

    people: pl.DataFrame
    leaders: pl.DataFrame
    extracts: pl.DataFrame
    """Rows per extract: the whole org's, or for a viewer who sees part of it, their people's rows."""
    loads: pl.DataFrame | None
    """The load history; None for a viewer who does not see the whole org's data."""
    missing_core: list[str]
    """The required extracts not loaded at all (what to upload before anything is scored)."""


def org_overview(con: duckdb.DuckDBPyConnection, visible_reps: Sequence[str],
                 loads: pl.DataFrame | None, *, whole_org: bool = True) -> OrgOverview:
    """The viewer's part of the org; row counts of the whole org when ``whole_org``, else of the rows
    that name the people in ``visible_reps``; ``loads`` as given (None hides the history)."""
    people = org_people(con, visible_reps)
    everything = extract_rows(con)
    extracts = everything if whole_org else extract_rows(con, visible_reps)
    return OrgOverview(people=people, leaders=leaders_overview(people), extracts=extracts, loads=loads,
                       missing_core=missing_core_extracts(everything))


def failed_checks(checks: pl.DataFrame) -> pl.DataFrame:
    """The failed rules of the latest checks: file, column, rule, rows and a sample."""
    return (
        checks.filter(~pl.col("passed").fill_null(False))
        .select("extract", "file", "column_name", "rule", "outcome", "failed_rows", "message", "sample")
    )


def loaded_columns(fill: pl.DataFrame) -> pl.DataFrame:
    """``column_fill`` of the extracts that hold rows, emptiest columns first."""
    return fill.filter(pl.col("rows") > 0).sort(["fill_share", "extract", "column"])


def methodology_table(rubric: Rubric) -> pl.DataFrame:
    """The rubric in force, one row per (score, metric): weight, band, minimum sample, definition,
    unit and source, read from the same catalogue and rubric as the scoring."""
    from scorecard.metrics import METRICS, SCORES, UNIT_LABELS

    rows = []
    for score, metric_key, weight in rubric.weight_rows():
        metric = METRICS[metric_key]
        band = rubric.bands.get(metric_key)
        rows.append({
            "score": score, "score_label": SCORES[score], "metric": metric_key, "metric_label": metric.label,
            "weight": weight, "band": band.describe() if band else "-",
            "min_sample": band.min_sample if band else None, "sample": metric.sample,
            "unit": UNIT_LABELS.get(metric.unit, metric.unit), "direction": metric.direction,
            "definition": metric.definition, "source": band.source if band else "",
        })
    frame = pl.DataFrame(rows, schema={
        "score": pl.String, "score_label": pl.String, "metric": pl.String, "metric_label": pl.String,
        "weight": pl.Float64, "band": pl.String, "min_sample": pl.Int64, "sample": pl.String,
        "unit": pl.String, "direction": pl.String, "definition": pl.String, "source": pl.String,
    })
    totals = frame.group_by("score").agg(pl.col("weight").sum().alias("total"))
    return (frame.join(totals, on="score", how="left")
            .with_columns((pl.col("weight") / pl.col("total")).alias("weight_share")).drop("total"))


def score_metrics(table: pl.DataFrame, score: str) -> pl.DataFrame:
    """The rows of ``methodology_table`` for one score, heaviest metric first."""
    return (table.filter(pl.col("score") == score).sort("weight", descending=True)
            .select("metric_label", "weight_share", "band", "min_sample", "sample", "unit", "definition",
                    "source"))
