"""The data's as-of date, and everything that means "now" measured at it, on an org whose data ended
long before the machine's clock (hand-computed answers in the comments).

The org (data from 2023-01-10 to 2023-11-15; loaded years later):

    Vera (V, VP)
    ├── Lena (L): a player-coach, she sells herself
    │   ├── Rita (R1)  hired 2015
    │   └── Raj  (R2)  hired 2023-02-01, inside the data window
    └── Kurt (K): sells nothing himself
        └── Sam (S1)

As of 2023-11-15 the quarter 2023Q4 (1 Oct - 31 Dec, 92 days) is in progress: 46 days are measured
(1 Oct - 15 Nov), half of it. The previous quarter 2023Q3 (92 days) cut at the same share is
1 Jul - 15 Aug.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from scorecard import cli, sql
from scorecard.api import Scorecard
from scorecard.as_of import data_as_of, format_as_of
from scorecard.settings import Settings
from scorecard.store import Store

AS_OF = date(2023, 11, 15)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text + " 10:00:00")


def past_org_frames() -> dict[str, pl.DataFrame]:
    reps = pl.DataFrame({
        "rep_id": ["V", "L", "R1", "R2", "K", "S1"],
        "rep_name": ["Vera", "Lena", "Rita", "Raj", "Kurt", "Sam"],
        "manager_id": [None, "V", "L", "L", "V", "K"],
        "hire_date": [_d("2015-01-01"), _d("2015-01-01"), _d("2015-01-01"), _d("2023-02-01"), _d("2015-01-01"),
                      _d("2015-01-01")],
    })
    deals = [
        # id, owner, created, close, closed, won, amount, next step
        ("D1", "L", "2023-09-01", "2023-10-20", True, True, 80_000, None),
        ("D2", "L", "2023-09-15", "2023-11-02", True, True, 40_000, None),
        ("D3", "L", "2023-10-01", "2023-10-25", True, False, 10_000, None),
        ("D4", "R1", "2023-08-01", "2023-10-10", True, True, 20_000, None),
        ("D5", "R1", "2023-09-01", "2023-11-01", True, False, None, None),  # lost, no amount
        ("D6", "R2", "2023-11-10", "2023-10-30", True, True, 30_000, None),  # closed before it was created
        ("D7", "R2", "2023-08-01", "2023-12-15", False, False, 25_000, "Call back"),  # open, never touched
        ("D8", "R1", "2023-09-01", "2023-12-20", False, False, 35_000, "Demo"),  # open, touched 10 Nov
        ("D9", "R1", "2023-10-15", None, False, False, 15_000, "Proposal"),  # open without a close date
        ("D10", "S1", "2023-07-01", "2023-10-15", True, True, 50_000, None),
        ("D11", "S1", "2023-08-01", "2023-11-05", True, False, 20_000, None),
        ("D12", "S1", "2023-09-10", "2023-10-30", True, False, 5_000, None),
        ("D13", "R1", "2023-01-10", "2023-03-20", True, True, 15_000, None),
        ("D14", "S1", "2023-02-01", "2023-05-10", True, True, 25_000, None),
        ("D15", "L", "2023-07-10", "2023-08-10", True, True, 60_000, None),
        ("D16", "L", "2023-07-20", "2023-09-20", True, True, 90_000, None),
    ]
    opportunities = pl.DataFrame(
        [(i, o, _d(c), _d(cl), closed, won, None if a is None else float(a), ns, "Closed" if closed else "Open")
         for i, o, c, cl, closed, won, a, ns in deals],
        schema={"opportunity_id": pl.String, "owner_rep_id": pl.String, "created_date": pl.Date,
                "close_date": pl.Date, "is_closed": pl.Boolean, "is_won": pl.Boolean, "amount": pl.Float64,
                "next_step": pl.String, "stage": pl.String},
        orient="row",
    )
    activities = pl.DataFrame(
        [("a1", "R1", _t("2023-11-10"), "call", "D8"),
         ("a2", "R1", _t("2023-11-14"), "email", "D9"),
         ("a3", "L", _t("2023-11-08"), None, "D8"),  # a task without a type
         ("a4", "S1", _t("2023-10-02"), "call", "D11"),
         ("a5", "S1", _t("2023-11-15"), "email", None)],
        schema={"activity_id": pl.String, "rep_id": pl.String, "activity_at": pl.Datetime("us"),
                "type": pl.String, "opportunity_id": pl.String},
        orient="row",
    )
    quotas = pl.DataFrame({
        "rep_id": ["L", "R1", "R2", "S1"],
        "period_start": [_d("2023-10-01")] * 4,
        "period_end": [_d("2023-12-31")] * 4,
        "quota_amount": [100_000.0] * 4,
    })
    coaching = pl.DataFrame({"leader_id": ["L"], "rep_id": ["R1"], "session_at": [_t("2023-10-10")]})
    return {"reps": reps, "opportunities": opportunities, "activities": activities, "quotas": quotas,
            "coaching": coaching}


@pytest.fixture(scope="module")
def past_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("past") / "past.duckdb"
    Store(path).load(past_org_frames(), loaded_by="test")
    return path


@pytest.fixture(scope="module")
def card(past_db: Path) -> Scorecard:
    return Scorecard.open(past_db, settings=Settings(db=past_db))


def test_as_of_date_is_read_from_the_data(past_db: Path) -> None:
    # the newest activity (a5, 15 Nov), not the open deals' close dates in December (D7, D8) nor the
    # day the file was loaded, years later
    with Store(past_db).reader() as con:
        assert data_as_of(con) == AS_OF
        assert sql.run(con, "as_of_from_data").item() == AS_OF
    assert format_as_of(AS_OF) == "Data as of 15 Nov 2023"
    assert format_as_of(None) == "No data loaded yet"


def test_as_of_date_given_with_the_load_wins(tmp_path: Path) -> None:
    store = Store(tmp_path / "given.duckdb")
    store.load(past_org_frames(), loaded_by="test", as_of=date(2023, 12, 29))
    with store.reader() as con:
        assert data_as_of(con) == date(2023, 12, 29)
    assert Scorecard.open(store.path, settings=Settings(db=store.path)).current_period().label == "2023Q4"


def test_empty_database_has_no_as_of_date(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.duckdb")
    store.initialise()
    with store.reader() as con:
        assert data_as_of(con) is None
    card = Scorecard.open(store.path, settings=Settings(db=store.path))
    assert card.data_as_of() is None
    assert card.today == date.today()  # the machine's clock only when there is no data at all


def test_now_is_the_as_of_date(card: Scorecard) -> None:
    assert card.data_as_of() == AS_OF
    assert card.today == AS_OF
    assert card.current_period().label == "2023Q4"
    assert card.scored().period.label == "2023Q4"
    assert card.period_status() == "in progress: 46 of 92 days, to 15 Nov 2023"
    assert card.period_status("2023Q3") == "complete"
    # the periods the data covers: the first deal was created on 10 January 2023
    assert [p.label for p in card.periods()] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]


def test_score_history_spans_the_quarters_of_the_data(card: Scorecard) -> None:
    history = card.history("L")
    assert history["period"].to_list() == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert history["in_progress"].to_list() == [False, False, False, True]
    assert history["coverage"].str.contains(r"of 5 roles, \d+% of the weight").all()
    assert history["overall"][-1] == pytest.approx(card.scores_of("L")["overall"])


def test_stale_deals_are_measured_at_the_as_of_date(card: Scorecard) -> None:
    got = card.metric_values().filter(pl.col("leader_id") == "L")
    by_metric = {r["metric"]: r for r in got.iter_rows(named=True)}
    # open on 16 Nov 2023 and at least 21 days old (created by 26 Oct): D7 (never touched: stalled),
    # D8 (touched 10 Nov), D9 (touched 14 Nov). Measured at the machine's clock all three would be
    # years stale.
    assert (by_metric["stalled_deal_rate"]["value"], by_metric["stalled_deal_rate"]["sample"]) == \
        (pytest.approx(1 / 3), 3)
    rows = card.metric_rows("L", "stalled_deal_rate")
    assert dict(zip(rows["opportunity_id"], rows["quiet_21_days"], strict=True)) == \
        {"D7": True, "D8": False, "D9": False}
    # hygiene: D7 has no activity in the last 30 days, D9 has no close date: only D8 is hygienic
    assert by_metric["pipeline_hygiene"]["value"] == pytest.approx(1 / 3)


def test_a_quarter_in_progress_is_compared_at_the_same_share_elapsed(card: Scorecard) -> None:
    before = card.previous_scored()
    assert before.period.label == "2023Q3"
    assert before.window is not None and before.window.as_of == date(2023, 8, 16)  # 46 of 92 days
    # Lena's team's won deals in 2023Q3: D15 (10 Aug, 60k) inside the first 46 days, D16 (20 Sep, 90k)
    # after: the quarter cut at 15 Aug counts D15 alone, the whole quarter both
    rows = card.metric_rows("L", "avg_deal_size", "2023Q3")
    assert rows["opportunity_id"].to_list() == ["D16", "D15"]
    cut = before.assessed.filter((pl.col("leader_id") == "L") & (pl.col("metric") == "avg_deal_size"))
    assert (cut["value"][0], cut["sample"][0]) == (60_000.0, 1)
    whole = card.metric_values("2023Q3").filter((pl.col("leader_id") == "L") & (pl.col("metric") == "avg_deal_size"))
    assert (whole["value"][0], whole["sample"][0]) == (75_000.0, 2)
    leaders = card.leaders()
    assert leaders["in_progress"].all()
    lena = leaders.filter(pl.col("leader_id") == "L").row(0, named=True)
    assert lena["overall_change"] == pytest.approx(lena["overall"] - before.scores.filter(
        pl.col("leader_id") == "L")["overall"][0])


def test_score_command_scores_the_quarter_of_the_as_of_date(past_db: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["score", "--db", str(past_db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("Scores for 2023Q4 (1 Oct 2023 to 31 Dec 2023, in progress: 46 of 92 days,"
                                   " to 15 Nov 2023), the quarter of the data's as-of date (15 Nov 2023),"
                                   " 3 leaders")
    assert cli.main(["score", "--db", str(past_db), "--period", "2023Q3", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("Scores for 2023Q3 (1 Jul 2023 to 30 Sep 2023, complete), 3 leaders")
    # another date can be asked for: the quarter of that date is scored, as of it
    assert cli.main(["score", "--db", str(past_db), "--as-of", "2023-08-15"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "Scores for 2023Q3 (1 Jul 2023 to 30 Sep 2023, in progress: 46 of 92 days, to 15 Aug 2023), the quarter"
        " of the as-of date given (15 Aug 2023), 3 leaders")
