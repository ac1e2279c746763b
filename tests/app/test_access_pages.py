"""Who sees what, page by page, through the router (AppTest sets the logged-in user as ``st.user``):
the app fails closed, an unverified or expired login sees nothing, a leader sees no other team's
names on any surface or download, a score is the same whoever looks, and CRM text is shown as text."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import RunApp, frame_with, logged_in, texts, unescaped

LEADER = "U0005"  # Farid Ueda, a first-line manager with nine reps


@pytest.fixture(scope="module")
def hosted_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo org with an access file naming the CRO (who is not in the reps extract)."""
    folder = tmp_path_factory.mktemp("hosted_pages")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    (folder / "access.toml").write_text('executives = ["cro@example.com"]\nsales_ops = ["ops@example.com"]\n')
    return db


def _people(db: Path) -> tuple[str, set[str], set[str]]:
    """(the leader's e-mail, the names in his subtree, every other name not also in it)."""
    with duckdb.connect(str(db), read_only=True) as con:
        email = con.execute("select email from reps where rep_id = $id", {"id": LEADER}).fetchall()[0][0]
        team = {r[0] for r in con.execute(
            "select rep_name from reps where rep_id = $id or rep_id in"
            " (select rep_id from team_members where leader_id = $id)", {"id": LEADER}).fetchall()}
        everyone = {r[0] for r in con.execute("select rep_name from reps").fetchall()}
    return email, team, everyone - team


class Downloads:
    """The CSV files the pages offer (``widgets.download_csv``), each made as pressing its button makes
    it: Streamlit keeps the function it was given and calls it on the press, not during the run."""

    def __init__(self) -> None:
        self.offered: list[Callable[[], Any]] = []

    def files(self) -> list[bytes]:
        """Every CSV offered so far, in order, as a viewer pressing each button would get it."""
        made = [make() for make in self.offered]
        return [data if isinstance(data, bytes) else str(data).encode("utf-8") for data in made]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """Every CSV file the pages offer for download, kept to be made as a press makes it."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    offered = Downloads()
    add_deferred = MediaFileManager.add_deferred

    def record(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None, coordinates: str,
               file_name: str | None = None, **kwargs: Any) -> str:
        if mimetype == "text/csv":
            offered.offered.append(data_callable)
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return offered


def everything_shown(at: AppTest, files: list[bytes]) -> str:
    """All the page shows or offers: text, tables, charts, pickers, metrics, links and downloads."""
    parts = [texts(at)]
    parts += [element.value.to_csv() for element in at.dataframe]
    for element in at.get("plotly_chart"):
        parts.append(json.dumps(json.loads(element.proto.spec), ensure_ascii=False))
    parts += [str(option) for box in at.selectbox for option in box.options]
    parts += [str(option) for box in at.multiselect for option in box.options]
    parts += [unescaped(f"{m.label} {m.value}") for m in at.metric]
    parts += [unescaped(link.value) for link in at.get("page_link")]
    parts += [data.decode("utf-8-sig") for data in files]
    return "\n".join(parts)


def _no_exception(at: AppTest) -> None:
    assert [e.value for e in at.exception] == []


# -- fail closed -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", [None, "0.0.0.0", "10.1.2.3"])
def test_reachable_from_elsewhere_without_a_login_shows_no_data(run_app: RunApp, demo_db_path: Path,
                                                              address: str | None) -> None:
    at = run_app(demo_db_path, address=address)
    _no_exception(at)
    shown = texts(at)
    assert "no login is configured, so it shows no data" in shown
    assert "add an [auth] section to .streamlit/secrets.toml" in shown
    assert len(at.dataframe) == 0 and len(at.metric) == 0 and len(at.get("plotly_chart")) == 0
    assert "Local demo" not in shown


def test_forced_hosting_without_a_login_shows_no_data(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, env={"SCORECARD_HOSTED": "1"})
    _no_exception(at)
    assert "SCORECARD_HOSTED is set" in texts(at)
    assert len(at.dataframe) == 0


def test_bound_to_localhost_is_the_local_install(run_app: RunApp, demo_db_path: Path) -> None:
    at = run_app(demo_db_path, address="127.0.0.1")
    _no_exception(at)
    assert "Local demo: no login, everyone sees everything." in texts(at)


# -- the login -----------------------------------------------------------------------------------------------

PAGE_SCRIPTS = ["pages/scorecard_page.py", "pages/leader.py", "pages/rep.py", "pages/org_overview.py",
                "pages/upload.py", "pages/data_quality.py", "pages/methodology.py"]


@pytest.mark.parametrize("page", PAGE_SCRIPTS)
def test_a_shared_link_opens_the_login_for_an_anonymous_visitor(run_app: RunApp, hosted_db: Path, page: str) -> None:
    # the page runs through the router, and the router's navigation for a visitor who must log in
    # knows the page's address: the browser finds the address among the pages (no "Page not found"
    # dialog, tests/browser/test_login.py) and shows the login
    at = run_app(hosted_db, page, params={"leader": LEADER, "rep": "U0017"}, user={"is_logged_in": False})
    _no_exception(at)
    assert [t.value for t in at.title] == ["Sales-leadership scorecard"]
    assert [b.label for b in at.button] == ["Log in"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0
    addresses = {info.get("url_pathname") for info in at._registered_pages.values()}  # what the browser gets
    assert page.removeprefix("pages/").removesuffix(".py") in addresses


def test_an_unverified_address_is_told_why_and_sees_nothing(run_app: RunApp, hosted_db: Path) -> None:
    # (a hand-typed page address gets the same: tests/browser/test_login.py)
    at = run_app(hosted_db, user=logged_in("cro@example.com", verified=False))
    _no_exception(at)
    assert "has not verified that cro@example.com is yours" in texts(at)
    assert [b.label for b in at.button] == ["Log out"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0 and len(at.get("plotly_chart")) == 0


def test_an_expired_login_logs_in_again(run_app: RunApp, hosted_db: Path) -> None:
    at = run_app(hosted_db, user=logged_in("cro@example.com", expires_in=-1))
    _no_exception(at)
    assert "Your login has expired: log in again to go on." in texts(at)
    assert [b.label for b in at.button] == ["Log in again"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0


def test_a_verified_executive_sees_everyone(run_app: RunApp, hosted_db: Path) -> None:
    at = run_app(hosted_db, user=logged_in("CRO@example.com"))
    _no_exception(at)
    assert {m.label: m.value for m in at.metric}["Leaders"] == "16"
    assert "Signed in as cro@example.com" in texts(at)


def test_the_access_file_is_read_again_on_the_next_run(run_app: RunApp, hosted_db: Path) -> None:
    access = hosted_db.parent / "access.toml"
    before = access.read_text()
    at = run_app(hosted_db, "pages/org_overview.py", user=logged_in("cro@example.com"))
    assert len(frame_with(at, "direct_reports")) == 16
    try:
        access.write_text("executives = []\n")
        at.run()  # the same session, caches kept: the next page run reads the file again
        _no_exception(at)
        assert "No one to show yet" in texts(at)  # no longer an executive, and in no one's team
        assert "The load history (who loaded which files) is shown to sales ops and executives." in texts(at)
    finally:
        access.write_text(before)


# -- a leader on every surface ------------------------------------------------------------------------------

SURFACES = [
    ("pages/scorecard_page.py", {}),
    ("pages/scorecard_page.py", {"tv": "1"}),
    ("pages/leader.py", {"leader": "U0002", "metric": "quota_attainment"}),  # his director, by hand
    ("pages/leader.py", {"leader": LEADER, "metric": "quota_attainment"}),
    ("pages/rep.py", {"rep": "U0120"}),  # a rep of another team, by hand
    ("pages/org_overview.py", {}),
    ("pages/data_quality.py", {}),
    ("pages/methodology.py", {}),
]


def test_the_leader_page_without_a_leader_shows_the_only_leader_the_viewer_may_see(
        run_app: RunApp, hosted_db: Path) -> None:
    email, _, _ = _people(hosted_db)
    at = run_app(hosted_db, "pages/leader.py", user=logged_in(email))  # Farid Ueda, from the navigation
    _no_exception(at)
    picker = at.selectbox(key="url_leader")
    assert picker.options == ["Farid Ueda (U0005)"] and picker.value == LEADER  # himself, nothing to ask
    assert [s.value for s in at.subheader][:1] == ["Farid Ueda"]
    assert "Pick a leader from the list." not in texts(at)
    assert "leader" not in at.query_params  # showing the only one writes nothing

    cro = run_app(hosted_db, "pages/leader.py", user=logged_in("cro@example.com"))  # sees all 16: asked
    _no_exception(cro)
    assert cro.selectbox(key="url_leader").value is None and not cro.subheader
    assert "Pick a leader from the list." in texts(cro)


@pytest.mark.parametrize(("page", "params"), SURFACES)
def test_a_leader_sees_no_other_teams_names(run_app: RunApp, hosted_db: Path, downloads: Downloads,
                                            page: str, params: dict[str, str]) -> None:
    email, team, outsiders = _people(hosted_db)
    at = run_app(hosted_db, page, params=params, user=logged_in(email))
    _no_exception(at)
    if page in ("pages/scorecard_page.py", "pages/leader.py") and "tv" not in params \
            and params.get("leader", LEADER) == LEADER:  # his own view: its rows offered as CSV, pressed below
        assert downloads.offered
    shown = everything_shown(at, downloads.files())
    leaked = sorted(name for name in outsiders if name in shown)
    assert leaked == []
    if page not in ("pages/methodology.py", "pages/data_quality.py"):  # those two name rows by id only
        assert any(name in shown for name in team), "the page showed the leader's own people"


def test_a_leader_sees_neither_verdicts_nor_the_load_history(run_app: RunApp, hosted_db: Path) -> None:
    email, _, _ = _people(hosted_db)
    quality = run_app(hosted_db, "pages/data_quality.py", user=logged_in(email))
    assert "The verdicts of uploaded files (with the rows they quote) are shown to sales ops and executives." \
        in texts(quality)
    with pytest.raises(AssertionError):
        frame_with(quality, "failed_rules")
    overview = run_app(hosted_db, "pages/org_overview.py", user=logged_in(email))
    assert "The load history (who loaded which files) is shown to sales ops and executives." in texts(overview)
    flagged = frame_with(quality, "line")
    with duckdb.connect(str(hosted_db), read_only=True) as con:
        owners = {r[0] for r in con.execute(
            "select owner_rep_id from opportunities where opportunity_id in (select unnest($ids::varchar[]))",
            {"ids": flagged.loc[flagged["extract"] == "Deals", "row_key"].tolist()}).fetchall()}
        team_ids = {r[0] for r in con.execute(
            "select rep_id from team_members where leader_id = $id union select $id", {"id": LEADER}).fetchall()}
    assert owners and owners <= team_ids  # the flagged deals listed are his people's
    rows = frame_with(overview, "optional")
    counts = dict(zip(rows["extract"], rows["rows"], strict=True))
    assert counts["Reps"] == 10  # Farid Ueda and his nine reps, not the org's 120
    ops = run_app(hosted_db, "pages/data_quality.py", user=logged_in("ops@example.com"))
    assert len(frame_with(ops, "failed_rules")) > 0  # sales ops see the checks


def test_the_methodology_shows_no_server_path(run_app: RunApp, hosted_db: Path) -> None:
    at = run_app(hosted_db, "pages/methodology.py")
    _no_exception(at)
    shown = everything_shown(at, [])
    assert str(hosted_db.parent) not in shown and "/tmp" not in shown and ".duckdb" not in shown


# -- one score, whoever looks ---------------------------------------------------------------------------------

def test_a_leader_sees_the_scores_the_cro_sees_of_him(run_app: RunApp, hosted_db: Path) -> None:
    email, _, _ = _people(hosted_db)
    params = {"leader": LEADER, "score": "strategic"}
    by_cro = run_app(hosted_db, "pages/leader.py", params=params, user=logged_in("cro@example.com"))
    by_himself = run_app(hosted_db, "pages/leader.py", params=params, user=logged_in(email))
    _no_exception(by_cro)
    _no_exception(by_himself)
    assert [(m.label, m.value) for m in by_himself.metric] == [(m.label, m.value) for m in by_cro.metric]
    mine, seen = frame_with(by_himself, "value_text"), frame_with(by_cro, "value_text")
    assert mine[["metric", "value_text", "points"]].equals(seen[["metric", "value_text", "points"]])


def test_a_leader_is_shown_the_whole_orgs_median(run_app: RunApp, hosted_db: Path) -> None:
    email, _, _ = _people(hosted_db)
    by_cro = run_app(hosted_db, "pages/scorecard_page.py", user=logged_in("cro@example.com"))
    by_himself = run_app(hosted_db, "pages/scorecard_page.py", user=logged_in(email))
    cro, his = ({m.label: m.value for m in at.metric} for at in (by_cro, by_himself))
    assert cro["Leaders"] == "16" and his["Leaders"] == "1"
    # the median of the sixteen leaders' overall scores, not of the one leader he may see
    ranking = frame_with(by_cro, "rank")
    middle = sorted(ranking["overall"].tolist())[7:9]
    assert cro["Org median overall"] == his["Org median overall"] == f"{sum(middle) / 2:.0f}"


def test_viewers_who_may_see_the_same_reps_share_their_results(run_app: RunApp, hosted_db: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # results are kept once per (data version, rubric, visible reps), never per e-mail address; the
    # leaders' rows are the whole org's, made once whoever looks, each viewer given their part
    from scorecard.api import Scorecard
    from tests.app.conftest import AUTH_SECTION, ROOT

    calls: list[str] = []
    leaders = Scorecard.leaders

    def counted(card: Scorecard, *args: Any, **kwargs: Any) -> Any:
        calls.append(card.viewer.email or "")
        return leaders(card, *args, **kwargs)

    monkeypatch.setattr(Scorecard, "leaders", counted)
    access = hosted_db.parent / "access.toml"
    before = access.read_text()
    access.write_text('executives = ["cro@example.com", "coo@example.com"]\n')
    try:
        first = run_app(hosted_db, "pages/scorecard_page.py", user=logged_in("cro@example.com"))
        _no_exception(first)
        assert len(calls) == 1
        second = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # another session, caches kept
        second.secrets["auth"] = dict(AUTH_SECTION)
        second.user = logged_in("coo@example.com")
        second.switch_page("pages/scorecard_page.py").run()
        _no_exception(second)
        assert {m.label: m.value for m in second.metric}["Leaders"] == "16"
        assert len(calls) == 1  # the other executive sees the same reps: the same entry
        email, _, _ = _people(hosted_db)
        leader = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # a first-line leader
        leader.secrets["auth"] = dict(AUTH_SECTION)
        leader.user = logged_in(email)
        leader.switch_page("pages/scorecard_page.py").run()
        _no_exception(leader)
        assert {m.label: m.value for m in leader.metric}["Leaders"] == "1"  # their own row, cut from the org's
        assert len(calls) == 1
    finally:
        access.write_text(before)


# -- CRM text is data, never markup -------------------------------------------------------------------------------

HOSTILE = ('=HYPERLINK("http://evil.example/x","Click") ![pixel](http://evil.example/p.png) **bold**'
           ' <img src="http://evil.example/i.png"> [link](http://evil.example/l) :red[alarm]')


@pytest.fixture
def hostile_db(demo_db_path: Path, tmp_path: Path) -> Path:
    """The demo org with a markdown image, HTML and a formula in a leader's name and a next step."""
    db = tmp_path / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    with duckdb.connect(str(db)) as con:
        con.execute("update reps set rep_name = $name where rep_id = $id", {"name": HOSTILE, "id": LEADER})
        con.execute("update opportunities set next_step = '-0+cmd|\"/c calc\"!A1' where owner_rep_id = 'U0017'")
    return db


def test_a_hostile_name_is_shown_as_typed_never_rendered(run_app: RunApp, hostile_db: Path,
                                                          downloads: Downloads) -> None:
    at = run_app(hostile_db, "pages/leader.py", params={"leader": LEADER, "metric": "quota_attainment"})
    _no_exception(at)
    heading = at.subheader[0].value
    assert unescaped(heading) == HOSTILE  # the reader sees the text as typed...
    for markup in ("![", "](", "**", "<img", ":red["):  # ...and Markdown finds no image, link, emphasis,
        assert re.search(r"(?<!\\)" + re.escape(markup), heading) is None  # tag or colour in it
    for chart in at.get("plotly_chart"):
        labels = json.dumps(json.loads(chart.proto.spec))
        assert "<img" not in labels and "\\u003cimg" not in labels

    board = run_app(hostile_db, "pages/scorecard_page.py", params={"radar": LEADER})
    _no_exception(board)
    heatmap = json.loads(board.get("plotly_chart")[0].proto.spec)
    names = heatmap["data"][0]["y"]
    assert HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in names
    top = {m.label.split(" (")[0]: m.value for m in board.metric}["Top overall"]
    assert "![" not in top and unescaped(top) in (HOSTILE, *names)
    for link in board.get("page_link"):
        assert "](" not in link.value


def test_downloads_neutralise_formula_cells(run_app: RunApp, hostile_db: Path, downloads: Downloads) -> None:
    import csv
    import io

    at = run_app(hostile_db, "pages/scorecard_page.py")
    _no_exception(at)
    ranking = list(csv.DictReader(io.StringIO(downloads.files()[-1].decode("utf-8-sig"))))
    row = next(r for r in ranking if r["leader_id"] == LEADER)
    assert row["leader_name"] == "'" + HOSTILE
    rep = run_app(hostile_db, "pages/rep.py", params={"rep": "U0017"})
    _no_exception(rep)
    deals = list(csv.DictReader(io.StringIO(downloads.files()[-1].decode("utf-8-sig"))))
    assert deals and {r["next_step"] for r in deals} == {"'-0+cmd|\"/c calc\"!A1"}


# -- the reason a refusal gives ------------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "reason"), [
    ({"X-Forwarded-For": "203.0.113.9", "Host": "localhost:8501"},
     "(requests reach it through a proxy: they carry the X-Forwarded-For header, although it listens on"
     " 127.0.0.1)"),
    ({"Host": "scorecard.example.com"},
     "(requests reach it by a name other than this machine's, although it listens on 127.0.0.1)"),
])
def test_a_refusal_behind_a_proxy_says_so(run_app: RunApp, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           headers: dict[str, str], reason: str) -> None:
    from scorecard.ui import auth

    monkeypatch.setattr(auth, "_request_headers", lambda: dict(headers))  # as a proxy in front sends them
    at = run_app(demo_db_path, address="127.0.0.1")
    _no_exception(at)
    shown = texts(at)
    assert "no login is configured, so it shows no data" in shown
    assert reason in shown, shown
    assert "(it listens on 127.0.0.1)" not in shown
    assert "scorecard.example.com" not in shown and "203.0.113.9" not in shown  # the visitor's text is not repeated
    assert len(at.dataframe) == 0 and len(at.metric) == 0
