"""A leader's team is their whole subtree; access follows the same hierarchy."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from scorecard import sql
from scorecard.access import AccessPolicy, local_viewer, viewer_for_email
from scorecard.store import Store

# vp
# ├── d1 ── m1 ── r1, r2
# │     └── m2 ── r3
# └── d2 ── r4
ORG = pl.DataFrame({
    "rep_id": ["vp", "d1", "d2", "m1", "m2", "r1", "r2", "r3", "r4"],
    "rep_name": ["Vera", "Dan", "Dora", "Mia", "Milo", "Rita", "Raj", "Rosa", "Ravi"],
    "email": ["vera@x.io", "dan@x.io", "dora@x.io", "mia@x.io", "milo@x.io", "rita@x.io", "raj@x.io",
              "rosa@x.io", "ravi@x.io"],
    "manager_id": ["", "vp", "vp", "d1", "d1", "m1", "m1", "m2", "d2"],
})


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "org.duckdb")
    store.load({"reps": ORG}, loaded_by="test")
    return store


def test_team_members_is_the_whole_subtree(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.reader() as con:
        team = sql.run(con, "leader_team", leader_id="d1", visible_reps=ORG["rep_id"].to_list())
        leaders = con.execute("select leader_id, level, direct_reports, team_size from leaders"
                              " order by leader_id").fetchall()
    # d1 -> m1, m2 (depth 1) and r1, r2, r3 (depth 2)
    assert sorted(zip(team["rep_id"], team["depth"], strict=True)) == [
        ("m1", 1), ("m2", 1), ("r1", 2), ("r2", 2), ("r3", 2)]
    assert leaders == [("d1", 1, 2, 5), ("d2", 1, 1, 1), ("m1", 2, 2, 2), ("m2", 2, 1, 1), ("vp", 0, 2, 8)]


def test_leader_team_only_returns_visible_reps(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.reader() as con:
        team = sql.run(con, "leader_team", leader_id="d1", visible_reps=["m2", "r3"])
    assert team["rep_id"].to_list() == ["m2", "r3"]


def test_viewer_sees_their_own_subtree(tmp_path: Path) -> None:
    store = _store(tmp_path)
    policy = AccessPolicy(executives=frozenset({"cro@x.io"}), sales_ops=frozenset({"ops@x.io"}))
    with store.reader() as con:
        mia = viewer_for_email(con, "Mia@X.io ", policy)
        rita = viewer_for_email(con, "rita@x.io", policy)
        cro = viewer_for_email(con, "cro@x.io", policy)
        stranger = viewer_for_email(con, "nobody@x.io", policy)
        ops = viewer_for_email(con, "ops@x.io", policy)
        local = local_viewer(con)
    assert mia.visible_reps == ("m1", "r1", "r2") and not mia.can_upload
    assert rita.visible_reps == ("r1",)
    assert len(cro.visible_reps) == 9 and cro.is_executive
    assert stranger.visible_reps == () and "not in the reps extract" in stranger.notes[0]
    assert ops.visible_reps == () and ops.can_upload
    assert local.local and len(local.visible_reps) == 9
