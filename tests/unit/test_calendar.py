from datetime import date

import pytest

from scorecard.calendar import parse_period, quarter_containing, recent_quarters


def test_calendar_year_quarters() -> None:
    q = quarter_containing(date(2026, 11, 22))
    assert (q.start, q.end, q.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
    assert q.previous().label == "2026Q3" and q.year_before().label == "2025Q4"
    assert parse_period("2026Q3") == q.previous()
    # 22 Nov is day 53 of the 92-day quarter
    assert q.elapsed_share(date(2026, 11, 22)) == pytest.approx(53 / 92)


def test_fiscal_year_starting_in_february() -> None:
    # FY2027 runs Feb 2026 - Jan 2027; its Q4 is Nov 2026 - Jan 2027
    q = quarter_containing(date(2026, 11, 22), fiscal_year_start_month=2)
    assert (q.start, q.end, q.label) == (date(2026, 11, 1), date(2027, 1, 31), "2027Q4")
    assert parse_period("2027Q1", 2).start == date(2026, 2, 1)
    assert [p.label for p in recent_quarters(date(2026, 11, 22), 3, 2)] == ["2027Q2", "2027Q3", "2027Q4"]


def test_bad_label_is_refused() -> None:
    with pytest.raises(ValueError, match="2026Q3"):
        parse_period("Q3 of 2026")

