"""The router and the access gate, nothing else: who is looking, then which pages they get."""

from __future__ import annotations

import streamlit as st

from scorecard import ui

st.set_page_config(page_title="Sales-leadership scorecard", page_icon=":material/leaderboard:",
                   layout="wide")

# Every page run decides again: the hosting (local only when bound to this machine), the login (an
# unexpired token with a verified e-mail address) and the access file and reps extract as they are now.
who, blocked = ui.gate()
if who is None:  # a login button, or why this visitor sees nothing: never any data
    st.navigation([st.Page(blocked or ui.show_login, title="Sales-leadership scorecard", icon=":material/login:")],
                  position="hidden").run()
    st.stop()
assert who is not None


def page(key: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    # the URL path is the file's name, as Streamlit would discover it, so a shared link always resolves
    path = ui.PAGE_FILES[key]
    return st.Page(path, title=title, icon=icon, url_path=path.rsplit("/", 1)[-1].removesuffix(".py"),
                   default=default)


data_pages = []
if who.can_upload and ui.upload_page_exists():
    data_pages.append(page("upload", "Upload", ":material/upload_file:"))
data_pages += [
    page("data_quality", "Data quality", ":material/fact_check:"),
    page("methodology", "Methodology", ":material/menu_book:"),
]
navigation = st.navigation(
    {
        "Scorecard": [
            page("scorecard", "Scorecard", ":material/leaderboard:", default=True),
            page("leader", "Leader", ":material/supervisor_account:"),
            page("rep", "Rep", ":material/person:"),
        ],
        "Organisation": [page("org", "Org overview", ":material/account_tree:")],
        "Data": data_pages,
    },
    position="hidden" if ui.tv_mode() else "sidebar",
)
if not ui.tv_mode():
    ui.show_banner(who)
    ui.show_account(who)
navigation.run()
