"""The inbox folder: files dropped there are loaded by the running app within seconds.

Every file that has stopped growing is taken; the files found in one pass are one upload (so a
Salesforce export's CSVs land together). They go through the one ingest path, then move to
``processed/<time>/`` or ``rejected/<time>/`` with the verdict beside them as ``verdict.txt``.
No database connection is held between passes, so the CLI and the app keep working alongside.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scorecard.store import Store

if TYPE_CHECKING:  # the checks import Great Expectations (seconds): only when a file arrives
    from scorecard.ingest import IngestResult

log = logging.getLogger(__name__)
SETTLE_SECONDS = 1.0
"""A file modified more recently than this may still be being copied: it waits for the next pass."""
PARTIAL_SUFFIXES = {".part", ".tmp", ".crdownload", ".partial", ".download"}
_watchers: dict[Path, threading.Thread] = {}
_lock = threading.Lock()


@dataclass
class InboxOutcome:
    accepted: bool
    files: list[Path]
    """Where the files are now (under processed/ or rejected/)."""
    verdict_file: Path
    result: IngestResult


def waiting_files(inbox: Path, settle_seconds: float = SETTLE_SECONDS) -> list[Path]:
    """Files in the inbox ready to be taken (complete, not hidden, not partial downloads)."""
    if not inbox.is_dir():
        return []
    now = time.time()
    ready = []
    for path in sorted(inbox.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")) or path.suffix.lower() in PARTIAL_SUFFIXES:
            continue
        if now - path.stat().st_mtime < settle_seconds:
            continue
        ready.append(path)
    return ready


def process_inbox(store: Store, inbox: Path, *, loaded_by: str = "inbox", settle_seconds: float = SETTLE_SECONDS,
                  time_limited: bool = False) -> InboxOutcome | None:
    """Take what is waiting in ``inbox`` as one upload; None when there is nothing to do.

    ``time_limited`` (the child process the app runs): checks past the time limit end the process
    after the files are filed under rejected/ with that verdict."""
    files = waiting_files(inbox, settle_seconds)
    if not files:
        return None
    from scorecard.ingest import ingest_files

    def refused(verdict: str) -> None:
        _file_away(inbox, files, False, verdict)
        print(verdict)

    result = ingest_files(store, files, loaded_by=loaded_by, source="inbox",
                          stop_at_time_limit=refused if time_limited else None)
    moved, verdict = _file_away(inbox, files, result.accepted, result.report())
    return InboxOutcome(result.accepted, moved, verdict, result)


def _file_away(inbox: Path, files: list[Path], accepted: bool, verdict: str) -> tuple[list[Path], Path]:
    """Move the files to processed/<time>/ or rejected/<time>/ with the verdict beside them."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = inbox / ("processed" if accepted else "rejected") / stamp
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in files:
        destination = target / path.name
        shutil.move(str(path), destination)
        moved.append(destination)
    verdict_file = target / "verdict.txt"
    verdict_file.write_text(verdict + "\n", encoding="utf-8")
    return moved, verdict_file


def _watch(db: Path, inbox: Path, interval: float, stop: threading.Event) -> None:
    """Every ``interval`` s, if files wait, load them in a child process.

    A child process, not this thread: the checks import Great Expectations and hold the upload in
    memory, which the app need not keep. The pages never wait for the load (they read the version
    in place until the new one replaces it), and loads from the CLI wait for each other's turn.
    On start, what killed work left behind (half-made database copies, archive folders of loads that
    never landed, staged uploads of processes that are gone) is removed first.
    """
    with contextlib.suppress(Exception):
        from scorecard.settings import get_settings

        Store(db, archive_dir=get_settings().archive_dir).tidy()
    while not stop.is_set():
        try:
            if waiting_files(inbox):
                done = subprocess.run([sys.executable, "-m", "scorecard.inbox", str(db), str(inbox)],
                                      capture_output=True, text=True, timeout=3600, check=False)
                if done.returncode not in (0, 1):
                    log.error("inbox pass failed: %s", done.stderr[-2000:])
        except Exception:  # a bad pass must not kill the watcher; the next pass tries again
            log.exception("inbox pass failed")
        stop.wait(interval)


def start_inbox_watcher(db: Path, inbox: Path, interval: float = 2.0) -> threading.Thread:
    """Start (once per inbox folder) a background thread that processes the inbox every ``interval`` s.

    The app calls this on start; calling it again (every Streamlit rerun) returns the same thread.
    """
    inbox = Path(inbox).resolve()
    with _lock:
        running = _watchers.get(inbox)
        if running is not None and running.is_alive():
            return running
        inbox.mkdir(parents=True, exist_ok=True)
        stop = threading.Event()
        thread = threading.Thread(target=_watch, args=(Path(db), inbox, interval, stop),
                                  name=f"scorecard-inbox-{inbox.name}", daemon=True)
        thread.stop_event = stop  # type: ignore[attr-defined]
        thread.start()
        _watchers[inbox] = thread
        return thread


def stop_inbox_watcher(inbox: Path) -> None:
    """Stop the watcher of ``inbox`` (tests and shutdown)."""
    inbox = Path(inbox).resolve()
    with _lock:
        thread = _watchers.pop(inbox, None)
    if thread is not None:
        thread.stop_event.set()  # type: ignore[attr-defined]
        thread.join(timeout=30)


def main(argv: list[str] | None = None) -> int:
    """``python -m scorecard.inbox DB INBOX``: one pass; exit 0 accepted or nothing to do, 1 rejected."""
    args = argv if argv is not None else sys.argv[1:]
    from scorecard.settings import get_settings

    settings = get_settings()
    store = Store(Path(args[0]), archive_dir=settings.archive_dir,
                  reporting_currency=settings.reporting_currency)
    outcome = process_inbox(store, Path(args[1]), time_limited=True)
    if outcome is not None:
        print(outcome.result.report(), flush=True)
        if outcome.accepted:  # in this child process: the app's viewers read on meanwhile
            from scorecard.api import score_after_load

            print(score_after_load(store.path, get_settings(db=store.path)))
    return 0 if outcome is None or outcome.accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
