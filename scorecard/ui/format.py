"""The one formatter: how every page writes money, shares, ratios, points, changes and dates.

Plain Python (no Streamlit), so the charts write figures the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

MISSING = "–"
"""What a missing value reads as, everywhere (never "None", never 0)."""

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency_code: str | None = None) -> str:
    """$1.2M, $45K, $900; other currencies as 1.2M CHF."""
    if value is None or missing(value):
        return MISSING
    code = currency_code or "USD"
    amount = abs(value)
    if amount >= 1e6:
        text = f"{amount / 1e6:.1f}M"
    elif amount >= 1e4:
        text = f"{amount / 1e3:.0f}K"
    else:
        text = f"{amount:,.0f}"
    sign = "-" if value < 0 else ""
    symbol = _SYMBOLS.get(code.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code.upper()}"


def percent(value: float | None, digits: int = 0) -> str:
    """0.425 -> 42%."""
    if value is None or missing(value):
        return MISSING
    return f"{value * 100:.{digits}f}%"


def ratio(value: float | None) -> str:
    if value is None or missing(value):
        return MISSING
    return f"{value:.1f}x"


def points(value: float | None) -> str:
    if value is None or missing(value):
        return MISSING
    return f"{value:.0f}"


def change(value: float | None) -> str:
    """Change against the previous period as an arrow and points: ▲ 4, ▼ 2, ► 0."""
    if value is None or missing(value):
        return "new"
    if round(value) > 0:
        return f"▲ {value:.0f}"
    if round(value) < 0:
        return f"▼ {abs(value):.0f}"
    return "► 0"


def delta(value: float | None) -> str | None:
    """A change in points for ``st.metric`` (None hides the delta)."""
    return None if value is None or missing(value) else f"{value:+.0f}"


def as_of(day: date | None) -> str:
    """"Data as of 29 Dec 2023" (or that nothing is loaded yet)."""
    from scorecard.as_of import format_as_of

    return format_as_of(day)


def metric_label(metric: str) -> str:
    from scorecard.metrics import METRICS

    found = METRICS.get(metric)
    return found.label if found else metric


def level_name(level: str) -> str:
    names = {"all": "All levels", "0": "Top (0)", "1": "Level 1", "2": "Level 2"}
    return names.get(level, f"Level {level}")


def leader_caption(row: Mapping[str, Any]) -> str:
    level = row.get("level")
    parts = [f"level {level}" if level is not None else "", row.get("region") or "",
             f"team of {row.get('team_size') or 0}"]
    return " · ".join(p for p in parts if p)
