"""The one formatter: how every page, chart, pack, digest and explanation writes money, shares,
ratios, points, changes, days, dates and the codes the data carries.

- **Money** carries its currency: the short form in charts and headline figures (``$1.2M``,
  ``$46K``, ``$9.9K``, ``$900``; ``1.2M CHF`` for a currency without a symbol), the exact figure in
  tables (``$139,700``, whole units).
- **Shares** are whole percentages (``42%``); under one percent one decimal (``0.4%``), so a share
  that is not zero never reads ``0%``.
- **Ratios** have two decimals (``1.12x``: 1.00x is on pace), **points** none, **days** are days.
- **Dates** read ``15 Nov 2023`` (never ``00:00:00``), times ``15 Nov 2023, 14:05``.
- **Codes** (``c_level``, ``best_case``, ``not_enough_data``...) read as words (:func:`label`).
- A missing value reads :data:`MISSING`, never "None", never 0.

Plain Python (no Streamlit), so the charts, the PDF packs, the e-mails and the command line write
figures the same way; ``scorecard.ui.tables`` gives Streamlit's tables the matching column formats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

MISSING = "–"
"""What a missing value reads as, everywhere (never "None", never 0)."""

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
"""Currencies written with a symbol before the amount; any other code follows it (``1.2M CHF``)."""


def missing(value: object) -> bool:
    """None or NaN: a value the data does not have."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object) -> float | None:
    return None if missing(value) or not isinstance(value, int | float) else float(value)


# -- money --------------------------------------------------------------------------------------------

def _with_currency(text: str, negative: bool, currency: str | None) -> str:
    code = (currency or "USD").upper()
    sign = "-" if negative else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def money(value: float | None, currency: str | None = None) -> str:
    """The exact amount in whole units, for tables: ``$139,700``, ``-£2,500``, ``12,000 CHF``."""
    amount = _number(value)
    if amount is None:
        return MISSING
    return _with_currency(f"{abs(amount):,.0f}", amount < 0 and round(amount) != 0, currency)


def money_short(value: float | None, currency: str | None = None) -> str:
    """The amount in short, for charts and headline figures: ``$1.2M``, ``$46K``, ``$9.9K``, ``$900``,
    ``$2B``; one decimal below ten of a unit, none above, never a trailing ``.0``."""
    amount = _number(value)
    if amount is None:
        return MISSING
    size = abs(amount)
    for step, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if round(size) >= step:
            scaled = size / step
            text = f"{scaled:.1f}" if round(scaled, 1) < 10 else f"{scaled:.0f}"
            text = text.removesuffix(".0")
            if text == "1000" and unit != "B":  # $999,999 is $1M, not $1000K
                text, unit = "1", {"K": "M", "M": "B"}[unit]
            return _with_currency(text + unit, amount < 0, currency)
    return _with_currency(f"{size:,.0f}", amount < 0 and round(size) != 0, currency)


def money_format(currency: str | None = None) -> str:
    """The printf format of an exact amount in a table column (``$%,.0f``: ``$139,700``)."""
    code = (currency or "USD").upper()
    symbol = SYMBOLS.get(code)
    return f"{symbol}%,.0f" if symbol else f"%,.0f {code}"


# -- shares, ratios, points, counts, days ---------------------------------------------------------

def share(value: float | None) -> str:
    """0.425 -> ``42%``, 1.3 -> ``130%``; under one percent one decimal, so a share that is not zero
    never reads ``0%`` (0.004 -> ``0.4%``)."""
    number = _number(value)
    if number is None:
        return MISSING
    if number != 0 and abs(number) < 0.0005:
        return "<0.1%" if number > 0 else "-<0.1%"
    if number != 0 and abs(number) < 0.0095:
        return f"{number:.1%}"
    return f"{number:.0%}"


def ratio(value: float | None) -> str:
    """1.124 -> ``1.12x``."""
    number = _number(value)
    return MISSING if number is None else f"{number:.2f}x"


def points(value: float | None) -> str:
    """A score or a metric's points, 0-100, whole: 71.6 -> ``72``."""
    number = _number(value)
    return MISSING if number is None else f"{number:.0f}"


def count(value: float | None) -> str:
    """1234 -> ``1,234``."""
    number = _number(value)
    return MISSING if number is None else f"{number:,.0f}"


def days(value: float | None) -> str:
    """12.4 -> ``12 days``, 1 -> ``1 day``."""
    number = _number(value)
    if number is None:
        return MISSING
    whole = round(number)
    return f"{whole:,} day" if whole == 1 else f"{whole:,} days"


# -- changes -----------------------------------------------------------------------------------------

def change(value: float | None) -> str:
    """Change against the previous period as an arrow and points: ``▲ 4``, ``▼ 2``, ``► 0``; ``new``
    when there is nothing to compare with."""
    number = _number(value)
    if number is None:
        return "new"
    whole = round(number)
    if whole > 0:
        return f"▲ {whole}"
    if whole < 0:
        return f"▼ {-whole}"
    return "► 0"


def delta(value: float | None) -> str | None:
    """A change in points for ``st.metric``: ``+4``, ``-2``, ``0`` (None hides the delta)."""
    number = _number(value)
    if number is None:
        return None
    whole = round(number)
    return f"{whole:+d}" if whole else "0"


def delta_colour(value: float | None) -> Literal["normal", "off"]:
    """``st.metric``'s colour of a change: green up, red down, grey when it rounds to no change."""
    number = _number(value)
    return "normal" if number is not None and round(number) != 0 else "off"


# -- dates ----------------------------------------------------------------------------------------------

DATE_FORMAT = "D MMM YYYY"
"""The same date format for Streamlit's date columns (``15 Nov 2023``)."""
DATETIME_FORMAT = "D MMM YYYY, HH:mm"
"""The same for a moment (``15 Nov 2023, 14:05``)."""


def day(value: date | datetime | None) -> str:
    """``15 Nov 2023`` (a moment's date only)."""
    if value is None:
        return MISSING
    return f"{value.day} {value:%b %Y}"


def moment(value: datetime | date | None) -> str:
    """``15 Nov 2023, 14:05``; a date alone has no time to show (never ``00:00``)."""
    if value is None:
        return MISSING
    if not isinstance(value, datetime):
        return day(value)
    return f"{day(value)}, {value:%H:%M}"


def as_of(value: date | None) -> str:
    """``Data as of 29 Dec 2023`` (or that nothing is loaded yet)."""
    return "No data loaded yet" if value is None else f"Data as of {day(value)}"


# -- a value in its unit ---------------------------------------------------------------------------------

def value(number: float | None, unit: str, currency: str | None = None) -> str:
    """A metric's or a figure's value in its unit (``scorecard.metrics``: share, money, ratio, days,
    reps, per_month, per_rep_day, contacts, count), as the tables write it."""
    amount = _number(number)
    if amount is None:
        return MISSING
    if unit == "share":
        return share(amount)
    if unit == "money":
        return money(amount, currency)
    if unit == "ratio":
        return ratio(amount)
    if unit == "days":
        return days(amount)
    if unit == "count":
        return count(amount)
    if unit == "reps":
        return f"{amount:.0f} rep" if round(amount) == 1 else f"{amount:.0f} reps"
    if unit == "per_month":
        return f"{amount:.1f}/month"
    if unit == "per_rep_day":
        return f"{amount:.1f}/rep/day"
    return f"{amount:,.1f}"


# -- codes as words --------------------------------------------------------------------------------------

CODES: dict[str, str] = {
    # forecast categories
    "pipeline": "Pipeline", "best_case": "Best case", "commit": "Commit", "closed": "Closed", "omitted": "Omitted",
    # contact levels
    "c_level": "C-level", "vp": "VP", "director": "Director", "manager": "Manager", "staff": "Staff",
    # activity types
    "call": "Call", "email": "E-mail", "meeting": "Meeting", "demo": "Demo", "content": "Content",
    "social": "Social", "event": "Event", "other": "Other",
    # roles
    "ae": "Account executive", "sdr": "Sales development rep", "se": "Sales engineer", "leader": "Leader",
    "executive": "Executive", "partner": "Partner", "rep": "Rep",
    # lead sources
    "inbound": "Inbound", "outbound": "Outbound", "marketing": "Marketing", "referral": "Referral",
    # deal types
    "new": "New business", "renewal": "Renewal", "upsell": "Upsell", "expansion": "Expansion",
    # a metric's status
    "scored": "Scored", "not_enough_data": "Not enough data", "switched_off": "Switched off",
    # a rule's outcome on an upload
    "reject": "Rejected", "flag": "Flagged", "note": "Note",
    # where a load came from
    "upload": "Upload", "cli": "Command line", "inbox": "Inbox", "restore": "Restore",
    # units of the metric catalogue
    "share": "Share", "money": "Money", "ratio": "Ratio", "days": "Days", "per_month": "Per month",
    "per_rep_day": "Per rep per day", "contacts": "Contacts", "reps": "Reps", "count": "Count",
    # directions
    "higher": "Higher is better", "lower": "Lower is better", "range": "Best within a range",
    # extracts of the data model
    "accounts": "Accounts", "opportunities": "Deals", "activities": "Activities",
    "quotas": "Quotas", "forecasts": "Forecasts", "opportunity_history": "Deal stage history",
    "coaching": "Coaching", "opportunity_team": "Deal teams", "currency_rates": "Currency rates",
}
"""Every code the canonical data model and the scoring use, in words. CRM text (a stage name, an
industry) is not a code: it is shown as typed."""

CODE_COLUMNS = ("forecast_category", "contact_level", "type", "role", "lead_source", "status", "outcome",
                "source", "unit", "better", "direction", "extract")
"""Columns whose values are codes (:data:`CODES`), wherever they appear."""


def label(code: object) -> str:
    """A code in words (``c_level`` -> ``C-level``); an unknown one as written, a missing one :data:`MISSING`."""
    if code is None or missing(code):
        return MISSING
    text = str(code)
    return CODES.get(text, CODES.get(text.lower(), text))


def heading(column: str) -> str:
    """A column's name as a heading: ``days_since_activity`` -> ``Days since activity``."""
    words = column.replace("_", " ").strip()
    words = " ".join("ID" if w == "id" else w for w in words.split())
    return words[:1].upper() + words[1:]


# -- names of things ----------------------------------------------------------------------------------

def metric_label(metric: str) -> str:
    from scorecard.metrics import METRICS

    found = METRICS.get(metric)
    return found.label if found else heading(metric)


def region_name(region: str) -> str:
    """A region as the filter lists it: ``all`` reads "All regions"; a region's name as typed."""
    return "All regions" if region == "all" else region


def level_name(level: str) -> str:
    names = {"all": "All levels", "0": "Top (0)"}
    return names.get(level, f"Level {level}")


def leader_caption(row: Mapping[str, Any]) -> str:
    """``level 2 · EMEA · team of 9``."""
    level = row.get("level")
    parts = [f"level {level}" if level is not None else "", row.get("region") or "",
             f"team of {row.get('team_size') or 0}"]
    return " · ".join(p for p in parts if p)
