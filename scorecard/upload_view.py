"""What the Upload page shows, computed without Streamlit: staged files, verdict tables, the
column-mapping editor's rows, a profile preview, and the load history.

The page (``pages/upload.py``) only reads widgets and calls these.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from scorecard.formats import MappedTable
from scorecard.formats.values import DateOrder
from scorecard.ingest import IngestPlan
from scorecard.mapping import (
    PEOPLE_COLUMNS,
    STAGE_OUTCOMES,
    MappingProfile,
    apply_profile,
    profiles_dir,
    save_profile,
    suggest_columns,
)
from scorecard.readers import RawTable
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
    if (failures["severity"] == "error").any():
        return "Checks that failed"
    return "Warnings (the load can go ahead)"


def record_if_rejected(store: Store, plan: IngestPlan) -> None:
    """Keep a rejected upload's check results for the Data quality page (an accepted one's are kept
    when it is loaded)."""
    if not plan.accepted and not plan.checks.is_empty():
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
    """One row per file: what it was recognised as, where it goes, and its verdict."""
    return pl.DataFrame(
        [{"file": v.file, "format": v.format, "read_as": v.details, "extract": v.extract or "-",
          "rows": v.rows, "verdict": v.status} for v in plan.verdicts],
        schema={"file": pl.String, "format": pl.String, "read_as": pl.String, "extract": pl.String,
                "rows": pl.Int64, "verdict": pl.String})


def failures_frame(plan: IngestPlan) -> pl.DataFrame:
    """Every rule that failed: file, severity, column, rule, rows, message, sample rows."""
    return pl.DataFrame(
        [{"file": v.file, "severity": f.severity, "column": f.column or "", "rule": f.rule, "rows": f.rows,
          "message": f.message, "sample": f.sample} for v in plan.verdicts for f in v.failures],
        schema={"file": pl.String, "severity": pl.String, "column": pl.String, "rule": pl.String,
                "rows": pl.Int64, "message": pl.String, "sample": pl.String})


def mapping_frame(table: MappedTable) -> pl.DataFrame:
    return pl.DataFrame({"canonical column": list(table.mapping), "from": list(table.mapping.values())},
                        schema={"canonical column": pl.String, "from": pl.String})


def unmapped_tables(plan: IngestPlan) -> list[MappedTable]:
    """Files whose shape is unknown (or that a canonical name claims but lack columns): the editor's job."""
    return [m for m in plan.tables if m.format == "unknown" or (m.problem and m.rule == "required columns"
                                                                and not m.format.startswith("profile:"))]


def guess_extract(table: RawTable) -> str:
    """The extract whose columns the headers resemble most (the editor's first choice)."""
    best, best_hits = "opportunities", -1
    for name in EXTRACTS:
        hits = sum(1 for v in suggest_columns(table.headers, name).values() if v)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def editor_rows(table: RawTable, extract: str) -> pl.DataFrame:
    """Rows of the column-mapping editor: canonical column, required?, the header suggested for it."""
    suggested = suggest_columns(table.headers, extract)
    ext = EXTRACTS[extract]
    return pl.DataFrame({
        "canonical column": ext.column_names,
        "required": [c.required for c in ext.columns],
        "description": [c.description or ("name, e-mail or ID" if c.name in PEOPLE_COLUMNS else "")
                        for c in ext.columns],
        "header in the file": [suggested[c] or NOT_MAPPED for c in ext.column_names],
    })


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


def profile_from_editor(name: str, extract: str, table: RawTable, editor: object,
                        date_order: str = "auto", stages: dict[str, str] | None = None) -> MappingProfile:
    rows = as_polars(editor)
    columns = {row["canonical column"]: row["header in the file"] for row in rows.iter_rows(named=True)
               if row["header in the file"] and row["header in the file"] != NOT_MAPPED}
    order: DateOrder = "mdy" if date_order == "mdy" else "dmy" if date_order == "dmy" else "auto"
    return MappingProfile(name=name.strip(), extract=extract, columns=columns, headers=list(table.headers),
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
