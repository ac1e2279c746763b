"""The tour notebook runs top to bottom in a fresh kernel and shows the numbers `scorecard score` prints.

The notebook is executed once per module against a private copy of the session demo database; a
probe cell appended to the in-memory copy (never to the file) reports the notebook's variables as
JSON, and the tests below check them against the database and the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

from scorecard.metrics import ROLES, SCORES

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "scorecard_tour.ipynb"
DEMO_LEADERS = 16  # demo org at scale 1: one VP (U0001), 3 directors (U0002-U0004), 12 managers (U0005-U0016)
MARK = "NOTEBOOK-PROBE:"

PROBE = f"""
import json as _json
print({MARK!r} + _json.dumps({{
    "db": str(card.store.path),
    "sandbox": str(sandbox.path),
    "period": period.label,
    "leaders": leaders.select("leader_id", *scorecard.SCORES).to_dicts(),
    "ranking": ranking.select("rank", "leader_id", "overall").to_dicts(),
    "accepted": bool(accepted.accepted),
    "rejected": bool(rejected.accepted),
    "rejected_report": rejected.report(),
    "rejected_rules": rejected_rules.to_dicts(),
    "extra_rep": rep_for_extra["rep_id"],
    "weakest": weakest["leader_id"],
    "lowest_role": lowest_role,
    "lowest_metric": lowest_metric["metric"],
    "rows_behind": rows_behind.height,
    "history": history.select("period", "overall").to_dicts(),
    "radar_traces": [trace.name for trace in radar.data],
    "best_name": best["leader_name"],
    "weakest_name": weakest["leader_name"],
    "pipeline_rep": pipeline_rep["rep_id"],
    "live_pipeline": live_pipeline["opportunity_id"].to_list(),
}}, default=str))
"""


def _kernelspec(root: Path) -> Path:
    """A ``python3`` kernelspec that runs this interpreter (the venv's), whatever is on PATH."""
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (scorecard tests)", "language": "python",
    }))
    return root


@pytest.fixture(scope="module")
def tour(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Execute the notebook in a fresh kernel on a copy of the demo database; yield the probe's report."""
    work = tmp_path_factory.mktemp("tour")
    db = work / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    if (demo_db_path.parent / "archive").exists():
        shutil.copytree(demo_db_path.parent / "archive", work / "archive")
    jupyter_path = _kernelspec(work / "jupyter")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_DB", str(db))
        env.setenv("JUPYTER_PATH", os.pathsep.join([str(jupyter_path), os.environ.get("JUPYTER_PATH", "")]))
        env.setenv("MPLBACKEND", "agg")
        client = NotebookClient(notebook, kernel_name="python3", timeout=300,
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()
    text = "".join(out.get("text", "") for out in notebook.cells[-1].outputs if out.output_type == "stream")
    report = json.loads(text.split(MARK, 1)[1])
    report["notebook"] = notebook
    yield report


def _cli_scores(db: str, period: str) -> list[dict[str, Any]]:
    """What an analyst gets from the installed ``scorecard`` command (beside this interpreter)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "scorecard"), "score", "--db", db, "--period", period, "--format", "json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return list(json.loads(done.stdout))


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]


def test_notebook_opens_the_database_named_by_scorecard_db(tour: dict[str, Any]) -> None:
    assert Path(tour["db"]).name == "demo.duckdb"
    assert Path(tour["db"]).parent != Path(ROOT / "data")


def test_ranking_has_one_row_per_leader_of_the_demo_org(tour: dict[str, Any]) -> None:
    ranking = tour["ranking"]
    with duckdb.connect(tour["db"], read_only=True) as con:
        leader_ids = {row[0] for row in con.execute("select leader_id from leaders").fetchall()}
    assert len(ranking) == DEMO_LEADERS == len(leader_ids)
    assert {row["leader_id"] for row in ranking} == leader_ids
    assert [row["rank"] for row in ranking] == list(range(1, DEMO_LEADERS + 1))
    overall = [row["overall"] for row in ranking if row["overall"] is not None]
    assert overall == sorted(overall, reverse=True)


def test_notebook_scores_equal_the_command_line(tour: dict[str, Any]) -> None:
    """`scorecard score --format json` rounds to one decimal; the notebook's frame, rounded, must match."""
    cli = {row["leader_id"]: row for row in _cli_scores(tour["db"], tour["period"])}
    notebook = {row["leader_id"]: row for row in tour["leaders"]}
    assert set(cli) == set(notebook)
    for leader_id, row in notebook.items():
        for score in SCORES:
            mine = None if row[score] is None else round(row[score], 1)
            assert cli[leader_id][score] == mine, (leader_id, score)


def test_extra_extract_is_appended_and_the_rejected_one_changes_nothing(tour: dict[str, Any]) -> None:
    assert tour["accepted"] is True
    assert tour["rejected"] is False
    assert tour["rejected_report"].startswith("REJECTED")
    # the bad file has two rows with one activity ID (a reject, on both rows); row 1 also names rep
    # NOBODY and an activity_at of "yesterday-ish" (flags, on one row of the two)
    rules = {rule["column_name"]: (rule["outcome"], rule["failed_rows"], rule["total_rows"])
             for rule in tour["rejected_rules"]}
    assert rules == {"activity_id": ("reject", 2, 2), "rep_id": ("flag", 1, 2), "activity_at": ("flag", 1, 2)}
    with duckdb.connect(tour["sandbox"], read_only=True) as con:
        tour_rows = con.execute(
            "select activity_id, rep_id from activities where activity_id like 'TOUR-%' order by 1").fetchall()
        others = con.execute("select count(*) from activities where activity_id not like 'TOUR-%'").fetchall()
        loads = con.execute("select count(*) from loads").fetchall()
    # the three good activities landed, none of the rejected file's two did
    assert tour_rows == [(f"TOUR-{i}", tour["extra_rep"]) for i in (1, 2, 3)]
    assert others[0][0] > 100_000  # appended: the demo's activities are all still there
    assert loads[0][0] == 2  # the demo load and the notebook's accepted file


def test_the_tour_never_writes_to_the_analysts_database(tour: dict[str, Any]) -> None:
    with duckdb.connect(tour["db"], read_only=True) as con:
        tour_rows = con.execute("select count(*) from activities where activity_id like 'TOUR-%'").fetchall()
        loads = con.execute("select count(*) from loads").fetchall()
    assert (tour_rows[0][0], loads[0][0]) == (0, 1)


def test_weakest_leaders_lowest_role_is_explained_down_to_rows(tour: dict[str, Any]) -> None:
    scored = [row for row in tour["leaders"] if row["overall"] is not None]
    weakest = min(scored, key=lambda row: row["overall"])
    assert tour["weakest"] == weakest["leader_id"]
    roles = {role: weakest[role] for role in ROLES if weakest[role] is not None}
    assert tour["lowest_role"] == min(roles, key=roles.__getitem__)
    assert tour["rows_behind"] > 0
    # eight quarters ending with the scored one, whose overall is the weakest leader's score
    assert [row["period"] for row in tour["history"]][-1] == tour["period"]
    assert len(tour["history"]) == 8
    assert tour["history"][-1]["overall"] == pytest.approx(weakest["overall"])


def test_radar_compares_the_best_and_the_weakest_leader(tour: dict[str, Any]) -> None:
    names = tour["radar_traces"]
    assert tour["best_name"] in names and tour["weakest_name"] in names
    assert tour["best_name"] != tour["weakest_name"]


def test_rep_live_pipeline_lists_the_reps_open_deals(tour: dict[str, Any]) -> None:
    with duckdb.connect(tour["db"], read_only=True) as con:
        open_deals = con.execute(
            "select opportunity_id from opportunities where owner_rep_id = $rep and not coalesce(is_closed, false)",
            {"rep": tour["pipeline_rep"]},
        ).fetchall()
    assert sorted(tour["live_pipeline"]) == sorted(row[0] for row in open_deals)
    assert tour["live_pipeline"]


def test_charts_render_as_plotly_outputs(tour: dict[str, Any]) -> None:
    tagged = {cell.metadata.get("tags", [""])[0]: cell for cell in tour["notebook"].cells}
    feed = tagged["ingest_feed"].outputs[0]["data"]["text/plain"]
    assert "TOUR-3" in feed or "shape: (0," in feed  # empty only just after midnight on a Monday
    for tag in ("ranking_chart", "heatmap", "explain_chart", "history", "radar", "rep_pace"):
        kinds = {key for out in tagged[tag].outputs for key in out.get("data", {})}
        assert "application/vnd.plotly.v1+json" in kinds, tag
