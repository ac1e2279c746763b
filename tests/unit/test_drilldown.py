"""The leader's team table and the rep's live view, on a tiny hand-made org with known answers.

The org: V leads L1, who leads reps A and B; X is in another part of the org. The as-of date is
Wednesday 2026-05-20, in quarter 2026Q2 (1 April - 30 June, 91 days). As the score counts it, the
period runs up to the as-of date, exclusive of the day after: 1 April to 20 May, 50 days, 36 of them
working days, so 50/91 of the period has elapsed.

Every figure with a metric's name is the metric the score computes; the tests below compute each
by hand and check that the team table, the rep page, the engine's per-rep values and the rows
behind the leader's explanation all show the same number.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scorecard import drilldown
from scorecard.access import Viewer
from scorecard.api import Scorecard
from scorecard.calendar import parse_period
from scorecard.metrics import DISPLAY_FIGURES, METRICS
from scorecard.settings import Settings
from scorecard.store import Store
from scorecard.ui import tables

TODAY = date(2026, 5, 20)
Q2 = parse_period("2026Q2")
L1_VIEW = ("A", "B", "L1")  # what leader L1 may see: their own subtree
ELAPSED = 50 / 91
MONTH = 30.4375  # days, as the metric queries count a month


def _frames() -> dict[str, pl.DataFrame]:
    reps = pl.DataFrame({
        "rep_id": ["V", "L1", "A", "B", "X"],
        "rep_name": ["Vera Vice", "Lee Leader", "Ann Rep", "Bob Rep", "Xavier Other"],
        "manager_id": ["", "V", "L1", "L1", ""],
        "role": ["vp", "leader", "ae", "ae", "ae"],
    })
    accounts = pl.DataFrame({
        "account_id": ["ACC1", "ACC2", "ACC3"],
        "account_name": ["Acme", "Globex", "Initech"],
        "owner_rep_id": ["A", "B", "A"],
        "is_target": [True, False, True],
    })
    opportunities = pl.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "owner_rep_id": ["A", "A", "A", "A", "B", "X"],
        "account_id": ["ACC1", "ACC1", "ACC1", "ACC3", "ACC2", None],
        "created_date": [date(2026, 3, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 2),
                         date(2026, 3, 1), date(2026, 3, 1)],
        "close_date": [date(2026, 4, 15), date(2026, 5, 1), date(2026, 6, 15), date(2026, 5, 10),
                       date(2026, 5, 5), date(2026, 5, 5)],
        "stage": ["Closed Won", "Closed Lost", "Proposal", "Discovery", "Closed Won", "Closed Won"],
        "is_closed": [True, True, False, False, True, True],
        "is_won": [True, False, False, False, True, True],
        "amount": [40000.0, 10000.0, 50000.0, 20000.0, 80000.0, 999.0],
        "next_step": [None, None, "demo on Friday", None, None, None],
    })
    activities = pl.DataFrame({
        "activity_id": ["a1", "a2", "a3", "a4", "a5"],
        "rep_id": ["A", "A", "A", "B", "A"],
        "activity_at": [datetime(2026, 5, 20, 9), datetime(2026, 5, 18, 10), datetime(2026, 4, 19, 11),
                        datetime(2026, 5, 19, 14), datetime(2026, 5, 17, 8)],
        "type": ["call", "meeting", "email", "demo", "other"],
        "account_id": ["ACC1", "ACC1", "ACC3", "ACC2", None],
        "opportunity_id": ["O3", "O3", "O4", None, None],
        "contact_id": ["C1", "C2", "C3", "C9", None],
        "contact_level": ["c_level", "manager", "staff", "vp", None],
    })
    quotas = pl.DataFrame({
        "rep_id": ["A", "B"],
        "period_start": [date(2026, 4, 1)] * 2,
        "period_end": [date(2026, 6, 30)] * 2,
        "quota_amount": [100000.0, 100000.0],
    })
    history = pl.DataFrame({  # O3 was due on 31 May and has been pushed to 15 June
        "opportunity_id": ["O3"], "changed_at": [datetime(2026, 4, 1)], "close_date": [date(2026, 5, 31)],
    })
    coaching = pl.DataFrame({
        "leader_id": ["L1", "L1"], "rep_id": ["A", "A"],
        "session_at": [datetime(2026, 4, 10), datetime(2026, 5, 12)],
    })
    return {"reps": reps, "accounts": accounts, "opportunities": opportunities,
            "activities": activities, "quotas": quotas, "opportunity_history": history,
            "coaching": coaching}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("drill") / "drill.duckdb"
    store = Store(path)
    store.load(_frames(), loaded_by="test")
    return store


@pytest.fixture(scope="module")
def card(store: Store) -> Scorecard:
    return Scorecard.open(store.path, settings=Settings(db=store.path), today=TODAY)


# Ann's and Bob's figures for 2026Q2 as of 20 May, by hand:
ANN = {
    # won 40,000 (O1, 15 April) of a 100,000 quota, of which 50/91 is due by now
    "quota_attainment": 40000 / (100000 * ELAPSED),
    "attainment_full_period": 0.4,
    "won_amount": 40000.0,
    "period_quota": 100000.0,
    # O3 (50,000) and O4 (20,000) are open on the as-of date
    "open_pipeline": 70000.0,
    "expected_attainment": ELAPSED,
    # O1 won and O2 lost, both closed in the period
    "win_rate": 0.5,
    # O3 and O4 are open and older than 21 days; O4's last touch (19 April) is before 30 April
    "stalled_deal_rate": 0.5,
    # call, meeting and email (the 'other' on 17 May does not count) over 36 working days
    "activities_per_rep_day": 3 / 36,
    # two sessions over the 50 days employed in the period
    "coaching_coverage": 2 / (50 / MONTH),
}
BOB = {
    "quota_attainment": 80000 / (100000 * ELAPSED),
    "attainment_full_period": 0.8,
    "won_amount": 80000.0,
    "period_quota": 100000.0,
    "open_pipeline": 0.0,
    "expected_attainment": ELAPSED,
    "win_rate": 1.0,
    "stalled_deal_rate": None,  # no open deal: no rate, not zero
    "activities_per_rep_day": 1 / 36,
    "coaching_coverage": 0.0,  # coaching is loaded and Bob had none
}


def _assert_figures(row: dict[str, object], expected: dict[str, float | None]) -> None:
    for key, value in expected.items():
        if value is None:
            assert row[key] is None, key
        else:
            assert row[key] == pytest.approx(value), key


def test_leader_team_figures(card: Scorecard) -> None:
    team = card.leader_team("L1", "2026Q2")
    rows = {r["rep_id"]: r for r in team.iter_rows(named=True)}
    assert set(rows) == {"A", "B"}
    _assert_figures(rows["A"], ANN)
    _assert_figures(rows["B"], BOB)
    assert rows["A"]["manager_name"] == "Lee Leader"
    assert not rows["A"]["leads_team"]
    # lowest quota attainment first, so the rep who needs help is on top
    assert team["rep_id"].to_list() == ["A", "B"]
    # every column the page shows is in the frame, each with one catalogue definition
    assert set(drilldown.TEAM_TABLE) <= set(team.columns)
    assert not set(DISPLAY_FIGURES) & set(METRICS)


def test_team_table_agrees_with_the_rows_behind_the_leaders_explanation(card: Scorecard) -> None:
    team = {r["rep_id"]: r for r in card.leader_team("L1", "2026Q2").iter_rows(named=True)}
    # quota attainment: the reps behind the metric, with their own attainment
    reps = card.metric_rows("L1", "quota_attainment", "2026Q2")
    by_rep = dict(zip(reps["rep_id"], reps["attainment"], strict=True))
    assert by_rep["A"] == pytest.approx(team["A"]["quota_attainment"]) == pytest.approx(ANN["quota_attainment"])
    assert by_rep["B"] == pytest.approx(team["B"]["quota_attainment"])
    # stalled-deal rate: the open deals 21+ days old behind the metric, quiet for 21 days or not
    deals = card.metric_rows("L1", "stalled_deal_rate", "2026Q2")
    stalled = deals.group_by("owner_rep_id").agg(pl.col("quiet_21_days").mean().alias("rate"))
    assert dict(stalled.iter_rows()) == {"A": pytest.approx(team["A"]["stalled_deal_rate"])}
    # win rate: the deals closed in the period behind the metric, won or not
    closed = card.metric_rows("L1", "win_rate", "2026Q2")
    rates = closed.group_by("owner_rep_id").agg(pl.col("is_won").mean().alias("rate"))
    assert dict(rates.iter_rows()) == {"A": pytest.approx(team["A"]["win_rate"]),
                                       "B": pytest.approx(team["B"]["win_rate"])}
    # activities per rep per day: the sellers' customer activities behind the metric
    acts = card.metric_rows("L1", "activities_per_rep_day", "2026Q2").filter(pl.col("type") != "other")
    assert acts.filter(pl.col("rep_id") == "A").height / 36 == pytest.approx(team["A"]["activities_per_rep_day"])
    # coaching coverage: the sessions behind the metric
    sessions = card.metric_rows("L1", "coaching_coverage", "2026Q2")
    assert sessions.filter(pl.col("rep_id") == "A").height / (50 / MONTH) == pytest.approx(
        team["A"]["coaching_coverage"])


def test_rep_page_shows_the_scores_own_per_rep_values(card: Scorecard) -> None:
    view = card.rep_view("A", "2026Q2")
    table = card.leader_team("L1", "2026Q2").filter(pl.col("rep_id") == "A").row(0, named=True)
    engine = card.rep_metric_values("2026Q2").filter(pl.col("rep_id") == "A")
    scored = {r["metric"]: r["value"] for r in engine.iter_rows(named=True) if r["status"] != "switched_off"}
    compared = {r["metric"]: r["rep"] for r in view.vs_team.iter_rows(named=True)}
    for metric in drilldown.TEAM_METRICS:
        assert view.figures[metric] == table[metric] == scored.get(metric), metric
        if metric in compared:
            assert compared[metric] == scored[metric], metric
    for figure in (*drilldown.FIGURE_COLUMNS, "expected_attainment"):
        assert view.figures[figure] == pytest.approx(table[figure]), figure
    _assert_figures(view.figures, ANN)
    # the pace curve ends on the rep's won amount, and on the expected share of the full quota
    assert view.curve["won_to_date"][-1] == view.figures["won_amount"]
    assert view.curve["pace_to_date"][-1] == pytest.approx(ANN["period_quota"] * ELAPSED)
    # the deals the rep page flags as stalled are the ones the stalled-deal rate counts
    aged = view.deals.filter(pl.col("created_date") <= date(2026, 4, 30))
    assert aged["stalled"].mean() == pytest.approx(view.figures["stalled_deal_rate"])


def test_a_leaders_row_is_their_teams_figures_as_their_score_counts_them(card: Scorecard) -> None:
    team = card.leader_team("V", "2026Q2")
    assert team.select("rep_id", "depth", "leads_team").rows() == [
        ("L1", 1, True), ("A", 2, False), ("B", 2, False)]
    lee = team.row(0, named=True)
    explained = card.metric_values("2026Q2").filter(pl.col("leader_id") == "L1")
    for row in explained.iter_rows(named=True):
        if row["metric"] in drilldown.TEAM_METRICS and row["status"] != "switched_off":
            assert lee[row["metric"]] == row["value"], row["metric"]
    # by hand: 120,000 won of 200,000 quota, 50/91 of it due; of the team's two aged open deals one stalled
    assert lee["quota_attainment"] == pytest.approx(120000 / (200000 * ELAPSED))
    assert lee["attainment_full_period"] == pytest.approx(0.6)
    assert lee["won_amount"] == 120000.0
    assert lee["open_pipeline"] == 70000.0
    assert lee["stalled_deal_rate"] == pytest.approx(0.5)
    assert lee["win_rate"] == pytest.approx(2 / 3)  # O1 and O5 won, O2 lost


def test_a_bare_connection_gives_the_numbers_of_the_scorecard(store: Store, card: Scorecard) -> None:
    with store.reader() as con:
        bare = drilldown.leader_team(con, "L1", L1_VIEW, Q2, TODAY)
    assert_frame_equal(bare, card.leader_team("L1", "2026Q2"))


def test_leader_team_hides_reps_the_viewer_may_not_see(store: Store) -> None:
    with store.reader() as con:
        only_ann = drilldown.leader_team(con, "L1", ("A", "L1"), Q2, TODAY)
        nobody = drilldown.leader_team(con, "L1", ("X",), Q2, TODAY)
    assert only_ann["rep_id"].to_list() == ["A"]
    assert only_ann["quota_attainment"].to_list() == [pytest.approx(ANN["quota_attainment"])]
    assert nobody.is_empty()


def test_open_deals_risk_flags(store: Store) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals(con, "A", L1_VIEW, TODAY)
    # O4: no touch since 19 April, due 10 May (before the as-of date), no next step, one contact
    # O3: touched by two contacts on 18 and 20 May, but pushed from 31 May to 15 June
    assert deals["opportunity_id"].to_list() == ["O4", "O3"]
    o4, o3 = deals.row(0, named=True), deals.row(1, named=True)
    assert o4["risk_count"] == 4
    assert o4["risk_flags"] == "Stalled, Slipped close date, No next step, Single-threaded"
    assert o4["days_since_activity"] == 31  # 19 April to 20 May
    assert o3["risk_flags"] == "Slipped close date"
    assert o3["contacts"] == 2


@pytest.mark.parametrize(("today", "stalled"), [
    # On 9 May the last 21 days are 19 April to 9 May: O4's touch on 19 April keeps it live, while
    # O3's touches (18 and 20 May) have not happened yet, so O3 is stalled. On 10 May the window
    # starts on 20 April and O4 is stalled too.
    (date(2026, 5, 9), ["O3"]),
    (date(2026, 5, 10), ["O3", "O4"]),
])
def test_stalled_deals_at_the_21_day_boundary(card: Scorecard, store: Store, today: date,
                                              stalled: list[str]) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals(con, "A", L1_VIEW, today)
        figures = drilldown.figures_for(con, ["A"], Q2, today)
    assert sorted(deals.filter(pl.col("stalled"))["opportunity_id"].to_list()) == stalled
    # the stalled-deal rate counts the same deals, and the rows behind the metric name them
    assert figures.of_rep("A")["stalled_deal_rate"] == pytest.approx(len(stalled) / 2)
    as_then = Scorecard.open(store.path, settings=Settings(db=store.path), today=today)
    rows = as_then.metric_rows("L1", "stalled_deal_rate", "2026Q2")
    assert sorted(rows.filter(pl.col("quiet_21_days"))["opportunity_id"].to_list()) == stalled


def test_activity_feed_today_and_this_week(store: Store) -> None:
    with store.reader() as con:
        feed = drilldown.activity_feed(con, "A", L1_VIEW, TODAY)
        before = drilldown.activity_feed(con, "A", L1_VIEW, date(2026, 5, 19))
    # the week began on Monday 18 May: a1 (today) and a2 (Monday); a5 on Sunday 17 May is last week
    assert feed["when"].to_list() == ["Today", "This week"]
    assert feed["type"].to_list() == ["call", "meeting"]
    assert feed["account_name"].to_list() == ["Acme", "Acme"]
    # as of 19 May, the call of 20 May has not happened yet
    assert before["type"].to_list() == ["meeting"]


def test_target_accounts_uncovered_first(store: Store) -> None:
    with store.reader() as con:
        targets = drilldown.target_account_coverage(con, "A", L1_VIEW, TODAY)
    # the 30 days up to 20 May start on 21 April: Acme was touched twice, Initech (19 April) not
    assert targets["account_name"].to_list() == ["Initech", "Acme"]
    assert targets["covered"].to_list() == [False, True]
    assert targets["touches_30d"].to_list() == [0, 2]
    assert targets["open_pipeline"].to_list() == [20000.0, 50000.0]


def test_attainment_curve_against_pace(store: Store) -> None:
    with store.reader() as con:
        curve = drilldown.attainment_curve(con, "A", L1_VIEW, Q2, 100000.0, TODAY)
    assert curve.height == 50  # 1 April to 20 May
    by_day = {r["day"]: r for r in curve.iter_rows(named=True)}
    assert by_day[date(2026, 4, 14)]["won_to_date"] == 0
    assert by_day[date(2026, 4, 15)]["won_to_date"] == 40000
    # pace on 20 May: 100,000 x 50/91
    assert by_day[TODAY]["pace_to_date"] == pytest.approx(100000 * 50 / 91)


def test_rep_view_against_team_median(card: Scorecard) -> None:
    view = card.rep_view("A", "2026Q2")
    assert view.profile["manager_name"] == "Lee Leader"
    assert view.deals_at_risk == 2
    assert view.feed_today.height == 1
    assert view.activities_this_week == 2
    assert view.target_accounts_touched == pytest.approx(0.5)
    metrics = {r["metric"]: r for r in view.vs_team.iter_rows(named=True)}
    # Ann 0.728 and Bob 1.456 against pace, both scored: median 1.092, Ann is behind
    assert metrics["quota_attainment"]["team_median"] == pytest.approx(0.6 / ELAPSED)
    assert metrics["quota_attainment"]["ahead"] is False
    # coaching: Ann 1.22 and Bob 0 sessions a month; Ann is ahead of the median 0.61
    assert metrics["coaching_coverage"]["team_median"] == pytest.approx(1 / (50 / MONTH))
    assert metrics["coaching_coverage"]["ahead"] is True
    # Ann's two aged open deals are under the 10 the rubric asks before the rate is scored: her rate
    # is shown as not enough data, and no scored peer makes a median
    assert metrics["stalled_deal_rate"]["status"] == "not_enough_data"
    assert metrics["stalled_deal_rate"]["rep"] == pytest.approx(0.5)
    assert metrics["stalled_deal_rate"]["team_median"] is None
    assert metrics["stalled_deal_rate"]["ahead"] is None
    shown = tables.vs_team_table(view.vs_team, "USD").row(0, named=True)
    assert shown == {"Metric": "Quota attainment", "Rep": "0.73x", "Team median": "1.09x", "": "behind",
                     "Status": ""}


def test_rep_view_shows_what_each_part_shows_alone(store: Store, card: Scorecard) -> None:
    # the view runs its queries side by side on cursors; the page must show the same frames
    view = card.rep_view("A", "2026Q2")
    with store.reader() as con:
        assert_frame_equal(view.deals, drilldown.open_deals(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.feed, drilldown.activity_feed(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.target_accounts,
                           drilldown.target_account_coverage(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.curve, drilldown.attainment_curve(con, "A", L1_VIEW, Q2, 100000.0, TODAY))
        bare = drilldown.rep_view(con, "A", L1_VIEW, Q2, TODAY)
    assert bare is not None
    assert bare.figures == view.figures
    assert_frame_equal(bare.vs_team, view.vs_team)
    # Ann's curve ends at the 40,000 won on 15 April
    assert view.curve["won_to_date"][-1] == 40000


def test_rep_outside_the_viewers_subtree_is_not_shown(store: Store) -> None:
    with store.reader() as con:
        assert drilldown.rep_view(con, "X", L1_VIEW, Q2, TODAY) is None
        assert drilldown.open_deals(con, "X", L1_VIEW, TODAY).is_empty()
        assert drilldown.activity_feed(con, "X", L1_VIEW, TODAY).is_empty()


def test_coaching_is_unknown_without_the_coaching_extract(tmp_path: Path) -> None:
    frames = _frames()
    del frames["coaching"]
    store = Store(tmp_path / "nocoaching.duckdb")
    store.load(frames, loaded_by="test")
    with store.reader() as con:
        team = drilldown.leader_team(con, "L1", L1_VIEW, Q2, TODAY)
    assert team["coaching_coverage"].to_list() == [None, None]  # switched off, never 0


def _card_seeing(store: Store, reps: tuple[str, ...]) -> Scorecard:
    viewer = Viewer(email=None, rep_id=None, visible_reps=reps, can_upload=False, is_executive=False)
    return Scorecard.open(store.path, viewer=viewer, settings=Settings(db=store.path), today=TODAY)


def test_a_bare_connection_scores_over_the_whole_org_as_the_scorecard_does(store: Store) -> None:
    # A viewer who sees V, Lee and Ann but not Bob. Lee's row is the figures of Lee's whole team, as
    # Lee's score counts them (Ann 40,000 and Bob 80,000 won of 2 x 100,000, 50/91 of it due): 1.09x
    # against pace, not Ann's 0.73x alone; and 120,000 won, not 40,000.
    view = ("A", "L1", "V")
    with store.reader() as con:
        bare = drilldown.leader_team(con, "V", view, Q2, TODAY)
        figures = drilldown.figures_for(con, view, Q2, TODAY)
    lee = bare.filter(pl.col("rep_id") == "L1").row(0, named=True)
    assert lee["quota_attainment"] == pytest.approx(120000 / (200000 * ELAPSED))
    assert lee["won_amount"] == 120000.0
    assert bare["rep_id"].to_list() == ["L1", "A"]  # Bob is not shown
    assert_frame_equal(bare, _card_seeing(store, view).leader_team("V", "2026Q2"))
    # Ann's team median is the median of Lee's whole team (Ann 0.73x, Bob 1.46x: 1.09x), shown because
    # the viewer sees Lee; Bob's own values are not among the figures
    ann = figures.rep_values.filter((pl.col("rep_id") == "A") & (pl.col("metric") == "quota_attainment"))
    assert ann["team_median"].to_list() == [pytest.approx(0.6 / ELAPSED)]
    assert set(figures.rep_values["rep_id"].to_list()) == {"A"}
    assert set(figures.reps["unit_id"].to_list()) == {"A", "L1", "V"}
    assert set(figures.leaders["unit_id"].to_list()) == {"L1", "V"}


def test_a_rep_alone_sees_no_team_median_on_a_bare_connection(store: Store) -> None:
    # Ann alone (she may not see her manager's team): her figures, no median of peers she cannot see
    with store.reader() as con:
        alone = drilldown.rep_view(con, "A", ("A",), Q2, TODAY)
    assert alone is not None
    _assert_figures(alone.figures, ANN)
    assert alone.vs_team["team_median"].null_count() == alone.vs_team.height
    assert_frame_equal(alone.vs_team, _card_seeing(store, ("A",)).rep_view("A", "2026Q2").vs_team)


def test_open_deals_of_several_reps_in_one_query(store: Store) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals_of_reps(con, ["A", "B", "X"], L1_VIEW, TODAY)
        ann = drilldown.open_deals(con, "A", L1_VIEW, TODAY)
    # Ann's O4 (four flags) and O3 (one); Bob's only deal closed in May; Xavier is not in the view
    assert deals.select("owner_rep_id", "opportunity_id", "risk_count").rows() == [("A", "O4", 4), ("A", "O3", 1)]
    assert_frame_equal(deals.drop("owner_rep_id"), ann)


def test_the_orgs_target_accounts_cut_for_a_rep_are_the_reps_own(store: Store) -> None:
    with store.reader() as con:
        org = drilldown.org_target_accounts(con, TODAY)
        for rep in ("A", "B", "X", "V"):
            for view in (L1_VIEW, ("A",), ("X", "V")):
                assert_frame_equal(drilldown.target_accounts_among(org, rep, view),
                                   drilldown.target_account_coverage(con, rep, view, TODAY))
    ann = drilldown.target_accounts_among(org, "A", L1_VIEW)
    assert ann["account_name"].to_list() == ["Initech", "Acme"]  # as test_target_accounts_uncovered_first
    assert drilldown.target_accounts_among(org, "A", ("B",)).is_empty()  # a rep the viewer may not see
