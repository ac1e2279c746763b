"""The TV view: the scorecard full screen on a wall, ranking and heatmap in turn, refreshing by itself.

A TV has no mouse: the view draws no widget at all. Its filters come from the URL it was opened
with (``/?tv=1&region=EMEA&level=2&period=2026Q1&sort=teams``), the same parameters as the
Scorecard's pickers. It fits a 1920x1080 and a 1366x768 screen without scrolling: the chart fills
the height the heading leaves (CSS on its container), and when more leaders are in view than fit a
screen, they are shown a page at a time (:data:`TV_ROWS` a screen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
import streamlit as st

from scorecard import charts, format
from scorecard.access import Viewer
from scorecard.metrics import SCORES
from scorecard.ui import cache, state, tables, widgets
from scorecard.ui.cache import PeriodChoice
from scorecard.ui.text import plain

TV_SECONDS = 15.0
"""How long each screen of the rotation stays up; each turn reads the scores again."""

TV_ROWS = 12
"""Leaders on one screen: a name and its cells stay readable at 1366x768 from across a room."""

TV_FONT = 20
"""Type size of the charts' names, figures and column labels (px)."""

TV_HEADING_PX = 150
"""The height above the chart (heading, as-of line and the gaps between them); the chart takes the rest."""

TV_STYLE = (
    "<style>"
    "header, [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stToolbar'],"
    " [data-testid='stDecoration'] {display: none !important;}"
    " .block-container {padding: 0.75rem 1.5rem 0 1.5rem !important; max-width: 100% !important;}"
    " [data-testid='stMainBlockContainer'] {padding: 0.75rem 1.5rem 0 1.5rem !important;}"
    " [data-testid='stAppViewContainer'] section, [data-testid='stMain'] {overflow: hidden;}"
    " .st-key-tv_heading h2 {font-size: 2.2rem; padding: 0;}"
    " .st-key-tv_heading [data-testid='stCaptionContainer'] {font-size: 1.35rem; color: #374151;}"
    f" .st-key-tv_chart {{flex: 0 0 auto !important; height: calc(100vh - {TV_HEADING_PX}px) !important;"
    " min-height: 360px;}"
    " .st-key-tv_chart_figure, .st-key-tv_chart_figure [data-testid='stFullScreenFrame'],"
    " .st-key-tv_chart_figure .stPlotlyChart, .st-key-tv_chart_figure .js-plotly-plot"
    " {height: 100% !important; flex: 1 1 auto;}"
    "</style>"
)
"""Full screen: no header, sidebar or toolbar, no scroll bar; the chart's box fills what the heading leaves."""


@dataclass(frozen=True)
class TvFilters:
    """What the URL asks the TV to show (the Scorecard's own parameters)."""

    period: str
    region: str | None
    level: int | None
    sort: str


def filters_from_url(choice: PeriodChoice) -> TvFilters:
    """The period, region, level and score to rank by, from the URL; a value the data does not have
    falls back to the Scorecard's default (the quarter of the as-of date, every region and level,
    ranked by overall)."""
    period = state.param("period")
    if period not in choice.labels:
        period = choice.current
    region = state.param("region")
    level = state.param("level")
    sort = state.param("sort", "overall")
    return TvFilters(
        period=period or choice.current,
        region=None if region in (None, "all") else region,
        level=int(level) if level is not None and level.lstrip("-").isdigit() else None,
        sort=sort if sort in SCORES else "overall",
    )


@dataclass(frozen=True)
class Screen:
    """One turn of the rotation: a chart of one page of leaders."""

    chart: str
    """``ranking`` or ``heatmap``."""
    page: int
    pages: int


def screens(leaders: int, rows: int = TV_ROWS) -> list[Screen]:
    """The rotation: the ranking then the heatmap of each page of ``rows`` leaders."""
    pages = max(1, math.ceil(leaders / rows))
    return [Screen(chart, page, pages) for page in range(pages) for chart in ("ranking", "heatmap")]


def updated_line() -> str:
    """``Updated 27 Nov 2026, 04:10 UTC``: when the newest load landed."""
    loaded = cache.last_loaded_at()
    return "Updated " + (f"{format.moment(loaded)} UTC" if loaded is not None else format.MISSING)


def filters_line(filters: TvFilters) -> str:
    """``EMEA · Level 2 · ranked by Teams`` (what the URL narrowed the view to)."""
    parts = [plain(filters.region) if filters.region else "All regions",
             format.level_name(str(filters.level)) if filters.level is not None else "All levels",
             f"ranked by {SCORES[filters.sort]}"]
    return " · ".join(parts)


def tv_view(who: Viewer, *, every: float = TV_SECONDS) -> None:
    """The TV view of the scorecard for ``who``, with the filters of the URL; no widget."""
    st.markdown(TV_STYLE, unsafe_allow_html=True)
    widgets.require_data(who, ("reps", "opportunities"))
    tv_rotation(who, every=every)


def tv_rotation(who: Viewer, *, every: float = TV_SECONDS) -> None:
    """Ranking and heatmap of the leaders of the URL's region and level, a page of them at a time, in
    turn; each turn reads the URL, the data version and the scores again (so a new load shows up)."""

    @st.fragment(run_every=every)
    def _rotate() -> None:
        choice = cache.periods()
        filters = filters_from_url(choice)
        scored = cache.scored(who, filters.period)
        leaders = in_order(scored.matching(filters.region, filters.level), filters.sort)
        turns = screens(leaders.height)
        turn = int(st.session_state.get("tv_turn", 0))
        st.session_state["tv_turn"] = turn + 1
        screen = turns[turn % len(turns)]
        with st.container(key="tv_heading"):
            st.markdown(f"## Sales-leadership scorecard · {choice.name(scored.label)}")
            left, middle, right = st.columns([2, 2, 3])
            left.caption(format.as_of(cache.data_as_of()))
            middle.caption(updated_line())
            right.caption(filters_line(filters) + _page_note(screen, leaders.height))
        with st.container(key="tv_chart"):
            if leaders.is_empty():
                st.info("No leader matches the region and level of this address.")
                return
            st.plotly_chart(_figure(screen, leaders, scored.median, filters.sort), key="tv_chart_figure",
                            height="stretch", config={"displayModeBar": False, "staticPlot": True, "responsive": True})

    _rotate()


def in_order(leaders: pl.DataFrame, sort: str) -> pl.DataFrame:
    """Best first on the score ranked by, a leader without it after those with it, and those on thin
    coverage last (as the Scorecard lists them); the pages of the rotation follow this order."""
    keys = [c for c in ("thin_coverage",) if c in leaders.columns]
    return leaders.sort([*keys, sort], descending=[False] * len(keys) + [True], nulls_last=True,
                        maintain_order=True)


def _page_note(screen: Screen, leaders: int) -> str:
    if screen.pages == 1:
        return ""
    first = screen.page * TV_ROWS + 1
    return f" · leaders {first}-{min(leaders, first + TV_ROWS - 1)} of {leaders}"


def _figure(screen: Screen, leaders: pl.DataFrame, median: dict[str, float], sort: str) -> object:
    """The chart of one screen, without a fixed height (its box sets it)."""
    shown = tables.marked_names(leaders.slice(screen.page * TV_ROWS, TV_ROWS))
    if screen.chart == "ranking":
        fig = charts.ranking_bars(shown, sort, font_size=TV_FONT)
    else:
        # the overall score's change against the previous quarter beside it, as on the Scorecard
        fig = charts.score_heatmap(shown, median=median, font_size=TV_FONT, change=True)
    # the app's chart theme sets its own small type on axes: every label of the TV is set here
    fig.update_xaxes(tickfont_size=TV_FONT - 2 if screen.chart == "heatmap" else TV_FONT,
                     title_font_size=TV_FONT, automargin=True)
    fig.update_yaxes(tickfont_size=TV_FONT, automargin=True)
    fig.update_traces(textfont_size=TV_FONT, selector={"type": "bar"})
    fig.update_traces(textfont_size=TV_FONT, colorbar={"tickfont": {"size": TV_FONT - 2},
                                                        "title": {"font": {"size": TV_FONT - 2}}},
                      selector={"type": "heatmap"})
    fig.update_layout(height=None, autosize=True, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig
