"""The command line, run as a user runs it: the installed ``scorecard`` script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from scorecard.store import Store

SCORECARD = Path(sys.executable).parent / "scorecard"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCORECARD), *args], capture_output=True, text=True, timeout=300)


def test_demo_loads_and_restore(tmp_path: Path) -> None:
    db = tmp_path / "small.duckdb"
    built = _run("demo", "--db", str(db), "--scale", "0.2", "--seed", "3")
    assert built.returncode == 0, built.stderr
    assert "demo database ready" in built.stdout
    again = _run("demo", "--db", str(db), "--scale", "0.2")
    assert "already exists" in again.stdout

    store = Store(db)
    reps_before = store.row_counts()["reps"]
    # a second load through the store, then restore the first with the CLI
    store.load({"reps": _two_reps()},
               loaded_by="ops")
    assert store.row_counts()["reps"] == 2
    listed = _run("loads", "--db", str(db))
    assert listed.returncode == 0
    lines = listed.stdout.strip().splitlines()
    assert lines[0].split()[0] == "2" and lines[1].split()[0] == "1" and "demo" in lines[1]

    restored = _run("restore", "--db", str(db), "1", "--by", "ops@example.com")
    assert restored.returncode == 0 and "restored load 1 as load 3" in restored.stdout
    assert store.row_counts()["reps"] == reps_before
    missing = _run("restore", "--db", str(db), "99")
    assert missing.returncode == 2 and "no accepted load 99" in missing.stderr


def _two_reps() -> pl.DataFrame:
    return pl.DataFrame({"rep_id": ["a", "b"], "rep_name": ["A", "B"], "manager_id": [None, "a"]})


def test_demo_database_fixture_has_the_demo_org(demo_db_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy2(demo_db_path, copy)
    counts = Store(copy).row_counts()
    assert counts["reps"] == 120
    assert counts["opportunities"] > 20_000 and counts["activities"] > 300_000


def test_every_command_also_runs_as_a_module() -> None:
    for module in ("scorecard", "scorecard.cli"):
        out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
        commands = "{demo,loads,restore,ingest,score,explain,report,digest}"
        assert out.returncode == 0 and commands in out.stdout, out.stderr


def test_help_answers_without_loading_the_engines() -> None:
    """`scorecard --help` imports neither Great Expectations, Polars, DuckDB nor the settings."""
    import subprocess
    import sys

    probe = ("import sys\nfrom scorecard.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('great_expectations', 'polars', 'duckdb', 'pydantic_settings', 'pandas')"
             " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "ingest" in out and "score" in out and "explain" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_score_as_csv_keeps_a_formula_looking_name_as_text(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A name that slipped past the checks (loaded straight into the store) is written so that a
    spreadsheet shows it and runs nothing."""
    from scorecard.cli import main

    store = Store(tmp_path / "db.duckdb")
    store.load({"reps": pl.DataFrame({"rep_id": ["L1", "R1"], "rep_name": ["=HYPERLINK(\"http://x\")", "Ann"],
                                      "manager_id": [None, "L1"]})}, loaded_by="t")
    assert main(["score", "--db", str(store.path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and ",=HYPERLINK" not in out
