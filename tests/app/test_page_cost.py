"""What a returning viewer's page run costs: no database connection, no access-file read, no chart
drawn again and no table converted again while nothing changed, and a change seen at the next run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import scorecard.access
from scorecard.store import Store
from tests.app.conftest import RunApp, logged_in, texts


class Counter:
    def __init__(self) -> None:
        self.calls = 0


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts every database connection the app asks for (a reader, or a connection of its own)."""
    import scorecard.store

    counter = Counter()
    take, connect = scorecard.store._ReaderPool.take, Store.connect

    def counted_take(self: Any) -> Any:
        counter.calls += 1
        return take(self)

    def counted_connect(self: Store, retries: int = 50) -> Any:
        counter.calls += 1
        return connect(self, retries)

    monkeypatch.setattr(scorecard.store._ReaderPool, "take", counted_take)
    monkeypatch.setattr(Store, "connect", counted_connect)
    return counter


@pytest.fixture
def access_reads(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts every read of the access file."""
    counter = Counter()
    original = scorecard.access.AccessPolicy.from_file.__func__  # type: ignore[attr-defined]

    def counted(cls: type, path: Path | None) -> Any:
        counter.calls += 1
        return original(cls, path)

    monkeypatch.setattr(scorecard.access.AccessPolicy, "from_file", classmethod(counted))
    return counter


def test_a_warm_page_run_opens_no_connection_and_a_new_load_shows_at_the_next(
        run_app: RunApp, demo_store: Store, connections: Counter) -> None:
    at = run_app(demo_store.path, page="pages/scorecard_page.py")
    assert not at.exception
    before = demo_store.data_version()
    connections.calls = 0
    at.run()
    assert not at.exception
    assert connections.calls == 0  # the data version is a stat of the file, every result is kept

    reps = demo_store.row_counts()["reps"]
    with demo_store.writing() as con:  # a load lands: a new file in place, a new load id
        con.execute("insert into loads by name select max(load_id) + 1 as load_id, now()::timestamp as loaded_at,"
                    " 'test' as loaded_by, 'cli' as source, 'accepted' as status from loads")
    assert demo_store.data_version() == before + 1
    at.run()
    assert not at.exception
    assert connections.calls > 0  # the new version is read (and its results made) at once
    assert demo_store.row_counts()["reps"] == reps


def test_the_access_file_is_read_once_until_it_changes(run_app: RunApp, demo_store: Store,
                                                       access_reads: Counter) -> None:
    access = demo_store.path.parent / "access.toml"
    access.write_text('executives = ["nobody@example.com"]\n')
    with demo_store.reader() as con:
        email = con.execute("select email from reps where email is not null order by rep_id limit 1").fetchall()[0][0]
    at = run_app(demo_store.path, page="pages/scorecard_page.py", user=logged_in(email))
    assert not at.exception
    access_reads.calls = 0
    at.run()
    assert not at.exception and access_reads.calls == 0
    access.write_text(f'executives = ["nobody@example.com", "{email}"]\n')
    at.run()
    assert not at.exception and access_reads.calls == 1
    at.run()
    assert access_reads.calls == 1
    assert "Scorecard" in texts(at)


def _spec_of(figure: Any) -> dict[str, Any]:
    """The JSON ``st.plotly_chart`` sends for ``figure``."""
    at = AppTest.from_function(_show_chart, args=(figure,))
    at.run()
    spec: dict[str, Any] = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec


def _show_chart(figure: object) -> None:
    import streamlit as st

    st.plotly_chart(figure, key="chart")


def _figure() -> go.Figure:
    figure = go.Figure(go.Bar(x=[3, 1], y=["Ann", "Bo"], customdata=[["a"], ["b"]], orientation="h"))
    figure.update_layout(height=300, title="Overall")
    return figure


def test_a_chart_is_drawn_once_and_sent_as_a_fresh_one_would_be(run_app: RunApp, demo_db_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from scorecard.ui import cache

    run_app(demo_db_path, page="pages/methodology.py")  # caches cleared, the app's settings in force
    monkeypatch.setenv("SCORECARD_DB", str(demo_db_path))
    drawn: list[go.Figure] = []

    def draw() -> go.Figure:
        drawn.append(_figure())
        return drawn[-1]

    first = cache.chart("bars", None, ("2024Q1",), draw)
    again = cache.chart("bars", None, ("2024Q1",), draw)
    assert again is first and len(drawn) == 1
    other = cache.chart("bars", None, ("2024Q2",), draw)  # other arguments: drawn again
    assert other is not first and len(drawn) == 2
    assert _spec_of(first) == _spec_of(_figure())
    st.cache_resource.clear()


def test_a_table_kept_is_converted_once_and_sent_as_before() -> None:
    from streamlit import dataframe_util

    from scorecard.ui import tables

    frame = pl.DataFrame({"rep_name": ["Ann", "Bo"], "contact_level": ["c_level", None], "amount": [1.5, None]})
    table, config = tables.shown(frame, "USD")
    again, _ = tables.shown(frame, "USD")
    assert again is table
    assert config == tables.columns(frame, "USD")
    # what Streamlit would have sent for the frame itself, codes in words
    expected = dataframe_util.convert_pandas_df_to_arrow_bytes(
        dataframe_util.convert_anything_to_pandas_df(tables.readable(frame)))
    assert dataframe_util.convert_arrow_table_to_arrow_bytes(table) == expected
    assert table.column("contact_level").to_pylist() == ["C-level", None]
    copy = frame.clone()  # another frame (made during a run): converted for itself
    assert tables.shown(copy, "USD")[0] is not table
    gone = (id(frame), "USD")
    del frame, again, table
    assert gone not in tables._SHOWN and (id(copy), "USD") in tables._SHOWN  # a frame gone takes its table


def test_a_page_run_makes_no_csv_until_a_download_is_pressed(run_app: RunApp, demo_db_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.runtime.media_file_manager import MediaFileManager

    import scorecard.export

    made: list[bytes] = []
    csv_bytes = scorecard.export.csv_bytes

    def counted(frame: pl.DataFrame) -> bytes:
        made.append(csv_bytes(frame))
        return made[-1]

    offered: dict[str, Any] = {}
    add_deferred = MediaFileManager.add_deferred

    def record(self: MediaFileManager, data_callable: Any, mimetype: str | None, coordinates: str,
               file_name: str | None = None, **kwargs: Any) -> str:
        if mimetype == "text/csv":
            offered[str(file_name)] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(scorecard.export, "csv_bytes", counted)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = run_app(demo_db_path, page="pages/leader.py", params={"leader": "U0005"})
    assert not at.exception
    assert made == []  # no CSV on a first run either
    first = 0
    at.run()
    assert not at.exception
    assert len(made) == first  # nor on a returning viewer's run
    team_csv = next(make for name, make in offered.items() if "-team-" in name)
    pressed = team_csv()  # the press: the file is made now, from the rows the run showed
    assert len(made) == first + 1 and made[-1] == pressed
    names = {row["rep_name"] for row in csv.DictReader(io.StringIO(pressed.decode("utf-8-sig")))}
    team = next(d.value for d in at.dataframe if "manager_name" in d.value.columns)  # the team table
    assert names and names == set(team["rep_name"])
    risk_csv = next(make for name, make in offered.items() if "risk" in name)
    assert b"close_date" in risk_csv().splitlines()[0]  # the deals at risk, made on the press
