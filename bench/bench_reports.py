"""Pack benchmarks: the board pack of an org and one leader's 1:1 pack (targets: under 30 s and under 3 s).

``board_pack_warm`` and ``one_on_one_pack_warm`` are a download from the running app: the org's
scores of the period and of the quarters of the score history already computed (the app keeps
them per data version, for every viewer) and Chromium already open (the app keeps it between
packs); what is timed is reading the leaders' numbers, the layout, every chart and the PDF. Best
of a few runs.

``board_pack_cold`` and ``one_on_one_pack_cold`` are ``scorecard report`` in a fresh process after
a load: the card opened on the database, the quarters of the score history read from the scores
kept beside the database (``scorecard.score_files``: written once per data version by the load,
``scorecard ingest`` and the inbox scoring the recent quarters once the data is in place),
Chromium started (while the numbers are read), then the pack; each in a process of its own.

``scores_after_load_cold`` is that first computation, in a fresh process with nothing kept: what a load
pays once, after its data is in place (``api.score_after_load``), so that no reader does.
``board_pack_nothing_kept_cold`` and ``one_on_one_pack_nothing_kept_cold`` are the packs in a fresh
process with nothing kept (each with an empty folder of its own): what the first reader would pay
if the load did not score ahead, and what every fresh process paid before scores were kept.

The 1:1 pack is the one of the leader with the largest team below the top (a director, as in the
scoring benchmark); ``one_on_one_pack_first_line_warm`` is a first-line leader's, whose direct
reports sell and whose pack lists their deals at risk.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 3
BOARD_RUNS = 2


def _people(db_path: Path) -> tuple[str, str]:
    """The leader with the largest team below the top, and a first-line leader with the largest team."""
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        director = con.execute(
            "select leader_id from leaders where level = 1 order by team_size desc, leader_id limit 1").fetchall()
        first_line = con.execute(
            "select leader_id from leaders where level = (select max(level) from leaders)"
            " order by team_size desc, leader_id limit 1").fetchall()
    return str((director or first_line)[0][0]), str(first_line[0][0])


def _cold(db_path: Path, kind: str, leader: str, scores: Path) -> float:
    """Seconds for one pack (or, ``kind`` "scores", the scoring a load does once its data is in
    place) in a fresh process, from opening the card to the PDF's bytes; ``scores`` is the folder
    of the kept scores."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from scorecard import reports\n"
        "from scorecard.api import Scorecard, score_after_load\n"
        "from scorecard.settings import Settings\n"
        "db, kind, leader, scores = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])\n"
        "settings = Settings(db=db, score_cache_dir=scores)\n"
        "start = time.perf_counter()\n"
        "if kind == 'scores':\n"
        "    said = score_after_load(db, settings)\n"
        "    assert said.startswith('Scored'), said\n"
        "else:\n"
        "    card = Scorecard.open(db, settings=settings)\n"
        "    pdf = reports.board_pack(card) if kind == 'board' else reports.one_on_one_pack(card, leader)\n"
        "print(json.dumps({'seconds': time.perf_counter() - start}))\n"
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", code, str(db_path), kind, leader, str(scores)], cwd=root,
                          capture_output=True, text=True, check=True)
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])


def _empty(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _best(work: Callable[[], object], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def run(db_path: Path) -> dict[str, float]:
    """Seconds for the board pack and a 1:1 pack, warm (as the app's download) and cold (a fresh process)."""
    from scorecard import reports
    from scorecard.api import Scorecard
    from scorecard.settings import Settings

    director, first_line = _people(db_path)
    work = db_path.parent / "pack-scores"
    figures = {
        "board_pack_nothing_kept_cold": _cold(db_path, "board", director, _empty(work / "board")),
        "one_on_one_pack_nothing_kept_cold": _cold(db_path, "one-on-one", director, _empty(work / "one-on-one")),
        "scores_after_load_cold": _cold(db_path, "scores", director, _empty(work / "kept")),
    }
    figures["board_pack_cold"] = _cold(db_path, "board", director, work / "kept")
    figures["one_on_one_pack_cold"] = _cold(db_path, "one-on-one", director, work / "kept")
    figures["one_on_one_pack_first_line_cold"] = _cold(db_path, "one-on-one", first_line, work / "kept")

    card = Scorecard.open(db_path, settings=Settings(db=db_path, score_cache_dir=work / "kept"))
    period = card.current_period()
    renderer = reports.ChartRenderer(chromium=card.settings.resolved_chromium())
    try:
        pdf = reports.board_pack(card, period, renderer=renderer)  # warm-up: the scores, Chromium, the fonts
        reports.one_on_one_pack(card, first_line, period, renderer=renderer)
        figures["board_pages"] = float(_page_count(pdf))
        figures["leaders_in_board_pack"] = float(card.leaders(period).height)
        figures["board_pack_warm"] = _best(lambda: reports.board_pack(card, period, renderer=renderer), BOARD_RUNS)
        figures["one_on_one_pack_warm"] = _best(
            lambda: reports.one_on_one_pack(card, director, period, renderer=renderer), RUNS)
        figures["one_on_one_pack_first_line_warm"] = _best(
            lambda: reports.one_on_one_pack(card, first_line, period, renderer=renderer), RUNS)
    finally:
        renderer.close()
    return figures


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1])), indent=2))
