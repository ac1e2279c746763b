"""The UI edge: the only module of the package that imports Streamlit.

It holds what every page shares: the store and the scoring API, cached and keyed on the data
version (so a new load shows up without restarting); the viewer, from the login; the state kept in
the URL's query parameters; the formatting of money and rates; and the small page furniture
(banner, empty-database message, live refresh). Pages read their widgets, call the package
through here, and draw.

Login (``scorecard.access`` decides, this module asks Streamlit): a local install (bound to
localhost, no ``[auth]`` section in ``.streamlit/secrets.toml``, ``SCORECARD_HOSTED`` unset) has no
login and everyone sees everything, with a banner saying so. Reachable from other machines without
``[auth]``, the app refuses to show data. With ``[auth]``, ``st.login`` (OpenID Connect) identifies
the visitor; only an unexpired login with a verified e-mail address is matched to the reps extract
and the access file, both read again on every page run.

CRM text is data, never markup: :func:`plain` escapes a name or any free text before it goes into
anything Streamlit renders as Markdown (headings, captions, alerts, metric values, link labels), and
every download goes through ``scorecard.export`` (formula-looking cells neutralised).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from scorecard import drilldown, org
from scorecard.access import (
    AccessPolicy,
    HostingMode,
    Identity,
    Viewer,
    identify,
    local_viewer,
    refusal_message,
    viewer_for_email,
)
from scorecard.access import hosting_mode as hosting_mode_for
from scorecard.calendar import Period, quarter_containing
from scorecard.settings import Settings, get_settings
from scorecard.store import Store

HOSTED_ENV = "SCORECARD_HOSTED"
"""Set, the app never serves data without a login, even bound to localhost (behind a proxy)."""

PAGE_FILES: dict[str, str] = {
    "scorecard": "pages/scorecard_page.py",
    "leader": "pages/leader.py",
    "rep": "pages/rep.py",
    "org": "pages/org_overview.py",
    "upload": "pages/upload.py",
    "data_quality": "pages/data_quality.py",
    "methodology": "pages/methodology.py",
}
"""Page key -> script, relative to the app's folder (the router and ``open_page`` share it)."""

APP_DIR = Path(__file__).resolve().parent.parent


def upload_page_exists() -> bool:
    return (APP_DIR / PAGE_FILES["upload"]).is_file()


LIVE_REFRESH_SECONDS = 3.0
"""How often a live page asks whether a new load has landed (a cheap query on ``loads``)."""

# -- settings, store, data version ---------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner=False)
def store() -> Store:
    s = settings()
    from scorecard.inbox import start_inbox_watcher

    start_inbox_watcher(s.db, s.resolved_inbox_dir())  # files dropped in the inbox load by themselves
    return Store(s.db, archive_dir=s.archive_dir, reporting_currency=s.reporting_currency)


@st.cache_data(ttl=1.0, show_spinner=False)
def _data_version(db: str) -> int:
    return store().data_version()


def data_version() -> int:
    """Id of the newest load; every cache below is keyed on it.

    Asked at most once a second (opening a connection costs more than the rest of a warm page), so
    a new load shows up within a second plus the live pages' polling interval.
    """
    return _data_version(str(settings().db))


@st.cache_data(show_spinner=False, max_entries=16)
def _data_as_of(version: int, db: str) -> date | None:
    from scorecard.as_of import data_as_of as read_as_of

    with store().reader() as con:
        return read_as_of(con)


def data_as_of() -> date | None:
    """The as-of date of the data in force (None for an empty database), once per data version."""
    return _data_as_of(data_version(), str(settings().db))


def today() -> date:
    """"Now" on every page: the data's as-of date, never the machine's clock (which only an empty
    database falls back on)."""
    return data_as_of() or date.today()


def currency() -> str:
    return settings().reporting_currency


# -- who is looking ------------------------------------------------------------------------------

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


def hosted() -> bool:
    """Whether visitors log in (anything but the local install)."""
    return hosting_mode() != "local"


def _login_claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # st.user without a login configured
        return {}


def access_policy() -> AccessPolicy:
    """The access file as it is now: read on every page run, never cached, so a change (an executive
    removed) takes effect at the next page run."""
    return AccessPolicy.from_file(settings().resolved_access_file())


def identity(policy: AccessPolicy | None = None) -> Identity:
    """Who the login says the visitor is (``access.identify``: verified e-mail, unexpired token)."""
    return identify(_login_claims(), policy or access_policy(), time.time())


@st.cache_data(show_spinner=False, max_entries=256)
def _viewer_for(version: int, email: str | None, local: bool, policy_key: str, _policy: AccessPolicy) -> Viewer:
    # keyed on the data version (the reps extract) and on the access file's content (read this run)
    s = store()
    with s.reader() as con:
        if local:
            return local_viewer(con)
        return viewer_for_email(con, email, _policy)


def viewer() -> Viewer | None:
    """The viewer of this page run, or None when the visitor may see nothing (not logged in, login
    expired or unverified, or the app refuses to serve without a login)."""
    mode = hosting_mode()
    if mode == "local":
        return _viewer_for(data_version(), None, True, "", _policy=AccessPolicy())
    if mode == "refuse":
        return None
    policy = access_policy()
    who = identity(policy)
    if not who.verified:
        return None
    return _viewer_for(data_version(), who.email, False, policy.fingerprint, _policy=policy)


def current_viewer() -> Viewer:
    """The viewer, for pages (the router has already stopped anyone who may see nothing)."""
    found = viewer()
    if found is None:
        st.stop()
    assert found is not None
    return found


def gate() -> tuple[Viewer | None, Callable[[], None] | None]:
    """(the viewer, None) or (None, the page that says why the visitor sees nothing and what to do)."""
    mode = hosting_mode()
    if mode == "refuse":
        return None, show_refusal
    who = viewer()
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
    st.title("Sales-leadership scorecard")
    st.error(refusal_message(bind_address(), _forced_hosted()), icon=":material/lock:")


def show_login() -> None:
    """What an anonymous visitor sees when hosted: a login button and nothing else."""
    st.title("Sales-leadership scorecard")
    st.write("Log in with your company account to see your part of the organisation.")
    if st.button("Log in", type="primary"):
        st.login()


def show_expired() -> None:
    """A login whose ID token has expired: log in again (the old cookie is not enough)."""
    st.title("Sales-leadership scorecard")
    st.warning(identity().message, icon=":material/timer_off:")
    if st.button("Log in again", type="primary"):
        st.login()


def show_unverified() -> None:
    """A login without a verified e-mail address: told why, shown nothing, offered to log out."""
    st.title("Sales-leadership scorecard")
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
    show_as_of()


def as_of_text() -> str:
    """"Data as of 29 Dec 2023" (or that nothing is loaded yet)."""
    from scorecard.as_of import format_as_of

    return format_as_of(data_as_of())


def show_as_of() -> None:
    st.caption(f"{as_of_text()}: periods, \"today\", pace and stalled deals are measured at this date.",
               help="The date the data describes: the uploader's date, else the newest change the export"
                    " carries, else its newest activity, deal or stage change. Never the machine's clock.")


# -- state in the URL ----------------------------------------------------------------------------

def param(name: str, default: str | None = None) -> str | None:
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
    st.switch_page(PAGE_FILES[page], query_params=query)


def choose(label: str, options: list[str], key: str, *, default: str | None = None,
           format_func: Callable[[str], str] = str, sidebar: bool = False,
           help: str | None = None) -> str | None:
    """A selectbox whose value lives in the URL parameter ``key``."""
    if not options:
        return None
    wanted = param(key, default)
    index = options.index(wanted) if wanted in options else 0
    where = st.sidebar if sidebar else st
    value = where.selectbox(label, options, index=index, format_func=format_func, key=f"url_{key}",
                            help=help)
    # The default stays out of the URL, so opening a page adds no extra step to the browser history.
    if value != options[index] or param(key) is not None:
        set_params(**{key: value})
    return value


def selected_id(event: Any, kind: str = "points") -> str | None:
    """The id a click on a chart (``customdata``) selected, or None."""
    try:
        points = event.selection[kind] if kind != "points" else event.selection.points
    except (AttributeError, KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if data:
            return str(data)
    return None


def selected_row(event: Any) -> int | None:
    """The row index a click on a dataframe selected, or None."""
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return int(rows[0]) if rows else None


def selected_value(event: Any, frame: pl.DataFrame, column: str) -> str | None:
    """``column`` of the dataframe row a click selected, or None."""
    index = selected_row(event)
    if index is None or index >= frame.height:
        return None
    value = frame[column][index]
    return None if value is None else str(value)


# -- CRM text is data, never markup ----------------------------------------------------------------

_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
WORD_JOINER = "\u2060"
"""An invisible character that keeps Markdown from finding a web address, an e-mail address, an emoji
or a colour directive in text (``plain``)."""
_AFTER_COLON_OR_AT = re.compile(r"\\([:@])")
_WWW = re.compile(r"(www)(\\\.)", re.IGNORECASE)


def plain(text: object) -> str:
    """CRM text (a name, a region, a product line, a next step) made safe for anything Streamlit
    renders as Markdown: what the reader sees is the text as typed, and nothing in it is rendered.

    Every ASCII punctuation character is backslash-escaped, so no emphasis, link, image, HTML, LaTeX
    or heading comes out of it; line breaks become spaces. Escapes do not stop GitHub-flavoured
    Markdown from turning ``http://...``, ``www.`` and ``a@b.com`` into links, nor Streamlit from
    reading ``:red[...]`` or ``:smile:``, since those are found in the text after parsing: an
    invisible word joiner after each ``:`` and ``@`` and inside ``www.`` breaks them. Widgets'
    options and dataframe cells are plain text already: pass them as they are."""
    value = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _CONTROL.sub(" ", "" if text is None else str(text)))
    value = _AFTER_COLON_OR_AT.sub(lambda m: m.group(0) + WORD_JOINER, value)
    return _WWW.sub(lambda m: m.group(1) + WORD_JOINER + m.group(2), value)


def download_csv(frame: pl.DataFrame, file_name: str, key: str, label: str = "Download as CSV") -> None:
    """A download button for ``frame`` as CSV, every formula-looking cell neutralised
    (``scorecard.export``). The tables' own export is switched off (``client.disableDataExport``)
    because it writes cells as they are."""
    from scorecard.export import csv_bytes

    st.download_button(label, data=csv_bytes(frame), file_name=file_name, mime="text/csv", key=key,
                       icon=":material/download:", on_click="ignore")


# -- formatting ----------------------------------------------------------------------------------

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency_code: str | None = None) -> str:
    """$1.2M, $45K, $900; other currencies as 1.2M CHF."""
    if _missing(value):
        return "–"
    assert value is not None
    code = currency_code or "USD"
    amount = abs(value)
    if amount >= 1e6:
        text = f"{amount / 1e6:.1f}M"
    elif amount >= 1e4:
        text = f"{amount / 1e3:.0f}K"
    else:
        text = f"{amount:,.0f}"
    sign = "-" if value < 0 else ""
    symbol = _SYMBOLS.get(code.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code.upper()}"


def percent(value: float | None, digits: int = 0) -> str:
    """0.425 -> 42%."""
    if _missing(value):
        return "–"
    assert value is not None
    return f"{value * 100:.{digits}f}%"


def ratio(value: float | None) -> str:
    if _missing(value):
        return "–"
    return f"{value:.1f}x"


def points(value: float | None) -> str:
    if _missing(value):
        return "–"
    return f"{value:.0f}"


def change(value: float | None) -> str:
    """Change against the previous period as an arrow and points: ▲ 4, ▼ 2, ► 0."""
    if _missing(value):
        return "new"
    assert value is not None
    if round(value) > 0:
        return f"▲ {value:.0f}"
    if round(value) < 0:
        return f"▼ {abs(value):.0f}"
    return "► 0"


def format_unit(value: float | None, unit: str) -> str:
    """A value in the unit names of ``drilldown.REP_METRICS``."""
    if unit == "money":
        return money(value, currency())
    if unit == "percent":
        return percent(value)
    if unit == "ratio":
        return ratio(value)
    return "–" if _missing(value) else f"{value:,.1f}"


def money_column(label: str, help: str | None = None) -> Any:
    code = currency().upper()
    fmt = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}.get(code, "localized")
    return st.column_config.NumberColumn(label, format=fmt, help=help)


def percent_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="percent", help=help)


def number_column(label: str, fmt: str = "%.1f", help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format=fmt, help=help)


# -- empty or partial databases ------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def extract_rows(version: int) -> pl.DataFrame:
    with store().reader() as con:
        return org.extract_rows(con)


def require_data(who: Viewer, needed: tuple[str, ...] = ("reps",)) -> None:
    """Stop the page with what to upload when the extracts it needs are empty."""
    rows = extract_rows(data_version())
    counts = dict(zip(rows["extract"].to_list(), rows["rows"].to_list(), strict=True))
    missing = [name for name in needed if not counts.get(name)]
    if missing:
        st.info(
            "Nothing to show yet: upload the "
            + ", ".join(f"**{name}**" for name in missing)
            + " extract" + ("s" if len(missing) > 1 else "")
            + " (canonical CSV, Salesforce or HubSpot export) on the Upload page, or run"
            " `scorecard ingest FILE...`, or build the demo with `scorecard demo`.",
            icon=":material/upload_file:",
        )
        if who.can_upload and upload_page_exists():
            st.page_link(PAGE_FILES["upload"], label="Go to Upload", icon=":material/upload:")
        st.stop()
    if not who.visible_reps:
        st.warning("Your login is not linked to anyone in the reps extract, so there is nothing to show."
                   " Ask sales ops to add your e-mail address to the reps extract.")
        st.stop()


def missing_optional(needed: tuple[str, ...]) -> list[str]:
    """The optional extracts among ``needed`` that are not loaded."""
    rows = extract_rows(data_version())
    counts = dict(zip(rows["extract"].to_list(), rows["rows"].to_list(), strict=True))
    return [name for name in needed if not counts.get(name)]


# -- live refresh --------------------------------------------------------------------------------

def live_updates(every: float = LIVE_REFRESH_SECONDS) -> None:
    """Rerun the page when a new load lands, without a browser reload.

    A tiny fragment polls the data version every few seconds; when it changed since the page was
    drawn, the whole page reruns (its caches are keyed on the version, so it shows the new data).
    """
    key = f"live_version_{st.session_state.get('_page_key', '')}"
    st.session_state[key] = data_version()

    @st.fragment(run_every=every)
    def _watch() -> None:
        if data_version() != st.session_state.get(key):
            st.rerun(scope="app")

    _watch()


# -- cached package calls -------------------------------------------------------------------------

def period_for(label: str | None) -> Period:
    """The quarter a label names (``2026Q3``), the quarter of the as-of date when None or unparseable."""
    from scorecard.calendar import parse_period

    fy = settings().fiscal_year_start_month
    if label:
        try:
            return parse_period(label, fy)
        except ValueError:
            pass
    return quarter_containing(today(), fy)


@st.cache_data(show_spinner=False, max_entries=64)
def leader_team(version: int, leader_id: str, visible: tuple[str, ...], period_label: str,
                day: date) -> pl.DataFrame:
    with store().reader() as con:
        return drilldown.leader_team(con, leader_id, visible, period_for(period_label), day)


@st.cache_data(show_spinner=False, max_entries=64)
def rep_view(version: int, rep_id: str, visible: tuple[str, ...], period_label: str,
             day: date) -> drilldown.RepView | None:
    with store().reader() as con:
        return drilldown.rep_view(con, rep_id, visible, period_for(period_label), day)


@st.cache_data(show_spinner=False, max_entries=16)
def _org_overview(version: int, visible: tuple[str, ...], whole_org: bool) -> org.OrgOverview:
    s = store()
    loads = s.loads() if whole_org else None
    with s.reader() as con:
        return org.org_overview(con, visible, loads, whole_org=whole_org)


def org_overview(who: Viewer) -> org.OrgOverview:
    """The viewer's part of the org; the whole org's row counts and the load history only for a
    viewer who sees the whole org's data (``Viewer.sees_whole_org_data``)."""
    return _org_overview(data_version(), who.visible_reps, who.sees_whole_org_data)


@st.cache_data(show_spinner=False, max_entries=16)
def _data_quality(version: int, visible: tuple[str, ...] | None) -> org.DataQuality:
    with store().reader() as con:
        return org.data_quality(con, visible)


def data_quality(who: Viewer) -> org.DataQuality:
    """The latest checks, the flagged rows and the column fill, for the data-quality page: the whole
    org's for a viewer who sees the whole org's data, else no checks and only their people's rows."""
    return _data_quality(data_version(), None if who.sees_whole_org_data else who.visible_reps)


def viewer_key(who: Viewer) -> str:
    """A short key that tells viewers apart in the caches (same e-mail and same reps: same key), and
    the rubric in force (an edited rubric scores anew)."""
    return f"{who.email}|{len(who.visible_reps)}|{hash(who.visible_reps)}|{rubric_stamp()}"


@st.cache_resource(show_spinner=False)
def _score_cache() -> Any:
    """The whole org's scores, shared by every viewer's Scorecard (each filters them for display)."""
    from scorecard.api import ScoreCache

    return ScoreCache()


@st.cache_resource(show_spinner=False, max_entries=32)
def _scorecard(version: int, key: str, _who: Viewer) -> Any:
    from scorecard.api import Scorecard

    return Scorecard.open(settings().db, viewer=_who, settings=settings(), cache=_score_cache())


@st.cache_data(show_spinner=False, max_entries=512)
def _scorecard_call(version: int, key: str, method: str, args: tuple[Any, ...],
                    kwargs: tuple[tuple[str, Any], ...], _who: Viewer) -> Any:
    return getattr(_scorecard(version, key, _who), method)(*args, **dict(kwargs))


def scores(method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``Scorecard.<method>`` for the current viewer, cached on the data version.

    Periods are passed as labels (``"2026Q3"``) so the arguments hash cheaply.
    """
    who = current_viewer()
    return _scorecard_call(data_version(), viewer_key(who), method, args, tuple(sorted(kwargs.items())),
                           _who=who)


def tv_mode() -> bool:
    """The TV view (``?tv=1``): no sidebar, big type, the scorecard rotates by itself."""
    return param("tv") in {"1", "true", "yes"}


def show_account(who: Viewer) -> None:
    """Who is logged in, with a logout button (hosted only)."""
    if who.local or not who.email:
        return
    with st.sidebar:
        st.caption(f"Signed in as {plain(who.email)}")
        if st.button("Log out"):
            st.logout()


@st.cache_data(show_spinner=False, max_entries=16)
def people(version: int, visible: tuple[str, ...]) -> pl.DataFrame:
    """Everyone the viewer may see (``org.org_people``), for pickers."""
    with store().reader() as con:
        return org.org_people(con, visible)


def person_picker(label: str, frame: pl.DataFrame, key: str, *, id_col: str = "rep_id",
                  name_col: str = "rep_name", sidebar: bool = False) -> str | None:
    """Pick a person by name; the chosen id lives in the URL parameter ``key``."""
    ids = frame[id_col].to_list()
    names = dict(zip(ids, frame[name_col].fill_null(frame[id_col]).to_list(), strict=True))
    return choose(label, ids, key, format_func=lambda i: f"{names.get(i, i)} ({i})", sidebar=sidebar)


def period_picker(labels: list[str], key: str = "period", *, default: str | None = None,
                  sidebar: bool = False) -> str | None:
    """Pick a quarter (newest first); the label lives in the URL parameter ``period``. The quarter
    of the as-of date, while it runs, reads "2023Q4 (in progress)"."""
    newest_first = sorted(labels, reverse=True)
    return choose("Period", newest_first, key, default=default or (newest_first[0] if newest_first else None),
                  sidebar=sidebar, format_func=period_name)


def period_name(label: str) -> str:
    """A quarter's label, marked "(in progress)" when it is the quarter of the as-of date and the
    data does not reach its end."""
    day = today()
    running = quarter_containing(day, settings().fiscal_year_start_month)
    return f"{label} (in progress)" if label == running.label and day < running.end else label


def recent_period_labels(count: int = 8) -> list[str]:
    """The ``count`` quarters up to the quarter of the as-of date (when the data covers none)."""
    from scorecard.calendar import recent_quarters

    return [p.label for p in recent_quarters(today(), count, settings().fiscal_year_start_month)]


def formatted_vs_team(vs_team: pl.DataFrame) -> pl.DataFrame:
    """The rep-against-median table with each value in its unit (money, %, x)."""
    return pl.DataFrame({
        "Metric": vs_team["label"].to_list(),
        "Rep": [format_unit(v, u) for v, u in zip(vs_team["rep"], vs_team["unit"], strict=True)],
        "Team median": [format_unit(v, u) for v, u in
                        zip(vs_team["team_median"], vs_team["unit"], strict=True)],
        "": ["ahead" if a else ("behind" if a is not None else "–") for a in vs_team["ahead"]],
    })


@st.cache_resource(show_spinner=False)
def _rubric_keeper() -> Any:
    from scorecard.rubric import RubricKeeper

    return RubricKeeper.for_settings(settings())


def rubric_in_force() -> tuple[Any, str | None]:
    """(the rubric in force, why an edited rubric file was refused or None)."""
    keeper = _rubric_keeper()
    rubric = keeper.current()
    error = keeper.error
    if error and keeper.path is not None:  # the page says what is wrong, not where the server keeps it
        error = error.replace(str(keeper.path), "the edited rubric file")
    return rubric, error


def rubric_stamp() -> str:
    """A fingerprint of the rubric in force, so cached scores follow an edited rubric."""
    from scorecard.api import _rubric_key

    return _rubric_key(_rubric_keeper().current())[:12]


def rubric_file_text() -> str:
    """Which rubric is in force, in words (never the server's file path)."""
    from scorecard.rubric import rubric_file

    path, optional = rubric_file(settings())
    if optional and not path.exists():
        return "the rubric shipped with the scorecard"
    return "the rubric edited for this scorecard (the rubric setting)"


def save_product_lines(strategic: list[str], bundles: list[str]) -> None:
    """Save the strategic and bundle product lines to the rubric file (not cached: this writes)."""
    from scorecard.api import Scorecard

    card = Scorecard(store(), settings(), current_viewer(), rubric=_rubric_keeper())
    card.set_product_lines(strategic=strategic, bundles=bundles)
    _rubric_keeper().current()


def settings_table() -> pl.DataFrame:
    """The settings in force, as the methodology page lists them: values, never the server's file
    paths (where the database, the access file and the inbox live is for whoever runs the server)."""
    s = settings()
    mode = hosting_mode()
    values = {
        "Fiscal year starts in month": str(s.fiscal_year_start_month),
        "Reporting currency": s.reporting_currency, "Rubric": rubric_file_text(),
        "Login": {"login": "OpenID Connect: each viewer sees their part of the organisation",
                  "local": "local install on this machine, no login",
                  "refuse": "none configured: no data is shown"}[mode],
        "Upload limit": f"{s.upload_limit_mb} MB per file",
        "Longest text value": f"{s.text_value_limit:,} characters",
        "Deepest reporting chain": f"{s.hierarchy_depth_limit} levels",
    }
    return pl.DataFrame({"Setting": list(values), "Value": list(values.values())})


# -- leader page helpers ---------------------------------------------------------------------------

def leader_row(leaders: pl.DataFrame, leader_id: str) -> dict[str, Any] | None:
    found = leaders.filter(pl.col("leader_id") == leader_id)
    return found.row(0, named=True) if found.height else None


def leader_caption(row: Mapping[str, Any]) -> str:
    level = row.get("level")
    parts = [f"level {level}" if level is not None else "", row.get("region") or "",
             f"team of {row.get('team_size') or 0}"]
    return " · ".join(p for p in parts if p)


def delta(value: float | None) -> str | None:
    """A change in points for ``st.metric`` (None hides the delta)."""
    return None if _missing(value) else f"{value:+.0f}"


def metric_label(metric: str) -> str:
    from scorecard.metrics import METRICS

    found = METRICS.get(metric)
    return found.label if found else metric


def formatted_explanation(explanation: pl.DataFrame) -> pl.DataFrame:
    """``Scorecard.explain`` with the value in its unit, the status in words and how much of each
    score's weight was scored (``score_coverage``)."""
    from scorecard.metrics import format_value

    values = [format_value(v, u) for v, u in zip(explanation["value"].to_list(),
                                                   explanation["unit"].to_list(), strict=True)]
    status = {"scored": "scored", "not_enough_data": "not enough data", "switched_off": "switched off"}
    return explanation.select(
        pl.col("score_label"), pl.col("metric"), pl.col("metric_label"),
        pl.Series("value_text", values, dtype=pl.String), pl.col("points"), pl.col("weight"),
        pl.col("effective_weight"), pl.col("sample"), pl.col("min_sample"),
        pl.col("status").replace_strict(status, default=pl.col("status")).alias("status"),
        pl.col("reason"),
        (pl.col("score_coverage") if "score_coverage" in explanation.columns
         else pl.lit(None, dtype=pl.String)).alias("score_coverage"),
    )


EXPLANATION_COLUMNS: dict[str, Any] = {
    "score_label": "Score", "metric": None, "metric_label": "Metric", "value_text": "Value",
    "points": st.column_config.NumberColumn("Points", format="%.0f"),
    # a weight is a number of the rubric (3, 2, 1), not a rate; its share of the score is the rate
    "weight": st.column_config.NumberColumn("Weight", format="plain",
                                            help="The metric's weight in this score, as the rubric sets it"),
    "effective_weight": st.column_config.NumberColumn(
        "Share of score", format="percent",
        help="The metric's share of the score once the weight of metrics without data is spread over"
             " the rest (0% when it is not scored)"),
    "sample": "Sample", "min_sample": "Minimum", "status": "Status", "reason": "Why",
    "score_coverage": st.column_config.TextColumn(
        "Score scored on", help="How many of the score's metrics were scored and how much of its weight"),
}


def formatted_priorities(priorities: pl.DataFrame) -> pl.DataFrame:
    from scorecard.metrics import METRICS, format_value

    units = [METRICS[m].unit if m in METRICS else "" for m in priorities["metric"].to_list()]
    return pl.DataFrame({
        "Metric": priorities["metric_label"].to_list(),
        "Now": [format_value(v, u) for v, u in zip(priorities["value"].to_list(), units, strict=True)],
        "Target": [format_value(v, u) for v, u in zip(priorities["target"].to_list(), units, strict=True)],
        "Overall points to gain": [points(g) for g in priorities["gain"].to_list()],
    })


TEAM_COLUMNS = ["rep_name", "manager_name", "role", "attainment", "pace", "won", "quota", "open_pipeline",
                "pipeline_coverage", "win_rate", "activities_per_day", "stalled_deal_rate",
                "target_account_coverage", "coaching_sessions"]


def team_column_config() -> dict[str, Any]:
    return {
        "rep_name": "Rep", "manager_name": "Manager", "role": "Role",
        "attainment": percent_column("Attainment", "won / quota this period"),
        "pace": number_column("Pace", "%.2f", "attainment / share of the period elapsed; 1 = on pace"),
        "won": money_column("Won"), "quota": money_column("Quota"),
        "open_pipeline": money_column("Open pipeline", "open deals closing this period"),
        "pipeline_coverage": number_column("Coverage", "%.1fx", "open pipeline / quota still to win"),
        "win_rate": percent_column("Win rate"),
        "activities_per_day": number_column("Activities / day", "%.1f"),
        "stalled_deal_rate": percent_column("Stalled deals", "open deals without activity for 21 days"),
        "target_account_coverage": percent_column("Target accounts touched", "in the last 30 days"),
        "coaching_sessions": number_column("Coaching sessions", "%d", "received this period"),
    }


# -- scorecard page helpers ------------------------------------------------------------------------

def options(frame: pl.DataFrame, column: str) -> list[str]:
    """The distinct non-blank values of a column, as strings, sorted."""
    if column not in frame.columns:
        return []
    return sorted({str(v) for v in frame[column].drop_nulls().to_list() if str(v).strip()})


def level_name(level: str) -> str:
    names = {"all": "All levels", "0": "Top (0)", "1": "Level 1", "2": "Level 2"}
    return names.get(level, f"Level {level}")


def ranking_table(leaders: pl.DataFrame, score: str) -> pl.DataFrame:
    """Leaders ranked by ``score`` with the change against the previous period as an arrow and how
    much of the score's weight was scored. Leaders on thin coverage come after the others, marked,
    and are not given a rank as if their score were complete."""
    from scorecard.metrics import SCORES

    thin = pl.col("thin_coverage") if "thin_coverage" in leaders.columns else pl.lit(False)
    ranked = leaders.with_columns(thin.alias("thin_coverage")).sort(
        ["thin_coverage", score], descending=[False, True], nulls_last=True)
    change_col = f"{score}_change"
    changes = ranked[change_col].to_list() if change_col in ranked.columns else [None] * ranked.height
    keys = [k for k in SCORES if k in ranked.columns and k != score]
    share = f"{score}_coverage"
    coverage = (pl.col(share) if share in ranked.columns else pl.lit(None, dtype=pl.Float64))
    return ranked.select(
        pl.when(~pl.col("thin_coverage")).then(pl.int_range(1, ranked.height + 1)).alias("rank"),
        pl.col("leader_id"), pl.col("leader_name"), pl.col(score),
        pl.Series("change", [change(c) for c in changes], dtype=pl.String),
        coverage.alias("coverage"),
        pl.when(pl.col("thin_coverage")).then(pl.lit("thin coverage: not ranked")).otherwise(pl.lit(""))
        .alias("note"),
        (pl.col("coverage") if "coverage" in ranked.columns else pl.lit(None, dtype=pl.String))
        .alias("overall_scored_on"),
        *[pl.col(k) for k in keys],
        *[pl.col(c) for c in ("region", "level", "team_size") if c in ranked.columns],
    ).with_columns(pl.col("rank").cast(pl.Int64))


def thin_note(leaders: pl.DataFrame) -> str | None:
    """What the page says when some leaders are scored on little of the weight, else None."""
    if "thin_coverage" not in leaders.columns:
        return None
    thin = leaders.filter(pl.col("thin_coverage"))
    if thin.is_empty():
        return None
    rubric, _ = rubric_in_force()
    names = ", ".join(plain(n) for n in thin["leader_name"].fill_null(thin["leader_id"]).to_list()[:6])
    more = "" if thin.height <= 6 else f" and {thin.height - 6} more"
    return (f"{thin.height} of {leaders.height} leaders are scored on less than {rubric.coverage.thin_below:.0%} of"
            f" the weight ({names}{more}): the data lacks what most of their metrics need, so they are listed"
            " after the others, without a rank. The Data quality page says what would switch the metrics on.")


def marked_names(leaders: pl.DataFrame) -> pl.DataFrame:
    """The leaders with "(thin coverage)" after the name of those scored on little of the weight,
    for charts that show names only."""
    if "thin_coverage" not in leaders.columns:
        return leaders
    return leaders.with_columns(
        pl.when(pl.col("thin_coverage"))
        .then(pl.format("{} (thin coverage)", pl.col("leader_name").fill_null(pl.col("leader_id"))))
        .otherwise(pl.col("leader_name")).alias("leader_name"))


def ranking_column_config() -> dict[str, Any]:
    from scorecard.metrics import SCORES

    config: dict[str, Any] = {
        "rank": number_column("#", "%d"), "leader_id": None, "leader_name": "Leader",
        "change": st.column_config.TextColumn("vs last quarter",
                                              help="Against the previous quarter; while this quarter runs,"
                                                   " against the previous one at the same share elapsed"),
        "coverage": st.column_config.ProgressColumn(
            "Weight scored", min_value=0, max_value=1, format="percent",
            help="How much of the score's weight has the data it needs; the rest is switched off or has too"
                 " little data, and its weight is spread over the scored metrics"),
        "note": "Note", "overall_scored_on": st.column_config.TextColumn(
            "Overall scored on", help="How many of the five roles were scored and how much of their weight"),
        "region": "Region",
        "level": number_column("Level", "%d"), "team_size": number_column("Team", "%d"),
    }
    for key, label in SCORES.items():
        config[key] = st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f")
    return config


def tv_rotation(leaders: pl.DataFrame, score: str, period: str, every: float = 15.0) -> None:
    """The TV view: ranking and heatmap in turn, full screen, big type, refreshing by itself."""
    from scorecard import charts

    st.markdown(
        "<style>header, [data-testid='stSidebar'], [data-testid='stToolbar'] {display: none;}"
        " .block-container {padding-top: 1rem; max-width: 100%;}</style>",
        unsafe_allow_html=True,
    )

    @st.fragment(run_every=every)
    def _rotate() -> None:
        turn = int(st.session_state.get("tv_turn", 0))
        st.session_state["tv_turn"] = turn + 1
        fresh = scores("leaders", period)  # cached on the data version: a new load shows up here
        if fresh.is_empty():
            fresh = leaders
        fresh = marked_names(fresh)
        st.markdown(f"## Sales-leadership scorecard · {period_name(period)}")
        st.caption(as_of_text())
        if turn % 2 == 0:
            st.plotly_chart(charts.ranking_bars(fresh, score, font_size=22, height=900), key="tv_chart")
        else:
            st.plotly_chart(charts.score_heatmap(fresh, font_size=20, height=900), key="tv_chart")

    _rotate()


def explanation(leader_id: str, period: str | None, score: str) -> pl.DataFrame:
    """``Scorecard.explain`` for one score; for the overall score, the metrics of the five CSO roles
    (the overall score is their mean, the SMART dimensions do not count in it)."""
    from scorecard.metrics import ROLES

    if score != "overall":
        return scores("explain", leader_id, period, score)
    everything = scores("explain", leader_id, period, None)
    return everything.filter(pl.col("score").is_in(list(ROLES)))
