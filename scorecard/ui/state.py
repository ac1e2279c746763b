"""The view in the URL: which page, and its state in the query parameters, so a link can be shared.

Every page of the app is listed once here (:data:`PAGES`): the router builds the navigation from
it, and a visitor who must log in first gets the same addresses, so a shared link opens the login
rather than "Page not found".

The URL is the view. Every run reads the view from the URL (the pickers of ``widgets`` take their
value from it, their own state never outranks it); a change of view writes the URL, which adds one
step to the browser's history; going to another page carries that page's whole view in its query
string (:func:`open_page`). So Back returns to exactly the previous view and a pasted link shows the
same view again. Each page has one address: the scorecard's is ``/`` (the default page), and its
file's name, ``/scorecard_page`` (the address in e-mails), leads there (:data:`ALIASES`).

Two things Streamlit's page does not do on its own, done by :data:`HISTORY_SCRIPT` (run once in
each browser tab, :func:`keep_history`):

- ``st.switch_page`` with query parameters sends the new query before the new page, and the page
  records each as a step of the history: ``/leader?leader=A`` -> ``/leader?rep=B`` -> ``/rep?rep=B``.
  Back then lands on the middle step, the Leader page with the Rep page's query, which shows another
  leader. The script makes the second step replace the first, so Back goes to ``/leader?leader=A``.
- An alias (``/scorecard_page``) is replaced in the history by the address it leads to
  (:data:`ALIAS_SCRIPT`), so Back does not land on an address that at once leads forward again.
"""

from __future__ import annotations

import json
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

ALIASES: dict[str, str] = {PAGES[DEFAULT_PAGE].url_path: DEFAULT_PAGE}
"""Addresses that lead to a page's one address (the default page is served at ``/``, but e-mails and
older links name its file, ``/scorecard_page``)."""

HISTORY_SCRIPT = """<style>.stElementContainer:has(script[data-scorecard-history]) {display: none}</style>
<script data-scorecard-history>
(() => {
  if (window.__scorecardHistory) return;  // once per tab: every run draws this element again
  window.__scorecardHistory = true;
  const aliases = %s;
  const push = window.history.pushState.bind(window.history);
  const replace = window.history.replaceState.bind(window.history);
  let queryFirst = null;  // the step a page switch added for its query alone: {at, path, search}
  window.history.pushState = function (data, unused, url) {
    const target = new URL(url, window.location.href);
    const here = window.location;
    const atAlias = aliases.some((a) => here.pathname.endsWith("/" + a));
    const secondHalf = queryFirst !== null && Date.now() - queryFirst.at < 10000
      && queryFirst.path === here.pathname && queryFirst.search === here.search
      && target.pathname !== here.pathname && target.search === here.search;
    queryFirst = target.pathname === here.pathname
      ? {at: Date.now(), path: target.pathname, search: target.search} : null;
    return (atAlias || secondHalf ? replace : push)(data, unused, url);
  };
})();
</script>"""
"""Run in the browser tab (see the module's docstring): a page switch that sent its query first
keeps one step in the history, and an alias is replaced by the address it leads to."""


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


def query(**params: object) -> dict[str, str]:
    """Query parameters for a link or a page switch: blank values left out, the rest as text."""
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def open_page(page: str, **params: object) -> None:
    """Go to another page showing the view ``params`` (its whole view: the page reads nothing
    else), one step in the browser's history."""
    st.switch_page(PAGES[page].script, query_params=query(**params))


def show_view(**params: object) -> None:
    """Show another view of this page: the URL becomes exactly ``params`` (one step in the history)."""
    st.query_params.from_dict(query(**params))


def current_page() -> str | None:
    """The key of the page this run draws (None when it is none of :data:`PAGES`, such as an alias)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    info = ctx.pages_manager.get_pages().get(ctx.pages_manager.current_page_script_hash)
    script = str(info.get("script_path") or "") if info else ""
    if not script:
        return None
    path = Path(script).resolve()
    return next((p.key for p in PAGES.values() if (APP_DIR / p.script).resolve() == path), None)


def keep_history() -> None:
    """Draw the script that keeps the browser's history one step per view (:data:`HISTORY_SCRIPT`);
    the router calls it on every run. The element is hidden: it shows nothing."""
    st.html(HISTORY_SCRIPT % json.dumps(sorted(ALIASES)), unsafe_allow_javascript=True)


ALIAS_SCRIPT = """<style>.stElementContainer:has(script[data-scorecard-alias]) {display: none}</style>
<script data-scorecard-alias>
(() => {
  const alias = %s, here = window.location;
  if (!here.pathname.endsWith("/" + alias)) return;
  const path = here.pathname.slice(0, here.pathname.length - alias.length);
  window.history.replaceState(window.history.state, "", path + here.search + here.hash);
  window.dispatchEvent(new PopStateEvent("popstate", {state: window.history.state}));
})();
</script>"""
"""Run on an alias's address: the address becomes the page's own in place (no step in the history) and
the page shows it, as it would after Back."""


def leave_alias(alias: str) -> None:
    """On an alias's address (the router calls it before the page runs, the page being the alias's
    own): replace the address with the page's own, same query, in the browser (:data:`ALIAS_SCRIPT`),
    so the history keeps only that address and Back does not return to one that leads forward again.
    The page itself is drawn as usual meanwhile (a browser that runs no script still shows it)."""
    st.html(ALIAS_SCRIPT % json.dumps(alias), unsafe_allow_javascript=True)


def tv_mode() -> bool:
    """The TV view (``?tv=1``): no sidebar, big type, the scorecard rotates by itself."""
    return param("tv") in {"1", "true", "yes"}
