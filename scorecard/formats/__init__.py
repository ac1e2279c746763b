"""Recognising what a file is, from its headers, and mapping it to the canonical model.

Each format module offers ``claims(table) -> bool`` and a mapping function. The order of trust is:
a mapping profile named by the analyst, a CRM export (a Salesforce Data Export object or report, a
HubSpot or a Dynamics 365 export: ``scorecard.formats.crm`` tells them apart), canonical headers, a
saved profile whose headers match, and finally "unknown shape" (the upload page then offers the
column-mapping editor).

A CRM export holds more than the scorecard uses (contacts, leads, cases, products, ...): such a
table is recognised as part of the export and comes back with ``skipped`` set to the note the
uploader sees, as does an object whose file holds only its header. ``crm.export_of`` answers "is
this table part of a CRM export?" for those too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from scorecard.readers import RawTable


@dataclass
class MappedTable:
    """A table read from a file and mapped (or not) to one canonical extract."""

    table: RawTable
    format: str
    """``canonical``, ``salesforce``, ``hubspot``, ``profile:<name>`` or ``unknown``."""
    extract: str | None
    frame: pl.DataFrame | None = None
    """Canonical columns (typed), ``__raw__<col>`` for values that did not parse, ``__line``."""
    mapping: dict[str, str] = field(default_factory=dict)
    """Canonical column -> where it came from (a header, or a rule such as ``IsClosed/IsWon``)."""
    notes: list[str] = field(default_factory=list)
    problem: str | None = None
    """Why the file cannot be used as it is (unknown shape, required columns missing)."""
    rule: str = "recognised format"
    column: str | None = None
    skipped: str | None = None
    """Set when the table is recognised but deliberately not loaded (an object the scorecard does not
    use, a file with only its header): the note shown to the uploader, naming the file. ``frame``
    and ``problem`` are then None; ``extract`` is None, or the extract of a known object."""
    as_of_hint: datetime | None = None
    """For Salesforce objects, the newest ``SystemModstamp`` (else ``LastModifiedDate``) in the table:
    when the export's data was last touched, a hint of its as-of date. None elsewhere."""

    @property
    def file(self) -> str:
        return self.table.name

    @property
    def format_label(self) -> str:
        if self.format.startswith("profile:"):
            return f"mapping profile '{self.format.split(':', 1)[1]}'"
        return {"canonical": "canonical CSV", "salesforce": "Salesforce Data Export",
                "salesforce_report": "Salesforce report export",
                "hubspot": "HubSpot export", "dynamics": "Dynamics 365 export",
                "unknown": "unknown shape"}.get(self.format, self.format)


def people_lookup(reps: pl.DataFrame | None) -> pl.DataFrame:
    """A table from every way a person is written (id, name, e-mail; lower-cased) to their rep_id."""
    if reps is None or reps.is_empty():
        return pl.DataFrame(schema={"key": pl.String, "rep_id": pl.String})
    parts = [reps.select(pl.col("rep_id").str.to_lowercase().str.strip_chars().alias("key"), "rep_id")]
    for col in ("rep_name", "email"):
        if col in reps.columns:
            parts.append(reps.select(pl.col(col).str.to_lowercase().str.strip_chars().alias("key"), "rep_id"))
    return (pl.concat(parts).drop_nulls("key").unique("key", keep="first", maintain_order=True))


def resolve_people(frame: pl.DataFrame, column: str, lookup: pl.DataFrame) -> pl.DataFrame:
    """Replace names or e-mails in ``column`` by rep IDs; what does not resolve is kept as written
    (the foreign-key check then names it)."""
    if column not in frame.columns or lookup.is_empty():
        return frame
    keyed = frame.with_columns(pl.col(column).str.to_lowercase().str.strip_chars().alias("__key"))
    joined = keyed.join(lookup.rename({"key": "__key", "rep_id": "__resolved"}), on="__key", how="left",
                        maintain_order="left")
    return joined.with_columns(pl.coalesce("__resolved", column).alias(column)).drop("__key", "__resolved")
