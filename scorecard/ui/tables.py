"""The tables the pages show: the ranking, the explanation of a score, the coaching priorities, the
team's figures and the settings, each with labelled columns formatted by ``scorecard.ui.format``.

Functions that shape a frame are plain Polars; the ``*_columns`` functions give the matching
``st.column_config`` (how Streamlit draws each column).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from scorecard import drilldown
from scorecard.access import HostingMode
from scorecard.metrics import METRICS, SCORES, format_value
from scorecard.rubric import Rubric
from scorecard.settings import Settings
from scorecard.ui import format
from scorecard.ui.text import plain

# -- column formats ---------------------------------------------------------------------------------


def money_column(label: str, currency: str, help: str | None = None) -> Any:
    code = currency.upper()
    fmt = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}.get(code, "localized")
    return st.column_config.NumberColumn(label, format=fmt, help=help)


def percent_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="percent", help=help)


def number_column(label: str, fmt: str = "%.1f", help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format=fmt, help=help)


_FORMATS = {"ratio": "%.2fx", "days": "%.0f days", "per_month": "%.1f/month", "per_rep_day": "%.1f/day",
            "contacts": "%.1f", "reps": "%d", "count": "%d"}


def figure_column(column: drilldown.Column, currency: str) -> Any:
    """A team-table column in the figure's unit, as the explanation writes it, with its definition."""
    if column.unit == "money":
        return money_column(column.label, currency, column.help)
    if column.unit == "share":
        return percent_column(column.label, column.help)
    return number_column(column.label, _FORMATS.get(column.unit, "%.1f"), column.help)


def team_columns(currency: str) -> tuple[list[str], dict[str, Any]]:
    """The Leader page's team table: (column order, column configuration)."""
    figures = drilldown.team_table_columns()
    return (["rep_name", "manager_name", *[c.key for c in figures]],
            {"rep_name": "Rep", "manager_name": "Manager", **{c.key: figure_column(c, currency) for c in figures}})


# -- the ranking --------------------------------------------------------------------------------------

def ranking_table(leaders: pl.DataFrame, score: str) -> pl.DataFrame:
    """Leaders ranked by ``score`` with the change against the previous period as an arrow and how
    much of the score's weight was scored. Leaders on thin coverage come after the others, marked,
    and are not given a rank as if their score were complete."""
    thin = pl.col("thin_coverage") if "thin_coverage" in leaders.columns else pl.lit(False)
    ranked = leaders.with_columns(thin.alias("thin_coverage")).sort(
        ["thin_coverage", score], descending=[False, True], nulls_last=True)
    change_col = f"{score}_change"
    changes = ranked[change_col].to_list() if change_col in ranked.columns else [None] * ranked.height
    keys = [k for k in SCORES if k in ranked.columns and k != score]
    share = f"{score}_coverage"
    coverage = (pl.col(share) if share in ranked.columns else pl.lit(None, dtype=pl.Float64))
    return ranked.select(
        pl.when(~pl.col("thin_coverage")).then(pl.int_range(1, ranked.height + 1)).alias("rank"),
        pl.col("leader_id"), pl.col("leader_name"), pl.col(score),
        pl.Series("change", [format.change(c) for c in changes], dtype=pl.String),
        coverage.alias("coverage"),
        pl.when(pl.col("thin_coverage")).then(pl.lit("thin coverage: not ranked")).otherwise(pl.lit(""))
        .alias("note"),
        (pl.col("coverage") if "coverage" in ranked.columns else pl.lit(None, dtype=pl.String))
        .alias("overall_scored_on"),
        *[pl.col(k) for k in keys],
        *[pl.col(c) for c in ("region", "level", "team_size") if c in ranked.columns],
    ).with_columns(pl.col("rank").cast(pl.Int64))


def ranking_columns() -> dict[str, Any]:
    config: dict[str, Any] = {
        "rank": number_column("#", "%d"), "leader_id": None, "leader_name": "Leader",
        "change": st.column_config.TextColumn("vs last quarter",
                                              help="Against the previous quarter; while this quarter runs,"
                                                   " against the previous one at the same share elapsed"),
        "coverage": st.column_config.ProgressColumn(
            "Weight scored", min_value=0, max_value=1, format="percent",
            help="How much of the score's weight has the data it needs; the rest is switched off or has too"
                 " little data, and its weight is spread over the scored metrics"),
        "note": "Note", "overall_scored_on": st.column_config.TextColumn(
            "Overall scored on", help="How many of the five roles were scored and how much of their weight"),
        "region": "Region",
        "level": number_column("Level", "%d"), "team_size": number_column("Team", "%d"),
    }
    for key, label in SCORES.items():
        config[key] = st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f")
    return config


def thin_note(leaders: pl.DataFrame, rubric: Rubric) -> str | None:
    """What the page says when some leaders are scored on little of the weight, else None."""
    if "thin_coverage" not in leaders.columns:
        return None
    thin = leaders.filter(pl.col("thin_coverage"))
    if thin.is_empty():
        return None
    names = ", ".join(plain(n) for n in thin["leader_name"].fill_null(thin["leader_id"]).to_list()[:6])
    more = "" if thin.height <= 6 else f" and {thin.height - 6} more"
    return (f"{thin.height} of {leaders.height} leaders are scored on less than {rubric.coverage.thin_below:.0%} of"
            f" the weight ({names}{more}): the data lacks what most of their metrics need, so they are listed"
            " after the others, without a rank. The Data quality page says what would switch the metrics on.")


def marked_names(leaders: pl.DataFrame) -> pl.DataFrame:
    """The leaders with "(thin coverage)" after the name of those scored on little of the weight,
    for charts that show names only."""
    if "thin_coverage" not in leaders.columns:
        return leaders
    return leaders.with_columns(
        pl.when(pl.col("thin_coverage"))
        .then(pl.format("{} (thin coverage)", pl.col("leader_name").fill_null(pl.col("leader_id"))))
        .otherwise(pl.col("leader_name")).alias("leader_name"))


# -- why the score is what it is ----------------------------------------------------------------------

def explanation_table(explanation: pl.DataFrame) -> pl.DataFrame:
    """``Scorecard.explain`` with the value in its unit, the status in words and how much of each
    score's weight was scored (``score_coverage``)."""
    values = [format_value(v, u) for v, u in zip(explanation["value"].to_list(),
                                                   explanation["unit"].to_list(), strict=True)]
    status = {"scored": "scored", "not_enough_data": "not enough data", "switched_off": "switched off"}
    return explanation.select(
        pl.col("score_label"), pl.col("metric"), pl.col("metric_label"),
        pl.Series("value_text", values, dtype=pl.String), pl.col("points"), pl.col("weight"),
        pl.col("effective_weight"), pl.col("sample"), pl.col("min_sample"),
        pl.col("status").replace_strict(status, default=pl.col("status")).alias("status"),
        pl.col("reason"),
        (pl.col("score_coverage") if "score_coverage" in explanation.columns
         else pl.lit(None, dtype=pl.String)).alias("score_coverage"),
    )


def explanation_columns() -> dict[str, Any]:
    return {
        "score_label": "Score", "metric": None, "metric_label": "Metric", "value_text": "Value",
        "points": st.column_config.NumberColumn("Points", format="%.0f"),
        # a weight is a number of the rubric (3, 2, 1), not a rate; its share of the score is the rate
        "weight": st.column_config.NumberColumn("Weight", format="plain",
                                                help="The metric's weight in this score, as the rubric sets it"),
        "effective_weight": st.column_config.NumberColumn(
            "Share of score", format="percent",
            help="The metric's share of the score once the weight of metrics without data is spread over"
                 " the rest (0% when it is not scored)"),
        "sample": "Sample", "min_sample": "Minimum", "status": "Status", "reason": "Why",
        "score_coverage": st.column_config.TextColumn(
            "Score scored on", help="How many of the score's metrics were scored and how much of its weight"),
    }


def priorities_table(priorities: pl.DataFrame) -> pl.DataFrame:
    """The coaching priorities in words: now, target and the overall points each would add."""
    units = [METRICS[m].unit if m in METRICS else "" for m in priorities["metric"].to_list()]
    return pl.DataFrame({
        "Metric": priorities["metric_label"].to_list(),
        "Now": [format_value(v, u) for v, u in zip(priorities["value"].to_list(), units, strict=True)],
        "Target": [format_value(v, u) for v, u in zip(priorities["target"].to_list(), units, strict=True)],
        "Overall points to gain": [format.points(g) for g in priorities["gain"].to_list()],
    })


# -- the settings in force ----------------------------------------------------------------------------

def settings_table(settings: Settings, mode: HostingMode, rubric_source: str) -> pl.DataFrame:
    """The settings in force, as the methodology page lists them: values, never the server's file
    paths (where the database, the access file and the inbox live is for whoever runs the server)."""
    values = {
        "Fiscal year starts in month": str(settings.fiscal_year_start_month),
        "Reporting currency": settings.reporting_currency, "Rubric": rubric_source,
        "Login": {"login": "OpenID Connect: each viewer sees their part of the organisation",
                  "local": "local install on this machine, no login",
                  "refuse": "none configured: no data is shown"}[mode],
        "Upload limit": f"{settings.upload_limit_mb} MB per file",
        "Longest text value": f"{settings.text_value_limit:,} characters",
        "Deepest reporting chain": f"{settings.hierarchy_depth_limit} levels",
    }
    return pl.DataFrame({"Setting": list(values), "Value": list(values.values())})
