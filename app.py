"""The router and the access gate, nothing else: who is looking, then which pages they get."""

from __future__ import annotations

# Imported once here, before any session runs: Plotly imports pandas lazily, and two sessions of a
# freshly started process importing it at the same moment fail on a half-made module.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

from scorecard.ui import auth, state

st.set_page_config(page_title=auth.APP_TITLE, page_icon=":material/leaderboard:", layout="wide")

# Every page run decides again: the hosting (local only when bound to this machine), the login (an
# unexpired token with a verified e-mail address) and the access file and reps extract as they are now.
who, blocked = auth.gate()
if who is None:  # a login button, or why this visitor sees nothing: never any data
    # every page's address leads there too, so a shared link opens the login, not "Page not found"
    shown = blocked or auth.show_login
    st.navigation([st.Page(shown, title=auth.APP_TITLE, icon=":material/login:", default=True),
                   *[st.Page(shown, title=auth.APP_TITLE, url_path=p.url_path) for p in state.PAGES.values()]],
                  position="hidden").run()
    st.stop()
assert who is not None

sections: dict[str, list[st.Page]] = {}
for spec in state.PAGES.values():
    if spec.key == "upload" and not (who.can_upload and state.upload_page_exists()):
        continue
    default = spec.key == state.DEFAULT_PAGE  # served at "/"; its file's name is an alias that leads there
    sections.setdefault(spec.section, []).append(st.Page(
        spec.script, title=spec.title, icon=spec.icon, url_path=spec.key if default else spec.url_path,
        default=default))
for alias, target in state.ALIASES.items():  # the same page at another address, hidden from the navigation
    spec = state.PAGES[target]
    sections[spec.section].append(st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=alias,
                                          visibility="hidden"))
navigation = st.navigation(sections, position="hidden" if state.tv_mode() else "sidebar")
state.keep_history()  # one step of the browser's history per view (see scorecard.ui.state)
if navigation.url_path in state.ALIASES:
    state.leave_alias(navigation.url_path)
if not state.tv_mode():
    auth.show_banner(who)
    auth.show_account(who)
navigation.run()
