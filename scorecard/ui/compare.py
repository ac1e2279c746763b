"""The Compare page's share of the app's edge: the comparison kept in the one cache, the pickers whose
choice lives in the URL (``?leaders=U0005,U0006`` or ``?cohort=level:2,region:EMEA``), the tables in
words and what a click on a chart opens.

The pickers follow the app's one rule (``widgets``, docs/ui.md): the URL is the view. On every run each
picker takes its value from the URL, whatever it showed before, so Back, Forward and a pasted link show
their comparison; a pick writes the URL in the picker's callback, one step in the browser's history (a
switch between leaders and a cohort writes both parameters in that one step). Opening a link writes
nothing: an id the viewer cannot see stays in the URL and is said until the choice changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import polars as pl
import streamlit as st

from scorecard import charts, format
from scorecard.access import Viewer
from scorecard.compare import MAX_LEADERS, Cohort, Comparison, compare, parse_leader_ids
from scorecard.ui import cache, state, widgets
from scorecard.ui.cache import ScoredPeriod
from scorecard.ui.text import plain

LEADERS = "leaders"
"""URL parameter: the leaders picked, ids separated by commas."""
COHORT = "cohort"
"""URL parameter: the peer cohort, ``level:2,region:EMEA`` (``Cohort.parse``)."""
ANY = "any"
MODES = {"leaders": "Leaders I pick", "cohort": "A peer cohort"}


def comparison(who: Viewer, period: str | None, chosen: tuple[str, ...] | Cohort) -> Comparison:
    """The leaders ``chosen`` (ids, or a peer cohort) side by side, among those the viewer may see;
    once per data version, rubric, viewer's reps, period and choice."""
    return cache.kept("comparison", who, (period, chosen), lambda: compare(cache.card_for(who), chosen, period))


def in_words(table: pl.DataFrame, side: Comparison) -> pd.DataFrame:
    """A table of :class:`Comparison` (``score_table``, ``metric_table``) as ``st.table`` shows it: every
    cell in words, so a long metric name or reason wraps inside its cell and reads in full at any width
    (the grid of ``st.dataframe`` cuts it). The first column (the metric, the score) is the table's
    index, which stays in view when a cohort's many leaders make the table scroll sideways; a leader's
    short cell ("12.3/month · 45 pts") keeps to one line. Weights and gaps written as the pages write
    them, a missing value as "–" (never "None"), the key column and a column empty for every row left
    out. ``st.table`` reads Markdown: every heading and cell is escaped (CRM text is data, never markup)."""
    shown = table.drop([c for c in ("metric",) if c in table.columns])
    shown = shown.drop([c for c in ("Weight", "Ahead", "Counts in", "Note")
                        if c in shown.columns and shown[c].null_count() == shown.height])
    whole = {*side.names.values(), "Org median"}
    cells: dict[str, list[str]] = {}
    for column in shown.columns:
        values = shown[column].to_list()
        if column == "Weight":
            words = [format.MISSING if v is None else f"{v:g}" for v in values]
        elif column == "Gap (points)":
            words = [format.points(v) for v in values]
        else:
            words = [format.MISSING if v is None or not str(v).strip() else str(v) for v in values]
        if column in whole:
            words = [w.replace(" ", NO_BREAK) if len(w) <= ONE_LINE else w for w in words]
        cells[plain(column)] = [plain(w) for w in words]
    frame = pd.DataFrame(cells)
    return frame.set_index(frame.columns[0]) if len(frame.columns) else frame


NO_BREAK = "\u00a0"
ONE_LINE = 24
"""A leader's cell of at most this many characters is kept on one line (a value and its points); a
longer one (a reason) wraps."""
WIDE = 10_000
"""``st.table``'s width for a cohort of more than five: wider than any page, so the table takes the
page's width and its index (the metric) stays in view when its columns scroll sideways (Streamlit keeps
the index in view only in a table of a set width, whose cells then wrap no more)."""


def table_width(side: Comparison) -> int | Literal["stretch"]:
    """How wide ``st.table`` draws the comparison's tables: the page's width, where up to five leaders'
    cells wrap to fit it; for a larger cohort, :data:`WIDE`."""
    return "stretch" if len(side.names) <= MAX_LEADERS else WIDE


def clicked_cell(widget: str, event: Any) -> tuple[str, str] | None:
    """(leader id, score) of the heatmap cell or bar the chart keyed ``widget`` selected, when it is a
    new click (``widgets.clicked``: a selection that stays on the chart counts once), else None."""
    cell = charts.selected_cell(event)
    return cell if widgets.clicked(widget, None if cell is None else "\t".join(cell)) else None


# -- links from other pages ---------------------------------------------------------------------------------

def cohort_params(cohort: Cohort, period: str | None = None) -> dict[str, str]:
    """The query parameters of the Compare page showing a peer cohort (for ``st.page_link``)."""
    return {COHORT: cohort.key, **({"period": period} if period else {})}


def leaders_params(leader_ids: list[str] | tuple[str, ...], period: str | None = None) -> dict[str, str]:
    """The query parameters of the Compare page showing these leaders (for ``st.page_link``)."""
    return {LEADERS: ",".join(leader_ids), **({"period": period} if period else {})}


# -- pickers that follow the URL ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """What the URL asks to compare: leader ids (as the URL names them, some perhaps unknown) or a peer
    cohort; ``problem`` says why a link's cohort could not be read."""

    chosen: tuple[str, ...] | Cohort
    problem: str | None = None


def choose(scored: ScoredPeriod) -> Choice:
    """Draw the pickers (leaders or a cohort), each showing the URL's choice, and return that choice."""
    cohort_text = state.param(COHORT)
    mode = "cohort" if cohort_text is not None else "leaders"
    st.session_state["compare_mode"] = mode  # the URL outranks what the control showed before
    st.segmented_control("Compare", list(MODES), format_func=MODES.__getitem__, key="compare_mode",
                         required=True, on_change=_switch, args=(scored.leaders,))
    if mode == "cohort":
        return _choose_cohort(scored.leaders, cohort_text)
    return _choose_leaders(scored.leaders)


def _switch(leaders: pl.DataFrame) -> None:
    """Switched between leaders and a cohort: the URL carries over what can be carried (the first
    leader's peers; a cohort of two to five as its leaders), in one step of the history."""
    mode = st.session_state.get("compare_mode")
    view: dict[str, object] = {k: v for k, v in st.query_params.to_dict().items() if k not in (LEADERS, COHORT)}
    if mode == "cohort":
        view[COHORT] = _starting_cohort(leaders, parse_leader_ids(state.param(LEADERS))).key
    elif mode == "leaders":
        members = _cohort_members(leaders, state.param(COHORT))
        view[LEADERS] = ",".join(members) if 2 <= len(members) <= MAX_LEADERS else None
    else:
        return
    state.show_view(**view)


def _choose_leaders(leaders: pl.DataFrame) -> Choice:
    ordered = leaders.sort(["level", "leader_name", "leader_id"], nulls_last=True)
    options = [str(i) for i in ordered["leader_id"].to_list()]
    labels = {str(r["leader_id"]): _leader_label(r) for r in ordered.iter_rows(named=True)}
    widgets.choose_several("Leaders (two to five)", options, LEADERS, format_func=lambda i: labels.get(i, i),
                           max_selections=MAX_LEADERS, placeholder="Pick the leaders to put side by side",
                           unknown=_unknown_leaders)
    return Choice(tuple(parse_leader_ids(state.param(LEADERS))))


def _unknown_leaders(ids: list[str]) -> str:
    """Ids of a link that are no leader the viewer may see (unknown, or outside their part of the
    organisation: the two read the same), as the other pages say it."""
    who = f"leader {ids[0]}" if len(ids) == 1 else f"leaders {', '.join(ids)}"
    return f"No {who} in your part of the organisation: pick the leaders from the list."


def _choose_cohort(leaders: pl.DataFrame, cohort_text: str | None) -> Choice:
    problem: str | None = None
    try:
        asked = Cohort.parse(cohort_text or "all")
    except ValueError as error:
        asked, problem = Cohort(), f"This link's peer cohort cannot be read: {error}. Pick one below."
    levels = [str(v) for v in sorted({int(v) for v in leaders["level"].drop_nulls().to_list()})]
    regions = sorted({str(v) for v in leaders["region"].drop_nulls().to_list() if str(v).strip()})
    level_url = ANY if asked.level is None else str(asked.level)
    region_url = asked.region or ANY
    # a link may name a level or a region nobody the viewer sees is in: shown as asked, matching no one
    level_options = [ANY, *levels, *([level_url] if level_url not in levels and level_url != ANY else [])]
    region_options = [ANY, *regions, *([region_url] if region_url not in regions and region_url != ANY else [])]
    st.session_state["compare_level"] = level_url  # the URL outranks what the selectboxes showed before
    st.session_state["compare_region"] = region_url
    level_col, region_col = st.columns(2)
    with level_col:
        st.selectbox("Level", level_options, key="compare_level", on_change=_write_cohort,
                     format_func=lambda v: "Any level" if v == ANY else f"Level {v}" + (" (top)" if v == "0" else ""))
    with region_col:
        st.selectbox("Region", region_options, key="compare_region", on_change=_write_cohort,
                     format_func=lambda v: "Any region" if v == ANY else v)
    return Choice(asked, problem)


def _write_cohort() -> None:
    """A level or a region picked: the URL's cohort becomes the two selectboxes' (one step)."""
    level, region = st.session_state.get("compare_level"), st.session_state.get("compare_region")
    cohort = Cohort(level=None if level in (None, ANY) else int(str(level)),
                    region=None if region in (None, ANY) else str(region))
    state.set_params(**{COHORT: cohort.key})


def _leader_label(row: dict[str, Any]) -> str:
    """How a leader reads in the picker and on its chips: the name and the level (widget options are
    plain text)."""
    name = str(row.get("leader_name") or row["leader_id"])
    return f"{name} · level {row['level']}" if row.get("level") is not None else name


def _starting_cohort(leaders: pl.DataFrame, picked: list[str]) -> Cohort:
    """The cohort a switch to cohorts starts from: the peers of the first leader picked, else the
    first-line leaders (the deepest level), the peers most often compared."""
    for row in leaders.filter(pl.col("leader_id").is_in(picked)).iter_rows(named=True):
        if row["leader_id"] == picked[0]:
            return Cohort.peers_of(row)
    levels = leaders["level"].drop_nulls()
    return Cohort(level=int(levels.max())) if levels.len() else Cohort()  # type: ignore[arg-type]


def _cohort_members(leaders: pl.DataFrame, cohort_text: str | None) -> list[str]:
    try:
        return Cohort.parse(cohort_text or "all").members(leaders)
    except ValueError:
        return []
