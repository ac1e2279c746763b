"""AppTest helpers: run the app (through its router) against a chosen database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from scorecard.schema import CORE_EXTRACTS
from scorecard.store import Store

ROOT = Path(__file__).resolve().parents[2]
RunApp = Callable[..., AppTest]


AUTH_SECTION = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "scorecard", "client_secret": "secret",
                "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
"""An [auth] section as secrets.toml holds it (hosted mode); no provider is reached by AppTest."""


def logged_in(email: str, *, verified: bool = True, expires_in: float = 3600, **claims: Any) -> dict[str, Any]:
    """``st.user`` as Streamlit fills it from a provider's ID token after ``st.login`` (AppTest.user)."""
    import time

    return {"is_logged_in": True, "email": email, "email_verified": verified, "sub": email,
            "exp": int(time.time() + expires_in), "iat": int(time.time()), **claims}


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunApp]:
    """``run_app(db, page=None, params=None, env=None, user=None, address="localhost")``: one run of
    app.py, caches cleared first. ``user`` (see :func:`logged_in`) adds an [auth] section to the
    secrets and logs that user in, the way AppTest sets ``st.user``; ``address`` is the address the
    server is bound to (``server.address``)."""
    from streamlit import config

    address_before = config.get_option("server.address")

    def run(db: Path, page: str | None = None, params: Mapping[str, str] | None = None,
            env: Mapping[str, str] | None = None, user: Mapping[str, Any] | None = None,
            address: str | None = "localhost") -> AppTest:
        monkeypatch.setenv("SCORECARD_DB", str(db))
        monkeypatch.delenv("SCORECARD_HOSTED", raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        config.set_option("server.address", address)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if user is not None:
            at.secrets["auth"] = dict(AUTH_SECTION)
            at.user = dict(user)
        if page:
            at.switch_page(page)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        return at.run()

    yield run
    config.set_option("server.address", address_before)
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A database with no load at all (tables exist, every extract is empty)."""
    store = Store(tmp_path / "empty.duckdb")
    store.initialise()
    return store.path


@pytest.fixture(scope="session")
def core_only_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small org with only the five required extracts: forecasts, history, coaching, opportunity
    team and currency rates were never uploaded."""
    from scorecard.demo import generate

    frames = generate(scale=0.15, seed=7)
    store = Store(tmp_path_factory.mktemp("core_only") / "core.duckdb")
    store.load({name: frames[name] for name in CORE_EXTRACTS}, loaded_by="test")
    return store.path


def markdown_sources(at: AppTest) -> str:
    """Everything the page wrote as Markdown source (titles, markdown, captions, alerts, metrics)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success",
                 "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def unescaped(source: str) -> str:
    """Markdown source as the reader sees its text: backslash escapes of punctuation and the invisible
    word joiners of ``scorecard.ui.text.plain`` removed."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Everything the page wrote as text (titles, markdown, captions, alerts), as the reader reads it
    (CRM text is escaped in the Markdown source, ``scorecard.ui.text.plain``), for assertions."""
    return unescaped(markdown_sources(at))


def frame_with(at: AppTest, column: str) -> Any:
    """The first dataframe on the page that has ``column`` (AppTest does not expose their keys)."""
    for element in at.dataframe:
        value = element.value
        if column in value.columns:
            return value
    raise AssertionError(f"no dataframe with a {column!r} column on the page")


DYNAMICS_EXPORTS = ROOT / "tests" / "data" / "exports" / "dynamics"


@pytest.fixture(scope="session")
def small_dynamics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small org from a Dynamics 365 export: seven users (three leaders) and nine deals created from
    January 2026; no activities, quotas or accounts were uploaded."""
    from scorecard.ingest import ingest_files

    store = Store(tmp_path_factory.mktemp("dynamics") / "small.duckdb")
    result = ingest_files(store, [DYNAMICS_EXPORTS / "systemuser.csv",
                                  DYNAMICS_EXPORTS / "opportunities_excel_export.xlsx"], loaded_by="test")
    assert result.accepted, result.report()
    return store.path


def column_config(at: AppTest, column: str) -> dict[str, Any]:
    """The column configuration of the first dataframe on the page that has ``column``."""
    import json

    for element in at.dataframe:
        if column in element.value.columns:
            config: dict[str, Any] = json.loads(element.proto.columns or "{}")
            return config
    raise AssertionError(f"no dataframe with a {column!r} column on the page")


def chart(at: AppTest, key_trace_name: str) -> dict[str, Any]:
    """The first Plotly figure on the page with a trace named ``key_trace_name`` (as JSON)."""
    import json

    for element in at.get("plotly_chart"):
        figure: dict[str, Any] = json.loads(element.proto.spec)
        if any(t.get("name") == key_trace_name for t in figure.get("data", [])):
            return figure
    raise AssertionError(f"no chart with a trace named {key_trace_name!r} on the page")
