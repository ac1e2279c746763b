"""Which CRM's export a table is: the one place that tells Salesforce, HubSpot and Dynamics 365
apart. Canonical CSVs and mapping profiles are decided by the ingest path around it."""

from __future__ import annotations

from typing import Literal

import polars as pl

from scorecard.formats import MappedTable, dynamics, hubspot, salesforce
from scorecard.readers import RawTable

CrmExport = Literal["salesforce", "salesforce_report", "hubspot", "dynamics"]


def export_of(table: RawTable) -> CrmExport | None:
    """The CRM export a table is part of, from its name and headers; None for anything else.

    Objects of an export the scorecard does not use (a Salesforce ``Contact.csv``, a HubSpot contacts
    export, a Dynamics 365 ``lead`` table) are part of it too: mapped, they come back skipped with a
    note. Salesforce is asked first, so a Salesforce object (``Id`` with Salesforce's system fields)
    is never taken for another CRM's file on a weak match such as a HubSpot owners list.
    """
    if salesforce.claims(table):
        return "salesforce"
    if salesforce.is_report(table):
        return "salesforce_report"
    if hubspot.claims(table):
        return "hubspot"
    if dynamics.claims(table):
        return "dynamics"
    return None


def lists_people(table: RawTable) -> bool:
    """A users, roles or owners export: mapped first, so that names in the others resolve to IDs."""
    export = export_of(table)
    if export == "salesforce":
        return salesforce.object_of(table) in ("User", "UserRole")
    if export == "hubspot":
        return hubspot.kind_of(table) == "owners"
    if export == "dynamics":
        return dynamics.kind_of(table) == "users"
    return False


def map_export(table: RawTable, export: CrmExport, people: pl.DataFrame | None) -> MappedTable:
    """Map one table of a HubSpot, Dynamics or Salesforce report export (a Salesforce Data Export
    is mapped as a whole, with :func:`scorecard.formats.salesforce.map_tables`)."""
    if export == "hubspot":
        return hubspot.map_table(table, people)
    if export == "dynamics":
        return dynamics.map_table(table, people)
    if export == "salesforce_report":
        return salesforce.map_report(table, people)
    raise ValueError(f"{table.name} is part of a Salesforce Data Export: map it with the other objects")
