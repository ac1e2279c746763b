"""Microsoft Dynamics 365 exports mapped by ``scorecard.formats.dynamics``: the opportunity table in
display names (an Excel export with its hidden "(Do Not Modify)" columns) and in logical names, and
the systemuser table. Every expected value below is read off the files in tests/data/exports/dynamics.

The org: Victoria Vance (VP, ...0001) leads Marcus Reid (...0002) and Nadia Okafor (...0003);
Alice Brandt (...0004) and Ben Carter (...0005) report to Marcus, Chloe Dubois (...0006) and
Daniel Kim (...0007, no deals) to Nadia. Both opportunity files hold the same nine deals:

    deal  owner  status  est. revenue  actual revenue  est. close   actual close  currency
    1     Alice  won     50,000        48,500          6/30/2026    6/12/2026     USD
    2     Alice  lost    20,000                        5/15/2026    5/20/2026     USD
    3     Alice  open    35,000                        9/30/2026                  USD
    4     Ben    won     12,000                        4/30/2026    4/22/2026     USD
    5     Ben    open    1,234.50                      8/31/2026                  USD
    6     Ben    lost    8,000         0               6/30/2026                  USD
    7     Chloe  won     40,000        42,000          7/31/2026    7/15/2026     EUR
    8     Chloe  open    60,000                        12/15/2026                 USD
    9     Chloe  open    15,000                        11/30/2026                 USD  (no stage)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from scorecard.formats import MappedTable, canonical, dynamics, hubspot, salesforce
from scorecard.readers import RawTable, read_path

DATA = Path(__file__).resolve().parent.parent / "data"
DYN = DATA / "exports" / "dynamics"
EXCEL = DYN / "opportunities_excel_export.xlsx"
LOGICAL = DYN / "opportunity.csv"
USERS = DYN / "systemuser.csv"


def user(i: int) -> str:
    return f"3f1e0c0{i}-5b2a-ef11-8409-000d3a1b000{i}"


def deal(i: int) -> str:
    return f"b7a1000{i}-6c3d-ef11-a72f-6045bd00000{i}"


VICTORIA, MARCUS, NADIA, ALICE, BEN, CHLOE, DANIEL = (user(i) for i in range(1, 8))


def table(path: Path) -> RawTable:
    tables = read_path(path)
    assert len(tables) == 1
    return tables[0]


def inline(headers: list[str], *rows: Sequence[str | None], name: str = "export.csv") -> RawTable:
    frame = pl.DataFrame([list(r) for r in rows], schema=dict.fromkeys(headers, pl.String), orient="row")
    return RawTable(name=name, path=Path(name), stem=Path(name).stem, frame=frame)


@pytest.fixture(scope="module")
def reps() -> MappedTable:
    return dynamics.map_table(table(USERS), None)


@pytest.fixture(scope="module")
def people(reps: MappedTable) -> pl.DataFrame:
    assert reps.frame is not None
    return reps.frame.select("rep_id", "rep_name", "email")


def mapped(path: Path, people: pl.DataFrame | None) -> pl.DataFrame:
    result = dynamics.map_table(table(path), people)
    assert result.problem is None and result.format == "dynamics" and result.extract == "opportunities"
    assert result.frame is not None
    return result.frame.sort("opportunity_id")


# -- detection ---------------------------------------------------------------------------------------

def test_each_dynamics_file_is_recognised() -> None:
    assert dynamics.kind_of(table(EXCEL)) == "opportunities"
    assert dynamics.kind_of(table(LOGICAL)) == "opportunities"
    assert dynamics.kind_of(table(USERS)) == "users"
    assert all(dynamics.claims(table(p)) for p in (EXCEL, LOGICAL, USERS))


def _other_test_tables() -> list[RawTable]:
    """Every readable test file that is not a Dynamics export: canonical, bad, Salesforce (objects,
    report, quota sheet), HubSpot and hand-kept sheets."""
    out: list[RawTable] = []
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or DYN in path.parents:
            continue
        try:
            out.extend(read_path(path))
        except Exception:  # the deliberately unreadable files in tests/data/bad
            continue
    return out


def test_no_other_test_file_is_claimed() -> None:
    tables = _other_test_tables()
    names = {t.name for t in tables}
    # The sample really covers each family of files.
    assert {"Opportunity.csv", "User.csv", "hubspot-owners.csv", "hubspot-deals-internal-names.csv",
            "pipeline.csv", "team.csv", "opportunities_report.csv"} <= names
    assert any(n.startswith("quotas.xlsx[") for n in names)
    claimed = [t.name for t in tables if dynamics.claims(t)]
    assert claimed == []


def test_canonical_and_hand_kept_shapes_are_not_claimed() -> None:
    assert dynamics.kind_of(inline(["opportunity_id", "owner_rep_id", "created_date", "close_date", "stage",
                                    "is_closed", "is_won", "amount"])) is None
    assert dynamics.kind_of(inline(["rep_id", "rep_name", "email", "manager_id"])) is None
    assert dynamics.kind_of(inline(["Topic", "Owner", "Status", "Amount", "Close Date"])) is None
    assert dynamics.kind_of(inline(["Full Name", "Manager", "Office"])) is None
    assert dynamics.kind_of(inline(["Name", "Owner", "Stage", "Est. Revenue"])) is None


def test_other_formats_leave_the_dynamics_files_alone() -> None:
    for path in (EXCEL, LOGICAL, USERS):
        t = table(path)
        assert not salesforce.claims(t) and not salesforce.is_report(t) and not hubspot.claims(t), path.name
        assert not canonical.complete(t), path.name


def test_display_names_without_the_hidden_columns_are_recognised() -> None:
    assert dynamics.kind_of(inline(["Topic", "Potential Customer", "Est. Revenue", "Est. Close Date", "Owner",
                                    "Status"])) == "opportunities"
    assert dynamics.kind_of(inline(["Full Name", "Primary Email", "Manager"])) == "users"
    assert dynamics.kind_of(inline(["(Do Not Modify) User", "(Do Not Modify) Row Checksum",
                                    "(Do Not Modify) Modified On", "Full Name"])) == "users"
    assert dynamics.kind_of(inline(["systemuserid", "fullname", "_parentsystemuserid_value"])) == "users"


# -- opportunities -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [EXCEL, LOGICAL], ids=["excel-display-names", "csv-logical-names"])
def test_open_won_lost_counts_and_amounts(path: Path, people: pl.DataFrame) -> None:
    frame = mapped(path, people)
    assert frame.height == 9
    assert frame["opportunity_id"].to_list() == [deal(i) for i in range(1, 10)]
    status = frame.select(pl.when(pl.col("is_won")).then(pl.lit("won")).when(pl.col("is_closed"))
                          .then(pl.lit("lost")).otherwise(pl.lit("open")).alias("status"), "amount")
    totals = dict(status.group_by("status").agg(pl.len(), pl.col("amount").sum())
                  .select("status", pl.struct("len", "amount")).iter_rows())
    # Won: 48,500 (actual) + 12,000 (no actual: estimated) + 42,000 EUR (actual) = 102,500.
    # Lost: estimated 20,000 + 8,000 (the actual 0 of a lost deal is not its amount).
    # Open: 35,000 + 1,234.50 + 60,000 + 15,000.
    assert totals == {"won": {"len": 3, "amount": 102_500.0}, "lost": {"len": 2, "amount": 28_000.0},
                      "open": {"len": 4, "amount": 111_234.5}}
    assert frame["amount"].to_list() == [48_500.0, 20_000.0, 35_000.0, 12_000.0, 1_234.5, 8_000.0, 42_000.0,
                                         60_000.0, 15_000.0]


@pytest.mark.parametrize("path", [EXCEL, LOGICAL], ids=["excel-display-names", "csv-logical-names"])
def test_close_and_created_dates(path: Path, people: pl.DataFrame) -> None:
    frame = mapped(path, people)
    # Closed deals: the actual close date when given (deal 6 has none: its estimated one).
    assert frame["close_date"].to_list() == [
        date(2026, 6, 12), date(2026, 5, 20), date(2026, 9, 30), date(2026, 4, 22), date(2026, 8, 31),
        date(2026, 6, 30), date(2026, 7, 15), date(2026, 12, 15), date(2026, 11, 30)]
    # Excel: a real date cell (deal 1), "3/1/2026 2:15 PM" times, a bare "1/15/2026"; CSV: ISO with Z.
    assert frame["created_date"].to_list() == [
        date(2026, 2, 3), date(2026, 3, 1), date(2026, 4, 10), date(2026, 1, 15), date(2026, 5, 5),
        date(2026, 2, 20), date(2026, 3, 10), date(2026, 6, 1), date(2026, 6, 20)]
    assert not [c for c in frame.columns if c.startswith("__raw__")]


@pytest.mark.parametrize("path", [EXCEL, LOGICAL], ids=["excel-display-names", "csv-logical-names"])
def test_owners_resolve_to_user_ids(path: Path, people: pl.DataFrame) -> None:
    frame = mapped(path, people)
    # Excel: names ("chloe dubois" in lower case on deal 9); CSV: IDs, deal 5's written {UPPER CASE}.
    assert frame["owner_rep_id"].to_list() == [ALICE] * 3 + [BEN] * 3 + [CHLOE] * 3


def test_owner_names_stay_as_written_without_users() -> None:
    frame = mapped(EXCEL, None)
    assert frame["owner_rep_id"].unique().sort().to_list() == ["Alice Brandt", "Ben Carter", "Chloe Dubois",
                                                               "chloe dubois"]


@pytest.mark.parametrize("path", [EXCEL, LOGICAL], ids=["excel-display-names", "csv-logical-names"])
def test_currency_codes_and_stages(path: Path, people: pl.DataFrame) -> None:
    frame = mapped(path, people)
    # "US Dollar" / "Euro" in the Excel export, ISO codes in the CSV.
    assert frame["currency"].to_list() == ["USD"] * 6 + ["EUR"] + ["USD"] * 2
    # Deal 9 has no stage: its status stands in.
    assert frame["stage"].to_list() == ["4-Close", "3-Propose", "2-Develop", "4-Close", "1-Qualify", "2-Develop",
                                        "4-Close", "3-Propose", "Open"]


def test_mapping_and_notes_name_the_sources(people: pl.DataFrame) -> None:
    result = dynamics.map_table(table(EXCEL), people)
    assert result.mapping["opportunity_id"] == "(Do Not Modify) Opportunity"
    assert result.mapping["owner_rep_id"] == "Owner"
    assert result.mapping["account_id"] == "Potential Customer"
    assert result.mapping["stage"] == "Pipeline Phase"
    assert result.mapping["amount"] == "Actual Revenue for won deals when given, else Est. Revenue"
    assert result.mapping["close_date"] == "Actual Close Date for closed deals when given, else Est. Close Date"
    assert result.notes == ["stage blank on 1 of 9 deals: their status (Open, Won, Lost) is used as the stage"]
    assert result.frame is not None
    assert result.frame["account_id"][0] == "Contoso Ltd"
    assert result.frame["__line"].to_list() == list(range(2, 11))
    logical = dynamics.map_table(table(LOGICAL), people)
    assert logical.mapping["owner_rep_id"] == "_ownerid_value"
    assert logical.mapping["account_id"] == "_parentaccountid_value"
    assert logical.frame is not None
    assert logical.frame.sort("opportunity_id")["forecast_category"].to_list() == [
        "closed", "closed", "pipeline", "closed", "pipeline", "closed", "closed", "commit", "best_case"]


def test_currency_names_map_to_iso_codes() -> None:
    names = ["US Dollar", "Euro", "Pound Sterling", "Canadian Dollar", "Australian Dollar", "Japanese Yen",
             "Swiss Franc", "sek", "Dollar des États-Unis"]
    t = inline(["opportunityid", "ownerid", "estimatedvalue", "estimatedclosedate", "statecode", "createdon",
                "transactioncurrencyid"],
               *([f"D{i}", "U1", "100", "2026-06-30", "0", "2026-01-01", name] for i, name in enumerate(names)))
    result = dynamics.map_table(t, None)
    assert result.frame is not None
    assert result.frame["currency"].to_list() == ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK",
                                                  "Dollar des États-Unis"]
    assert any("neither an ISO code nor a known currency name (Dollar des" in n for n in result.notes)


def test_status_labels_numbers_and_the_unknown() -> None:
    t = inline(["opportunityid", "ownerid", "estimatedvalue", "actualvalue", "estimatedclosedate",
                "actualclosedate", "stepname", "statecode"],
               ["D1", "U1", "$1,000", "$900", "3/31/2026", "3/15/2026", "Propose", "Won"],
               ["D2", "U1", "$1,000", None, "3/31/2026", "3/20/2026", "Propose", "2"],
               ["D3", "U1", "$1,000", None, "3/31/2026", None, "Propose", "open"],
               ["D4", "U1", "$1,000", None, "3/31/2026", None, "Propose", "Canceled"])
    result = dynamics.map_table(t, None)
    assert result.frame is not None
    frame = result.frame
    assert frame["is_closed"].to_list() == [True, True, False, None]
    assert frame["is_won"].to_list() == [True, False, False, None]
    # The status no rule knows is kept as written, for the type check to name it.
    assert frame["__raw__is_closed"].to_list() == [None, None, None, "Canceled"]
    assert frame["amount"].to_list() == [900.0, 1_000.0, 1_000.0, 1_000.0]
    # No created date: the close date stands in, with a note.
    assert frame["created_date"].to_list() == frame["close_date"].to_list()
    assert any(n.startswith("no createdon/Created On") for n in result.notes)


def test_status_reason_when_there_is_no_statecode() -> None:
    t = inline(["opportunityid", "ownerid", "estimatedvalue", "estimatedclosedate", "statuscode"],
               ["D1", "U1", "10", "2026-03-31", "3"], ["D2", "U1", "10", "2026-03-31", "5"],
               ["D3", "U1", "10", "2026-03-31", "2"])
    result = dynamics.map_table(t, None)
    assert result.problem is None and result.frame is not None
    assert result.frame["is_closed"].to_list() == [True, True, False]
    assert result.frame["is_won"].to_list() == [True, False, False]
    assert result.frame["stage"].to_list() == ["Won", "Lost", "Open"]


def test_missing_required_columns_is_a_problem() -> None:
    t = inline(["(Do Not Modify) Opportunity", "(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On",
                "Topic", "Potential Customer", "Est. Revenue", "Owner"],
               ["b7a1", "x==", "2026-07-01", "Deal", "Contoso", "$5", "Alice Brandt"])
    result = dynamics.map_table(t, None)
    assert dynamics.kind_of(t) == "opportunities"
    assert result.format == "dynamics" and result.extract == "opportunities" and result.frame is None
    assert result.rule == "required columns"
    assert result.column == "close_date, is_closed, is_won"
    assert result.problem is not None and "lacks close_date, is_closed, is_won" in result.problem
    no_owner = inline(["opportunityid", "estimatedvalue", "estimatedclosedate", "statecode"], ["D1", "1", "x", "0"])
    assert dynamics.map_table(no_owner, None).column == "owner_rep_id"
    users = inline(["systemuserid", "internalemailaddress", "parentsystemuserid"], ["U1", "a@b.example", None])
    assert dynamics.kind_of(users) == "users"
    assert (dynamics.map_table(users, None).rule, dynamics.map_table(users, None).column) == (
        "required columns", "rep_name")


# -- users -------------------------------------------------------------------------------------------

def test_systemuser_hierarchy(reps: MappedTable) -> None:
    assert reps.problem is None and reps.format == "dynamics" and reps.extract == "reps"
    assert reps.frame is not None
    managers = dict(reps.frame.select("rep_id", "manager_id").iter_rows())
    assert managers == {VICTORIA: None, MARCUS: VICTORIA, NADIA: VICTORIA, ALICE: MARCUS, BEN: MARCUS,
                        CHLOE: NADIA, DANIEL: NADIA}
    assert reps.frame.filter(pl.col("rep_id") == CHLOE)[["rep_name", "email"]].row(0) == (
        "Chloe Dubois", "chloe.dubois@contoso.example")
    assert reps.mapping["rep_id"] == "systemuserid"
    assert reps.mapping["manager_id"].startswith("parentsystemuserid")


def test_managers_by_name_in_a_display_export() -> None:
    t = inline(["(Do Not Modify) User", "(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On",
                "Full Name", "User Name", "Primary Email", "Manager"],
               ["{U-1}", "c1", "2026-07-01", "Victoria Vance", "vv", "victoria@contoso.example", None],
               ["U-2", "c2", "2026-07-01", "Marcus Reid", "mr", "marcus@contoso.example", "Victoria Vance"],
               ["U-3", "c3", "2026-07-01", "Alice Brandt", "ab", "alice@contoso.example", "marcus reid"],
               ["U-4", "c4", "2026-07-01", "Ben Carter", "bc", "ben@contoso.example", "Someone Else"])
    result = dynamics.map_table(t, None)
    assert dynamics.kind_of(t) == "users" and result.frame is not None
    assert dict(result.frame.select("rep_id", "manager_id").iter_rows()) == {
        "U-1": None, "U-2": "U-1", "U-3": "U-2", "U-4": "Someone Else"}  # unresolved: kept, the checks name it
    assert result.mapping["rep_id"] == "(Do Not Modify) User"


def test_without_user_ids_the_full_name_is_the_rep_id() -> None:
    t = inline(["Full Name", "Primary Email", "Manager"],
               ["Victoria Vance", "victoria@contoso.example", None],
               ["Marcus Reid", "marcus@contoso.example", "Victoria Vance"])
    result = dynamics.map_table(t, None)
    assert result.frame is not None
    assert result.frame.select("rep_id", "manager_id").rows() == [("Victoria Vance", None),
                                                                   ("Marcus Reid", "Victoria Vance")]
    assert any("full name is the rep ID" in n for n in result.notes)


# -- the users file with either opportunity file makes a database the scorecard can score ----------

@pytest.mark.parametrize("path", [EXCEL, LOGICAL], ids=["excel-display-names", "csv-logical-names"])
def test_users_and_opportunities_make_a_scorecard(path: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The files as exported, through ``scorecard ingest``: recognised, mapped, checked, loaded."""
    from scorecard.api import Scorecard
    from scorecard.cli import main
    from scorecard.store import Store

    db = tmp_path / "dyn.duckdb"
    code = main(["ingest", "--db", str(db), str(USERS), str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{USERS.name} (Dynamics 365 export" in out and out.count("(Dynamics 365 export") == 2
    with Store(db).reader() as con:
        assert con.execute("select count(*), count(*) filter (where is_won), count(*) filter (where not is_closed),"
                           " sum(amount) filter (where is_won) from opportunities").fetchall() == [
            (9, 3, 4, 102_500.0)]
        assert con.execute("select owner_rep_id, count(*) from opportunities group by 1 order by 1").fetchall() == [
            (ALICE, 3), (BEN, 3), (CHLOE, 3)]
    scorecard = Scorecard.open(db)
    leaders = scorecard.leaders(scorecard.period("2026Q2"))
    assert sorted(leaders["leader_id"].to_list()) == sorted([VICTORIA, MARCUS, NADIA])


def test_a_saved_profile_wins_over_dynamics_display_names(tmp_path: Path) -> None:
    """A hand-kept team sheet may share Dynamics' display names; the analyst's profile for it decides."""
    from scorecard.ingest import plan_ingest
    from scorecard.mapping import MappingProfile, profiles_dir, save_profile
    from scorecard.store import Store

    sheet = tmp_path / "team.csv"
    sheet.write_text("Full Name,Primary Email,Manager\nAnn Lee,ann@x.example,\nBo Chan,bo@x.example,Ann Lee\n")
    db = tmp_path / "db.duckdb"
    assert plan_ingest(Store(db), [sheet]).verdicts[0].format == "Dynamics 365 export"
    save_profile(profiles_dir(db), MappingProfile(
        name="team sheet", extract="reps", headers=["Full Name", "Primary Email", "Manager"],
        columns={"rep_name": "Full Name", "email": "Primary Email", "manager_id": "Manager"}))
    plan = plan_ingest(Store(db), [sheet])
    assert plan.verdicts[0].format == "mapping profile 'team sheet'" and plan.accepted


# -- the tables the scorecard does not use -------------------------------------------------------------

DYNAMICS_UNUSED = [
    ("contact.csv", ["contactid", "fullname", "emailaddress1", "parentcustomerid", "accountid", "createdon",
                     "modifiedon", "statecode", "_ownerid_value"], "contact", "contacts"),
    # no telling name: the most specific primary key (a lead also points at a contact)
    ("export.csv", ["leadid", "subject", "firstname", "lastname", "companyname", "contactid", "createdon",
                    "statecode"], "lead", "leads"),
    ("account.csv", ["accountid", "name", "primarycontactid", "pricelevelid", "_ownerid_value", "createdon"],
     "account", "accounts, not read from Dynamics 365 yet"),
    # a quote points at its deal and has a status: still not a deal
    ("quote.csv", ["quoteid", "opportunityid", "name", "statecode", "totalamount", "createdon"], "quote", "quotes"),
    ("email.csv", ["activityid", "activitytypecode", "subject", "regardingobjectid", "createdon"], "email",
     "e-mails, not read from Dynamics 365 yet"),
    # an Excel export of contacts: "Full Name" and "Email", yet not users
    ("My Active Contacts.xlsx", ["(Do Not Modify) Contact", "(Do Not Modify) Row Checksum",
                                 "(Do Not Modify) Modified On", "Full Name", "Email", "Company Name"], "contact",
     "contacts"),
]


@pytest.mark.parametrize(("name", "headers", "entity", "what"), DYNAMICS_UNUSED,
                         ids=[f"{u[0]}-{u[2]}" for u in DYNAMICS_UNUSED])
def test_tables_not_used_are_skipped_with_a_note(name: str, headers: list[str], entity: str, what: str) -> None:
    from scorecard.formats import crm

    t = inline(headers, ["v"] * len(headers), name=name)
    assert dynamics.kind_of(t) == "unused" and dynamics.unused_table(t) == entity
    assert crm.export_of(t) == "dynamics" and not crm.lists_people(t)
    result = dynamics.map_table(t, None)
    assert result.skipped == f"{name}: a Dynamics 365 table the scorecard does not use ({what}); skipped"
    assert result.frame is None and result.problem is None and result.extract is None


def test_the_opportunity_and_user_tables_are_not_taken_for_unused_ones() -> None:
    # an opportunity table also holds campaign, price list and currency IDs
    assert dynamics.kind_of(inline(["opportunityid", "name", "statecode", "estimatedvalue", "campaignid",
                                    "pricelevelid", "transactioncurrencyid", "createdon"])) == "opportunities"
    assert dynamics.kind_of(inline(["systemuserid", "fullname", "businessunitid", "createdon"])) == "users"
