"""Fiscal periods: quarters labelled like ``2026Q3``, by the fiscal year's first month."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal quarter. ``start`` is inclusive, ``end`` is the last day (inclusive)."""

    start: date
    end: date
    label: str

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_share(self, today: date) -> float:
        """How much of the period has passed on ``today`` (0 before, 1 after)."""
        if today < self.start:
            return 0.0
        if today > self.end:
            return 1.0
        return ((today - self.start).days + 1) / self.days

    def shifted(self, quarters: int, fiscal_year_start_month: int = 1) -> Period:
        return quarter_containing(_add_months(self.start, 3 * quarters), fiscal_year_start_month)

    def previous(self, fiscal_year_start_month: int = 1) -> Period:
        return self.shifted(-1, fiscal_year_start_month)

    def next(self, fiscal_year_start_month: int = 1) -> Period:
        return self.shifted(1, fiscal_year_start_month)

    def year_before(self, fiscal_year_start_month: int = 1) -> Period:
        return self.shifted(-4, fiscal_year_start_month)


def quarter_containing(d: date, fiscal_year_start_month: int = 1) -> Period:
    """The fiscal quarter that contains ``d``.

    The fiscal year is named after the calendar year in which it ends (a year starting in
    February 2026 is FY2027 unless it starts in January), as Salesforce does by default.
    """
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError("fiscal_year_start_month must be 1..12")
    months_into_year = (d.month - fiscal_year_start_month) % 12
    quarter = months_into_year // 3 + 1
    start = _add_months(date(d.year, d.month, 1), -(months_into_year % 3))
    year_start = _add_months(date(d.year, d.month, 1), -months_into_year)
    fiscal_year = year_start.year if fiscal_year_start_month == 1 else year_start.year + 1
    end = _add_months(start, 3) - timedelta(days=1)
    return Period(start, end, f"{fiscal_year}Q{quarter}")


_LABEL = re.compile(r"^(?:FY)?(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


def parse_period(label: str, fiscal_year_start_month: int = 1) -> Period:
    """Parse ``2026Q3`` (or ``FY2026Q3``) into the fiscal quarter it names."""
    m = _LABEL.match(label.strip())
    if not m:
        raise ValueError(f"not a quarter label: {label!r} (expected like 2026Q3)")
    fiscal_year, quarter = int(m.group(1)), int(m.group(2))
    first_year = fiscal_year if fiscal_year_start_month == 1 else fiscal_year - 1
    start = _add_months(date(first_year, fiscal_year_start_month, 1), 3 * (quarter - 1))
    return quarter_containing(start, fiscal_year_start_month)


def recent_quarters(today: date, count: int, fiscal_year_start_month: int = 1) -> list[Period]:
    """The ``count`` quarters ending with the one containing ``today``, oldest first."""
    current = quarter_containing(today, fiscal_year_start_month)
    return [current.shifted(-i, fiscal_year_start_month) for i in range(count - 1, -1, -1)]
