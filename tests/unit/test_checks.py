"""The rule catalogue run on tiny hand-made frames: outcomes, escalation and the rows a flag marks."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data_checks.rules import FILE_RULES, Limits, catalogue, column_rules
from data_checks.runner import CheckRun, ExtractBatch, References, run_checks
from data_checks.suites import suites
from scorecard.schema import EXTRACTS


def batch(extract: str, frame: pl.DataFrame) -> ExtractBatch:
    frame = frame.with_row_index("__line", offset=2).with_columns(
        pl.col("__line").cast(pl.Int64), pl.lit(f"{extract}.csv").alias("__file"))
    return ExtractBatch(EXTRACTS[extract], frame, [f"{extract}.csv"])


def check(extract: str, frame: pl.DataFrame, refs: References | None = None) -> CheckRun:
    return run_checks({extract: batch(extract, frame)}, refs or REPS)


def failures(run: CheckRun) -> dict[str, tuple[str, int]]:
    """rule -> (outcome, rows) of every rule some rows broke."""
    bad = run.results.filter(~pl.col("passed"))
    return {r["rule"]: (r["outcome"], r["failed_rows"]) for r in bad.iter_rows(named=True)}


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
    built = suites(EXTRACTS.values())
    for name, extract in EXTRACTS.items():
        exists = {e.configuration.kwargs["column"] for e in built[name].expectations
                  if type(e).__name__ == "ExpectColumnToExist"}
        assert exists == set(extract.required_columns), name


def test_every_rule_has_one_outcome_and_the_catalogue_names_each_once() -> None:
    rules = catalogue(EXTRACTS.values())
    assert {r.outcome for r in rules} == {"reject", "flag", "note"}
    seen = [(r.extract, r.name, r.column) for r in rules]
    assert len(seen) == len(set(seen))
    assert {r.name for r in rules if r.engine == "file"} == set(FILE_RULES)
    # the flags that real exports need are flags, with the escalation at half the rows
    deals = {(r.name, r.column): r for r in column_rules(EXTRACTS["opportunities"])}
    assert deals[("close date not before created date", "close_date, created_date")].outcome == "flag"
    assert deals[("close date not before created date", "close_date, created_date")].reject_above == 0.5
    assert deals[("not blank", "close_date")].reject_above is None  # open deals without one: any share
    assert deals[("not blank", "opportunity_id")].outcome == "reject"


def test_clean_opportunities_pass_with_one_note() -> None:
    run = check("opportunities", opportunities())
    # O2 has no account: 1 of 3 rows, a note.
    assert failures(run) == {"account given": ("note", 1)}
    assert run.flagged.select("row_key", "rule", "line").rows() == [("O2", "account given", 3)]


def test_duplicates_ranges_order_and_orphans() -> None:
    frame = opportunities(
        opportunity_id=["O1", "O1", "O3"],                                   # O1 twice: 2 rows
        owner_rep_id=["A", "Z", "B"],                                        # Z is nobody: 1 row
        close_date=[dt.date(2025, 12, 31), dt.date(2026, 3, 1), dt.date(2026, 3, 1)],  # O1 closes early
        amount=[-5.0, 200.0, 300.0],                                         # negative: 1 row
        is_won=[True, True, False],                                         # O1 (2nd) won but open: 1 row
    )
    run = check("opportunities", frame)
    assert failures(run) == {
        "unique opportunity_id": ("reject", 2), "owner_rep_id found in reps": ("flag", 1),
        "close date not before created date": ("flag", 1), "plausible range (0 to 10,000,000,000)": ("flag", 1),
        "a won deal is closed": ("reject", 1), "account given": ("note", 1)}
    sample = run.results.filter(pl.col("rule") == "unique opportunity_id")["sample"][0]
    assert sample.splitlines() == ["opportunities.csv line 2: opportunity_id='O1'",
                                   "opportunities.csv line 3: opportunity_id='O1'"]


def test_flagged_rows_are_named_by_key_and_line() -> None:
    # 4 deals: O2 closes before it was created, O3 is open without a close date, O4 has no amount.
    frame = pl.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4"], "owner_rep_id": ["A", "A", "B", "B"],
        "account_id": ["X"] * 4,
        "created_date": [dt.date(2026, 1, 5), dt.date(2026, 2, 1), dt.date(2026, 1, 5), dt.date(2026, 1, 5)],
        "close_date": [dt.date(2026, 3, 1), dt.date(2026, 1, 20), None, dt.date(2026, 3, 1)],
        "stage": ["won", "won", "open", "lost"], "is_closed": [True, True, False, True],
        "is_won": [True, True, False, False], "amount": [100.0, 50.0, 300.0, None],
    })
    run = check("opportunities", frame)
    bad = run.results.filter(~pl.col("passed")).select("rule", "column_name", "outcome", "failed_rows")
    assert sorted(bad.rows()) == [("close date not before created date", "close_date, created_date", "flag", 1),
                                  ("not blank", "amount", "flag", 1), ("not blank", "close_date", "flag", 1)]
    flagged = sorted(run.flagged.select("row_key", "line", "rule", "column_name").rows())
    assert flagged == [("O2", 3, "close date not before created date", "close_date, created_date"),
                       ("O3", 4, "not blank", "close_date"), ("O4", 5, "not blank", "amount")]
    assert run.results.filter(pl.col("outcome") == "reject")["passed"].all()


def test_a_flag_broken_by_most_rows_rejects_the_file() -> None:
    # 2 of 3 deals close before they were created: day and month swapped, probably.
    frame = opportunities(created_date=[dt.date(2026, 5, 1), dt.date(2026, 5, 1), dt.date(2026, 1, 5)])
    run = check("opportunities", frame)
    row = run.results.filter(pl.col("rule") == "close date not before created date").row(0, named=True)
    assert (row["outcome"], row["failed_rows"]) == ("reject", 2)
    assert "probably mis-mapped" in row["message"]
    assert run.flagged.filter(pl.col("rule") == "close date not before created date").is_empty()


def test_unparsed_values_are_reported_with_their_text() -> None:
    frame = opportunities(amount=[100.0, None, 300.0]).with_columns(
        pl.Series("__raw__amount", [None, "twelve", None]))
    run = check("opportunities", frame)
    # The unparsed amount counts once, under the parse rule (not again as a blank amount).
    assert failures(run) == {"parseable number": ("flag", 1), "account given": ("note", 1)}
    assert "amount='twelve'" in run.results.filter(pl.col("rule") == "parseable number")["sample"][0]


def test_hierarchy_rules() -> None:
    reps = pl.DataFrame({"rep_id": ["A", "B", "C", "D", "E"], "rep_name": ["a", "b", "c", "d", "e"],
                         "manager_id": [None, "C", "B", "D", "Q"]})
    refs = References({"reps": reps["rep_id"]})
    # B <-> C loop (2 rows); D manages D (1 row, its own rule, not counted again as a loop);
    # E's manager Q is nobody.
    assert failures(check("reps", reps, refs)) == {
        "no cycle in the hierarchy": ("reject", 2), "not their own manager": ("reject", 1),
        "manager_id found in reps": ("reject", 1)}


def test_unknown_and_missing_activity_types_are_flags() -> None:
    acts = pl.DataFrame({"activity_id": ["1", "2", "3"], "rep_id": ["A", "A", "A"],
                         "activity_at": [dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 10),
                                         dt.datetime(2026, 3, 1, 11)],
                         "type": ["call", "carrier pigeon", None]})
    run = check("activities", acts)
    assert failures(run) == {
        "known value (call, email, meeting, demo, social, content, event, other)": ("flag", 1),
        "not blank": ("flag", 1)}
    assert sorted(run.flagged.select("row_key", "column_name").rows()) == [("2", "type"), ("3", "type")]


def test_blank_and_repeated_keys_are_told_apart() -> None:
    # O1 twice (2 rows), one blank id (1 row, the blank rule only: a blank is no duplicate)
    frame = opportunities(opportunity_id=["O1", None, "O1"])
    assert failures(check("opportunities", frame)) == {
        "unique opportunity_id": ("reject", 2), "not blank": ("reject", 1), "account given": ("note", 1)}


def test_a_key_of_two_columns_is_unique_as_a_pair() -> None:
    start = [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 1, 1), dt.date(2026, 1, 1)]
    quotas = pl.DataFrame({"rep_id": ["A", "A", "B", "A"], "period_start": start,
                           "period_end": [dt.date(2026, 3, 31)] * 4, "quota_amount": [1.0, 2.0, 3.0, 4.0]})
    run = check("quotas", quotas)
    # (A, 2026-01-01) on lines 2 and 5; B shares the date and A the other period, both unique.
    # The second quarter ends before it starts: 1 row.
    assert failures(run) == {"unique rep_id, period_start": ("reject", 2),
                             "period end after period start": ("reject", 1)}
    sample = run.results.filter(pl.col("rule") == "unique rep_id, period_start")["sample"][0]
    assert [line.split(":")[0] for line in sample.splitlines()] == ["quotas.csv line 2", "quotas.csv line 5"]


def test_a_text_value_over_the_limit_rejects_the_file() -> None:
    reps = pl.DataFrame({"rep_id": ["A", "B"], "rep_name": ["Ann", "x" * 2_001], "manager_id": [None, "A"]})
    run = check("reps", reps, References({"reps": reps["rep_id"]}))
    row = run.results.filter(pl.col("rule") == "text at most 2,000 characters").row(0, named=True)
    assert (row["outcome"], row["failed_rows"]) == ("reject", 1)
    assert row["message"].endswith("(in rep_name)")
    tight = run_checks({"reps": batch("reps", reps)}, References({"reps": reps["rep_id"]}),
                       limits=Limits(text_value_limit=3))
    assert failures(tight)["text at most 3 characters"] == ("reject", 1)  # "Ann" is 3: only B's name


def test_a_nul_byte_in_a_key_or_an_email_rejects_the_file() -> None:
    reps = pl.DataFrame({"rep_id": ["A", "B"], "rep_name": ["Ann", "Bob"], "manager_id": [None, "A"],
                         "email": ["ann@example.com", "bob@example.com\x00"]})
    assert failures(check("reps", reps, References({"reps": reps["rep_id"]}))) == {
        "no NUL byte in keys and e-mails": ("reject", 1)}


def test_a_hierarchy_deeper_than_the_limit_is_refused_with_its_chain() -> None:
    # R0 at the top, R1 under R0, ... R5 five levels below R0: depths 1 to 6
    ids = [f"R{i}" for i in range(6)]
    reps = pl.DataFrame({"rep_id": ids, "rep_name": ids, "manager_id": [None, *ids[:-1]]})
    refs = References({"reps": reps["rep_id"]})
    assert failures(check("reps", reps, refs)) == {}
    run = run_checks({"reps": batch("reps", reps)}, refs, limits=Limits(hierarchy_depth_limit=4))
    row = run.results.filter(pl.col("rule") == "hierarchy at most 4 levels deep").row(0, named=True)
    assert (row["outcome"], row["failed_rows"]) == ("reject", 2)  # R4 (depth 5) and R5 (depth 6)
    assert "the deepest chain is 6 levels (R5 -> R4 -> R3 -> R2 -> R1 -> R0 -> ...)" in row["message"]


@pytest.mark.parametrize("name", ["=0+HYPERLINK(\"http://x\",\"y\")", "=+SUM(1,2)", "-0+cmd|' /C calc'!A0",
                                  "@SUM(1)", "+1+2", "\t=1+1", " =A1"])
def test_formula_bypasses_in_a_name_reject_the_file(name: str) -> None:
    accounts = pl.DataFrame({"account_id": ["X1"], "account_name": [name]})
    assert failures(check("accounts", accounts))["no spreadsheet formula"] == ("reject", 1)


def test_a_formula_in_free_text_is_flagged_and_the_row_kept() -> None:
    run = check("opportunities", opportunities(next_step=["=HYPERLINK(\"http://x\")", "call back", "- 2 calls"]))
    bad = failures(run)
    assert bad["no spreadsheet formula in text"] == ("flag", 2)
    assert sorted(run.flagged.filter(pl.col("rule") == "no spreadsheet formula in text")["row_key"]) == ["O1", "O3"]
    # ordinary names pass: a hyphen inside a name is no formula
    plain = pl.DataFrame({"account_id": ["X1", "X2"], "account_name": ["Hewlett-Packard", "AT&T (EMEA)"]})
    assert "no spreadsheet formula" not in failures(check("accounts", plain))


def test_the_formula_check_covers_every_text_column_of_the_data_model() -> None:
    for extract in EXTRACTS.values():
        text = {c.name for c in extract.columns if c.type == "VARCHAR"}
        checked: set[str] = set()
        for rule in catalogue([extract]):
            if rule.name in ("no spreadsheet formula", "no spreadsheet formula in text"):
                checked.update(rule.columns)
        assert checked == text, extract.name


def test_a_formula_in_an_id_a_stage_or_a_role_is_flagged_and_the_row_kept() -> None:
    # IDs: one deal's ID and another's account are formulas -> 2 of 3 rows, in both columns
    run = check("opportunities", opportunities(opportunity_id=["O1", "=1+1", "O3"],
                                               account_id=["X", None, "-0+cmd|' /C calc'!A0"]))
    assert failures(run)["no spreadsheet formula in text"] == ("flag", 2)
    row = run.results.filter(pl.col("rule") == "no spreadsheet formula in text").row(0, named=True)
    assert row["message"].endswith("(in opportunity_id, account_id)")
    history = pl.DataFrame({"opportunity_id": ["O1", "O2"], "changed_at": [dt.datetime(2026, 1, 5)] * 2,
                            "stage": ["@SUM(1)", "won"], "amount": [100.0, 200.0]})
    assert failures(check("opportunity_history", history, References({"opportunities": pl.Series(["O1", "O2"])}))) == {
        "no spreadsheet formula in text": ("flag", 1)}
    team = pl.DataFrame({"opportunity_id": ["O1", "O2"], "rep_id": ["A", "B"], "role": ["+1+2", "sales engineer"]})
    assert failures(check("opportunity_team", team, References({"opportunities": pl.Series(["O1", "O2"]),
                                                                "reps": pl.Series(["A", "B"])}))) == {
        "no spreadsheet formula in text": ("flag", 1)}
