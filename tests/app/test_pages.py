"""Every page through the router: the demo org, an empty database, a database without the optional
extracts, and a login that sees only its own subtree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import RunApp, frame_with, texts

PAGES = ["pages/scorecard.py", "pages/leader.py", "pages/rep.py", "pages/org_overview.py",
         "pages/data_quality.py", "pages/methodology.py"]


def _no_exception(at: object) -> None:
    errors = [e.value for e in at.exception]  # type: ignore[attr-defined]
    assert errors == [], errors


@pytest.mark.parametrize("page", PAGES)
def test_empty_database_says_what_to_upload(run_app: RunApp, empty_db: Path, page: str) -> None:
    at = run_app(empty_db, page)
    _no_exception(at)
    shown = texts(at)
    if page in ("pages/scorecard.py", "pages/leader.py", "pages/rep.py"):
        assert "upload the **reps**" in shown
    elif page == "pages/org_overview.py":
        assert "upload the **reps**, **accounts**, **opportunities**, **activities**, **quotas**" in shown
    elif page == "pages/data_quality.py":
        assert "Nothing loaded yet" in shown


@pytest.mark.parametrize("page", PAGES)
def test_database_without_optional_extracts_renders(run_app: RunApp, core_only_db: Path,
                                                    page: str) -> None:
    at = run_app(core_only_db, page)
    _no_exception(at)
    assert "Nothing to show yet" not in texts(at)


def test_data_quality_names_the_file_that_switches_metrics_on(run_app: RunApp, core_only_db: Path) -> None:
    at = run_app(core_only_db, "pages/data_quality.py")
    off = frame_with(at, "switched_on_by")
    reasons = dict(zip(off["metric"], off["switched_on_by"], strict=True))
    # coaching, opportunity_team, opportunity_history and forecasts were never loaded
    assert reasons["coaching_coverage"] == "load the coaching extract"
    assert reasons["team_selling"] == "load the opportunity_team extract"
    assert reasons["stage_discipline"] == "load the opportunity_history extract"
    # forecast accuracy falls back on the commit category, which the demo opportunities carry
    assert "forecast_accuracy" not in reasons


def test_data_quality_on_the_full_demo(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/data_quality.py")
    _no_exception(at)
    assert "Every metric of the rubric has the data it needs." in texts(at)


def test_org_overview_shows_hierarchy_and_row_counts(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/org_overview.py")
    _no_exception(at)
    rows = frame_with(at, "optional")
    counts = dict(zip(rows["extract"], rows["rows"], strict=True))
    assert counts["reps"] == 120  # the demo org at scale 1: 1 VP, 3 directors, 12 managers, 104 reps
    leaders = frame_with(at, "direct_reports")
    assert len(leaders) == 16
    assert leaders["rep_id"].iloc[0] == "U0001"  # the VP, at the top of the org
    assert leaders["team_size"].iloc[0] == 119


def test_rep_page_shows_the_live_view(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": "U0017"})
    _no_exception(at)
    labels = [m.label for m in at.metric]
    assert labels == ["Attainment", "Expected by today", "Open pipeline", "Deals at risk",
                      "Activities today", "Target accounts touched"]
    assert [s.value for s in at.subheader] == ["Liam Ibrahim"]
    deals = frame_with(at, "risk_flags")
    assert {"risk_flags", "amount", "close_date"} <= set(deals.columns)
    vs_team = frame_with(at, "Team median")
    assert vs_team["Metric"].iloc[0] == "Quota attainment"
    # the rep is in the URL, so the link can be shared
    assert at.query_params["rep"] == "U0017"


def test_methodology_lists_the_rubric_in_force(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/methodology.py")
    _no_exception(at)
    assert len(at.expander) == 10  # five CSO roles and five SMART dimensions
    company = frame_with(at, "weight_share")
    # the shipped rubric: quota attainment weighs 3 of the company leader's 9 weight points
    assert company["metric_label"].iloc[0] == "Quota attainment"
    assert company["weight_share"].iloc[0] == pytest.approx(3 / 9)


def test_anonymous_visitor_when_hosted_sees_only_a_login_button(run_app: RunApp,
                                                               demo_db_path: Path) -> None:
    at = run_app(demo_db_path, env={"SCORECARD_HOSTED": "1"})
    _no_exception(at)
    assert [b.label for b in at.button] == ["Log in"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0


def test_a_leader_login_cannot_open_a_rep_outside_their_team(run_app: RunApp, demo_db_path: Path) -> None:
    import duckdb

    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        manager_email = con.execute("select email from reps where rep_id = 'U0005'").fetchall()[0][0]
        outsider = con.execute(
            "select rep_id from reps where rep_id not in"
            " (select rep_id from team_members where leader_id = 'U0005') and rep_id <> 'U0005'"
            " order by rep_id desc limit 1").fetchall()[0][0]
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": outsider},
                 env={"SCORECARD_TEST_LOGIN_EMAIL": manager_email})
    _no_exception(at)
    # the hand-edited URL names someone outside the subtree: the picker falls back to the team
    shown = [s.value for s in at.subheader]
    assert outsider not in str(at.selectbox(key="url_rep").value)
    assert at.selectbox(key="url_rep").value != outsider
    assert len(shown) == 1
