"""Digests and alerts: what moved, on hand-made frames and on the small org of tests/pack_org.py,
then a real SMTP server in the test process receiving the messages, and nothing sent twice."""

from __future__ import annotations

import email
import io
import re
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from pack_org import EMAILS, PERIOD, build
from pypdf import PdfReader

from scorecard import digest
from scorecard.api import Scorecard
from scorecard.cli import main
from scorecard.rubric import load_rubric
from scorecard.settings import Settings
from scorecard.store import Store

APP = "https://scorecard.example.com"


# -- what moved, on hand-made frames -----------------------------------------------------------------

def test_a_score_drop_beyond_the_threshold_alerts() -> None:
    leaders = pl.DataFrame({"leader_id": ["L1", "L2", "L3"], "overall": [40.0, 70.0, None],
                            "overall_change": [-12.4, -9.9, None], "company_leader": [20.0, 80.0, 50.0],
                            "company_leader_change": [-30.0, 5.0, -50.0]})
    alerts = digest.score_drops(leaders, threshold=10.0)
    assert [(a.leader_id, a.reason) for a in alerts] == [
        ("L1", "drop:overall"), ("L1", "drop:company_leader"), ("L3", "drop:company_leader")]
    assert alerts[0].text.startswith("Overall score fell 12 points to 40")
    assert digest.score_drops(leaders, threshold=50.0) == []  # a fall of exactly the threshold is not more


def test_a_metric_falling_to_its_floor_alerts_once_it_was_above() -> None:
    rubric = load_rubric()
    band = rubric.bands["win_rate"]
    assert (band.floor, band.target) == (0.1, 0.3)
    now = pl.DataFrame({"leader_id": ["L1", "L2", "L3"], "metric": ["win_rate"] * 3, "value": [0.05, 0.05, 0.25],
                        "points": [0.0, 0.0, 75.0], "status": ["scored"] * 3, "metric_label": ["Win rate"] * 3})
    before = pl.DataFrame({"leader_id": ["L1", "L2", "L3"], "metric": ["win_rate"] * 3, "value": [0.2, 0.08, 0.3],
                           "points": [50.0, 0.0, 100.0], "status": ["scored"] * 3})
    alerts = digest.floor_crossings(now, before, rubric)
    # L1 fell from 20% (50 points) to 5%; L2 was at the floor already; L3 is above it
    assert [(a.leader_id, a.reason) for a in alerts] == [("L1", "floor:win_rate")]
    assert alerts[0].text == ("Win rate fell to its floor: 5% now (0 points; floor 10%, target 30%), from 20% in"
                              " the previous quarter at the same share elapsed")


# -- the small org -----------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build(tmp_path / "org.duckdb")


def test_alerts_of_the_small_org(store: Store) -> None:
    card = Scorecard.open(store.path, settings=Settings(db=store.path))
    alerts = digest.find_alerts(card, PERIOD, threshold=10.0)
    reasons = {(a.leader_id, a.reason) for a in alerts}
    # Lee's team won 240,000 in the first 49 of 90 days of Q1 (2.20x the quota due) and nothing in Q2
    assert ("L1", "drop:overall") in reasons
    assert ("L1", "floor:quota_attainment") in reasons
    floor = next(a for a in alerts if a.reason == "floor:quota_attainment")
    assert floor.text == ("Quota attainment fell to its floor: 0.00x now (0 points; floor 0.50x, target 1.00x), from"
                          " 2.20x in the previous quarter at the same share elapsed")
    # Liz's team won 160,000 early in both quarters: nothing moved
    assert not [a for a in alerts if a.leader_id == "L2"]
    drop = card.leaders(PERIOD).filter(pl.col("leader_id") == "L1")["overall_change"][0]
    assert not [a for a in digest.find_alerts(card, PERIOD, threshold=abs(drop) + 1) if a.reason == "drop:overall"]


def test_dry_run_lists_the_recipients_and_sends_nothing(store: Store, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    outbox = tmp_path / "outbox"
    assert main(["digest", "--db", str(store.path), "--dry-run", "--outbox", str(outbox)]) == 0
    out = capsys.readouterr().out
    for who in EMAILS.values():
        assert re.search(rf"would send digest to {re.escape(who)}: Your scorecard 2026Q2", out)
    assert f"would send board  to {EMAILS['V']}" in out  # the top of the hierarchy: no access file names one
    assert f"would send alert  to {EMAILS['L1']}, {EMAILS['V']}: Scorecard alert: Lee Leader, Overall score" in out
    assert "Liz Lead, " not in out.split("would send alert")[-1]
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3 + 1 + 2  # three digests, a board summary, alerts about Lee and Vera
    with store.reader() as con:  # nothing recorded: a real run still sends everything
        assert not con.sql("select * from information_schema.tables where table_name = 'sent_mail'").fetchall()


# -- a real SMTP server --------------------------------------------------------------------------------

class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        content = envelope.content  # type: ignore[attr-defined]
        message = email.message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _text(message: EmailMessage) -> str:
    """The message's plain-text body."""
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _pdf_text(message: EmailMessage) -> tuple[str, str]:
    part = next(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    data = part.get_content()
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return str(part.get_filename()), re.sub(r"\s+", " ", text)


def test_digest_sends_through_smtp_and_nothing_twice(store: Store, smtp_server: tuple[int, Inbox],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    port, inbox = smtp_server
    for key, value in {"SCORECARD_SMTP_HOST": "127.0.0.1", "SCORECARD_SMTP_PORT": str(port),
                       "SCORECARD_MAIL_FROM": "scorecard@example.com", "SCORECARD_APP_URL": APP}.items():
        monkeypatch.setenv(key, value)
    assert main(["digest", "--db", str(store.path)]) == 0
    assert "6 messages sent through 127.0.0.1" in capsys.readouterr().out

    by_subject = {m["Subject"]: (to, m) for to, m in inbox.received}
    digests = {to[0]: m for to, m in inbox.received if m["Subject"].startswith("Your scorecard")}
    assert set(digests) == set(EMAILS.values())
    lee = digests[EMAILS["L1"]]
    assert lee["From"] == "scorecard@example.com"
    assert lee["Subject"] == "Your scorecard 2026Q2: overall 0 (-29), data as of 20 May 2026"
    body = _text(lee)
    assert f"{APP}/leader?leader=L1&period=2026Q2" in body
    assert "Deals at risk of your direct reports: 1" in body  # Ann's deal A2 has no next step
    name, text = _pdf_text(lee)
    assert name == "1-1-pack-lee-leader-2026Q2.pdf"
    assert "1:1 pack: Lee Leader" in text and "Data as of 20 May 2026" in text
    assert "Cora Rep" not in text and "Liz Lead" not in text

    board_to, board = by_subject["Scorecard board summary 2026Q2, data as of 20 May 2026"]
    assert board_to == [EMAILS["V"]]
    name, text = _pdf_text(board)
    assert name == "board-pack-2026Q2.pdf" and "Liz Lead (L2)" in text and "Lee Leader (L1)" in text
    # the Scorecard's own address with the view's query (never the /scorecard_page alias)
    assert f"Open the scorecard: {APP}/?period=2026Q2" in _text(board)

    alerts = [(to, m) for to, m in inbox.received if m["Subject"].startswith("Scorecard alert")]
    assert sorted(m["Subject"].split(",")[0] for _, m in alerts) == ["Scorecard alert: Lee Leader",
                                                                     "Scorecard alert: Vera Vice"]
    lee_to, lee_alert = next((to, m) for to, m in alerts if "Lee Leader" in m["Subject"])
    assert sorted(lee_to) == sorted([EMAILS["L1"], EMAILS["V"]])  # the leader and their manager
    assert lee_alert["Subject"].startswith("Scorecard alert: Lee Leader, Overall score fell 29 points to 0")
    alert_body = _text(lee_alert)
    assert "- Quota attainment fell to its floor: 0.00x now" in alert_body
    assert f"See why: {APP}/leader?leader=L1&period=2026Q2" in alert_body

    count = len(inbox.received)
    assert main(["digest", "--db", str(store.path)]) == 0
    assert "nothing new to send" in capsys.readouterr().out
    assert len(inbox.received) == count


def test_a_run_makes_each_pack_once_and_the_digest_says_what_its_pack_says(store: Store,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from scorecard import reports

    made: list[tuple[str, str]] = []
    facts_read: list[str] = []
    one_on_one, board, facts_of = reports.one_on_one_pack, reports.board_pack, reports.one_on_one_facts

    def count_one_on_one(card: Scorecard, leader_id: str, *args: object, **kwargs: object) -> bytes:
        made.append(("1:1", leader_id))
        return one_on_one(card, leader_id, *args, **kwargs)  # type: ignore[arg-type]

    def count_board(card: Scorecard, *args: object, **kwargs: object) -> bytes:
        made.append(("board", card.viewer.email or ""))
        return board(card, *args, **kwargs)  # type: ignore[arg-type]

    def count_facts(card: Scorecard, leader_id: str, *args: object, **kwargs: object) -> reports.OneOnOneFacts:
        facts_read.append(leader_id)
        return facts_of(card, leader_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reports, "one_on_one_pack", count_one_on_one)
    monkeypatch.setattr(reports, "board_pack", count_board)
    monkeypatch.setattr(reports, "one_on_one_facts", count_facts)
    planned = digest.plan(store, Settings(db=store.path), PERIOD)
    assert sorted(made) == [("1:1", "L1"), ("1:1", "L2"), ("1:1", "V"), ("board", EMAILS["V"])]
    assert sorted(facts_read) == ["L1", "L2", "V"]  # the pack and its e-mail read the numbers once
    lee = next(m for m in planned.messages if m.kind == "digest" and m.leader_id == "L1")
    # the e-mail's figures are the pack's: Lee's overall score 0, 29 points down; Ann's deal A2 at risk
    assert lee.subject == "Your scorecard 2026Q2: overall 0 (-29), data as of 20 May 2026"
    assert "  Ann Rep: Acme, Proposal, $50,000, closing 20 Jun 2026 (No next step" in lee.body
