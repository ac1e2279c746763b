"""Canonical CSVs have their ISO dates, times and numbers parsed while they are read; anything else
(a US date, a "$1,234", a Salesforce export) goes the general text way, with the same result."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from scorecard import ingest
from scorecard.formats.canonical import map_canonical
from scorecard.ingest import canonical_reader_types, plan_ingest
from scorecard.readers import read_path
from scorecard.store import Store

FORECASTS = (
    "leader_id,period_start,submitted_at,forecast_amount\n"
    "L1,2026-01-01,2026-01-05 09:30:00,120000.5\n"
    "L2, 2026-04-01 ,2026-04-02 17:00:00,  \n"   # padded date, blank amount
    "L3,2026-07-01,2026-07-03 08:00:00,90000\n"
)


def test_iso_columns_of_a_canonical_csv_come_out_typed(tmp_path: Path) -> None:
    path = tmp_path / "forecasts.csv"
    path.write_text(FORECASTS, encoding="utf-8")
    [table] = read_path(path, typed=canonical_reader_types)
    assert table.frame.dtypes == [pl.String(), pl.Date(), pl.Datetime("us"), pl.Float64()]
    assert table.frame.rows() == [
        ("L1", date(2026, 1, 1), datetime(2026, 1, 5, 9, 30), 120000.5),
        ("L2", date(2026, 4, 1), datetime(2026, 4, 2, 17, 0), None),   # the blank amount is blank
        ("L3", date(2026, 7, 1), datetime(2026, 7, 3, 8, 0), 90000.0),
    ]


def test_typed_and_text_reads_map_to_the_same_frame(tmp_path: Path) -> None:
    path = tmp_path / "forecasts.csv"
    path.write_text(FORECASTS, encoding="utf-8")
    [typed] = read_path(path, typed=canonical_reader_types)
    [text] = read_path(path)
    assert text.frame.dtypes == [pl.String] * 4
    typed_frame, text_frame = map_canonical(typed).frame, map_canonical(text).frame
    assert typed_frame is not None and text_frame is not None
    assert typed_frame.equals(text_frame)


def test_a_us_date_sends_the_file_the_general_way(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text("rep_id,period_start,period_end,quota_amount\n"
                    "U1,2026-01-01,2026-03-31,100000\n"
                    "U2,4/1/2026,6/30/2026,\"$1,234\"\n", encoding="utf-8")
    [table] = read_path(path, typed=canonical_reader_types)
    assert table.frame.dtypes == [pl.String] * 4  # read again as text
    mapped = map_canonical(table).frame
    assert mapped is not None
    # month first (no first part above 12), "$1,234" is 1234
    assert mapped.select("period_start", "period_end", "quota_amount").rows() == [
        (date(2026, 1, 1), date(2026, 3, 31), 100000.0), (date(2026, 4, 1), date(2026, 6, 30), 1234.0)]


def test_a_value_that_does_not_parse_is_still_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text("rep_id,period_start,period_end,quota_amount\n"
                    "U1,2026-01-01,2026-03-31,100000\n"
                    "U2,2026-04-01,2026-06-30,soon\n", encoding="utf-8")
    plan = plan_ingest(Store(tmp_path / "db.duckdb"), [path])
    failed = plan.checks.filter((pl.col("rule") == "parseable number") & ~pl.col("passed"))
    assert failed.select("column_name", "failed_rows").rows() == [("quota_amount", 1)]
    assert "line 3" in failed["sample"][0] and "'soon'" in failed["sample"][0]


def test_only_canonical_tables_are_typed_while_reading() -> None:
    assert canonical_reader_types("quotas", ["rep_id", "period_start", "period_end", "quota_amount"]) == {
        "period_start": "DATE", "period_end": "DATE", "quota_amount": "DOUBLE"}
    # a Salesforce Opportunity export, a HubSpot deals export, and a file missing required columns
    assert canonical_reader_types("Opportunity", ["Id", "OwnerId", "AccountId", "StageName", "CloseDate",
                                                  "Amount", "IsClosed", "IsWon", "CreatedDate"]) is None
    assert canonical_reader_types("deals", ["Deal Name", "Deal Stage", "Close Date", "Amount"]) is None
    assert canonical_reader_types("quotas", ["rep_id", "period_start"]) is None


ACTIVITIES = "activity_id,rep_id,activity_at,type,duration_min\n"


def _plan_checks(tmp_path: Path, paths: list[Path], monkeypatch: pytest.MonkeyPatch, early_rows: int) -> pl.DataFrame:
    monkeypatch.setattr(ingest, "EARLY_CHECK_ROWS", early_rows)
    plan = plan_ingest(Store(tmp_path / "db.duckdb"), paths)
    return plan.checks.sort("file", "extract", "rule", "column_name")


def test_a_suite_started_while_reading_gives_the_same_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,rep_name,manager_id\nU1,Ann,\nU2,Bob,U1\n", encoding="utf-8")
    acts = tmp_path / "activities.csv"
    acts.write_text(ACTIVITIES + "T1,U1,2026-01-05 09:00:00,call,10\nT2,U2,2026-01-05 10:00:00,email,\n"
                    "T1,U2,2026-01-06 10:00:00,call,5\nT3,U9,2026-01-07 11:00:00,demo,30\n", encoding="utf-8")
    early = _plan_checks(tmp_path, [reps, acts], monkeypatch, 2)       # activities checked while reps is read
    late = _plan_checks(tmp_path, [reps, acts], monkeypatch, 10**9)
    assert early.equals(late)
    failed = early.filter(~pl.col("passed")).select("rule", "failed_rows").sort("rule").rows()
    # T1 twice (lines 2 and 4); U9 is nobody
    assert failed == [("rep_id found in reps", 1), ("unique activity_id", 2)]


def test_two_files_of_one_extract_are_checked_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,rep_name,manager_id\nU1,Ann,\n", encoding="utf-8")
    first = tmp_path / "activities_q1.csv"
    first.write_text(ACTIVITIES + "T1,U1,2026-01-05 09:00:00,call,10\nT2,U1,2026-01-05 10:00:00,call,10\n"
                     "T3,U1,2026-01-05 11:00:00,call,10\n", encoding="utf-8")
    second = tmp_path / "activities_q2.csv"
    second.write_text(ACTIVITIES + "T3,U1,2026-04-05 09:00:00,call,10\nT4,U1,2026-04-05 10:00:00,call,10\n",
                      encoding="utf-8")
    checks = _plan_checks(tmp_path, [reps, first, second], monkeypatch, 2)
    # T3 is in both files: the suite started on the first file alone is not the verdict; each file's
    # verdict counts its own row of the pair
    unique = checks.filter(pl.col("rule") == "unique activity_id")
    assert unique.select("file", "failed_rows", "total_rows").rows() == [
        ("activities_q1.csv", 1, 3), ("activities_q2.csv", 1, 2)]


def test_a_canonical_csv_inside_a_zip_is_typed_too(tmp_path: Path) -> None:
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("quotas.csv", "rep_id,period_start,period_end,quota_amount\nU1,2026-01-01,2026-03-31,100\n")
    [table] = read_path(archive, typed=canonical_reader_types)
    assert table.name == "upload.zip/quotas.csv"
    assert table.frame.rows() == [("U1", date(2026, 1, 1), date(2026, 3, 31), 100.0)]
