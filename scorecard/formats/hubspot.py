"""HubSpot exports (stub)."""
from __future__ import annotations

import polars as pl

from scorecard.formats import MappedTable
from scorecard.readers import RawTable


def kind_of(table: RawTable) -> str | None:
    return None


def claims(table: RawTable) -> bool:
    return kind_of(table) is not None


def map_table(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    raise NotImplementedError
