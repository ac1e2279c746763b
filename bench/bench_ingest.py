"""Benchmark of the one ingest path against DuckDB's own CSV load (the floor).

``run(csv_dir, work_dir)`` times, on the canonical CSVs of the large org:

- ``seconds``: ``ingest_files`` into a fresh database (read, recognise, map, Great Expectations
  suites and relational checks, preview, one-transaction load with archive and snapshots), with the
  time of each phase beside it;
- with :func:`duckdb_floor`, the floor: ``create table ... as select * from read_csv(...)`` of the
  same files into a fresh database file, no checks.

``bench/run.py`` runs each in its own process, in turns, several times, and records peak memory.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb

from scorecard.ingest import ingest_files
from scorecard.store import Store


def duckdb_floor(csvs: list[Path], work_dir: Path) -> float:
    target = work_dir / "floor.duckdb"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(target))
    for path in csvs:
        con.execute(f"create table {path.stem} as select * from read_csv($path)", {"path": str(path)}).fetchall()
    con.close()
    return time.perf_counter() - started


def run(csv_dir: Path, work_dir: Path) -> dict[str, float]:
    csvs = sorted(Path(csv_dir).glob("*.csv"))
    # The activities extract of the large org (~700 MB) is over the default upload limit.
    os.environ.setdefault("SCORECARD_UPLOAD_LIMIT_MB", "4000")
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "large.duckdb"  # bench/run.py scores this database next
    db.unlink(missing_ok=True)
    shutil.rmtree(work_dir / "archive", ignore_errors=True)
    started = time.perf_counter()
    result = ingest_files(Store(db), csvs, loaded_by="bench", source="bench")
    seconds = time.perf_counter() - started
    if not result.accepted:
        raise RuntimeError(f"the benchmark org was rejected:\n{result.report()}")
    figures = {"seconds": seconds, **{f"{k}_seconds": v for k, v in result.timings.items()}}
    return figures


if __name__ == "__main__":
    out = run(Path(sys.argv[1]), Path(sys.argv[2]))
    out["duckdb_floor_seconds"] = duckdb_floor(sorted(Path(sys.argv[1]).glob("*.csv")), Path(sys.argv[2]))
    (Path(sys.argv[2]) / "floor.duckdb").unlink(missing_ok=True)
    for key, value in out.items():
        print(f"{key:>28}: {value:,.2f}")
    print(f"{'ratio to the floor':>28}: {out['seconds'] / out['duckdb_floor_seconds']:.2f}x")
    print(f"{'peak memory (MB)':>28}: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}")
