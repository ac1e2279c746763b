"""The ingest path: preview of changes, replace and append, restore, progress, and the inbox folder."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from scorecard.inbox import process_inbox, start_inbox_watcher, stop_inbox_watcher
from scorecard.ingest import commit_plan, ingest_files, plan_ingest
from scorecard.store import Store, StoreError

HUBSPOT = Path(__file__).resolve().parent.parent / "data" / "exports" / "hubspot"
REPS = "rep_id,rep_name,manager_id\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    old = time.time() - 10  # settled, as the inbox expects
    os.utime(path, (old, old))
    return path


def count(store: Store, table: str) -> int:
    with store.reader() as con:
        return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])


def test_preview_counts_added_replaced_removed(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    first = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\nC,Cy,A\n")
    assert ingest_files(store, [first], loaded_by="t").accepted
    second = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bobby,A\nD,Dee,A\nE,Eve,A\n")
    plan = plan_ingest(store, [second])
    # Now A, B, C; the file has A, B, D, E: A and B replaced, D and E added, C removed.
    assert plan.changes.select("extract", "mode", "rows_now", "added", "replaced", "removed").rows() == [
        ("reps", "replace", 3, 2, 2, 1)]
    assert count(store, "reps") == 3  # planning writes nothing
    result = commit_plan(store, plan, loaded_by="t", source="upload")
    assert result.accepted and result.load is not None and result.load.load_id == 2
    assert count(store, "reps") == 4


def test_activities_append_and_restore(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    acts = write(tmp_path / "activities.csv",
                 "activity_id,rep_id,activity_at,type\n1,B,2026-11-02 09:00:00,call\n2,B,2026-11-02 10:00:00,email\n")
    first = ingest_files(store, [reps, acts], loaded_by="t")
    assert first.accepted and first.load is not None
    more = write(tmp_path / "activities_week.csv",
                 "activity_id,rep_id,activity_at,type\n2,B,2026-11-02 10:00:00,meeting\n3,B,2026-11-03 09:00:00,call\n")
    plan = plan_ingest(store, [more], append=True)
    # Activity 2 is sent again (replaced), 3 is new; nothing is removed when appending.
    assert plan.changes.select("mode", "added", "replaced", "removed").rows() == [("append", 1, 1, 0)]
    assert commit_plan(store, plan, loaded_by="t", source="cli").accepted
    with store.reader() as con:
        assert con.execute("select activity_id, type from activities order by 1").fetchall() == [
            ("1", "call"), ("2", "meeting"), ("3", "call")]
    store.restore(first.load.load_id, loaded_by="t")
    assert count(store, "activities") == 2


def test_progress_is_reported_up_to_done(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\n")
    ingest_files(Store(tmp_path / "db.duckdb"), [reps], loaded_by="t", progress=lambda m, f: seen.append((m, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    assert any(m.startswith("checking reps") for m, _ in seen)


def test_inbox_moves_files_with_their_verdict(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write(inbox / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    (inbox / "deals.csv.part").write_text("still copying")
    outcome = process_inbox(store, inbox)
    assert outcome is not None and outcome.accepted
    assert [p.parent.parent.name for p in outcome.files] == ["processed"]
    assert outcome.verdict_file.read_text().startswith("ACCEPTED as load 1")
    assert sorted(p.name for p in inbox.iterdir()) == ["deals.csv.part", "processed"]
    write(inbox / "reps.csv", REPS + "A,Ann,A\n")
    rejected = process_inbox(store, inbox)
    assert rejected is not None and not rejected.accepted
    assert "rule 'not their own manager'" in rejected.verdict_file.read_text()
    assert count(store, "reps") == 2
    assert process_inbox(store, inbox) is None


def test_inbox_watcher_picks_files_up_within_seconds(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    inbox = tmp_path / "inbox"
    thread = start_inbox_watcher(db, inbox, interval=0.2)
    try:
        assert start_inbox_watcher(db, inbox, interval=0.2) is thread  # one per folder
        write(inbox / "team.csv", (HUBSPOT / "team.csv").read_text())
        deadline = time.monotonic() + 60  # the child imports Great Expectations: seconds on a busy machine
        while time.monotonic() < deadline and not (inbox / "processed").exists():
            time.sleep(0.2)
        assert (inbox / "processed").exists()
        assert count(Store(db), "reps") == 4
    finally:
        stop_inbox_watcher(inbox)
    assert not thread.is_alive()


def test_demo_org_ingests_in_a_few_seconds(tmp_path: Path) -> None:
    from scorecard.demo import write_extracts

    paths = write_extracts(tmp_path / "csv", 1.0, 7)
    started = time.perf_counter()
    result = ingest_files(Store(tmp_path / "db.duckdb"), paths, loaded_by="demo", source="demo")
    elapsed = time.perf_counter() - started
    assert result.accepted, result.report()
    assert elapsed < 30, f"the demo org took {elapsed:.1f} s to ingest"
    assert {v.extract for v in result.verdicts} >= {"reps", "opportunities", "activities", "quotas"}


def test_replacing_reps_warns_about_loaded_deals_left_without_owner(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\nC,Cy,A\n")
    deals = write(tmp_path / "opportunities.csv",
                  "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
                  "1,B,2026-01-05,2026-03-01,won,1,1,100\n2,C,2026-01-05,2026-03-01,won,1,1,100\n"
                  "3,C,2026-01-05,2026-03-01,lost,1,0,100\n")
    assert ingest_files(store, [reps, deals], loaded_by="t").accepted
    fewer = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    result = ingest_files(store, [fewer], loaded_by="t")
    # C is gone and owned deals 2 and 3: 2 of the 3 loaded deals; a note, the load goes ahead.
    assert result.accepted
    [warning] = [f for v in result.verdicts for f in v.failures]
    assert (warning.outcome, warning.rows, warning.total) == ("note", 2, 3)
    assert warning.message.endswith("name a rep this upload no longer has: 'C'")


def test_cli_append_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scorecard.cli import main

    db = str(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\n")
    first = write(tmp_path / "activities.csv", "activity_id,rep_id,activity_at,type\n1,A,2026-11-02 09:00:00,call\n")
    assert main(["ingest", "--db", db, "--by", "ops@example.com", str(reps), str(first)]) == 0
    more = write(tmp_path / "activities_2.csv", "activity_id,rep_id,activity_at,type\n2,A,2026-11-03 09:00:00,email\n")
    assert main(["ingest", "--db", db, "--append", "--progress", str(more)]) == 0
    captured = capsys.readouterr()
    assert "activities           append   +1 added, 0 replaced, 0 removed" in captured.out
    assert "[100%] done" in captured.err
    assert count(Store(Path(db)), "activities") == 2
    with Store(Path(db)).reader() as con:
        assert con.execute("select loaded_by from loads order by load_id").fetchall()[0] == ("ops@example.com",)


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    with store.reader() as con:
        return con.execute(f"select * from {table} order by all").fetchall()


def test_canonical_files_are_archived_once_and_restored_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    deals = write(tmp_path / "opportunities.csv",
                  "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
                  "O1,B,2026-01-05,2026-02-01,Closed Won,true,true,1200.5\n"
                  "O2,B,2026-01-09,2026-04-30,Discovery,false,false,300\n")
    first = ingest_files(store, [reps, deals], loaded_by="t")
    assert first.accepted and first.load is not None
    folder = store.archive_dir / str(first.load.load_id)
    # the deals are kept as the raw file plus a reference to it, not as a second copy
    assert (folder / "opportunities.csv").read_bytes() == deals.read_bytes()
    assert (folder / "opportunities.replace.source.json").exists()
    assert not (folder / "opportunities.replace.parquet").exists()
    landed = {t: _rows(store, t) for t in ("reps", "opportunities")}
    assert landed["opportunities"][0][0] == "O1"

    other = write(tmp_path / "opportunities.csv",
                  "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
                  "O9,A,2026-03-01,2026-05-01,Discovery,false,false,5\n")
    assert ingest_files(store, [other], loaded_by="t").accepted
    assert [r[0] for r in _rows(store, "opportunities")] == ["O9"]
    store.restore(first.load.load_id, loaded_by="t")
    assert {t: _rows(store, t) for t in ("reps", "opportunities")} == landed


def test_restore_refuses_an_archived_file_that_changed(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    first = ingest_files(store, [reps], loaded_by="t")
    assert first.accepted and first.load is not None
    assert ingest_files(store, [write(tmp_path / "reps.csv", REPS + "C,Cy,\n")], loaded_by="t").accepted
    (store.archive_dir / "1" / "reps.csv").write_text(REPS + "Z,Zed,\n", encoding="utf-8")
    with pytest.raises(StoreError, match="has changed"):
        store.restore(1, loaded_by="t")
    assert [r[0] for r in _rows(store, "reps")] == ["C"]


def test_zip_members_of_one_name_are_restored_each(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    header = "activity_id,rep_id,activity_at,type\n"
    bundle = tmp_path / "activities.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("jan/activities.csv", header + "a1,B,2026-01-05 09:00:00,call\na2,B,2026-01-06 09:00:00,email\n")
        z.writestr("feb/activities.csv", header + "b1,B,2026-02-05 09:00:00,call\nb2,B,2026-02-06 09:00:00,demo\n")
    first = ingest_files(store, [reps, bundle], loaded_by="t")
    assert first.accepted and first.load is not None
    landed = _rows(store, "activities")
    assert [r[0] for r in landed] == ["a1", "a2", "b1", "b2"]
    later = write(tmp_path / "activities.csv", header + "z9,B,2026-03-01 09:00:00,call\n")
    assert ingest_files(store, [later], loaded_by="t").accepted
    store.restore(first.load.load_id, loaded_by="t")
    assert _rows(store, "activities") == landed


def test_files_of_one_name_from_two_folders_are_both_archived(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    (tmp_path / "east").mkdir()
    (tmp_path / "west").mkdir()
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\nC,Cy,A\n")
    header = "activity_id,rep_id,activity_at,type\n"
    east = write(tmp_path / "east" / "activities.csv", header + "e1,B,2026-01-05 09:00:00,call\n")
    west = write(tmp_path / "west" / "activities.csv", header + "w1,C,2026-01-05 10:00:00,meeting\n")
    first = ingest_files(store, [reps, east, west], loaded_by="t")
    assert first.accepted and first.load is not None
    folder = store.archive_dir / "1"
    assert (folder / "activities.csv").read_bytes() == east.read_bytes()
    assert (folder / "3-activities.csv").read_bytes() == west.read_bytes()
    landed = _rows(store, "activities")
    assert ingest_files(store, [write(tmp_path / "activities.csv", header + "z9,B,2026-03-01 09:00:00,call\n")],
                        loaded_by="t").accepted
    store.restore(1, loaded_by="t")
    assert _rows(store, "activities") == landed and len(landed) == 2


def test_a_file_changed_between_check_and_load_is_not_loaded(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    plan = plan_ingest(store, [reps])
    assert plan.accepted
    reps.write_text(REPS + "Z,Zed,\nY,Yan,Z\n", encoding="utf-8")  # overwritten after it was checked
    with pytest.raises(StoreError, match="reps.csv changed while it was being checked"):
        commit_plan(store, plan, loaded_by="t", source="cli")
    assert count(store, "reps") == 0 and store.data_version() == 0
    assert not (store.archive_dir / "1").exists()


def test_restore_refuses_files_that_no_longer_read_as_they_landed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from scorecard.formats import values

    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    deals = write(tmp_path / "opportunities.csv",
                  "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
                  "O1,B,03/04/2026,05/06/2026,Discovery,false,false,10\n")  # US dates: 4 March, 6 May
    assert ingest_files(store, [reps, deals], loaded_by="t").accepted
    assert ingest_files(store, [write(tmp_path / "reps.csv", REPS + "A,Ann,\n")], loaded_by="t").accepted
    # a reader that now takes such dates day first would bring back other dates: refused
    monkeypatch.setattr(values, "guess_date_order", lambda _values: "dmy")
    with pytest.raises(StoreError, match="no longer reads from its archived files as it landed"):
        store.restore(1, loaded_by="t")
    assert [r[0] for r in _rows(store, "reps")] == ["A"]


def test_files_are_staged_while_checked_and_moved_into_the_archive(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    plan = plan_ingest(store, [reps])
    staged = plan.staged[reps]
    assert staged.copy.read_bytes() == reps.read_bytes()  # copied for the archive while checked
    assert commit_plan(store, plan, loaded_by="t", source="cli").accepted
    assert (store.archive_dir / "1" / "reps.csv").read_bytes() == reps.read_bytes()
    assert not staged.copy.exists() and list((store.archive_dir / ".staging").iterdir()) == []
    # a rejected upload leaves no copy behind
    bad = write(tmp_path / "reps.csv", REPS + "A,Ann,A\n")  # manages themself
    rejected = ingest_files(store, [bad], loaded_by="t")
    assert not rejected.accepted and list((store.archive_dir / ".staging").iterdir()) == []


def test_deals_in_a_currency_without_a_rate_are_flagged(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    deals = write(tmp_path / "opportunities.csv",
                  "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount,currency\n"
                  "O1,B,2026-01-05,2026-02-01,Won,true,true,100,EUR\n"
                  "O2,B,2026-01-05,2026-02-01,Won,true,true,100,usd\n"
                  "O3,B,2026-01-05,2026-02-01,Won,true,true,100,\n")
    result = ingest_files(store, [reps, deals], loaded_by="t")
    assert result.accepted  # a flag: the load goes ahead
    row = result.checks.filter(pl.col("rule") == "currency has a conversion rate").row(0, named=True)
    assert (row["passed"], row["outcome"], row["failed_rows"], row["total_rows"]) == (False, "flag", 1, 3)
    assert "EUR has no conversion rate" in row["message"] and "opportunities.csv line 2" in row["sample"]
    # with a rate loaded (before, or in the same upload) the deal converts and the rule passes
    rates = write(tmp_path / "currency_rates.csv", "currency,rate\nEUR,1.1\n")
    again = ingest_files(store, [rates, deals], loaded_by="t")
    assert again.checks.filter(pl.col("rule") == "currency has a conversion rate")["passed"].to_list() == [True]
    with store.reader() as con:
        assert con.execute("select amount from opportunities where opportunity_id = 'O1'").fetchall() == [
            (pytest.approx(110.0),)]


def test_after_a_restore_the_latest_checks_are_those_of_the_restored_data(tmp_path: Path) -> None:
    from scorecard import sql

    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")
    header = "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
    blank = write(tmp_path / "opportunities.csv", header + "O1,B,2026-01-05,2026-02-01,Open,false,false,\n")
    assert ingest_files(store, [reps, blank], loaded_by="t").accepted  # a flag: amount not given
    clean = write(tmp_path / "opportunities.csv", header + "O1,B,2026-01-05,2026-02-01,Open,false,false,5\n")
    assert ingest_files(store, [clean], loaded_by="t").accepted

    def latest_flags() -> list[tuple[object, ...]]:
        with store.reader() as con:
            frame = sql.run(con, "drill_latest_checks")
        return frame.filter((pl.col("extract") == "opportunities") & ~pl.col("passed")).select(
            "load_id", "rule", "column_name").rows()

    assert latest_flags() == [] and store.flagged_rows().is_empty()
    store.restore(1, loaded_by="t")
    assert latest_flags() == [(3, "not blank", "amount")]
    # the restored deal is flagged again, as it was when it first landed
    assert store.flagged_rows().select("load_id", "row_key", "rule", "column_name").rows() == [
        (3, "O1", "not blank", "amount")]


def test_a_hierarchy_as_deep_as_the_limit_is_loaded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Teams are built down to the depth limit the checks enforce, never cut shorter."""
    monkeypatch.setenv("SCORECARD_HIERARCHY_DEPTH_LIMIT", "40")
    # R0 at the top, R35 thirty-five levels below it
    rows = "".join(f"R{i},Rep {i},{f'R{i - 1}' if i else ''}\n" for i in range(36))
    store = Store(tmp_path / "db.duckdb")
    result = ingest_files(store, [write(tmp_path / "reps.csv", REPS + rows)], loaded_by="t")
    assert result.accepted, result.report()
    with store.reader() as con:
        assert con.execute("select depth from team_members where leader_id = 'R0' and rep_id = 'R35'").fetchall() == [
            (35,)]
    monkeypatch.setenv("SCORECARD_HIERARCHY_DEPTH_LIMIT", "30")
    refused = ingest_files(Store(tmp_path / "other.duckdb"), [tmp_path / "reps.csv"], loaded_by="t")
    assert not refused.accepted
    assert "rule 'hierarchy at most 30 levels deep': 6 of 36 rows" in refused.report()  # R30 to R35


def test_an_upload_confirmed_after_another_load_is_checked_again(tmp_path: Path) -> None:
    """Deals checked while B was a rep, confirmed after a reps file without B landed: the checks run
    again on the data now in place, and both deals' owner is nobody: rejected, nothing changes."""
    store = Store(tmp_path / "db.duckdb")
    assert ingest_files(store, [write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n")], loaded_by="t").accepted
    header = "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
    deals = write(tmp_path / "opportunities.csv",
                  header + "O1,B,2026-01-05,2026-02-01,Won,true,true,5\nO2,B,2026-01-05,2026-02-01,Lost,true,false,3\n")
    plan = plan_ingest(store, [deals])
    assert plan.accepted and plan.data_version == 1
    other = tmp_path / "other"
    other.mkdir()
    assert ingest_files(store, [write(other / "reps.csv", REPS + "A,Ann,\n")], loaded_by="t").accepted
    result = commit_plan(store, plan, loaded_by="t", source="cli")
    assert not result.accepted
    assert "rule 'owner_rep_id found in reps': 2 of 2 rows" in result.report()
    assert "checked again against the data now in place" in result.report()
    assert count(store, "opportunities") == 0 and store.data_version() == 2


def test_a_full_disk_is_a_verdict_and_leaves_no_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    from scorecard.cli import main

    store = Store(tmp_path / "db.duckdb")
    assert ingest_files(store, [write(tmp_path / "reps.csv", REPS + "A,Ann,\n")], loaded_by="t").accepted

    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("scorecard.store._archive", full)
    code = main(["ingest", "--db", str(store.path), str(write(tmp_path / "reps.csv", REPS + "A,Ann,\nB,Bob,A\n"))])
    assert code == 2
    said = capsys.readouterr().err
    assert "error: the disk is full: nothing was changed by this load and the data is as it was" in said
    assert count(store, "reps") == 1 and store.data_version() == 1
    staging = store.archive_dir / ".staging"
    assert not [p for p in staging.rglob("*") if p.is_file()]  # the upload's copies are gone


def test_the_as_of_date_the_uploader_gives_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import date

    from scorecard.cli import main

    store = Store(tmp_path / "db.duckdb")
    reps = write(tmp_path / "reps.csv", REPS + "A,Ann,\n")
    header = "opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
    deals = write(tmp_path / "opportunities.csv", header + "O1,A,2023-11-02,2023-12-20,Won,true,true,5\n")
    # from the data: the newest event date (the won deal's close) is 20 Dec 2023
    assert main(["ingest", "--db", str(store.path), str(reps), str(deals)]) == 0
    assert "ACCEPTED as load 1 (data as of 20 Dec 2023)" in capsys.readouterr().out
    assert main(["ingest", "--db", str(store.path), "--as-of", "2023-12-31", str(deals)]) == 0
    # a load without dates (the reps alone) keeps the date of the data in place
    assert main(["ingest", "--db", str(store.path), str(reps)]) == 0
    with store.reader() as con:
        assert con.execute("select as_of from loads order by load_id").fetchall() == [
            (date(2023, 12, 20),), (date(2023, 12, 31),), (date(2023, 12, 31),)]
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        main(["ingest", "--db", str(store.path), "--as-of", "Dec 31", str(deals)])
    assert refused.value.code == 2
    assert "'Dec 31' is not a date like 2023-12-29" in capsys.readouterr().err
