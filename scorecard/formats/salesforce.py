"""Salesforce Data Export (stub)."""
from __future__ import annotations

from scorecard.formats import MappedTable
from scorecard.readers import RawTable


def object_of(table: RawTable) -> str | None:
    return None


def claims(table: RawTable) -> bool:
    return object_of(table) is not None


def map_tables(tables: list[RawTable]) -> list[MappedTable]:
    return []
