"""The leader's team table and the rep's live view, on a tiny hand-made org with known answers.

The org: leader L1 manages reps A and B; X is in another part of the org. Today is Wednesday
2026-05-20, in quarter 2026Q2 (1 April - 30 June, 91 days, 50 of them elapsed; 36 working days).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scorecard import drilldown
from scorecard.calendar import parse_period
from scorecard.store import Store

TODAY = date(2026, 5, 20)
Q2 = parse_period("2026Q2")
L1_VIEW = ("A", "B", "L1")  # what leader L1 may see: their own subtree


def _frames() -> dict[str, pl.DataFrame]:
    reps = pl.DataFrame({
        "rep_id": ["L1", "A", "B", "X"],
        "rep_name": ["Lee Leader", "Ann Rep", "Bob Rep", "Xavier Other"],
        "manager_id": ["", "L1", "L1", ""],
        "role": ["leader", "ae", "ae", "ae"],
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


def test_leader_team_numbers(store: Store) -> None:
    with store.reader() as con:
        team = drilldown.leader_team(con, "L1", L1_VIEW, Q2, TODAY)
    rows = {r["rep_id"]: r for r in team.iter_rows(named=True)}
    assert set(rows) == {"A", "B"}
    ann, bob = rows["A"], rows["B"]
    # Ann: won 40,000 of a 100,000 quota; 50 of 91 days gone, so pace = 0.4 / (50/91) = 0.728
    assert ann["attainment"] == pytest.approx(0.4)
    assert ann["expected_attainment"] == pytest.approx(50 / 91)
    assert ann["pace"] == pytest.approx(0.4 * 91 / 50)
    # one won of two closed; O3 + O4 open in the quarter = 70,000 against 60,000 still to win
    assert ann["win_rate"] == pytest.approx(0.5)
    assert ann["open_pipeline"] == pytest.approx(70000)
    assert ann["pipeline_coverage"] == pytest.approx(70000 / 60000)
    # O4's last touch was 19 April, more than 21 days ago: one of two open deals stalled
    assert ann["stalled_deal_rate"] == pytest.approx(0.5)
    # call + meeting + email (the 'other' on 17 May does not count) over 36 working days
    assert ann["activities"] == 3
    assert ann["activities_per_day"] == pytest.approx(3 / 36)
    assert ann["customer_meetings"] == 1
    # target accounts ACC1 (touched 20 May) and ACC3 (last touched 19 April, 31 days ago): half covered
    assert ann["target_account_coverage"] == pytest.approx(0.5)
    assert ann["coaching_sessions"] == 2
    assert bob["attainment"] == pytest.approx(0.8)
    assert bob["stalled_deal_rate"] is None  # no open deals: no rate, not zero
    assert bob["coaching_sessions"] == 0
    # lowest attainment first, so the rep who needs help is on top
    assert team["rep_id"].to_list() == ["A", "B"]


def test_leader_team_hides_reps_the_viewer_may_not_see(store: Store) -> None:
    with store.reader() as con:
        only_ann = drilldown.leader_team(con, "L1", ("A", "L1"), Q2, TODAY)
        nobody = drilldown.leader_team(con, "L1", ("X",), Q2, TODAY)
    assert only_ann["rep_id"].to_list() == ["A"]
    assert nobody.is_empty()


def test_open_deals_risk_flags(store: Store) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals(con, "A", L1_VIEW, TODAY)
    # O4: no touch since 19 April, due 10 May (past), no next step, one contact, staff only
    # O3: touched today by a C-level and a manager contact, but pushed from 31 May to 15 June
    assert deals["opportunity_id"].to_list() == ["O4", "O3"]
    o4, o3 = deals.row(0, named=True), deals.row(1, named=True)
    assert o4["risk_count"] == 5
    assert o4["risk_flags"] == ("Stalled, Slipped close date, No next step, Single-threaded, "
                                "No executive contact")
    assert o4["days_since_activity"] == 31
    assert o3["risk_flags"] == "Slipped close date"
    assert o3["contacts"] == 2


@pytest.mark.parametrize(("today", "stalled"), [
    # O4's last touch is 19 April; O3's touches (18 and 20 May) come later than either day, and
    # a later touch still counts as the deal's last activity. On 10 May, 19 April is exactly 21
    # days back (10 May - 21 days = 19 April): still live. On 11 May the cut is 20 April: stalled.
    (date(2026, 5, 10), 0),
    (date(2026, 5, 11), 1),
])
def test_stalled_deals_at_the_21_day_boundary(store: Store, today: date, stalled: int) -> None:
    with store.reader() as con:
        ann = drilldown.rep_numbers(con, ["A"], L1_VIEW, Q2, today).row(0, named=True)
        deals = drilldown.open_deals(con, "A", L1_VIEW, today)
    assert ann["open_deals"] == 2
    assert ann["stalled_deals"] == stalled
    assert ann["stalled_deal_rate"] == pytest.approx(stalled / 2)
    # the deal list flags the same deals as the rep's numbers count
    assert deals.filter(pl.col("stalled"))["opportunity_id"].to_list() == ["O4"] * stalled


def test_activity_feed_today_and_this_week(store: Store) -> None:
    with store.reader() as con:
        feed = drilldown.activity_feed(con, "A", L1_VIEW, TODAY)
    # the week began on Monday 18 May: a1 (today) and a2 (Monday); a5 on Sunday 17 May is last week
    assert feed["when"].to_list() == ["Today", "This week"]
    assert feed["type"].to_list() == ["call", "meeting"]
    assert feed["account_name"].to_list() == ["Acme", "Acme"]


def test_target_accounts_uncovered_first(store: Store) -> None:
    with store.reader() as con:
        targets = drilldown.target_account_coverage(con, "A", L1_VIEW, TODAY)
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


def test_rep_view_against_team_median(store: Store) -> None:
    with store.reader() as con:
        view = drilldown.rep_view(con, "A", L1_VIEW, Q2, TODAY)
    assert view is not None
    assert view.profile["manager_name"] == "Lee Leader"
    assert view.deals_at_risk == 2
    assert view.feed_today.height == 1
    metrics = {r["metric"]: r for r in view.vs_team.iter_rows(named=True)}
    # the team is Ann (0.4) and Bob (0.8): median attainment 0.6, Ann is behind
    assert metrics["attainment"]["team_median"] == pytest.approx(0.6)
    assert metrics["attainment"]["ahead"] is False
    # stalled-deal rate is lower-is-better: only Ann has open deals, so the median is hers
    assert metrics["stalled_deal_rate"]["team_median"] == pytest.approx(0.5)
    assert metrics["stalled_deal_rate"]["ahead"] is True


def test_rep_view_shows_what_each_part_shows_alone(store: Store) -> None:
    # the view runs its queries side by side on cursors; the page must show the same frames
    with store.reader() as con:
        view = drilldown.rep_view(con, "A", L1_VIEW, Q2, TODAY)
        assert view is not None
        assert view.numbers["quota"] == 100000.0
        assert_frame_equal(view.deals, drilldown.open_deals(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.feed, drilldown.activity_feed(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.target_accounts,
                           drilldown.target_account_coverage(con, "A", L1_VIEW, TODAY))
        assert_frame_equal(view.curve, drilldown.attainment_curve(con, "A", L1_VIEW, Q2, 100000.0, TODAY))
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
    assert team["coaching_sessions"].to_list() == [None, None]
