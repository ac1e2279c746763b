"""Drill-downs below the score: a leader's team and one rep's live view.

Every figure here that bears a metric's name is that metric of the catalogue (``scorecard.metrics``),
computed per rep and per leader by the metric queries the score is computed with
(``scoring.rep_metric_values`` for each rep on their own, the scored leaders for each leader's
whole team); the other figures are the catalogue's display figures (``DISPLAY_FIGURES``), each
with a name of its own. Periods are counted as the score counts them: from the period's first day
up to the as-of date, exclusive (``scoring.window``).

Everything reads the store with a connection the caller opens (``Store.reader()``), takes the
viewer's ``visible_reps`` and returns Polars frames, so the app, the CLI and a notebook show the
same numbers. ``today`` is the as-of date (the data's, never the machine's clock), a parameter so
the figures can be checked by hand on a fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import duckdb
import polars as pl

from scorecard import format, sql
from scorecard.as_of import data_as_of
from scorecard.calendar import Period
from scorecard.metrics import DISPLAY_FIGURES, METRICS
from scorecard.rubric import Rubric, default_rubric
from scorecard.scoring import (
    Window,
    assess,
    compute_metric_values,
    data_facts,
    query_params,
    rep_metric_values,
    switched_off_for,
    visible_leaders,
    window,
)

T = TypeVar("T")

RISK_FLAGS: dict[str, str] = {
    "stalled": "Stalled",
    "slipped": "Slipped close date",
    "no_next_step": "No next step",
    "single_threaded": "Single-threaded",
}
"""The risk flags of a deal at risk (``DISPLAY_FIGURES["deals_at_risk"]``), strongest first, in words."""

STRONG_SIGNS: tuple[str, ...] = ("stalled", "slipped")
"""The flags that say a deal is going wrong (no one has worked it for three weeks, or it has not closed
when it should have); the other two say that its record has a gap (no next step, one contact)."""

DEALS_AT_RISK_SHOWN = 10
"""Deals at risk a page lists before the rest (the most urgent ones)."""

MOST_URGENT_FIRST = (
    "Most urgent first: deals both stalled and slipped, then those stalled or slipped, then those whose"
    " only flags are no next step or a single contact; within each, the biggest amount first, then the"
    " nearest close date (one already passed first)."
)
"""How :func:`most_urgent_first` orders deals at risk, in the sales leader's words."""

TEAM_METRICS: tuple[str, ...] = tuple(m.key for m in METRICS.values() if m.per_rep)
"""The metrics that make sense for one rep on their own, in catalogue order: a column each in the
team table, a row each in the rep's comparison with the team."""

FIGURE_COLUMNS: tuple[str, ...] = ("won_amount", "period_quota", "attainment_full_period", "open_pipeline")
"""The display figures computed per rep and per leader (``queries/drill_figures.sql``)."""

TEAM_TABLE: tuple[str, ...] = tuple(
    key for key in ("quota_attainment", "attainment_full_period", "won_amount", "period_quota",
                    "win_rate", "open_pipeline", "pipeline_coverage", "activities_per_rep_day",
                    "stalled_deal_rate", "coaching_coverage")
    if key in METRICS or key in DISPLAY_FIGURES
)
"""The figures the Leader page's team table shows, in order (a metric the catalogue lacks is left out)."""


@dataclass(frozen=True)
class Column:
    """How a page labels and formats one figure column."""

    key: str
    label: str
    unit: str
    help: str


def figure_column(key: str) -> Column:
    """The label, unit and definition of a metric or a display figure, from the catalogue."""
    if key in METRICS:
        metric = METRICS[key]
        return Column(key, metric.label, metric.unit, metric.definition)
    figure = DISPLAY_FIGURES[key]
    return Column(key, figure.label, figure.unit, figure.definition)


def team_table_columns() -> list[Column]:
    return [figure_column(key) for key in TEAM_TABLE]


# -- the figures of a period, per rep and per leader ------------------------------------------------

_FIGURES_SCHEMA: dict[str, Any] = {
    "unit_id": pl.String, **dict.fromkeys(TEAM_METRICS, pl.Float64), **dict.fromkeys(FIGURE_COLUMNS, pl.Float64),
}


@dataclass(frozen=True)
class TeamFigures:
    """Every figure of the drill-downs for one period, from the metric engine.

    ``reps``: one row per visible rep (``unit_id``) with the metrics of that rep on their own
    (``TEAM_METRICS``; null for a rep who leads a team, whom the engine scores as a leader) and the
    display figures of their own deals. ``leaders``: one row per visible leader with the same
    columns over their whole team, as their score counts it. ``rep_values``: the engine's per-rep
    assessment (``scoring.rep_metric_values``: value, sample, status, team median). A metric
    switched off by missing data is null, never 0.
    """

    window: Window
    """The period and its as-of date (exclusive), as the score measures them."""
    reps: pl.DataFrame
    leaders: pl.DataFrame
    rep_values: pl.DataFrame

    @property
    def period(self) -> Period:
        return self.window.period

    def of_rep(self, rep_id: str) -> dict[str, Any]:
        """One rep's figures, with ``expected_attainment`` (empty when the rep is not among them)."""
        found = self.reps.filter(pl.col("unit_id") == rep_id)
        if found.is_empty():
            return {}
        return {**found.row(0, named=True), "expected_attainment": self.window.elapsed_share}


def _wide(values: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Long (unit, metric, value, status) -> one row per unit, a column per per-rep metric; a
    switched-off metric is null."""
    long = (
        values.filter(pl.col("metric").is_in(TEAM_METRICS))
        .select(pl.col(id_col).alias("unit_id"), "metric",
                pl.when(pl.col("status") != "switched_off").then(pl.col("value")).alias("value"))
    )
    if long.is_empty():
        return pl.DataFrame(schema={"unit_id": pl.String, **dict.fromkeys(TEAM_METRICS, pl.Float64)})
    wide = long.pivot(on="metric", index="unit_id", values="value")
    missing = [pl.lit(None, dtype=pl.Float64).alias(m) for m in TEAM_METRICS if m not in wide.columns]
    return wide.with_columns(missing).select("unit_id", *[pl.col(m).cast(pl.Float64) for m in TEAM_METRICS])


def _figures_frame(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], values: pl.DataFrame,
                   id_col: str, per_rep: bool) -> pl.DataFrame:
    shown = sql.run(con, "drill_figures", **{**params, "per_rep": per_rep})
    return (
        shown.join(_wide(values, id_col), on="unit_id", how="left")
        .select(list(_FIGURES_SCHEMA))
        .cast(_FIGURES_SCHEMA)  # type: ignore[arg-type]
    )


def team_figures(con: duckdb.DuckDBPyConnection, win: Window, params: Mapping[str, Any],
                 rep_values: pl.DataFrame, leader_values: pl.DataFrame) -> TeamFigures:
    """The drill-down figures of one scoring window.

    ``params`` are the metric queries' parameters for ``win`` (``scoring.query_params``, the visible
    reps among them); ``rep_values`` the engine's per-rep assessment for them
    (``scoring.rep_metric_values``) and ``leader_values`` the scored leaders' (``scoring.assess``:
    leader_id, metric, value, status).
    """
    return TeamFigures(
        window=win,
        reps=_figures_frame(con, params, rep_values, "rep_id", per_rep=True),
        leaders=_figures_frame(con, params, leader_values, "leader_id", per_rep=False),
        rep_values=rep_values,
    )


_NO_LEADER_VALUES = pl.DataFrame(schema={"leader_id": pl.String, "metric": pl.String, "value": pl.Float64,
                                         "status": pl.String})


def figures_for(con: duckdb.DuckDBPyConnection, reps: Sequence[str], period: Period, today: date, *,
                rubric: Rubric | None = None, fiscal_year_start_month: int = 1,
                with_leaders: bool = True) -> TeamFigures:
    """The figures of ``reps`` (the reps the viewer may see) as ``Scorecard.team_figures`` gives them,
    scored with ``rubric`` (default: the shipped one) as ``Scorecard.scored`` scores them: the same
    window, data facts and switched-off metrics, computed for the whole org and then kept for
    ``reps``. So a rep's points are their percentile among every rep of the org, a leader's team
    figures count the whole team (as their score does), and a team median is the median of the
    manager's whole team, shown only where ``reps`` hold the manager. ``with_leaders`` False leaves
    out the leaders' team figures. ``Scorecard.team_figures`` computes the org's figures once and
    keeps them; this is for a bare connection."""
    rubric = rubric or default_rubric()
    win = window(period, today)
    facts = data_facts(con, data_as_of(con))
    everyone = sql.run(con, "drill_org_reps")["rep_id"].to_list()
    params = query_params(win, everyone, rubric, fiscal_year_start_month, data_start=facts.first_day,
                          judge_next_step=facts.presence.get("opportunities.next_step", 0) > 0,
                          judge_activity=facts.presence.get("activities.opportunity_id", 0) > 0)
    off = switched_off_for(facts, rubric, win, fiscal_year_start_month)
    rep_values = rep_metric_values(con, params, rubric, off, win.complete)
    leader_values = _NO_LEADER_VALUES
    if with_leaders:
        leaders = visible_leaders(con, everyone)
        if leaders.height:
            leader_values = assess(leaders, compute_metric_values(con, params), rubric, switched_off=off,
                                   period_complete=win.complete)
    return visible_figures(team_figures(con, win, params, rep_values, leader_values), reps)


def visible_figures(figures: TeamFigures, visible_reps: Sequence[str]) -> TeamFigures:
    """The org's figures kept for the reps a viewer may see: their rows, and each rep's team median
    only where the viewer may see the team's manager (a rep on their own is not shown their peers'
    median)."""
    visible = pl.Series(list(visible_reps), dtype=pl.String).implode()
    rep_values = figures.rep_values
    if not rep_values.filter(~pl.col("rep_id").is_in(visible)).is_empty():
        rep_values = rep_values.filter(pl.col("rep_id").is_in(visible)).with_columns(
            pl.when(pl.col("manager_id").is_in(visible)).then(pl.col("team_median")).alias("team_median"))
    return TeamFigures(window=figures.window, reps=figures.reps.filter(pl.col("unit_id").is_in(visible)),
                       leaders=figures.leaders.filter(pl.col("unit_id").is_in(visible)), rep_values=rep_values)


def _check_window(figures: TeamFigures, period: Period, today: date) -> None:
    if figures.window != window(period, today):
        raise ValueError(f"figures for {figures.period.label} as of {figures.window.as_of} do not match"
                         f" {period.label} as of {today}")


# -- the leader's team ----------------------------------------------------------------------------------

def leader_team(con: duckdb.DuckDBPyConnection, leader_id: str, visible_reps: Sequence[str],
                period: Period, today: date, *, figures: TeamFigures | None = None) -> pl.DataFrame:
    """The leader's whole team with the figures of ``TEAM_TABLE`` (and every per-rep metric).

    One row per visible member below the leader employed at some point of the period, with their
    ``depth`` and ``expected_attainment`` (the share of the period elapsed). A rep's row holds their
    own figures; a member who leads a team (``leads_team``) shows that team's figures, the numbers
    their own score is computed from. ``figures`` are the period's figures of every visible rep
    (``Scorecard.team_figures``); without them, they are computed here (``figures_for``). Ordered by depth,
    then quota attainment, lowest first, so the reps who need help come first.
    """
    win = window(period, today)
    members = sql.run(con, "drill_team", leader_id=leader_id, visible_reps=list(visible_reps),
                      period_start=period.start, as_of=win.as_of)
    if figures is None:
        figures = figures_for(con, visible_reps, period, today)
    else:
        _check_window(figures, period, today)
    leads = pl.col("rep_id").is_in(figures.leaders["unit_id"].implode())
    own = members.filter(~leads).join(figures.reps, left_on="rep_id", right_on="unit_id", how="left")
    led = members.filter(leads).join(figures.leaders, left_on="rep_id", right_on="unit_id", how="left")
    return (
        pl.concat([own.with_columns(pl.lit(False).alias("leads_team")),
                   led.with_columns(pl.lit(True).alias("leads_team"))], how="vertical")
        .with_columns(pl.lit(figures.window.elapsed_share, dtype=pl.Float64).alias("expected_attainment"))
        .select("rep_id", "rep_name", "manager_id", "manager_name", "role", "region", "depth", "leads_team",
                *TEAM_METRICS, *FIGURE_COLUMNS, "expected_attainment")
        .sort(["depth", "quota_attainment", "rep_name"], nulls_last=True)
    )


# -- one rep ----------------------------------------------------------------------------------------------

def rep_profile(con: duckdb.DuckDBPyConnection, rep_id: str,
                visible_reps: Sequence[str]) -> dict[str, Any] | None:
    """The rep's name, role, manager and peers, or None if the viewer may not see the rep."""
    frame = sql.run(con, "drill_rep_profile", rep_id=rep_id, visible_reps=list(visible_reps))
    if frame.is_empty():
        return None
    return frame.row(0, named=True)


def week_start(today: date) -> date:
    """Monday of the week that contains ``today``."""
    return today - timedelta(days=today.weekday())


def _after(today: date) -> date:
    """The exclusive bound of "up to the as-of date": the day after it."""
    return today + timedelta(days=1)


def activity_feed(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                  today: date, limit: int = 500) -> pl.DataFrame:
    """This week's activities of the rep up to ``today``, newest first, each ``Today`` or ``This week``."""
    feed = sql.run(con, "drill_activity_feed", rep_id=rep_id, visible_reps=list(visible_reps),
                   since=week_start(today), as_of=_after(today), limit_rows=limit)
    return feed.with_columns(
        pl.when(pl.col("activity_at").dt.date() == today)
        .then(pl.lit("Today")).otherwise(pl.lit("This week")).alias("when")
    )


def open_deals(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
               today: date) -> pl.DataFrame:
    """The rep's deals open on ``today``, most urgent first (:func:`most_urgent_first`), with one boolean
    column per risk flag, ``risk_flags`` (the flags' names) and ``risk_reasons`` (:func:`risk_reasons`)."""
    return open_deals_of_reps(con, [rep_id], visible_reps, today).drop("owner_rep_id")


def open_deals_of_reps(con: duckdb.DuckDBPyConnection, rep_ids: Sequence[str], visible_reps: Sequence[str],
                       today: date) -> pl.DataFrame:
    """:func:`open_deals` of several reps in one query (``owner_rep_id`` says whose), by rep, each rep's
    most urgent first. The same rows as :func:`open_deals_among` cuts from :func:`org_open_deals`."""
    deals = sql.run(con, "drill_open_deals_of_reps", rep_ids=list(rep_ids), visible_reps=list(visible_reps),
                    as_of=_after(today))
    return _by_rep(_ranked(deals, today))


def org_open_deals(con: duckdb.DuckDBPyConnection, today: date) -> pl.DataFrame:
    """Every deal of the org open on ``today`` (the deals of everyone in the reps extract), with its
    risk flags and reasons, most urgent first across the whole org (:func:`most_urgent_first`).

    A deal's flags and reasons are its own, whoever looks: made once per data version and kept,
    this is what each viewer's deals are cut from (:func:`open_deals_among`,
    :func:`team_deals_at_risk_among`), instead of a scan of the whole activity history for each team."""
    everyone = sql.run(con, "drill_org_reps")["rep_id"].to_list()
    deals = sql.run(con, "drill_open_deals_of_reps", rep_ids=everyone, visible_reps=everyone, as_of=_after(today))
    return _ranked(deals, today)


def open_deals_among(org_deals: pl.DataFrame, rep_ids: Sequence[str], visible_reps: Sequence[str]) -> pl.DataFrame:
    """:func:`open_deals_of_reps` cut from the org's open deals (:func:`org_open_deals`): the deals of
    ``rep_ids`` that the viewer may see (``visible_reps``), by rep, each rep's most urgent first."""
    wanted = set(rep_ids).intersection(visible_reps)
    owners = pl.Series(sorted(wanted), dtype=pl.String).implode()
    return _by_rep(org_deals.filter(pl.col("owner_rep_id").is_in(owners)))


def _by_rep(deals: pl.DataFrame) -> pl.DataFrame:
    return deals.sort("owner_rep_id", maintain_order=True)


_REASON_INPUTS: tuple[str, ...] = ("stalled", "days_since_activity", "slipped", "close_date", "close_date_pushes",
                                   "no_next_step", "single_threaded")
"""The columns :func:`risk_reasons` reads as they are; it also asks whether the deal was ever touched
(``last_activity_at``) and met anyone (``contacts``), which are all that counts of those two."""


def _ranked(deals: pl.DataFrame, today: date) -> pl.DataFrame:
    """Open deals (``queries/drill_open_deals_of_reps.sql``) with ``risk_flags`` and ``risk_reasons``,
    most urgent first. The reasons are worded once per distinct combination of what they say (far
    fewer than the deals of a large org), by :func:`risk_reasons` itself."""
    labels = [pl.when(pl.col(flag)).then(pl.lit(label)) for flag, label in RISK_FLAGS.items()]
    said = [*_REASON_INPUTS, "_touched", "_met"]
    keyed = deals.with_columns(pl.col("last_activity_at").is_not_null().alias("_touched"),
                               (pl.col("contacts") > 0).alias("_met"))
    cases = keyed.select(said).unique()
    words = [risk_reasons({**case, "last_activity_at": True if case["_touched"] else None,
                           "contacts": 1 if case["_met"] else 0}, today)
             for case in cases.iter_rows(named=True)]
    worded = cases.with_columns(pl.Series("risk_reasons", words, dtype=pl.String))
    return (
        keyed.join(worded, on=said, how="left", nulls_equal=True, maintain_order="left")
        .drop("_touched", "_met")
        .with_columns(pl.concat_str(labels, separator=", ", ignore_nulls=True).alias("risk_flags"))
        .select(*deals.columns, "risk_flags", "risk_reasons")
        .pipe(most_urgent_first)
    )


def most_urgent_first(deals: pl.DataFrame) -> pl.DataFrame:
    """Deals in the order a leader should look at them (``MOST_URGENT_FIRST``): the strong signs first
    (``strong_signs``: stalled and slipped, then one of them, then neither), then the amount at risk,
    biggest first, then the nearest close date (a passed one is nearer than any to come), then the
    number of flags. A single-threaded deal with no other flag comes after every stalled or slipped
    one, whatever its amount; a deal without an amount comes after those with one, never as if it
    were worth 0. Ties read in deal id order."""
    return deals.sort(["strong_signs", "amount", "close_date", "risk_count", "opportunity_id"],
                      descending=[True, True, False, True, False], nulls_last=True)


def at_risk(deals: pl.DataFrame) -> pl.DataFrame:
    """The deals at risk among ``deals`` (at least one flag, ``DISPLAY_FIGURES["deals_at_risk"]``), most
    urgent first across every rep, with ``priority``: 1 for the most urgent."""
    return (
        deals.filter(pl.col("risk_count") > 0)
        .pipe(most_urgent_first)
        .with_row_index("priority", offset=1)
        .with_columns(pl.col("priority").cast(pl.Int64))
    )


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def risk_reasons(deal: Mapping[str, Any], today: date) -> str:
    """Why a deal is at risk, in words, strongest reason first (empty when no flag is up)::

        No activity for 34 days, close date passed 5 days ago, close date pushed out 3 times,
        no next step, only one contact met

    ``deal`` is a row of :func:`open_deals`; ``today`` the as-of date it was measured on."""
    reasons: list[str] = []
    if deal.get("stalled"):
        quiet = deal.get("days_since_activity")
        if deal.get("last_activity_at") is None:
            reasons.append(f"No activity in the {format.days(quiet)} since it was created")
        else:
            reasons.append(f"No activity for {format.days(quiet)}")
    if deal.get("slipped"):
        close = deal.get("close_date")
        if close is not None and close <= today:
            overdue = (today - close).days
            reasons.append("Close date is today, still open" if overdue == 0
                           else f"Close date passed {format.days(overdue)} ago")
        pushes = int(deal.get("close_date_pushes") or 0)
        if pushes:
            reasons.append(f"Close date pushed out {_times(pushes)}")
    if deal.get("no_next_step"):
        reasons.append("No next step")
    if deal.get("single_threaded"):
        reasons.append("No contact met" if not deal.get("contacts") else "Only one contact met")
    return ", ".join(r if i == 0 else r[:1].lower() + r[1:] for i, r in enumerate(reasons))


def team_deals_at_risk(con: duckdb.DuckDBPyConnection, team: pl.DataFrame, visible_reps: Sequence[str],
                       today: date) -> pl.DataFrame:
    """The deals at risk of the people of ``team`` (rows with ``rep_id`` and ``rep_name``: a leader's
    team, ``leader_team``, or part of it), most urgent first across the whole team (:func:`at_risk`),
    each with its owner's ``rep_id`` and ``rep_name`` first."""
    return _named_at_risk(open_deals_of_reps(con, team["rep_id"].unique().to_list(), visible_reps, today), team)


def team_deals_at_risk_among(org_deals: pl.DataFrame, team: pl.DataFrame, visible_reps: Sequence[str]) -> pl.DataFrame:
    """:func:`team_deals_at_risk` cut from the org's open deals (:func:`org_open_deals`, measured on
    the same as-of date): the same rows in the same order."""
    return _named_at_risk(open_deals_among(org_deals, team["rep_id"].unique().to_list(), visible_reps), team)


def _named_at_risk(deals: pl.DataFrame, team: pl.DataFrame) -> pl.DataFrame:
    names = team.select("rep_id", "rep_name").unique("rep_id", keep="first", maintain_order=True)
    return (
        at_risk(deals)
        .join(names, left_on="owner_rep_id", right_on="rep_id", how="left", maintain_order="left")
        .rename({"owner_rep_id": "rep_id"})
        .select("priority", "rep_id", "rep_name", pl.exclude("priority", "rep_id", "rep_name"))
    )


def target_account_coverage(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                            today: date) -> pl.DataFrame:
    """The rep's target accounts, uncovered ones (no touch in the 30 days up to ``today``) first."""
    return sql.run(con, "drill_target_accounts", rep_id=rep_id, visible_reps=list(visible_reps),
                   as_of=_after(today))


def org_target_accounts(con: duckdb.DuckDBPyConnection, today: date) -> pl.DataFrame:
    """:func:`target_account_coverage` of every rep of the org (``owner_rep_id`` says whose), each
    rep's in its order: made once per data version and kept, what each rep's are cut from
    (:func:`target_accounts_among`), instead of a scan of the activity history for each rep."""
    return sql.run(con, "drill_org_target_accounts", as_of=_after(today))


def target_accounts_among(org_targets: pl.DataFrame, rep_id: str, visible_reps: Sequence[str]) -> pl.DataFrame:
    """:func:`target_account_coverage` cut from the org's (:func:`org_target_accounts`, measured on the
    same as-of date): nothing when the viewer may not see the rep."""
    mine = org_targets.filter(pl.col("owner_rep_id") == rep_id) if rep_id in visible_reps else org_targets.clear()
    return mine.drop("owner_rep_id")


def attainment_curve(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                     period: Period, quota: float | None, today: date) -> pl.DataFrame:
    """Won to date against the straight-line pace to the full quota, one row per day up to ``today``.

    Columns: ``day``, ``won_to_date``, ``pace_to_date`` (quota x share of the period elapsed by the
    end of that day; null without a quota). The last day's figures are the rep's won amount and
    ``quota`` x expected attainment.
    """
    return _curve_from_won(_won_by_day(con, rep_id, visible_reps, period, today), period, quota, today)


def _won_by_day(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                period: Period, today: date) -> pl.DataFrame:
    return sql.run(con, "drill_won_by_day", rep_id=rep_id, visible_reps=list(visible_reps),
                   period_start=period.start, as_of=window(period, today).as_of)


def _curve_from_won(won: pl.DataFrame, period: Period, quota: float | None, today: date) -> pl.DataFrame:
    last = window(period, today).last_day
    days = pl.DataFrame({"day": pl.date_range(period.start, max(last, period.start), "1d", eager=True)})
    return (
        days.join(won.with_columns(pl.col("day").cast(pl.Date)), on="day", how="left")
        .with_columns(
            pl.col("won").fill_null(0.0).cum_sum().alias("won_to_date"),
            (pl.lit(quota, dtype=pl.Float64)
             * ((pl.col("day") - pl.lit(period.start)).dt.total_days() + 1) / period.days)
            .alias("pace_to_date"),
        )
        .select("day", "won_to_date", "pace_to_date")
    )


_VS_TEAM_SCHEMA: dict[str, Any] = {
    "metric": pl.String, "label": pl.String, "unit": pl.String, "better": pl.String, "status": pl.String,
    "reason": pl.String, "rep": pl.Float64, "team_median": pl.Float64, "ahead": pl.Boolean,
}


def rep_vs_team_median(rep_values: pl.DataFrame, rep_id: str) -> pl.DataFrame:
    """The rep's per-rep metrics beside the median of the scored reps who share the rep's manager
    (``scoring.rep_metric_values``), in catalogue order; switched-off metrics are left out.

    Columns: ``metric``, ``label``, ``unit``, ``better``, ``status``, ``reason``, ``rep``,
    ``team_median``, ``ahead`` (the rep on the better side of the median; for a metric best inside
    a range, at least the median's points; null when either is missing).
    """
    mine = rep_values.filter((pl.col("rep_id") == rep_id) & (pl.col("status") != "switched_off"))
    if mine.is_empty():
        return pl.DataFrame(schema=_VS_TEAM_SCHEMA)
    median_points = (
        rep_values.filter((pl.col("status") == "scored") & (pl.col("manager_id").eq_missing(
            pl.lit(mine["manager_id"][0], dtype=pl.String))))
        .group_by("metric").agg(pl.col("points").median().alias("median_points"))
    )
    order = {m: i for i, m in enumerate(TEAM_METRICS)}
    better = {m: METRICS[m].direction for m in TEAM_METRICS}
    rep, median = pl.col("value"), pl.col("team_median")
    both = rep.is_not_null() & median.is_not_null()
    direction = pl.col("metric").replace_strict(better, return_dtype=pl.String)
    ahead = (
        pl.when(~both).then(None)
        .when(direction == "higher").then(rep >= median)
        .when(direction == "lower").then(rep <= median)
        .when(pl.col("points").is_not_null() & pl.col("median_points").is_not_null())
        .then(pl.col("points") >= pl.col("median_points"))
    )
    return (
        mine.join(median_points, on="metric", how="left")
        .with_columns(pl.col("metric").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
        .sort("_order")
        .select(
            "metric", pl.col("metric_label").alias("label"), "unit", direction.alias("better"), "status",
            "reason", rep.alias("rep"), median.alias("team_median"), ahead.alias("ahead"),
        )
        .cast(_VS_TEAM_SCHEMA)  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class RepView:
    """Everything the rep page shows, computed with one connection.

    ``figures``: the rep's metrics (as the score computes them for the rep alone) and display
    figures for ``period``, up to the as-of date; ``feed``, ``deals`` and ``target_accounts`` are
    measured on ``today``, the as-of date.
    """

    profile: dict[str, Any]
    period: Period
    today: date
    figures: dict[str, Any]
    feed: pl.DataFrame
    deals: pl.DataFrame
    target_accounts: pl.DataFrame
    curve: pl.DataFrame
    vs_team: pl.DataFrame

    @property
    def leads_team(self) -> bool:
        """The rep leads a team: their metrics are scored for the team (the Leader page)."""
        return bool(self.profile.get("team_size"))

    @property
    def feed_today(self) -> pl.DataFrame:
        return self.feed.filter(pl.col("when") == "Today")

    @property
    def activities_this_week(self) -> int:
        return self.feed.height

    @property
    def deals_at_risk(self) -> int:
        return int(self.deals.filter(pl.col("risk_count") > 0).height)

    @property
    def at_risk(self) -> pl.DataFrame:
        """The rep's deals at risk, most urgent first (:func:`at_risk`)."""
        return at_risk(self.deals)

    @property
    def stalled_or_slipped(self) -> int:
        """The deals at risk with a strong sign (``STRONG_SIGNS``): stalled, slipped or both."""
        return int(self.deals.filter(pl.col("strong_signs") > 0).height)

    @property
    def target_accounts_touched(self) -> float | None:
        """Share of the rep's target accounts touched in the 30 days up to the as-of date."""
        if self.target_accounts.is_empty():
            return None
        return float(self.target_accounts["covered"].sum()) / self.target_accounts.height


def _on_cursor(cursor: duckdb.DuckDBPyConnection, work: Callable[..., T], *args: Any) -> T:
    try:
        return work(cursor, *args)
    finally:
        cursor.close()


def rep_view(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str], period: Period,
             today: date, *, figures: TeamFigures | None = None, org_deals: pl.DataFrame | None = None,
             org_targets: pl.DataFrame | None = None) -> RepView | None:
    """The rep page's data, or None when the viewer may not see the rep (or there is no such rep).

    ``figures`` are the period's figures of every visible rep (``Scorecard.team_figures``); without
    them, they are computed here (``figures_for``). ``org_deals`` and ``org_targets``: the org's open
    deals and target accounts measured on ``today`` (:func:`org_open_deals`,
    :func:`org_target_accounts`), which the rep's are cut from; without them, the rep's are queried
    (:func:`open_deals`, :func:`target_account_coverage`). Once the profile has named the
    rep, the page's four own queries do not depend on each other and run side by side, each on its
    own cursor: DuckDB spreads one scan over the cores only by row group, so the small queries and
    the scans of a few recent row groups leave a core idle that another query can use.
    """
    profile = rep_profile(con, rep_id, visible_reps)
    if profile is None:
        return None
    if figures is None:
        figures = figures_for(con, visible_reps, period, today, with_leaders=False)
    else:
        _check_window(figures, period, today)
    visible = list(visible_reps)
    with ThreadPoolExecutor(max_workers=4) as pool:
        def submit(work: Callable[..., T], *args: Any) -> Future[T]:
            # A DuckDB connection runs one query at a time and is not shared between threads; a
            # cursor, made here on the calling thread, is a second connection to the same database.
            return pool.submit(_on_cursor, con.cursor(), work, *args)

        def done(value: pl.DataFrame) -> Future[pl.DataFrame]:
            found: Future[pl.DataFrame] = Future()
            found.set_result(value)
            return found

        feed_job = submit(activity_feed, rep_id, visible, today)
        deals_job = (submit(open_deals, rep_id, visible, today) if org_deals is None
                     else done(open_deals_among(org_deals, [rep_id], visible).drop("owner_rep_id")))
        targets_job = (submit(target_account_coverage, rep_id, visible, today) if org_targets is None
                       else done(target_accounts_among(org_targets, rep_id, visible)))
        won_job = submit(_won_by_day, rep_id, visible, period, today)
        feed, deals, targets, won = feed_job.result(), deals_job.result(), targets_job.result(), won_job.result()
    own = figures.of_rep(rep_id)
    return RepView(
        profile=profile,
        period=period,
        today=today,
        figures=own,
        feed=feed,
        deals=deals,
        target_accounts=targets,
        curve=_curve_from_won(won, period, own.get("period_quota"), today),
        vs_team=rep_vs_team_median(figures.rep_values, rep_id),
    )
