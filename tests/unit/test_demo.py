"""The demo org is deterministic and shaped as documented."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl

from scorecard.demo import generate, leader_styles, write_extracts

TODAY = date(2026, 11, 22)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_gives_byte_identical_extracts(tmp_path: Path) -> None:
    write_extracts(tmp_path / "a", scale=0.3, seed=11, today=TODAY)
    write_extracts(tmp_path / "b", scale=0.3, seed=11, today=TODAY)
    write_extracts(tmp_path / "c", scale=0.3, seed=12, today=TODAY)
    a, b, c = _digests(tmp_path / "a"), _digests(tmp_path / "b"), _digests(tmp_path / "c")
    assert len(a) == 10 and a == b
    assert a["opportunities.csv"] != c["opportunities.csv"]


def test_demo_org_shape() -> None:
    frames = generate(scale=1.0, seed=7, today=TODAY)
    reps = frames["reps"]
    assert reps.height == 120
    assert reps.filter(pl.col("manager_id").is_null())["rep_id"].to_list() == ["U0001"]
    styles = leader_styles()
    assert len(styles) == 12 and set(styles.values()) == {
        "coach", "quota_chaser", "process_stickler", "absentee", "balanced"}
    # every first-line manager has a team; every deal owner and activity rep is a known rep
    first_line = reps.filter(pl.col("manager_id").is_in(list(styles)))
    assert first_line["manager_id"].n_unique() == 12
    known = set(reps["rep_id"])
    assert set(frames["opportunities"]["owner_rep_id"]) <= known
    assert set(frames["activities"]["rep_id"]) <= known
    # eight full quarters back and the current one; nothing in the future
    opps = frames["opportunities"]
    assert opps["created_date"].min() >= date(2024, 10, 1)
    assert opps["created_date"].max() <= TODAY
    assert frames["activities"]["activity_at"].max().date() <= TODAY
    closed = opps.filter(pl.col("is_closed"))
    assert (closed["close_date"] <= TODAY).all()
    assert not opps.filter(pl.col("is_won") & ~pl.col("is_closed")).height
    # leavers stop logging activity the day they leave
    leavers = reps.filter(pl.col("termination_date").is_not_null())
    assert leavers.height > 0
    late = frames["activities"].join(leavers, on="rep_id").filter(
        pl.col("activity_at").dt.date() >= pl.col("termination_date"))
    assert late.height == 0


def test_styles_show_in_the_raw_data() -> None:
    frames = generate(scale=1.0, seed=7, today=TODAY)
    styles = leader_styles()
    coaching = frames["coaching"].group_by("leader_id").len()
    per_style = {s: coaching.filter(pl.col("leader_id").is_in([k for k, v in styles.items() if v == s]))["len"].sum()
                 for s in ("coach", "absentee")}
    assert per_style["coach"] > 10 * per_style["absentee"]
