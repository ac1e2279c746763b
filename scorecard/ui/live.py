"""Live pages: a new load shows up on an open page without a browser reload, at the cost of a version
check, not a redraw."""

from __future__ import annotations

import streamlit as st

from scorecard.ui import cache

LIVE_REFRESH_SECONDS = 3.0
"""How often a live page asks whether a new load has landed. The data version it asks for is one
look at the database file (``cache.data_version``: every load replaces the file), so a load shows on
an open page within three seconds of its commit, plus the page's own run."""


def live_updates(every: float = LIVE_REFRESH_SECONDS, *, drawn: int | None = None) -> None:
    """Rerun the page when a new load lands, without a browser reload.

    A tiny fragment polls the data version every ``every`` seconds and does nothing else; only when
    the version differs from ``drawn`` (the version the page's data was read at: read it before the
    data, so a load that lands during the run is not missed; default: the version now) does the whole
    page rerun, and its results, keyed on the version, show the new data. An unchanged page costs one
    cached lookup per poll, not a page run.
    """
    key = f"live_version_{st.session_state.get('_page_key', '')}"
    st.session_state[key] = cache.data_version() if drawn is None else drawn

    @st.fragment(run_every=every)
    def _watch() -> None:
        if cache.data_version() != st.session_state.get(key):
            st.rerun(scope="app")

    _watch()
