"""Every page through the router: the demo org, an empty database, a database without the optional
extracts, and a login that sees only its own subtree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import RunApp, chart, column_config, frame_with, logged_in, texts

PAGES = ["pages/scorecard_page.py", "pages/leader.py", "pages/rep.py", "pages/org_overview.py",
         "pages/data_quality.py", "pages/methodology.py"]


def _no_exception(at: object) -> None:
    errors = [e.value for e in at.exception]  # type: ignore[attr-defined]
    assert errors == [], errors


@pytest.mark.parametrize("page", PAGES)
def test_empty_database_says_what_to_upload(run_app: RunApp, empty_db: Path, page: str) -> None:
    at = run_app(empty_db, page)
    _no_exception(at)
    shown = texts(at)
    if page in ("pages/scorecard_page.py", "pages/leader.py", "pages/rep.py"):
        assert "upload the **reps**" in shown
    elif page == "pages/org_overview.py":
        assert "upload the **reps**, **accounts**, **opportunities**, **activities**, **quotas**" in shown
    elif page == "pages/data_quality.py":
        assert "Nothing loaded yet" in shown


@pytest.mark.parametrize("page", PAGES)
def test_database_without_optional_extracts_renders(run_app: RunApp, core_only_db: Path,
                                                    page: str) -> None:
    import duckdb

    with duckdb.connect(str(core_only_db), read_only=True) as con:  # the org's top leader
        top = con.execute("select rep_id from reps where manager_id is null").fetchall()[0][0]
    # the Leader and Rep pages ask whom to show: they are opened on someone
    at = run_app(core_only_db, page, params={"leader": top, "rep": top})
    _no_exception(at)
    assert "Nothing to show yet" not in texts(at)
    if page == "pages/leader.py":
        assert "Coaching coverage is blank: upload the coaching extract to see it." in texts(at)


def test_data_quality_names_the_file_that_switches_metrics_on(run_app: RunApp, core_only_db: Path) -> None:
    at = run_app(core_only_db, "pages/data_quality.py")
    off = frame_with(at, "reason")
    reasons = dict(zip(off["metric"], off["reason"], strict=True))
    # coaching, opportunity_team, opportunity_history and forecasts were never loaded
    assert "the coaching extract" in reasons["coaching_coverage"]
    assert "the opportunity_team extract" in reasons["team_selling"]
    assert "the opportunity_history extract" in reasons["stage_discipline"]
    assert all("load it to switch it on" in r for r in reasons.values())
    # forecast accuracy falls back on the commit category, which the demo opportunities carry
    assert "forecast_accuracy" not in reasons


def test_data_quality_on_the_full_demo(run_app: RunApp, demo_db_path: Path) -> None:
    import duckdb

    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        checked = con.execute("select count(distinct extract) from check_results").fetchall()[0][0]
        not_passed = con.execute("select count(*) from check_results where not passed").fetchall()[0][0]
    at = run_app(demo_db_path, "pages/data_quality.py")
    _no_exception(at)
    assert "Every metric of the rubric has the data it needs." in texts(at)
    summary = frame_with(at, "failed_rules")
    assert len(summary) == checked  # one row per extract checked when the demo was loaded
    assert summary["failed_rules"].sum() == not_passed
    if not_passed:
        assert len(frame_with(at, "outcome")) == not_passed


def test_org_overview_shows_hierarchy_and_row_counts(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/org_overview.py")
    _no_exception(at)
    rows = frame_with(at, "optional")
    counts = dict(zip(rows["extract"], rows["rows"], strict=True))
    assert counts["Reps"] == 120  # the demo org at scale 1: 1 VP, 3 directors, 12 managers, 104 reps
    leaders = frame_with(at, "direct_reports")
    assert len(leaders) == 16
    assert leaders["rep_id"].iloc[0] == "U0001"  # the VP, at the top of the org
    assert leaders["team_size"].iloc[0] == 119


def test_rep_page_shows_the_live_view(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": "U0017"})
    _no_exception(at)
    labels = [m.label for m in at.metric]
    assert labels == ["Quota attainment", "Attainment (full quarter)", "Open pipeline", "Deals at risk",
                      "Activities this week", "Target accounts touched (30 days)"]
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
    # the shipped rubric: quota attainment weighs 3 of the company leader's 11 weight points
    assert company["metric_label"].iloc[0] == "Quota attainment"
    assert company["weight_share"].iloc[0] == pytest.approx(3 / 11)


def test_anonymous_visitor_when_hosted_sees_only_a_login_button(run_app: RunApp,
                                                               demo_db_path: Path) -> None:
    at = run_app(demo_db_path, user={"is_logged_in": False}, address="0.0.0.0")
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
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": outsider}, user=logged_in(manager_email))
    _no_exception(at)
    # the hand-edited URL names someone outside the subtree: the page says so and shows no one in their place
    assert at.selectbox(key="url_rep").value is None
    assert not at.subheader and not at.metric
    assert f"No rep {outsider} in your part of the organisation: pick one from the list." in texts(at)


def test_local_install_shows_the_demo_banner_and_the_scorecard(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path)  # the default page, through the router
    _no_exception(at)
    assert "Local demo: no login, everyone sees everything." in [i.value for i in at.info]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Leaders"] == "16"  # 1 VP, 3 directors, 12 first-line managers
    ranking = frame_with(at, "rank")
    assert ranking["rank"].tolist() == list(range(1, 17))
    overall = ranking["overall"].tolist()
    assert overall == sorted(overall, reverse=True)
    assert set(ranking["change"]) <= {"new"} | {c for c in ranking["change"] if c[0] in "▲▼►"}


def test_scorecard_filters_live_in_the_url(run_app: RunApp, demo_db_path: Path) -> None:
    import duckdb

    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        emea = con.execute("select count(*) from leaders join reps on rep_id = leader_id"
                           " where region = 'EMEA'").fetchall()[0][0]
    at = run_app(demo_db_path, "pages/scorecard_page.py", params={"region": "EMEA", "sort": "teams"})
    _no_exception(at)
    ranking = frame_with(at, "rank")
    assert len(ranking) == emea == 5  # the EMEA director and the four managers below them
    assert list(ranking.columns[:4]) == ["rank", "leader_id", "leader_name", "teams"]
    assert at.query_params["region"] == "EMEA"
    assert at.query_params["sort"] == "teams"
    at.selectbox(key="url_region").select("all").run()
    assert len(frame_with(at, "rank")) == 16
    assert "region" in at.query_params and at.query_params["region"] == "all"


def test_leader_page_explains_down_to_the_rows(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py",
                 params={"leader": "U0005", "score": "teams", "metric": "coaching_coverage"})
    _no_exception(at)
    assert [s.value for s in at.subheader] == ["Farid Ueda"]
    explanation = frame_with(at, "value_text")
    assert set(explanation["score_label"]) == {"Teams"}
    assert "Coaching coverage" in set(explanation["metric_label"])
    shown = texts(at)
    assert "Rows behind Coaching coverage" in shown
    team = frame_with(at, "quota_attainment")
    import duckdb

    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        direct = con.execute("select count(*) from reps where manager_id = 'U0005'"
                             " and termination_date is null").fetchall()[0][0]
    assert len(team) == direct == 9  # Farid Ueda's nine reps, none of whom has left
    priorities = frame_with(at, "Overall points to gain")
    assert 1 <= len(priorities) <= 3


def test_the_team_table_and_the_rep_page_show_the_same_attainment(run_app: RunApp, demo_db_path: Path) -> None:
    from scorecard import format

    leader = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005"})
    _no_exception(leader)
    team = frame_with(leader, "quota_attainment")
    row = team[team["quota_attainment"] > 0].iloc[0]  # a rep of Farid Ueda's with won deals
    rep = run_app(demo_db_path, "pages/rep.py", params={"rep": row["rep_id"]})
    _no_exception(rep)
    shown = {m.label: m.value for m in rep.metric}
    # one figure, one definition: the rep page prints the number the team table holds
    assert shown["Quota attainment"] == format.ratio(row["quota_attainment"])
    assert shown["Attainment (full quarter)"] == f"{row['attainment_full_period'] * 100:.0f}%"


def test_tv_view_is_the_scorecard_full_screen(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, params={"tv": "1", "period": "2026Q1"})
    _no_exception(at)
    assert [t.value for t in at.title] == []  # no page furniture, no banner
    assert "Local demo" not in texts(at)
    assert "## Sales-leadership scorecard · 2026Q1" in [m.value for m in at.markdown]


def test_an_auth_section_in_the_secrets_switches_on_the_login(monkeypatch: pytest.MonkeyPatch,
                                                              demo_db_path: Path) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    monkeypatch.setenv("SCORECARD_DB", str(demo_db_path))
    monkeypatch.delenv("SCORECARD_HOSTED", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://example.com/.well-known/openid-configuration"}
    at.run()
    _no_exception(at)
    assert [b.label for b in at.button] == ["Log in"]
    assert len(at.metric) == 0


def test_leader_page_shows_rubric_weights_as_numbers(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005", "score": "teams"})
    _no_exception(at)
    explanation = frame_with(at, "weight")
    weights = dict(zip(explanation["metric"], explanation["weight"], strict=True))
    assert weights["coaching_coverage"] == 3.0  # the shipped rubric: coaching weighs 3 in Teams
    config = column_config(at, "weight")
    # a weight is a number of the rubric (3 reads "3", not "300%"); its share of the score is the rate
    assert config["weight"]["type_config"]["format"] == "plain"
    assert config["effective_weight"]["type_config"]["format"] == "percent"
    scored = explanation[explanation["status"] == "Scored"]
    assert scored["effective_weight"].sum() == pytest.approx(1.0)


def test_leader_history_leaves_out_quarters_without_data(run_app: RunApp, small_dynamics_db: Path) -> None:
    from scorecard.api import Scorecard

    card = Scorecard.open(small_dynamics_db)
    with_data = [p.label for p in card.periods()]
    assert with_data[0] == "2026Q1"  # the first deal was created in January 2026
    last_eight = [card.current_period().shifted(-back, 1).label for back in range(7, -1, -1)]
    expected = [q for q in last_eight if q in with_data]
    at = run_app(small_dynamics_db, "pages/leader.py", params={"leader": "3f1e0c01-5b2a-ef11-8409-000d3a1b0001"})
    _no_exception(at)
    if not expected:  # run years after the data: no quarter of the last eight has any
        assert "No earlier quarter with data." in texts(at)
        return
    history = chart(at, "Overall")
    periods = {tuple(t["x"]) for t in history["data"]}
    assert periods == {tuple(expected)}  # no 2025 quarter, scored from the reps extract alone


def test_small_org_without_activities_is_not_scored_zero(run_app: RunApp, small_dynamics_db: Path) -> None:
    at = run_app(small_dynamics_db, "pages/scorecard_page.py", params={"period": "2026Q3"})
    _no_exception(at)
    ranking = frame_with(at, "rank").set_index("leader_name")
    assert set(ranking.index) == {"Victoria Vance", "Marcus Reid", "Nadia Okafor"}
    # no activities were uploaded: the leader's meetings and the activity metrics are switched off,
    # so customer champion has no score ("–"), never 0; action rests on the pipeline created alone
    assert ranking["customer_champion"].isna().all()
    assert (ranking["action"] == ranking["course_corrector"]).all()
    # with no quotas, activities or accounts, every overall score rests on a small part of its weight:
    # each leader is marked thin coverage and listed without a rank, never ranked as if complete
    assert ranking["rank"].isna().all()
    assert (ranking["note"] == "thin coverage: not ranked").all()
    assert (ranking["coverage"] < 0.5).all()
    assert "3 of 3 leaders are scored on less than 50% of the weight" in texts(at)


# -- the data's as-of date, the quarter in progress, coverage and the rubric's product lines ------------

@pytest.fixture
def past_org_db(tmp_path: Path) -> Path:
    """The org of tests/unit/test_as_of.py (data ending 15 Nov 2023), its deals with product lines."""
    import polars as pl

    from scorecard.store import Store
    from tests.unit.test_as_of import past_org_frames

    frames = past_org_frames()
    frames["opportunities"] = frames["opportunities"].with_columns(
        pl.when(pl.col("owner_rep_id") == "L").then(pl.lit("GTXPro")).otherwise(pl.lit("MG Special"))
        .alias("product_line"))
    store = Store(tmp_path / "past.duckdb")
    store.load(frames, loaded_by="test")
    return store.path


def test_the_banner_of_every_page_says_the_data_as_of_date(run_app: RunApp, past_org_db: Path) -> None:
    # the router writes the banner above whichever page it runs (AppTest shows it on the first page
    # only: later runs resend only what changed), and the TV view carries it in its heading
    at = run_app(past_org_db)
    _no_exception(at)
    assert [c.value for c in at.caption][0] == (
        'Data as of 15 Nov 2023: periods, "today", pace and stalled deals are measured at this date.')
    tv = run_app(past_org_db, params={"tv": "1"})
    _no_exception(tv)
    assert "## Sales-leadership scorecard · 2023Q4 (in progress)" in [m.value for m in tv.markdown]
    assert "Data as of 15 Nov 2023" in [c.value for c in tv.caption]


def test_scorecard_defaults_to_the_quarter_of_the_as_of_date(run_app: RunApp, past_org_db: Path) -> None:
    at = run_app(past_org_db, "pages/scorecard_page.py")
    _no_exception(at)
    picker = at.selectbox(key="url_period")
    assert picker.value == "2023Q4"
    assert picker.options[0] == "2023Q4 (in progress)"  # newest first: the periods the data covers
    assert [o for o in picker.options] == ["2023Q4 (in progress)", "2023Q3", "2023Q2", "2023Q1"]
    shown = texts(at)
    assert ("2023Q4 is in progress (46 of 92 days, to 15 Nov 2023): scores measure it up to the as-of date,"
            " and each change is against the previous quarter at the same share elapsed.") in shown
    ranking = frame_with(at, "rank")
    # no accounts, forecasts or history: every leader's overall score rests on under half its weight
    assert ranking["note"].eq("thin coverage: not ranked").all() and ranking["rank"].isna().all()
    assert ranking["overall_scored_on"].str.match(r"^\d of 5 roles, \d+% of the weight$").all()
    assert "3 of 3 leaders are scored on less than 50% of the weight" in shown


def test_methodology_sets_the_strategic_lines_from_the_data(run_app: RunApp, past_org_db: Path) -> None:
    at = run_app(past_org_db, "pages/methodology.py")
    _no_exception(at)
    assert ("Strategic: Analytics (not in the data), Platform (not in the data), Platform + Services (not in"
            " the data).") in texts(at)
    strategic = at.multiselect(key="strategic_lines")
    assert list(strategic.options) == ["MG Special", "GTXPro"]  # most used first
    strategic.set_value(["GTXPro"])
    at.multiselect(key="bundle_lines").set_value(["MG Special"])
    at.button[0].click().run()
    _no_exception(at)
    saved = past_org_db.parent / "rubric.toml"
    assert 'strategic = ["GTXPro"]' in saved.read_text(encoding="utf-8")
    assert "Saved to the rubric: strategic GTXPro; bundles MG Special." in [s.value for s in at.success]
    assert str(saved.parent) not in texts(at)  # never the server's file paths
    assert "Strategic: GTXPro." in texts(at)


# -- one formatter on every page ------------------------------------------------------------------------------

def _no_none_and_placeholders(at: object) -> None:
    for frame in at.dataframe:  # type: ignore[attr-defined]
        assert frame.proto.placeholder == "–"  # a missing value reads "–", never "None"
        text_columns = frame.value.select_dtypes(include="object")
        assert not text_columns.isin(["None"]).any().any()


def test_the_leader_page_writes_money_shares_and_changes_as_one_formatter(run_app: RunApp,
                                                                           demo_db_path: Path) -> None:
    from streamlit.proto.Metric_pb2 import Metric

    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005", "score": "process_guru",
                                                         "metric": "pipeline_hygiene"})
    _no_exception(at)
    _no_none_and_placeholders(at)
    for metric in at.metric:
        assert metric.proto.delta != "+0"
        # a change that rounds to nothing is grey, not a green "+0"
        if metric.proto.delta == "0":
            assert metric.proto.color == Metric.MetricColor.GRAY
    team = column_config(at, "won_amount")
    assert team["won_amount"]["type_config"]["format"] == "$%,.0f"  # exact, with the currency
    assert team["win_rate"]["type_config"]["format"] == "percent"
    rows = column_config(at, "close_date")  # the CRM rows behind the metric
    assert rows["close_date"]["type_config"]["format"] == "D MMM YYYY"  # never 00:00:00
    assert rows["amount"]["type_config"]["format"] == "$%,.0f"


def test_the_rep_page_writes_codes_in_words(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": "U0017"})
    _no_exception(at)
    _no_none_and_placeholders(at)
    deals = frame_with(at, "forecast_category")
    assert set(deals["forecast_category"].dropna()) <= {"Pipeline", "Best case", "Commit", "Omitted", "Closed"}
    feed = frame_with(at, "contact_level")
    assert "c_level" not in set(feed["contact_level"].dropna()) and "vp" not in set(feed["contact_level"].dropna())
    assert set(feed["type"].dropna()) <= {"Call", "E-mail", "Meeting", "Demo", "Content", "Social", "Event", "Other"}
    shown = {m.label: m.value for m in at.metric}
    assert shown["Open pipeline"].startswith("$") and shown["Open pipeline"][-1] in "0123456789KMB"
    assert shown["Attainment (full quarter)"].endswith("%")
    assert "Account executive" in texts(at)  # the rep's role, in words


def test_rep_page_lists_deals_at_risk_most_urgent_first(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/rep.py", params={"rep": "U0017"})
    _no_exception(at)
    assert "#### Deals at risk, most urgent first" in [m.value for m in at.markdown]
    assert "Most urgent first: deals both stalled and slipped" in texts(at)
    top = frame_with(at, "priority")
    assert 1 <= len(top) <= 10
    assert top["priority"].tolist() == list(range(1, len(top) + 1))
    assert all(reason for reason in top["risk_reasons"])  # each deal says why it is at risk
    signs = top["strong_signs"].tolist()
    assert signs == sorted(signs, reverse=True)  # stalled and slipped before a single contact


def test_leader_page_lists_the_whole_teams_deals_at_risk(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005"})
    _no_exception(at)
    assert "#### Deals at risk, most urgent first" in [m.value for m in at.markdown]
    assert "the whole team, every level" in texts(at)
    top = frame_with(at, "priority")
    assert 1 <= len(top) <= 10 and top["priority"].iloc[0] == 1
    assert {"rep_name", "risk_reasons", "amount", "close_date"} <= set(top.columns)


def test_the_deals_at_risk_fit_the_page_at_1366_and_a_warm_run_converts_no_table(
        run_app: RunApp, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from scorecard.ui import tables

    at = run_app(demo_db_path, "pages/leader.py", params={"leader": "U0005"})
    _no_exception(at)
    grid = next(e for e in at.dataframe if "risk_reasons" in e.value.columns and "priority" in e.value.columns)
    shown = list(grid.proto.column_order)
    # who, which deal and why first; the forecast category and the deal's id are left to the CSV
    assert shown == ["priority", "rep_name", "account_name", "amount", "close_date", "risk_reasons", "stage"]
    config = json.loads(grid.proto.columns)
    widths = [config[c]["width"] for c in shown]
    assert sum(widths) + 35 <= 905  # with the row's checkbox, inside the page at 1366x768
    assert config["amount"]["type_config"]["format"].startswith("$")  # the width keeps the money format
    assert config["risk_reasons"]["label"] == "Why at risk"
    assert grid.proto.row_height > 64  # the reasons wrap rather than being cut

    converted: list[int] = []
    readable = tables.readable

    def counted(frame: object) -> object:
        converted.append(1)
        return readable(frame)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "readable", counted)
    at.run()  # the same view again: every table the page shows was kept
    _no_exception(at)
    assert converted == []


def test_deals_at_risk_rows_grow_only_when_a_reason_or_account_needs_a_second_line() -> None:
    import polars as pl

    from scorecard.ui.risk import ROW_HEIGHT, row_height

    short = pl.DataFrame({"account_name": ["Vandelay SA 13"], "risk_reasons": ["No next step"]})
    assert row_height(short) is None  # one line each: Streamlit's compact rows
    reasons = "No activity for 52 days, close date is today, still open"  # 56 characters: two lines
    assert row_height(short.with_columns(pl.lit(reasons).alias("risk_reasons"))) == ROW_HEIGHT
    account = "Cyberdyne Holdings 2692"  # 23 characters: one more than its column holds
    assert row_height(short.with_columns(pl.lit(account).alias("account_name"))) == ROW_HEIGHT
