"""Checks that run too long and uploads whose page has gone: stopped, with a verdict, nothing changed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scorecard import upload_view
from scorecard.ingest import ingest_files
from scorecard.store import Store

REPS = "rep_id,rep_name,manager_id\nA,Ann,\nB,Bob,A\n"


def _store_with_reps(tmp_path: Path) -> Store:
    store = Store(tmp_path / "db.duckdb")
    first = tmp_path / "first" / "reps.csv"
    first.parent.mkdir()
    first.write_text(REPS, encoding="utf-8")
    assert ingest_files(store, [first], loaded_by="t").accepted
    return store


def _env(**settings: str) -> dict[str, str]:
    return {**os.environ, **{f"SCORECARD_{k.upper()}": v for k, v in settings.items()}}


def test_checks_past_the_time_limit_are_stopped_with_a_verdict(tmp_path: Path) -> None:
    store = _store_with_reps(tmp_path)
    upload = tmp_path / "reps.csv"
    upload.write_text(REPS + "C,Cy,A\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "scorecard", "ingest", "--db", str(store.path), str(upload)],
                          capture_output=True, text=True, timeout=120, env=_env(check_time_limit_seconds="0.01"))
    assert done.returncode == 1
    assert "REJECTED: nothing was changed" in done.stdout
    assert ("the checks did not finish within 0.01 s (the check_time_limit_seconds setting,"
            " SCORECARD_CHECK_TIME_LIMIT_SECONDS) and were stopped") in done.stdout
    assert "reps.csv" in done.stdout
    assert time.monotonic() - started < 60
    assert store.data_version() == 1 and store.row_counts()["reps"] == 2
    with store.reader() as con:  # the verdict is kept for the Data quality page
        assert con.execute("select file, rule, outcome, accepted from check_results where not passed").fetchall() == [
            ("reps.csv", "checked in time", "reject", False)]


def test_the_upload_page_gets_a_refused_plan_at_the_time_limit(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with_reps(tmp_path)
    staged = upload_view.stage_uploads(store, [("reps.csv", (REPS + "C,Cy,A\n").encode())])
    monkeypatch.setenv("SCORECARD_CHECK_TIME_LIMIT_SECONDS", "0.01")
    seen: list[str] = []
    plan = upload_view.plan_upload(store, [str(p) for p in staged], mapping=None, append=False, as_of=None,
                                   progress=lambda message, _f: seen.append(message))
    assert plan is not None and not plan.accepted
    [verdict] = plan.verdicts
    assert verdict.file == "reps.csv" and verdict.status == "rejected"
    assert verdict.failures[0].rule == "checked in time"
    assert "did not finish within 0.01 s" in verdict.failures[0].message
    assert store.row_counts()["reps"] == 2
    assert not list((upload_view.staging_dir(store) / upload_view.JOBS).iterdir())  # the job's folder is gone


def test_the_upload_page_gets_the_plan_it_shows(tmp_path: Path) -> None:
    store = _store_with_reps(tmp_path)
    staged = upload_view.stage_uploads(store, [("reps.csv", (REPS + "C,Cy,A\n").encode())])
    seen: list[str] = []
    plan = upload_view.plan_upload(store, [str(p) for p in staged], mapping=None, append=False, as_of=None,
                                   progress=lambda message, _f: seen.append(message))
    assert plan is not None and plan.accepted
    # A, B in place; the file has A, B, C: two replaced, one added
    assert plan.changes.select("extract", "added", "replaced", "removed").rows() == [("reps", 1, 2, 0)]
    assert [(v.file, v.status, v.rows) for v in plan.verdicts] == [("reps.csv", "accepted", 3)]
    assert not plan.staged  # a load re-plans the files in its own process
    assert store.row_counts()["reps"] == 2


def test_checks_stop_when_the_page_stops_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with_reps(tmp_path)
    staged = upload_view.stage_uploads(store, [("reps.csv", (REPS + "C,Cy,A\n").encode())])
    # the uploader leaves: the page stops asking at once, and the child is stopped with it
    plan = upload_view.plan_upload(store, [str(p) for p in staged], mapping=None, append=False, as_of=None,
                                   progress=lambda _m, _f: None, wanted=lambda: False)
    assert plan is None
    assert not upload_view._children
    # a page that vanished without a word (its process killed): the child notices the silence
    monkeypatch.setenv("SCORECARD_UPLOAD_ABANDONED_SECONDS", "1")
    folder = upload_view._start(store, {"kind": "plan", "paths": [str(p) for p in staged], "mapping": None,
                                        "append": False, "as_of": None})
    child = upload_view._children[folder]
    assert child.wait(timeout=60) == 1  # ended by itself, well before checks of a new process would
    assert not (folder / "plan.pickle").exists()
    upload_view.end_job(folder)
