"""The tables the pages show: the ranking, the explanation of a score, the coaching priorities, the
team's figures and the settings, each with labelled columns formatted by ``scorecard.format``.

Functions that shape a frame are plain Polars; the ``*_columns`` functions give the matching
``st.column_config`` (how Streamlit draws each column).
"""

from __future__ import annotations

import weakref
from typing import Any

import polars as pl
import pyarrow as pa
import streamlit as st

from scorecard import drilldown, format
from scorecard.access import HostingMode
from scorecard.explain import mover_text
from scorecard.metrics import DISPLAY_FIGURES, METRICS, SCORES
from scorecard.rubric import Rubric
from scorecard.settings import Settings
from scorecard.ui.text import plain

# -- column formats ---------------------------------------------------------------------------------
# Streamlit draws each number column itself: these formats write what ``format`` writes, so a
# table and a caption agree (money exact with its currency, whole percentages, dates without a time).


def money_column(label: str, currency: str, help: str | None = None) -> Any:
    """An exact amount with its currency: ``$139,700``."""
    return st.column_config.NumberColumn(label, format=format.money_format(currency), help=help)


def share_column(label: str, help: str | None = None) -> Any:
    """A share as a whole percentage: ``42%``."""
    return st.column_config.NumberColumn(label, format="percent", step=0.01, help=help)


def number_column(label: str, fmt: str = "%.1f", help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format=fmt, help=help)


def count_column(label: str, help: str | None = None) -> Any:
    """A whole number with thousands separated: ``1,234``."""
    return number_column(label, "%,.0f", help)


def date_column(label: str, help: str | None = None) -> Any:
    """A date: ``15 Nov 2023``."""
    return st.column_config.DateColumn(label, format=format.DATE_FORMAT, help=help)


def moment_column(label: str, help: str | None = None) -> Any:
    """A date and time: ``15 Nov 2023, 14:05``."""
    return st.column_config.DatetimeColumn(label, format=format.DATETIME_FORMAT, help=help)


_UNIT_FORMATS = {"ratio": "%.2fx", "days": "%.0f days", "per_month": "%.1f/month",
                 "per_rep_day": "%.1f/rep/day", "contacts": "%.1f", "reps": "%d"}


def unit_column(label: str, unit: str, currency: str, help: str | None = None) -> Any:
    """A column of values in one unit of the metric catalogue, written as ``format.value`` writes them."""
    if unit == "money":
        return money_column(label, currency, help)
    if unit == "share":
        return share_column(label, help)
    if unit == "count":
        return count_column(label, help)
    return number_column(label, _UNIT_FORMATS.get(unit, "%.1f"), help)


TEAM_HEADINGS: dict[str, tuple[str, int]] = {
    "rep_name": ("Rep", 124), "manager_name": ("Manager", 120),
    "quota_attainment": ("vs pace", 70), "attainment_full_period": ("Attainment", 88),
    "won_amount": ("Won", 86), "period_quota": ("Quota", 86), "win_rate": ("Win rate", 72),
    "open_pipeline": ("Pipeline", 92), "pipeline_coverage": ("Coverage", 78),
    "activities_per_rep_day": ("Activity", 100), "stalled_deal_rate": ("Stalled", 66),
    "coaching_coverage": ("Coaching", 80),
}
"""The team table's headings and widths (pixels): short enough for the table to fit the page at
1366 px; each figure's full name and definition are its column's help (hover on the heading)."""

TEAM_TABLE_LEFT_TO_CSV = ("period_quota",)
"""Figures of the team's CSV that the page's table leaves out (attainment already says it)."""


def team_columns(team: pl.DataFrame, currency: str) -> tuple[list[str], dict[str, Any], dict[str, int]]:
    """The Leader page's team table: (column order, column configuration, widths), each figure in its
    unit under a short heading, its full name and definition as the heading's help. The manager column
    only when the team has more than one manager (a first-line leader's team has one: theirs)."""
    figures = [c for c in drilldown.team_table_columns() if c.key not in TEAM_TABLE_LEFT_TO_CSV]
    managers = team["manager_name"].n_unique() if "manager_name" in team.columns else 0
    order = ["rep_name", *(["manager_name"] if managers > 1 else []), *[c.key for c in figures]]
    config: dict[str, Any] = {"rep_name": "Rep", "manager_name": "Manager"}
    for c in figures:
        heading = TEAM_HEADINGS.get(c.key, (c.label, 0))[0]
        config[c.key] = unit_column(heading, c.unit, currency, f"{c.label}: {c.help}" if heading != c.label else c.help)
    return order, config, {k: TEAM_HEADINGS[k][1] for k in order if k in TEAM_HEADINGS}


COLUMN_LABELS: dict[str, str] = {
    "opportunity_id": "Deal", "account_id": "Account ID", "account_name": "Account", "owner_rep_id": "Owner ID",
    "owner_name": "Owner", "rep_id": "Rep ID", "rep_name": "Rep", "manager_id": "Manager ID",
    "manager_name": "Manager", "leader_id": "Leader ID", "leader_name": "Leader", "coach_id": "Coach ID",
    "activity_id": "Activity", "activity_at": "At", "created_date": "Created", "close_date": "Close date",
    "is_closed": "Closed", "is_won": "Won", "forecast_category": "Forecast", "contact_level": "Contact",
    "duration_min": "Minutes", "session_at": "Session", "last_activity_at": "Last activity",
    "last_touch_at": "Last touch", "days_since_activity": "Days since activity", "next_step": "Next step",
    "product_line": "Product line", "lead_source": "Lead source", "risk_flags": "Risk flags",
    "target_account": "Target account", "is_target": "Target account", "hire_date": "Hired",
    "termination_date": "Left", "loaded_at": "Loaded at", "loaded_by": "Loaded by", "checked_at": "Checked at",
    # the rows behind a metric
    "hygienic": "Hygienic", "hygiene_reason": "Why not hygienic", "outcome": "Outcome", "stage": "Stage",
    "cycle_days": "Sales cycle", "exec_meeting": "Met an executive", "quiet_21_days": "Quiet 21+ days",
    "history_stages": "Stages in history", "helpers": "Team beside the owner", "activities": "Activities",
    "first_activity_at": "First activity", "attainment": "Attainment (against pace)", "won_to_date": "Won to date",
    "quota_to_date": "Quota to date", "period_quota": "Quota (period)", "won_to_mid": "Won by mid-period",
    "quota_to_mid": "Quota to mid-period", "first_won_date": "First won", "ramp_days": "Ramp time",
    "employed_now": "Employed on the as-of date", "days_employed": "Days employed", "is_seller": "Seller",
    "depth": "Levels below the leader", "kind": "Kind", "role": "Role", "type": "Type",
}
"""Headings of the columns the data model names (any other: ``format.heading``)."""

COLUMN_UNITS: dict[str, str] = {
    "amount": "money", "open_pipeline": "money", "won_amount": "money", "period_quota": "money",
    "quota": "money", "quota_amount": "money", "pipeline": "money", "won_to_date": "money",
    "duration_min": "count", "days_since_activity": "count", "contacts": "count", "touches_30d": "count",
    "open_deals": "count", "rows": "count", "team_size": "count", "direct_reports": "count",
    "attainment": "ratio", "quota_to_date": "money", "won_to_mid": "money", "quota_to_mid": "money",
    "cycle_days": "days", "history_stages": "count", "activities": "count", "days_employed": "count",
    "depth": "count",
}
"""Columns whose numbers are in one unit; a metric's or display figure's key has the catalogue's."""


def _unit_of(column: str) -> str | None:
    if column in COLUMN_UNITS:
        return COLUMN_UNITS[column]
    if column in METRICS:
        return METRICS[column].unit
    if column in DISPLAY_FIGURES:
        return DISPLAY_FIGURES[column].unit
    return None


def columns(frame: pl.DataFrame, currency: str) -> dict[str, Any]:
    """A heading and a format for every column of ``frame``, from its name and type: money with its
    currency, shares as percentages, dates without a time, counts with thousands separated."""
    config: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        heading = COLUMN_LABELS.get(name) or format.heading(name)
        unit = _unit_of(name)
        if dtype == pl.Date:
            config[name] = date_column(heading)
        elif isinstance(dtype, pl.Datetime):
            config[name] = moment_column(heading)
        elif dtype.is_numeric() and unit is not None:
            config[name] = unit_column(heading, unit, currency)
        elif dtype.is_integer():
            config[name] = count_column(heading)
        else:
            config[name] = heading
    return config


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """The codes of ``format.CODE_COLUMNS`` in words (``c_level`` -> ``C-level``); CRM text stays as typed."""
    coded = [c for c in format.CODE_COLUMNS if c in frame.columns and frame.schema[c] == pl.String]
    if not coded:
        return frame
    return frame.with_columns(
        pl.col(c).replace_strict(format.CODES, default=pl.col(c), return_dtype=pl.String) for c in coded)


# -- the ranking --------------------------------------------------------------------------------------

def ranking_table(leaders: pl.DataFrame, score: str) -> pl.DataFrame:
    """Leaders ranked by ``score`` with the change against the previous period as an arrow, the
    metric that moved the score most (``moved_most_by``: "Win rate -6") and how much of the score's
    weight was scored. Leaders on thin coverage come after the others, marked,
    and are not given a rank as if their score were complete."""
    thin = pl.col("thin_coverage") if "thin_coverage" in leaders.columns else pl.lit(False)
    ranked = leaders.with_columns(thin.alias("thin_coverage")).sort(
        ["thin_coverage", score], descending=[False, True], nulls_last=True)
    change_col = f"{score}_change"
    changes = ranked[change_col].to_list() if change_col in ranked.columns else [None] * ranked.height
    keys = [k for k in SCORES if k in ranked.columns and k != score]
    share = f"{score}_coverage"
    coverage = (pl.col(share) if share in ranked.columns else pl.lit(None, dtype=pl.Float64))
    movers = [mover_text(m, c) for m, c in zip(
        ranked[f"{score}_mover"].to_list() if f"{score}_mover" in ranked.columns else [None] * ranked.height,
        ranked[f"{score}_mover_change"].to_list() if f"{score}_mover_change" in ranked.columns
        else [None] * ranked.height, strict=True)]
    return ranked.select(
        pl.when(~pl.col("thin_coverage")).then(pl.int_range(1, ranked.height + 1)).alias("rank"),
        pl.col("leader_id"), pl.col("leader_name"), pl.col(score),
        pl.Series("change", [format.change(c) for c in changes], dtype=pl.String),
        pl.Series("moved_most_by", movers, dtype=pl.String),
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
        "moved_most_by": st.column_config.TextColumn(
            "Moved most by", width="medium",
            help="The metric that moved the score most against the previous quarter, and by how many points of the"
                 " score (its change of points at its share of the score)"),
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

def explanation_table(explanation: pl.DataFrame, currency: str) -> pl.DataFrame:
    """``Scorecard.explain`` with the value in its unit, the status in words and how much of each
    score's weight was scored (``score_coverage``)."""
    values = [format.value(v, u, currency) for v, u in zip(explanation["value"].to_list(),
                                                            explanation["unit"].to_list(), strict=True)]
    return explanation.select(
        pl.col("score_label"), pl.col("metric"), pl.col("metric_label"),
        pl.Series("value_text", values, dtype=pl.String), pl.col("points"), pl.col("weight"),
        pl.col("effective_weight"), pl.col("sample"), pl.col("min_sample"),
        pl.col("status").replace_strict(format.CODES, default=pl.col("status"), return_dtype=pl.String)
        .alias("status"),
        pl.col("reason"),
        (pl.col("score_coverage") if "score_coverage" in explanation.columns
         else pl.lit(None, dtype=pl.String)).alias("score_coverage"),
    )


EXPLANATION_WIDTHS = {"score_label": 145, "metric_label": 300}
"""The explanation table's score and metric columns wide enough for every name (the figures beside
them scroll into view)."""


def explanation_columns() -> dict[str, Any]:
    return {
        "score_label": "Score", "metric": None, "metric_label": "Metric", "value_text": "Value",
        "points": number_column("Points", "%.0f"),
        # a weight is a number of the rubric (3, 2, 1), not a rate; its share of the score is the rate
        "weight": st.column_config.NumberColumn("Weight", format="plain",
                                                help="The metric's weight in this score, as the rubric sets it"),
        "effective_weight": share_column(
            "Share of score",
            help="The metric's share of the score once the weight of metrics without data is spread over"
                 " the rest (0% when it is not scored)"),
        "sample": "Sample", "min_sample": "Minimum", "status": "Status", "reason": "Why",
        "score_coverage": st.column_config.TextColumn(
            "Score scored on", help="How many of the score's metrics were scored and how much of its weight"),
    }


def rows_columns(rows: pl.DataFrame, metric: str, currency: str) -> tuple[list[str], dict[str, Any]]:
    """The CRM rows behind a metric (``Scorecard.metric_rows``): (column order, configuration). The
    columns that decide the metric come first, as the package orders them (``Metric.deciding``),
    each with a note that it decides the metric; then what names the row; an id is left out where
    a name beside it says who or what it is, and so are the metric's row filter (true on every row)
    and the won and closed flags beside the outcome."""
    definition = METRICS.get(metric)
    deciding = set(definition.deciding if definition else ())
    named = {"owner_rep_id": "owner_name", "rep_id": "rep_name", "account_id": "account_name"}
    hidden = {i for i, name in named.items() if i in rows.columns and name in rows.columns and i not in deciding}
    if definition and definition.row_filter and definition.row_filter not in deciding:
        hidden.add(definition.row_filter)
    if "outcome" in rows.columns:  # won, lost or open says what the two flags say
        hidden |= {"is_won", "is_closed"} - deciding
    order = [c for c in rows.columns if c not in hidden]
    config: dict[str, Any] = {}
    if definition:
        label = definition.label
        for name, value in columns(rows.select([c for c in rows.columns if c in deciding]), currency).items():
            heading = value if isinstance(value, str) else value.get("label")
            config[name] = _with_help(value, heading, f"Decides {label}")
    return order, config


def _with_help(value: Any, heading: str | None, help: str) -> Any:
    """A column configuration with ``help`` (a bare heading becomes a text column)."""
    if isinstance(value, str):
        return st.column_config.Column(heading, help=help)
    return {**value, "help": help}


PRIORITIES_COLUMNS: dict[str, Any] = {
    "Overall points to gain": st.column_config.TextColumn(
        "Gain", help="Overall points to gain: how much the overall score would rise with the metric at its target"),
}
PRIORITIES_WIDTHS = {"Metric": 190, "Now": 56, "Target": 56, "Overall points to gain": 52}
"""The coaching priorities beside the explanation: every column in sight in the page's narrow column."""


def priorities_table(priorities: pl.DataFrame, currency: str) -> pl.DataFrame:
    """The coaching priorities in words: now, target and the overall points each would add."""
    units = [METRICS[m].unit if m in METRICS else "" for m in priorities["metric"].to_list()]
    return pl.DataFrame({
        "Metric": priorities["metric_label"].to_list(),
        "Now": [format.value(v, u, currency) for v, u in zip(priorities["value"].to_list(), units, strict=True)],
        "Target": [format.value(v, u, currency) for v, u in zip(priorities["target"].to_list(), units,
                                                                 strict=True)],
        "Overall points to gain": [format.points(g) for g in priorities["gain"].to_list()],
    }, schema={"Metric": pl.String, "Now": pl.String, "Target": pl.String, "Overall points to gain": pl.String})


def vs_team_table(vs_team: pl.DataFrame, currency: str) -> pl.DataFrame:
    """The rep against the team median (``drilldown.rep_vs_team_median``) in words: each value in its
    unit, ahead, behind or level (the two read the same as written), and why a metric is not scored."""
    def text(values: pl.Series) -> list[str]:
        return [format.value(v, u, currency) for v, u in zip(values.to_list(), vs_team["unit"].to_list(),
                                                              strict=True)]

    rep, median = text(vs_team["rep"]), text(vs_team["team_median"])

    def side(ahead: bool | None, rep_text: str, median_text: str) -> str:
        if ahead is None:
            return format.MISSING
        if rep_text == median_text:  # the same figure as written: neither ahead nor behind
            return "level"
        return "ahead" if ahead else "behind"

    return pl.DataFrame({
        "Metric": vs_team["label"].to_list(),
        "Rep": rep,
        "Team median": median,
        "": [side(a, r, m) for a, r, m in zip(vs_team["ahead"].to_list(), rep, median, strict=True)],
        "Status": ["" if s == "scored" else format.label(s) for s in vs_team["status"].to_list()],
    }, schema={"Metric": pl.String, "Rep": pl.String, "Team median": pl.String, "": pl.String,
               "Status": pl.String})


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


# -- what a table sends, made once per frame ------------------------------------------------------------

_SHOWN: dict[tuple[int, str], tuple[weakref.ref[pl.DataFrame], pa.Table, dict[str, Any]]] = {}
"""(id of a frame, currency) -> (the frame, its Arrow table as shown, its column configuration)."""


def shown(frame: pl.DataFrame, currency: str) -> tuple[pa.Table, dict[str, Any]]:
    """What ``st.dataframe`` shows for ``frame`` (``readable``: codes in words) as the Arrow table
    Streamlit would make of it, and the frame's column configuration (``columns``).

    Made once per frame object: a frame kept in the app's cache (``cache.kept``) is the same object
    on every page run of every session, so its table is converted once while it is kept, instead of
    Polars to pandas to Arrow on every run. A frame made during the run is converted as before."""
    from streamlit import dataframe_util

    key = (id(frame), currency)
    found = _SHOWN.get(key)
    if found is not None and found[0]() is frame:
        return found[1], found[2]
    readable_frame = dataframe_util.convert_anything_to_pandas_df(readable(frame), ensure_copy=False)
    table = dataframe_util.convert_pandas_df_to_arrow_table(readable_frame)
    config = columns(frame, currency)
    _SHOWN[key] = (weakref.ref(frame, lambda _gone: _SHOWN.pop(key, None)), table, config)
    return table, config
