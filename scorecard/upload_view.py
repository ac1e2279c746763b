"""What the Upload page shows, computed without Streamlit: staged files, verdict tables, the
column-mapping editor's rows, a profile preview, saved profiles, and the load history; and the
page's loads and restores, which run in a child process.

The page (``pages/upload.py``) only reads widgets and calls these.

**Checks, loads and restores from the page run in a child process** (``python -m
scorecard.upload_view JOB``), the way the inbox runs its loads: the app does not carry an upload's
memory nor its processor time (every viewer's pages stay fast), checks that run past the time limit
are stopped by ending the child (with a verdict), and an upload whose page has gone stops too. The
page gets back the plan to show (its frames left out). For a load, the child re-plans the staged files with the
same mapping and append choices and loads only if the plan is the one the uploader confirmed: the
same files read the same way, the same changes, the files unchanged on disk; otherwise it refuses
and changes nothing. It writes its progress to ``status.json`` in the job's folder; the page polls
that file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from scorecard.formats import MappedTable
from scorecard.formats.values import DateOrder
from scorecard.ingest import IngestPlan
from scorecard.mapping import (
    CHOICE_RULE,
    PEOPLE_COLUMNS,
    STAGE_OUTCOMES,
    MappingProfile,
    apply_profile,
    delete_profile,
    load_profiles,
    matching_profiles,
    profiles_dir,
    replace_profile,
    save_profile,
    suggest_columns,
)
from scorecard.readers import RawTable, ReadError, read_path
from scorecard.schema import EXTRACTS
from scorecard.store import Store

NOT_MAPPED = "(not in this file)"
EXTRACT_CHOICES = list(EXTRACTS)


def staging_dir(store: Store) -> Path:
    return store.path.parent / "uploads"


def stage_uploads(store: Store, uploads: Sequence[tuple[str, bytes]]) -> list[Path]:
    """Write uploaded files to a fresh folder beside the database (the archive copies them on load)."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(data).digest() for _, data in uploads)).hexdigest()[:12]
    folder = staging_dir(store) / f"{datetime.now():%Y%m%d-%H%M%S}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in uploads:
        safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(name).name).strip() or "upload.csv"
        path = folder / safe
        path.write_bytes(data)
        paths.append(path)
    return paths


LABELS: dict[str, str] = {
    "read_as": "Read as", "rows_in_file": "Rows in files", "rows_now": "Rows now", "load_id": "Load",
    "loaded_at": "Loaded at", "loaded_by": "Loaded by", "restored_from": "Restore of load",
}
"""Column headings of the page's tables, in words."""


def failures_heading(failures: pl.DataFrame) -> str:
    if (failures["outcome"] == "reject").any():
        return "Checks that failed"
    return "Warnings (the load can go ahead)"


PENDING_RULES = {"recognised format", "required columns", CHOICE_RULE}
"""What a file breaks while its columns are still to be mapped or its profile still to be chosen."""


def _is_pending(plan: IngestPlan) -> pl.Expr:
    files = [m.file for m in pending_tables(plan)]
    return pl.col("file").is_in(files) & pl.col("rule").is_in(sorted(PENDING_RULES))


def rejected_by_checks(plan: IngestPlan) -> bool:
    """True when a check ran and failed (not merely a file still to be mapped or chosen)."""
    return not plan.rejections.filter(~_is_pending(plan)).is_empty()


def record_if_rejected(store: Store, plan: IngestPlan) -> None:
    """Keep a rejected upload's check results for the Data quality page (an accepted one's are kept
    when it is loaded; an upload waiting for its mapping has not been checked yet)."""
    from scorecard.ingest import TIME_LIMIT_RULE

    if TIME_LIMIT_RULE in plan.checks["rule"].to_list():
        return  # recorded by the checking process as it was stopped
    if not plan.accepted and not plan.checks.is_empty() and rejected_by_checks(plan):
        store.record_checks(plan.checks, load_id=None, accepted=False)


def discard_plan(store: Store, plan: object) -> None:
    """Remove the copies a plan the page no longer holds made of its files for the archive."""
    if isinstance(plan, IngestPlan):
        store.discard_staged(plan.staged)


def discard_uploads(staged: Sequence[str]) -> None:
    """Remove the page's copies of uploaded files once a load has archived them."""
    for folder in {Path(p).parent for p in staged}:
        shutil.rmtree(folder, ignore_errors=True)


def files_frame(plan: IngestPlan) -> pl.DataFrame:
    """One row per file: what it was recognised as, where it goes, and its verdict (none yet for a
    file whose columns are still to be mapped or whose profile is still to be chosen)."""
    waiting = {m.file: "to map" for m in unmapped_tables(plan)} | {m.file: "to choose" for m in tables_to_choose(plan)}
    return pl.DataFrame(
        [{"file": v.file, "format": v.format, "read_as": v.details, "extract": v.extract or "-",
          "rows": v.rows, "verdict": waiting.get(v.file, v.status)} for v in plan.verdicts],
        schema={"file": pl.String, "format": pl.String, "read_as": pl.String, "extract": pl.String,
                "rows": pl.Int64, "verdict": pl.String})


def failures_frame(plan: IngestPlan) -> pl.DataFrame:
    """Every rule that failed: file, outcome, column, rule, rows, message, sample rows (a file still
    to be mapped or its profile still to be chosen is not a failure yet: its editor says what it needs)."""
    return pl.DataFrame(
        [{"file": v.file, "outcome": f.outcome, "column": f.column or "", "rule": f.rule, "rows": f.rows,
          "message": f.message, "sample": f.sample} for v in plan.verdicts for f in v.failures],
        schema={"file": pl.String, "outcome": pl.String, "column": pl.String, "rule": pl.String,
                "rows": pl.Int64, "message": pl.String, "sample": pl.String}).filter(~_is_pending(plan))


def mapping_frame(table: MappedTable) -> pl.DataFrame:
    return pl.DataFrame({"canonical column": list(table.mapping), "from": list(table.mapping.values())},
                        schema={"canonical column": pl.String, "from": pl.String})


def unmapped_tables(plan: IngestPlan) -> list[MappedTable]:
    """Files whose shape is unknown (or that a canonical name claims but lack columns): the editor's job."""
    return [m for m in plan.tables if m.rule != CHOICE_RULE and (
        m.format == "unknown" or (m.problem and m.rule == "required columns" and not m.format.startswith("profile:")))]


def tables_to_choose(plan: IngestPlan) -> list[MappedTable]:
    """Files that more than one saved profile matches: the uploader chooses one."""
    return [m for m in plan.tables if m.rule == CHOICE_RULE]


def pending_tables(plan: IngestPlan) -> list[MappedTable]:
    return unmapped_tables(plan) + tables_to_choose(plan)


def profile_candidates(store: Store, table: RawTable) -> list[str]:
    """Names of the saved profiles that match a table's headers."""
    return [p.name for p in matching_profiles(saved_profiles(store), table.headers)]


def guess_extract(table: RawTable) -> str:
    """The extract whose columns the headers resemble most (the editor's first choice)."""
    best, best_hits = "opportunities", -1
    for name in EXTRACTS:
        hits = sum(1 for v in suggest_columns(table.headers, name).values() if v)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def editor_rows(table: RawTable | Sequence[str], extract: str,
                columns: dict[str, str] | None = None) -> pl.DataFrame:
    """Rows of the column-mapping editor: canonical column, required?, the header for it (a saved
    profile's when one is edited, else the suggested one)."""
    headers = table.headers if isinstance(table, RawTable) else list(table)
    chosen = ({c: h for c, h in columns.items() if h in headers} if columns is not None
              else suggest_columns(headers, extract))
    ext = EXTRACTS[extract]
    return pl.DataFrame({
        "canonical column": ext.column_names,
        "required": [c.required for c in ext.columns],
        "description": [c.description or ("name, e-mail or ID" if c.name in PEOPLE_COLUMNS else "")
                        for c in ext.columns],
        "header in the file": [chosen.get(c) or NOT_MAPPED for c in ext.column_names],
    }, schema={"canonical column": pl.String, "required": pl.Boolean, "description": pl.String,
               "header in the file": pl.String})


def paths(staged: Sequence[str]) -> list[Path]:
    return [Path(p) for p in staged]


def as_polars(editor: object) -> pl.DataFrame:
    """The editor's rows as a Polars frame (Streamlit hands back the type it was given, or pandas)."""
    if isinstance(editor, pl.DataFrame):
        return editor
    return pl.from_pandas(editor)  # type: ignore[arg-type]


def header_for(editor: object, column: str) -> str | None:
    """The header the analyst picked for a canonical column, if any."""
    rows = as_polars(editor).filter(pl.col("canonical column") == column)["header in the file"].to_list()
    return rows[0] if rows and rows[0] and rows[0] != NOT_MAPPED else None


def stage_values(table: RawTable, header: str | None) -> list[str]:
    """The distinct stage values of a column, for mapping each to open, won or lost."""
    if not header or header not in table.frame.columns:
        return []
    return sorted(v for v in table.frame[header].drop_nulls().unique().to_list() if str(v).strip())


def guess_outcome(stage: str) -> str:
    low = stage.lower()
    if "won" in low or "signed" in low or "gagn" in low or "ganad" in low:
        return "won"
    if "lost" in low or "perdu" in low or "perdid" in low or "dead" in low:
        return "lost"
    return "open"


def profile_from_editor(name: str, extract: str, table: RawTable | Sequence[str], editor: object,
                        date_order: str = "auto", stages: dict[str, str] | None = None) -> MappingProfile:
    rows = as_polars(editor)
    columns = {row["canonical column"]: row["header in the file"] for row in rows.iter_rows(named=True)
               if row["header in the file"] and row["header in the file"] != NOT_MAPPED}
    order: DateOrder = "mdy" if date_order == "mdy" else "dmy" if date_order == "dmy" else "auto"
    headers = table.headers if isinstance(table, RawTable) else list(table)
    return MappingProfile(name=name.strip(), extract=extract, columns=columns, headers=headers,
                          date_order=order, stages={k: v for k, v in (stages or {}).items() if v in STAGE_OUTCOMES})


def preview_profile(store: Store, table: RawTable, profile: MappingProfile,
                    rows: int = 10) -> tuple[pl.DataFrame, str]:
    """The first mapped rows (canonical columns) and a problem, if the profile cannot be applied."""
    missing = profile.missing_required()
    if missing:
        return pl.DataFrame(), f"map something to the required column(s): {', '.join(missing)}"
    people = None
    if profile.extract != "reps" and store.path.exists():
        from scorecard.ingest import _db_people

        people = _db_people(store)
    mapped = apply_profile(table, profile, people)
    if mapped.problem or mapped.frame is None:
        return pl.DataFrame(), mapped.problem or "nothing mapped"
    shown = [c for c in EXTRACTS[profile.extract].column_names if c in mapped.frame.columns]
    note = "; ".join(mapped.notes)
    return mapped.frame.select(shown).head(rows), note


def save_editor_profile(store: Store, profile: MappingProfile) -> Path:
    return save_profile(profiles_dir(store.path), profile)


# -- saved profiles --------------------------------------------------------------------------------

def saved_profiles(store: Store) -> list[MappingProfile]:
    return load_profiles(profiles_dir(store.path))


def profiles_frame(profiles: Sequence[MappingProfile]) -> pl.DataFrame:
    """One row per saved profile: its name, what it loads, the headers it reads, its file."""
    return pl.DataFrame(
        [{"profile": p.name, "extract": p.extract, "reads": ", ".join(p.columns.values()),
          "file": p.path.name if p.path else ""} for p in profiles],
        schema={"profile": pl.String, "extract": pl.String, "reads": pl.String, "file": pl.String})


def profiles_in_use(plan: IngestPlan | None) -> list[str]:
    """Names of the profiles the current upload was read with (the first is offered for editing)."""
    if plan is None:
        return []
    return [m.format.split(":", 1)[1] for m in plan.tables if m.format.startswith("profile:")]


def table_for_profile(plan: IngestPlan | None, profile: MappingProfile,
                      max_bytes: int = 5_000_000) -> RawTable | None:
    """A table of the current upload that the profile reads, read again (its rows were let go once
    mapped), for the stage values the editor offers; None for none, or for a file too big to read
    on every rerun."""
    if plan is None:
        return None
    for m in plan.tables:
        if not profile.reads(m.table.headers):
            continue
        if m.table.rows and m.table.frame.height:
            return m.table
        try:
            if m.table.path.stat().st_size > max_bytes:
                return None
            return next((t for t in read_path(m.table.path) if t.name == m.table.name), None)
        except (OSError, ReadError):
            return None
    return None


def edit_profile(store: Store, old: MappingProfile, new: MappingProfile) -> Path:
    """Save an edited profile in place of the old one (renamed: the old file goes)."""
    return replace_profile(profiles_dir(store.path), old, new)


def remove_profile(profile: MappingProfile) -> None:
    delete_profile(profile)


# -- loads and restores in a child process ---------------------------------------------------------

JOBS = ".jobs"
RUNNING, PLANNED, LOADED, RESTORED, REFUSED, FAILED = ("running", "planned", "loaded", "restored", "refused",
                                                        "failed")
HEARTBEAT = "heartbeat"
"""File in a checking job's folder that the page touches while it waits: a child whose page stopped
touching it for the ``upload_abandoned_seconds`` setting stops."""
_children: dict[Path, subprocess.Popen[bytes]] = {}
"""The page's running children, by job folder (polled, so none is left a zombie)."""


@dataclass
class JobStatus:
    state: str
    """running, loaded, restored, refused (the plan was not the one confirmed) or failed."""
    message: str = ""
    fraction: float = 0.0
    load_id: int | None = None
    report: str = ""
    steps: list[str] = field(default_factory=list)
    """Every progress message, in order."""

    @property
    def running(self) -> bool:
        return self.state == RUNNING


def plan_summary(plan: IngestPlan) -> dict[str, Any]:
    """What the uploader confirmed: each file as read and checked, the changes, and each file's size
    and modification time (JSON, so the child can compare its own plan with it)."""
    summary = {
        "files": [[v.file, v.format, v.extract, v.status, v.rows] for v in plan.verdicts],
        "changes": plan.changes.to_dicts(),
        "stamps": {str(path): list(stamp) for path, stamp in plan.stamps.items()},
    }
    loaded: dict[str, Any] = json.loads(json.dumps(summary, default=str))
    return loaded


def plan_difference(confirmed: dict[str, Any], plan: IngestPlan) -> str | None:
    """Why a new plan is not the one confirmed, in words; None when it is the same."""
    now = plan_summary(plan)
    if now["stamps"] != confirmed["stamps"]:
        changed = sorted(Path(p).name for p in set(now["stamps"]) | set(confirmed["stamps"])
                         if now["stamps"].get(p) != confirmed["stamps"].get(p))
        return f"{', '.join(changed)} changed on disk after it was checked"
    if now["files"] != confirmed["files"]:
        return "the files are no longer read and checked as they were (a mapping profile was changed?)"
    if now["changes"] != confirmed["changes"]:
        return "the data in place changed after the preview (another load landed)"
    if not plan.accepted:
        return "the files no longer pass the checks"
    return None


def _job_folder(store: Store) -> Path:
    folder = staging_dir(store) / JOBS / f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    return folder


def _start(store: Store, spec: dict[str, Any]) -> Path:
    for earlier, child in list(_children.items()):  # children of pages left while they ran: reaped
        if child.poll() is not None:
            _children.pop(earlier, None)
    folder = _job_folder(store)
    spec = {**spec, "db": str(store.path), "archive_dir": str(store.archive_dir),
            "reporting_currency": store.reporting_currency}
    (folder / "job.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    (folder / HEARTBEAT).touch()
    _write_status(folder, JobStatus(RUNNING, "starting the load" if spec["kind"] == "load" else "starting"))
    with (folder / "child.log").open("wb") as log:
        _children[folder] = subprocess.Popen([sys.executable, "-m", "scorecard.upload_view", str(folder)],
                                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return folder


def start_load(store: Store, plan: IngestPlan, *, mapping: str | None, append: bool, loaded_by: str,
               as_of: date | None = None) -> Path:
    """Load what the uploader confirmed, in a child process; returns the job's folder to poll."""
    return _start(store, {"kind": "load", "paths": [str(p) for p in plan.paths], "mapping": mapping,
                          "append": append, "as_of": as_of.isoformat() if as_of else None,
                          "loaded_by": loaded_by, "confirmed": plan_summary(plan)})


def as_of_caption(plan: IngestPlan, *, given: bool) -> str:
    """Where the data's as-of date comes from, in words."""
    if plan.as_of is None:
        return "These files carry no dates: the data stays as of the date of what is loaded now."
    source = "as you set it" if given else "from the files (a CRM export's newest change, else the newest date)"
    return f"Data as of {plan.as_of:%d %b %Y}, {source}: scores, stalled deals and pace are measured on that day."


def plan_upload(store: Store, staged: Sequence[str], *, mapping: str | None, append: bool, as_of: date | None,
                progress: Callable[[str, float], None], wanted: Callable[[], bool] = lambda: True,
                poll: float = 0.25) -> IngestPlan | None:
    """Read, map, check and preview the staged files in a child process; the plan to show.

    Waits for the child, telling ``progress`` how it goes; checks past the time limit come back as a
    refused plan saying so. When ``wanted`` turns false (the uploader left) or this is interrupted
    (the page's run was stopped), the child is stopped and None returned."""
    folder = _start(store, {"kind": "plan", "paths": list(staged), "mapping": mapping, "append": append,
                            "as_of": as_of.isoformat() if as_of else None})
    child = _children[folder]
    try:
        while True:
            (folder / HEARTBEAT).touch()
            status = job_status(folder)
            if not status.running:
                break
            if not wanted():
                return None
            progress(status.message, status.fraction)
            time.sleep(poll)
        if status.state == PLANNED:
            with (folder / "plan.pickle").open("rb") as handle:
                plan: IngestPlan = pickle.load(handle)  # written by our own child, in our own folder
            return plan
        from scorecard.ingest import TIME_LIMIT_RULE, refused_plan

        rule = TIME_LIMIT_RULE if status.state == REFUSED else "checks ran to the end"
        return refused_plan(paths(staged), rule, status.message)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        end_job(folder)


def start_restore(store: Store, load_id: int, *, loaded_by: str) -> Path:
    """Restore an earlier load, in a child process; returns the job's folder to poll."""
    return _start(store, {"kind": "restore", "load_id": int(load_id), "loaded_by": loaded_by})


def job_status(folder: Path) -> JobStatus:
    """Where a job stands. A child that ended without saying how is a failure, with its last words."""
    status = _read_status(folder)
    child = _children.get(folder)
    ended = child is None or child.poll() is not None
    if status.running and ended:
        log = folder / "child.log"
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] if log.exists() else []
        status = JobStatus(FAILED, "the process stopped before it finished"
                           + (f" ({tail[0][:300]})" if tail else ""), steps=status.steps)
    if ended:
        _children.pop(folder, None)
    return status


def end_job(folder: Path) -> None:
    """Forget a finished job (its folder goes)."""
    child = _children.pop(folder, None)
    if child is not None:
        child.wait()
    shutil.rmtree(folder, ignore_errors=True)


def _read_status(folder: Path) -> JobStatus:
    try:
        data = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return JobStatus(RUNNING, "starting")
    return JobStatus(**data)


def _write_status(folder: Path, status: JobStatus) -> None:
    """Replace status.json in one step (the page never reads half a file)."""
    part = folder / "status.json.part"
    part.write_text(json.dumps(status.__dict__), encoding="utf-8")
    os.replace(part, folder / "status.json")


def run_job(folder: Path) -> JobStatus:
    """The child's work: load (re-planned and compared) or restore, saying how it goes."""
    from scorecard.ingest import commit_plan, plan_ingest
    from scorecard.store import StoreError

    spec = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    if spec["kind"] == "plan":  # from the start: importing the checks alone takes seconds
        from scorecard.settings import get_settings

        threading.Thread(target=_stop_when_abandoned, args=(folder, get_settings().upload_abandoned_seconds),
                         daemon=True).start()
    store = Store(Path(spec["db"]), archive_dir=spec["archive_dir"], reporting_currency=spec["reporting_currency"])
    steps: list[str] = []

    def say(message: str, fraction: float) -> None:
        steps.append(message)
        _write_status(folder, JobStatus(RUNNING, message, fraction, steps=steps))

    def end(state: str, message: str, load_id: int | None = None, report: str = "") -> JobStatus:
        status = JobStatus(state, message, 1.0, load_id, report, steps)
        _write_status(folder, status)
        return status

    try:
        if spec["kind"] == "plan":
            return _plan_job(folder, store, spec, say, end)
        if spec["kind"] == "restore":
            load_id = int(spec["load_id"])
            say(f"restoring load {load_id}: reading its archive and loading it in one transaction", 0.1)
            record = store.restore(load_id, loaded_by=spec["loaded_by"])
            return end(RESTORED, f"Load {load_id} restored as load {record.load_id}.", record.load_id)
        say("checking the files again before loading them", 0.0)
        as_of = date.fromisoformat(spec["as_of"]) if spec.get("as_of") else None
        plan = plan_ingest(store, [Path(p) for p in spec["paths"]], mapping=spec["mapping"], append=spec["append"],
                           as_of=as_of, progress=lambda message, fraction: say(message, 0.9 * fraction))
        different = plan_difference(spec["confirmed"], plan)
        if different:
            store.discard_staged(plan.staged)
            return end(REFUSED, f"Not loaded: {different}. Nothing was changed: check the new preview and"
                                " confirm again.", report=plan.report())
        say("loading in one transaction", 0.92)
        result = commit_plan(store, plan, loaded_by=spec["loaded_by"], source="upload")
        say("done", 1.0)
        return end(LOADED, f"Loaded as load {result.load.load_id}." if result.load else "Loaded.",
                   result.load.load_id if result.load else None, result.report())
    except StoreError as exc:  # busy database, a file changed, an archive that no longer reads
        if spec["kind"] == "restore":
            return end(FAILED, f"Load {spec['load_id']} was not restored: {exc}")
        return end(FAILED, f"Not loaded: {exc}. Nothing was changed.")
    except Exception as exc:  # a verdict, never a silent stop: the page says it and the log keeps the trace
        traceback.print_exc()
        return end(FAILED, f"Nothing was changed: the load stopped ({type(exc).__name__}: {str(exc)[:300]})")


def _plan_job(folder: Path, store: Store, spec: dict[str, Any], say: Callable[[str, float], None],
              end: Callable[..., JobStatus]) -> JobStatus:
    """The child's checks for the page: stopped at the time limit, or when the page stops waiting."""
    from scorecard.ingest import checks_time_limit, plan_ingest
    from scorecard.settings import get_settings

    staged = [Path(p) for p in spec["paths"]]
    as_of = date.fromisoformat(spec["as_of"]) if spec.get("as_of") else None

    def refused(_verdict: str) -> None:
        from scorecard.ingest import time_limit_message

        _write_status(folder, JobStatus(REFUSED, time_limit_message(get_settings().check_time_limit_seconds), 1.0))

    with checks_time_limit(store, staged, say=refused):
        plan = plan_ingest(store, staged, mapping=spec["mapping"], append=spec["append"], as_of=as_of, progress=say)
    # what the page shows, not what it loads: a load re-plans the files in its own child
    store.discard_staged(plan.staged)
    plan.staged = {}
    plan.frames = {name: frame.clear() for name, frame in plan.frames.items()}
    for table in plan.tables:
        table.frame = None
    part = folder / "plan.pickle.part"
    with part.open("wb") as handle:
        pickle.dump(plan, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, folder / "plan.pickle")
    return end(PLANNED, "checked")


def _stop_when_abandoned(folder: Path, seconds: float) -> None:
    """End this (checking) process once the page has stopped waiting for it for ``seconds``."""
    beat = folder / HEARTBEAT
    while True:
        time.sleep(min(1.0, seconds / 4))
        try:
            quiet = time.time() - beat.stat().st_mtime
        except OSError:  # the folder is gone: the page ended the job
            quiet = seconds + 1
        if quiet > seconds:
            os._exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scorecard.upload_view JOB_FOLDER``: exit 0 planned, loaded or restored, 1 otherwise."""
    args = list(argv if argv is not None else sys.argv[1:])
    status = run_job(Path(args[0]))
    return 0 if status.state in (PLANNED, LOADED, RESTORED) else 1


def load_history(store: Store) -> pl.DataFrame:
    """Accepted loads, newest first, as the page lists them."""
    if not store.path.exists():
        return pl.DataFrame()
    loads = store.loads()
    if loads.is_empty():
        return loads
    return loads.select(
        "load_id", "loaded_at", "loaded_by", "source",
        pl.col("extracts").list.join(", ").alias("extracts"),
        pl.col("restored_from"), pl.col("note"))


if __name__ == "__main__":
    raise SystemExit(main())
