"""``scorecard report`` and ``scorecard digest``: the PDF packs and the weekly e-mails on the command line.

    scorecard report board --db PATH [--period 2026Q3] --out board.pdf
    scorecard report one-on-one --db PATH --leader U0005 [--period 2026Q3] --out u0005.pdf
        (--viewer EMAIL: the pack that person may see, by the access file and the CRM hierarchy)
    scorecard digest --db PATH [--period 2026Q3] [--dry-run [--outbox DIR]]

Modules that render or send are imported when the command runs, so ``scorecard --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from scorecard import cli


def _db(args: argparse.Namespace) -> Path:
    from scorecard.settings import get_settings

    db = Path(args.db) if args.db else get_settings().db
    if not db.exists():
        raise SystemExit(f"error: no database at {db} (build one with `scorecard demo --db {db}`)")
    return db


def _as_of(args: argparse.Namespace) -> date | None:
    if not getattr(args, "as_of", None):
        return None
    try:
        return date.fromisoformat(args.as_of)
    except ValueError:
        raise SystemExit(f"error: --as-of {args.as_of!r} is not a date like 2023-12-29") from None


def cmd_report(args: argparse.Namespace) -> int:
    from scorecard import reports
    from scorecard.access import AccessPolicy, viewer_for_email
    from scorecard.api import Scorecard
    from scorecard.settings import get_settings
    from scorecard.store import Store

    db = _db(args)
    settings = get_settings(db=db)
    viewer = None
    if args.viewer:
        with Store(db).reader() as con:
            viewer = viewer_for_email(con, args.viewer, AccessPolicy.from_file(settings.resolved_access_file()))
        if not viewer.visible_reps:
            print(f"error: {args.viewer} may see no one ({' '.join(viewer.notes)})", file=sys.stderr)
            return 2
    card = Scorecard.open(db, viewer=viewer, settings=settings, today=_as_of(args))
    try:
        period = card.period(args.period)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.kind == "board":
        pdf = reports.board_pack(card, period)
    else:
        if not args.leader:
            print("error: a one-on-one pack needs --leader ID", file=sys.stderr)
            return 2
        try:
            pdf = reports.one_on_one_pack(card, args.leader, period)
        except KeyError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    print(f"wrote {out} ({len(pdf) // 1024} KB): {args.kind} pack for {period.label}. {reports.as_of_line(card)}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from scorecard import digest
    from scorecard.settings import get_settings
    from scorecard.store import Store

    db = _db(args)
    settings = get_settings(db=db)
    store = Store(db, archive_dir=settings.archive_dir, reporting_currency=settings.reporting_currency)
    planned = digest.plan(store, settings, args.period, today=_as_of(args),
                          progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    for note in planned.notes:
        print(f"note: {note}", file=sys.stderr)
    if not planned.messages:
        print("nothing new to send: every digest, summary and alert of this period was sent already")
        return 0
    if args.dry_run:
        folder = Path(args.outbox) if args.outbox else settings.resolved_digest_outbox()
        written = digest.write_outbox(planned.messages, folder, settings.mail_from)
        for message in planned.messages:
            print(f"would send {digest.describe(message)}")
        print(f"dry run: {len(written)} messages written to {folder}, nothing sent or recorded")
        return 0
    from scorecard.api import Scorecard

    card = Scorecard.open(db, settings=settings)
    try:
        sent = digest.send(card, settings, planned.messages)
    except (OSError, digest.smtplib.SMTPException) as exc:
        print(f"error: the mail server {settings.smtp_host}:{settings.smtp_port} refused or failed: {exc}",
              file=sys.stderr)
        return 2
    for message in planned.messages:
        print(f"sent {digest.describe(message)}")
    print(f"{sent} messages sent through {settings.smtp_host}:{settings.smtp_port}")
    return 0


def register(sub: argparse._SubParsersAction, with_db: Callable[..., argparse.ArgumentParser]) -> None:
    report = with_db(sub.add_parser("report", help="write the board pack or a leader's 1:1 pack as a PDF"))
    report.add_argument("kind", choices=["board", "one-on-one"])
    report.add_argument("--period", help="fiscal quarter like 2026Q3 (default: the quarter of the data's as-of date)")
    report.add_argument("--leader", help="the leader's rep_id (one-on-one)")
    report.add_argument("--out", required=True, help="the PDF file to write")
    report.add_argument("--viewer", metavar="EMAIL", help="only what this person may see (default: everyone)")
    report.add_argument("--as-of", dest="as_of", metavar="DATE",
                        help="measure as of this date (YYYY-MM-DD) instead of the data's as-of date")

    mail = with_db(sub.add_parser("digest", help="e-mail each leader's weekly digest, the board summary and alerts"))
    mail.add_argument("--period", help="fiscal quarter like 2026Q3 (default: the quarter of the data's as-of date)")
    mail.add_argument("--dry-run", action="store_true",
                      help="write the messages to a folder and list them; send and record nothing")
    mail.add_argument("--outbox", help="folder for --dry-run (default: $SCORECARD_DIGEST_OUTBOX or outbox/ beside"
                                       " the database)")
    mail.add_argument("--as-of", dest="as_of", metavar="DATE",
                      help="measure as of this date (YYYY-MM-DD) instead of the data's as-of date")


if register not in cli._EXTENSIONS:
    cli._EXTENSIONS.append(register)
cli.COMMANDS["report"] = cmd_report
cli.COMMANDS["digest"] = cmd_digest
