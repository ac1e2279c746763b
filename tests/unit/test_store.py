"""The versioned store: one transaction per load, restore, snapshots, and a killed load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from scorecard.store import DatabaseBusyError, SourceFile, Store, StoreError

REPS = pl.DataFrame({
    "rep_id": ["vp", "m1", "r1", "r2"],
    "rep_name": ["Vera VP", "Max Manager", "Rita Rep", "Raj Rep"],
    "manager_id": [None, "vp", "m1", "m1"],
})


def _opps(ids: list[str], amounts: list[float], currency: list[str | None] | None = None) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({
        "opportunity_id": ids,
        "owner_rep_id": ["r1"] * n,
        "created_date": ["2026-01-05"] * n,
        "close_date": ["2026-03-05"] * n,
        "stage": ["Negotiation"] * n,
        "is_closed": [False] * n,
        "is_won": [False] * n,
        "amount": amounts,
        "currency": currency or [None] * n,
    }).with_columns(pl.col("created_date", "close_date").str.to_date())


def _table(store: Store, name: str, order: str) -> list[tuple[object, ...]]:
    with store.reader() as con:
        return con.execute(f"select * from {name} order by {order}").fetchall()


def test_load_lands_and_is_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    src = tmp_path / "reps.csv"
    REPS.write_csv(src)
    record = store.load({"reps": REPS}, loaded_by="ops@example.com", source="cli",
                        files=[SourceFile(src, "reps", 4)])
    assert record.load_id == 1
    assert store.data_version() == 1
    assert store.row_counts()["reps"] == 4
    loads = store.loads()
    assert loads["loaded_by"].to_list() == ["ops@example.com"]
    assert '"sha256"' in loads["files"][0]
    # the raw file and the canonical frame are archived under the load's id
    assert (store.archive_dir / "1" / "reps.csv").read_bytes() == src.read_bytes()
    assert (store.archive_dir / "1" / "reps.replace.parquet").exists()


def test_a_load_that_fails_half_way_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS, "opportunities": _opps(["o1"], [100.0])}, loaded_by="a")
    before_reps = _table(store, "reps", "rep_id")
    before_opps = _table(store, "opportunities", "opportunity_id")

    original = Store._write_extract
    calls: list[str] = []

    def fail_on_second(self: Store, con: object, name: str, frame: pl.DataFrame, mode: str) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        original(self, con, name, frame, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_write_extract", fail_on_second)
    new_reps = REPS.with_columns(pl.lit("Someone Else").alias("rep_name"))
    with pytest.raises(StoreError, match="the disk is full: nothing was changed by this load and the data is as it"):
        store.load({"reps": new_reps, "opportunities": _opps(["o9"], [5.0])}, loaded_by="b")
    monkeypatch.undo()

    assert calls == ["reps", "opportunities"]  # the first extract had been written inside the load
    assert _table(store, "reps", "rep_id") == before_reps
    assert _table(store, "opportunities", "opportunity_id") == before_opps
    assert store.data_version() == 1
    assert store.loads().height == 1


KILLED_LOAD = textwrap.dedent("""
    import sys, time
    import polars as pl
    from scorecard.store import Store

    original = Store._write_extract

    def slow(self, con, name, frame, mode):
        original(self, con, name, frame, mode)
        print("inside the load", flush=True)
        time.sleep(60)

    Store._write_extract = slow
    reps = pl.DataFrame({"rep_id": ["x"], "rep_name": ["Intruder"], "manager_id": [None]})
    Store(sys.argv[1]).load({"reps": reps}, loaded_by="killed")
""")


def test_a_killed_load_leaves_the_last_good_state(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store = Store(db)
    store.load({"reps": REPS}, loaded_by="a")
    before = _table(store, "reps", "rep_id")

    proc = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "inside the load"  # the reps table was already replaced
    proc.kill()  # SIGKILL: no chance to roll back or clean up
    proc.wait(timeout=10)

    assert _table(store, "reps", "rep_id") == before
    assert store.data_version() == 1
    assert (store.archive_dir / "2").is_dir()  # the killed load's archive folder, left half written
    (store.archive_dir / "7").mkdir()  # and one of another killed load
    # the database takes the next load normally, and the orphaned folders are cleared
    copies = list(tmp_path.glob(".s.duckdb.next-*"))
    assert len(copies) == 1  # the copy the killed load was writing
    assert store.load({"reps": REPS.head(2)}, loaded_by="b").load_id == 2
    assert store.row_counts()["reps"] == 2
    assert sorted(p.name for p in store.archive_dir.iterdir() if p.name.isdigit()) == ["1", "2"]
    assert not list(tmp_path.glob(".s.duckdb.next-*"))
    assert json.loads((store.archive_dir / "2" / "load.json").read_text())["row_counts"] == {"reps": 2}


def test_restore_brings_back_an_earlier_load(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS, "opportunities": _opps(["o1", "o2"], [100.0, 200.0])}, loaded_by="a")
    first = _table(store, "opportunities", "opportunity_id")
    store.load({"opportunities": _opps(["o3"], [999.0])}, loaded_by="b")
    store.load({"reps": REPS.head(1)}, loaded_by="c")
    assert store.row_counts()["opportunities"] == 1

    record = store.restore(1, loaded_by="ops")
    assert record.load_id == 4 and record.restored_from == 1
    assert _table(store, "opportunities", "opportunity_id") == first
    assert store.row_counts()["reps"] == 4
    assert store.loads()["source"].to_list() == ["restore", "cli", "cli", "cli"]
    with pytest.raises(StoreError):
        store.restore(42, loaded_by="ops")


def test_appended_activities_are_kept_by_restore(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")

    def acts(ids: list[str]) -> pl.DataFrame:
        return pl.DataFrame({"activity_id": ids, "rep_id": ["r1"] * len(ids),
                             "activity_at": ["2026-01-05 10:00:00"] * len(ids), "type": ["call"] * len(ids)}
                            ).with_columns(pl.col("activity_at").str.to_datetime())

    store.load({"reps": REPS, "activities": acts(["a1", "a2"])}, loaded_by="a")
    store.load({"activities": acts(["a2", "a3"])}, loaded_by="a", modes={"activities": "append"})
    # a2 was sent again: it replaces its earlier version rather than doubling
    assert [r[0] for r in _table(store, "activities", "activity_id")] == ["a1", "a2", "a3"]
    store.load({"activities": acts(["z9"])}, loaded_by="a")  # a full extract replaces
    store.restore(2, loaded_by="ops")
    assert [r[0] for r in _table(store, "activities", "activity_id")] == ["a1", "a2", "a3"]
    with pytest.raises(StoreError, match="only be replaced"):
        store.load({"reps": REPS}, loaded_by="a", modes={"reps": "append"})


def test_opportunity_snapshots_and_currency(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    rates = pl.DataFrame({"currency": ["USD", "EUR"], "rate": [1.0, 1.10]})
    store.load({"reps": REPS, "currency_rates": rates,
                "opportunities": _opps(["o1", "o2"], [100.0, 200.0], ["EUR", "USD"])}, loaded_by="a")
    store.load({"opportunities": _opps(["o1"], [300.0], ["EUR"])}, loaded_by="a")
    # 100 EUR at 1.10 is 110 in the reporting currency; the original amount is kept beside it
    with store.reader() as con:
        snaps = con.execute("select load_id, opportunity_id, amount, amount_local from opportunity_snapshots"
                            " order by load_id, opportunity_id").fetchall()
    assert snaps == [(1, "o1", pytest.approx(110.0), 100.0), (1, "o2", 200.0, None),
                     (2, "o1", pytest.approx(330.0), 300.0)]


def test_a_folder_that_cannot_be_written_is_said_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")

    def read_only(*_args: object) -> None:
        raise PermissionError(13, "Permission denied", str(store.archive_dir / "2"))

    monkeypatch.setattr("scorecard.store._archive", read_only)
    with pytest.raises(StoreError, match=r"a folder cannot be written \(.*/2\): nothing was changed"):
        store.load({"reps": REPS.head(1)}, loaded_by="b")
    monkeypatch.undo()
    assert store.data_version() == 1 and store.row_counts()["reps"] == 4
    assert not (store.archive_dir / "2").exists()


def test_a_load_checked_against_an_older_version_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    store.load({"reps": REPS.head(3)}, loaded_by="b")
    with pytest.raises(StoreError, match="load 2 landed after this upload was checked against load 1"):
        store.load({"reps": REPS.head(1)}, loaded_by="c", expected_version=1)
    assert store.data_version() == 2 and store.row_counts()["reps"] == 3


def test_readers_never_wait_for_a_change_and_see_it_once_it_is_made(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    with store.reader() as before:
        with store.writing() as con:  # a load under way: it holds the writer lock
            con.execute("update reps set rep_name = 'Renamed' where rep_id = 'r1'")
            con.execute("insert into loads by name select 2 as load_id, now()::timestamp as loaded_at,"
                        " 'b' as loaded_by, 'cli' as source, 'accepted' as status")
            # a viewer opening the data now is served at once, with the version in place
            with store.reader() as during:
                assert during.execute("select rep_name from reps where rep_id = 'r1'").fetchall() == [("Rita Rep",)]
            assert store.data_version() == 1
        # the next reader sees the new version; one opened before keeps reading the one it opened
        assert store.data_version() == 2
        assert dict((r[0], r[1]) for r in _table(store, "reps", "rep_id"))["r1"] == "Renamed"
        assert before.execute("select rep_name from reps where rep_id = 'r1'").fetchall() == [("Rita Rep",)]
    assert not list(tmp_path.glob(".s.duckdb.next-*")) and not list(tmp_path.glob("*.wal"))


def test_a_change_that_fails_leaves_the_database_and_no_copy(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    with pytest.raises(RuntimeError, match="half way"), store.writing() as con:
        con.execute("delete from reps")
        raise RuntimeError("half way")
    assert store.row_counts()["reps"] == 4
    assert not list(tmp_path.glob(".s.duckdb.next-*"))


def test_a_second_writer_waits_then_gives_up_in_words(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    with store.writing():
        other = Store(tmp_path / "s.duckdb")
        with pytest.raises(DatabaseBusyError, match=r"another load or restore of .*s\.duckdb is still under way"
                                                    r" after 0\.2 s: nothing was changed"), other.writing(wait=0.2):
            pass
    assert store.data_version() == 1
    with Store(tmp_path / "s.duckdb").writing(wait=0.2):  # free again once the first is done
        pass


def test_tidy_removes_what_killed_work_left(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    (tmp_path / ".s.duckdb.next-0123").write_bytes(b"half a copy")
    (store.archive_dir / "5").mkdir()  # a load that never landed
    staging = store.archive_dir / ".staging"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = staging / f"{gone.stdout.strip()}-abc"  # an upload whose process has ended
    alive = staging / f"{os.getpid()}-def"  # an upload being checked now
    for folder in (dead, alive):
        folder.mkdir(parents=True)
        (folder / "1-reps.csv").write_text("rep_id\n")
    store.tidy()
    assert not (tmp_path / ".s.duckdb.next-0123").exists()
    assert sorted(p.name for p in store.archive_dir.iterdir() if p.name.isdigit()) == ["1"]
    assert not dead.exists() and alive.exists()
    assert store.row_counts()["reps"] == 4 and store.data_version() == 1


def test_the_version_stamp_changes_with_every_change_and_only_then(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    assert store.version_stamp() is None  # no database yet
    store.load({"reps": REPS}, loaded_by="a")
    first = store.version_stamp()
    assert first is not None
    with store.reader() as con:  # reading changes nothing
        con.execute("select count(*) from reps").fetchall()
    assert store.version_stamp() == first and store.data_version() == 1
    with store.writing() as con:  # a change under way: readers still see the version in place
        con.execute("update reps set rep_name = 'Renamed' where rep_id = 'r1'")
        assert store.version_stamp() == first
    second = store.version_stamp()
    assert second is not None and second != first
    with pytest.raises(RuntimeError, match="half way"), store.writing() as con:
        con.execute("delete from reps")
        raise RuntimeError("half way")
    assert store.version_stamp() == second  # a change that failed left the same file in place
    store.load({"reps": REPS.head(3)}, loaded_by="b")
    assert store.version_stamp() not in (first, second) and store.data_version() == 2


def test_readers_share_an_opened_version_and_a_new_version_is_opened_anew(tmp_path: Path) -> None:
    from scorecard.store import _ReaderPool

    store = Store(tmp_path / "s.duckdb")
    store.load({"reps": REPS}, loaded_by="a")
    with store.reader() as first, store.reader() as second:  # two readers at once: a connection each
        assert second is not first
        assert second.execute("select count(*) from reps").fetchall() == [(4,)]
    with store.reader() as again:  # the same version: a connection handed back is used again
        assert again is first or again is second
        assert again.execute("select count(*) from scored_units(['m1'], false)").fetchall() == [(1,)]
    with store.reader() as during:  # a reader that is still reading when the next loads land
        store.load({"reps": REPS.head(3)}, loaded_by="b")
        with store.reader() as after:
            assert after.execute("select count(*) from reps").fetchall() == [(3,)]
        store.load({"reps": REPS.head(2)}, loaded_by="c")
        with store.reader() as newest:  # a third version opened: the first is retired while in use
            assert newest.execute("select count(*) from reps").fetchall() == [(2,)]
        assert during.execute("select count(*) from reps").fetchall() == [(4,)]  # still whole
    assert store.data_version() == 3
    with pytest.raises(RuntimeError), store.reader() as failed:
        raise RuntimeError("half way")
    with store.reader() as con:  # a connection whose reader failed is not handed out again
        assert con is not failed
    _ReaderPool.close_all()
