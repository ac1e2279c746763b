"""``scorecard ingest --db PATH [--mapping PROFILE] [--append] [--as-of DATE] FILE...``: the ingest path on
the command line.

Exits 0 when the load is accepted, 1 when it is rejected, and prints the verdict either way.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from scorecard import cli


def cmd_ingest(args: argparse.Namespace) -> int:
    from scorecard.ingest import ingest_files  # the checks are imported only when files are checked

    store = cli._store(args)
    paths = [Path(p) for p in args.files]
    progress = None
    if args.progress:
        def progress(message: str, fraction: float) -> None:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
    result = ingest_files(store, paths, loaded_by=args.by or getpass.getuser(), source="cli",
                          mapping=args.mapping, append=args.append, as_of=args.as_of, progress=progress,
                          stop_at_time_limit=print)  # a runaway check: stopped, with its verdict
    print(result.report(), flush=True)
    if result.accepted and not args.no_score:
        from scorecard.api import score_after_load

        print(score_after_load(store.path))
    return 0 if result.accepted else 1


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2023-12-29") from None


def register(sub: argparse._SubParsersAction, with_db: Callable[..., argparse.ArgumentParser]) -> None:
    parser = with_db(sub.add_parser("ingest", help="check and load CRM files (CSV, XLSX, zip)"))
    parser.add_argument("files", nargs="+", help="CSV, TSV, XLSX files or zip archives of them")
    parser.add_argument("--mapping", help="name of a saved mapping profile to read the files with (when two saved"
                                          " profiles match a file's headers, the verdict names both: pick one)")
    parser.add_argument("--append", action="store_true",
                        help="add activities and coaching to what is loaded instead of replacing them")
    parser.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                        help="the date the data is as of (default: a Salesforce export's newest modification"
                             " stamp, else the newest date in the data that is not in the future)")
    parser.add_argument("--by", help="who is loading (recorded in the load history; default: your user)")
    parser.add_argument("--progress", action="store_true", help="print progress to stderr")
    parser.add_argument("--no-score", action="store_true",
                        help="do not score the recent quarters once the data is in place (by default they are,"
                             " and kept beside the database, so the first page, pack or digest after the load"
                             " does not wait for them)")


if register not in cli._EXTENSIONS:
    cli._EXTENSIONS.append(register)
cli.COMMANDS["ingest"] = cmd_ingest
