"""On the demo org, the leaders' documented styles show in their scores (docs/demo-org.md).

Compared per style: the mean over the first-line managers of that style, for the last complete
quarter and for the running one (the scorecard's default view) once four weeks of it have passed: in
its first days there is too little activity and coaching to compare. The coach leads on Teams and
coaching coverage, the process stickler on Process guru and Measurable, and the absentee trails on
Course corrector and Action.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scorecard.api import Scorecard
from scorecard.demo import leader_styles
from scorecard.settings import Settings


@pytest.fixture(scope="module", params=["last_complete", "running"])
def style_means(demo_db_path: Path, request: pytest.FixtureRequest) -> pl.DataFrame:
    card = Scorecard.open(demo_db_path, settings=Settings(db=demo_db_path))
    period = card.current_period()
    if request.param == "last_complete":
        period = period.previous()
    elif (card.today - period.start).days < 28:
        pytest.skip(f"{period.label} started {(card.today - period.start).days} days ago")
    styles = leader_styles()
    coaching = (card.metric_values(period).filter(pl.col("metric") == "coaching_coverage")
                .select("leader_id", pl.col("value").alias("coaching_coverage")))
    return (
        card.leaders(period)
        .filter(pl.col("leader_id").is_in(list(styles)))
        .join(coaching, on="leader_id")
        .with_columns(pl.col("leader_id").replace_strict(styles).alias("style"))
        .group_by("style")
        .agg(pl.col("teams", "coaching_coverage", "process_guru", "measurable", "course_corrector",
                    "action").mean())
    )


def _ranking(means: pl.DataFrame, column: str) -> list[str]:
    return means.sort(column, descending=True)["style"].to_list()


def test_every_style_is_present(style_means: pl.DataFrame) -> None:
    assert set(style_means["style"]) == {"coach", "quota_chaser", "process_stickler", "absentee", "balanced"}


@pytest.mark.parametrize("column", ["teams", "coaching_coverage"])
def test_the_coach_leads_on_teams_and_coaching(style_means: pl.DataFrame, column: str) -> None:
    assert _ranking(style_means, column)[0] == "coach", style_means


@pytest.mark.parametrize("column", ["process_guru", "measurable"])
def test_the_process_stickler_leads_on_process_and_measurable(style_means: pl.DataFrame, column: str) -> None:
    assert _ranking(style_means, column)[0] == "process_stickler", style_means


@pytest.mark.parametrize("column", ["course_corrector", "action"])
def test_the_absentee_trails_on_course_correction_and_action(style_means: pl.DataFrame, column: str) -> None:
    assert _ranking(style_means, column)[-1] == "absentee", style_means
