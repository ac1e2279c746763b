"""The load test's client (bench/loadtest.py): what it makes of Streamlit's messages, and its runs
against real app processes on this machine: the scorecard's pages for a few viewers, and a small
Streamlit script that raises, whose error must be counted once and only on the run that raised."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.loadtest import (
    FINISHED,
    Jar,
    Ledger,
    NotLocalError,
    Plan,
    Run,
    Tab,
    check_local,
    identities,
    percentile,
    run_coroutine,
    run_viewers,
    summarise,
)
from tests.conftest import RunningApp, _free_port, start_app, stop_app, stop_process, wait_until_serving


def _msg(**fields: object) -> ForwardMsg:
    msg = ForwardMsg()
    for name, value in fields.items():
        if name == "script_finished":
            msg.script_finished = value  # type: ignore[assignment]
        elif name == "exception":
            msg.delta.new_element.exception.message, msg.delta.new_element.exception.is_warning = value  # type: ignore[misc]
        elif name == "button":
            msg.delta.new_element.button.label, msg.delta.new_element.button.id = value  # type: ignore[misc]
        elif name == "heading":
            msg.delta.new_element.heading.body = value  # type: ignore[assignment]
        elif name == "markdown":
            msg.delta.new_element.markdown.body = value  # type: ignore[assignment]
        elif name == "auto_rerun":
            msg.auto_rerun.fragment_id, msg.auto_rerun.interval = value  # type: ignore[misc]
        elif name == "new_session":
            msg.new_session.name = "app"
        elif name == "navigation":
            for path, page_hash in value.items():  # type: ignore[attr-defined]
                page = msg.navigation.app_pages.add()
                page.url_pathname, page.page_script_hash = path, page_hash
    return msg


def test_the_ledger_counts_runs_errors_and_what_a_browser_would_do() -> None:
    ledger = Ledger(watch=("28 Nov 2026",))
    script = [
        _msg(new_session=True),
        _msg(navigation={"": "h-score", "leader": "h-leader"}),
        _msg(heading="Scorecard"),
        _msg(button=("Log in", "w-1")),
        _msg(auto_rerun=("frag-1", 5.0)),
        _msg(exception=("boom", False)),
        _msg(exception=("deprecated", True)),  # a warning: shown, not an error
        _msg(script_finished=FINISHED.FINISHED_SUCCESSFULLY),
        _msg(markdown="Data as of 28 Nov 2026"),
        _msg(script_finished=FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY),
        _msg(script_finished=FINISHED.FINISHED_EARLY_FOR_RERUN),
    ]
    for t, msg in enumerate(script):
        ledger.take(msg, float(t))
    assert [status for _, status in ledger.finishes] == [
        FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY, FINISHED.FINISHED_EARLY_FOR_RERUN]
    assert [what for _, what in ledger.errors] == [": boom"] and ledger.warnings == 1
    assert ledger.errors_between(0, 5) == [0] and ledger.errors_between(6, 10) == []
    assert ledger.pages == {"": "h-score", "leader": "h-leader"}
    assert ledger.buttons == {"Log in": "w-1"} and ledger.headings == ["Scorecard"]
    assert ledger.auto_reruns == {"frag-1": 5.0}
    assert ledger.seen_at == 8.0
    # a page waits for its own end: an interrupted run (early for rerun) does not count
    assert ledger.finish_after(1, {FINISHED.FINISHED_SUCCESSFULLY}) is None
    ledger.take(_msg(new_session=True), 11.0)  # a fragment's run: the timers stay
    ledger.take(_msg(script_finished=FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY), 12.0)
    assert ledger.auto_reruns == {"frag-1": 5.0}
    ledger.take(_msg(new_session=True), 13.0)  # a full run that sets no timer: none left
    assert ledger.buttons == {} and ledger.headings == []
    ledger.take(_msg(script_finished=FINISHED.FINISHED_SUCCESSFULLY), 14.0)
    assert ledger.auto_reruns == {}


def test_only_this_machine_is_a_target() -> None:
    for url in ("http://127.0.0.1:8501", "http://localhost:8080/x", "http://127.3.2.1", "http://[::1]:9"):
        check_local(url)
    for url in ("http://10.0.0.5:8501", "http://192.168.1.2", "http://example.com", "http://8.8.8.8:80"):
        with pytest.raises(NotLocalError):
            check_local(url)
    with pytest.raises(ValueError, match="between 1 and"):
        run_coroutine(run_viewers("http://127.0.0.1:9", [], Plan()))


def test_the_figures_of_a_run() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0 and percentile([1.0] * 19 + [9.0], 95) == 1.0
    assert percentile([], 95) is None
    from bench.loadtest import Outcome, ViewerResult

    runs = [Run(0, "scorecard", 0, 1.0, True), Run(0, "leader", 0, 3.0, True), Run(0, "rep", 0, 2.0, False, ["x"]),
            Run(0, "fragment", 0, 0.5, True)]
    figures = summarise(Outcome(runs, [ViewerResult(0, "leader")], 0.0, 10.0))
    assert figures["page_runs"] == 3 and figures["fragment_runs"] == 1 and figures["errors"] == 1
    assert figures["p50"] == 1.0 and figures["max"] == 3.0  # failed runs are errors, not times


@pytest.fixture(scope="module")
def demo_app(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app as a local install (no login) on a copy of the demo org, its caches warmed by one viewer
    (a fresh process's first concurrent page runs are another matter: docs and notes of the load test)."""
    import shutil

    folder = tmp_path_factory.mktemp("loadtest")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    app = start_app(db, {"SCORECARD_INBOX_DIR": str(folder / "inbox")})
    one = identities(db, 1)
    run_coroutine(run_viewers(app.url, one, Plan(ramp=0, think=0, login=False, auto_rerun=False)))
    yield app
    stop_app(app)


def test_viewers_open_their_pages_and_every_run_is_counted(demo_app: RunningApp) -> None:
    people = identities(demo_app.db, 3)
    outcome = run_coroutine(run_viewers(demo_app.url, people, Plan(ramp=0.5, think=0.1, login=False)))
    pages = [r for r in outcome.runs if r.page != "fragment"]
    assert sorted((r.viewer, r.page) for r in pages) == sorted(
        (n, page) for n in range(3) for page in ("scorecard", "leader", "rep"))
    assert all(r.ok and r.seconds > 0 for r in pages), [r.errors for r in pages if not r.ok]
    titles = {r.page: r.headings[0] for r in pages}
    assert titles == {"scorecard": "Scorecard", "leader": "Leader", "rep": "Rep"}
    leader_run = next(r for r in pages if r.viewer == 1 and r.page == "leader")
    assert len(leader_run.headings) > 1  # the leader's own name under the title: the page was drawn
    figures = summarise(outcome)
    assert figures["page_runs"] == 9 and figures["errors"] == 0 and figures["logged_in"] == 3


RAISES = """
import streamlit as st

st.title("Fixture")
if st.query_params.get("fail"):
    raise ValueError("failed on purpose")
st.write("fine")
"""


def test_an_error_is_counted_once_on_the_run_that_raised(tmp_path: Path) -> None:
    script = tmp_path / "raises.py"
    script.write_text(RAISES, encoding="utf-8")
    port = _free_port()
    log = tmp_path / "raises.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/_stcore/health", process, log, 60, "the fixture script")

        async def go() -> list[Run]:
            runs: list[Run] = []
            tab = Tab(url, Jar(), viewer=0, runs=runs, auto_rerun=False)
            await tab.open()
            await tab.open_page("fine")
            await tab.open_page("fails", "", "fail=1")
            await tab.open_page("fine again")
            await tab.close()
            return runs

        runs = run_coroutine(go())
    finally:
        stop_process(process)
    assert [(r.page, r.ok, len(r.errors)) for r in runs] == [("fine", True, 0), ("fails", False, 1),
                                                            ("fine again", True, 0)]
    assert "failed on purpose" in runs[1].errors[0]
