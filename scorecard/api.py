"""The scorecard as Python: one entry point for the pages, the command line and notebooks.

    >>> from scorecard.api import Scorecard
    >>> card = Scorecard.open("data/scorecard.duckdb")
    >>> card.leaders("2026Q3")                     # one row per leader, the eleven scores
    >>> card.explain("U0005", "2026Q3", "teams")   # each metric's value, points, weight, status
    >>> card.metric_rows("U0005", "coaching_coverage", "2026Q3")   # the CRM rows behind it

"Now" is the data's as-of date (:attr:`Scorecard.today`, from ``scorecard.as_of``), never the
machine's clock: an export that ends in December 2023 is scored as of December 2023, and the
default period is the quarter of that date.

Everything comes back as Polars frames; nothing here imports Streamlit.

Scores are computed once for the whole org and filtered for each viewer: a peer percentile ranks a
leader among every peer of the org, so what a leader sees of themself is what the CRO sees of them.
The org's results are kept per (data version, period, rubric, as-of date) by a :class:`ScoreCache`:
in plain Python here, in the cache every session of the app shares there (``scorecard.ui.cache``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import duckdb
import polars as pl

from scorecard import drilldown, sql
from scorecard.access import Viewer, local_viewer
from scorecard.as_of import data_as_of
from scorecard.calendar import Period, parse_period, quarter_containing
from scorecard.explain import explanation, metric_rows
from scorecard.metrics import METRICS, SCORES
from scorecard.rubric import Rubric, RubricKeeper, rubric_file, rubric_text, save_rubric_text, with_product_lines
from scorecard.score_files import ScoreFiles
from scorecard.scoring import (
    SCORE_KEYS,
    DataFacts,
    Window,
    assess,
    coaching_priorities,
    compute_metric_values,
    coverage_wide,
    data_facts,
    movers_wide,
    query_params,
    rep_metric_values,
    same_share_elapsed,
    score_coverage,
    score_movers,
    score_table,
    switched_off_for,
    visible_leaders,
    window,
)
from scorecard.settings import Settings, get_settings
from scorecard.store import Store

log = logging.getLogger(__name__)

_CACHE_SIZE = 32
_SCORED_FRAMES = ("leaders", "assessed", "scores", "coverage")


@dataclass(frozen=True)
class PeriodScores:
    """Everything scored for one period: the leaders, each (leader, metric) assessed, the scores and
    how much of each score's weight was scored (``coverage``, see ``scoring.score_coverage``)."""

    period: Period
    leaders: pl.DataFrame
    assessed: pl.DataFrame
    scores: pl.DataFrame
    params: dict[str, Any]
    switched_off: dict[str, str]
    cache_key: tuple[Any, ...] = ()
    window: Window | None = None
    coverage: pl.DataFrame | None = None
    data_identity: str = ""
    """The data scored (``Store.data_identity``)."""

    @property
    def in_progress(self) -> bool:
        """The period was still running on the as-of date: measured up to it, not to its end."""
        return self.window is not None and not self.window.complete


T = TypeVar("T")
Shelf = Literal["scored", "reps", "figures", "facts"]


class ScoreCache:
    """What is computed once for the whole org and shared by the Scorecards of every viewer, each
    kept on its shelf under a key that starts with the data version: the org scored per (period,
    rubric, as-of date) (``scored``), the per-rep values (``reps``), the drill-down figures
    (``figures``), and what the data holds (``facts``).

    This one keeps the newest entries of each shelf in memory; the app's keeps them in the cache
    every session shares (:meth:`remember` is the one thing it changes)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # the app calls one cache from several sessions at once
        self.scored: OrderedDict[tuple[Any, ...], PeriodScores] = OrderedDict()
        self.reps: OrderedDict[tuple[Any, ...], pl.DataFrame] = OrderedDict()
        self.figures: OrderedDict[tuple[Any, ...], drilldown.TeamFigures] = OrderedDict()
        self.facts: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def remember(self, shelf: Shelf, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The value kept under ``key``, computed (outside the lock) and kept when there is none."""
        kept: OrderedDict[tuple[Any, ...], Any] = getattr(self, shelf)
        with self.lock:
            if key in kept:
                kept.move_to_end(key)
                hit: T = kept[key]
                return hit
        value = compute()
        with self.lock:
            kept[key] = value
            while len(kept) > _CACHE_SIZE:
                kept.popitem(last=False)
        return value


class _HeldStore:
    """A store read through one connection opened once (``Scorecard.held``)."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection) -> None:
        self._store = store
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self._con


class Scorecard:
    """Scores, explanations and coaching priorities for the leaders a viewer may see."""

    def __init__(self, store: Store, settings: Settings, viewer: Viewer, *, today: date | None = None,
                 rubric: RubricKeeper | None = None, cache: ScoreCache | None = None) -> None:
        self.store = store
        self.settings = settings
        self.viewer = viewer
        self._today = today
        self.rubric_keeper = rubric or RubricKeeper.for_settings(settings)
        self._shared = cache or ScoreCache()
        self._cache = self._shared.scored  # the whole org's scores, per period
        self.score_files = ScoreFiles(settings.resolved_score_cache_dir(store.path), store.path,
                                      keep=settings.keep_scores)
        """The whole org's scores kept on disk for every process reading this data (``scorecard.score_files``)."""

    @classmethod
    def open(cls, db: str | Path | None = None, *, viewer: Viewer | None = None,
             settings: Settings | None = None, today: date | None = None,
             cache: ScoreCache | None = None) -> Scorecard:
        """Open a scorecard database; ``viewer`` None is the local install that sees everyone.
        ``cache`` shares the whole org's scores with other viewers' cards of the same database."""
        settings = settings or get_settings()
        path = Path(db) if db else settings.db
        store = Store(path, archive_dir=settings.archive_dir, reporting_currency=settings.reporting_currency)
        if viewer is None:
            with store.reader() as con:
                viewer = local_viewer(con)
        return cls(store, settings, viewer, today=today, cache=cache)

    @contextlib.contextmanager
    def held(self) -> Iterator[Scorecard]:
        """This card on one connection for the length of the block, its as-of date read once: every
        question asked of it reads the same version of the data and none opens the database again
        (a PDF pack asks hundreds). Same viewer, settings, rubric and cache of the org's scores, so
        nothing is scored twice. Inside a held card, ``held()`` is the card itself."""
        if isinstance(self.store, _HeldStore):
            yield self
            return
        with self.store.reader() as con:
            card = Scorecard(cast(Store, _HeldStore(self.store, con)), self.settings, self.viewer, today=self._today,
                             rubric=self.rubric_keeper, cache=self._shared)
            card._today = card.today
            yield card

    # -- periods ----------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        """"Now": the data's as-of date (the machine's clock only for an empty database), unless the
        card was opened with ``today``."""
        return self._today or self.data_as_of() or date.today()

    def data_as_of(self) -> date | None:
        """The as-of date of the data in force (``scorecard.as_of``), None for an empty database."""
        with self.store.reader() as con:
            return self._data_facts(con, self.store.data_version(con)).as_of

    def _data_facts(self, con: duckdb.DuckDBPyConnection, version: int) -> DataFacts:
        """What the data holds (rows, filled columns, span, product lines), once per data version."""
        return self._shared.remember("facts", (version, "data"), lambda: self._kept_data_facts(con))

    def _kept_data_facts(self, con: duckdb.DuckDBPyConnection) -> DataFacts:
        """What the data holds, kept on disk with the scores (finding which columns are filled reads
        every table: seconds on a large org, for every fresh process)."""
        identity = self.store.data_identity(con)
        kept = self.score_files.read(identity, "facts", (), ["presence", "span", "lines"])
        if kept is not None:
            span = kept["span"].row(0, named=True)
            return DataFacts(dict(zip(kept["presence"]["column"].to_list(), kept["presence"]["rows"].to_list(),
                                      strict=True)),
                             span["first_day"], span["as_of"], span["hires_inside"],
                             tuple(kept["lines"]["product_line"].to_list()))
        facts = data_facts(con, data_as_of(con))
        self.score_files.write(identity, "facts", (), {
            "presence": pl.DataFrame({"column": list(facts.presence), "rows": list(facts.presence.values())},
                                     schema={"column": pl.String, "rows": pl.Int64}),
            "span": pl.DataFrame({"first_day": [facts.first_day], "as_of": [facts.as_of],
                                  "hires_inside": [facts.hires_inside]},
                                 schema={"first_day": pl.Date, "as_of": pl.Date, "hires_inside": pl.Int64}),
            "lines": pl.DataFrame({"product_line": list(facts.product_lines)}, schema={"product_line": pl.String}),
        })
        return facts

    @property
    def rubric(self) -> Rubric:
        return self.rubric_keeper.current()

    @property
    def rubric_error(self) -> str | None:
        """Why an edited rubric was refused (the last good one stays in force), else None."""
        self.rubric_keeper.current()
        return self.rubric_keeper.error

    @property
    def _fiscal(self) -> int:
        return self.settings.fiscal_year_start_month

    def current_period(self) -> Period:
        """The quarter containing the as-of date: the default period everywhere."""
        return quarter_containing(self.today, self._fiscal)

    def window(self, period: str | Period | None = None) -> Window:
        """The part of a period measured on the as-of date (all of it once it is over)."""
        return window(self.period(period), self.today)

    def period_status(self, period: str | Period | None = None) -> str:
        """How much of a period is measured, in words: "complete", or "in progress: 89 of 92 days,
        to 29 Dec 2023" for the quarter the as-of date falls in."""
        win = self.window(period)
        if win.complete:
            return "complete"
        last = win.last_day
        return f"in progress: {win.days_elapsed} of {win.period.days} days, to {last.day} {last:%b %Y}"

    def period(self, label: str | Period | None = None) -> Period:
        """``"2026Q3"`` -> that fiscal quarter; a Period as is; None -> the current quarter."""
        if label is None:
            return self.current_period()
        if isinstance(label, Period):
            return label
        return parse_period(label, self._fiscal)

    def periods(self) -> list[Period]:
        """The quarters the data covers (a deal or an activity), oldest first, up to the quarter of
        the as-of date."""
        with self.store.reader() as con:
            first, last = sql.run(con, "score_data_span").row(0)
        current = self.current_period()
        if first is None:
            return [current]
        end = min(quarter_containing(last, self._fiscal), current) if last else current
        out = [quarter_containing(first, self._fiscal)]
        while out[-1] < end:
            out.append(out[-1].next(self._fiscal))
        return out

    # -- scoring ----------------------------------------------------------------------------------

    def scored(self, period: str | Period | None = None) -> PeriodScores:
        """Every leader the viewer may see, scored for a period as the whole org is scored (the
        org's scores are cached per data version and rubric, and filtered for the viewer)."""
        target = self.period(period)
        return self._scored_window(window(target, self.today))

    def _org_reps(self, con: duckdb.DuckDBPyConnection, version: int) -> tuple[str, ...]:
        """Everyone in the reps extract, once per data version."""
        return self._shared.remember("facts", (version, "reps"), lambda: tuple(
            r[0] for r in con.execute("select rep_id from reps order by rep_id").fetchall()))

    def _org_scored_window(self, win: Window) -> PeriodScores:
        """The whole org scored for a window: every leader, each percentile among all their peers."""
        target = win.period
        rubric = self.rubric
        with self.store.reader() as con:
            version, identity = self.store.newest_load(con)
            key = (version, target.label, target.start, rubric_key(rubric), win.as_of, identity)
            on_disk = self._kept_key(win)

            def compute() -> PeriodScores:
                everyone = self._org_reps(con, version)
                facts = self._data_facts(con, version)
                params = query_params(win, everyone, rubric, self._fiscal, data_start=facts.first_day,
                                      judge_next_step=facts.presence.get("opportunities.next_step", 0) > 0,
                                      judge_activity=facts.presence.get("activities.opportunity_id", 0) > 0)
                off = switched_off_for(facts, rubric, win, self._fiscal)
                kept = self.score_files.read(identity, "scored", on_disk, _SCORED_FRAMES)
                if kept is not None:
                    return PeriodScores(target, kept["leaders"], kept["assessed"], kept["scores"], params, off, key,
                                        win, kept["coverage"], identity)
                leaders = visible_leaders(con, everyone)
                raw = compute_metric_values(con, params)
                assessed = assess(leaders, raw, rubric, switched_off=off, period_complete=win.complete)
                result = PeriodScores(target, leaders, assessed, score_table(assessed, rubric), params, off, key,
                                      win, score_coverage(assessed, rubric), identity)
                assert result.coverage is not None
                self.score_files.write(identity, "scored", on_disk, {
                    "leaders": leaders, "assessed": assessed, "scores": result.scores, "coverage": result.coverage})
                return result

            return self._shared.remember("scored", key, compute)

    def _kept_key(self, win: Window) -> tuple[object, ...]:
        """What the org's results of a window are kept on disk under, with the data's identity."""
        return (win.period.label, win.period.start, win.period.end_exclusive, win.as_of, rubric_key(self.rubric),
                self._fiscal)

    def _sees_everyone(self, org: PeriodScores) -> bool:
        return len(self.viewer.visible_reps) == len(org.params["visible_reps"]) and \
            set(self.viewer.visible_reps) == set(org.params["visible_reps"])

    def _scored_window(self, win: Window) -> PeriodScores:
        """The org's scores for a window, filtered to the leaders the viewer may see."""
        org = self._org_scored_window(win)
        if self._sees_everyone(org):
            return org
        visible = pl.Series(list(self.viewer.visible_reps), dtype=pl.String)

        def mine(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.filter(pl.col("leader_id").is_in(visible.implode()))

        assert org.coverage is not None
        return PeriodScores(org.period, mine(org.leaders), mine(org.assessed), mine(org.scores),
                            {**org.params, "visible_reps": list(self.viewer.visible_reps)}, org.switched_off,
                            (*org.cache_key, reps_key(self.viewer.visible_reps)), org.window,
                            mine(org.coverage), org.data_identity)

    def previous_scored(self, period: str | Period | None = None) -> PeriodScores:
        """The previous quarter scored for comparison: whole when ``period`` is over; while it runs,
        cut at the same share elapsed (a quarter 40 days in is compared with the previous quarter's
        first 40 days, scaled to its length), so a quarter in progress does not read as a drop."""
        now = self.window(period)
        return self._scored_window(same_share_elapsed(now.period.previous(self._fiscal), now))

    def leaders(self, period: str | Period | None = None, *, region: str | None = None,
                level: int | None = None) -> pl.DataFrame:
        """One row per visible leader: the eleven scores, their change against the previous period
        (at the same share elapsed while the period runs), the metric that moved each score most
        (``<score>_mover``, a metric key, and ``<score>_mover_change``, its signed change in points of
        the score: ``overall_mover`` is what moved the overall score; see ``scoring.score_movers``),
        how much of each score's weight was scored (``<score>_coverage``, 0-1; ``coverage`` in words
        for the overall score) and whether
        the overall score rests on thin coverage (``thin_coverage``). Sorted by overall score, best
        first, the leaders on thin coverage after the others: they are not ranked as if complete."""
        now = self.scored(period)
        previous = self.previous_scored(now.period)
        changes = previous.scores.select("leader_id", *[pl.col(s).alias(f"{s}_before") for s in SCORE_KEYS])
        assert now.coverage is not None
        movers = movers_wide(score_movers(now.assessed, previous.assessed, self.rubric))
        frame = (
            now.leaders.join(now.scores, on="leader_id", how="left")
            .join(changes, on="leader_id", how="left")
            .with_columns([(pl.col(s) - pl.col(f"{s}_before")).alias(f"{s}_change") for s in SCORE_KEYS])
            .drop([f"{s}_before" for s in SCORE_KEYS])
            .join(movers, on="leader_id", how="left")
            .join(coverage_wide(now.coverage, self.rubric), on="leader_id", how="left")
            .with_columns(pl.col("thin_coverage").fill_null(True), pl.lit(now.in_progress).alias("in_progress"))
        )
        if region is not None:
            frame = frame.filter(pl.col("region") == region)
        if level is not None:
            frame = frame.filter(pl.col("level") == level)
        return frame.select(
            "leader_id", "leader_name", "level", "region", "team_size", "direct_reports", *SCORE_KEYS,
            *[f"{s}_change" for s in SCORE_KEYS], *[f"{s}_coverage" for s in SCORE_KEYS], "coverage",
            "thin_coverage", "in_progress",
            *[c for s in SCORE_KEYS for c in (f"{s}_mover", f"{s}_mover_change")],
        ).sort(["thin_coverage", "overall", "leader_id"], descending=[False, True, False], nulls_last=True)

    def coverage(self, period: str | Period | None = None) -> pl.DataFrame:
        """How much of each leader's scores was scored: leader_id, score, scored, total (metrics, or
        roles for the overall score), weight_share (0-1), coverage ("3 of 5 metrics, 60% of the
        weight")."""
        result = self.scored(period)
        assert result.coverage is not None
        return result.coverage

    def metric_values(self, period: str | Period | None = None) -> pl.DataFrame:
        """Long: leader_id, metric, value, sample, points, status (and reason, target, unit)."""
        return self.scored(period).assessed.select(
            "leader_id", "metric", "value", "sample", "points", "status", "reason", "min_sample", "target",
            "unit", "metric_label")

    def rep_metric_values(self, period: str | Period | None = None) -> pl.DataFrame:
        """Per rep, the metrics that make sense for one rep: rep_id, rep_name, manager_id, metric,
        metric_label, unit, value, sample, min_sample, status, reason, points, target, team_median."""
        return self._for_viewer_reps(self._org_rep_metric_values(period))

    def _org_rep_metric_values(self, period: str | Period | None = None) -> pl.DataFrame:
        """``rep_metric_values`` of every rep of the org (a percentile among all of them)."""
        result = self._org_scored_window(self.window(period))

        def compute() -> pl.DataFrame:
            assert result.window is not None
            identity, on_disk = result.data_identity, self._kept_key(result.window)
            kept = self.score_files.read(identity, "reps", on_disk, ["reps"])
            if kept is not None:
                return kept["reps"]
            with self.store.reader() as con:
                values = rep_metric_values(con, result.params, self.rubric, result.switched_off,
                                           window(result.period, self.today).complete)
            self.score_files.write(identity, "reps", on_disk, {"reps": values})
            return values

        return self._shared.remember("reps", result.cache_key, compute)

    def _for_viewer_reps(self, rep_values: pl.DataFrame) -> pl.DataFrame:
        """The per-rep values of the reps the viewer may see; the team median only where the viewer
        may see the team's manager (a rep on their own is not shown their peers' median)."""
        visible = pl.Series(list(self.viewer.visible_reps), dtype=pl.String).implode()
        if rep_values.filter(~pl.col("rep_id").is_in(visible)).is_empty():
            return rep_values
        return rep_values.filter(pl.col("rep_id").is_in(visible)).with_columns(
            pl.when(pl.col("manager_id").is_in(visible)).then(pl.col("team_median")).alias("team_median"))

    # -- drill-downs ----------------------------------------------------------------------------

    def team_figures(self, period: str | Period | None = None) -> drilldown.TeamFigures:
        """The figures of the Leader page's team table and the Rep page, for every visible rep and
        leader: the metrics per rep (``rep_metric_values``) and per leader (the score's own values),
        with the display figures beside them. Computed once per period and data version."""
        result = self._org_scored_window(self.window(period))

        def compute() -> drilldown.TeamFigures:
            rep_values = self._org_rep_metric_values(result.period)
            assert result.window is not None
            identity, on_disk = result.data_identity, self._kept_key(result.window)
            kept = self.score_files.read(identity, "figures", on_disk, ["reps", "leaders"])
            if kept is not None:
                return drilldown.TeamFigures(window=result.window, reps=kept["reps"], leaders=kept["leaders"],
                                             rep_values=rep_values)
            with self.store.reader() as con:
                figures = drilldown.team_figures(con, window(result.period, self.today), result.params, rep_values,
                                                 result.assessed)
            self.score_files.write(identity, "figures", on_disk, {"reps": figures.reps, "leaders": figures.leaders})
            return figures

        hit = self._shared.remember("figures", result.cache_key, compute)
        if self._sees_everyone(result):
            return hit
        visible = pl.Series(list(self.viewer.visible_reps), dtype=pl.String).implode()
        return drilldown.TeamFigures(window=hit.window, reps=hit.reps.filter(pl.col("unit_id").is_in(visible)),
                                     leaders=hit.leaders.filter(pl.col("unit_id").is_in(visible)),
                                     rep_values=self._for_viewer_reps(hit.rep_values))

    def leader_team(self, leader_id: str, period: str | Period | None = None) -> pl.DataFrame:
        """The leader's whole team, one row per visible member employed in the period, with every
        per-rep metric as the score computes it (quota_attainment, stalled_deal_rate, ...) and the
        display figures (attainment_full_period, won_amount, period_quota, open_pipeline,
        expected_attainment); a member who leads a team shows that team's figures (``leads_team``).
        Lowest quota attainment first within each level."""
        with self.store.reader() as con:  # held open, the readers the scoring opens reuse its database
            figures = self.team_figures(period)
            return drilldown.leader_team(con, leader_id, self.viewer.visible_reps, figures.period, self.today,
                                         figures=figures)

    def rep_view(self, rep_id: str, period: str | Period | None = None) -> drilldown.RepView:
        """One rep's live view, as the Rep page shows it: profile, ``figures`` (the rep's metrics
        as the score computes them, and the display figures), this week's activity feed, the deals
        open on the as-of date with their risk flags (``.deals``), target accounts, won against
        pace, and the rep against the team median. Raises ``KeyError`` when the viewer may not see
        the rep."""
        with self.store.reader() as con:  # held open, the readers the scoring opens reuse its database
            figures = self.team_figures(period)
            view = drilldown.rep_view(con, rep_id, self.viewer.visible_reps, figures.period, self.today,
                                      figures=figures)
        if view is None:
            raise KeyError(f"no rep {rep_id!r} among the reps this viewer may see")
        return view

    def explain(self, leader_id: str, period: str | Period | None = None,
                score: str | None = None) -> pl.DataFrame:
        """Each metric behind a leader's scores: value, unit, points, weight, sample, status, reason,
        and the coverage of the score it counts in ("3 of 5 metrics, 60% of the weight")."""
        result = self.scored(period)
        self._require_leader(result, leader_id)
        return explanation(result.assessed, self.rubric, leader_id, score, result.coverage)

    def scores_of(self, leader_id: str, period: str | Period | None = None) -> dict[str, float | None]:
        """The eleven scores of one leader."""
        result = self.scored(period)
        self._require_leader(result, leader_id)
        row = result.scores.filter(pl.col("leader_id") == leader_id).row(0, named=True)
        return {s: row[s] for s in SCORE_KEYS}

    def metric_rows(self, leader_id: str, metric: str, period: str | Period | None = None) -> pl.DataFrame:
        """The CRM rows behind one metric of one leader (deals, activities, reps or sessions)."""
        result = self.scored(period)
        self._require_leader(result, leader_id)
        with self.store.reader() as con:
            return metric_rows(con, leader_id, metric, result.params)

    def coaching_priorities(self, leader_id: str, period: str | Period | None = None, n: int = 3) -> pl.DataFrame:
        """The ``n`` metrics whose improvement to target would raise the overall score most:
        metric, metric_label, value, target, points, gain (overall points it would add)."""
        result = self.scored(period)
        self._require_leader(result, leader_id)
        return coaching_priorities(result.assessed, leader_id, self.rubric, n)

    def history(self, leader_id: str, quarters: int = 8, period: str | Period | None = None) -> pl.DataFrame:
        """The leader's scores for the last ``quarters`` quarters ending with ``period`` (default:
        the quarter of the as-of date), oldest first: period, period_start, overall and the ten
        scores, ``in_progress`` (the quarter of the as-of date, measured up to it) and ``coverage``
        (of the overall score, in words). Quarters before or after the data (no deal, no activity)
        are left out: scores there would come from the reps extract alone."""
        last = self.period(period)
        with_data = {p.label for p in self.periods()}
        frames = []
        for back in range(quarters - 1, -1, -1):
            p = last.shifted(-back, self._fiscal)
            if p.label not in with_data:
                continue
            result = self.scored(p)
            scores = result.scores.filter(pl.col("leader_id") == leader_id)
            if scores.height:
                assert result.coverage is not None
                words = result.coverage.filter((pl.col("leader_id") == leader_id) & (pl.col("score") == "overall"))
                frames.append(scores.select(
                    pl.lit(p.label).alias("period"), pl.lit(p.start).alias("period_start"), *SCORE_KEYS,
                    pl.lit(result.in_progress).alias("in_progress"),
                    pl.lit(words["coverage"][0] if words.height else None, dtype=pl.String).alias("coverage")))
        if not frames:
            return pl.DataFrame(schema={"period": pl.String, "period_start": pl.Date,
                                        **{s: pl.Float64 for s in SCORE_KEYS}, "in_progress": pl.Boolean,
                                        "coverage": pl.String})
        return pl.concat(frames)

    def score_recent_quarters(self, period: str | Period | None = None, quarters: int = 8) -> list[str]:
        """Score the whole org for what the pages and packs open with, so that they find it kept
        (in this card's cache and on disk for every process reading this data): the last
        ``quarters`` quarters with data ending with ``period`` (the score history), the previous
        quarter at the same share elapsed (the changes) and every rep's and team's figures of
        ``period`` (the team table, the Rep page). A load calls this right after its data is in
        place (``scorecard ingest``, the inbox), so the first reader after it does not pay. Returns
        the quarters scored."""
        last = self.period(period)
        self.previous_scored(last)
        self.team_figures(last)
        with_data = {p.label for p in self.periods()}
        done = []
        for back in range(quarters - 1, -1, -1):
            p = last.shifted(-back, self._fiscal)
            if p.label in with_data:
                self._org_scored_window(self.window(p))
                done.append(p.label)
        return done

    def org_median(self, period: str | Period | None = None) -> dict[str, float]:
        """Median of each of the eleven scores over every leader of the org, whoever looks (NaN when
        none is scored): a leader compares themself with the whole org, not with the leaders they
        may see (a median names no one)."""
        scores = self._org_scored_window(self.window(period)).scores
        out: dict[str, float] = {}
        for s in SCORE_KEYS:
            value = scores[s].median() if scores.height else None
            out[s] = float(value) if isinstance(value, int | float) else float("nan")
        return out

    def switched_off(self, period: str | Period | None = None) -> pl.DataFrame:
        """The metrics the data cannot support in a period (default: the quarter of the as-of date):
        metric, metric_label, reason (which names what would switch it on)."""
        win = self.window(period)
        with self.store.reader() as con:
            facts = self._data_facts(con, self.store.data_version(con))
        off = switched_off_for(facts, self.rubric, win, self._fiscal)
        return pl.DataFrame({"metric": list(off), "metric_label": [METRICS[m].label for m in off],
                             "reason": list(off.values())},
                            schema={"metric": pl.String, "metric_label": pl.String, "reason": pl.String})

    # -- the rubric's product lines ---------------------------------------------------------------

    def product_lines(self) -> list[str]:
        """The product lines the deals carry, most used first (what the rubric's lines must match)."""
        with self.store.reader() as con:
            return list(self._data_facts(con, self.store.data_version(con)).product_lines)

    def rubric_file(self) -> Path:
        """Where the rubric in force is read from and an edited one is saved: the ``rubric``
        setting, else ``rubric.toml`` beside the database."""
        return rubric_file(self.settings)[0]

    def set_product_lines(self, *, strategic: list[str] | None = None,
                          bundles: list[str] | None = None) -> Path:
        """Name the strategic and/or bundle product lines and save them to the rubric file
        (:meth:`rubric_file`), keeping every other setting and comment of the rubric in force.
        Returns the file written; the scores use the new lines from the next call on."""
        text = with_product_lines(rubric_text(self.rubric), strategic=strategic, bundles=bundles)
        path = self.rubric_file()
        save_rubric_text(path, text)
        if self.rubric_keeper.path != path:
            self.rubric_keeper = RubricKeeper(path)
        return path

    @staticmethod
    def score_labels() -> dict[str, str]:
        return dict(SCORES)

    def _require_leader(self, result: PeriodScores, leader_id: str) -> None:
        if leader_id not in set(result.leaders["leader_id"].to_list()):
            raise KeyError(f"no leader {leader_id!r} among the leaders this viewer may see")


def score_after_load(db: str | Path, settings: Settings | None = None) -> str:
    """What a load runs once its data is in place (``scorecard ingest``, the inbox): the whole org
    scored for the recent quarters (:meth:`Scorecard.score_recent_quarters`) and kept on disk, so no
    reader after the load pays for it. Never fails the load: when scoring fails, the first reader
    scores. Returns what was done, in words."""
    start = time.perf_counter()
    try:
        card = Scorecard.open(db, settings=settings or get_settings(db=Path(db)))
        done = card.score_recent_quarters()
    except Exception as exc:  # the load is in place whatever happens here
        log.warning("the recent quarters could not be scored after the load", exc_info=True)
        return f"The recent quarters were not scored ahead ({exc}); the first page or pack that needs them will."
    spent = time.perf_counter() - start
    span = f"{done[0]} to {done[-1]}" if len(done) > 1 else (done[0] if done else "no quarter with data")
    return f"Scored the whole org ahead for the pages and packs: {span}, in {spent:.1f} s."


_last_rubric_key: tuple[Rubric, str] | None = None


def rubric_key(rubric: Rubric) -> str:
    """A fingerprint of the rubric's content (weights, bands, product lines, coverage settings) for the
    cache keys; worked out once for the rubric in force (a keeper hands out the same object until the
    file changes)."""
    global _last_rubric_key
    last = _last_rubric_key
    if last is not None and last[0] is rubric:
        return last[1]
    content = repr((sorted(rubric.bands.items()), sorted((k, sorted(v.weights.items()))
                                                          for k, v in rubric.scores.items()),
                    rubric.strategic_lines, rubric.bundle_lines, rubric.coverage))
    key = hashlib.sha1(content.encode()).hexdigest()
    _last_rubric_key = (rubric, key)
    return key


def reps_key(reps: tuple[str, ...]) -> str:
    """A fingerprint of a list of reps: viewers who may see the same reps share cached results."""
    return hashlib.sha1("\x1f".join(reps).encode()).hexdigest()
