"""``import scorecard``: the public API a notebook uses, on a five-person org built by hand.

The org (``tiny_store``)::

    L1 Lena Top            (top)
    ├── M1 Mo Middle       (manager of R1, R2)
    │   ├── R1 Rita One    quota 100 in 2026Q2; won O1 (40) on 2026-05-01; O2 (70) still open
    │   └── R2 Raj Two
    └── R3 Rui Three
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import scorecard
from scorecard.access import Viewer
from scorecard.store import Store

TODAY = date(2026, 5, 15)  # inside 2026Q2 (April 1 to June 30)


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "tiny.duckdb")
    reps = pl.DataFrame({
        "rep_id": ["L1", "M1", "R1", "R2", "R3"],
        "rep_name": ["Lena Top", "Mo Middle", "Rita One", "Raj Two", "Rui Three"],
        "manager_id": [None, "L1", "M1", "M1", "L1"],
        "email": ["lena@example.com", "mo@example.com", "rita@example.com", None, None],
    })
    opportunities = pl.DataFrame({
        "opportunity_id": ["O1", "O2"], "owner_rep_id": ["R1", "R1"],
        "created_date": [date(2026, 4, 2), date(2026, 4, 3)], "close_date": [date(2026, 5, 1), date(2026, 6, 20)],
        "stage": ["Closed Won", "Proposal"], "is_closed": [True, False], "is_won": [True, False],
        "amount": [40.0, 70.0],
    })
    quotas = pl.DataFrame({"rep_id": ["R1"], "period_start": [date(2026, 4, 1)], "period_end": [date(2026, 6, 30)],
                           "quota_amount": [100.0]})
    store.load({"reps": reps, "opportunities": opportunities, "quotas": quotas}, loaded_by="test")
    return store


def _fresh_python(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def test_import_scorecard_is_cheap_and_loads_no_heavy_library() -> None:
    loaded = _fresh_python(
        "import json, sys, scorecard\n"
        "print(json.dumps({m: m in sys.modules for m in ('polars', 'duckdb', 'plotly', 'streamlit')}))"
    )
    assert loaded == {"polars": False, "duckdb": False, "plotly": False, "streamlit": False}


def test_the_whole_public_api_works_without_streamlit() -> None:
    loaded = _fresh_python(
        "import json, sys, scorecard\n"
        "names = [getattr(scorecard, n) for n in scorecard.__all__]\n"
        "print(json.dumps({'streamlit': 'streamlit' in sys.modules, 'names': len(names)}))"
    )
    assert loaded == {"streamlit": False, "names": len(scorecard.__all__)}


def test_every_public_function_is_documented() -> None:
    for name in scorecard.__all__:
        value = getattr(scorecard, name)
        if inspect.isfunction(value) or name == "Scorecard":
            assert inspect.getdoc(value), name
    assert scorecard.ingest_files is scorecard.ingest.ingest_files
    assert scorecard.leader_radar is scorecard.charts.leader_radar


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="leader_raddar"):
        _ = scorecard.leader_raddar  # type: ignore[attr-defined]
    assert not hasattr(scorecard, "score_everything")


def test_database_path_reads_a_relative_scorecard_db_from_the_project_root(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCORECARD_DB", "data/elsewhere.duckdb")
    assert scorecard.database_path() == scorecard.PROJECT_ROOT / "data" / "elsewhere.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(tmp_path / "abs.duckdb"))
    assert scorecard.database_path() == tmp_path / "abs.duckdb"
    assert scorecard.database_path("given.duckdb") == Path("given.duckdb")
    monkeypatch.delenv("SCORECARD_DB")
    assert scorecard.database_path() == scorecard.PROJECT_ROOT / "data" / "scorecard.duckdb"


def test_open_scorecard_refuses_a_missing_database_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.duckdb"
    with pytest.raises(FileNotFoundError, match="nothing.duckdb"):
        scorecard.open_scorecard(missing, build_demo=False)
    assert not missing.exists()


def test_open_scorecard_builds_the_demo_when_the_database_is_missing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_store: Store) -> None:
    built: list[Path] = []

    def fake_build(store: Store, **_: object) -> None:  # stands in for the 20-second demo build
        built.append(store.path)
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store.path.write_bytes(tiny_store.path.read_bytes())

    monkeypatch.setattr("scorecard.demo.build_demo_database", fake_build)
    target = tmp_path / "new" / "card.duckdb"
    card = scorecard.open_scorecard(target, today=TODAY)
    assert built == [target]
    assert card.store.path == target
    assert card.viewer.visible_reps == ("L1", "M1", "R1", "R2", "R3")


def test_reps_lists_everyone_with_their_team(tiny_store: Store) -> None:
    card = scorecard.open_scorecard(tiny_store.path, build_demo=False, today=TODAY)
    people = {row["rep_id"]: row for row in scorecard.reps(card).iter_rows(named=True)}
    assert set(people) == {"L1", "M1", "R1", "R2", "R3"}
    # L1: direct reports M1 and R3, team M1, R1, R2, R3; M1: R1 and R2; reps have no team
    assert (people["L1"]["direct_reports"], people["L1"]["team_size"]) == (2, 4)
    assert (people["M1"]["direct_reports"], people["M1"]["team_size"]) == (2, 2)
    assert people["R1"]["team_size"] == 0 and people["R1"]["manager_name"] == "Mo Middle"


def test_leader_team_gives_each_reps_attainment_for_the_period(tiny_store: Store) -> None:
    card = scorecard.open_scorecard(tiny_store.path, build_demo=False, today=TODAY)
    team = {row["rep_id"]: row for row in scorecard.leader_team(card, "M1", "2026Q2").iter_rows(named=True)}
    assert set(team) == {"R1", "R2"}
    # R1 won 40 of a 100 quota: 0.4 of the full quarter; with 45 of its 91 days gone, 40 against
    # the 100 x 45/91 due so far is the quota attainment the score counts; O2 (70) is still open
    assert team["R1"]["attainment_full_period"] == pytest.approx(0.4)
    assert team["R1"]["quota_attainment"] == pytest.approx(40 / (100 * 45 / 91))
    assert team["R1"]["open_pipeline"] == pytest.approx(70.0)
    assert team["R2"]["quota_attainment"] is None  # no quota, no attainment (never a zero)
    assert team["R2"]["attainment_full_period"] is None


def test_rep_view_shows_the_open_deals_and_respects_the_viewer(tiny_store: Store) -> None:
    card = scorecard.open_scorecard(tiny_store.path, build_demo=False, today=TODAY)
    view = scorecard.rep_view(card, "R1")
    assert view.profile["rep_name"] == "Rita One"
    assert view.deals["opportunity_id"].to_list() == ["O2"]  # O1 is closed

    manager = Viewer(email="mo@example.com", rep_id="M1", visible_reps=("M1", "R1", "R2"), can_upload=False,
                     is_executive=False)
    as_manager = scorecard.open_scorecard(tiny_store.path, build_demo=False, viewer=manager, today=TODAY)
    assert scorecard.reps(as_manager)["rep_id"].sort().to_list() == ["M1", "R1", "R2"]
    with pytest.raises(KeyError, match="R3"):
        scorecard.rep_view(as_manager, "R3")


def test_the_demo_org_through_the_public_api(demo_db_path: Path) -> None:
    card = scorecard.open_scorecard(demo_db_path, build_demo=False)
    people = scorecard.reps(card)
    # one VP, 3 directors and 12 first-line managers lead; about 120 people in all
    assert people.filter(pl.col("team_size") > 0).height == 16
    assert card.leaders().height == 16
    assert people.filter(pl.col("rep_id") == "U0001")["team_size"].item() == people.height - 1


def test_open_scorecard_as_an_email_sees_that_persons_subtree(tiny_store: Store) -> None:
    as_mo = scorecard.open_scorecard(tiny_store.path, build_demo=False, as_email="Mo@Example.com", today=TODAY)
    assert as_mo.viewer.visible_reps == ("M1", "R1", "R2")
    assert as_mo.leaders("2026Q2")["leader_id"].to_list() == ["M1"]  # L1 is above Mo: not shown
    as_rita = scorecard.open_scorecard(tiny_store.path, build_demo=False, as_email="rita@example.com")
    assert as_rita.viewer.visible_reps == ("R1",)
    stranger = scorecard.open_scorecard(tiny_store.path, build_demo=False, as_email="who@example.com")
    assert stranger.viewer.visible_reps == ()


def test_plan_ingest_previews_without_writing_and_commit_plan_loads(tiny_store: Store, tmp_path: Path) -> None:
    extract = tmp_path / "activities.csv"
    extract.write_text("activity_id,rep_id,activity_at,type\n"
                       "A1,R1,2026-05-14 09:00:00,call\n"
                       "A2,R2,2026-05-14 10:30:00,meeting\n")
    plan = scorecard.plan_ingest(tiny_store, [extract], append=True)
    assert plan.accepted
    # two new activities, none there before: +2 added, nothing replaced or removed
    change = plan.changes.filter(pl.col("extract") == "activities").row(0, named=True)
    assert (change["added"], change["replaced"], change["removed"]) == (2, 0, 0)
    assert tiny_store.data_version() == 1  # the preview wrote nothing
    result = scorecard.commit_plan(tiny_store, plan, loaded_by="analyst", source="notebook")
    assert result.load is not None and result.load.load_id == 2
    assert tiny_store.row_counts()["activities"] == 2
