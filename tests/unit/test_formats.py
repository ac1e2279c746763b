"""Real exports end to end through the command line: Salesforce Data Export (zip + quota sheet),
HubSpot deals (labels and internal names) with owners, and a hand-kept spreadsheet through mapping
profiles. Each gives a database the scoring API can score."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from scorecard.api import Scorecard
from scorecard.cli import main
from scorecard.mapping import MappingProfile, profiles_dir, read_profile, save_profile
from scorecard.readers import RawTable
from scorecard.store import Store

EXPORTS = Path(__file__).resolve().parent.parent / "data" / "exports"
SF, HS, HAND = EXPORTS / "salesforce", EXPORTS / "hubspot", EXPORTS / "handkept"


def uid(i: int) -> str:
    return f"0055g00000{i:03d}AbcAA"


def rows(store: Store, query: str) -> list[tuple[object, ...]]:
    with store.reader() as con:
        return con.execute(query).fetchall()


def pairs(store: Store, query: str) -> dict[object, object]:
    """A two-column query as a dict (first column -> second)."""
    return {row[0]: row[1] for row in rows(store, query)}


@pytest.fixture
def salesforce_zip(tmp_path: Path) -> Path:
    path = tmp_path / "WE_00D5g000001_1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for csv in sorted(SF.glob("*.csv")):
            archive.write(csv, csv.name)
    return path


def test_salesforce_data_export(salesforce_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "sf.duckdb"
    code = main(["ingest", "--db", str(db), str(salesforce_zip), str(SF / "quotas.xlsx")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "export.zip" not in out and "WE_00D5g000001_1.zip/User.csv (Salesforce Data Export, Windows-1252" in out
    store = Store(db)
    # Hierarchy: ManagerId is empty except for user 8, so managers come from UserRole.ParentRoleId:
    # AE West (5, 6) -> Manager West (3); AE East (7) -> Manager East, whose ForecastUserId is 4;
    # managers 3, 4 -> Director (2) -> VP (1). The name keeps its cp1252 accent.
    managers = pairs(store, "select rep_id, manager_id from reps")
    assert managers == {uid(1): None, uid(2): uid(1), uid(3): uid(2), uid(4): uid(2), uid(5): uid(3),
                        uid(6): uid(3), uid(7): uid(4), uid(8): uid(4)}
    assert rows(store, f"select rep_name from reps where rep_id = '{uid(3)}'") == [("Mía Muñoz",)]
    # Open/won/lost from IsClosed/IsWon whatever the (Spanish) stage; EUR converted with 1 / 0.9.
    deal3 = rows(store, "select stage, is_closed, is_won, amount, amount_local, currency from opportunities"
                        " where opportunity_id = '0065g00000003OpqAA'")
    assert deal3[0][:3] == ("Negociación", False, False)
    assert deal3[0][3] == pytest.approx(100_000.0) and deal3[0][4] == pytest.approx(90_000.0)
    # 4 accounts (the deleted one is dropped), 2 of them target accounts.
    assert rows(store, "select count(*), count(*) filter (where is_target) from accounts") == [(4, 2)]
    # Activities: 5 tasks - 1 list e-mail - 1 open task = 3; 3 events - 1 invitee copy = 2.
    kinds = pairs(store, "select activity_id, type from activities")
    assert kinds == {"00T5g0000001AAAAA0": "call", "00T5g0000002AAAAA0": "email",
                     "00T5g0000005AAAAA0": "call", "00U5g0000001AAAAA0": "demo", "00U5g0000003AAAAA0": "meeting"}
    assert rows(store, "select count(*), sum(quota_amount) from quotas") == [(8, 1_200_000.0)]
    assert rows(store, "select role from opportunity_team order by role") == [("leader",), ("se",)]
    scorecard = Scorecard.open(db)
    leaders = scorecard.leaders(scorecard.period("2026Q4"))
    assert sorted(leaders["leader_id"].to_list()) == [uid(1), uid(2), uid(3), uid(4)]


def test_hubspot_label_export_with_owners(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hs.duckdb"
    code = main(["ingest", "--db", str(db), str(HS / "hubspot-owners.csv"),
                 str(HS / "hubspot-crm-exports-all-deals-2026-11-14.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    store = Store(db)
    # "Deal owner" names (and one e-mail, deal 9004) resolve to owner IDs.
    assert rows(store, "select opportunity_id, owner_rep_id, is_closed, is_won, amount from opportunities"
                       " order by 1") == [
        ("9001", "41001", True, True, 48_000.0), ("9002", "41002", True, False, 12_000.0),
        ("9003", "41003", False, False, 30_500.5), ("9004", "41001", False, False, None),
        ("9005", "41003", True, True, 22_000.0)]
    # the deal without an amount (9004) is loaded and flagged
    assert "flagged: column amount, rule 'not blank': 1 of 5 rows" in out
    assert "note: no company IDs: the deals have no account" in out


def test_hubspot_internal_names_with_a_team_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hs.duckdb"
    assert main(["ingest", "--db", str(db), str(HS / "team.csv"),
                 str(HS / "hubspot-deals-internal-names.csv")]) == 0, capsys.readouterr().out
    store = Store(db)
    # hs_is_closed / hs_is_closed_won decide, so the custom numeric stage 12345678 is an open deal.
    assert rows(store, "select opportunity_id, stage, is_closed, is_won, type, forecast_category"
                       " from opportunities order by 1") == [
        ("9101", "closedwon", True, True, "new", "closed"),
        ("9102", "12345678", False, False, "expansion", "commit"),
        ("9103", "closedlost", True, False, "new", "omitted")]
    assert rows(store, "select leader_id, team_size from leaders") == [("41000", 3)]


def test_hubspot_activity_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hs.duckdb"
    code = main(["ingest", "--db", str(db), str(HS / "team.csv"),
                 str(HS / "hubspot-crm-exports-all-deals-2026-11-14.csv"),
                 str(HS / "hubspot-crm-exports-calls-2026-11-14.csv"),
                 str(HS / "hubspot-crm-exports-meetings-2026-11-14.csv"),
                 str(HS / "hubspot-emails-internal-names.csv"), str(HS / "hubspot-crm-exports-notes-2026-11-14.csv"),
                 str(HS / "hubspot-crm-exports-all-companies-2026-11-14.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    # the companies export gives the accounts the activities' company IDs point at (owners by name
    # or e-mail), so no activity names a company that is not loaded
    for name in ("calls", "meetings", "notes"):
        assert f"ACCEPTED  hubspot-crm-exports-{name}-2026-11-14.csv" in out, out
    assert "ACCEPTED  hubspot-emails-internal-names.csv" in out, out
    assert rows(Store(db), "select account_id, account_name, owner_rep_id, segment, is_target from accounts"
                           " order by 1") == [
        ("5001", "Acme Inc", "41001", "customer", True), ("5002", "Beta LLC", "41002", "prospect", False),
        ("5003", "Gamma AG", "41003", "prospect", True)]
    assert "1 cancelled, rescheduled or no-show meeting left out" in out
    assert "1 note kept as 'other'" in out
    store = Store(db)
    # Owners by name (labels) or owner ID (internal names); the first of several associated IDs;
    # call length from HH:MM:SS, a meeting's from its end minus its start; hs_timestamp in epoch
    # milliseconds (1793869200000 = 2026-11-05 09:00 UTC) or ISO; the cancelled meeting 8003 left out.
    assert rows(store, "select activity_id, rep_id, activity_at::varchar, type, account_id, opportunity_id,"
                       " contact_id, duration_min from activities order by 1") == [
        ("7001", "41001", "2026-11-02 10:00:00", "call", "5001", "9001", "6001", 32.5),
        ("7002", "41002", "2026-11-03 14:30:00", "call", "5002", "9002", "6002", 0.75),
        ("7003", "41003", "2026-11-04 09:15:00", "call", "5003", "9003", "6003", 65.0),
        ("7501", "41001", "2026-11-05 09:00:00", "email", "5001", "9001", "6001", None),
        ("7502", "41003", "2026-11-06 16:20:00", "email", "5003", "9003", "6003", None),
        ("7801", "41003", "2026-11-08 12:00:00", "other", "5003", "9003", None, None),
        ("8001", "41001", "2026-11-05 15:00:00", "meeting", "5001", "9001", None, 60.0),
        ("8002", "41003", "2026-11-06 10:00:00", "meeting", "5003", "9003", None, 45.0)]
    scorecard = Scorecard.open(db)
    assert scorecard.leaders(scorecard.period("2026Q4"))["leader_id"].to_list() == ["41000"]


def test_hubspot_activity_export_is_told_apart(tmp_path: Path) -> None:
    from scorecard.formats import hubspot
    from scorecard.readers import read_path

    def kind(path: Path) -> str | None:
        return hubspot.kind_of(read_path(path)[0])

    assert kind(HS / "hubspot-crm-exports-calls-2026-11-14.csv") == "activities"
    assert kind(HS / "hubspot-emails-internal-names.csv") == "activities"
    assert kind(HS / "hubspot-crm-exports-all-deals-2026-11-14.csv") == "deals"
    assert kind(HS / "hubspot-crm-exports-all-companies-2026-11-14.csv") == "companies"
    assert kind(HS / "hubspot-owners.csv") == "owners"
    assert kind(SF / "Task.csv") is None
    canonical = tmp_path / "activities.csv"
    canonical.write_text("activity_id,rep_id,activity_at,type\n1,R1,2026-11-02 09:00:00,call\n")
    assert kind(canonical) is None
    sheet = tmp_path / "log.csv"  # a hand-kept log: no HubSpot record ID
    sheet.write_text("Activity ID,Assigned to,Activity date,Activity type\n1,Ann,3/1/2026,Call\n")
    assert kind(sheet) is None


def test_hubspot_combined_activity_export() -> None:
    from scorecard.formats import hubspot
    from scorecard.readers import read_path

    people = read_path(HS / "team.csv")[0].frame
    mapped = hubspot.map_table(read_path(HS / "hubspot-activities-combined.csv")[0], people)
    assert mapped.problem is None and mapped.frame is not None
    # The type per row from "Activity type"; a meeting at its start time and as long as it lasted,
    # other rows at their activity date; the task still waiting left out.
    got = mapped.frame.select("activity_id", "rep_id", pl.col("activity_at").dt.strftime("%m-%d %H:%M"), "type",
                              "duration_min").rows()
    assert got == [("7101", "41001", "11-09 10:00", "call", 10.0), ("7102", "41002", "11-09 11:00", "email", None),
                   ("7103", "41003", "11-10 15:00", "meeting", 30.0), ("7105", "41001", "11-09 14:00", "other", None)]
    assert "1 task not yet done left out" in mapped.notes


def _hand_profiles(db: Path) -> None:
    save_profile(profiles_dir(db), MappingProfile(
        name="team sheet", extract="reps", headers=["Rep name", "Manager name", "Office"],
        columns={"rep_name": "Rep name", "manager_id": "Manager name", "region": "Office"}))
    save_profile(profiles_dir(db), MappingProfile(
        name="pipeline sheet", extract="opportunities", date_order="mdy",
        headers=["Deal", "Owner", "Account", "Engaged", "Close", "Stage", "Amount", "Product"],
        columns={"opportunity_id": "Deal", "owner_rep_id": "Owner", "account_id": "Account",
                 "created_date": "Engaged", "close_date": "Close", "stage": "Stage", "amount": "Amount",
                 "product_line": "Product"},
        stages={"Closed - Won": "won", "Closed - Lost": "lost", "Proposal": "open", "Discovery": "open"}))


def test_hand_kept_sheets_through_saved_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hand.duckdb"
    _hand_profiles(db)
    code = main(["ingest", "--db", str(db), str(HAND / "team.csv"), str(HAND / "pipeline.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "team.csv (mapping profile 'team sheet'" in out
    store = Store(db)
    # Managers by name -> generated IDs; Grace leads Hugo and Ines, Hugo leads Jonas and Kira.
    assert pairs(store, "select rep_id, manager_id from reps") == {
        "grace_garcia": None, "hugo_hansen": "grace_garcia", "ines_ibrahim": "grace_garcia",
        "jonas_jensen": "hugo_hansen", "kira_kowalski": "hugo_hansen", "liam_larsen": "ines_ibrahim"}
    # US dates, "$12,500", owner "jonas jensen" in lower case, stage mapped to open/won/lost.
    assert rows(store, "select opportunity_id, owner_rep_id, created_date::varchar, amount, is_closed, is_won"
                       " from opportunities order by created_date") == [
        ("Wingtip expansion", "liam_larsen", "2026-02-01", 1_250.0, True, True),
        ("Northwind renewal", "jonas_jensen", "2026-03-01", 12_500.0, True, True),
        ("Contoso pilot", "kira_kowalski", "2026-04-15", 0.0, True, False),
        ("Fabrikam upsell", "liam_larsen", "2026-09-02", 8_000.0, False, False),
        ("Tailspin new logo", "jonas_jensen", "2026-10-20", None, False, False)]
    scorecard = Scorecard.open(db)
    assert sorted(scorecard.leaders(scorecard.period("2026Q2"))["leader_id"].to_list()) == [
        "grace_garcia", "hugo_hansen", "ines_ibrahim"]


def test_mapping_option_names_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hand.duckdb"
    _hand_profiles(db)
    assert main(["ingest", "--db", str(db), "--mapping", "team sheet", str(HAND / "team.csv")]) == 0
    capsys.readouterr()
    assert main(["ingest", "--db", str(db), "--mapping", "no such", str(HAND / "team.csv")]) == 1
    assert "no mapping profile named 'no such'" in capsys.readouterr().out


def test_profile_file_is_readable_toml_and_round_trips(tmp_path: Path) -> None:
    _hand_profiles(tmp_path / "x.duckdb")
    path = tmp_path / "mappings" / "pipeline_sheet.toml"
    text = path.read_text(encoding="utf-8")
    assert 'owner_rep_id" = "Owner"' in text and '"Closed - Won" = "won"' in text
    profile = read_profile(path)
    assert profile.date_order == "mdy" and profile.stages["Discovery"] == "open"
    assert profile.matches(["Deal", "Owner", "Account", "Engaged", "Close", "Stage", "Amount", "Product"])
    assert not profile.matches(["Deal", "Owner"])


def test_salesforce_report_export_with_owner_names_and_footer(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "report.duckdb"
    code = main(["ingest", "--db", str(db), str(HS / "team.csv"),
                 str(EXPORTS / "salesforce_report" / "opportunities_report.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "opportunities_report.csv (Salesforce report export" in out
    # Three deals (the footer after the blank line is not one); owners by name; "USD 48,000.00";
    # US dates; open/won/lost from the default stage names.
    assert rows(Store(db), "select opportunity_id, owner_rep_id, amount, close_date::varchar, is_closed, is_won"
                           " from opportunities order by close_date") == [
        ("report-Acme rollout", "41001", 48_000.0, "2026-09-30", True, True),
        ("report-Beta pilot", "41002", 12_000.0, "2026-10-15", True, False),
        ("report-Gamma expansion", "41003", 30_500.5, "2026-12-20", False, False)]


def test_hand_kept_workbook_with_two_sheets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same sheets kept in one Excel workbook: real date cells, numbers as numbers."""
    import csv
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    team = book.active
    assert team is not None
    team.title = "Team"
    for row in csv.reader((HAND / "team.csv").open(encoding="utf-8")):
        team.append([v or None for v in row])
    pipeline = book.create_sheet("Pipeline")
    pipeline.append(["Deal", "Owner", "Account", "Engaged", "Close", "Stage", "Amount", "Product"])
    pipeline.append(["Northwind renewal", "Jonas Jensen", "Northwind", dt.datetime(2026, 3, 1), "6/30/2026",
                     "Closed - Won", 12500, "Platform"])
    pipeline.append(["Tailspin new logo", "Kira Kowalski", None, dt.datetime(2026, 10, 20), "1/30/2027",
                     "Discovery", None, "Platform"])
    path = tmp_path / "sales.xlsx"
    book.save(path)
    db = tmp_path / "book.duckdb"
    _hand_profiles(db)
    code = main(["ingest", "--db", str(db), str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sales.xlsx[Pipeline] (mapping profile 'pipeline sheet'" in out
    assert rows(Store(db), "select opportunity_id, owner_rep_id, created_date::varchar, close_date::varchar,"
                           " amount, is_closed from opportunities order by 1") == [
        ("Northwind renewal", "jonas_jensen", "2026-03-01", "2026-06-30", 12_500.0, True),
        ("Tailspin new logo", "kira_kowalski", "2026-10-20", "2027-01-30", None, False)]


# -- files recognised without being loaded, and canonical files by name --------------------------------

def _inline(name: str, headers: list[str], *values: list[str]) -> RawTable:
    frame = pl.DataFrame([list(v) for v in values], schema=dict.fromkeys(headers, pl.String), orient="row")
    return RawTable(name=name, path=Path(name), stem=Path(name).stem, frame=frame)


HUBSPOT_UNUSED = [
    ("hubspot-crm-exports-all-contacts-2026-11-14.csv",
     ["Record ID", "First Name", "Last Name", "Email", "Contact owner", "Lifecycle Stage", "Create Date"], "contacts"),
    # internal names: an owner ID and first and last names, yet a contacts export, not an owners list
    ("contacts.csv", ["hs_object_id", "firstname", "lastname", "email", "hubspot_owner_id", "lifecyclestage"],
     "contacts"),
    ("export.csv", ["Ticket ID", "Ticket name", "Pipeline", "Ticket status", "Ticket owner", "Create date"], "tickets"),
    ("export.csv", ["Record ID", "Name", "SKU", "Unit price", "Product description"], "products"),
    ("export.csv", ["Record ID", "Name", "Quantity", "Unit price", "Amount", "Product ID"], "line items"),
    ("export.csv", ["Record ID", "Quote name", "Quote amount", "Expiration date", "Quote status"], "quotes"),
    ("hubspot-crm-exports-all-line-items-2026-11-14.csv", ["Record ID", "Line item"], "line items"),
]


@pytest.mark.parametrize(("name", "headers", "what"), HUBSPOT_UNUSED,
                         ids=[f"{h[0]}-{h[2]}" for h in HUBSPOT_UNUSED])
def test_hubspot_exports_not_used_are_skipped_with_a_note(name: str, headers: list[str], what: str) -> None:
    from scorecard.formats import crm, hubspot

    table = _inline(name, headers, ["1001", *["x"] * (len(headers) - 1)])
    assert crm.export_of(table) == "hubspot" and not crm.lists_people(table)
    result = hubspot.map_table(table, None)
    assert result.skipped == f"{name}: a HubSpot export the scorecard does not use ({what}); skipped"
    assert result.frame is None and result.problem is None and result.extract is None


def test_an_owners_list_is_still_one_and_a_hand_kept_product_list_is_not_hubspot() -> None:
    from scorecard.formats import crm, hubspot
    from scorecard.readers import read_path

    assert hubspot.kind_of(read_path(HS / "hubspot-owners.csv")[0]) == "owners"
    products = _inline("products.csv", ["product", "series", "sales_price"], ["GTX Pro", "GTX", "4821"])
    assert crm.export_of(products) is None


@pytest.mark.parametrize("name", ["accounts.csv", "Accounts 2026.csv", "account.csv"])
def test_canonical_files_are_recognised_by_name_whatever_their_columns(name: str) -> None:
    from scorecard.formats import canonical, crm

    table = _inline(name, ["account", "sector", "year_established", "revenue", "office_location"],
                    ["Acme Corporation", "technolgy", "1996", "1100.04", "United States"])
    assert crm.export_of(table) is None and canonical.claims(table)
    result = canonical.map_canonical(table)
    assert result.format == "canonical" and result.extract == "accounts"
    assert result.problem == "required column(s) missing: account_id, account_name"
    assert result.rule == "required columns"


def test_a_file_named_after_nothing_without_canonical_columns_is_not_canonical() -> None:
    from scorecard.formats import canonical

    assert not canonical.claims(_inline("companies list.csv", ["account", "sector"], ["Acme", "retail"]))
