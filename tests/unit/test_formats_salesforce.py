"""A Salesforce weekly Data Export as delivered (tests/data/exports/salesforce_weekly, described in
tests/exports_fixtures.py), at the formats level: every file is recognised as Salesforce, the
objects the scorecard does not use and the header-only ones are skipped with a note, only people
become reps, and each table says how recent its data is."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from exports_fixtures import SALESFORCE_WEEKLY, salesforce_weekly_zip

from scorecard.formats import MappedTable, crm, hubspot, salesforce
from scorecard.readers import RawTable, read_path


def sfid(prefix: str, n: int) -> str:
    """The fixture's IDs: ``0058d0000000002AAA`` is user 2."""
    return f"{prefix}8d{n:010d}AAA"


def user(n: int) -> str:
    return sfid("005", n)


def deal(n: int) -> str:
    return sfid("006", n)


STANDARD = [user(n) for n in range(1, 9)]
DOCGEN_LICENSE_MANAGER, INTEGRATION_USER = user(9), user(13)


@pytest.fixture(scope="module")
def tables() -> list[RawTable]:
    return [t for path in sorted(SALESFORCE_WEEKLY.glob("*.csv")) for t in read_path(path)]


@pytest.fixture(scope="module")
def mapped(tables: list[RawTable]) -> dict[str, MappedTable]:
    return {m.file: m for m in salesforce.map_tables(tables)}


def inline(name: str, headers: list[str], *rows: list[str | None]) -> RawTable:
    frame = pl.DataFrame([list(r) for r in rows], schema=dict.fromkeys(headers, pl.String), orient="row")
    return RawTable(name=name, path=Path(name), stem=Path(name).stem, frame=frame)


def replaced(table: RawTable, frame: pl.DataFrame) -> RawTable:
    return RawTable(name=table.name, path=table.path, stem=table.stem, frame=frame)


def by_name(tables: list[RawTable], name: str) -> RawTable:
    return next(t for t in tables if t.name == name)


# -- recognition -------------------------------------------------------------------------------------

def test_every_file_of_the_export_is_salesforce(tables: list[RawTable]) -> None:
    assert {t.name: crm.export_of(t) for t in tables} == dict.fromkeys(
        ["Account.csv", "Campaign.csv", "Case.csv", "Competidor__c.csv", "Contact.csv", "Event.csv",
         "ForecastingQuota.csv", "Lead.csv", "Opportunity.csv", "Task.csv", "User.csv", "UserRole.csv"], "salesforce")


def test_the_zip_as_delivered_reads_to_the_same_tables(tmp_path: Path) -> None:
    tables = read_path(salesforce_weekly_zip(tmp_path))
    assert len(tables) == 12
    assert all(crm.export_of(t) == "salesforce" for t in tables)
    opportunities = next(t for t in tables if t.name.endswith("/Opportunity.csv"))
    assert opportunities.encoding == "Windows-1252" and opportunities.rows == 40


def test_unused_objects_are_skipped_with_a_note(mapped: dict[str, MappedTable]) -> None:
    notes = {name: m.skipped for name, m in mapped.items() if m.skipped}
    assert notes == {
        "Campaign.csv": "Campaign.csv: a Salesforce object the scorecard does not use (campaigns); skipped",
        "Case.csv": "Case.csv: a Salesforce object the scorecard does not use (support cases); skipped",
        "Competidor__c.csv": "Competidor__c.csv: a custom Salesforce object the scorecard does not use; skipped",
        "Contact.csv": "Contact.csv: a Salesforce object the scorecard does not use (contacts); skipped",
        "Lead.csv": "Lead.csv: a Salesforce object the scorecard does not use (leads); skipped",
        "ForecastingQuota.csv": "ForecastingQuota.csv: holds only its header: nothing to load",
    }
    for name in notes:
        m = mapped[name]
        assert m.format == "salesforce" and m.frame is None and m.problem is None, name
        assert m.extract == ("quotas" if name == "ForecastingQuota.csv" else None), name


STANDARD_OBJECTS = [
    "Contact", "Lead", "Campaign", "CampaignMember", "Case", "Product2", "Pricebook2", "PricebookEntry",
    "OpportunityLineItem", "Contract", "Note", "Attachment", "ContentVersion", "Asset", "Order", "Solution", "Idea",
    "EmailMessage", "AccountContactRole", "OpportunityContactRole", "Partner", "Quote", "Group", "GroupMember",
    "Profile", "PermissionSet", "RecordType", "BusinessHours", "Organization", "OpportunityFieldHistory",
    "AccountHistory", "OpportunityShare", "ForecastingItem", "DatedConversionRate",
]


@pytest.mark.parametrize("obj", STANDARD_OBJECTS)
def test_each_standard_object_not_used_is_recognised_by_its_name_and_skipped(obj: str) -> None:
    # a header and one row with only the fields every object has
    table = inline(f"WE_00D_1.zip/{obj}.csv", ["Id", "Name", "CreatedDate"], [sfid("0XX", 1), "x", "2023-01-02"])
    assert crm.export_of(table) == "salesforce"
    assert not hubspot.claims(table)
    [result] = salesforce.map_tables([table])
    assert result.skipped is not None and result.skipped.startswith(f"{obj}.csv: a Salesforce object the scorecard"
                                                                    " does not use")
    assert result.frame is None and result.problem is None and result.extract is None


def test_an_object_is_told_by_its_system_fields_whatever_the_file_is_called() -> None:
    table = inline("people.csv", ["Id", "IsDeleted", "AccountId", "FirstName", "LastName", "Email", "OwnerId",
                                  "SystemModstamp"],
                   [sfid("003", 1), "0", sfid("001", 1), "Ana", "Muñoz", "ana@example.com", user(2),
                    "2023-12-01 10:00:00"])
    assert crm.export_of(table) == "salesforce"
    [result] = salesforce.map_tables([table])
    assert result.skipped == "people.csv: a Salesforce object the scorecard does not use; skipped"


def test_a_file_named_like_an_object_but_not_salesforce_is_left_alone() -> None:
    sheet = inline("Lead.csv", ["Name", "Company", "Email"], ["Ana", "Acme", "ana@example.com"])
    assert salesforce.object_of(sheet) is None and crm.export_of(sheet) is None


# -- contacts and leads are never people of the org ------------------------------------------------

def test_contacts_and_leads_are_never_hubspot_owners(tables: list[RawTable]) -> None:
    for name in ("Contact.csv", "Lead.csv"):
        table = by_name(tables, name)
        assert hubspot.kind_of(table) is None and not crm.lists_people(table), name
        # renamed, and even without Salesforce's system fields, their record IDs give them away
        bare = replaced(table, table.frame.select("Id", "FirstName", "LastName", "Email"))
        bare.stem = bare.name = "people"
        assert hubspot.kind_of(bare) is None, name


def test_no_contact_or_lead_becomes_a_rep(mapped: dict[str, MappedTable]) -> None:
    reps = [(m.file, m.frame) for m in mapped.values() if m.extract == "reps" and m.frame is not None]
    assert [file for file, _ in reps] == ["User.csv"]
    assert all(r.startswith("005") for r in reps[0][1]["rep_id"].to_list())


# -- only people belong in the org chart -----------------------------------------------------------

def test_only_standard_users_and_owners_become_reps(mapped: dict[str, MappedTable]) -> None:
    users = mapped["User.csv"]
    assert users.frame is not None and users.problem is None
    # the 8 Standard users (3 of them inactive: their history counts) and the license user who owns a task
    assert sorted(users.frame["rep_id"].to_list()) == [*STANDARD, DOCGEN_LICENSE_MANAGER]
    assert ("6 users left out of the reps: not Standard users but license, integration, admin, automated-process"
            " or portal users (1 AutomatedProcess, 1 CloudIntegrationUser, 1 CsnOnly, 1 ExternalWho,"
            " 1 LicenseManager, 1 SfdcAdmin)") in users.notes
    assert ("1 user kept although not a Standard user, as it owns deals or activities in this upload:"
            " DocGen License Manager (LicenseManager)") in users.notes
    # the line numbers are those of the file (header = line 1): user 9 is on line 10
    lines = dict(zip(users.frame["rep_id"].to_list(), users.frame["__line"].to_list(), strict=True))
    assert lines[DOCGEN_LICENSE_MANAGER] == 10 and lines[user(1)] == 2


def test_managers_come_from_the_roles(mapped: dict[str, MappedTable]) -> None:
    frame = mapped["User.csv"].frame
    assert frame is not None
    managers = dict(zip(frame["rep_id"].to_list(), frame["manager_id"].to_list(), strict=True))
    # Dirección Comercial (Marta) > Ventas Norte (Andrés) > Ejecutivo Norte (Pablo, Irene);
    # Dirección Comercial > Ventas Sur (Laura) > Ejecutivo Sur (Diego, Nuria); Carlos has no role.
    assert managers == {user(1): None, user(2): user(1), user(3): user(1), user(4): user(2), user(5): user(2),
                        user(6): user(3), user(7): user(3), user(8): None, DOCGEN_LICENSE_MANAGER: None}
    assert "6 managers taken from the role hierarchy (UserRole.ParentRoleId) where ManagerId is empty" \
        in mapped["User.csv"].notes
    names = dict(zip(frame["rep_id"].to_list(), frame["rep_name"].to_list(), strict=True))
    assert names[user(2)] == "Andrés Peña" and names[user(3)] == "Laura Sáenz"


def test_a_system_user_who_owns_a_deal_stays(tables: list[RawTable]) -> None:
    opportunities = by_name(tables, "Opportunity.csv")
    moved = opportunities.frame.with_columns(
        pl.when(pl.col("Id") == deal(40)).then(pl.lit(INTEGRATION_USER)).otherwise(pl.col("OwnerId")).alias("OwnerId"))
    others = [t for t in tables if t.name != "Opportunity.csv"]
    users = next(m for m in salesforce.map_tables([*others, replaced(opportunities, moved)]) if m.file == "User.csv")
    assert users.frame is not None
    assert sorted(users.frame["rep_id"].to_list()) == [*STANDARD, DOCGEN_LICENSE_MANAGER, INTEGRATION_USER]
    assert ("2 users kept although not Standard users, as they own deals or activities in this upload:"
            " DocGen License Manager (LicenseManager), Integration User (CloudIntegrationUser)") in users.notes
    assert any(n.startswith("5 users left out of the reps") for n in users.notes)


def test_portal_and_partner_users_are_left_out_and_a_blank_type_is_a_person() -> None:
    headers = ["Id", "Username", "FirstName", "LastName", "UserType", "IsActive"]
    table = inline("User.csv", headers, [user(1), "a@x", "Ann", "Lee", "Standard", "1"],
                   [user(2), "b@x", "Bo", "Ray", "PowerPartner", "1"],
                   [user(3), "c@x", "Cy", "Do", "CspLitePortal", "1"],
                   [user(4), "d@x", "Di", "Em", "Guest", "1"], [user(5), "e@x", "Ed", "Fo", None, "0"])
    [result] = salesforce.map_tables([table])
    assert result.frame is not None and result.frame["rep_id"].to_list() == [user(1), user(5)]
    assert ("3 users left out of the reps: not Standard users but license, integration, admin, automated-process"
            " or portal users (1 CspLitePortal, 1 Guest, 1 PowerPartner)") in result.notes


def test_without_a_user_type_everyone_stays(tables: list[RawTable]) -> None:
    users = by_name(tables, "User.csv")
    [result] = salesforce.map_tables([replaced(users, users.frame.drop("UserType"))])
    assert result.frame is not None and result.frame.height == 15
    assert not any("left out" in n for n in result.notes)


# -- quotas ----------------------------------------------------------------------------------------

WEEKLY_QUOTA = ["Id", "CompositeKeyId", "CurrencyIsoCode", "QuotaAmount", "QuotaQuantity", "CreatedDate",
                "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp"]


def test_forecasting_quota_with_rows_but_no_owner_or_period_is_skipped_with_a_note() -> None:
    table = inline("ForecastingQuota.csv", WEEKLY_QUOTA,
                   [sfid("0J9", 1), "k1", "USD", "100000", "", "2023-01-02 10:00:00", user(1), "2023-01-02 10:00:00",
                    user(1), "2023-01-02 10:00:00"])
    [result] = salesforce.map_tables([table])
    assert result.frame is None and result.problem is None and result.extract == "quotas"
    assert result.skipped is not None
    assert result.skipped.startswith("ForecastingQuota.csv: the quotas of this export have no owner or no period")
    assert "quotas need a sheet with an owner (QuotaOwnerId), a period (StartDate or PeriodId) and an amount" \
        in result.skipped


def test_forecasting_quota_from_an_api_extract_takes_its_period_from_period() -> None:
    quotas = inline("ForecastingQuota.csv", ["Id", "QuotaOwnerId", "PeriodId", "QuotaAmount"],
                    [sfid("0J9", 1), user(2), sfid("026", 1), "150000"])
    periods = inline("Period.csv", ["Id", "FiscalYearSettingsId", "Type", "StartDate", "EndDate"],
                     [sfid("026", 1), sfid("022", 1), "Quarter", "2023-10-01", "2023-12-31"])
    result = next(m for m in salesforce.map_tables([quotas, periods]) if m.file == "ForecastingQuota.csv")
    assert result.skipped is None and result.frame is not None
    assert result.frame.select("rep_id", "period_start", "period_end", "quota_amount").rows() == [
        (user(2), datetime(2023, 10, 1).date(), datetime(2023, 12, 31).date(), 150000.0)]


# -- what is loaded ----------------------------------------------------------------------------------

def test_opportunities_as_delivered(mapped: dict[str, MappedTable]) -> None:
    frame = mapped["Opportunity.csv"].frame
    assert frame is not None and frame.height == 40
    assert frame.group_by("is_closed", "is_won").len().sort("is_closed", "is_won").rows() == [
        (False, False, 10), (True, False, 11), (True, True, 19)]
    before = frame.filter(pl.col("close_date") < pl.col("created_date").dt.date()).sort("opportunity_id")
    assert before.select("opportunity_id", "is_won").rows() == [(deal(4), True), (deal(28), True), (deal(38), False)]
    assert sorted(frame.filter(pl.col("amount").is_null())["opportunity_id"].to_list()) == [deal(17), deal(21)]
    assert sorted(frame.filter(pl.col("account_id").is_null())["opportunity_id"].to_list()) == [deal(17), deal(19)]
    stages = set(frame["stage"].to_list())
    assert {"Diseño Propuesta", "Presentación Propuesta", "Negociación", "Interes", "Firmas"} <= stages
    won = frame.filter(pl.col("is_won")).group_by("owner_rep_id").agg(pl.col("amount").sum())
    assert dict(won.rows()) == {user(2): 369_500.0, user(6): 156_500.0, user(1): 80_000.0, user(7): 63_500.0,
                                user(3): 22_000.0, user(4): 9_500.0}


def test_tasks_say_when_their_kind_is_unknown(mapped: dict[str, MappedTable]) -> None:
    tasks = mapped["Task.csv"]
    assert tasks.frame is not None and tasks.frame.height == 17
    assert "3 open (not yet done) tasks left out" in tasks.notes
    assert ("16 of 17 tasks say nothing of their kind (Type blank, no TaskSubtype column): loaded as"
            " activities of unknown kind"
            in tasks.notes)
    assert tasks.frame.filter(pl.col("type") == "call")["activity_id"].to_list() == [sfid("00T", 1)]
    events = mapped["Event.csv"]
    assert events.frame is not None and events.frame.height == 8 and set(events.frame["type"]) == {"meeting"}


def test_as_of_hint_is_the_newest_system_modstamp(mapped: dict[str, MappedTable]) -> None:
    assert mapped["Opportunity.csv"].as_of_hint == datetime(2023, 12, 29, 17, 42, 10)
    assert mapped["Task.csv"].as_of_hint == datetime(2023, 12, 28, 16, 20)
    assert max(m.as_of_hint for m in mapped.values() if m.as_of_hint) == datetime(2023, 12, 29, 17, 42, 10)
    # a header alone says nothing
    assert mapped["ForecastingQuota.csv"].as_of_hint is None and mapped["Case.csv"].as_of_hint is None


def test_as_of_hint_falls_back_to_last_modified_date() -> None:
    table = inline("Account.csv", ["Id", "Name", "OwnerId", "Industry", "LastModifiedDate"],
                   [sfid("001", 1), "A", user(1), "Retail", "2023-05-02 08:00:00"],
                   [sfid("001", 2), "B", user(1), "Retail", "2023-06-30 09:15:00"])
    [result] = salesforce.map_tables([table])
    assert result.as_of_hint == datetime(2023, 6, 30, 9, 15)
