"""Scoring benchmarks: score every leader for one quarter, and explain one leader, on a database.

"Warm" means the database file and DuckDB are warm (one full run before timing) but the scorecard's
own result cache is empty: the timed run really computes every metric for every leader (only the
check of which extracts are loaded, kept per data version, is reused). The figure is the best of a
few runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from scorecard.access import Viewer
from scorecard.api import Scorecard
from scorecard.settings import Settings

RUNS = 3


def _best(seconds: list[float]) -> float:
    return min(seconds)


def run(db_path: Path) -> dict[str, float]:
    """Seconds for ``score_all_leaders_warm`` and ``explain_one_leader_warm`` (and a few more)."""
    card = Scorecard.open(db_path, settings=Settings(db=db_path, keep_scores=False))
    period = card.current_period().previous()  # the last complete quarter
    card.scored(period)  # warm-up: file pages, DuckDB caches

    scoring: list[float] = []
    for _ in range(RUNS):
        card._cache.clear()
        start = time.perf_counter()
        result = card.scored(period)
        scoring.append(time.perf_counter() - start)

    # the leader with the largest team below the top: a director
    below_top = result.leaders.filter(pl.col("level") == 1).sort("team_size", descending=True)
    leader = str((below_top if below_top.height else result.leaders)["leader_id"][0])

    explaining: list[float] = []
    rows: list[float] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        card.explain(leader, period)
        card.coaching_priorities(leader, period)
        explaining.append(time.perf_counter() - start)
        start = time.perf_counter()
        card.metric_rows(leader, "stalled_deal_rate", period)
        rows.append(time.perf_counter() - start)

    # a leader logged in: the same scoring for their own subtree only
    team = result.leaders.filter(pl.col("leader_id") == leader)
    subtree: list[float] = []
    if team.height:
        with card.store.reader() as con:
            reps = [r[0] for r in con.execute(
                "select rep_id from team_members where leader_id = $leader union select $leader",
                {"leader": leader}).fetchall()]
        viewer = Viewer(email=None, rep_id=leader, visible_reps=tuple(sorted(reps)), can_upload=False,
                        is_executive=False)
        own = Scorecard(card.store, card.settings, viewer)
        own.scored(period)
        for _ in range(RUNS):
            own._cache.clear()
            start = time.perf_counter()
            own.scored(period)
            subtree.append(time.perf_counter() - start)

    figures = {
        "score_all_leaders_warm": _best(scoring),
        "explain_one_leader_warm": _best(explaining),
        "metric_rows_one_leader_warm": _best(rows),
        "leaders_scored": float(result.leaders.height),
    }
    if subtree:
        figures["score_director_subtree_warm"] = _best(subtree)
    return figures


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(Path(sys.argv[1])), indent=2))
