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
    product_key,
    rubric_file,
    save_rubric_text,
    unmatched_product_lines,
    with_product_lines,
)
from scorecard.settings import Settings

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
    text = _edit("win_rate = 2, reps_at_quota = 2", "win_rate = 2, reps_at_quota = 2, hustle = 1")
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


def test_win_rate_band_comes_from_the_b2b_average() -> None:
    band = default_rubric().bands["win_rate"]
    assert (band.floor, band.target, band.min_sample) == (0.1, 0.3, 5)
    assert "20%" in band.source and "specification section 5" in band.source
    assert band.points(0.2) == pytest.approx(50.0)  # the average scores the middle
    assert default_rubric().weight("company_leader", "win_rate") == 2.0


def test_coverage_settings_and_their_bounds() -> None:
    coverage = default_rubric().coverage
    assert (coverage.thin_below, coverage.mostly_blank) == (0.5, 0.5)
    assert coverage.source.strip()
    with pytest.raises(RubricError, match=r"line \d+, coverage.thin_below: thin_below must be a share between 0"):
        parse_rubric(_edit("thin_below = 0.5", "thin_below = 50"))
    with pytest.raises(RubricError, match="unknown key 'thin'"):
        parse_rubric(_edit("thin_below = 0.5", "thin = 0.5"))


def test_product_lines_are_matched_without_case_spaces_or_punctuation() -> None:
    assert product_key("GTX Pro") == product_key("gtxpro") == product_key("GTX-Pro") == "gtxpro"
    assert product_key("Platform + Services") != product_key("Platform")
    assert unmatched_product_lines(["GTX Pro", "Analytics"], ["GTXPro", "MG Special"]) == ["Analytics"]


def test_product_lines_are_set_in_the_rubric_text_keeping_the_rest() -> None:
    edited = with_product_lines(SHIPPED, strategic=["GTX Pro", 'Say "hi"'], bundles=[])
    rubric = parse_rubric(edited)
    assert rubric.strategic_lines == ("GTX Pro", 'Say "hi"') and rubric.bundle_lines == ()
    # only the two lines changed: every comment, band and weight is kept
    changed = [(a, b) for a, b in zip(SHIPPED.splitlines(), edited.splitlines(), strict=True) if a != b]
    assert [b for _, b in changed] == ['strategic = ["GTX Pro", "Say \\"hi\\""]', "bundles = []"]
    # a rubric without the key gets it in its [product_lines] table
    no_bundles = SHIPPED.replace('bundles = ["Core + Services", "Platform + Services"]\n', "")
    assert parse_rubric(with_product_lines(no_bundles, bundles=["Kit"])).bundle_lines == ("Kit",)


def test_an_edited_rubric_is_saved_beside_the_database_unless_a_file_is_named(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "scorecard.duckdb")
    path, optional = rubric_file(settings)
    assert (path, optional) == (tmp_path / "rubric.toml", True)
    keeper = RubricKeeper.for_settings(settings)
    assert keeper.error is None and keeper.current() is default_rubric()  # nothing saved yet
    save_rubric_text(path, with_product_lines(SHIPPED, strategic=["GTX Pro"]))
    keeper._stamp = None
    assert keeper.current().strategic_lines == ("GTX Pro",)
    named = tmp_path / "mine.toml"
    assert rubric_file(Settings(db=settings.db, rubric=named)) == (named, False)
    assert RubricKeeper.for_settings(Settings(db=settings.db, rubric=named)).error is not None  # missing: said
    with pytest.raises(RubricError):
        save_rubric_text(path, "not = [a rubric")
