"""The ``scorecard`` command line: the same package the app and notebooks use."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scorecard.store import Store

Handler = Callable[[argparse.Namespace], int]
"""Commands import what they need when they run, so that ``scorecard --help`` answers at once."""


def _store(args: argparse.Namespace) -> Store:
    from scorecard.settings import get_settings
    from scorecard.store import Store

    settings = get_settings()
    db = Path(args.db) if getattr(args, "db", None) else settings.db
    return Store(db, archive_dir=settings.archive_dir or None,
                 reporting_currency=settings.reporting_currency)


def cmd_demo(args: argparse.Namespace) -> int:
    from scorecard.demo import build_demo_database

    store = _store(args)
    if store.path.exists() and not args.force:
        print(f"{store.path} already exists; use --force to rebuild it")
        return 0
    record = build_demo_database(store, scale=args.scale, seed=args.seed, force=args.force,
                                 progress=lambda msg: print(msg, flush=True))
    total = sum(record.row_counts.values())
    print(f"demo database ready at {store.path}: load {record.load_id}, {total:,} rows")
    return 0


def cmd_loads(args: argparse.Namespace) -> int:
    frame = _store(args).loads()
    if frame.is_empty():
        print("no loads yet")
        return 0
    for row in frame.iter_rows(named=True):
        origin = f" (restore of {row['restored_from']})" if row["restored_from"] else ""
        print(f"{row['load_id']:>5}  {row['loaded_at']:%Y-%m-%d %H:%M:%S}  {row['status']:<9}"
              f" {row['source']:<8} {row['loaded_by']:<20} {','.join(row['extracts'])}{origin}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    record = _store(args).restore(args.load_id, loaded_by=args.by)
    print(f"restored load {args.load_id} as load {record.load_id}")
    return 0


COMMANDS: dict[str, Handler] = {"demo": cmd_demo, "loads": cmd_loads, "restore": cmd_restore}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorecard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", help="database file (default: $SCORECARD_DB or data/scorecard.duckdb)")
        return p

    demo = with_db(sub.add_parser("demo", help="build the demo database"))
    demo.add_argument("--scale", type=float, default=1.0, help="1 = demo org; 16.7 = benchmark org")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--force", action="store_true", help="rebuild even if the database exists")

    with_db(sub.add_parser("loads", help="list the loads, newest first"))

    restore = with_db(sub.add_parser("restore", help="bring back the data of an earlier load"))
    restore.add_argument("load_id", type=int)
    restore.add_argument("--by", default="cli", help="who is restoring (recorded in the load history)")

    for register in _EXTENSIONS:
        register(sub, with_db)
    return parser


# Other modules add their own subcommands here: (subparsers, with_db) -> None, and an entry in COMMANDS.
_EXTENSIONS: list[Callable[[argparse._SubParsersAction, Callable[..., argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    args = build_parser().parse_args(argv)
    from scorecard.store import StoreError

    try:
        return COMMANDS[args.command](args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _load_extensions() -> None:
    """Import the modules that contribute subcommands (ingest, score, explain, report, digest)."""
    import importlib

    for module in ("scorecard.ingest_cli", "scorecard.scoring_cli", "scorecard.reports_cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    # Run as `python -m scorecard.cli`, this file is `__main__`, a second copy of the module: the
    # subcommands that other modules add register on `scorecard.cli`, so that is the one to run.
    from scorecard.cli import main as _main

    raise SystemExit(_main())
