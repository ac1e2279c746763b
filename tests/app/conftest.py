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


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunApp]:
    """``run_app(db, page=None, params=None, env=None)``: one run of app.py, caches cleared first."""

    def run(db: Path, page: str | None = None, params: Mapping[str, str] | None = None,
            env: Mapping[str, str] | None = None) -> AppTest:
        monkeypatch.setenv("SCORECARD_DB", str(db))
        for name in ("SCORECARD_HOSTED", "SCORECARD_TEST_LOGIN_EMAIL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if page:
            at.switch_page(page)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        return at.run()

    yield run
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


def texts(at: AppTest) -> str:
    """Everything the page wrote as text (titles, markdown, captions, alerts), for assertions."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success",
                 "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


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
