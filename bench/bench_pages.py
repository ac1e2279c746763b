"""Page benchmarks: the server-side render time of every page, and the leader and rep drill-downs.

``<page>_page_warm``: one ``streamlit.testing`` run of the page through the app's router, after a
first run that filled the app's caches (keyed on the data version), as a returning viewer sees it.
The figure is the best of a few runs and includes the script, the figures and the dataframes.

``leader_drilldown_warm`` and ``rep_drilldown_warm``: the package calls behind those pages with no
Streamlit cache at all (the scorecard's scores and per-rep figures for the period already computed,
once per data version, DuckDB warm): the leader's explanation, coaching priorities, the rows behind
one metric and the team table; the rep's feed, open deals with risk flags, target accounts, pace
curve and team median. Like the app, each call opens its own reader. ``team_figures_first_view``
is what the first of those views of a period costs, once per data version: every rep's metrics and
display figures. ``rep_drilldown_open_database`` is the rep drill-down while a second
connection keeps the database open, so DuckDB's blocks stay in memory between calls: the queries'
own time, without reopening the file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 5
PAGES = ("scorecard", "leader", "rep", "org", "data_quality", "methodology")


def _pick_people(db_path: Path) -> tuple[str, str]:
    """A first-line leader with the largest team, and the first rep of that team."""
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        leader = con.execute(
            "select leader_id from leaders where level = (select max(level) from leaders)"
            " order by team_size desc, leader_id limit 1").fetchall()[0][0]
        rep = con.execute("select rep_id from team_members where leader_id = $leader order by rep_id limit 1",
                          {"leader": leader}).fetchall()[0][0]
    return str(leader), str(rep)


def _page_times(db_path: Path, leader: str, rep: str) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from scorecard.ui import state

    os.environ["SCORECARD_DB"] = str(db_path)
    app = Path(__file__).resolve().parent.parent / "app.py"
    params = {"leader": {"leader": leader}, "rep": {"rep": rep}}
    figures: dict[str, float] = {}
    st.cache_data.clear()
    st.cache_resource.clear()
    for page in PAGES:
        at = AppTest.from_file(str(app), default_timeout=300)
        at.switch_page(state.script(page))
        for key, value in params.get(page, {}).items():
            at.query_params[key] = value
        at.run()  # fills the caches
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        seconds = []
        for _ in range(RUNS):
            start = time.perf_counter()
            at.run()
            seconds.append(time.perf_counter() - start)
        figures[f"{page}_page_warm"] = min(seconds)
    return figures


def _drilldown_times(db_path: Path, leader: str, rep: str) -> dict[str, float]:
    from scorecard import drilldown
    from scorecard.api import Scorecard
    from scorecard.settings import Settings
    from scorecard.store import Store

    card = Scorecard.open(db_path, settings=Settings(db=db_path, keep_scores=False))
    period = card.current_period()
    viewer = card.viewer
    store = Store(db_path)
    explained = card.explain(leader, period)  # warm-up: scores the period once
    metric = str(explained["metric"][0])
    start = time.perf_counter()
    figures = card.team_figures(period)  # the period's per-rep figures, once per data version
    first_view = time.perf_counter() - start

    def leader_drilldown() -> None:
        card.explain(leader, period)
        card.coaching_priorities(leader, period)
        card.metric_rows(leader, metric, period)
        card.leader_team(leader, period)

    def rep_drilldown() -> None:
        card.rep_view(rep, period)

    def best_of_runs(work: Callable[[], object]) -> float:
        work()
        seconds = []
        for _ in range(RUNS):
            start = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - start)
        return min(seconds)

    times = {"team_figures_first_view": first_view, "leader_drilldown_warm": best_of_runs(leader_drilldown),
             "rep_drilldown_warm": best_of_runs(rep_drilldown)}
    # last, as a held connection keeps the database open for every reader in this process
    with store.reader() as held:
        times["rep_drilldown_open_database"] = best_of_runs(
            lambda: drilldown.rep_view(held, rep, viewer.visible_reps, figures.period, card.today, figures=figures))
    return times


def run(db_path: Path) -> dict[str, float]:
    """Warm server-side seconds of every page and of the leader and rep drill-downs on ``db_path``."""
    leader, rep = _pick_people(db_path)
    return {**_drilldown_times(db_path, leader, rep), **_page_times(db_path, leader, rep)}


if __name__ == "__main__":
    import sys

    for key, value in run(Path(sys.argv[1])).items():
        print(f"{key}: {value:.3f} s")
