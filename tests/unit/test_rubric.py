"""The rubric: sourced defaults, points by band and range, and malformed files refused by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.metrics import METRICS, SCORES
from scorecard.rubric import (
    DEFAULT_RUBRIC,
    METHODOLOGY_DOC,
    RubricError,
    RubricKeeper,
    default_rubric,
    methodology_markdown,
    parse_rubric,
)

SHIPPED = DEFAULT_RUBRIC.read_text(encoding="utf-8")


def test_shipped_rubric_covers_every_metric_and_score_with_a_source() -> None:
    rubric = default_rubric()
    assert set(rubric.bands) == set(METRICS)
    assert set(rubric.scores) == set(SCORES) - {"overall"}
    for band in rubric.bands.values():
        assert band.source.strip(), band.metric
        assert "seed" in band.source.lower() or "benchmark" in band.source.lower(), band.metric
    for weights in rubric.scores.values():
        assert weights.source.strip()
    # every metric counts in at least one score
    assert {m for _, m, _ in rubric.weight_rows()} == set(METRICS)


def test_band_points_are_linear_and_clamped() -> None:
    rubric = default_rubric()
    reps_at_quota = rubric.bands["reps_at_quota"]  # 0 at 30%, 100 at 65%
    assert reps_at_quota.points(0.30) == 0.0
    assert reps_at_quota.points(0.65) == 100.0
    assert reps_at_quota.points(0.475) == pytest.approx(50.0)  # halfway
    assert reps_at_quota.points(0.10) == 0.0  # clamped
    assert reps_at_quota.points(0.90) == 100.0


def test_lower_is_better_band() -> None:
    cycle = default_rubric().bands["sales_cycle_days"]  # 0 at 120 days, 100 at 45 days
    assert cycle.points(45) == 100.0
    assert cycle.points(120) == 0.0
    assert cycle.points(82.5) == pytest.approx(50.0)
    assert cycle.points(30) == 100.0


def test_range_band_for_span_of_control() -> None:
    span = default_rubric().bands["span_of_control"]  # 0 at 2, 100 from 6 to 10, 0 again at 16
    assert span.points(8) == 100.0
    assert span.points(4) == pytest.approx(50.0)  # (4 - 2) / (6 - 2)
    assert span.points(13) == pytest.approx(50.0)  # (16 - 13) / (16 - 10)
    assert span.points(20) == 0.0


def _edit(old: str, new: str) -> str:
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_bad_toml_names_the_line() -> None:
    text = _edit('method = "band"\nfloor = 0.3', 'method = "band"\nfloor = = 0.3')
    with pytest.raises(RubricError, match=rf"line {_line_of(text, 'floor = = 0.3')}"):
        parse_rubric(text)


def test_unknown_metric_is_refused_with_its_line() -> None:
    text = _edit("[metrics.reps_at_quota]", "[metrics.reps_at_quotaa]")
    with pytest.raises(RubricError) as err:
        parse_rubric(text)
    assert f"line {_line_of(text, 'reps_at_quotaa')}" in str(err.value)
    assert "unknown metric 'reps_at_quotaa'" in str(err.value)


def test_unknown_metric_in_weights_is_refused() -> None:
    text = _edit("quota_attainment = 3, reps_at_quota = 2", "quota_attainment = 3, reps_at_quota = 2, hustle = 1")
    with pytest.raises(RubricError) as err:
        parse_rubric(text)
    assert f"line {_line_of(text, 'hustle = 1')}" in str(err.value)
    assert "scores.company_leader.hustle" in str(err.value)


def test_negative_weight_is_refused() -> None:
    text = _edit("coaching_coverage = 3", "coaching_coverage = -3")
    with pytest.raises(RubricError, match=r"line \d+, scores\.teams\.coaching_coverage: weight of "
                                          r"coaching_coverage is negative"):
        parse_rubric(text)


def test_floor_equal_to_target_is_refused() -> None:
    text = _edit("floor = 0.3\ntarget = 0.65", "floor = 0.65\ntarget = 0.65")
    with pytest.raises(RubricError) as err:
        parse_rubric(text)
    message = str(err.value)
    assert "metrics.reps_at_quota.target" in message and "no width" in message
    assert f"line {_line_of(text, 'target = 0.65')}" in message


def test_band_against_the_metrics_direction_is_refused() -> None:
    text = _edit("floor = 120\ntarget = 45", "floor = 45\ntarget = 120")
    with pytest.raises(RubricError, match="lower is better for sales_cycle_days"):
        parse_rubric(text)


def test_keeper_keeps_the_last_good_rubric(tmp_path: Path) -> None:
    path = tmp_path / "rubric.toml"
    edited = _edit("coaching_coverage = 3", "coaching_coverage = 5")
    path.write_text(edited, encoding="utf-8")
    keeper = RubricKeeper(path)
    assert keeper.error is None
    assert keeper.current().weight("teams", "coaching_coverage") == 5.0

    path.write_text(edited.replace("coaching_coverage = 5", "coaching_coverage = -1"), encoding="utf-8")
    # a different size, so the change is noticed even within the same mtime tick
    rubric = keeper.current()
    assert rubric.weight("teams", "coaching_coverage") == 5.0  # the last good one stays in force
    assert keeper.error is not None and "negative" in keeper.error and "stays in force" in keeper.error

    path.write_text(edited.replace("coaching_coverage = 5", "coaching_coverage = 4"), encoding="utf-8")
    path.touch()
    keeper._stamp = None  # force a re-read regardless of timestamp resolution
    assert keeper.current().weight("teams", "coaching_coverage") == 4.0
    assert keeper.error is None


def test_methodology_doc_is_generated_from_the_catalogue() -> None:
    expected = methodology_markdown()
    assert METHODOLOGY_DOC.read_text(encoding="utf-8") == expected, (
        "docs/methodology.md is stale: run `python -m scorecard.rubric`")
    for metric in METRICS.values():
        assert f"(`{metric.key}`)" in expected
    assert "Benchmark: 60-70% of reps at quota is healthy" in expected
    assert "0 at 30%, 100 at 65%" in expected
