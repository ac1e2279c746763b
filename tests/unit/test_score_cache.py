"""The whole org's scores kept on disk (scorecard/score_files.py), on the hand-made org of test_metrics.py.

What is read back must be what was scored: the hand-computed answers, the same frames, for the same
data only. A new load, a database built again from scratch (whose first load is load 1 again) and
a damaged file each lead to scoring again, never to stale scores or an error.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scorecard import api
from scorecard.api import Scorecard, score_after_load
from scorecard.score_files import ScoreFiles
from scorecard.settings import Settings
from scorecard.store import Store
from tests.unit.test_metrics import Q1, TODAY, handmade_frames


def _card(db: Path, cache: Path | None = None) -> Scorecard:
    """A card as a fresh process opens it: nothing in memory, the kept scores beside the database."""
    return Scorecard.open(db, settings=Settings(db=db, score_cache_dir=cache), today=TODAY)


def _no_scoring(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Scoring counted: each call of the metric queries (the work the kept files save) is recorded."""
    calls: list[str] = []
    compute, per_rep = api.compute_metric_values, api.rep_metric_values

    def counted(*args: object, **kwargs: object) -> pl.DataFrame:
        calls.append("leaders")
        return compute(*args, **kwargs)  # type: ignore[arg-type]

    def counted_reps(*args: object, **kwargs: object) -> pl.DataFrame:
        calls.append("reps")
        return per_rep(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "compute_metric_values", counted)
    monkeypatch.setattr(api, "rep_metric_values", counted_reps)
    return calls


def _action(card: Scorecard) -> dict[str, float | None]:
    return dict(zip(*card.scored(Q1).scores.select("leader_id", "action").to_dict(as_series=False).values(),
                    strict=True))


@pytest.fixture
def org(tmp_path: Path) -> Store:
    store = Store(tmp_path / "org.duckdb")
    store.load(handmade_frames(), loaded_by="test")
    return store


def test_hand_computed_scores_read_back_identical_from_the_kept_files(
        org: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_scoring(monkeypatch)
    first = _card(org.path)
    scored, reps, figures = first.scored(Q1), first.rep_metric_values(Q1), first.team_figures(Q1)
    assert calls == ["leaders", "reps"]
    # the answers of tests/unit/test_api.py: Action M3 0, M2 0, V1 20, M1 20; Max's overall 15
    assert _action(first) == {"M3": 0.0, "M2": 0.0, "V1": 20.0, "M1": 20.0}
    assert first.scores_of("M2", Q1)["overall"] == pytest.approx(15.0)
    identity = org.data_identity()
    assert identity.endswith("-load1")
    kept = tmp_path_entries(org.path.parent / "scores" / "org.duckdb" / identity)
    assert sorted(e.split("-")[0] for e in kept) == ["facts", "figures", "reps", "scored"]

    again = _card(org.path)  # another process: nothing in memory
    monkeypatch.setattr(api, "data_facts", lambda *a, **k: pytest.fail("what the data holds is kept"))
    assert again.data_as_of() == first.data_as_of()
    assert again.product_lines() == first.product_lines()
    read = again.scored(Q1)
    assert calls == ["leaders", "reps"], "read from the kept files, not scored again"
    for name in ("leaders", "assessed", "scores", "coverage"):
        assert_frame_equal(getattr(read, name), getattr(scored, name))
    assert read.params == scored.params and read.switched_off == scored.switched_off
    assert_frame_equal(again.rep_metric_values(Q1), reps)
    monkeypatch.setattr(api.drilldown, "team_figures", lambda *a, **k: pytest.fail("the figures are kept"))
    read_figures = again.team_figures(Q1)
    assert_frame_equal(read_figures.reps, figures.reps)
    assert_frame_equal(read_figures.leaders, figures.leaders)
    assert read_figures.window == figures.window
    assert calls == ["leaders", "reps"]
    assert _action(again) == {"M3": 0.0, "M2": 0.0, "V1": 20.0, "M1": 20.0}
    assert again.scores_of("M2", Q1)["overall"] == pytest.approx(15.0)
    # another period, another rubric or another as-of date is another entry
    _card(org.path).scored("2025Q4")
    assert calls == ["leaders", "reps", "leaders"]


def tmp_path_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_new_load_gets_new_files_and_the_old_ones_go(org: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _action(_card(org.path))
    old = org.data_identity()
    # the second load carries no activities: the Action scores move (V1 and M1 no longer 20)
    frames = handmade_frames()
    frames["activities"] = frames["activities"].clear()
    org.load(frames, loaded_by="test")
    new = org.data_identity()
    assert new != old and new.endswith("-load2")
    calls = _no_scoring(monkeypatch)
    after = _action(_card(org.path))
    assert calls == ["leaders"]
    assert after != before
    assert after == _action(_card(org.path, cache=org.path.parent / "elsewhere"))  # as scored afresh
    files = ScoreFiles(org.path.parent / "scores", org.path)
    assert files.identities() == [new]  # the older data's files are removed once newer are written


def test_a_database_built_again_with_the_same_load_id_is_not_served_stale_scores(tmp_path: Path) -> None:
    db = tmp_path / "org.duckdb"
    Store(db).load(handmade_frames(), loaded_by="test")
    first = Store(db).data_identity()
    assert _action(_card(db)) == {"M3": 0.0, "M2": 0.0, "V1": 20.0, "M1": 20.0}
    # built again from scratch, from other data: its first load is load 1 again
    for leftover in tmp_path.glob("*org.duckdb*"):
        leftover.unlink()
    frames = handmade_frames()
    frames["activities"] = frames["activities"].clear()
    Store(db).load(frames, loaded_by="test")
    rebuilt = Store(db).data_identity()
    assert rebuilt.endswith("-load1") and rebuilt != first
    served = _action(_card(db))
    assert served == _action(_card(db, cache=tmp_path / "elsewhere"))
    assert served != {"M3": 0.0, "M2": 0.0, "V1": 20.0, "M1": 20.0}


@pytest.mark.parametrize("damage", ["garbage", "empty", "missing", "key"])
def test_a_damaged_file_is_scored_again(org: Store, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    scored = _card(org.path).scored(Q1)
    entry = next((org.path.parent / "scores" / "org.duckdb" / org.data_identity()).glob("scored-*"))
    target = entry / "assessed.parquet"
    if damage == "garbage":
        target.write_bytes(b"PAR1 this is not a parquet file")
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "missing":
        target.unlink()
    else:
        (entry / "key.json").write_text("[0]")
    calls = _no_scoring(monkeypatch)
    read = _card(org.path).scored(Q1)  # no error: scored again
    assert calls == ["leaders"]
    assert_frame_equal(read.scores, scored.scores)
    assert_frame_equal(read.assessed, scored.assessed)
    _card(org.path).scored(Q1)  # and written again, whole
    assert calls == ["leaders"]


def test_a_folder_that_cannot_be_written_only_means_nothing_is_kept(org: Store, tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    card = _card(org.path, cache=blocked)
    assert _action(card) == {"M3": 0.0, "M2": 0.0, "V1": 20.0, "M1": 20.0}


def test_a_load_scores_the_recent_quarters_for_every_reader_after_it(
        org: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    said = score_after_load(org.path, Settings(db=org.path))
    assert said.startswith("Scored the whole org ahead for the pages and packs:")
    calls = _no_scoring(monkeypatch)
    # the data is as of 15 May 2026 (the newest date in it): 2026Q2 runs; the history reaches back
    card = Scorecard.open(org.path, settings=Settings(db=org.path))
    assert str(card.current_period()) in said or card.current_period().label in said
    card.leaders()
    card.history("M1")
    card.rep_metric_values()
    assert calls == [], "every quarter a pack reads was scored by the load"


def test_the_ingest_command_scores_ahead_unless_asked_not_to(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from scorecard.cli import main

    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,rep_name,manager_id\nM,Mia,\nA,Ann,M\n", encoding="utf-8")
    deals = tmp_path / "opportunities.csv"
    deals.write_text("opportunity_id,owner_rep_id,created_date,close_date,stage,is_closed,is_won,amount\n"
                     "O1,A,2023-11-02,2023-12-20,Won,true,true,5\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    assert main(["ingest", "--db", str(db), "--no-score", str(reps), str(deals)]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED as load 1" in out and "Scored" not in out
    assert not (tmp_path / "scores").exists()
    # the data is as of 20 Dec 2023 (the won deal's close) and starts in 2023Q4: one quarter to score
    assert main(["ingest", "--db", str(db), str(reps), str(deals)]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED as load 2" in out
    assert "Scored the whole org ahead for the pages and packs: 2023Q4, in " in out
    assert ScoreFiles(tmp_path / "scores", db).identities() == [Store(db).data_identity()]


def test_scores_are_kept_only_when_the_setting_says_so(org: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_scoring(monkeypatch)
    settings = Settings(db=org.path, keep_scores=False)
    for _ in range(2):
        card = Scorecard.open(org.path, settings=settings, today=TODAY)
        assert card.scores_of("M2", Q1)["overall"] == pytest.approx(15.0)
    assert calls == ["leaders", "leaders"]  # each process scores for itself
    assert not (org.path.parent / "scores").exists()
