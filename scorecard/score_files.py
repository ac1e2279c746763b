"""The whole org's scores kept on disk, shared by every process that reads the same data.

Scoring the org for a quarter takes seconds on a large org (every metric of every leader, each a
percentile among all their peers), and a board pack reads nine quarters of them. The app keeps
them in memory per data version, but a fresh process (``scorecard report``, ``scorecard digest``,
each app replica) would score them all again. Here each quarter is kept as Parquet files in a
folder beside the database (the ``score_cache_dir`` setting, default ``scores/`` beside it), so a
quarter is scored once per data version and rubric, whoever asks first.

Layout: ``<folder>/<database file name>/<data identity>/<what>-<key>/<frame>.parquet``.

- The *data identity* (``Store.data_identity``) is the newest load's id and the moment it was
  recorded: a new load, a restore or a database built again from scratch (whose first load is
  load 1 again) each get a folder of their own, and a folder is never read for other data.
- The key is a fingerprint of the period, the part of it measured (the as-of date), the rubric, the
  fiscal year, :data:`FORMAT` and the scoring code itself (:func:`code_fingerprint`: an upgrade
  that changes how a metric is computed scores again); the key's text is kept beside the frames
  and compared on reading.
- An entry is written whole or not at all: its files are written into a temporary folder that is
  then renamed into place. Two processes scoring the same quarter at once both write; the first
  rename wins and the other copy is thrown away.
- Writing for a data identity removes the folders of older data (recorded earlier), so the folder
  holds the data in force and whatever a process still reading the version just replaced wrote.
- A missing, partial, damaged or unreadable entry is scored again, never an error; a folder that
  cannot be written (a read-only install) only means nothing is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)

FORMAT = 1
"""Bumped whenever what is kept changes shape or meaning: older files are then never read."""

_KEY_FILE = "key.json"
_WRITING = ".writing-"


SCORING_MODULES = ("api", "as_of", "calendar", "drilldown", "explain", "format", "metrics", "rubric", "score_files",
                   "scoring", "sql")
"""The modules what is kept is computed by (with every query): a change to one scores again."""


@cache
def code_fingerprint() -> str:
    """A fingerprint of the code scores are computed by: :data:`SCORING_MODULES` and the queries."""
    from scorecard.sql import QUERIES_DIR

    digest = hashlib.sha1()
    package = Path(__file__).resolve().parent
    modules = [package / f"{name}.py" for name in SCORING_MODULES]
    for path in sorted([*modules, *QUERIES_DIR.glob("*.sql")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _safe(text: str) -> str:
    """A file name made of ``text``: letters, digits, dash, dot and underscore kept, the rest '_'."""
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)


class ScoreFiles:
    """The kept scores of one database (see the module's text)."""

    def __init__(self, folder: Path, database: Path, *, keep: bool = True) -> None:
        self.folder = Path(folder) / _safe(Path(database).name)
        self.keep = keep
        """False: nothing is read or written (the ``keep_scores`` setting)."""

    def _entry(self, identity: str, what: str, key: Sequence[object]) -> tuple[Path, str]:
        text = json.dumps([FORMAT, code_fingerprint(), what, *[str(k) for k in key]])
        digest = hashlib.sha1(text.encode()).hexdigest()[:20]
        return self.folder / _safe(identity) / f"{_safe(what)}-{digest}", text

    def read(self, identity: str, what: str, key: Sequence[object],
             names: Sequence[str]) -> dict[str, pl.DataFrame] | None:
        """The frames kept under (``identity``, ``what``, ``key``), or None when they are not all
        there and whole."""
        if not self.keep:
            return None
        entry, text = self._entry(identity, what, key)
        try:
            found = (entry / _KEY_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:  # not kept (an entry is renamed into place with its key file)
            return None
        except Exception as exc:
            log.warning("kept scores in %s could not be read (%s); they are computed again", entry, exc)
            return None
        try:
            if found != text:
                raise ValueError("the entry is not the one asked for")
            return {name: pl.read_parquet(entry / f"{name}.parquet") for name in names}
        except Exception as exc:  # damaged, partial or unreadable: removed, scored again and written again
            log.warning("kept scores in %s could not be read (%s); they are computed again", entry, exc)
            with contextlib.suppress(OSError):
                shutil.rmtree(entry)
            return None

    def write(self, identity: str, what: str, key: Sequence[object], frames: Mapping[str, pl.DataFrame]) -> None:
        """Keep ``frames`` under (``identity``, ``what``, ``key``), whole or not at all; nothing is
        raised when the folder cannot be written."""
        if not self.keep:
            return
        entry, text = self._entry(identity, what, key)
        temporary = entry.with_name(f"{_WRITING}{entry.name}-{uuid.uuid4().hex}")
        try:
            temporary.mkdir(parents=True)
            for name, frame in frames.items():
                frame.write_parquet(temporary / f"{name}.parquet", statistics=False)
            (temporary / _KEY_FILE).write_text(text, encoding="utf-8")
            try:
                os.rename(temporary, entry)  # a folder renamed onto a missing name: atomic
            except OSError:
                if not entry.exists():
                    raise
                # the name is taken: another process kept the same scores first, and its copy stays
        except OSError as exc:
            log.warning("scores could not be kept in %s (%s); they are computed again when asked", entry, exc)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        self._remove_older_than(identity)

    def _remove_older_than(self, identity: str) -> None:
        """Remove the folders of data recorded before ``identity``'s (identities sort by time)."""
        mine = _safe(identity)
        try:
            folders = list(self.folder.iterdir())
        except OSError:
            return
        for folder in folders:
            if folder.name < mine and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)

    def identities(self) -> list[str]:
        """The data identities that have kept scores, oldest first."""
        try:
            return sorted(f.name for f in self.folder.iterdir() if f.is_dir())
        except OSError:
            return []
