"""The view in the URL: which page, and its state in the query parameters, so a link can be shared.

Every page of the app is listed once here (:data:`PAGES`): the router builds the navigation from
it, and a visitor who must log in first gets the same addresses, so a shared link opens the login
rather than "Page not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

APP_DIR = Path(__file__).resolve().parents[2]
"""The app's folder (``app.py`` and ``pages/``)."""


@dataclass(frozen=True)
class Page:
    """One page of the app: its script, title, icon and the section of the navigation it sits in."""

    key: str
    script: str
    """Relative to the app's folder."""
    title: str
    icon: str
    section: str

    @property
    def url_path(self) -> str:
        """The page's address: the script's name, as Streamlit would discover it."""
        return self.script.rsplit("/", 1)[-1].removesuffix(".py")


PAGES: dict[str, Page] = {p.key: p for p in (
    Page("scorecard", "pages/scorecard_page.py", "Scorecard", ":material/leaderboard:", "Scorecard"),
    Page("leader", "pages/leader.py", "Leader", ":material/supervisor_account:", "Scorecard"),
    Page("rep", "pages/rep.py", "Rep", ":material/person:", "Scorecard"),
    Page("compare", "pages/compare.py", "Compare", ":material/compare_arrows:", "Scorecard"),
    Page("org", "pages/org_overview.py", "Org overview", ":material/account_tree:", "Organisation"),
    Page("upload", "pages/upload.py", "Upload", ":material/upload_file:", "Data"),
    Page("data_quality", "pages/data_quality.py", "Data quality", ":material/fact_check:", "Data"),
    Page("methodology", "pages/methodology.py", "Methodology", ":material/menu_book:", "Data"),
)}
"""Every page, in the order of the navigation; the scorecard is the default page."""

DEFAULT_PAGE = "scorecard"


def script(page: str) -> str:
    """The script of a page, for ``st.page_link`` and ``st.switch_page``."""
    return PAGES[page].script


def use_router(*, now: bool) -> None:
    """Send this process's next page runs through the router (``app.py``: the gate, the navigation,
    the banner); with ``now``, this one too (it runs again at once).

    Until ``st.navigation`` has run once in the server process, Streamlit treats the ``pages/``
    folder as its older kind of multipage app: the first visitor of a fresh server who opens a
    page's own address (a shared link) gets that page's script alone, without the router. Such a
    page switches the process to the router's navigation, as the router's first run would, and with
    ``now`` runs again through it at once: the same address then reaches the same page (or the login,
    for a visitor who must log in first). A run started by a widget is not repeated (the click would
    be lost): its page is drawn as it is, and the next run goes through the router."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if now:
            st.rerun()


def upload_page_exists() -> bool:
    return (APP_DIR / PAGES["upload"].script).is_file()


def param(name: str, default: str | None = None) -> str | None:
    """A query parameter of the URL (blank counts as missing)."""
    value = st.query_params.get(name)
    return value if value not in (None, "") else default


def set_params(**values: object) -> None:
    """Write widget state to the URL (a value of None or '' removes the parameter)."""
    for key, value in values.items():
        if value is None or value == "":
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def open_page(page: str, **params: object) -> None:
    """Go to another page with its state in the URL (so the link can be shared)."""
    query = {k: str(v) for k, v in params.items() if v not in (None, "")}
    st.switch_page(PAGES[page].script, query_params=query)


def tv_mode() -> bool:
    """The TV view (``?tv=1``): no sidebar, big type, the scorecard rotates by itself."""
    return param("tv") in {"1", "true", "yes"}
