"""Live pages: a new load shows up on an open page without a browser reload."""

from __future__ import annotations

import streamlit as st

from scorecard.ui import cache

LIVE_REFRESH_SECONDS = 3.0
"""How often a live page asks whether a new load has landed (a cheap query on ``loads``)."""


def live_updates(every: float = LIVE_REFRESH_SECONDS) -> None:
    """Rerun the page when a new load lands, without a browser reload.

    A tiny fragment polls the data version every few seconds; when it changed since the page was
    drawn, the whole page reruns (its results are keyed on the version, so it shows the new data).
    """
    key = f"live_version_{st.session_state.get('_page_key', '')}"
    st.session_state[key] = cache.data_version()

    @st.fragment(run_every=every)
    def _watch() -> None:
        if cache.data_version() != st.session_state.get(key):
            st.rerun(scope="app")

    _watch()
