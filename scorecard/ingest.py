"""The one ingest path: files in, checked, previewed, then landed in one transaction (or not at all).

The upload page, ``scorecard ingest`` and the inbox folder all call :func:`ingest_files` (or its two
halves, :func:`plan_ingest` then :func:`commit_plan`, when a person confirms in between). The story
of :func:`plan_ingest`, one function per step:

1. **read** every file as it comes (:func:`read_files`; ``scorecard.readers``: encodings,
   delimiters, XLSX, zip);
2. **map** each table to a canonical extract (:func:`map_tables`; ``scorecard.formats``, or a
   mapping profile from ``scorecard.mapping``); objects a CRM export holds that the scorecard does
   not use are skipped with a note;
3. **check** the mapped data against the rule catalogue (:func:`check_upload`; ``data_checks``):
   a *reject* refuses the upload, a *flag* marks rows that are loaded all the same, a *note* informs;
4. **preview** what would change (:func:`preview`: rows added, replaced, removed per extract);
5. **load**: only if no rule rejected, :func:`commit_plan` hands everything to ``Store.load`` (one
   transaction), with the flagged rows and the data's as-of date.

Check results are recorded for the data-quality page either way; nothing else changes on a
rejection. What makes a large upload fast (a suite started while other files are read, the
archive's copies made while the checks run) lives behind one seam, :class:`Overlap`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import polars as pl

from data_checks.rules import FOREIGN_KEYS, Limits
from data_checks.runner import (
    FILE,
    FLAG_SCHEMA,
    RESULT_SCHEMA,
    ROW,
    ExtractBatch,
    References,
    SuiteFuture,
    file_row,
    loaded_orphan_row,
    run_checks,
    suite_findings,
)
from scorecard import sql
from scorecard.formats import MappedTable, crm, salesforce
from scorecard.formats import canonical as canonical_format
from scorecard.mapping import (
    MappingError,
    MappingProfile,
    ProfileChoice,
    apply_profile,
    find_profile,
    load_profiles,
    matching_profiles,
    profiles_dir,
)
from scorecard.readers import RawTable, ReadError, ZipLimits, read_path
from scorecard.schema import EXTRACTS
from scorecard.settings import get_settings
from scorecard.store import (
    STAGING,
    DataChangedError,
    Laps,
    LoadMode,
    LoadRecord,
    SourceFile,
    StagedFile,
    Store,
    StoreError,
    file_stamp,
)

Progress = Callable[[str, float], None]
REFERENCED = {"reps": "rep_id", "accounts": "account_id", "opportunities": "opportunity_id"}
EARLY_CHECK_ROWS = 500_000
"""A canonical file at least this long has its suite started while the rest of the upload is read."""


@dataclass
class CheckFailure:
    """A rule that some rows of a file broke (or a note about the file)."""

    column: str | None
    rule: str
    outcome: str
    """``reject``, ``flag`` or ``note`` (see ``data_checks.rules``)."""
    rows: int
    total: int
    message: str
    sample: str


@dataclass
class FileVerdict:
    """What became of one file (or sheet, or zip member)."""

    file: str
    format: str
    extract: str | None
    status: str
    """``accepted``, ``flagged`` (accepted, some rows flagged), ``skipped`` (recognised, not used)
    or ``rejected``."""
    rows: int = 0
    details: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failures: list[CheckFailure] = field(default_factory=list)


@dataclass
class IngestPlan:
    """Everything decided before a write: frames to load, verdicts, check results, preview."""

    paths: list[Path]
    tables: list[MappedTable]
    frames: dict[str, pl.DataFrame]
    modes: dict[str, LoadMode]
    checks: pl.DataFrame
    verdicts: list[FileVerdict]
    changes: pl.DataFrame
    """extract, mode, rows_in_file, rows_now, added, replaced, removed."""
    flagged: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FLAG_SCHEMA))
    """Rows loaded with a flag: extract, row_key, file, line, rule, column_name."""
    as_of: date | None = None
    """The data's as-of date: the uploader's, else the export's newest modification stamp, else the
    newest date the data carries that is not in the future."""
    timings: dict[str, float] = field(default_factory=dict)
    read_typed: bool = True
    """Canonical CSVs were read with their dates and numbers typed (no mapping profile was forced)."""
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)
    """Size and modification time of each file before it was read: the load is refused if a file
    has changed by the time it is archived."""
    staged: dict[Path, StagedFile] = field(default_factory=dict)
    """Copies of the files made for the archive while they were checked."""
    data_version: int = 0
    """The load the upload was checked against: if another lands before this one is confirmed, the
    upload is checked again on the data then in place."""
    options: dict[str, object] = field(default_factory=dict)
    """How it was asked for (mapping, append, as_of), to check it again the same way."""

    @property
    def rejections(self) -> pl.DataFrame:
        return self.checks.filter((pl.col("outcome") == "reject") & ~pl.col("passed"))

    @property
    def accepted(self) -> bool:
        return bool(self.frames) and self.rejections.is_empty()

    def report(self) -> str:
        return _report(self.accepted, None, self.verdicts, self.changes, self.as_of)


@dataclass
class IngestResult:
    accepted: bool
    load: LoadRecord | None
    verdicts: list[FileVerdict]
    checks: pl.DataFrame
    changes: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    as_of: date | None = None
    notes: list[str] = field(default_factory=list)
    """What happened to the upload as a whole (checked again because another load landed first)."""

    def report(self) -> str:
        """The verdict in words: used by the CLI and written beside inbox files."""
        return "\n".join([_report(self.accepted, self.load, self.verdicts, self.changes, self.as_of),
                          *(f"note: {n}" for n in self.notes)])


# -- what the database already holds ---------------------------------------------------------------

def _db_people(store: Store) -> pl.DataFrame | None:
    if not store.path.exists():
        return None
    with store.reader() as con:
        frame = sql.run(con, "ingest_people")
    return frame if frame.height else None


def _db_keys(store: Store, extract: str) -> pl.DataFrame:
    key = list(EXTRACTS[extract].key) or [c.name for c in EXTRACTS[extract].columns]
    if not store.path.exists():
        return pl.DataFrame()
    with store.reader() as con:
        return sql.run(con, "ingest_table_keys", table=extract, key_columns=key)


def _db_rates(store: Store) -> set[str]:
    if not store.path.exists():
        return set()
    with store.reader() as con:
        return set(sql.run(con, "ingest_currencies")["currency"].to_list())


# -- 1. reading -----------------------------------------------------------------------------------

def canonical_reader_types(stem: str, headers: list[str]) -> dict[str, str] | None:
    """What a canonical CSV's dates and numbers are, so the reader parses them as it reads (the big
    extracts' speed); None for every other format, whose text goes the general way."""
    table = RawTable.of_headers(stem, headers)
    if crm.export_of(table) is not None:
        return None
    return canonical_format.reader_types(table)


def read_files(paths: Sequence[Path], *, typed: bool, overlap: Overlap,
               say: Progress) -> tuple[list[RawTable], list[dict[str, object]]]:
    """Every table of every file (largest file first), and a refusal for each file that cannot be read."""
    settings = get_settings()
    limit = settings.upload_limit_mb * 1_000_000
    zip_limits = ZipLimits(settings.zip_unpacked_limit_mb * 1_000_000, settings.zip_ratio_limit)
    read: dict[int, list[RawTable]] = {}
    refused: list[dict[str, object]] = []
    for n, i in enumerate(sorted(range(len(paths)), key=lambda i: -_file_size(paths[i]))):
        path = paths[i]
        say(f"reading {path.name}", 0.3 * n / max(len(paths), 1))
        try:
            read[i] = read_path(path, limit_bytes=limit, typed=canonical_reader_types if typed else None,
                                zip_limits=zip_limits, unpack_dir=overlap.unpack_dir)
        except ReadError as exc:
            refused.append(file_row(exc.file, None, None, "readable file", exc.message))
            continue
        except Exception as exc:  # a file no reader foresaw: a verdict, never a crash
            refused.append(file_row(path.name, None, None, "readable file",
                                    f"the file cannot be read ({type(exc).__name__}: {str(exc)[:200]})"))
            continue
        if typed:
            overlap.after_read(read[i])
    return [t for i in range(len(paths)) for t in read.get(i, [])], refused


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# -- the speed-ups, behind one seam ----------------------------------------------------------------

class Overlap:
    """Work done beside the story, so that a large upload takes little more than DuckDB's own load.

    - The archive's copies of the files are made on a thread while the files are read and checked
      (disk work while the checks use the processors, instead of during the load).
    - A big canonical file is mapped as soon as it is read and its suite starts on the second core
      while the other files are read; the result is used only if the extract's batch turns out to be
      that very frame.
    - On leaving, the reference cycles the checks leave (Great Expectations' validation objects that
      hold their pandas frames) are collected: ~600 MB less at the load's peak on the large org.
    """

    def __init__(self, store: Store, paths: Sequence[Path]) -> None:
        limit = get_settings().upload_limit_mb * 1_000_000
        self.stamps = _stamps(paths)
        self._checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks")
        self._stager = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging")
        self._staging = self._stager.submit(store.stage_files, [p for p in paths if 0 < _file_size(p) <= limit])
        self.premapped: list[MappedTable] = []
        """Tables mapped as soon as they were read."""
        self.unpack_dir = store.archive_dir / STAGING
        """Where a zip's members are unpacked one at a time to be read (beside the staged copies:
        a folder a killed load leaves is swept with them)."""
        self._started: dict[str, tuple[MappedTable, ExtractBatch, SuiteFuture]] = {}

    def __enter__(self) -> Overlap:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stager.shutdown(wait=True)
        self._checks.shutdown(wait=True)
        self._started.clear()
        gc.collect()

    def after_read(self, tables: list[RawTable]) -> None:
        """A file was read: if it is one big canonical table, map it and start its suite now."""
        if len(tables) != 1 or tables[0].frame.height < EARLY_CHECK_ROWS:
            return
        table = tables[0]
        if all(dtype == pl.String for dtype in table.frame.dtypes):
            return
        m = canonical_format.map_canonical(table)
        self.premapped.append(m)
        table.release()
        if m.problem or m.frame is None or m.extract is None or m.extract in self._started:
            return
        batch = ExtractBatch(EXTRACTS[m.extract], _with_file(m), [m.file])
        self._started[m.extract] = (m, batch, self._checks.submit(suite_findings, batch))

    def frame_for(self, m: MappedTable) -> pl.DataFrame:
        """The mapped rows with their file name: the very frame a suite started on, if one did."""
        ahead = self._started.get(m.extract or "")
        if ahead and ahead[0] is m:
            return ahead[1].frame
        return _with_file(m)

    @property
    def started(self) -> dict[str, tuple[ExtractBatch, SuiteFuture]]:
        """Suites already running, by extract: the batch each runs on, and its findings to come."""
        return {name: (batch, future) for name, (_m, batch, future) in self._started.items()}

    def staged(self) -> dict[Path, StagedFile]:
        try:
            return self._staging.result()
        except OSError:  # an archive folder that cannot be written: the load copies the files itself
            return {}


def _stamps(paths: Sequence[Path]) -> dict[Path, tuple[int, int]]:
    out: dict[Path, tuple[int, int]] = {}
    for path in paths:
        try:
            out[path] = file_stamp(path)
        except OSError:
            continue  # the reader says what is wrong with it
    return out


def _with_file(m: MappedTable) -> pl.DataFrame:
    assert m.frame is not None
    return m.frame.with_columns(pl.lit(m.file, dtype=pl.Categorical).alias(FILE))


# -- 2. mapping -----------------------------------------------------------------------------------

def _produces_reps(table: RawTable, profile: MappingProfile | None) -> bool:
    if profile is not None:
        return profile.extract == "reps"
    if crm.lists_people(table):
        return True
    return canonical_format.claims(table) and canonical_format.guess_extract(table)[0] == "reps"


def map_tables(tables: list[RawTable], *, store: Store, forced: MappingProfile | None = None,
               profiles: list[MappingProfile] | None = None,
               premapped: Sequence[MappedTable] = ()) -> list[MappedTable]:
    """Recognise and map every table; people named by name are resolved against the upload's reps
    (mapped first), else those already loaded. ``premapped`` holds canonical tables already mapped
    while the upload was read."""
    profiles = profiles or []

    def profile_for(table: RawTable, export: crm.CrmExport | None) -> MappingProfile | None:
        if forced is not None and forced.reads(table.headers):
            return forced
        # Dynamics 365 is told from display names a hand-kept sheet may share ("Full Name", "Status"):
        # an analyst's saved profile for those headers wins over it; the other exports are certain.
        if export not in (None, "dynamics") or canonical_format.complete(table):
            return None
        found = matching_profiles(profiles, table.headers)
        if len(found) > 1:  # not the first saved: the uploader chooses (applying the choice says so)
            return ProfileChoice.between(found)
        return found[0] if found else None

    recognised = []
    for table in tables:
        export = crm.export_of(table)
        recognised.append((table, export, profile_for(table, export)))
    # People first, so that names in the other files resolve to their IDs.
    recognised.sort(key=lambda r: 0 if _produces_reps(r[0], r[2]) else 1)
    mapped: list[MappedTable] = []
    sf_tables = [table for table, export, profile in recognised if profile is None and export == "salesforce"]
    if sf_tables:
        mapped.extend(salesforce.map_tables(sf_tables))
    people: pl.DataFrame | None = None
    db_people_loaded = False
    for table, export, profile in recognised:
        if profile is None and export == "salesforce":
            continue
        early = next((m for m in premapped if m.table is table), None)
        if early is not None:
            mapped.append(early)
            continue
        upload_reps = [m.frame for m in mapped if m.extract == "reps" and m.frame is not None]
        if upload_reps:
            people = pl.concat([f.select("rep_id", *[c for c in ("rep_name", "email") if c in f.columns])
                                for f in upload_reps], how="diagonal_relaxed")
        elif not db_people_loaded:
            people, db_people_loaded = _db_people(store), True
        try:
            if profile is not None:
                mapped.append(apply_profile(table, profile, people))
                continue
            if export is not None:
                mapped.append(crm.map_export(table, export, people))
                continue
            if canonical_format.claims(table):
                mapped.append(canonical_format.map_canonical(table))
                continue
        except pl.exceptions.PolarsError as exc:  # a value no mapping foresaw: a verdict, never a crash
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            mapped.append(MappedTable(table=table, format="unknown", extract=None, rule="mappable file",
                                      problem=f"the columns could not be mapped ({detail})"))
            continue
        mapped.append(MappedTable(
            table=table, format="unknown", extract=None, rule="recognised format",
            problem="the headers match no known format (canonical, Salesforce, HubSpot, Dynamics 365) and no"
                    " saved mapping profile: map its columns on the Upload page, or pass --mapping PROFILE"
                    f" (headers: {', '.join(table.headers[:10])})"))
    return mapped


def map_upload(store: Store, tables: list[RawTable], mapping: str | MappingProfile | None,
               overlap: Overlap) -> tuple[list[MappedTable], list[dict[str, object]]]:
    """Recognise and map every table of an upload; file rules (unknown shape, no rows, skipped
    objects) as result rows."""
    results: list[dict[str, object]] = []
    forced: MappingProfile | None = None
    if isinstance(mapping, MappingProfile):
        forced = mapping
    elif mapping:
        try:
            forced = find_profile(profiles_dir(store.path), mapping)
        except MappingError as exc:
            results.append(file_row(", ".join(t.name for t in tables) or "-", None, None, "mapping profile", str(exc)))
            return [], results
    mapped = map_tables(tables, store=store, forced=forced, profiles=load_profiles(profiles_dir(store.path)),
                        premapped=overlap.premapped)
    if forced is not None and tables and not any(forced.reads(t.headers) for t in tables):
        results.append(file_row(", ".join(t.name for t in tables), forced.extract, None, "mapping profile",
                                f"the mapping profile '{forced.name}' reads the columns"
                                f" {', '.join(forced.columns.values())}, which no file has"))
    _skip_strangers_in_exports(mapped)
    for m in mapped:
        if m.frame is not None:
            m.table.release()
        if m.skipped:
            results.append(file_row(m.file, m.extract, None, "object used by the scorecard", m.skipped,
                                    m.table.rows))
        elif m.problem:
            results.append(file_row(m.file, m.extract, m.column, m.rule, m.problem, m.table.rows))
        elif m.frame is not None and m.frame.height == 0:
            results.append(file_row(m.file, m.extract, None, "has rows", "the file has a header but no data rows"))
    return mapped, results


def _skip_strangers_in_exports(mapped: list[MappedTable]) -> None:
    """A zip that is a CRM's export holds objects no format knows (custom objects, new ones): they
    are skipped with a note instead of refusing the export. A lone unknown file is still refused."""
    crm_zips: dict[Path, str] = {}
    for m in mapped:
        if m.table.path.suffix.lower() == ".zip" and m.format in _CRM_FORMATS:
            crm_zips.setdefault(m.table.path, m.format_label)
    for m in mapped:
        if m.format == "unknown" and m.table.path in crm_zips and m.rule == "recognised format":
            m.skipped = (f"{m.file} matches no object the scorecard reads; skipped as part of the"
                         f" {crm_zips[m.table.path]} (headers: {', '.join(m.table.headers[:6])})")
            m.problem = None


_CRM_FORMATS = ("salesforce", "hubspot", "dynamics")


def gather(mapped: list[MappedTable], overlap: Overlap) -> dict[str, ExtractBatch]:
    """The rows of each extract, from however many files they came."""
    batches: dict[str, ExtractBatch] = {}
    for m in mapped:
        if m.skipped or m.problem or m.frame is None or m.extract is None or m.frame.height == 0:
            continue
        frame = overlap.frame_for(m)
        if m.extract in batches:
            previous = batches[m.extract]
            # the batch numbers its rows anew (``__row``): file lines repeat from one file to the next
            merged = pl.concat([previous.frame.drop(ROW, strict=False), frame.drop(ROW, strict=False)],
                               how="diagonal_relaxed")
            batches[m.extract] = ExtractBatch(previous.extract, merged,
                                              previous.files + [m.file])
        else:
            batches[m.extract] = ExtractBatch(EXTRACTS[m.extract], frame, [m.file])
    return batches


# -- 3. checking ----------------------------------------------------------------------------------

def references_for(store: Store, batches: Mapping[str, ExtractBatch], modes: Mapping[str, LoadMode]) -> References:
    """What foreign keys resolve against: the upload's reps, accounts and deals where it replaces
    them, else (and also, where it appends) those already loaded."""
    references = References(reporting_currency=store.reporting_currency)
    for target, key in REFERENCED.items():
        if target in batches and modes[target] == "replace":
            references.keys[target] = batches[target].frame[key].drop_nulls()
        elif store.path.exists():
            existing = _db_keys(store, target)
            if target in batches:  # appended to: both count
                existing = pl.concat([existing.select(key), batches[target].frame.select(key)])
            if existing.height or target == "reps":
                references.keys[target] = (existing[key].drop_nulls() if existing.width
                                           else pl.Series(key, [], pl.String))
        elif target == "reps":
            references.keys[target] = pl.Series(key, [], pl.String)
    if "currency_rates" in batches and modes["currency_rates"] == "replace":
        references.rates = set(batches["currency_rates"].frame["currency"].drop_nulls().str.to_uppercase().to_list())
    elif "opportunities" in batches:
        references.rates = _db_rates(store)
    return references


def check_upload(store: Store, batches: Mapping[str, ExtractBatch], modes: Mapping[str, LoadMode],
                 overlap: Overlap, say: Progress) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every rule of the catalogue on the upload: (results, flagged rows)."""
    if not batches:
        return pl.DataFrame(schema=RESULT_SCHEMA), pl.DataFrame(schema=FLAG_SCHEMA)
    settings = get_settings()
    limits = Limits(text_value_limit=settings.text_value_limit, hierarchy_depth_limit=settings.hierarchy_depth_limit)
    run = run_checks(batches, references_for(store, batches, modes),
                     progress=lambda msg, f: say(msg, 0.4 + 0.45 * f), started=overlap.started, limits=limits)
    orphans = _loaded_orphans(store, batches, modes)
    results = pl.concat([run.results, pl.DataFrame(orphans, schema=RESULT_SCHEMA)]) if orphans else run.results
    return results, run.flagged


def _loaded_orphans(store: Store, batches: Mapping[str, ExtractBatch],
                    modes: Mapping[str, LoadMode]) -> list[dict[str, object]]:
    """Rows already loaded (and not in this upload) that would point at reps, accounts or deals
    the upload replaces them without."""
    if not store.path.exists():
        return []
    rows: list[dict[str, object]] = []
    for target, key in REFERENCED.items():
        if target not in batches or modes[target] != "replace":
            continue
        for extract, links in FOREIGN_KEYS.items():
            if extract in batches or extract == target:
                continue
            for column, referenced, _outcome, _above in links:
                if referenced != target:
                    continue
                with store.reader() as con:
                    counts = sql.run(con, "ingest_value_counts", table=extract, column=column)
                if counts.is_empty():
                    continue
                row = loaded_orphan_row(batches[target], key, extract, column, counts)
                if row:
                    rows.append(row)
    return rows


# -- 4. previewing --------------------------------------------------------------------------------

def preview(store: Store, batches: Mapping[str, ExtractBatch], modes: Mapping[str, LoadMode]) -> pl.DataFrame:
    """Per extract: rows in the upload, rows loaded now, and how many would be added, replaced, removed."""
    counts: dict[str, int] = store.row_counts() if store.path.exists() else {}
    rows = []
    for name, batch in batches.items():
        extract = EXTRACTS[name]
        now = int(counts.get(name, 0))
        incoming = batch.frame.height
        matched = 0
        if now and extract.key:
            existing = _db_keys(store, name)
            key = list(extract.key)
            matched = batch.frame.select(key).unique().join(existing.unique(), on=key, how="semi").height
        if not extract.key:
            added, replaced, removed = incoming, 0, now if modes[name] == "replace" else 0
        elif modes[name] == "replace":
            added, replaced, removed = incoming - matched, matched, now - matched
        else:
            added, replaced, removed = incoming - matched, matched, 0
        rows.append({"extract": name, "mode": modes[name], "rows_in_file": incoming, "rows_now": now,
                     "added": added, "replaced": replaced, "removed": removed})
    return preview_frame(rows)


def preview_frame(rows: Sequence[Mapping[str, object]]) -> pl.DataFrame:
    schema = {"extract": pl.String, "mode": pl.String, "rows_in_file": pl.Int64, "rows_now": pl.Int64,
              "added": pl.Int64, "replaced": pl.Int64, "removed": pl.Int64}
    return pl.DataFrame(list(rows), schema=schema)


# -- the data's as-of date ------------------------------------------------------------------------

_DATED: dict[str, tuple[str, ...]] = {
    "opportunities": ("created_date",), "activities": ("activity_at",),
    "opportunity_history": ("changed_at",), "coaching": ("session_at",), "forecasts": ("submitted_at",),
}
"""Columns that say when something happened (a close date of an open deal is a plan, not an event)."""


def upload_as_of(mapped: Sequence[MappedTable], batches: Mapping[str, ExtractBatch],
                 today: date | None = None) -> date | None:
    """The newest date the upload is as of: a CRM export's newest modification stamp where it has
    one, else the newest event date it carries (created, closed, activity, change) that is not
    after ``today``; None when it carries no dates (a team sheet, a quota sheet)."""
    stamps = [m.as_of_hint for m in mapped if m.as_of_hint is not None]
    if stamps:
        newest = max(stamps)
        return newest.date() if isinstance(newest, datetime) else newest
    limit = today or date.today()
    found: list[date] = []
    for name, columns in _DATED.items():
        if name not in batches:
            continue
        frame = batches[name].frame
        for column in columns:
            if column in frame.columns:
                found.extend(_newest_until(frame[column], limit))
    if "opportunities" in batches and {"close_date", "is_closed"} <= set(batches["opportunities"].frame.columns):
        deals = batches["opportunities"].frame
        found.extend(_newest_until(deals.filter(pl.col("is_closed").fill_null(False))["close_date"], limit))
    return max(found) if found else None


def _newest_until(values: pl.Series, limit: date) -> list[date]:
    days = values.cast(pl.Date) if values.dtype != pl.Date else values
    newest = days.filter(days <= limit).max()
    return [newest] if isinstance(newest, date) else []


def _first_seen(frames: dict[str, pl.DataFrame], as_of: date | None) -> dict[str, pl.DataFrame]:
    """Deals without a created date (flagged) are taken as created when first seen: on their close
    date if they have one, else on the data's as-of date."""
    deals = frames.get("opportunities")
    if deals is None or "created_date" not in deals.columns or not deals["created_date"].null_count():
        return frames
    seen = pl.coalesce(pl.col("close_date"), pl.lit(as_of, dtype=pl.Date)) if "close_date" in deals.columns \
        else pl.lit(as_of, dtype=pl.Date)
    if as_of is not None:
        seen = pl.min_horizontal(seen, pl.lit(as_of, dtype=pl.Date))
    return {**frames, "opportunities": deals.with_columns(pl.coalesce("created_date", seen).alias("created_date"))}


# -- the plan: read, map, check, preview ----------------------------------------------------------

def plan_ingest(store: Store, paths: Sequence[Path], *, mapping: str | MappingProfile | None = None,
                append: bool = False, as_of: date | None = None, progress: Progress | None = None) -> IngestPlan:
    """Read, recognise, map, check and preview an upload. Writes nothing.

    ``as_of`` is the uploader's as-of date for the data; without it the data's own is taken."""
    say = progress or (lambda _m, _f: None)
    paths = [Path(p) for p in paths]
    timings: dict[str, float] = {}
    lap = Laps(timings)
    version = store.data_version() if store.path.exists() else 0
    with Overlap(store, paths) as overlap:
        tables, unreadable = read_files(paths, typed=not mapping, overlap=overlap, say=say)
        lap("read")
        say("recognising formats and mapping columns", 0.35)
        mapped, file_results = map_upload(store, tables, mapping, overlap)
        lap("map")
        batches = gather(mapped, overlap)
        modes: dict[str, LoadMode] = {
            name: ("append" if append and EXTRACTS[name].appendable else "replace") for name in batches}
        results, flagged = check_upload(store, batches, modes, overlap, say)
        lap("checks")
        say("previewing the changes", 0.9)
        changes = preview(store, batches, modes)
        lap("preview")
        data_as_of = as_of or upload_as_of(mapped, batches)
        # Checked: line numbers, file names and unparsed text have served; only the canonical columns
        # are kept for the load (on the large org a few hundred MB less at the load's peak).
        frames = _first_seen({name: _canonical_only(b.frame) for name, b in batches.items()}, data_as_of)
        del batches
        for m in mapped:
            if m.frame is not None:
                m.frame = _canonical_only(m.frame)
        refusals = unreadable + file_results
        checks = pl.concat([pl.DataFrame(refusals, schema=RESULT_SCHEMA), results]) if refusals else results
        plan = IngestPlan(paths=paths, tables=mapped, frames=frames, modes=modes, checks=checks,
                          verdicts=_verdicts(mapped, checks, refusals), changes=changes, flagged=flagged,
                          as_of=data_as_of, read_typed=not mapping, stamps=overlap.stamps, data_version=version,
                          options={"mapping": mapping, "append": append, "as_of": as_of})
        staged = overlap.staged()
        if plan.accepted:
            plan.staged = staged
        else:
            store.discard_staged(staged)
    timings["plan_total"] = time.perf_counter() - lap.started
    plan.timings = timings
    return plan


def _canonical_only(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(c for c in frame.columns if not c.startswith("__"))


def _verdicts(mapped: list[MappedTable], results: pl.DataFrame,
              refusals: list[dict[str, object]]) -> list[FileVerdict]:
    failed = results.filter(~pl.col("passed") | (pl.col("outcome") == "note"))
    verdicts: list[FileVerdict] = []
    seen: set[str] = set()
    for m in mapped:
        mine = failed.filter(pl.col("file").str.split(", ").list.contains(m.file))
        failures = [CheckFailure(r["column_name"], r["rule"], r["outcome"], int(r["failed_rows"] or 0),
                                 int(r["total_rows"] or 0), r["message"], r["sample"] or "")
                    for r in mine.iter_rows(named=True) if not (m.skipped and r["outcome"] == "note")]
        outcomes = {f.outcome for f in failures}
        status = ("rejected" if "reject" in outcomes else "skipped" if m.skipped else
                  "flagged" if "flag" in outcomes else "accepted")
        verdicts.append(FileVerdict(file=m.file, format=m.format_label, extract=m.extract, status=status,
                                    rows=m.frame.height if m.frame is not None else m.table.rows,
                                    details=m.table.describe(), mapping=m.mapping,
                                    notes=m.notes + ([m.skipped] if m.skipped else []), failures=failures))
        seen.add(m.file)
    for row in refusals:
        name = str(row["file"])
        if name in seen:
            continue
        verdicts.append(FileVerdict(file=name, format="unreadable" if row["rule"] == "readable file" else "-",
                                    extract=None, status="rejected",
                                    failures=[CheckFailure(None, str(row["rule"]), str(row["outcome"]), 0, 0,
                                                           str(row["message"]), "")]))
        seen.add(name)
    return verdicts


# -- 5. loading -----------------------------------------------------------------------------------

def commit_plan(store: Store, plan: IngestPlan, *, loaded_by: str, source: str,
                progress: Progress | None = None) -> IngestResult:
    """Land an accepted plan in one transaction; for a rejected plan only record the check results.

    If another load landed after the plan was checked, the upload is checked again on the data now
    in place (its relational checks and preview depend on it) and landed only if it still passes."""
    try:
        return _commit(store, plan, loaded_by=loaded_by, source=source)
    except DataChangedError:
        store.discard_staged(plan.staged)
        mapping = plan.options.get("mapping")
        as_of = plan.options.get("as_of")
        again = plan_ingest(store, plan.paths, mapping=mapping if isinstance(mapping, str | MappingProfile) else None,
                            append=bool(plan.options.get("append")),
                            as_of=as_of if isinstance(as_of, date) else None, progress=progress)
        result = _commit(store, again, loaded_by=loaded_by, source=source)
        result.notes.append("another load landed while this upload waited to be confirmed: it was checked again"
                            " against the data now in place")
        return result
    except StoreError:
        store.discard_staged(plan.staged)
        raise


def _commit(store: Store, plan: IngestPlan, *, loaded_by: str, source: str) -> IngestResult:
    timings = dict(plan.timings)
    if not plan.accepted:
        store.record_checks(plan.checks, load_id=None, accepted=False)
        return IngestResult(False, None, plan.verdicts, plan.checks, plan.changes, timings, plan.as_of)
    t0 = time.perf_counter()
    files: list[SourceFile] = []
    seen: set[Path] = set()
    for m in plan.tables:
        if m.table.path in seen:
            continue
        seen.add(m.table.path)
        files.append(SourceFile(m.table.path, m.extract, m.frame.height if m.frame is not None else None,
                                plan.stamps.get(m.table.path), plan.staged.get(m.table.path)))
    summary = {
        "rules": plan.checks.height,
        "failed": int((~plan.checks["passed"]).sum()) if plan.checks.height else 0,
        "flags": int(plan.checks.filter(~pl.col("passed") & (pl.col("outcome") == "flag")).height),
        "flagged_rows": plan.flagged["row_key"].n_unique() if plan.flagged.height else 0,
        "files": [{"file": v.file, "format": v.format, "extract": v.extract, "status": v.status}
                  for v in plan.verdicts],
    }
    record = store.load(plan.frames, loaded_by=loaded_by, source=source, files=files, modes=plan.modes,
                        check_summary=summary, frame_sources=_frame_sources(plan), flags=plan.flagged,
                        as_of=plan.as_of, expected_version=plan.data_version)
    timings["load"] = time.perf_counter() - t0
    timings.update({f"load_{part}": seconds for part, seconds in record.timings.items()})
    store.record_checks(plan.checks, load_id=record.load_id, accepted=True)
    return IngestResult(True, record, plan.verdicts, plan.checks, plan.changes, timings, plan.as_of)


def _frame_sources(plan: IngestPlan) -> dict[str, list[tuple[Path, str]]]:
    """Extracts whose frame is nothing but canonical tables, read as a restore reads them again:
    extract -> [(file, table name)]. The archive keeps these as references to the raw files it
    holds anyway rather than writing the same rows a second time (on the large org that second
    copy cost a third of the load). A table whose name its file holds twice (two zip folders with
    an ``activities.csv`` each) cannot be found again by name, and a frame the plan changed (deals
    taken as created when first seen) is not what the file says: such an extract is kept whole."""
    if not plan.read_typed:
        return {}
    seen: dict[tuple[Path, str], int] = {}
    for m in plan.tables:
        seen[(m.table.path, m.file)] = seen.get((m.table.path, m.file), 0) + 1
    landed: dict[str, list[MappedTable]] = {}
    for m in plan.tables:
        if m.extract in plan.frames and not m.problem and not m.skipped and m.frame is not None and m.frame.height:
            landed.setdefault(m.extract, []).append(m)
    filled = set(plan.flagged.filter(pl.col("column_name") == "created_date")["extract"].to_list())
    return {name: [(m.table.path, m.file) for m in tables] for name, tables in landed.items()
            if name not in filled and all(m.format == "canonical" and seen[(m.table.path, m.file)] == 1
                                          for m in tables)}


TIME_LIMIT_RULE = "checked in time"


def time_limit_message(seconds: float) -> str:
    return (f"the checks did not finish within {seconds:g} s (the check_time_limit_seconds setting,"
            " SCORECARD_CHECK_TIME_LIMIT_SECONDS) and were stopped: is this the export expected? A far larger"
            " one needs a higher limit")


def refused_plan(paths: Sequence[Path], rule: str, message: str) -> IngestPlan:
    """The plan of an upload refused as a whole before its files were read through (a time limit)."""
    refusals = [file_row(Path(p).name, None, None, rule, message) for p in paths]
    checks = pl.DataFrame(refusals, schema=RESULT_SCHEMA)
    return IngestPlan(paths=[Path(p) for p in paths], tables=[], frames={}, modes={}, checks=checks,
                      verdicts=_verdicts([], checks, refusals), changes=preview_frame([]))


@contextlib.contextmanager
def checks_time_limit(store: Store, paths: Sequence[Path], seconds: float | None = None,
                      say: Callable[[str], None] | None = None, exit_code: int = 1) -> Iterator[None]:
    """Stop this process if the checks of ``paths`` run longer than ``seconds`` (default: the
    ``check_time_limit_seconds`` setting), after recording the verdict and telling it to ``say``.

    For processes that check an upload and nothing else (``scorecard ingest``, the inbox's and the
    Upload page's child): ending the process is what stops checks stuck inside a library call, and
    checks write nothing, so nothing is left half done. Never for the app's own process."""
    limit = get_settings().check_time_limit_seconds if seconds is None else seconds

    def expire() -> None:
        plan = refused_plan(paths, TIME_LIMIT_RULE, time_limit_message(limit))
        with contextlib.suppress(Exception):
            store.record_checks(plan.checks, load_id=None, accepted=False)
        if say is not None:
            say(plan.report())
        os._exit(exit_code)

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def ingest_files(store: Store, paths: Sequence[Path], *, loaded_by: str, source: str = "cli",
                 mapping: str | MappingProfile | None = None, append: bool = False, as_of: date | None = None,
                 progress: Progress | None = None, stop_at_time_limit: Callable[[str], None] | None = None
                 ) -> IngestResult:
    """Read, map, check and (if accepted) load ``paths`` as one load.

    ``stop_at_time_limit`` (for a process that does nothing else; see :func:`checks_time_limit`):
    checks running past the time limit end the process, after the verdict is told to it."""
    limit = (checks_time_limit(store, paths, say=stop_at_time_limit) if stop_at_time_limit
             else contextlib.nullcontext())
    with limit:
        plan = plan_ingest(store, paths, mapping=mapping, append=append, as_of=as_of, progress=progress)
    if progress:
        progress("loading" if plan.accepted else "rejected: recording the verdict", 0.95)
    result = commit_plan(store, plan, loaded_by=loaded_by, source=source, progress=progress)
    if progress:
        progress("done", 1.0)
    return result


# -- the verdict in words --------------------------------------------------------------------------

_OUTCOME_WORDS = {"reject": "rejects", "flag": "flagged", "note": "note"}


def _report(accepted: bool, load: LoadRecord | None, verdicts: list[FileVerdict], changes: pl.DataFrame,
            as_of: date | None = None) -> str:
    lines: list[str] = []
    as_of_text = f" (data as of {as_of:%d %b %Y})" if as_of else ""
    if accepted:
        head = (f"ACCEPTED as load {load.load_id}" if load else "ACCEPTED (not yet loaded)") + as_of_text
    else:
        head = "REJECTED: nothing was changed"
    lines.append(head)
    for v in verdicts:
        where = f" -> {v.extract}" if v.extract else ""
        info = f", {v.details}" if v.details else ""
        lines.append(f"{v.status.upper():9} {v.file} ({v.format}{info}{where}, {v.rows:,} rows)")
        for note in v.notes:
            lines.append(f"          note: {note}")
        for f in v.failures:
            col = f" column {f.column}," if f.column else ""
            lines.append(f"          {_OUTCOME_WORDS.get(f.outcome, f.outcome)}:{col} rule '{f.rule}': {f.message}")
            for sample_line in (f.sample or "").splitlines():
                lines.append(f"            {sample_line}")
    if accepted and changes.height:
        lines.append("changes:")
        for r in changes.iter_rows(named=True):
            lines.append(f"  {r['extract']:<20} {r['mode']:<8} +{r['added']:,} added, {r['replaced']:,} replaced,"
                         f" {r['removed']:,} removed")
    return "\n".join(lines)
