"""The PDF packs on a small org (tests/pack_org.py): text that can be searched, a page per leader,
the as-of date on every page, and a leader's pack that holds only what that leader may see."""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl
import pytest
from pack_org import AS_OF, EMAILS, LEE_TEAM, LIZ_TEAM, PERIOD, build, frames
from polars.testing import assert_frame_equal
from pypdf import PdfReader

from scorecard import reports
from scorecard.access import AccessPolicy, viewer_for_email
from scorecard.api import Scorecard
from scorecard.cli import main
from scorecard.settings import Settings
from scorecard.store import Store

AS_OF_TEXT = "Data as of 20 May 2026"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build(tmp_path_factory.mktemp("packs") / "org.duckdb")


@pytest.fixture(scope="module")
def card(store: Store) -> Scorecard:
    return Scorecard.open(store.path, settings=Settings(db=store.path))


def _card_of(store: Store, email: str) -> Scorecard:
    with store.reader() as con:
        viewer = viewer_for_email(con, email, AccessPolicy())
    return Scorecard.open(store.path, viewer=viewer, settings=Settings(db=store.path))


def pages(pdf: bytes) -> list[str]:
    """The text of each page, whitespace runs read as one space."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_fixture_is_as_of_its_recorded_date(card: Scorecard) -> None:
    assert card.data_as_of() == AS_OF
    assert card.current_period().label == PERIOD


def test_board_pack_has_a_page_per_leader_and_the_as_of_date_on_every_page(card: Scorecard) -> None:
    pdf = reports.board_pack(card, PERIOD)
    assert pdf.startswith(b"%PDF")
    text = pages(pdf)
    assert all(AS_OF_TEXT in page for page in text)
    # one page headed by each leader the viewer sees: V, L1, L2 (a heading is "name (id)")
    for heading in ("Vera Vice (V)", "Lee Leader (L1)", "Liz Lead (L2)"):
        assert sum(heading in page for page in text) == 1, heading
    first = text[0]
    assert "Sales-leadership scorecard: 2026Q2" in first
    assert "in progress: 50 of 91 days, to 20 May 2026" in first
    # the ranking, by hand: Liz 160,000 won of 200,000 x 50/91 due (1.46x, 100 points) ranks first,
    # Lee, who won nothing since January (0 points), last; Lee's overall fell 29 points
    leaders = card.leaders(PERIOD)
    assert leaders["leader_id"].to_list() == ["L2", "V", "L1"]
    # (every leader of this tiny org is scored on little of the weight: listed, not given a rank)
    assert re.search(r"Liz Lead 50 \+21 100", first)
    assert re.search(r"Lee Leader 0 -29 0", first)
    assert len(text) == 1 + 1 + 1 + 3 + 2  # summary, heatmap, ranking, a page per leader, methodology
    # the heatmap shows the change of the overall score beside it, as the Scorecard page does
    assert "vs last quarter" in text[1]
    # the change cells, top to bottom in the ranking's order: Liz +21, Vera -2, Lee -29
    assert "+21 -2 -29" in text[1]
    lee_page = next(page for page in text if "Lee Leader (L1)" in page)
    assert "Quota attainment" in lee_page and "0.00x" in lee_page
    assert "How the scores are made" in text[-2]


def test_one_on_one_pack_holds_only_the_leaders_team(store: Store) -> None:
    lee = _card_of(store, EMAILS["L1"])
    pdf = reports.one_on_one_pack(lee, "L1", PERIOD)
    text = " ".join(pages(pdf))
    assert "1:1 pack: Lee Leader" in text
    assert AS_OF_TEXT in text
    for name in LEE_TEAM:
        assert name in text
    for name in (*LIZ_TEAM, "Liz Lead", "Vera Vice"):
        assert name not in text
    # the team table, by hand: Ann and Bob won nothing this quarter of a 100,000 quota
    assert re.search(r"Ann Rep Lee Leader 0\.00x 0% \$0 \$100,000", text)
    # Ann's open deal A2 (50,000, closing 20 June) has no next step: a deal at risk
    assert re.search(r"Ann Rep Acme Proposal \$50,000 20 Jun 2026 .*No next step", text)


def test_a_leader_cannot_pack_another_team(store: Store) -> None:
    lee = _card_of(store, EMAILS["L1"])
    with pytest.raises(KeyError):
        reports.one_on_one_pack(lee, "L2", PERIOD)
    text = " ".join(pages(reports.board_pack(lee, PERIOD)))
    assert "Lee Leader (L1)" in text
    for name in (*LIZ_TEAM, "Liz Lead", "Vera Vice"):
        assert name not in text


def test_report_command_writes_the_pack(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lee.pdf"
    code = main(["report", "one-on-one", "--db", str(store.path), "--leader", "L1", "--period", PERIOD,
                 "--out", str(out)])
    assert code == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = " ".join(pages(out.read_bytes()))
    assert "1:1 pack: Lee Leader" in text and AS_OF_TEXT in text
    assert main(["report", "one-on-one", "--db", str(store.path), "--out", str(out)]) == 2  # no --leader


def test_report_command_for_a_viewer_shows_only_their_part(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "board.pdf"
    assert main(["report", "board", "--db", str(store.path), "--viewer", EMAILS["L2"], "--out", str(out)]) == 0
    text = " ".join(pages(out.read_bytes()))
    assert "Liz Lead (L2)" in text and "Lee Leader" not in text


def test_crm_text_is_printed_as_text_never_read_as_markup() -> None:
    from reportlab.lib.styles import ParagraphStyle

    paragraph = reports._p("<b>Bold & Co</b>", ParagraphStyle("x"))
    assert paragraph.getPlainText() == "<b>Bold & Co</b>"


def test_pack_file_names() -> None:
    assert reports.pack_file_name("board", "2026Q2") == "board-pack-2026Q2.pdf"
    assert reports.pack_file_name("one-on-one", "2026Q2", "Zoë O'Brien") == "1-1-pack-zoe-o-brien-2026Q2.pdf"


# -- reading the card once ------------------------------------------------------------------------

def test_the_histories_of_every_leader_in_one_pass_are_each_leaders_history(card: Scorecard) -> None:
    histories = reports.score_histories(card, PERIOD)
    assert sorted(histories) == ["L1", "L2", "V"]
    for leader_id, history in histories.items():
        assert_frame_equal(history, card.history(leader_id, period=PERIOD))
    # by hand: the data runs from December 2025, so 2025Q4 (no score: only deals created), 2026Q1 and
    # 2026Q2; Lee's team was at 2.2x the quota due in January and at 0 now: 100 points, then 0
    lee = histories["L1"]
    assert lee["period"].to_list() == ["2025Q4", "2026Q1", "2026Q2"]
    assert lee["in_progress"].to_list() == [False, False, True]


def test_the_board_reads_each_leader_as_the_leader_page_does(card: Scorecard, store: Store) -> None:
    for viewer in (card, _card_of(store, EMAILS["L1"])):
        facts = reports.board_facts(viewer, PERIOD)
        assert [p.leader_id for p in facts.pages] == viewer.leaders(PERIOD)["leader_id"].to_list()
        for page in facts.pages:
            assert_frame_equal(page.explanation, viewer.explain(page.leader_id, PERIOD))
            assert_frame_equal(page.priorities, viewer.coaching_priorities(page.leader_id, PERIOD))
            assert_frame_equal(page.history, viewer.history(page.leader_id, period=PERIOD))
    # Lee's quota attainment: nothing won of 200,000 due by half the quarter, 0.00x, 0 points
    lee = next(p for p in reports.board_facts(card, PERIOD).pages if p.leader_id == "L1")
    quota = lee.explanation.filter(pl.col("metric") == "quota_attainment").row(0, named=True)
    assert (quota["value"], quota["points"]) == (0.0, 0.0)


def test_a_pack_reads_the_database_through_one_connection(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    lee = _card_of(store, EMAILS["L1"])
    opened: list[object] = []
    reader = Store.reader

    def counted(self: Store) -> object:
        opened.append(self)
        return reader(self)

    def refused(self: Store, *args: object, **kwargs: object) -> object:
        raise AssertionError("a pack opens no connection of its own")

    monkeypatch.setattr(Store, "reader", counted)
    monkeypatch.setattr(Store, "connect", refused)
    facts = reports.one_on_one_facts(lee, "L1", PERIOD)
    # everything through one reader: the as-of date, the leader, the history, the team, the deals
    assert len(opened) == 1
    assert facts.leader.name == "Lee Leader" and facts.deals["opportunity_id"].to_list() == ["A2"]
    opened.clear()
    reports.board_facts(lee, PERIOD)
    assert len(opened) == 1


# -- CRM text in the charts ---------------------------------------------------------------------------

HOSTILE_LEADER = "<b>Lee</b> & <i>Co</i>"
HOSTILE_REP = "<a href='https://x.example'>Ann</a>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Store:
    data = frames()
    data["reps"] = data["reps"].with_columns(
        pl.col("rep_name").replace({"Lee Leader": HOSTILE_LEADER, "Ann Rep": HOSTILE_REP}))
    store = Store(tmp_path_factory.mktemp("hostile") / "org.duckdb")
    store.load(data, loaded_by="test", as_of=AS_OF)
    return store


def test_crm_text_in_a_chart_prints_as_typed(hostile: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401  (registers Streamlit's template, as the app does)

    # made in a process that has shown a page: Plotly's default template is Streamlit's, whose fixed
    # margins would cut the names off the heatmap's axis
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    card = Scorecard.open(hostile.path, settings=Settings(db=hostile.path))
    board = pages(reports.board_pack(card, PERIOD))
    # page 2 holds the heatmap alone (and its heading): the leader's name there is the chart's label
    assert board[1].startswith("Sales-leadership scorecard · Board pack")
    assert "The five CSO roles and SMART" in board[1]
    assert HOSTILE_LEADER in board[1]
    assert HOSTILE_LEADER in board[2]  # the ranking bars
    assert f"{HOSTILE_LEADER} (L1)" in " ".join(board)  # and the leader's page, in ReportLab's text
    one = pages(reports.one_on_one_pack(card, "L1", PERIOD))
    attainment = next(page for page in one if "Attainment of the quarter's quota against pace" in page)
    assert HOSTILE_REP in attainment  # the team's attainment bars name the rep as typed
    assert f"1:1 pack: {HOSTILE_LEADER}" in one[0]
