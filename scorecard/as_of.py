"""The data's as-of date: the day the data describes, which is what "now" means everywhere.

An export taken in December 2023 and loaded years later is scored as of December 2023: the default
period, "today" on the pages, stalled deals, pace, the quarter in progress and the periods offered
are all measured at this date, never at the machine's clock.

The date is recorded with each load (the uploader's date, else the export's own newest modification
stamp, else its newest dated row); for a load that recorded none it is read from the data the same
way: the newest activity, closed deal, created deal or stage change, not after the day of the load.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from scorecard import sql


def data_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of the data in force (None for an empty database)."""
    if sql.run(con, "as_of_column").item():
        recorded = sql.run(con, "as_of_recorded").item()
        if recorded is not None:
            return _as_date(recorded)
    computed = sql.run(con, "as_of_from_data").item()
    return None if computed is None else _as_date(computed)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def format_as_of(day: date | None) -> str:
    """``Data as of 29 Dec 2023``, as every page and the command line say it."""
    if day is None:
        return "No data loaded yet"
    return f"Data as of {day.day} {day:%b %Y}"
