"""CPU seconds per warm page run: what one app process spends on a returning viewer's page.

Each page (Scorecard, Leader, Rep) runs through the app's router with ``streamlit.testing`` against
one database, first once to fill the caches, then ``--runs`` times; the figure is the CPU time of the
thread that ran the page script (the script, the cache lookups, the figures and the dataframes as
Streamlit serialises them), median of the runs; beside it, the CPU of the whole process during the
run, which adds the threads working for the script (DuckDB's scans, the Rep page's queries side by
side) and the harness's own threads (nearly idle). The server's own part (the websocket, the
protobuf bytes) is in neither. ``--profile`` prints where the script thread's CPU goes (cProfile).

    python -m bench.bench_page_cpu --db data/scorecard.duckdb [--hosted] [--profile]

``--hosted`` runs as a logged-in leader of a hosted install (the access file and the login are
checked on every run), not as the local install's viewer who sees everyone. The machine's noise
moves every figure: compare two versions of the code in one run, side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("scorecard", "leader", "rep")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "scorecard", "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


class _ScriptClock:
    """The CPU time (and, when asked, the profile) of every run of a page script in this process."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.process_seconds: list[float] = []
        """The CPU of the whole process during each run: the script's thread and the threads that work
        for it (DuckDB's scans, the Rep page's queries side by side)."""
        self.profile: cProfile.Profile | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from streamlit.runtime.scriptrunner import script_runner
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
        from streamlit.testing.v1 import app_test, local_script_runner

        original = script_runner.ScriptRunner._run_script
        clock = self
        # A server compiles each page script once; the test harness would compile it on every run.
        shared = ScriptCache()
        harness = (app_test.ScriptCache, local_script_runner.ScriptCache)
        app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]

        def timed(runner: Any, rerun_data: Any) -> None:
            profile = clock.profile
            start, process_start = time.thread_time(), time.process_time()
            if profile is not None:
                profile.enable()
            try:
                original(runner, rerun_data)
            finally:
                if profile is not None:
                    profile.disable()
                with clock._lock:
                    clock.seconds.append(time.thread_time() - start)
                    clock.process_seconds.append(time.process_time() - process_start)

        script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            script_runner.ScriptRunner._run_script = original  # type: ignore[method-assign]
            app_test.ScriptCache, local_script_runner.ScriptCache = harness  # type: ignore[misc]


def _people(db: Path) -> tuple[str, str, str | None]:
    """The first-line leader with the largest team, the first rep of that team, and the e-mail of
    the leader one level up (the viewer of ``--hosted``)."""
    from scorecard.store import Store

    with Store(db).reader() as con:
        leader = con.execute(
            "select leader_id from leaders where level = (select max(level) from leaders)"
            " order by team_size desc, leader_id limit 1").fetchall()[0][0]
        rep = con.execute("select rep_id from team_members where leader_id = $leader order by rep_id limit 1",
                          {"leader": leader}).fetchall()[0][0]
        found = con.execute("select m.email from reps r join reps m on m.rep_id = r.manager_id"
                            " where r.rep_id = $leader", {"leader": leader}).fetchall()
    return str(leader), str(rep), (str(found[0][0]) if found and found[0][0] else None)


PARTS = {
    "page script": ("navigation/page.py", "run"),
    "charts: building figures": ("scorecard/charts.py", None),
    "st.plotly_chart": ("elements/plotly_chart.py", "plotly_chart"),
    "st.dataframe": ("elements/arrow.py", "dataframe"),
    "widgets.table": ("scorecard/ui/widgets.py", "table"),
    "tables: formatting": ("scorecard/ui/tables.py", None),
    "cache.kept (lookups and misses)": ("scorecard/ui/cache.py", "kept"),
    "cache.data_version": ("scorecard/ui/cache.py", "data_version"),
    "auth.gate": ("scorecard/ui/auth.py", "gate"),
    "auth.current_viewer": ("scorecard/ui/auth.py", "current_viewer"),
    "auth.show_banner": ("scorecard/ui/auth.py", "show_banner"),
    "store.connect": ("scorecard/store.py", "connect"),
    "polars collect": ("~", "<method 'collect' of 'builtins.PyLazyFrame' objects>"),
}
"""Where a page run's CPU goes: (file, function; None for every function of the file). Parts overlap
(a table is formatted inside ``widgets.table``)."""


def _parts(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each part of ``PARTS`` (outermost calls only, so recursion counts once)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for name, (file, function) in PARTS.items():
        keys = {k for k in table if k[0].endswith(file) and (function is None or k[2] == function)}
        total = 0.0
        for key in keys:
            _calls, _primitive, _own, cumulative, callers = table[key]
            # only the time reached from outside the part (a chart helper called by a chart is inside)
            outside = {c: v for c, v in callers.items() if c not in keys}
            total += sum(v[3] for v in outside.values()) if callers else cumulative
        found[name] = total
    return found


def _first_viewers(db: Path, count: int, besides: str | None) -> list[tuple[str, str, str]]:
    """(e-mail, own leader id, first rep of their team) of ``count`` first-line leaders other than
    ``besides``: viewers whose own results are not in the cache yet."""
    from scorecard.store import Store

    with Store(db).reader() as con:
        rows = con.execute(
            "select r.email, l.leader_id, min(t.rep_id) from leaders l join reps r on r.rep_id = l.leader_id"
            " join team_members t on t.leader_id = l.leader_id and t.rep_id <> l.leader_id"
            " where r.email is not null and r.email <> coalesce($besides, '')"
            " and l.level = (select max(level) from leaders)"
            " group by all order by l.leader_id limit $count", {"besides": besides, "count": count}).fetchall()
    return [(str(e), str(le), str(r)) for e, le, r in rows]


def page_cpu(db: Path, *, runs: int = 7, hosted: bool = False, profile: bool = False,
             top: int = 40, first_views: int = 0) -> dict[str, float]:
    """``{page: median CPU seconds of a warm run}`` for the Scorecard, Leader and Rep pages; with
    ``hosted`` and ``first_views``, also ``{page}_first_view``: the median CPU of the first page
    runs of a session of a leader who has not looked yet (the whole org's scores already made).
    Each also as ``{...}_process``: the CPU of the whole process meanwhile (the script's thread and
    the threads working for it, DuckDB's among them)."""
    import streamlit as st
    from streamlit import config

    from scorecard.ui import state

    os.environ["SCORECARD_DB"] = str(db)
    os.environ.pop("SCORECARD_HOSTED", None)
    os.environ["SCORECARD_INBOX_WATCH"] = "0"
    leader, rep, email = _people(db)
    config.set_option("server.address", "localhost")
    with contextlib.ExitStack() as stack:
        if hosted:  # a leader logged in; the access file names nobody (leaders see their own teams)
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            access = folder / "access.toml"
            access.write_text("executives = []\nsales_ops = []\n")
            os.environ["SCORECARD_ACCESS_FILE"] = str(access)
        clock = _ScriptClock()
        stack.enter_context(clock.installed())
        params = {"leader": {"leader": leader}, "rep": {"rep": rep}}
        st.cache_data.clear()
        st.cache_resource.clear()
        figures: dict[str, float] = {}
        for page in PAGES:
            at = _session(email if hosted else None)
            at.switch_page(state.script(page))
            for key, value in params.get(page, {}).items():
                at.query_params[key] = value
            at.run()  # fills the caches
            at.run()  # the session's second run (what a returning viewer's page run is)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].value}")
            clock.seconds.clear()
            clock.process_seconds.clear()
            clock.profile = cProfile.Profile() if profile else None
            for _ in range(runs):
                at.run()
            figures[page] = statistics.median(clock.seconds)
            figures[f"{page}_process"] = statistics.median(clock.process_seconds)
            if clock.profile is not None:
                _print_profile(clock.profile, f"{page}: {runs} warm runs", runs, top)
                clock.profile = None
        for page in PAGES if hosted else ():
            seconds, process_seconds = [], []
            clock.profile = cProfile.Profile() if profile else None
            for viewer, own, first_rep in _first_viewers(db, first_views, email):
                at = _session(viewer)
                at.switch_page(state.script(page))
                for key, value in {"leader": {"leader": own}, "rep": {"rep": first_rep}}.get(page, {}).items():
                    at.query_params[key] = value
                clock.seconds.clear()
                clock.process_seconds.clear()
                at.run()
                if at.exception:
                    raise RuntimeError(f"{page}: {at.exception[0].value}")
                seconds.append(sum(clock.seconds))
                process_seconds.append(sum(clock.process_seconds))
            if seconds:
                figures[f"{page}_first_view"] = statistics.median(seconds)
                figures[f"{page}_first_view_process"] = statistics.median(process_seconds)
            if clock.profile is not None and seconds:
                _print_profile(clock.profile, f"{page}: first views of {len(seconds)} leaders", len(seconds), top)
                clock.profile = None
    return figures


def _print_profile(profile: cProfile.Profile, title: str, runs: int, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    print(f"==== {title}, CPU ms per run under the profiler ====")
    for name, seconds in _parts(stats).items():
        print(f"  {name:<40} {seconds / runs * 1000:7.1f}")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def _session(email: str | None) -> Any:
    """A new browser session of the app (``AppTest``), logged in as ``email`` when given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    if email is not None:
        at.secrets["auth"] = dict(AUTH)
        now = int(time.time())
        at.user = {"is_logged_in": True, "email": email, "email_verified": True, "sub": email,
                   "exp": now + 36_000, "iat": now}
    return at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "scorecard.duckdb")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--hosted", action="store_true", help="a logged-in leader of a hosted install")
    parser.add_argument("--profile", action="store_true", help="print cProfile of the warm runs")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--first-views", type=int, default=0,
                        help="with --hosted: also the first page runs of this many other leaders")
    args = parser.parse_args()
    figures = page_cpu(args.db, runs=args.runs, hosted=args.hosted, profile=args.profile, top=args.top,
                       first_views=args.first_views)
    for page, seconds in figures.items():
        if page.endswith("_process"):
            continue
        what = "first page runs of a new viewer" if page.endswith("_first_view") else "warm page run"
        process = figures.get(f"{page}_process")
        whole = f" ({process * 1000:.0f} ms of the whole process)" if process is not None else ""
        print(f"{page.removesuffix('_first_view')}: {seconds * 1000:.0f} ms CPU per {what}{whole}")


if __name__ == "__main__":
    main()
