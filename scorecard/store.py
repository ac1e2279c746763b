"""The versioned store: the one write path into the DuckDB database.

A *load* is a set of canonical extract frames that lands in one transaction or not at all. Every
accepted load is recorded in ``loads`` (who, when, files with sha256, row counts, check summary),
its raw files and canonical frames are archived, and any earlier load can be restored (a restore is
itself a new load, so history is never rewritten). Opportunities are also kept as a snapshot per
load, so pipeline figures can be computed as of an earlier load date. The data version is the id of
the newest accepted load: caches and live pages key on it.

Readers never wait for a load. Every change (:meth:`Store.writing`) is made on a copy of the
database file; when it is complete the copy replaces the file in one rename. A reader that opened
the database before keeps the version it opened (the old file lives on while it is open), the next
one opens the new version. One writer at a time: a lock file beside the database orders them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl
import pyarrow as pa

from scorecard import sql
from scorecard.schema import EXTRACTS, Extract, create_table_sql

LoadMode = Literal["replace", "append"]
STAGING = ".staging"
"""Folder of the archive where received files are copied while they are checked."""
STAGING_HOURS = 24.0
"""Staged copies of an upload never confirmed are removed after this long (at once when the process
that staged them is gone)."""
NEXT_VERSION = ".next-"
"""Infix of the database copy a change is made on before it replaces the database."""
VERSION_LINK = ".version-"
"""Infix of the names readers open a version of the database by (see ``Store._version_path``)."""

_LOADS_DDL = """
create table if not exists loads (
    load_id INTEGER primary key,
    loaded_at TIMESTAMP not null,
    loaded_by VARCHAR not null,
    source VARCHAR not null,
    status VARCHAR not null,
    note VARCHAR,
    restored_from INTEGER,
    extracts VARCHAR[],
    files JSON,
    row_counts JSON,
    check_summary JSON,
    as_of DATE
)
"""

_CHECKS_DDL = """
create table if not exists check_results (
    checked_at TIMESTAMP not null,
    load_id INTEGER,
    accepted BOOLEAN,
    file VARCHAR,
    extract VARCHAR,
    column_name VARCHAR,
    rule VARCHAR,
    outcome VARCHAR,
    passed BOOLEAN,
    failed_rows BIGINT,
    total_rows BIGINT,
    message VARCHAR,
    sample VARCHAR
)
"""

_FLAGS_DDL = """
create table if not exists flagged_rows (
    load_id INTEGER,
    extract VARCHAR,
    row_key VARCHAR,
    file VARCHAR,
    line BIGINT,
    rule VARCHAR,
    column_name VARCHAR
)
"""
"""Rows loaded with a flag (``data_checks.rules``): which row of which extract, the file line it came
from and the rule it broke. Kept for the rows now in place: a replacing load replaces an extract's
flags, an appending load replaces those of the rows it sends again."""

_MIGRATIONS = [
    "alter table loads add column if not exists as_of DATE",
]
"""What a database made by an earlier version needs (idempotent)."""

_DERIVED_DDL = [
    "create table if not exists team_members (leader_id VARCHAR, rep_id VARCHAR, depth INTEGER)",
    "create table if not exists leaders (leader_id VARCHAR, level INTEGER, direct_reports BIGINT,"
    " team_size BIGINT)",
]


class Laps:
    """Seconds spent in each step of a long piece of work, for the benchmark: call with the name of
    the step that just ended."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.started = self.clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.clock
        self.clock = now


class StoreError(RuntimeError):
    """A load or restore that cannot be done; nothing was changed."""


class DatabaseBusyError(StoreError):
    """Another change of the database (a load, a restore) did not finish within the wait allowed."""


class DataChangedError(StoreError):
    """Another load landed after this one was checked: its checks must run again on the data now in place."""


def fault_message(exc: BaseException, what: str = "load") -> str:
    """What a failed write means for the person who asked for it: the data is as it was, why, and
    what to do (never a traceback)."""
    text = str(exc)
    where = getattr(exc, "filename", None)
    place = f" ({where})" if where else ""
    code = getattr(exc, "errno", None)
    lowered = text.lower()
    if code == errno.ENOSPC or any(words in lowered for words in ("no space left", "disk full", "disk is full")):
        return (f"the disk is full{place}: nothing was changed by this {what} and the data is as it was;"
                " free some space (old loads in the archive can be moved away) and try again")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError) \
            or "read-only" in lowered:
        return (f"a folder cannot be written{place}: nothing was changed by this {what} and the data is as"
                " it was; make the database folder and the archive (SCORECARD_ARCHIVE_DIR) writable and try"
                " again")
    return (f"the {what} failed ({type(exc).__name__}: {text[:200]}): nothing was changed and the data is as"
            " it was")


@dataclass(frozen=True)
class StagedFile:
    """A copy of a received file in the archive's staging folder, with its digest."""

    copy: Path
    sha256: str
    stamp: tuple[int, int]
    """Size and modification time of the original when the copy was made."""


@dataclass(frozen=True)
class SourceFile:
    """A file that came in with a load, as it was received."""

    path: Path
    extract: str | None = None
    rows: int | None = None
    stamp: tuple[int, int] | None = None
    """Size and modification time (ns) of the file when it was read and checked; the load is
    refused if the file has changed since (its archived copy would not be what was loaded)."""
    staged: StagedFile | None = None
    """A copy already made while the file was checked (:meth:`Store.stage_files`), moved into the
    archive instead of copying the file again."""

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class LoadRecord:
    load_id: int
    loaded_at: datetime
    loaded_by: str
    source: str
    row_counts: dict[str, int]
    files: list[dict[str, object]] = field(default_factory=list)
    restored_from: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each part of the load (insert, archive wait, snapshot, ...), for the benchmark."""
    as_of: date | None = None
    """The data's as-of date recorded with the load."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy a file and return its sha256, reading it once."""
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            dst.write(block)
    shutil.copystat(source, target)
    return digest.hexdigest()


def _sweep(root: Path, hours: float) -> None:
    """Remove staging folders of uploads planned and never loaded: those of a process that is gone
    (a killed upload, an app restarted) at once, the others after ``hours``."""
    if not root.is_dir():
        return
    cutoff = time.time() - hours * 3600
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if not _owner_alive(folder.name) or folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)


def _owner_alive(name: str) -> bool:
    """Whether the process named by a staging folder (``<pid>-<random>``) still runs on this machine."""
    pid, _, rest = name.partition("-")
    if not rest or not pid.isdigit():
        return True  # not ours to judge: left to the age rule
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a power cut after it keeps the new version)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def file_stamp(path: Path) -> tuple[int, int]:
    """Size and modification time in nanoseconds: what changes when a file is written again."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


_POOL_OF: dict[int, _ReaderPool] = {}
"""The version each reader's connection (by ``id``) was taken from, while its reader runs."""


class _ReaderPool:
    """The read-only connections of one version of the database in this process: one database
    opened, and idle connections (team macros made) handed out to one reader at a time."""

    KEPT_VERSIONS = 2
    """Versions kept open: the newest and the one before (readers that started on it finish)."""
    KEPT_IDLE = 8
    """Idle connections kept per version (more readers at once open more, closed when they finish)."""

    _pools: dict[str, _ReaderPool] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.database = duckdb.connect(str(path), read_only=True)
        self.idle: list[duckdb.DuckDBPyConnection] = []
        self.in_use = 0
        self.retired = False
        self.lock = threading.Lock()
        self.newest: tuple[int, str] | None = None
        """The newest load of this version (a version never changes): read once, by ``Store.newest_load``."""

    @classmethod
    def of(cls, path: Path) -> _ReaderPool:
        key = str(path)
        with cls._lock:
            pool = cls._pools.get(key)
            if pool is None:
                pool = cls._pools[key] = cls(path)
                while len(cls._pools) > cls.KEPT_VERSIONS:  # the oldest first (dicts keep their order)
                    cls._pools.pop(next(iter(cls._pools))).retire()
            return pool

    def take(self) -> duckdb.DuckDBPyConnection:
        with self.lock:
            if self.retired:  # retired between being found and asked: the version is still whole
                raise FileNotFoundError(f"{self.path} is no longer the version in place")
            self.in_use += 1
            if self.idle:
                return self.idle.pop()
        try:
            con = self.database.cursor()
            try:
                sql.execute(con, "team_macros")  # what the metric queries build teams with
            except BaseException:
                con.close()
                raise
        except BaseException:
            self.give_back(None)
            raise
        return con

    def give_back(self, con: duckdb.DuckDBPyConnection | None, *, keep: bool = True) -> None:
        """A reader is done with ``con`` (None: it never got one); ``keep`` False: close it."""
        with self.lock:
            self.in_use -= 1
            if con is not None and keep and not self.retired and len(self.idle) < self.KEPT_IDLE:
                self.idle.append(con)
                return
            last = self.retired and self.in_use == 0
        if con is not None:
            con.close()
        if last:
            self.database.close()  # closing it closes its connections: only once none is in use

    def retire(self) -> None:
        """A newer version is in place: close what is idle; the rest close as their readers finish."""
        with self.lock:
            self.retired = True
            idle, self.idle = self.idle, []
            last = self.in_use == 0
        for con in idle:
            con.close()
        if last:
            self.database.close()

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            pools, cls._pools = list(cls._pools.values()), {}
        for pool in pools:
            pool.retire()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Store:
    """The scorecard database and its archive.

    Open read-only connections for queries with :meth:`reader`; every change goes through
    :meth:`load` or :meth:`restore`.
    """

    def __init__(self, path: Path | str, archive_dir: Path | str | None = None,
                 reporting_currency: str = "USD", hierarchy_depth_limit: int | None = None) -> None:
        from scorecard.settings import get_settings

        self.path = Path(path)
        self.hierarchy_depth_limit = hierarchy_depth_limit or get_settings().hierarchy_depth_limit
        """Teams are built this many levels down (the checks refuse a deeper hierarchy)."""
        self.archive_dir = Path(archive_dir) if archive_dir else self.path.parent / "archive"
        self.reporting_currency = reporting_currency

    # -- connections -------------------------------------------------------------------------

    def connect(self, retries: int = 50) -> duckdb.DuckDBPyConnection:
        """Open the database for reading (the version in place now; every change goes through
        :meth:`writing`)."""
        if not self.path.exists():
            self.initialise()
        last: Exception | None = None
        for _ in range(retries):
            try:
                con = duckdb.connect(str(self._version_path()), read_only=True)
                sql.execute(con, "team_macros")  # what the metric queries build teams with
                return con
            except (OSError, duckdb.IOException, duckdb.ConnectionException) as exc:
                # a file being replaced at this instant, or (ConnectionException) a read-write
                # connection another part of this process opened on this very file
                last = exc
                time.sleep(0.1)
        raise DatabaseBusyError(f"{self.path} could not be opened: {last}")

    def _version_path(self) -> Path:
        """The name the version in place is opened by: a link named after the file's inode.

        DuckDB shares one open database between the connections of a process that name the same
        path, so a process that always had a reader open would never see a new version under the
        database's own name; under a name of its own, each version is opened anew."""
        inode = self.path.stat().st_ino
        link = self.path.with_name(f".{self.path.name}{VERSION_LINK}{inode}")
        try:
            if link.stat().st_ino == inode:
                return link
            link.unlink()  # names another file: a removed version whose inode number came back
        except FileNotFoundError:
            pass
        try:
            os.link(self.path, link)
        except FileExistsError:
            pass
        except OSError:  # a folder this process may not write: the database's own name then
            return self.path
        if link.stat().st_ino != inode:  # replaced meanwhile: the caller tries again
            raise FileNotFoundError(f"{self.path} was replaced while it was opened")
        return link

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the version in place, for the length of the block.

        Connections are kept for the next reader of the same version in this process (opening the
        database and creating the team macros costs more than most page queries): a version is opened
        once, each reader gets a connection of its own, and a connection goes back for the next one
        when its block ends without an error. A new version is opened anew (its own name,
        :meth:`_version_path`); the previous versions' connections are closed once they are idle."""
        con, pool = self._take()
        _POOL_OF[id(con)] = pool
        try:
            yield con
        except BaseException:
            _POOL_OF.pop(id(con), None)
            pool.give_back(con, keep=False)  # it may be half way through something: not handed out again
            raise
        _POOL_OF.pop(id(con), None)
        pool.give_back(con)

    def _take(self) -> tuple[duckdb.DuckDBPyConnection, _ReaderPool]:
        if not self.path.exists():
            self.initialise()
        last: Exception | None = None
        for _ in range(50):
            try:
                pool = _ReaderPool.of(self._version_path())
                return pool.take(), pool
            except (OSError, duckdb.IOException, duckdb.ConnectionException) as exc:
                last = exc  # replaced at this instant, or opened read-write in this process: as connect
                time.sleep(0.1)
        raise DatabaseBusyError(f"{self.path} could not be opened: {last}")

    @contextlib.contextmanager
    def writing(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one way to change the database: a read-write connection on a copy of it.

        Waits (at most ``wait`` seconds, default the ``load_wait_seconds`` setting) for a change
        under way in another process or thread to finish, then copies the database and yields a
        connection to the copy. When the block ends without an error the copy is checkpointed and
        replaces the database in one rename, so readers see the old version or the new one, never a
        half-made one and never a lock; on an error the copy is thrown away and nothing changed.
        Copies left by a killed writer are removed here, the next time a change is made."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._writer_lock(wait):
            self._remove_unfinished_copies()
            fresh = self.path.with_name(f".{self.path.name}{NEXT_VERSION}{uuid.uuid4().hex}")
            fresh_wal = fresh.with_name(fresh.name + ".wal")
            wal = self.path.with_name(self.path.name + ".wal")
            try:
                if self.path.exists():
                    shutil.copyfile(self.path, fresh)
                    if wal.exists():  # changes a crashed process never checkpointed: kept
                        shutil.copyfile(wal, fresh_wal)
                con = duckdb.connect(str(fresh))
                try:
                    yield con
                    con.execute("checkpoint")
                finally:
                    con.close()
                if wal.exists():  # now inside the new version; must not be replayed onto it
                    wal.unlink()
                os.replace(fresh, self.path)
                _sync_folder(self.path.parent)
                self._remove_old_version_links()
            finally:
                fresh.unlink(missing_ok=True)
                fresh_wal.unlink(missing_ok=True)

    def _remove_old_version_links(self) -> None:
        """Names of versions no longer in place (a reader that has one open keeps reading it)."""
        current = self.path.stat().st_ino
        for link in self.path.parent.glob(f".{self.path.name}{VERSION_LINK}*"):
            if link.name != f".{self.path.name}{VERSION_LINK}{current}":
                link.unlink(missing_ok=True)

    def _remove_unfinished_copies(self) -> None:
        """Database copies of writers that were killed (called holding the writer lock)."""
        for left in self.path.parent.glob(f".{self.path.name}{NEXT_VERSION}*"):
            left.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _writer_lock(self, wait: float | None) -> Iterator[None]:
        from scorecard.settings import get_settings

        limit = get_settings().load_wait_seconds if wait is None else wait
        lock = self.path.with_name(f".{self.path.name}.lock")
        with lock.open("a") as handle:
            deadline = time.monotonic() + limit
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise DatabaseBusyError(
                            f"another load or restore of {self.path} is still under way after {limit:g} s:"
                            " nothing was changed; try again when it has finished") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def initialise(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Create every table that does not exist yet (idempotent)."""
        if con is None:
            with self.writing() as own:
                self.initialise(own)
            return
        for extract in EXTRACTS.values():
            con.execute(create_table_sql(extract))
        opp = EXTRACTS["opportunities"]
        con.execute(create_table_sql(opp, "opportunity_snapshots",
                                     extra="load_id INTEGER, snapshot_at TIMESTAMP, "))
        con.execute(_LOADS_DDL)
        con.execute(_CHECKS_DDL)
        con.execute(_FLAGS_DDL)
        for migration in _MIGRATIONS:
            con.execute(migration)
        columns = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_name = 'check_results'").fetchall()}
        if "severity" in columns:  # an earlier version's words: error, warning
            con.execute("alter table check_results rename column severity to outcome")
            con.execute("update check_results set outcome = case outcome when 'error' then 'reject'"
                        " when 'warning' then 'flag' else outcome end")
        for ddl in _DERIVED_DDL:
            con.execute(ddl)

    # -- staging received files -------------------------------------------------------------

    def stage_files(self, paths: Sequence[Path]) -> dict[Path, StagedFile]:
        """Copy received files into the archive's staging folder, hashing them as they are copied.

        An upload calls this while it reads and checks the files (disk work, while the checks use
        the processors), so that its load only moves the copies into place instead of writing a
        gigabyte of copies while DuckDB writes the tables. A file that cannot be copied is left
        out (the load then copies it itself). Nothing here touches the data."""
        root = self.archive_dir / STAGING
        _sweep(root, STAGING_HOURS)
        folder = root / f"{os.getpid()}-{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        staged: dict[Path, StagedFile] = {}
        for n, path in enumerate(paths, 1):
            copy = folder / f"{n}-{path.name}"
            try:
                stamp = file_stamp(path)
                staged[path] = StagedFile(copy, _copy_hashing(path, copy), stamp)
            except OSError:  # a full disk, say: no half copy is left behind
                with contextlib.suppress(OSError):
                    copy.unlink(missing_ok=True)
                continue
        return staged

    @staticmethod
    def discard_staged(staged: Mapping[Path, StagedFile]) -> None:
        """Remove the staged copies of an upload that will not be loaded."""
        for folder in {s.copy.parent for s in staged.values()}:
            shutil.rmtree(folder, ignore_errors=True)

    # -- reading the record ------------------------------------------------------------------

    def version_stamp(self) -> tuple[int, int, int] | None:
        """Which file the database is now, without opening it: (inode, modification time in
        nanoseconds, size), or None when there is no database yet.

        Every change goes through :meth:`writing`, which puts a new file in place by a rename, so a
        new stamp means a new version and the same stamp the same data: a reader learns whether the
        data changed from one ``stat``, and asks :meth:`data_version` only when it did."""
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def data_version(self, con: duckdb.DuckDBPyConnection | None = None) -> int:
        """Id of the newest accepted load (0 for an empty database)."""
        if con is not None:
            return self.newest_load(con)[0]
        with self.reader() as c:
            return self.data_version(c)

    def data_identity(self, con: duckdb.DuckDBPyConnection | None = None) -> str:
        """Which data this is, as text that sorts by time: the moment the newest load was recorded
        and its id (``20261127T024512123456-load7``; ``empty`` for an empty database). Unlike the
        data version alone it differs for a database built again from scratch, whose first load is
        load 1 again: what is kept outside the database (the kept scores) is keyed on it."""
        if con is None:
            with self.reader() as c:
                return self.newest_load(c)[1]
        return self.newest_load(con)[1]

    @staticmethod
    def newest_load(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
        """(:meth:`data_version`, :meth:`data_identity`) in one query, asked once per version: a
        reader's connection (:meth:`reader`) answers from its version, which never changes."""
        pool = _POOL_OF.get(id(con))
        if pool is not None and pool.newest is not None:
            return pool.newest
        newest = con.execute("select load_id, loaded_at from loads order by load_id desc limit 1").fetchall()
        if not newest:
            found = (0, "empty")
        else:
            load_id, loaded_at = newest[0]
            found = (int(load_id), f"{loaded_at:%Y%m%dT%H%M%S%f}-load{load_id}")
        if pool is not None:
            pool.newest = found
        return found

    def loads(self) -> pl.DataFrame:
        with self.reader() as con:
            return con.sql(
                "select load_id, loaded_at, loaded_by, source, status, restored_from, extracts,"
                " files::varchar as files, row_counts::varchar as row_counts, note"
                " from loads order by load_id desc"
            ).pl()

    def row_counts(self, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, int]:
        if con is None:
            with self.reader() as c:
                return self.row_counts(c)
        frame = sql.run(con, "extract_row_counts")
        return dict(zip(frame["extract"].to_list(), frame["rows"].to_list(), strict=True))

    # -- writing -----------------------------------------------------------------------------

    def load(
        self,
        frames: Mapping[str, pl.DataFrame],
        *,
        loaded_by: str,
        source: str = "cli",
        files: Sequence[SourceFile] = (),
        modes: Mapping[str, LoadMode] | None = None,
        check_summary: Mapping[str, object] | None = None,
        note: str = "",
        _restored_from: int | None = None,
        _archive_frames: bool = True,
        frame_sources: Mapping[str, Sequence[tuple[Path, str]]] | None = None,
        flags: pl.DataFrame | None = None,
        as_of: date | None = None,
        expected_version: int | None = None,
    ) -> LoadRecord:
        """Land ``frames`` (extract name -> canonical frame) in one transaction.

        Full extracts replace what was there; an extract whose mode is ``append`` (activities and
        coaching only) is added to. Either every frame lands, with its load record, or nothing does.
        ``frame_sources`` names extracts whose frame is exactly the canonical tables of some of
        ``files`` (extract -> [(file path, table name)], each table name once in its file): the
        archive keeps a reference to those raw files instead of a Parquet copy, with a fingerprint
        of the rows, and a restore reads them again and checks the fingerprint.
        ``flags`` lists the rows loaded with a flag (extract, row_key, file, line, rule, column_name);
        ``as_of`` is the data's as-of date (kept from the previous load when not given).
        ``expected_version`` is the data version the frames were checked against: if another load
        landed since, nothing is written and :class:`DataChangedError` says so.

        A write that fails (a full disk, a folder that cannot be written, a killed process) leaves
        the data as it was; the error says so in words (:func:`fault_message`).
        """
        try:
            return self._load(frames, loaded_by=loaded_by, source=source, files=files, modes=modes,
                              check_summary=check_summary, note=note, restored_from=_restored_from,
                              archive_frames=_archive_frames, frame_sources=frame_sources, flags=flags,
                              as_of=as_of, expected_version=expected_version)
        except StoreError:
            raise
        except (OSError, duckdb.IOException) as exc:
            raise StoreError(fault_message(exc)) from exc

    def _load(self, frames: Mapping[str, pl.DataFrame], *, loaded_by: str, source: str,
              files: Sequence[SourceFile], modes: Mapping[str, LoadMode] | None,
              check_summary: Mapping[str, object] | None, note: str, restored_from: int | None,
              archive_frames: bool, frame_sources: Mapping[str, Sequence[tuple[Path, str]]] | None,
              flags: pl.DataFrame | None, as_of: date | None, expected_version: int | None) -> LoadRecord:
        if not frames:
            raise StoreError("nothing to load: no extract was given")
        modes = dict(modes or {})
        for name in frames:
            if name not in EXTRACTS:
                raise StoreError(f"unknown extract {name!r}")
            if modes.get(name, "replace") == "append" and not EXTRACTS[name].appendable:
                raise StoreError(f"{name} can only be replaced, not appended to")
        prepared = {name: _conform(EXTRACTS[name], frame) for name, frame in frames.items()}

        timings: dict[str, float] = {}
        lap = Laps(timings)

        with self.writing() as con:  # on a copy: readers go on with the version in place
            self.initialise(con)
            # row order in the tables carries no meaning; without it DuckDB inserts in parallel
            con.execute("set preserve_insertion_order = false")
            con.execute("begin transaction")
            try:
                load_id = int(con.execute("select coalesce(max(load_id), 0) + 1 from loads").fetchall()[0][0])
                if expected_version is not None and load_id - 1 != expected_version:
                    raise DataChangedError(f"load {load_id - 1} landed after this upload was checked against load"
                                           f" {expected_version}: check it again")
                self._remove_orphan_archives(con)
                loaded_at = _now()
                archive = self.archive_dir / str(load_id)
                if archive.exists():  # left by a load that never committed
                    shutil.rmtree(archive)
                archive.mkdir(parents=True)
                # The archive (raw files, their sha256, one Parquet file per extract) is written on
                # another thread while DuckDB inserts; the load commits only once both are done.
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive") as pool:
                    archived = pool.submit(_archive, archive, files, prepared, modes, archive_frames,
                                           frame_sources or {}, flags)
                    row_counts: dict[str, int] = {}
                    lap("copy")
                    for name, frame in prepared.items():
                        self._write_extract(con, name, frame, modes.get(name, "replace"))
                        row_counts[name] = frame.height
                    lap("insert")
                    file_records = archived.result()
                    lap("archive_wait")
                if "opportunities" in prepared or "currency_rates" in prepared:
                    self._convert_currency(con)
                    lap("currency")
                if "opportunities" in prepared:
                    con.execute(
                        "insert into opportunity_snapshots by name"
                        " select $load_id as load_id, $at as snapshot_at, * from opportunities",
                        {"load_id": load_id, "at": loaded_at},
                    )
                    lap("snapshot")
                self._write_flags(con, load_id, flags, prepared, modes)
                lap("flags")
                if "reps" in prepared:
                    sql.execute(con, "derive_team_members", max_depth=self.hierarchy_depth_limit + 1)
                    sql.execute(con, "derive_leaders")
                    lap("hierarchy")
                if as_of is None:  # a load that carries no dates (a quota sheet) keeps the data's date
                    kept = con.execute("select as_of from loads where status = 'accepted'"
                                       " order by load_id desc limit 1").fetchall()
                    as_of = kept[0][0] if kept else None
                con.execute(
                    "insert into loads by name select $id as load_id, $at as loaded_at, $by as loaded_by,"
                    " $source as source, 'accepted' as status, $note as note, $restored as restored_from,"
                    " $extracts as extracts, $files as files, $rows as row_counts, $checks as check_summary,"
                    " $as_of::DATE as as_of",
                    {
                        "as_of": as_of,
                        "id": load_id, "at": loaded_at, "by": loaded_by, "source": source,
                        "note": note, "restored": restored_from,
                        "extracts": sorted(prepared), "files": json.dumps(file_records),
                        "rows": json.dumps(row_counts),
                        "checks": json.dumps(check_summary or {}, default=str),
                    },
                )
                (archive / "load.json").write_text(json.dumps(
                    {"load_id": load_id, "modes": {n: modes.get(n, "replace") for n in prepared},
                     "files": file_records, "row_counts": row_counts}, indent=2))
                con.execute("commit")
                lap("commit")
            except BaseException:
                con.execute("rollback")
                if "archive" in locals() and archive.exists():
                    shutil.rmtree(archive, ignore_errors=True)
                raise
        lap("swap")
        return LoadRecord(load_id, loaded_at, loaded_by, source, row_counts, file_records, restored_from,
                          timings, as_of)

    def tidy(self) -> None:
        """What killed or failed work left behind, removed when the app or the inbox starts: archive
        folders of loads that never landed, database copies of changes that never finished, staged
        uploads of processes that are gone. Skipped while a change is under way (it tidies itself)."""
        if not self.path.exists():
            return
        with contextlib.suppress(DatabaseBusyError, OSError, duckdb.Error), self._writer_lock(0):
            self._remove_unfinished_copies()
            self._remove_old_version_links()
            with self.reader() as con:
                self._remove_orphan_archives(con)
        _sweep(self.archive_dir / STAGING, STAGING_HOURS)

    def _remove_orphan_archives(self, con: duckdb.DuckDBPyConnection) -> None:
        """Archive folders of loads that never committed (a killed process, a full disk). Called while
        this process holds the writer lock, so no other load is under way."""
        if not self.archive_dir.is_dir():
            return
        landed = {int(r[0]) for r in con.execute("select load_id from loads").fetchall()}
        for folder in self.archive_dir.iterdir():
            if folder.is_dir() and folder.name.isdigit() and int(folder.name) not in landed:
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _write_flags(con: duckdb.DuckDBPyConnection, load_id: int, flags: pl.DataFrame | None,
                     prepared: Mapping[str, pl.DataFrame], modes: Mapping[str, LoadMode]) -> None:
        """The flags of the rows now in place: a replaced extract's old flags go, and so do those
        of rows an appending load sends again."""
        incoming = flags if flags is not None else pl.DataFrame(schema=_FLAG_COLUMNS)
        for name, frame in prepared.items():
            if modes.get(name, "replace") == "replace":
                con.execute("delete from flagged_rows where extract = $name", {"name": name})
            elif EXTRACTS[name].key:
                keys = frame.select(pl.concat_str([pl.col(k).cast(pl.String) for k in EXTRACTS[name].key],
                                                  separator="|").alias("row_key"))
                con.register("sent_again", keys)
                try:
                    con.execute("delete from flagged_rows where extract = $name and row_key in"
                                " (select row_key from sent_again)", {"name": name})
                finally:
                    con.unregister("sent_again")
        if incoming.height:
            con.register("incoming_flags", incoming.with_columns(pl.lit(load_id, dtype=pl.Int32).alias("load_id")))
            try:
                con.execute("insert into flagged_rows by name select * from incoming_flags")
            finally:
                con.unregister("incoming_flags")

    def flagged_rows(self, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
        """The rows in place that were loaded with a flag, by extract and rule."""
        if con is None:
            with self.reader() as c:
                return self.flagged_rows(c)
        return sql.run(con, "flagged_rows")

    def _write_extract(self, con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame,
                       mode: LoadMode) -> None:
        extract = EXTRACTS[name]
        # Arrow string views pass to DuckDB without a copy (faster, and a third less memory), and
        # batches of DuckDB's row-group size let it scan one frame on every core.
        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        con.register("incoming", pa.Table.from_batches(table.to_batches(max_chunksize=122_880), table.schema))
        try:
            if mode == "replace":
                con.execute(f"delete from {name}")
                con.execute(f"insert into {name} by name select * from incoming")
            else:
                key = extract.key
                if key:  # a row sent again replaces its earlier version
                    cond = " and ".join(f"t.{k} = i.{k}" for k in key)
                    con.execute(f"delete from {name} as t where exists"
                                f" (select 1 from incoming as i where {cond})")
                con.execute(f"insert into {name} by name select * from incoming")
        finally:
            con.unregister("incoming")

    def _convert_currency(self, con: duckdb.DuckDBPyConnection) -> None:
        """Express every deal amount in the reporting currency, keeping the original beside it."""
        con.execute(
            """
            update opportunities as o
            set amount_local = coalesce(o.amount_local, o.amount),
                amount = coalesce(o.amount_local, o.amount) * r.rate
            from currency_rates as r
            where upper(o.currency) = upper(r.currency)
              and upper(o.currency) <> upper($reporting)
            """,
            {"reporting": self.reporting_currency},
        )

    def record_checks(self, results: pl.DataFrame, *, load_id: int | None, accepted: bool) -> None:
        """Keep the latest check results for the data-quality page (rejected loads included)."""
        if results.is_empty():
            return
        frame = results.with_columns(
            pl.lit(_now()).alias("checked_at"),
            pl.lit(load_id, dtype=pl.Int32).alias("load_id"),
            pl.lit(accepted).alias("accepted"),
        )
        try:
            with self.writing() as con:
                self.initialise(con)
                con.register("incoming", frame)
                con.execute("insert into check_results by name select * from incoming")
        except (OSError, duckdb.IOException) as exc:
            raise StoreError(fault_message(exc, "record of the checks")) from exc

    # -- restore ------------------------------------------------------------------------------

    def restore(self, load_id: int, *, loaded_by: str) -> LoadRecord:
        """Bring back the data exactly as it stood right after ``load_id``, as a new load."""
        with self.reader() as con:
            rows = con.execute(
                "select load_id from loads where status = 'accepted' and load_id <= $id order by load_id",
                {"id": load_id},
            ).fetchall()
        history = [int(r[0]) for r in rows]
        if load_id not in history:
            raise StoreError(f"there is no accepted load {load_id} to restore")
        missing = [h for h in history if not (self.archive_dir / str(h)).exists()]
        if missing:
            raise StoreError(f"the archive of load(s) {missing} is missing from {self.archive_dir}")
        frames: dict[str, pl.DataFrame] = {}
        read_cache: dict[Path, object] = {}  # a file several extracts were read from is read once
        for name in EXTRACTS:
            # newest load first, back to the last one that brought the whole extract
            parts: list[pl.DataFrame] = []
            for earlier in reversed(history):
                folder = self.archive_dir / str(earlier)
                replaced = _archived_frame(folder, name, "replace", read_cache)
                if replaced is not None:
                    parts.insert(0, replaced)
                    break
                appended = _archived_frame(folder, name, "append", read_cache)
                if appended is not None:
                    parts.insert(0, appended)
            if parts:
                frame = pl.concat(parts, how="diagonal_relaxed")
                key = list(EXTRACTS[name].key)
                if key and len(parts) > 1:
                    frame = frame.unique(subset=key, keep="last", maintain_order=True)
                frames[name] = frame
            else:
                frames[name] = _conform(EXTRACTS[name], pl.DataFrame())
        flags = _archived_flags([self.archive_dir / str(h) for h in history], frames)
        with self.reader() as con:
            as_of = con.execute("select as_of from loads where load_id = $id", {"id": load_id}).fetchall()[0][0]
        record = self.load(frames, loaded_by=loaded_by, source="restore", flags=flags, as_of=as_of,
                           note=f"restore of load {load_id}", _restored_from=load_id)
        # The Data quality page shows the latest check results: those of the data now in place.
        with self.writing() as con:
            sql.execute(con, "restore_check_results", restored=load_id, new_load=record.load_id, at=_now())
        return record


def _archive(folder: Path, files: Sequence[SourceFile], frames: Mapping[str, pl.DataFrame],
             modes: Mapping[str, LoadMode], with_frames: bool,
             sources: Mapping[str, Sequence[tuple[Path, str]]],
             flags: pl.DataFrame | None = None) -> list[dict[str, object]]:
    """Keep the files as received and each canonical frame, so the load can be restored later.

    Files of the same name (from two folders) are kept side by side (``2-reps.csv``). A frame that
    is nothing but canonical tables of the raw files (``sources``) is kept as a reference to them
    (``<extract>.<mode>.source.json``, with a fingerprint of its rows), the others as Parquet."""
    records: list[dict[str, object]] = []
    archived_as: dict[Path, str] = {}
    for n, f in enumerate(files, 1):
        name = f.name if f.name not in archived_as.values() else f"{n}-{f.name}"
        staged = f.staged if f.staged is not None and f.staged.copy.exists() else None
        if staged is not None:  # copied while the file was checked: moved into place
            before = staged.stamp
            os.replace(staged.copy, folder / name)
            digest = staged.sha256
        else:
            before = file_stamp(f.path)
            digest = _copy_hashing(f.path, folder / name)
        if f.stamp is not None and not (f.stamp == before == file_stamp(f.path)):
            raise StoreError(f"{f.name} changed while it was being checked: nothing was loaded; load it again")
        archived_as[f.path] = name
        records.append({"name": f.name, "archived_as": name, "extract": f.extract, "rows": f.rows,
                        "bytes": (folder / name).stat().st_size, "sha256": digest})
    for parent in {f.staged.copy.parent for f in files if f.staged is not None}:
        with contextlib.suppress(OSError):
            parent.rmdir()  # the upload's staging folder, now empty
    digests = {r["archived_as"]: r["sha256"] for r in records}
    if with_frames:
        for name, frame in frames.items():
            stem = f"{name}.{modes.get(name, 'replace')}"
            tables = sources.get(name)
            if tables and all(path in archived_as for path, _ in tables):
                (folder / f"{stem}.source.json").write_text(json.dumps(
                    {"format": "canonical", "rows": frame.height, "fingerprint": fingerprint(frame),
                     "tables": [{"file": archived_as[path], "loaded_as": path.name, "table": table,
                                 "sha256": digests[archived_as[path]]} for path, table in tables]},
                    indent=2))
            else:
                frame.write_parquet(folder / f"{stem}.parquet", compression="zstd")
    if flags is not None and flags.height:
        flags.write_parquet(folder / FLAGS_FILE, compression="zstd")
    return records


FLAGS_FILE = "flagged_rows.parquet"
_FLAG_COLUMNS: dict[str, pl.DataType] = {
    "extract": pl.String(), "row_key": pl.String(), "file": pl.String(), "line": pl.Int64(),
    "rule": pl.String(), "column_name": pl.String(),
}


def _archived_flags(folders: Sequence[Path], frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The flags of the rows a restore brings back: each extract's, from the load that last
    replaced it and the loads that appended to it since (newest last), for the keys restored."""
    parts: list[pl.DataFrame] = []
    for name in frames:
        chain: list[Path] = []
        for folder in reversed(folders):
            if (folder / f"{name}.replace.parquet").exists() or (folder / f"{name}.replace.source.json").exists():
                chain.insert(0, folder)
                break
            if (folder / f"{name}.append.parquet").exists() or (folder / f"{name}.append.source.json").exists():
                chain.insert(0, folder)
        for folder in chain:
            if (folder / FLAGS_FILE).exists():
                parts.append(pl.read_parquet(folder / FLAGS_FILE).filter(pl.col("extract") == name))
    if not parts:
        return pl.DataFrame(schema=_FLAG_COLUMNS)
    flags = pl.concat(parts, how="diagonal_relaxed").unique(subset=["extract", "row_key", "rule", "column_name"],
                                                            keep="last", maintain_order=True)
    return flags.select(list(_FLAG_COLUMNS))


def fingerprint(frame: pl.DataFrame) -> dict[str, list[float]]:
    """Per column: how many blanks, and a sum of its values (text: of their lengths in bytes; dates
    and times: of their epoch values). Cheap, the same whatever the library versions, and changed
    by any difference in how a file is read: a restore that reads files again checks it."""
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            total = col.str.len_bytes().sum()
        elif dtype.is_temporal():
            total = col.dt.epoch("s").sum() if dtype != pl.Date else col.cast(pl.Int64).sum()
        elif dtype == pl.Boolean or dtype.is_numeric():
            total = col.cast(pl.Float64).sum()
        else:
            total = col.cast(pl.String).str.len_bytes().sum()
        exprs += [col.null_count().cast(pl.Float64).alias(f"{name}\0n"), total.cast(pl.Float64).alias(f"{name}\0s")]
    row = frame.select(exprs).row(0) if exprs else ()
    return {name: [row[2 * i], row[2 * i + 1]] for i, name in enumerate(frame.columns)}


def _same_fingerprint(a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]]) -> bool:
    if set(a) != set(b):
        return False
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6) for k in a for x, y in zip(a[k], b[k], strict=True))


def _archived_frame(folder: Path, name: str, mode: LoadMode,
                    read_cache: dict[Path, object] | None = None) -> pl.DataFrame | None:
    """An extract's frame as a load archived it (None if that load did not bring it in this mode)."""
    parquet = folder / f"{name}.{mode}.parquet"
    if parquet.exists():
        return pl.read_parquet(parquet)
    source = folder / f"{name}.{mode}.source.json"
    if not source.exists():
        return None
    from scorecard.formats import canonical  # the archive's reader is the ingest's, imported on demand

    spec = json.loads(source.read_text())
    read_cache = {} if read_cache is None else read_cache
    tables: list[tuple[Path, str, str]] = []
    for entry in spec["tables"]:
        path = folder / entry["file"]
        if path not in read_cache and (not path.exists() or sha256_of(path) != entry["sha256"]):
            raise StoreError(f"the archived file {path} is missing or has changed since load {folder.name}")
        tables.append((path, entry.get("loaded_as", entry["file"]), entry["table"]))
    try:
        frame = canonical.reread(tables, read_cache)
    except Exception as exc:  # an archive this version cannot read: say so, change nothing
        raise StoreError(f"{name} of load {folder.name} cannot be read again from {source}: {exc}") from exc
    if frame.height != spec["rows"] or not _same_fingerprint(
            fingerprint(_conform(EXTRACTS[name], frame)), spec.get("fingerprint") or {}):
        raise StoreError(f"{name} of load {folder.name} no longer reads from its archived files as it landed"
                         f" ({frame.height:,} rows now, {spec['rows']:,} then, or other values): nothing was"
                         " changed")
    return frame


def _conform(extract: Extract, frame: pl.DataFrame) -> pl.DataFrame:
    """Cast a frame to the extract's columns and types; columns it lacks come in as nulls."""
    dtypes: dict[str, pl.DataType] = {
        "VARCHAR": pl.String(), "DATE": pl.Date(), "TIMESTAMP": pl.Datetime("us"),
        "DOUBLE": pl.Float64(), "BOOLEAN": pl.Boolean(), "INTEGER": pl.Int32(),
    }
    exprs = []
    for col in extract.columns:
        dtype = dtypes[col.type]
        if col.name in frame.columns:
            exprs.append(pl.col(col.name).cast(dtype).alias(col.name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(col.name))
    if frame.width == 0:
        return pl.DataFrame(schema={c.name: dtypes[c.type] for c in extract.columns})
    return frame.select(exprs)
