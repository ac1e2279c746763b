"""The one ingest path: files in, checked, previewed, then landed in one transaction (or not at all).

The upload page, ``scorecard ingest`` and the inbox folder all call :func:`ingest_files` (or its two
halves, :func:`plan_ingest` then :func:`commit_plan`, when a person confirms in between):

1. read every file as it comes (``scorecard.readers``: encodings, delimiters, XLSX, zip);
2. recognise each table's format and map it to a canonical extract (``scorecard.formats``, or a
   mapping profile from ``scorecard.mapping``);
3. run the Great Expectations suites and the relational rules (``data_checks``) on the mapped data;
4. preview what would change (rows added, replaced, removed per extract);
5. only if no rule of severity *error* failed, hand everything to ``Store.load`` (one transaction).

Check results are recorded for the data-quality page either way; nothing else changes on a
rejection.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from data_checks.runner import (
    FILE,
    FOREIGN_KEYS,
    RESULT_SCHEMA,
    ExtractBatch,
    References,
    loaded_orphan_row,
    run_checks,
    run_suite,
    structural_row,
)
from scorecard import sql
from scorecard.formats import MappedTable, crm, salesforce
from scorecard.formats import canonical as canonical_format
from scorecard.mapping import MappingError, MappingProfile, apply_profile, find_profile, load_profiles, profiles_dir
from scorecard.readers import RawTable, ReadError, read_path
from scorecard.schema import EXTRACTS
from scorecard.settings import get_settings
from scorecard.store import LoadMode, LoadRecord, SourceFile, StagedFile, Store, file_stamp

Progress = Callable[[str, float], None]
REFERENCED = {"reps": "rep_id", "accounts": "account_id", "opportunities": "opportunity_id"}
StartedSuites = dict[str, tuple[ExtractBatch, Future[list[dict[str, object]]]]]
"""Suites started while the upload is still read: extract -> (the batch, its result rows to come)."""
EARLY_CHECK_ROWS = 500_000
"""A canonical file at least this long has its suite started while the rest of the upload is read."""


@dataclass
class CheckFailure:
    column: str | None
    rule: str
    severity: str
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
    """``accepted``, ``warning`` (accepted with warnings) or ``rejected``."""
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
    timings: dict[str, float] = field(default_factory=dict)
    read_typed: bool = True
    """Canonical CSVs were read with their dates and numbers typed (no mapping profile was forced)."""
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)
    """Size and modification time of each file before it was read: the load is refused if a file
    has changed by the time it is archived."""
    staged: dict[Path, StagedFile] = field(default_factory=dict)
    """Copies of the files made for the archive while they were checked."""

    @property
    def errors(self) -> pl.DataFrame:
        return self.checks.filter((pl.col("severity") == "error") & ~pl.col("passed"))

    @property
    def accepted(self) -> bool:
        return bool(self.frames) and self.errors.is_empty()

    def report(self) -> str:
        return _report(self.accepted, None, self.verdicts, self.changes)


@dataclass
class IngestResult:
    accepted: bool
    load: LoadRecord | None
    verdicts: list[FileVerdict]
    checks: pl.DataFrame
    changes: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    def report(self) -> str:
        """The verdict in words: used by the CLI and written beside inbox files."""
        return _report(self.accepted, self.load, self.verdicts, self.changes)


# -- reading and mapping -------------------------------------------------------------------------

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


def _produces_reps(table: RawTable, profile: MappingProfile | None) -> bool:
    if profile is not None:
        return profile.extract == "reps"
    if crm.lists_people(table):
        return True
    return canonical_format.claims(table) and canonical_format.guess_extract(table)[0] == "reps"


def canonical_reader_types(stem: str, headers: list[str]) -> dict[str, str] | None:
    """What a canonical CSV's dates and numbers are, so the reader parses them as it reads (the big
    extracts' speed); None for every other format, whose text goes the general way."""
    table = RawTable.of_headers(stem, headers)
    if crm.export_of(table) is not None:
        return None
    return canonical_format.reader_types(table)


def map_tables(tables: list[RawTable], *, store: Store, forced: MappingProfile | None = None,
               profiles: list[MappingProfile] | None = None,
               premapped: Mapping[int, MappedTable] | None = None) -> list[MappedTable]:
    """Recognise and map every table; people named by name are resolved against the upload's reps
    (mapped first), else those already loaded. ``premapped`` (by ``id`` of the table) holds
    canonical tables already mapped while the upload was read."""
    profiles = profiles or []
    exports = {id(t): crm.export_of(t) for t in tables}

    def profile_for(table: RawTable) -> MappingProfile | None:
        if forced is not None and forced.reads(table.headers):
            return forced
        # Dynamics 365 is told from display names a hand-kept sheet may share ("Full Name", "Status"):
        # an analyst's saved profile for those headers wins over it; the other exports are certain.
        if exports[id(table)] not in (None, "dynamics") or canonical_format.complete(table):
            return None
        return next((p for p in profiles if p.matches(table.headers)), None)

    chosen = {id(t): profile_for(t) for t in tables}
    ordered = sorted(tables, key=lambda t: 0 if _produces_reps(t, chosen[id(t)]) else 1)
    mapped: list[MappedTable] = []
    sf_tables = [t for t in ordered if chosen[id(t)] is None and exports[id(t)] == "salesforce"]
    if sf_tables:
        mapped.extend(salesforce.map_tables(sf_tables))
    rest = [t for t in ordered if t not in sf_tables]
    people: pl.DataFrame | None = None
    db_people_loaded = False
    for table in rest:
        if premapped and id(table) in premapped:
            mapped.append(premapped[id(table)])
            continue
        profile = chosen[id(table)]
        upload_reps = [m.frame for m in mapped if m.extract == "reps" and m.frame is not None]
        if upload_reps:
            people = pl.concat([f.select("rep_id", *[c for c in ("rep_name", "email") if c in f.columns])
                                for f in upload_reps], how="diagonal_relaxed")
        elif not db_people_loaded:
            people, db_people_loaded = _db_people(store), True
        export = exports[id(table)]
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


# -- planning --------------------------------------------------------------------------------------

def plan_ingest(store: Store, paths: Sequence[Path], *, mapping: str | MappingProfile | None = None,
                append: bool = False, progress: Progress | None = None) -> IngestPlan:
    """Read, recognise, map, check and preview an upload. Writes nothing."""
    say = progress or (lambda _m, _f: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    settings = get_settings()
    limit = settings.upload_limit_mb * 1_000_000
    paths = [Path(p) for p in paths]
    structural: list[dict[str, object]] = []
    # The largest file is read first so that, if it is a big canonical extract, its suite runs on
    # the second core while the other files are read and mapped (see _check_early).
    read: dict[int, list[RawTable]] = {}
    early: dict[int, MappedTable] = {}
    suites_started: StartedSuites = {}
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks")
    # What each file was before it is read: the load tells by it whether it archives what was checked.
    stamps = _stamps(paths)
    # The archive's copies are made now, on a thread of their own: disk work while the checks use
    # the processors, instead of during the load, where it would slow DuckDB's writes.
    stager = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging")
    staging = stager.submit(store.stage_files, [p for p in paths if 0 < _file_size(p) <= limit])
    try:
        plan = _plan(store, paths, mapping, append, say, timings, started, limit, structural, read, early,
                     suites_started, pool)
        plan.stamps = stamps
        try:
            plan.staged = staging.result()
        except OSError:  # an archive folder that cannot be written: the load copies the files itself
            plan.staged = {}
        if not plan.accepted:
            store.discard_staged(plan.staged)
            plan.staged = {}
        return plan
    finally:
        stager.shutdown(wait=True)
        pool.shutdown(wait=True)
        # The checks leave reference cycles (Great Expectations' validation objects) that hold
        # their pandas frames; collecting them now frees ~600 MB on the large org before the load.
        gc.collect()


def _stamps(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    out: dict[Path, tuple[int, int]] = {}
    for path in paths:
        try:
            out[path] = file_stamp(path)
        except OSError:
            continue  # the reader says what is wrong with it
    return out


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_early(tables: list[RawTable], pool: ThreadPoolExecutor, early: dict[int, MappedTable],
                 early_framed: dict[int, pl.DataFrame], suites_started: StartedSuites) -> None:
    """Map a big canonical table now and start its suite on another thread.

    Only for a file read typed (so canonical, and mapped the same way whatever else the upload
    holds); the result is used only if the extract's batch turns out to be this file alone.
    """
    if len(tables) != 1 or tables[0].frame.height < EARLY_CHECK_ROWS:
        return
    table = tables[0]
    if all(dtype == pl.String for dtype in table.frame.dtypes):
        return
    m = canonical_format.map_canonical(table)
    early[id(table)] = m  # mapped once: map_tables takes it as it is
    table.release()
    if m.problem or m.frame is None or m.extract is None or m.extract in suites_started:
        return
    batch = ExtractBatch(m.extract, m.frame.with_columns(pl.lit(m.file, dtype=pl.Categorical).alias(FILE)), [m.file])
    early_framed[id(table)] = batch.frame
    suites_started[m.extract] = (batch, pool.submit(run_suite, batch))


def _plan(store: Store, paths: list[Path], mapping: str | MappingProfile | None, append: bool, say: Progress,
          timings: dict[str, float], started: float, limit: int, structural: list[dict[str, object]],
          read: dict[int, list[RawTable]], early: dict[int, MappedTable],
          suites_started: StartedSuites,
          pool: ThreadPoolExecutor) -> IngestPlan:
    early_framed: dict[int, pl.DataFrame] = {}
    order = sorted(range(len(paths)), key=lambda i: -_file_size(paths[i]))
    for n, i in enumerate(order):
        path = paths[i]
        say(f"reading {path.name}", 0.3 * n / max(len(paths), 1))
        try:
            read[i] = read_path(path, limit_bytes=limit, typed=None if mapping else canonical_reader_types)
        except ReadError as exc:
            structural.append(structural_row(exc.file, None, None, "readable file", exc.message))
            continue
        except Exception as exc:  # a file no reader foresaw: a verdict, never a crash
            structural.append(structural_row(path.name, None, None, "readable file",
                                             f"the file cannot be read ({type(exc).__name__}: {str(exc)[:200]})"))
            continue
        if not mapping:
            _check_early(read[i], pool, early, early_framed, suites_started)
    tables = [t for i in range(len(paths)) for t in read.get(i, [])]
    timings["read"] = time.perf_counter() - started

    t0 = time.perf_counter()
    say("recognising formats and mapping columns", 0.35)
    forced: MappingProfile | None = None
    if isinstance(mapping, MappingProfile):
        forced = mapping
    elif mapping:
        try:
            forced = find_profile(profiles_dir(store.path), mapping)
        except MappingError as exc:
            structural.append(structural_row(", ".join(p.name for p in paths), None, None, "mapping profile",
                                             str(exc)))
    profiles = load_profiles(profiles_dir(store.path))
    mapped = (map_tables(tables, store=store, forced=forced, profiles=profiles, premapped=early)
              if not (mapping and not forced) else [])
    if forced is not None and tables and not any(forced.reads(t.headers) for t in tables):
        structural.append(structural_row(", ".join(t.name for t in tables), forced.extract, None, "mapping profile",
                                         f"the mapping profile '{forced.name}' reads the columns"
                                         f" {', '.join(forced.columns.values())}, which no file has"))
    for m in mapped:
        if m.frame is not None:
            m.table.release()
        if m.problem:
            structural.append(structural_row(m.file, m.extract, m.column, m.rule, m.problem, m.table.rows))
        elif m.frame is not None and m.frame.height == 0:
            structural.append(structural_row(m.file, m.extract, None, "has rows",
                                             "the file has a header but no data rows"))
    timings["map"] = time.perf_counter() - t0

    batches: dict[str, ExtractBatch] = {}
    for m in mapped:
        if m.problem or m.frame is None or m.extract is None or m.frame.height == 0:
            continue
        ahead = suites_started.get(m.extract)
        if ahead and early.get(id(m.table)) is m and ahead[0].frame is early_framed.get(id(m.table)):
            frame = ahead[0].frame  # the very frame its suite started on
        else:
            frame = m.frame.with_columns(pl.lit(m.file, dtype=pl.Categorical).alias(FILE))
        if m.extract in batches:
            previous = batches[m.extract]
            batches[m.extract] = ExtractBatch(m.extract, pl.concat([previous.frame, frame], how="diagonal_relaxed"),
                                              previous.files + [m.file])
        else:
            batches[m.extract] = ExtractBatch(m.extract, frame, [m.file])
    modes: dict[str, LoadMode] = {
        name: ("append" if append and EXTRACTS[name].appendable else "replace") for name in batches}

    t0 = time.perf_counter()
    references = References()
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
    references.reporting_currency = store.reporting_currency
    if "currency_rates" in batches and modes["currency_rates"] == "replace":
        references.rates = set(batches["currency_rates"].frame["currency"].drop_nulls().str.to_uppercase().to_list())
    elif "opportunities" in batches:
        references.rates = _db_rates(store)
    results = pl.DataFrame(schema=RESULT_SCHEMA)
    if batches:
        results = run_checks(batches, references, progress=lambda msg, f: say(msg, 0.4 + 0.45 * f),
                             suites_started=suites_started)
        orphans = _loaded_orphans(store, batches, modes)
        if orphans:
            results = pl.concat([results, pl.DataFrame(orphans, schema=RESULT_SCHEMA)])
    timings["checks"] = time.perf_counter() - t0
    if structural:
        results = pl.concat([pl.DataFrame(structural, schema=RESULT_SCHEMA), results])

    t0 = time.perf_counter()
    say("previewing the changes", 0.9)
    changes = _preview(store, batches, modes)
    timings["preview"] = time.perf_counter() - t0
    # Checked: line numbers, file names and unparsed text have served; only the canonical columns
    # are kept for the load (on the large org a few hundred MB less at the load's peak).
    frames = {name: _canonical_only(b.frame) for name, b in batches.items()}
    for m in mapped:
        if m.frame is not None:
            m.frame = _canonical_only(m.frame)
    del batches
    suites_started.clear()
    early_framed.clear()
    verdicts = _verdicts(mapped, results, structural)
    timings["plan_total"] = time.perf_counter() - started
    return IngestPlan(paths=paths, tables=mapped, frames=frames, modes=modes, checks=results,
                      verdicts=verdicts, changes=changes, timings=timings, read_typed=not mapping)


def _canonical_only(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(c for c in frame.columns if not c.startswith("__"))


def _loaded_orphans(store: Store, batches: dict[str, ExtractBatch],
                    modes: dict[str, LoadMode]) -> list[dict[str, object]]:
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
            for column, referenced, _severity in links:
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


def _preview(store: Store, batches: dict[str, ExtractBatch], modes: dict[str, LoadMode]) -> pl.DataFrame:
    counts: dict[str, int] = {}
    if store.path.exists():
        counts = store.row_counts()
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
        if modes[name] == "replace":
            added, replaced, removed = incoming - matched, matched, now - matched
        else:
            added, replaced, removed = incoming - matched, matched, 0
        if not extract.key:
            added, replaced, removed = incoming, 0, now if modes[name] == "replace" else 0
        rows.append({"extract": name, "mode": modes[name], "rows_in_file": incoming, "rows_now": now,
                     "added": added, "replaced": replaced, "removed": removed})
    schema = {"extract": pl.String, "mode": pl.String, "rows_in_file": pl.Int64, "rows_now": pl.Int64,
              "added": pl.Int64, "replaced": pl.Int64, "removed": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def _verdicts(mapped: list[MappedTable], results: pl.DataFrame,
              structural: list[dict[str, object]]) -> list[FileVerdict]:
    failed = results.filter(~pl.col("passed"))
    verdicts: list[FileVerdict] = []
    seen: set[str] = set()
    for m in mapped:
        mine = failed.filter(pl.col("file").str.split(", ").list.contains(m.file))
        failures = [CheckFailure(r["column_name"], r["rule"], r["severity"], int(r["failed_rows"] or 0),
                                 int(r["total_rows"] or 0), r["message"], r["sample"] or "")
                    for r in mine.iter_rows(named=True)]
        status = "rejected" if any(f.severity == "error" for f in failures) else (
            "warning" if failures else "accepted")
        verdicts.append(FileVerdict(file=m.file, format=m.format_label, extract=m.extract, status=status,
                                    rows=m.frame.height if m.frame is not None else m.table.rows,
                                    details=m.table.describe(), mapping=m.mapping, notes=m.notes,
                                    failures=failures))
        seen.add(m.file)
    for row in structural:
        name = str(row["file"])
        if name in seen:
            continue
        verdicts.append(FileVerdict(file=name, format="unreadable" if row["rule"] == "readable file" else "-",
                                    extract=None, status="rejected",
                                    failures=[CheckFailure(None, str(row["rule"]), "error", 0, 0,
                                                           str(row["message"]), "")]))
        seen.add(name)
    return verdicts


# -- committing ------------------------------------------------------------------------------------

def commit_plan(store: Store, plan: IngestPlan, *, loaded_by: str, source: str) -> IngestResult:
    """Land an accepted plan in one transaction; for a rejected plan only record the check results."""
    timings = dict(plan.timings)
    if not plan.accepted:
        store.record_checks(plan.checks, load_id=None, accepted=False)
        return IngestResult(False, None, plan.verdicts, plan.checks, plan.changes, timings)
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
        "warnings": int(plan.checks.filter(~pl.col("passed") & (pl.col("severity") == "warning")).height),
        "files": [{"file": v.file, "format": v.format, "extract": v.extract, "status": v.status}
                  for v in plan.verdicts],
    }
    record = store.load(plan.frames, loaded_by=loaded_by, source=source, files=files, modes=plan.modes,
                        check_summary=summary, frame_sources=_frame_sources(plan))
    timings["load"] = time.perf_counter() - t0
    timings.update({f"load_{part}": seconds for part, seconds in record.timings.items()})
    store.record_checks(plan.checks, load_id=record.load_id, accepted=True)
    return IngestResult(True, record, plan.verdicts, plan.checks, plan.changes, timings)


def _frame_sources(plan: IngestPlan) -> dict[str, list[tuple[Path, str]]]:
    """Extracts whose frame is nothing but canonical tables, read as a restore reads them again:
    extract -> [(file, table name)]. The archive keeps these as references to the raw files it
    holds anyway rather than writing the same rows a second time (on the large org that second
    copy cost a third of the load). A table whose name its file holds twice (two zip folders with
    an ``activities.csv`` each) cannot be found again by name: its extract is kept whole."""
    if not plan.read_typed:
        return {}
    seen: dict[tuple[Path, str], int] = {}
    for m in plan.tables:
        seen[(m.table.path, m.file)] = seen.get((m.table.path, m.file), 0) + 1
    landed: dict[str, list[MappedTable]] = {}
    for m in plan.tables:
        if m.extract in plan.frames and not m.problem and m.frame is not None and m.frame.height:
            landed.setdefault(m.extract, []).append(m)
    return {name: [(m.table.path, m.file) for m in tables] for name, tables in landed.items()
            if all(m.format == "canonical" and seen[(m.table.path, m.file)] == 1 for m in tables)}


def ingest_files(store: Store, paths: Sequence[Path], *, loaded_by: str, source: str = "cli",
                 mapping: str | MappingProfile | None = None, append: bool = False,
                 progress: Progress | None = None) -> IngestResult:
    """Read, map, check and (if accepted) load ``paths`` as one load."""
    plan = plan_ingest(store, paths, mapping=mapping, append=append, progress=progress)
    if progress:
        progress("loading" if plan.accepted else "rejected: recording the verdict", 0.95)
    result = commit_plan(store, plan, loaded_by=loaded_by, source=source)
    if progress:
        progress("done", 1.0)
    return result


# -- the verdict in words --------------------------------------------------------------------------

def _report(accepted: bool, load: LoadRecord | None, verdicts: list[FileVerdict], changes: pl.DataFrame) -> str:
    lines: list[str] = []
    if accepted:
        head = f"ACCEPTED as load {load.load_id}" if load else "ACCEPTED (not yet loaded)"
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
            lines.append(f"          {f.severity}:{col} rule '{f.rule}': {f.message}")
            for sample_line in (f.sample or "").splitlines():
                lines.append(f"            {sample_line}")
    if accepted and changes.height:
        lines.append("changes:")
        for r in changes.iter_rows(named=True):
            lines.append(f"  {r['extract']:<20} {r['mode']:<8} +{r['added']:,} added, {r['replaced']:,} replaced,"
                         f" {r['removed']:,} removed")
    return "\n".join(lines)
