"""Canonical CSVs: headers are the canonical column names (any case, spaces or underscores)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import polars as pl

from scorecard.formats import MappedTable
from scorecard.formats.values import DateOrder, normalise_header, type_columns, with_line_numbers
from scorecard.readers import RawTable, read_path
from scorecard.schema import EXTRACTS

# Columns whose values are codes from a short list: compared lower-case.
CODE_COLUMNS = {"role", "type", "kind", "contact_level", "forecast_category", "lead_source"}
_ALIASES = {"rep": "reps", "team": "reps", "users": "reps", "account": "accounts", "opportunity": "opportunities",
            "deals": "opportunities", "pipeline": "opportunities", "activity": "activities",
            "quota": "quotas", "forecast": "forecasts", "history": "opportunity_history",
            "opportunity_teams": "opportunity_team", "rates": "currency_rates"}


def extract_named_by(stem: str) -> str | None:
    """The extract a file or sheet name points at (``reps.csv``, ``Opportunities 2026``), if any."""
    name = normalise_header(stem)
    for extract in sorted(EXTRACTS, key=len, reverse=True):
        if name == extract or name.startswith(extract + "_"):
            return extract
    for alias, extract in _ALIASES.items():
        if name == alias or name.startswith(alias + "_"):
            return extract
    return None


def guess_extract(table: RawTable) -> tuple[str | None, int]:
    """(extract, how many of its required columns the headers carry)."""
    headers = {normalise_header(h) for h in table.headers}
    named = extract_named_by(table.stem)
    if named:
        return named, len(headers & set(EXTRACTS[named].required_columns))
    best, best_score = None, 0
    for name, extract in EXTRACTS.items():
        required = set(extract.required_columns)
        if required <= headers:
            score = len(set(extract.column_names) & headers) + len(required)
            if score > best_score:
                best, best_score = name, score
    return best, (len(EXTRACTS[best].required_columns) if best else 0)


def complete(table: RawTable) -> bool:
    """True when the headers carry every required column of the extract they point at."""
    extract, hits = guess_extract(table)
    return extract is not None and hits == len(EXTRACTS[extract].required_columns)


def claims(table: RawTable) -> bool:
    """A file or sheet named after an extract (``accounts.csv``, ``Accounts 2026``), whatever its
    columns (missing ones are then the verdict, not "unknown shape"), or one whose headers carry some
    of an extract's required columns."""
    if extract_named_by(table.stem):
        return True
    extract, hits = guess_extract(table)
    return extract is not None and hits > 0


def reader_types(table: RawTable) -> dict[str, str] | None:
    """For a complete canonical table (headers only are looked at): header -> SQL type of its
    date, timestamp and number columns, which the reader may parse strictly as it reads."""
    if not complete(table):
        return None
    extract_name, _ = guess_extract(table)
    assert extract_name is not None
    extract = EXTRACTS[extract_name]
    types: dict[str, str] = {}
    for header in table.headers:
        name = normalise_header(header)
        if name in extract.column_names and extract.column(name).type in ("DATE", "TIMESTAMP", "DOUBLE", "INTEGER"):
            types[header] = extract.column(name).type
    return types or None


def reader_types_for(stem: str, headers: list[str]) -> dict[str, str] | None:
    """:func:`reader_types` from a file's name and headers alone (what the reader knows before it reads)."""
    return reader_types(RawTable.of_headers(stem, headers))


def reread(tables: Sequence[tuple[Path, str, str]], cache: dict[Path, object] | None = None) -> pl.DataFrame:
    """The canonical frame a load took from canonical tables, read again from the archived files.

    ``tables`` lists (archived file, the file's name when it was loaded, table name as the load saw
    it, such as ``export.zip/activities.csv``) in the order the load stacked them; ``cache`` keeps
    what a file read to for the next call.
    Reading and mapping a canonical table depend on nothing but the file, so this is the frame the
    load landed (line numbers and other working columns aside); the caller checks its fingerprint.
    """
    cache = {} if cache is None else cache
    frames: list[pl.DataFrame] = []
    for path, loaded_as, name in tables:
        if path not in cache:
            cache[path] = read_path(path, typed=reader_types_for)
        # tables are named after their file (``reps.csv``, ``plan.xlsx[Quotas]``): as it was loaded
        found = [t for t in cast(list[RawTable], cache[path])
                 if t.name.startswith(path.name) and loaded_as + t.name[len(path.name):] == name]
        if len(found) != 1:
            raise ValueError(f"{path.name} holds {len(found)} tables named {name!r}, not one")
        mapped = map_canonical(found[0])
        if mapped.frame is None:
            raise ValueError(f"{name} no longer reads as a canonical table: {mapped.problem}")
        frames.append(mapped.frame.select(c for c in mapped.frame.columns if not c.startswith("__")))
    return pl.concat(frames, how="diagonal_relaxed")


def map_canonical(table: RawTable, *, date_order: DateOrder = "auto") -> MappedTable:
    extract_name, _ = guess_extract(table)
    assert extract_name is not None
    extract = EXTRACTS[extract_name]
    by_norm = {normalise_header(h): h for h in table.headers}
    mapping = {c: by_norm[c] for c in extract.column_names if c in by_norm}
    missing = [c for c in extract.required_columns if c not in mapping]
    result = MappedTable(table=table, format="canonical", extract=extract_name, mapping=mapping)
    ignored = [h for n, h in by_norm.items() if n not in extract.column_names]
    if ignored:
        result.notes.append(f"columns not used: {', '.join(ignored[:8])}{' ...' if len(ignored) > 8 else ''}")
    if missing:
        result.problem = f"required column(s) missing: {', '.join(missing)}"
        result.rule = "required columns"
        result.column = ", ".join(missing)
        return result
    frame = table.frame.select(pl.col(src).alias(dst) for dst, src in mapping.items())
    frame = frame.with_columns(
        pl.col(c).str.strip_chars().str.to_lowercase() for c in frame.columns if c in CODE_COLUMNS
    )
    result.frame = with_line_numbers(type_columns(frame, extract, date_order=date_order))
    return result
