"""Drill-downs below the score: a leader's team and one rep's live view.

Everything here reads the store with a connection the caller opens (``Store.reader()``), takes the
viewer's ``visible_reps`` and returns Polars frames, so the app, the CLI and a notebook show the
same numbers. ``today`` is a parameter so the figures can be checked by hand on a fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import duckdb
import polars as pl

from scorecard import sql
from scorecard.calendar import Period

T = TypeVar("T")

STALLED_AFTER_DAYS = 21
"""An open deal without activity for this many days is stalled (SPEC section 5)."""

RISK_FLAGS: dict[str, str] = {
    "stalled": "Stalled",
    "slipped": "Slipped close date",
    "no_next_step": "No next step",
    "single_threaded": "Single-threaded",
    "no_exec_contact": "No executive contact",
}

# The rep's metrics compared with the team median: key -> (label, unit, better direction).
REP_METRICS: dict[str, tuple[str, str, str]] = {
    "attainment": ("Quota attainment", "percent", "higher"),
    "pace": ("Pace (attainment / expected by today)", "ratio", "higher"),
    "win_rate": ("Win rate", "percent", "higher"),
    "avg_won_deal": ("Average won deal", "money", "higher"),
    "open_pipeline": ("Open pipeline this period", "money", "higher"),
    "pipeline_coverage": ("Pipeline coverage of remaining quota", "ratio", "higher"),
    "activities_per_day": ("Customer activities per working day", "number", "higher"),
    "customer_meetings": ("Customer meetings", "number", "higher"),
    "stalled_deal_rate": ("Stalled-deal rate", "percent", "lower"),
    "target_account_coverage": ("Target accounts touched in 30 days", "percent", "higher"),
    "coaching_sessions": ("Coaching sessions received", "number", "higher"),
}


def _visible(visible_reps: Sequence[str]) -> list[str]:
    return list(visible_reps)


def rep_numbers(con: duckdb.DuckDBPyConnection, rep_ids: Sequence[str], visible_reps: Sequence[str],
                period: Period, today: date) -> pl.DataFrame:
    """Each rep's numbers for ``period`` as far as ``today`` (see ``queries/drill_rep_numbers.sql``)."""
    return sql.run(con, "drill_rep_numbers", rep_ids=list(rep_ids), visible_reps=_visible(visible_reps),
                   period_start=period.start, period_end=period.end, today=today)


def leader_team(con: duckdb.DuckDBPyConnection, leader_id: str, visible_reps: Sequence[str],
                period: Period, today: date) -> pl.DataFrame:
    """The leader's whole team with attainment, pace, pipeline, activity and coaching.

    One row per visible rep below the leader (sub-leaders included, with their ``depth``), ordered
    by depth then attainment, lowest first within a level so the reps who need help come first.
    """
    team = sql.run(con, "leader_team", leader_id=leader_id, visible_reps=_visible(visible_reps))
    if team.is_empty():
        return rep_numbers(con, [], visible_reps, period, today).with_columns(
            pl.lit(None, dtype=pl.Int32).alias("depth"))
    numbers = rep_numbers(con, team["rep_id"].to_list(), visible_reps, period, today)
    return (
        numbers.join(team.select("rep_id", "depth"), on="rep_id", how="left")
        .sort(["depth", "attainment", "rep_name"], nulls_last=True)
    )


def rep_profile(con: duckdb.DuckDBPyConnection, rep_id: str,
                visible_reps: Sequence[str]) -> dict[str, Any] | None:
    """The rep's name, role, manager and peers, or None if the viewer may not see the rep."""
    frame = sql.run(con, "drill_rep_profile", rep_id=rep_id, visible_reps=_visible(visible_reps))
    if frame.is_empty():
        return None
    return frame.row(0, named=True)


def week_start(today: date) -> date:
    """Monday of the week that contains ``today``."""
    return today - timedelta(days=today.weekday())


def activity_feed(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                  today: date, limit: int = 500) -> pl.DataFrame:
    """This week's activities of the rep, newest first, each marked ``Today`` or ``This week``."""
    feed = sql.run(con, "drill_activity_feed", rep_id=rep_id, visible_reps=_visible(visible_reps),
                   since=week_start(today), limit_rows=limit)
    return feed.with_columns(
        pl.when(pl.col("activity_at").dt.date() == today)
        .then(pl.lit("Today")).otherwise(pl.lit("This week")).alias("when")
    )


def open_deals(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
               today: date) -> pl.DataFrame:
    """The rep's open deals with one boolean column per risk flag and ``risk_flags`` in words."""
    deals = sql.run(con, "drill_open_deals", rep_id=rep_id, visible_reps=_visible(visible_reps),
                    today=today)
    labels = [pl.when(pl.col(flag)).then(pl.lit(label)) for flag, label in RISK_FLAGS.items()]
    return deals.with_columns(pl.concat_str(labels, separator=", ", ignore_nulls=True).alias("risk_flags"))


def target_account_coverage(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                            today: date) -> pl.DataFrame:
    """The rep's target accounts, uncovered ones (no touch in 30 days) first."""
    return sql.run(con, "drill_target_accounts", rep_id=rep_id, visible_reps=_visible(visible_reps),
                   today=today)


def attainment_curve(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                     period: Period, quota: float | None, today: date) -> pl.DataFrame:
    """Won to date against the straight-line pace to quota, one row per day up to ``today``.

    Columns: ``day``, ``won_to_date``, ``pace_to_date`` (quota x share of the period elapsed on
    that day; null without a quota).
    """
    return _curve_from_won(_won_by_day(con, rep_id, visible_reps, period), period, quota, today)


def _won_by_day(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str],
                period: Period) -> pl.DataFrame:
    return sql.run(con, "drill_won_by_day", rep_id=rep_id, visible_reps=_visible(visible_reps),
                   period_start=period.start, period_end=period.end)


def _curve_from_won(won: pl.DataFrame, period: Period, quota: float | None, today: date) -> pl.DataFrame:
    last = min(max(today, period.start), period.end)
    days = pl.DataFrame({"day": pl.date_range(period.start, last, "1d", eager=True)})
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


def rep_vs_team_median(numbers: pl.DataFrame, rep_id: str) -> pl.DataFrame:
    """The rep's metrics beside the median of the peers in ``numbers`` (the rep included).

    Columns: ``metric``, ``label``, ``unit``, ``better``, ``rep``, ``team_median``, ``ahead``
    (True when the rep is on the better side of the median, null when either is missing).
    """
    rows = []
    mine = numbers.filter(pl.col("rep_id") == rep_id)
    for metric, (label, unit, better) in REP_METRICS.items():
        if metric not in numbers.columns:
            continue
        column = numbers.get_column(metric).cast(pl.Float64)
        rep_value = mine.get_column(metric).cast(pl.Float64).item() if mine.height else None
        median = column.median()
        median_value = float(median) if isinstance(median, int | float) else None
        ahead = None
        if rep_value is not None and median_value is not None:
            ahead = rep_value >= median_value if better == "higher" else rep_value <= median_value
        rows.append({"metric": metric, "label": label, "unit": unit, "better": better,
                     "rep": rep_value, "team_median": median_value, "ahead": ahead})
    return pl.DataFrame(rows, schema={"metric": pl.String, "label": pl.String, "unit": pl.String,
                                      "better": pl.String, "rep": pl.Float64,
                                      "team_median": pl.Float64, "ahead": pl.Boolean})


@dataclass(frozen=True)
class RepView:
    """Everything the rep page shows, computed with one connection."""

    profile: dict[str, Any]
    period: Period
    today: date
    numbers: dict[str, Any]
    feed: pl.DataFrame
    deals: pl.DataFrame
    target_accounts: pl.DataFrame
    curve: pl.DataFrame
    vs_team: pl.DataFrame

    @property
    def feed_today(self) -> pl.DataFrame:
        return self.feed.filter(pl.col("when") == "Today")

    @property
    def deals_at_risk(self) -> int:
        return int(self.deals.filter(pl.col("risk_count") > 0).height)


def _on_cursor(cursor: duckdb.DuckDBPyConnection, work: Callable[..., T], *args: Any) -> T:
    try:
        return work(cursor, *args)
    finally:
        cursor.close()


def rep_view(con: duckdb.DuckDBPyConnection, rep_id: str, visible_reps: Sequence[str], period: Period,
             today: date) -> RepView | None:
    """The rep page's data, or None when the viewer may not see the rep (or there is no such rep).

    Once the profile has named the peers, the page's five queries do not depend on each other and
    run side by side, each on its own cursor: DuckDB spreads one scan over the cores only by row
    group, so the small queries and the scans of a few recent row groups leave a core idle that
    another query can use.
    """
    profile = rep_profile(con, rep_id, visible_reps)
    if profile is None:
        return None
    peers = list(profile["peer_ids"] or [rep_id])
    if rep_id not in peers:
        peers.append(rep_id)
    visible = _visible(visible_reps)
    with ThreadPoolExecutor(max_workers=5) as pool:
        def submit(work: Callable[..., T], *args: Any) -> Future[T]:
            # A DuckDB connection runs one query at a time and is not shared between threads; a
            # cursor, made here on the calling thread, is a second connection to the same database.
            return pool.submit(_on_cursor, con.cursor(), work, *args)

        numbers_job = submit(rep_numbers, peers, visible, period, today)
        feed_job = submit(activity_feed, rep_id, visible, today)
        deals_job = submit(open_deals, rep_id, visible, today)
        targets_job = submit(target_account_coverage, rep_id, visible, today)
        won_job = submit(_won_by_day, rep_id, visible, period)
        numbers = numbers_job.result()
        feed, deals, targets, won = feed_job.result(), deals_job.result(), targets_job.result(), won_job.result()
    mine = numbers.filter(pl.col("rep_id") == rep_id)
    if mine.is_empty():  # a leaver outside the period is still shown, with their own numbers only
        mine = rep_numbers(con, [rep_id], visible_reps, period, today)
    own = mine.row(0, named=True) if mine.height else {}
    return RepView(
        profile=profile,
        period=period,
        today=today,
        numbers=own,
        feed=feed,
        deals=deals,
        target_accounts=targets,
        curve=_curve_from_won(won, period, own.get("quota"), today),
        vs_team=rep_vs_team_median(numbers, rep_id),
    )
