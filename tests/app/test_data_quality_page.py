"""The Data quality page names the rows that were loaded with a flag."""

from __future__ import annotations

from pathlib import Path

from scorecard.ingest import ingest_files
from scorecard.store import Store
from tests.app.conftest import RunApp, frame_with, texts

DATA = Path(__file__).resolve().parents[1] / "data"


def test_flagged_rows_are_counted_and_listed(run_app: RunApp, tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,rep_name,manager_id\n41000,Lead,\n41001,Ann,41000\n")
    # D1 closes 2026-03-31 though it was created 2026-05-10 (line 2); D2 is fine
    result = ingest_files(store, [reps, DATA / "bad" / "opportunities_close_before_created.csv"], loaded_by="t")
    assert result.accepted, result.report()
    at = run_app(store.path, "pages/data_quality.py")
    assert not at.exception
    assert "1 row(s) in place broke a rule that real CRMs break every day" in texts(at)
    counts = frame_with(at, "files")
    assert counts[["extract", "rule", "rows"]].values.tolist() == [  # the extract in words
        ["Deals", "close date not before created date", 1]]
    rows = frame_with(at, "line")
    assert rows[["row_key", "file", "line"]].values.tolist() == [["D1", "opportunities_close_before_created.csv", 2]]
