"""The Great Expectations suites and the relational rules, on tiny hand-made frames."""

from __future__ import annotations

import datetime as dt

import polars as pl

from data_checks.runner import ExtractBatch, References, run_checks
from data_checks.suites import SUITES
from scorecard.schema import EXTRACTS


def batch(extract: str, frame: pl.DataFrame) -> ExtractBatch:
    frame = frame.with_row_index("__line", offset=2).with_columns(
        pl.col("__line").cast(pl.Int64), pl.lit(f"{extract}.csv").alias("__file"))
    return ExtractBatch(extract, frame, [f"{extract}.csv"])


def failures(results: pl.DataFrame) -> dict[str, int]:
    return dict(results.filter(~pl.col("passed")).select("rule", "failed_rows").iter_rows())


def opportunities(**overrides: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "opportunity_id": ["O1", "O2", "O3"], "owner_rep_id": ["A", "A", "B"],
        "account_id": ["X", None, "X"],
        "created_date": [dt.date(2026, 1, 5)] * 3, "close_date": [dt.date(2026, 3, 1)] * 3,
        "stage": ["won", "open", "lost"], "is_closed": [True, False, True], "is_won": [True, False, False],
        "amount": [100.0, 200.0, 300.0],
    }
    base.update(overrides)
    return pl.DataFrame(base)


REPS = References({"reps": pl.Series(["A", "B"]), "accounts": pl.Series(["X"])})


def test_every_extract_has_a_suite_with_its_required_columns() -> None:
    for name, extract in EXTRACTS.items():
        exists = {e.configuration.kwargs["column"] for e in SUITES[name].expectations
                  if type(e).__name__ == "ExpectColumnToExist"}
        assert exists == set(extract.required_columns), name


def test_clean_opportunities_pass_with_one_warning() -> None:
    results = run_checks({"opportunities": batch("opportunities", opportunities())}, REPS)
    # O2 has no account: 1 of 3 rows, a warning that does not block.
    assert failures(results) == {"account given": 1}
    assert results.filter(~pl.col("passed"))["severity"].to_list() == ["warning"]


def test_duplicates_ranges_order_and_orphans() -> None:
    frame = opportunities(
        opportunity_id=["O1", "O1", "O3"],                                   # O1 twice: 2 rows
        owner_rep_id=["A", "Z", "B"],                                        # Z is nobody: 1 row
        close_date=[dt.date(2025, 12, 31), dt.date(2026, 3, 1), dt.date(2026, 3, 1)],  # O1 closes early
        amount=[-5.0, 200.0, 300.0],                                         # negative: 1 row
        is_won=[True, True, False],                                         # O1 (2nd) won but open: 1 row
    )
    results = run_checks({"opportunities": batch("opportunities", frame)}, REPS)
    assert failures(results) == {
        "unique opportunity_id": 2, "owner_rep_id found in reps": 1, "close date not before created date": 1,
        "plausible range (0 to 10,000,000,000)": 1, "a won deal is closed": 1, "account given": 1}
    sample = results.filter(pl.col("rule") == "unique opportunity_id")["sample"][0]
    assert sample.splitlines() == ["opportunities.csv line 2: opportunity_id='O1'",
                                   "opportunities.csv line 3: opportunity_id='O1'"]


def test_unparsed_values_are_reported_with_their_text() -> None:
    frame = opportunities(amount=[100.0, None, 300.0]).with_columns(
        pl.Series("__raw__amount", [None, "twelve", None]))
    results = run_checks({"opportunities": batch("opportunities", frame)}, REPS)
    # The unparsed amount counts once, under the parse rule (not again as a blank amount).
    assert failures(results) == {"parseable number": 1, "account given": 1}
    assert "amount='twelve'" in results.filter(pl.col("rule") == "parseable number")["sample"][0]


def test_hierarchy_rules() -> None:
    reps = pl.DataFrame({"rep_id": ["A", "B", "C", "D", "E"], "rep_name": ["a", "b", "c", "d", "e"],
                         "manager_id": [None, "C", "B", "D", "Q"]})
    refs = References({"reps": reps["rep_id"]})
    results = run_checks({"reps": batch("reps", reps)}, refs)
    # B <-> C loop (2 rows); D manages D (1 row, its own rule, not counted again as a loop);
    # E's manager Q is nobody.
    assert failures(results) == {"no cycle in the hierarchy": 2, "not their own manager": 1,
                                 "manager_id found in reps": 1}


def test_unknown_activity_type_is_a_warning() -> None:
    acts = pl.DataFrame({"activity_id": ["1", "2"], "rep_id": ["A", "A"],
                         "activity_at": [dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 10)],
                         "type": ["call", "carrier pigeon"]})
    results = run_checks({"activities": batch("activities", acts)}, REPS)
    bad = results.filter(~pl.col("passed"))
    assert bad.select("rule", "severity", "failed_rows").rows() == [
        ("known value (call, email, meeting, demo, social, content, event, other)", "warning", 1)]


def test_blank_and_repeated_keys_are_told_apart() -> None:
    # O1 twice (2 rows), one blank id (1 row, the blank rule only: a blank is no duplicate)
    frame = opportunities(opportunity_id=["O1", None, "O1"])
    results = run_checks({"opportunities": batch("opportunities", frame)}, REPS)
    assert failures(results) == {"unique opportunity_id": 2, "not blank": 1, "account given": 1}


def test_a_key_of_two_columns_is_unique_as_a_pair() -> None:
    start = [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 1, 1), dt.date(2026, 1, 1)]
    quotas = pl.DataFrame({"rep_id": ["A", "A", "B", "A"], "period_start": start,
                           "period_end": [dt.date(2026, 3, 31)] * 4, "quota_amount": [1.0, 2.0, 3.0, 4.0]})
    results = run_checks({"quotas": batch("quotas", quotas)}, REPS)
    # (A, 2026-01-01) on lines 2 and 5; B shares the date and A the other period, both unique.
    # The second quarter ends before it starts: 1 row.
    assert failures(results) == {"unique rep_id, period_start": 2, "period end after period start": 1}
    sample = results.filter(pl.col("rule") == "unique rep_id, period_start")["sample"][0]
    assert [line.split(":")[0] for line in sample.splitlines()] == ["quotas.csv line 2", "quotas.csv line 5"]
