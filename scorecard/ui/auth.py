"""Who is looking: the gate every page run passes, the login, what a refused visitor is told, the
banner above every page and the account in the sidebar.

``scorecard.access`` decides; this module asks Streamlit. A local install (bound to localhost, no
``[auth]`` section in ``.streamlit/secrets.toml``, ``SCORECARD_HOSTED`` unset) has no login and
everyone sees everything, with a banner saying so. Reachable from other machines without
``[auth]``, the app refuses to show data. With ``[auth]``, ``st.login`` (OpenID Connect) identifies
the visitor; only an unexpired login with a verified e-mail address is matched to the reps extract
and the access file, both as they are at each page run (the access file is read again when it
changed, the reps extract with every new load).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from scorecard import format
from scorecard.access import AccessPolicy, HostingMode, Identity, Viewer, identify, refusal_message
from scorecard.access import hosting_mode as hosting_mode_for
from scorecard.ui import cache, state
from scorecard.ui.text import plain

HOSTED_ENV = "SCORECARD_HOSTED"
"""Set, the app never serves data without a login, even bound to localhost (behind a proxy)."""

APP_TITLE = "Sales-leadership scorecard"


def _secrets_have_auth() -> bool:
    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def _forced_hosted() -> bool:
    return os.environ.get(HOSTED_ENV, "").strip().lower() in {"1", "true", "yes"}


def bind_address() -> str | None:
    """The address Streamlit listens on (``server.address``; unset means every interface)."""
    value = st.get_option("server.address")
    return str(value) if value else None


def _request_headers() -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in (st.context.headers or {}).items()}
    except Exception:  # no browser request behind this run (a test harness)
        return {}


def hosting_mode() -> HostingMode:
    """``local`` (no login), ``login`` (OpenID Connect) or ``refuse`` (``access.hosting_mode``)."""
    return hosting_mode_for(auth_configured=_secrets_have_auth(), bind_address=bind_address(),
                            forced_hosted=_forced_hosted(), request_headers=_request_headers())


def _login_claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # st.user without a login configured
        return {}


_POLICIES: dict[tuple[str, tuple[int, ...] | None], AccessPolicy] = {}
"""The access file as read, by (its path, its stamp): read again only when the file changed."""
_POLICIES_LOCK = threading.Lock()


def _file_stamp(path: Path) -> tuple[int, ...] | None:
    """What changes when a file is written, replaced or has its permissions changed (None: no file)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_ctime_ns, found.st_size


def access_policy() -> AccessPolicy:
    """The access file as it is now: looked at on every page run (one ``stat``) and read again
    whenever it changed, so a change (an executive removed) takes effect at the next page run."""
    path = cache.settings().resolved_access_file()
    key = (str(path), _file_stamp(path))
    found = _POLICIES.get(key)
    if found is None:
        found = AccessPolicy.from_file(path)
        with _POLICIES_LOCK:
            if len(_POLICIES) >= 16:
                _POLICIES.clear()
            _POLICIES[key] = found
    return found


def identity(policy: AccessPolicy | None = None) -> Identity:
    """Who the login says the visitor is (``access.identify``: verified e-mail, unexpired token)."""
    return identify(_login_claims(), policy or access_policy(), time.time())


def viewer(mode: HostingMode | None = None) -> Viewer | None:
    """The viewer of this page run, or None when the visitor may see nothing (not logged in, login
    expired or unverified, or the app refuses to serve without a login). ``mode``: the hosting mode
    when the caller has just read it (``hosting_mode``)."""
    mode = mode or hosting_mode()
    if mode == "local":
        return cache.viewer_for(None, None)
    if mode == "refuse":
        return None
    policy = access_policy()
    who = identity(policy)
    if not who.verified:
        return None
    return cache.viewer_for(who.email, policy)


def current_viewer() -> Viewer:
    """The viewer, for pages (the router has already stopped anyone who may see nothing; a page
    opened without it sends such a visitor through it, ``state.use_router``, as it does a session's
    first page run, which has nothing to lose by running again)."""
    found = viewer()
    state.use_router(now=found is None or len(st.session_state) == 0)
    if found is None:
        st.stop()
    assert found is not None
    return found


def gate() -> tuple[Viewer | None, Callable[[], None] | None]:
    """(the viewer, None) or (None, the page that says why the visitor sees nothing and what to do)."""
    mode = hosting_mode()
    if mode == "refuse":
        return None, show_refusal
    who = viewer(mode)
    if who is not None:
        return who, None
    found = identity()
    if found.status == "anonymous":
        return None, show_login
    if found.status == "expired":
        return None, show_expired
    return None, show_unverified


def show_refusal() -> None:
    """Reachable from other machines without a login configured: no data, and how to set one up."""
    st.title(APP_TITLE)
    st.error(refusal_message(bind_address(), _forced_hosted(), _request_headers()), icon=":material/lock:")


def show_login() -> None:
    """What an anonymous visitor sees when hosted: a login button and nothing else."""
    st.title(APP_TITLE)
    st.write("Log in with your company account to see your part of the organisation.")
    if st.button("Log in", type="primary"):
        st.login()


def show_expired() -> None:
    """A login whose ID token has expired: log in again (the old cookie is not enough)."""
    st.title(APP_TITLE)
    st.warning(identity().message, icon=":material/timer_off:")
    if st.button("Log in again", type="primary"):
        st.login()


def show_unverified() -> None:
    """A login without a verified e-mail address: told why, shown nothing, offered to log out."""
    st.title(APP_TITLE)
    st.error(plain(identity().message), icon=":material/gpp_bad:")
    if st.button("Log out"):
        st.logout()


def show_banner(who: Viewer) -> None:
    """What every page shows above its content: the local-install notice, the viewer's notes, and
    the date the data is as of (what "now" means on every page)."""
    if who.local:
        st.info("Local demo: no login, everyone sees everything.", icon=":material/info:")
    for note in who.notes:
        st.warning(plain(note))
    st.caption(f"{format.as_of(cache.data_as_of())}: periods, \"today\", pace and stalled deals are measured at"
               " this date.",
               help="The date the data describes: the uploader's date, else the newest change the export"
                    " carries, else its newest activity, deal or stage change. Never the machine's clock.")


def show_account(who: Viewer) -> None:
    """Who is logged in, with a logout button (hosted only)."""
    if who.local or not who.email:
        return
    with st.sidebar:
        st.caption(f"Signed in as {plain(who.email)}")
        if st.button("Log out"):
            st.logout()


def session_is_open() -> bool:
    """Whether the browser session of this page run is still connected (long work stops when not)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return True  # not served by a Streamlit server (a test's run): nobody can leave
    return Runtime.instance().is_active_session(ctx.session_id)
