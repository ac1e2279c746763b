"""Deals at risk, most urgent first, with the reasons in words, on a small hand-made team.

The org: L leads reps A and B and the manager M, who leads rep C; X is in another part of the org.
The as-of date is Wednesday 2026-05-20: a deal is stalled when it was created by 30 April and has had
no activity since 30 April (the last 21 days), and slipped when its close date is on or before the
as-of date or was pushed later than an earlier one.

The open deals, their flags and where they rank among L's whole team, by hand:

====  ====  =========  ========  ====================================================  ========
deal  rep   amount     closes    flags                                                  priority
====  ====  =========  ========  ====================================================  ========
D1    A     10,000     10 May    stalled (last touch 20 April), slipped (passed)        1
D5    A     200,000    20 May    slipped (due today; pushed from 15 May)                2
D4    B     80,000     25 May    stalled (never touched), no next step, no contact      3
D3    B     80,000     15 Jun    slipped (pushed twice, pulled in once)                 4
D2    A     500,000    30 Jun    single-threaded (one contact)                          5
D6    C     300,000    30 Jun    no next step                                           6
D8    B     50,000     30 Jun    none: not at risk                                      -
D9    X     900,000    1 May     stalled and slipped, but outside L's team              -
====  ====  =========  ========  ====================================================  ========

D1 is small but both stalled and slipped, so it comes before D2, ten times bigger but only
single-threaded; D4 and D3 weigh the same and have one strong sign each, so the nearer close date
(D4, 25 May) comes first.
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
L_VIEW = ("L", "A", "B", "M", "C")


def _frames() -> dict[str, pl.DataFrame]:
    reps = pl.DataFrame({
        "rep_id": ["L", "A", "B", "M", "C", "X"],
        "rep_name": ["Lee Leader", "Ann Rep", "Bob Rep", "Mia Manager", "Cal Rep", "Xavier Other"],
        "manager_id": ["", "L", "L", "L", "M", ""],
        "role": ["leader", "ae", "ae", "leader", "ae", "ae"],
    })
    accounts = pl.DataFrame({
        "account_id": ["ACC1", "ACC2"],
        "account_name": ["Acme", "Globex"],
        "owner_rep_id": ["A", "B"],
        "is_target": [True, False],
    })
    deals = ["D1", "D2", "D3", "D4", "D5", "D6", "D8", "D9", "D10"]
    opportunities = pl.DataFrame({
        "opportunity_id": deals,
        "owner_rep_id": ["A", "A", "B", "B", "A", "C", "B", "X", "A"],
        "account_id": ["ACC1", "ACC1", "ACC2", "ACC2", "ACC1", "ACC2", "ACC2", None, "ACC1"],
        "created_date": [date(2026, 3, 1), date(2026, 4, 1), date(2026, 3, 1), date(2026, 4, 1),
                         date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 1), date(2026, 3, 1),
                         date(2026, 3, 1)],
        "close_date": [date(2026, 5, 10), date(2026, 6, 30), date(2026, 6, 15), date(2026, 5, 25),
                       date(2026, 5, 20), date(2026, 6, 30), date(2026, 6, 30), date(2026, 5, 1),
                       date(2026, 4, 15)],
        "stage": ["Proposal", "Discovery", "Proposal", "Discovery", "Negotiation", "Proposal", "Proposal",
                  "Proposal", "Closed Won"],
        "is_closed": [False] * 8 + [True],
        "is_won": [False] * 8 + [True],
        "amount": [10000.0, 500000.0, 80000.0, 80000.0, 200000.0, 300000.0, 50000.0, 900000.0, 70000.0],
        "next_step": ["send the proposal", "demo", "legal review", None, "sign", "", "call", None, None],
    })
    touches = [  # (deal, rep, when, contact)
        ("D1", "A", datetime(2026, 4, 1, 10), "C11"), ("D1", "A", datetime(2026, 4, 20, 10), "C12"),
        ("D2", "A", datetime(2026, 5, 19, 10), "C21"), ("D2", "A", datetime(2026, 5, 19, 15), "C21"),
        ("D3", "B", datetime(2026, 5, 18, 10), "C31"), ("D3", "B", datetime(2026, 5, 18, 11), "C32"),
        ("D5", "A", datetime(2026, 5, 18, 9), "C51"), ("D5", "A", datetime(2026, 5, 19, 9), "C52"),
        ("D6", "C", datetime(2026, 5, 15, 9), "C61"), ("D6", "C", datetime(2026, 5, 15, 10), "C62"),
        ("D8", "B", datetime(2026, 5, 19, 9), "C81"), ("D8", "B", datetime(2026, 5, 19, 10), "C82"),
    ]
    activities = pl.DataFrame({
        "activity_id": [f"a{i}" for i in range(len(touches))],
        "rep_id": [t[1] for t in touches],
        "activity_at": [t[2] for t in touches],
        "type": ["call"] * len(touches),
        "account_id": ["ACC1"] * len(touches),
        "opportunity_id": [t[0] for t in touches],
        "contact_id": [t[3] for t in touches],
        "contact_level": ["manager"] * len(touches),
    })
    quotas = pl.DataFrame({
        "rep_id": ["A", "B", "C"],
        "period_start": [date(2026, 4, 1)] * 3,
        "period_end": [date(2026, 6, 30)] * 3,
        "quota_amount": [100000.0] * 3,
    })
    history = pl.DataFrame({
        # D3's close date: 15 May, pushed to 1 June, pulled in to 25 May, pushed to 15 June: pushed
        # out twice. D5's: 15 May, then the deal's own 20 May: pushed out once.
        "opportunity_id": ["D3", "D3", "D3", "D3", "D5"],
        "changed_at": [datetime(2026, 4, 1), datetime(2026, 5, 1), datetime(2026, 5, 10), datetime(2026, 5, 15),
                       datetime(2026, 4, 1)],
        "close_date": [date(2026, 5, 15), date(2026, 6, 1), date(2026, 5, 25), date(2026, 6, 15),
                       date(2026, 5, 15)],
    })
    return {"reps": reps, "accounts": accounts, "opportunities": opportunities, "activities": activities,
            "quotas": quotas, "opportunity_history": history}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("risk") / "risk.duckdb"
    store = Store(path)
    store.load(_frames(), loaded_by="test")
    return store


REASONS = {
    "D1": "No activity for 30 days, close date passed 10 days ago",
    "D5": "Close date is today, still open, close date pushed out once",
    "D4": "No activity in the 49 days since it was created, no next step, no contact met",
    "D3": "Close date pushed out twice",
    "D2": "Only one contact met",
    "D6": "No next step",
}


def test_the_whole_team_most_urgent_first(store: Store) -> None:
    with store.reader() as con:
        team = drilldown.leader_team(con, "L", L_VIEW, Q2, TODAY)
        deals = drilldown.team_deals_at_risk(con, team, L_VIEW, TODAY)
    assert deals.select("priority", "opportunity_id", "rep_name").rows() == [
        (1, "D1", "Ann Rep"), (2, "D5", "Ann Rep"), (3, "D4", "Bob Rep"), (4, "D3", "Bob Rep"),
        (5, "D2", "Ann Rep"), (6, "D6", "Cal Rep"),
    ]
    assert dict(zip(deals["opportunity_id"], deals["risk_reasons"], strict=True)) == REASONS
    assert deals["strong_signs"].to_list() == [2, 1, 1, 1, 0, 0]
    assert deals.columns[:3] == ["priority", "rep_id", "rep_name"]


def test_the_reasons_carry_the_figures_they_name(store: Store) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals_of_reps(con, ["A", "B", "C"], L_VIEW, TODAY)
    by_id = {d["opportunity_id"]: d for d in deals.iter_rows(named=True)}
    assert by_id["D1"]["days_since_activity"] == 30  # 20 April to 20 May
    assert by_id["D4"]["days_since_activity"] == 49  # created 1 April, never touched
    assert by_id["D3"]["close_date_pushes"] == 2
    assert by_id["D5"]["close_date_pushes"] == 1
    assert by_id["D2"]["contacts"] == 1  # two calls with the same person
    assert by_id["D8"]["risk_count"] == 0 and by_id["D8"]["risk_reasons"] == ""
    # the flags by name stay as they were: the headline count and the packs' filters use them
    assert by_id["D4"]["risk_flags"] == "Stalled, No next step, Single-threaded"


def test_one_reps_deals_in_the_same_order(store: Store) -> None:
    with store.reader() as con:
        deals = drilldown.open_deals(con, "A", L_VIEW, TODAY)
    assert deals["opportunity_id"].to_list() == ["D1", "D5", "D2"]
    at_risk = drilldown.at_risk(deals)
    assert at_risk.select("priority", "opportunity_id").rows() == [(1, "D1"), (2, "D5"), (3, "D2")]


def test_the_rep_view_lists_its_deals_at_risk(store: Store) -> None:
    with store.reader() as con:
        view = drilldown.rep_view(con, "B", L_VIEW, Q2, TODAY)
    assert view is not None
    assert view.deals_at_risk == 2  # D4 and D3; D8 has no flag
    assert view.stalled_or_slipped == 2
    assert view.at_risk["opportunity_id"].to_list() == ["D4", "D3"]
    assert view.at_risk["risk_reasons"].to_list() == [REASONS["D4"], REASONS["D3"]]


def test_a_team_seen_in_part_lists_only_the_deals_the_viewer_may_see(store: Store) -> None:
    with store.reader() as con:
        team = drilldown.leader_team(con, "L", ("L", "B"), Q2, TODAY)
        deals = drilldown.team_deals_at_risk(con, team, ("L", "B"), TODAY)
    assert deals["opportunity_id"].to_list() == ["D4", "D3"]
    assert deals["priority"].to_list() == [1, 2]


def test_an_empty_team_has_no_deals_at_risk(store: Store) -> None:
    with store.reader() as con:
        team = drilldown.leader_team(con, "L", ("X",), Q2, TODAY)
        deals = drilldown.team_deals_at_risk(con, team, ("X",), TODAY)
    assert deals.is_empty()
    assert {"priority", "rep_name", "risk_reasons", "amount", "close_date"} <= set(deals.columns)


def test_a_deal_without_an_amount_comes_after_those_with_one() -> None:
    deals = pl.DataFrame({
        "opportunity_id": ["N", "S", "B"],
        "strong_signs": [1, 1, 1],
        "amount": [None, 5.0, 7.0],
        "close_date": [date(2026, 5, 1), date(2026, 6, 1), date(2026, 6, 1)],
        "risk_count": [1, 1, 1],
    }, schema_overrides={"amount": pl.Float64})
    assert drilldown.most_urgent_first(deals)["opportunity_id"].to_list() == ["B", "S", "N"]


def test_more_flags_break_a_tie_of_amount_and_close_date() -> None:
    deals = pl.DataFrame({
        "opportunity_id": ["A1", "A2"],
        "strong_signs": [1, 1],
        "amount": [5.0, 5.0],
        "close_date": [date(2026, 6, 1)] * 2,
        "risk_count": [1, 3],
    })
    assert drilldown.most_urgent_first(deals)["opportunity_id"].to_list() == ["A2", "A1"]


# -- the whole org's open deals, made once and cut for each viewer --------------------------------------------

ORG_ORDER = ["D9", "D1", "D5", "D4", "D3", "D2", "D6", "D8"]
"""Every open deal of the org, most urgent first: D9 (Xavier's, 900,000, stalled and slipped) before D1
(10,000, the same two signs); then the three with one strong sign, the biggest first (D5), D4 before
D3 by the nearer close date; then the three without, by amount. D10 closed in April."""


def test_the_whole_orgs_open_deals_most_urgent_first(store: Store) -> None:
    with store.reader() as con:
        org = drilldown.org_open_deals(con, TODAY)
    assert org["opportunity_id"].to_list() == ORG_ORDER
    reasons = dict(zip(org["opportunity_id"], org["risk_reasons"], strict=True))
    assert {deal: reasons[deal] for deal in REASONS} == REASONS
    # created 1 March, never touched (80 days to 20 May), due 1 May, no next step, nobody met
    assert reasons["D9"] == ("No activity in the 80 days since it was created, close date passed 19 days ago,"
                             " no next step, no contact met")
    assert reasons["D8"] == ""


@pytest.mark.parametrize("view", [L_VIEW, ("L", "B"), ("X",), (*L_VIEW, "X"), ()])
def test_a_teams_deals_cut_from_the_orgs_are_those_its_query_finds(store: Store, view: tuple[str, ...]) -> None:
    with store.reader() as con:
        org = drilldown.org_open_deals(con, TODAY)
        team = drilldown.leader_team(con, "L", view, Q2, TODAY)
        assert_frame_equal(drilldown.team_deals_at_risk_among(org, team, view),
                           drilldown.team_deals_at_risk(con, team, view, TODAY))
        for reps in (["A", "B", "C", "X"], ["B"], []):
            assert_frame_equal(drilldown.open_deals_among(org, reps, view),
                               drilldown.open_deals_of_reps(con, reps, view, TODAY))


def test_the_teams_deals_cut_from_the_orgs_by_hand(store: Store) -> None:
    with store.reader() as con:
        org = drilldown.org_open_deals(con, TODAY)
        team = drilldown.leader_team(con, "L", ("L", "B"), Q2, TODAY)
    deals = drilldown.team_deals_at_risk_among(org, team, ("L", "B"))
    assert deals.select("priority", "opportunity_id", "rep_name").rows() == [(1, "D4", "Bob Rep"), (2, "D3", "Bob Rep")]


def test_the_rep_view_cut_from_the_orgs_lists_is_the_queried_one(store: Store) -> None:
    with store.reader() as con:
        org, targets = drilldown.org_open_deals(con, TODAY), drilldown.org_target_accounts(con, TODAY)
        queried = drilldown.rep_view(con, "A", L_VIEW, Q2, TODAY)
        cut = drilldown.rep_view(con, "A", L_VIEW, Q2, TODAY, org_deals=org, org_targets=targets)
        hidden = drilldown.rep_view(con, "X", L_VIEW, Q2, TODAY, org_deals=org, org_targets=targets)
    assert queried is not None and cut is not None and hidden is None
    assert cut.deals["opportunity_id"].to_list() == ["D1", "D5", "D2"]
    for part in ("deals", "target_accounts", "feed", "curve", "vs_team"):
        assert_frame_equal(getattr(cut, part), getattr(queried, part))
