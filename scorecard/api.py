"""The scorecard as Python: one entry point for the pages, the command line and notebooks.

    >>> from scorecard.api import Scorecard
    >>> card = Scorecard.open("data/scorecard.duckdb")
    >>> card.leaders("2026Q3")                     # one row per leader, the eleven scores
    >>> card.explain("U0005", "2026Q3", "teams")   # each metric's value, points, weight, status
    >>> card.metric_rows("U0005", "coaching_coverage", "2026Q3")   # the CRM rows behind it

Everything comes back as Polars frames; nothing here imports Streamlit. Results are cached per
(data version, period, visible reps, rubric, today) inside the object, in plain Python.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from scorecard import sql
from scorecard.access import Viewer, local_viewer
from scorecard.calendar import Period, parse_period, quarter_containing
from scorecard.explain import explanation, metric_rows
from scorecard.metrics import METRICS, SCORES
from scorecard.rubric import Rubric, RubricKeeper
from scorecard.scoring import (
    SCORE_KEYS,
    assess,
    coaching_priorities,
    compute_metric_values,
    data_presence,
    query_params,
    rep_metric_values,
    score_table,
    switched_off_reasons,
    visible_leaders,
    window,
)
from scorecard.settings import Settings, get_settings
from scorecard.store import Store

_CACHE_SIZE = 32


@dataclass(frozen=True)
class PeriodScores:
    """Everything scored for one period: the leaders, each (leader, metric) assessed, the scores."""

    period: Period
    leaders: pl.DataFrame
    assessed: pl.DataFrame
    scores: pl.DataFrame
    params: dict[str, Any]
    switched_off: dict[str, str]
    cache_key: tuple[Any, ...] = ()


class Scorecard:
    """Scores, explanations and coaching priorities for the leaders a viewer may see."""

    def __init__(self, store: Store, settings: Settings, viewer: Viewer, *, today: date | None = None,
                 rubric: RubricKeeper | None = None) -> None:
        self.store = store
        self.settings = settings
        self.viewer = viewer
        self._today = today
        self.rubric_keeper = rubric or RubricKeeper(settings.rubric)
        self._cache: OrderedDict[tuple[Any, ...], PeriodScores] = OrderedDict()
        self._presence: tuple[int, dict[str, str]] | None = None
        self._rep_cache: OrderedDict[tuple[Any, ...], pl.DataFrame] = OrderedDict()
        self._lock = threading.Lock()  # the app may call one Scorecard from several sessions at once

    @classmethod
    def open(cls, db: str | Path | None = None, *, viewer: Viewer | None = None,
             settings: Settings | None = None, today: date | None = None) -> Scorecard:
        """Open a scorecard database; ``viewer`` None is the local install that sees everyone."""
        settings = settings or get_settings()
        path = Path(db) if db else settings.db
        store = Store(path, archive_dir=settings.archive_dir, reporting_currency=settings.reporting_currency)
        if viewer is None:
            with store.reader() as con:
                viewer = local_viewer(con)
        return cls(store, settings, viewer, today=today)

    # -- periods ----------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self._today or date.today()

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
        """The quarter containing today."""
        return quarter_containing(self.today, self._fiscal)

    def period(self, label: str | Period | None = None) -> Period:
        """``"2026Q3"`` -> that fiscal quarter; a Period as is; None -> the current quarter."""
        if label is None:
            return self.current_period()
        if isinstance(label, Period):
            return label
        return parse_period(label, self._fiscal)

    def periods(self) -> list[Period]:
        """The quarters that have data (deals or activities), oldest first, up to the current one."""
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
        """Score every visible leader for a period (cached per data version, viewer and rubric)."""
        target = self.period(period)
        rubric = self.rubric
        with self.store.reader() as con:
            version = self.store.data_version(con)
            key = (version, target.label, target.start, _reps_key(self.viewer.visible_reps), _rubric_key(rubric),
                   self.today)
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
            win = window(target, self.today)
            params = query_params(win, self.viewer.visible_reps, rubric, self._fiscal)
            leaders = visible_leaders(con, self.viewer.visible_reps)
            raw = compute_metric_values(con, params)
            off = self._switched_off(con, version)
        assessed = assess(leaders, raw, rubric, switched_off=off, period_complete=win.complete)
        result = PeriodScores(target, leaders, assessed, score_table(assessed, rubric), params, off, key)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def leaders(self, period: str | Period | None = None, *, region: str | None = None,
                level: int | None = None) -> pl.DataFrame:
        """One row per visible leader with the eleven scores and their change vs the previous period,
        sorted by overall score (best first)."""
        now = self.scored(period)
        before = self.scored(now.period.previous(self._fiscal)).scores
        changes = before.select("leader_id", *[pl.col(s).alias(f"{s}_before") for s in SCORE_KEYS])
        frame = (
            now.leaders.join(now.scores, on="leader_id", how="left")
            .join(changes, on="leader_id", how="left")
            .with_columns([(pl.col(s) - pl.col(f"{s}_before")).alias(f"{s}_change") for s in SCORE_KEYS])
            .drop([f"{s}_before" for s in SCORE_KEYS])
        )
        if region is not None:
            frame = frame.filter(pl.col("region") == region)
        if level is not None:
            frame = frame.filter(pl.col("level") == level)
        return frame.select(
            "leader_id", "leader_name", "level", "region", "team_size", "direct_reports", *SCORE_KEYS,
            *[f"{s}_change" for s in SCORE_KEYS],
        ).sort(["overall", "leader_id"], descending=[True, False], nulls_last=True)

    def metric_values(self, period: str | Period | None = None) -> pl.DataFrame:
        """Long: leader_id, metric, value, sample, points, status (and reason, target, unit)."""
        return self.scored(period).assessed.select(
            "leader_id", "metric", "value", "sample", "points", "status", "reason", "min_sample", "target",
            "unit", "metric_label")

    def rep_metric_values(self, period: str | Period | None = None) -> pl.DataFrame:
        """Per rep, the metrics that make sense for one rep: rep_id, rep_name, manager_id, metric,
        metric_label, unit, value, sample, min_sample, status, reason, points, target, team_median."""
        result = self.scored(period)
        key = ("reps", *result.cache_key)
        with self._lock:
            hit = self._rep_cache.get(key)
        if hit is None:
            with self.store.reader() as con:
                hit = rep_metric_values(con, result.params, self.rubric, result.switched_off,
                                        window(result.period, self.today).complete)
            with self._lock:
                self._rep_cache[key] = hit
                while len(self._rep_cache) > _CACHE_SIZE:
                    self._rep_cache.popitem(last=False)
        return hit

    def explain(self, leader_id: str, period: str | Period | None = None,
                score: str | None = None) -> pl.DataFrame:
        """Each metric behind a leader's scores: value, unit, points, weight, sample, status, reason."""
        result = self.scored(period)
        self._require_leader(result, leader_id)
        return explanation(result.assessed, self.rubric, leader_id, score)

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
        the current one), oldest first: period, period_start, overall and the ten scores. Quarters
        before or after the data (no deal, no activity) are left out: scores there would come from
        the reps extract alone."""
        last = self.period(period)
        with_data = {p.label for p in self.periods()}
        frames = []
        for back in range(quarters - 1, -1, -1):
            p = last.shifted(-back, self._fiscal)
            if p.label not in with_data:
                continue
            scores = self.scored(p).scores.filter(pl.col("leader_id") == leader_id)
            if scores.height:
                frames.append(scores.select(pl.lit(p.label).alias("period"), pl.lit(p.start).alias("period_start"),
                                            *SCORE_KEYS))
        if not frames:
            return pl.DataFrame(schema={"period": pl.String, "period_start": pl.Date,
                                        **{s: pl.Float64 for s in SCORE_KEYS}})
        return pl.concat(frames)

    def org_median(self, period: str | Period | None = None) -> dict[str, float]:
        """Median of each of the eleven scores over the visible leaders (NaN when none is scored)."""
        scores = self.scored(period).scores
        out: dict[str, float] = {}
        for s in SCORE_KEYS:
            value = scores[s].median() if scores.height else None
            out[s] = float(value) if isinstance(value, int | float) else float("nan")
        return out

    def _switched_off(self, con: duckdb.DuckDBPyConnection, version: int) -> dict[str, str]:
        """metric -> reason it is switched off, computed once per data version."""
        if self._presence is None or self._presence[0] != version:
            self._presence = (version, switched_off_reasons(data_presence(con)))
        return self._presence[1]

    def switched_off(self) -> pl.DataFrame:
        """The metrics switched off by missing data: metric, metric_label, reason."""
        with self.store.reader() as con:
            off = self._switched_off(con, self.store.data_version(con))
        return pl.DataFrame({"metric": list(off), "metric_label": [METRICS[m].label for m in off],
                             "reason": list(off.values())},
                            schema={"metric": pl.String, "metric_label": pl.String, "reason": pl.String})

    @staticmethod
    def score_labels() -> dict[str, str]:
        return dict(SCORES)

    def _require_leader(self, result: PeriodScores, leader_id: str) -> None:
        if leader_id not in set(result.leaders["leader_id"].to_list()):
            raise KeyError(f"no leader {leader_id!r} among the leaders this viewer may see")


def _rubric_key(rubric: Rubric) -> str:
    """A fingerprint of the rubric's content (weights, bands, product lines) for the cache key."""
    content = repr((sorted(rubric.bands.items()), sorted((k, sorted(v.weights.items()))
                                                          for k, v in rubric.scores.items()),
                    rubric.strategic_lines, rubric.bundle_lines))
    return hashlib.sha1(content.encode()).hexdigest()


def _reps_key(reps: tuple[str, ...]) -> str:
    return hashlib.sha1("\x1f".join(reps).encode()).hexdigest()
