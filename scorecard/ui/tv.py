"""The TV view: the scorecard full screen, ranking and heatmap in turn, refreshing by itself."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, format
from scorecard.access import Viewer
from scorecard.ui import cache, tables


def tv_rotation(who: Viewer, period: str | None, score: str, *, region: str | None = None,
                level: int | None = None, every: float = 15.0) -> None:
    """Ranking and heatmap of the leaders of the region and level chosen, in turn, full screen, big
    type; each turn reads the scores again (cached on the data version, so a new load shows up)."""
    st.markdown(
        "<style>header, [data-testid='stSidebar'], [data-testid='stToolbar'] {display: none;}"
        " .block-container {padding-top: 1rem; max-width: 100%;}</style>",
        unsafe_allow_html=True,
    )
    choice = cache.periods()

    @st.fragment(run_every=every)
    def _rotate() -> None:
        turn = int(st.session_state.get("tv_turn", 0))
        st.session_state["tv_turn"] = turn + 1
        scored = cache.scored(who, period)
        leaders = tables.marked_names(scored.matching(region, level))
        st.markdown(f"## Sales-leadership scorecard · {choice.name(scored.label)}")
        st.caption(format.as_of(cache.data_as_of()))
        if turn % 2 == 0:
            st.plotly_chart(charts.ranking_bars(leaders, score, font_size=22, height=900), key="tv_chart")
        else:
            st.plotly_chart(charts.score_heatmap(leaders, font_size=20, height=900), key="tv_chart")

    _rotate()
