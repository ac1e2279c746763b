"""The "Deals at risk, most urgent first" section of the Rep and Leader pages.

The order and the reasons in words are the package's (``scorecard.drilldown``: ``most_urgent_first``,
``risk_reasons``); this only draws them: the most urgent ones first, the rest on demand.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from scorecard import format
from scorecard.access import Viewer
from scorecard.drilldown import DEALS_AT_RISK_SHOWN, MOST_URGENT_FIRST
from scorecard.metrics import DISPLAY_FIGURES
from scorecard.ui import cache, widgets

HEADING = "Deals at risk, most urgent first"

_COLUMNS = ["priority", "rep_name", "account_name", "amount", "close_date", "risk_reasons", "stage"]
"""The deal's account, money and date, then why, then its stage. The forecast category and the deal's
id are in the CSV: with them the table was wider than the page at 1366 px."""
_WIDTHS = {"priority": 40, "rep_name": 110, "account_name": 150, "amount": 90, "close_date": 95,
           "risk_reasons": 270, "stage": 95}
"""Pixels: with a row's checkbox (35) they add up to 885, inside the page's 905 at 1366x768; a wider
page shares what is left among them. Long reasons wrap (:func:`row_height`), so none is cut."""
ROW_HEIGHT = 65
"""Pixels a row when some text needs more than a line: three lines, the most a deal's reasons take at
270 px (Streamlit wraps a table's text only in rows taller than 64 px)."""
_ONE_LINE = {"risk_reasons": 40, "account_name": 22}
"""The characters that fit on one line of these columns at their width (14 px type)."""
_CONFIG: dict[str, Any] = {
    "priority": st.column_config.NumberColumn("#", format="%d",
                                              help="1 is the most urgent: " + MOST_URGENT_FIRST),
    "risk_reasons": st.column_config.TextColumn("Why at risk", help=DISPLAY_FIGURES["deals_at_risk"].definition),
}


def stalled_or_slipped(deals: pl.DataFrame) -> int:
    """The deals with a strong sign: stalled, slipped or both."""
    return int(deals.filter(pl.col("strong_signs") > 0).height)


def summary(deals: pl.DataFrame, open_deals: int | None = None) -> str:
    """``12 of 40 open deals are at risk; 3 of them are stalled or slipped.`` (or ``none of them is``)"""
    n = deals.height
    counted = (f"{format.count(n)} of {format.count(open_deals)} open deals" if open_deals is not None
               else f"{format.count(n)} open deal{'' if n == 1 else 's'}")
    strong = stalled_or_slipped(deals)
    if n == 1:
        strong_ones = "it is stalled or slipped" if strong else "it is neither stalled nor slipped"
    else:
        strong_ones = ("none of them is stalled or slipped" if strong == 0 else
                       f"{format.count(strong)} of them {'is' if strong == 1 else 'are'} stalled or slipped")
    return f"{counted} {'is' if n == 1 else 'are'} at risk; {strong_ones}."


def row_height(deals: pl.DataFrame) -> int | None:
    """:data:`ROW_HEIGHT` when a deal's reasons or account need more than a line, else None (Streamlit's
    one-line rows: a short list stays compact)."""
    longest = deals.select(pl.col(c).str.len_chars().max() for c in _ONE_LINE if c in deals.columns)
    too_long = any((longest[c][0] or 0) > limit for c, limit in _ONE_LINE.items() if c in longest.columns)
    return ROW_HEIGHT if too_long else None


def section(deals: pl.DataFrame, key: str, file_name: str, *, who: Viewer, kept_as: tuple[Any, ...],
            scope: str = "", open_deals: int | None = None, select: bool = False) -> str | None:
    """Draw the deals at risk (``drilldown.at_risk`` or ``team_deals_at_risk``: ranked, with their
    reasons): a heading, what they are and how they are ordered, the ``DEALS_AT_RISK_SHOWN`` most
    urgent, the others in an expander, a CSV of every one. ``scope``: a sentence saying whose deals they
    are; ``open_deals``: how many deals are open, when the page knows.
    ``deals`` is kept in the app's cache for ``who`` under ``kept_as`` (what it depends on besides the
    data version and the viewer: the rep or leader and the period); its most urgent ones and the others
    are kept beside it, so a page run that finds them converts nothing (the CSV is made on a press).
    With ``select``, a click on a deal returns the id of its rep (the table must carry ``rep_id``)."""
    st.markdown(f"#### {HEADING}")
    if deals.is_empty():
        st.write("No open deals." if open_deals == 0 else "No open deal carries a risk flag.")
        return None
    st.caption(" ".join(part for part in (
        summary(deals, open_deals), scope, MOST_URGENT_FIRST,
        "A deal that only lacks a next step or a second contact has a gap in its record; a stalled or slipped"
        " one is going wrong.") if part))
    order = [c for c in _COLUMNS if c in deals.columns]
    top = cache.kept(f"{key}_top", who, kept_as, lambda: deals.head(DEALS_AT_RISK_SHOWN))
    rest = cache.kept(f"{key}_rest", who, kept_as, lambda: deals.slice(DEALS_AT_RISK_SHOWN))
    chosen = widgets.table(top, f"{key}_top", order=order, config=_CONFIG, select=select, widths=_WIDTHS,
                           row_height=row_height(top), height="content")  # the most urgent ones, all in sight
    picked = None
    if rest.height:
        with st.expander(f"The other {format.count(rest.height)} deals at risk"):
            picked = widgets.table(rest, f"{key}_rest", order=order, config=_CONFIG, select=select,
                                   widths=_WIDTHS, row_height=row_height(rest))
    widgets.download_csv(deals, file_name, key=f"download_{key}", label="Download every deal at risk (CSV)")
    if not select:
        return None
    return widgets.selected_value(chosen, top, "rep_id") or widgets.selected_value(picked, rest, "rep_id")
