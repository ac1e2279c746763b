"""The bad-input catalogue: every file in tests/data/bad/ gets its exact verdict. A file that cannot be
used is rejected and the data already loaded stays exactly as it was (every extract, derived table
and the load history); a file whose odd rows real CRMs produce is loaded with those rows flagged."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.ingest import ingest_files
from scorecard.schema import EXTRACTS
from scorecard.store import Store

DATA = Path(__file__).resolve().parent.parent / "data"
BAD = DATA / "bad"
HUBSPOT = DATA / "exports" / "hubspot"

# file -> (rule, exact message or fragment of it, failing rows). Rows were counted by hand in each file.
CASES: dict[str, tuple[str, str, int]] = {
    "empty.csv": ("readable file", "the file is empty", 0),
    "header_only.csv": ("has rows", "the file has a header but no data rows", 0),
    "reps_wrong_delimiter.csv": ("readable file", "only one column was found (header 'rep_id:rep_name:manager_id')", 0),
    # BOM read away; 41001 appears on lines 3 and 4 -> 2 rows.
    "reps_bom_duplicate_ids.csv": ("unique rep_id", "2 of 3 rows (66.7%) break the rule 'unique rep_id'", 2),
    # cp1252, semicolons, decimal commas: '31/02/2026' and 'bientôt' do not parse -> 2 of 3.
    "opportunities_cp1252_bad_dates.csv": ("parseable date", "close_date='bientôt'", 2),
    "reps_quoted_newlines_missing_column.csv": ("required columns", "required column(s) missing: manager_id", 2),
    # '$1,234' parses; 'twelve' and '1.2.3' do not -> 2 of 3.
    "opportunities_unparseable_amounts.csv": ("parseable number", "amount='twelve'", 2),
    # B -> D -> C -> B: three reps in the loop.
    "reps_hierarchy_cycle.csv": ("no cycle in the hierarchy", "3 of 4 rows (75.0%)", 3),
    "reps_self_manager.csv": ("not their own manager", "rep_id='B', manager_id='B'", 1),
    "reps_orphan_manager.csv": ("manager_id found in reps", "'ZZ'", 1),
    "binary.csv": ("readable file", "this is a PNG image, not a CSV file", 0),
    "accounts_formula.csv": ("no spreadsheet formula", "account_name='=HYPERLINK", 1),
    "reps_html_name.csv": ("no HTML markup", "<script>", 1),
    # the one deal was created in 1900: more than half the rows break a flag rule, so it rejects
    "opportunities_implausible_date.csv": ("plausible date (1990 to 2100)", "created_date='1900-01-01'", 1),
    "unknown_shape.csv": ("recognised format", "headers: Foo, Bar, Baz", 1),
    "activities_ragged.csv": ("readable file", "the CSV cannot be parsed", 0),
    "zip_with_pdf.zip": ("readable file", "files of type .pdf are not read", 0),
    "activities_missing_rep.csv": ("not blank", "rep_id=(blank)", 1),
    # A Salesforce Opportunity export without OwnerId: recognised by name, refused by field.
    "Opportunity.csv": ("required columns",
                        'this Opportunity export lacks a field it needs (unable to find column "OwnerId"', 1),
}

# file -> (rule, flagged row's key, exact message or fragment of it): loaded, with that row flagged.
FLAGGED: dict[str, tuple[str, str, str]] = {
    # UTF-16 with tabs: owner U9999 is nobody in the loaded reps -> 1 of 2, not more than half.
    "opportunities_utf16_orphan_owner.csv": ("owner_rep_id found in reps", "D2", "1 of 2 rows (50.0%)"),
    # D1 closes 2026-03-31, created 2026-05-10: a deal entered after the fact.
    "opportunities_close_before_created.csv": ("close date not before created date", "D1", "1 of 2 rows (50.0%)"),
}


def fingerprint(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table that holds data or history (not the check results, which record
    the rejection for the data-quality page)."""
    tables = [*EXTRACTS, "team_members", "leaders", "opportunity_snapshots", "loads"]
    with store.reader() as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny loaded database: the HubSpot team sheet (41000 leads 41001-41003) and three deals."""
    path = tmp_path_factory.mktemp("bad") / "base.duckdb"
    result = ingest_files(Store(path), [HUBSPOT / "team.csv", HUBSPOT / "hubspot-deals-internal-names.csv"],
                          loaded_by="test")
    assert result.accepted, result.report()
    return path


@pytest.fixture
def store(base_db: Path, tmp_path: Path) -> Store:
    target = tmp_path / "db.duckdb"
    shutil.copy2(base_db, target)
    shutil.copytree(base_db.parent / "archive", tmp_path / "archive")
    return Store(target)


def test_catalogue_has_a_case_for_every_file() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted([*CASES, *FLAGGED])


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_rejected_and_nothing_changes(name: str, store: Store,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rule, message, rows = CASES[name]
    before = fingerprint(store)
    code = main(["ingest", "--db", str(store.path), str(BAD / name)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert out.startswith("REJECTED: nothing was changed"), out
    assert f"rule '{rule}'" in out, out
    assert message in out, out
    assert fingerprint(store) == before
    with store.reader() as con:
        failed = con.execute("select failed_rows from check_results where not passed and rule = $rule"
                             " and not accepted", {"rule": rule}).fetchall()
    assert failed and failed[0][0] == rows


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_odd_rows_are_loaded_and_flagged(name: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    rule, key, message = FLAGGED[name]
    code = main(["ingest", "--db", str(store.path), str(BAD / name)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("ACCEPTED as load 2"), out
    assert f"FLAGGED   {name}" in out and "flagged: column" in out and f"rule '{rule}'" in out, out
    assert message in out, out
    with store.reader() as con:
        kept = con.execute("select count(*) from opportunities where opportunity_id = $key", {"key": key}).fetchall()
        flags = con.execute("select extract, row_key, rule, line from flagged_rows").fetchall()
    assert kept == [(1,)]
    assert flags == [("opportunities", key, rule, 2 if key == "D1" else 3)]


def test_file_over_the_upload_limit_is_refused_with_a_message(store: Store, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARD_UPLOAD_LIMIT_MB", "1")
    big = tmp_path / "activities.csv"
    line = "X{:07d},41001,2026-11-02 10:00:00,call\n"
    big.write_text("activity_id,rep_id,activity_at,type\n" + "".join(line.format(i) for i in range(40_000)))
    assert big.stat().st_size > 1_000_000  # 40,000 lines of 36 bytes
    before = fingerprint(store)
    result = ingest_files(store, [big], loaded_by="test")
    assert not result.accepted
    assert "larger than the upload limit of 1 MB" in result.report()
    assert fingerprint(store) == before


def test_one_bad_file_rejects_the_whole_upload(store: Store) -> None:
    """Files of an upload land together or not at all: a good reps file beside a bad one is not loaded."""
    good = HUBSPOT / "team.csv"
    before = fingerprint(store)
    result = ingest_files(store, [good, BAD / "opportunities_unparseable_amounts.csv"], loaded_by="test")
    assert not result.accepted
    statuses = {v.file: v.status for v in result.verdicts}
    assert statuses == {"team.csv": "accepted", "opportunities_unparseable_amounts.csv": "rejected"}
    assert fingerprint(store) == before


def test_a_nul_byte_near_the_top_of_a_file_is_named_by_column_and_row(store: Store) -> None:
    """A NUL byte in an e-mail on line 3 is no reason to call the file binary: the NUL rule names it."""
    data = b"rep_id,rep_name,email,manager_id\n41000,Ann,ann@x.com,\n41001,Bob,bo\x00b@x.com,41000\n"
    before = fingerprint(store)
    path = store.path.parent / "reps.csv"
    path.write_bytes(data)
    result = ingest_files(store, [path], loaded_by="test")
    report = result.report()
    assert not result.accepted, report
    assert "binary" not in report
    assert "rule 'no NUL byte in keys and e-mails'" in report and "(in email)" in report, report
    with store.reader() as con:
        sample = con.execute("select sample from check_results where rule = 'no NUL byte in keys and e-mails'"
                             " and not passed").fetchall()
    assert sample and "reps.csv line 3" in sample[0][0], sample
    assert fingerprint(store) == before


def _activities_zip(folder: Path) -> Path:
    """14 MB of activities (350,000 rows of 40 bytes) in a zip that packs them about 10 times."""
    line = "X{:07d},41001,2026-11-02 10:00:00,call\n"
    text = "activity_id,rep_id,activity_at,type\n" + "".join(line.format(i) for i in range(350_000))
    path = folder / "activities.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities.csv", text)
    member = zipfile.ZipFile(path).getinfo("activities.csv")
    assert 13_500_000 < member.file_size < 14_500_000 and 5 < member.file_size / member.compress_size < 200
    return path


def test_the_zip_and_text_limits_are_the_settings(store: Store, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _activities_zip(tmp_path)
    before = fingerprint(store)
    monkeypatch.setenv("SCORECARD_ZIP_RATIO_LIMIT", "5")
    refused = ingest_files(store, [bundle], loaded_by="test")
    assert not refused.accepted
    assert "more than the limit of 5 times: refused as a possible zip bomb without unpacking it" in refused.report()
    assert "activities.zip/activities.csv" in refused.report()
    monkeypatch.delenv("SCORECARD_ZIP_RATIO_LIMIT")
    monkeypatch.setenv("SCORECARD_ZIP_UNPACKED_LIMIT_MB", "13")
    refused = ingest_files(store, [bundle], loaded_by="test")
    assert not refused.accepted
    assert "the archive says it unpacks to 14 MB, more than the limit of 13 MB" in refused.report()
    assert fingerprint(store) == before
    monkeypatch.delenv("SCORECARD_ZIP_UNPACKED_LIMIT_MB")
    monkeypatch.setenv("SCORECARD_TEXT_VALUE_LIMIT", "7")  # the activity IDs are 8 characters
    refused = ingest_files(store, [bundle], loaded_by="test")
    assert not refused.accepted
    assert "rule 'text at most 7 characters'" in refused.report()
    assert fingerprint(store) == before
    monkeypatch.setenv("SCORECARD_ZIP_UNPACKED_LIMIT_MB", "15")
    monkeypatch.setenv("SCORECARD_TEXT_VALUE_LIMIT", "8")
    accepted = ingest_files(store, [bundle], loaded_by="test")
    assert accepted.accepted, accepted.report()
    with store.reader() as con:
        assert con.execute("select count(*) from activities").fetchone() == (350_000,)
    assert not list((store.archive_dir / ".staging").glob("*-unpacked-*"))  # the unpacked member is gone
