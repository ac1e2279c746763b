"""The Compare page's share of the app's edge: the comparison kept in the one cache, and the pickers
whose choice lives in the URL (``?leaders=U0005,U0006`` or ``?cohort=level:2,region:EMEA``).

A picker follows its URL parameter: when the parameter changed since the page last drew the picker
(Back, a pasted link, a link from another page), the picker takes the URL's value; when the visitor
changes the picker, the URL takes the picker's. Opening a link writes nothing: the URL stays as
pasted, so an id the viewer cannot see is still named in the message until the choice changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from scorecard.access import Viewer
from scorecard.compare import MAX_LEADERS, Cohort, Comparison, compare, parse_leader_ids
from scorecard.ui import cache, state
from scorecard.ui.cache import ScoredPeriod

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


def metric_columns(table: pl.DataFrame, side: Comparison) -> dict[str, Any]:
    """How the metric table is drawn: the key hidden, the metric pinned, the gap in whole points, each
    leader's column wide enough to read "74.5/month · 100 pts" (the table scrolls sideways instead)."""
    config: dict[str, Any] = {
        **{name: st.column_config.TextColumn(name, width="medium") for name in side.names.values()},
        "metric": None,
        "Metric": st.column_config.TextColumn("Metric", width="medium", pinned=True),
        "Weight": st.column_config.NumberColumn("Weight", format="plain",
                                                help="The metric's weight in this score, as the rubric sets it"),
        "Gap (points)": st.column_config.NumberColumn(
            "Gap (points)", format="%.0f", help="The most points minus the fewest among the leaders scored on it"),
        "Ahead": st.column_config.TextColumn("Ahead", help="Who has the most points, when the leaders differ"),
        "Counts in": st.column_config.TextColumn("Counts in", help="The scores this metric counts in"),
        "Note": st.column_config.TextColumn("Note", width="large"),
    }
    return {name: value for name, value in config.items() if name in table.columns}


def table_height(rows: int) -> int:
    """A table tall enough to show every row without its own scrollbar (Streamlit's rows are 35 px)."""
    return 35 * (rows + 1) + 3


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
    """What the visitor asked to compare: leader ids (as the URL names them, some perhaps unknown)
    or a peer cohort; ``problem`` says why a link's cohort could not be read."""

    chosen: tuple[str, ...] | Cohort
    problem: str | None = None


def _follow(key: str, url_text: str | None, from_url: object) -> None:
    """Before the widget ``key`` is drawn: give it the URL's value when the URL changed since the page
    last drew it, or when it was not drawn on the last run (Streamlit then forgets its value)."""
    seen = f"{key}__url"
    if key not in st.session_state or st.session_state.get(seen) != url_text:
        st.session_state[key] = from_url
        st.session_state[seen] = url_text


def _wrote(key: str, param: str, url_text: str | None) -> None:
    """The widget ``key`` changed: the URL parameter ``param`` takes its value."""
    state.set_params(**{param: url_text})
    st.session_state[f"{key}__url"] = url_text


def choose(scored: ScoredPeriod) -> Choice:
    """Draw the pickers (leaders or a cohort) and return what is chosen."""
    cohort_text = state.param(COHORT)
    mode_url = "cohort" if cohort_text is not None else "leaders"
    _follow("compare_mode", mode_url, mode_url)
    mode = st.segmented_control("Compare", list(MODES), format_func=MODES.__getitem__, key="compare_mode",
                                required=True) or "leaders"
    if mode != mode_url:  # the visitor switched: carry what can be carried over
        if mode == "cohort":
            picked = parse_leader_ids(state.param(LEADERS))
            state.set_params(**{LEADERS: None, COHORT: _starting_cohort(scored.leaders, picked).key})
        else:
            members = _cohort_members(scored.leaders, cohort_text)
            state.set_params(**{COHORT: None,
                                LEADERS: ",".join(members) if 2 <= len(members) <= MAX_LEADERS else None})
        st.session_state["compare_mode__url"] = mode
    if mode == "cohort":
        return _choose_cohort(scored.leaders)
    return _choose_leaders(scored.leaders)


def _choose_leaders(leaders: pl.DataFrame) -> Choice:
    url_text = state.param(LEADERS)
    asked = parse_leader_ids(url_text)
    ordered = leaders.sort(["level", "leader_name", "leader_id"], nulls_last=True)
    options = [str(i) for i in ordered["leader_id"].to_list()]
    labels = {str(r["leader_id"]): _leader_label(r) for r in ordered.iter_rows(named=True)}
    from_url = [i for i in asked if i in labels][:MAX_LEADERS]
    _follow("compare_leaders", url_text, from_url)
    picked = st.multiselect("Leaders (two to five)", options, format_func=lambda i: labels.get(i, i),
                            key="compare_leaders", max_selections=MAX_LEADERS,
                            placeholder="Pick the leaders to put side by side")
    if picked != from_url:
        _wrote("compare_leaders", LEADERS, ",".join(picked) or None)
        return Choice(tuple(picked))
    return Choice(tuple(asked))


def _choose_cohort(leaders: pl.DataFrame) -> Choice:
    url_text = state.param(COHORT) or "all"
    problem: str | None = None
    try:
        asked = Cohort.parse(url_text)
    except ValueError as error:
        asked, problem = Cohort(), f"This link's peer cohort cannot be read: {error}. Pick one below."
    levels = [str(v) for v in sorted({int(v) for v in leaders["level"].drop_nulls().to_list()})]
    regions = sorted({str(v) for v in leaders["region"].drop_nulls().to_list() if str(v).strip()})
    level_url = ANY if asked.level is None else str(asked.level)
    region_url = asked.region or ANY
    # a link may name a level or a region nobody the viewer sees is in: shown as asked, matching no one
    level_options = [ANY, *levels, *([level_url] if level_url not in levels and level_url != ANY else [])]
    region_options = [ANY, *regions, *([region_url] if region_url not in regions and region_url != ANY else [])]
    _follow("compare_level", url_text, level_url)
    _follow("compare_region", url_text, region_url)
    level_col, region_col = st.columns(2)
    with level_col:
        level = st.selectbox("Level", level_options, key="compare_level",
                             format_func=lambda v: "Any level" if v == ANY else f"Level {v}" + (" (top)" if v == "0"
                                                                                                else ""))
    with region_col:
        region = st.selectbox("Region", region_options, key="compare_region",
                              format_func=lambda v: "Any region" if v == ANY else v)
    chosen = Cohort(level=None if level in (None, ANY) else int(str(level)),
                    region=None if region in (None, ANY) else str(region))
    if (level, region) != (level_url, region_url):
        _wrote("compare_level", COHORT, chosen.key)
        st.session_state["compare_region__url"] = chosen.key
        return Choice(chosen)
    return Choice(asked, problem)


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


def clicked_cell(event: Any) -> tuple[str, str] | None:
    """(leader id, score) of the heatmap cell or bar a click selected, or None."""
    try:
        points = event.selection.points
    except AttributeError:
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple) and len(data) == 2 and all(data):
            return str(data[0]), str(data[1])
    return None
