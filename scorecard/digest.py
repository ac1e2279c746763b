"""Weekly digests and alerts by e-mail (``scorecard digest``), run by cron or a systemd timer.

Each leader gets, by the e-mail of the reps extract, their digest (scores and changes, the top
coaching priority, deals at risk) with their 1:1 pack attached; the executives (named in the access
file, else the leaders at the top of the hierarchy) get the board summary with the board pack. An
alert goes out when a leader's overall or role score falls by more than ``alert_score_drop`` points
against the previous comparable period (``Scorecard.leaders``' change: the previous quarter at the
same share elapsed) or a metric falls to its floor (0 points, from points above 0 in that period);
it says what moved and links to the Leader page of the hosted app.

Every figure comes from :class:`scorecard.api.Scorecard`; what each person receives is what they may
see (``scorecard.access``). What was sent is recorded in the database (``sent_mail``), so nothing
is sent twice for the same period and reason: a digest or a summary once per recipient and as-of
date, an alert once per leader, period and reason. ``--dry-run`` writes the messages to a folder
and records nothing.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import polars as pl

from scorecard import format, reports, sql
from scorecard.access import AccessPolicy, viewer_for_email
from scorecard.metrics import METRICS, ROLES, SCORES

if TYPE_CHECKING:
    from scorecard.api import Scorecard
    from scorecard.calendar import Period
    from scorecard.rubric import Rubric
    from scorecard.settings import Settings
    from scorecard.store import Store

Kind = Literal["digest", "board", "alert"]
ALERT_SCORES: tuple[str, ...] = ("overall", *ROLES)
"""The scores whose fall raises an alert: the overall score and the five CSO roles."""
DEALS_IN_DIGEST = 5


@dataclass(frozen=True)
class Alert:
    """One thing that moved for one leader: ``reason`` names it for the record of what was sent
    (``drop:overall``, ``floor:win_rate``), ``text`` says it in words."""

    leader_id: str
    reason: str
    text: str


@dataclass
class Message:
    """One e-mail to one or more people: what it is about and why, for the record of what was sent."""

    kind: Kind
    to: tuple[str, ...]
    subject: str
    body: str
    period: str
    reasons: tuple[str, ...]
    leader_id: str | None = None
    attachment: tuple[str, bytes] | None = None

    def email(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(formataddr(("", a)) for a in self.to)
        message["Subject"] = self.subject
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "scorecard")
        message.set_content(self.body)  # plain text: CRM text is data, never markup
        if self.attachment is not None:
            name, data = self.attachment
            message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        return message

    def records(self) -> list[tuple[str, str, str, str, str]]:
        """(kind, recipient, leader, period, reason) for each recipient and reason."""
        return [(self.kind, to, self.leader_id or "", self.period, reason) for to in self.to for reason in self.reasons]


# -- alerts: what moved ----------------------------------------------------------------------------

def score_drops(leaders: pl.DataFrame, threshold: float) -> list[Alert]:
    """The overall and role scores that fell by more than ``threshold`` points, from
    ``Scorecard.leaders()`` (its ``<score>_change`` is against the previous comparable period)."""
    alerts: list[Alert] = []
    for row in leaders.iter_rows(named=True):
        for key in ALERT_SCORES:
            moved = row.get(f"{key}_change")
            if moved is None or moved != moved or moved >= -threshold:
                continue
            alerts.append(Alert(row["leader_id"], f"drop:{key}",
                                f"{SCORES[key]} score fell {abs(moved):.0f} points to {format.points(row.get(key))}"
                                " against the previous quarter at the same share elapsed"))
    return alerts


def floor_crossings(now: pl.DataFrame, before: pl.DataFrame, rubric: Rubric) -> list[Alert]:
    """The metrics that fell to their floor: scored at 0 points now (at or past the band's floor)
    after more than 0 in the previous comparable period. ``now`` is ``Scorecard.metric_values()``,
    ``before`` the assessed metrics of ``Scorecard.previous_scored()``; metrics scored by percentile
    have no floor and are left out."""
    banded = [m for m, band in rubric.bands.items() if band.method != "percentile" and band.floor is not None]
    previous = before.filter(pl.col("status") == "scored").select(
        "leader_id", "metric", pl.col("value").alias("value_before"), pl.col("points").alias("points_before"))
    fallen = (
        now.filter((pl.col("status") == "scored") & (pl.col("points") <= 0) & pl.col("metric").is_in(banded))
        .join(previous, on=["leader_id", "metric"], how="inner")
        .filter(pl.col("points_before") > 0)
        .sort(["leader_id", "metric"])
    )
    alerts: list[Alert] = []
    for row in fallen.iter_rows(named=True):
        metric = row["metric"]
        unit = METRICS[metric].unit if metric in METRICS else ""
        band = rubric.bands[metric]
        label = row.get("metric_label") or (METRICS[metric].label if metric in METRICS else metric)
        alerts.append(Alert(row["leader_id"], f"floor:{metric}",
                            f"{label} fell to its floor: {format.value(row['value'], unit)} now (0 points; floor"
                            f" {format.value(band.floor, unit)}, target {format.value(band.target, unit)}), from"
                            f" {format.value(row['value_before'], unit)} in the previous quarter at the same share"
                            " elapsed"))
    return alerts


def find_alerts(card: Scorecard, period: str | Period | None, threshold: float) -> list[Alert]:
    """Every alert of the period for the leaders the card's viewer may see, a leader's together."""
    target = card.period(period)
    alerts = score_drops(card.leaders(target), threshold)
    alerts += floor_crossings(card.metric_values(target), card.previous_scored(target).assessed, card.rubric)
    order = {f"drop:{k}": i for i, k in enumerate(ALERT_SCORES)}  # the overall score first, then the roles
    return sorted(alerts, key=lambda a: (a.leader_id, order.get(a.reason, len(order)), a.reason))


# -- links -------------------------------------------------------------------------------------------

def leader_link(base_url: str, leader_id: str, period: str) -> str:
    """The Leader page's own address for a leader and period: ``/leader?leader=U0005&period=2026Q3``."""
    return f"{base_url.rstrip('/')}/leader?{urlencode({'leader': leader_id, 'period': period})}"


def scorecard_link(base_url: str, period: str) -> str:
    """The Scorecard's own address, ``/``, with the view's query: ``/?period=2026Q3``."""
    return f"{base_url.rstrip('/')}/?{urlencode({'period': period})}"


# -- the messages ------------------------------------------------------------------------------------

@dataclass
class Recipient:
    leader_id: str
    name: str
    email: str | None
    level: int
    manager_email: str | None


@dataclass
class Plan:
    """What a run would send, and what it leaves out and why."""

    messages: list[Message] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _score_lines(row: dict[str, Any]) -> list[str]:
    return [f"  {SCORES[k]:<24} {format.points(row.get(k)):>4}   {reports.change(row.get(f'{k}_change')):>4}"
            for k in SCORES]


def _lower_first(text: str) -> str:
    """"Data as of 26 Nov 2026" -> "data as of 26 Nov 2026", for the middle of a sentence."""
    return text[:1].lower() + text[1:]


def _first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def digest_message(recipient: Recipient, facts: reports.OneOnOneFacts, pack: bytes, base_url: str) -> Message:
    """A leader's weekly digest, with their 1:1 pack attached: the numbers are the pack's own
    (``reports.one_on_one_facts``, read once for both)."""
    assert recipient.email is not None
    period, row = facts.period, facts.leader.row
    lines = [f"Hello {_first_name(recipient.name)},", "",
             f"Your scorecard for {period.label} ({facts.status}). {facts.as_of}.", "",
             "Scores, 0-100, and their change against the previous quarter (at the same share elapsed while"
             " this one runs):", *_score_lines(row),
             f"  Overall scored on {row.get('coverage') or 'no metric'}.", ""]
    priorities = facts.leader.priorities.head(1)
    if priorities.height:
        p = priorities.row(0, named=True)
        unit = METRICS[p["metric"]].unit if p["metric"] in METRICS else ""
        lines.append(f"Top coaching priority: {p['metric_label']}, {format.value(p['value'], unit)} now against a"
                     f" target of {format.value(p['target'], unit)} (+{p['gain']:.1f} overall points at target).")
    else:
        lines.append("Top coaching priority: none, every metric with enough data is at its target.")
    deals = facts.deals
    if deals.height:
        lines += ["", f"Deals at risk of your direct reports: {deals.height}; the most urgent:"]
        lines += [f"  {d['rep_name']}: {d['account']}, {d['stage']}, {format.money(d['amount'], facts.currency)},"
                  f" closing {format.day(d['close_date'])} ({d['risk_reasons']})"
                  for d in deals.head(DEALS_IN_DIGEST).iter_rows(named=True)]
    else:
        lines += ["", "Deals at risk of your direct reports: none."]
    lines += ["", f"Open your scorecard: {leader_link(base_url, recipient.leader_id, period.label)}",
              "Your 1:1 pack for this period is attached (PDF).", ""]
    overall = format.points(row.get("overall"))
    return Message(
        kind="digest", to=(recipient.email,), leader_id=recipient.leader_id, period=period.label,
        reasons=(f"as of {facts.today}",),
        subject=f"Your scorecard {period.label}: overall {overall} ({reports.change(row.get('overall_change'))}),"
                f" {_lower_first(facts.as_of)}",
        body="\n".join(lines),
        attachment=(reports.pack_file_name("one-on-one", period.label, recipient.name), pack),
    )


def board_message(card: Scorecard, to: Sequence[str], period: Period, pack: bytes, base_url: str,
                  alerts: Sequence[Alert]) -> Message:
    """The executives' board summary, with the board pack attached."""
    leaders = card.leaders(period)
    median = card.org_median(period)
    as_of = reports.as_of_line(card)
    names = dict(zip(leaders["leader_id"].to_list(), leaders["leader_name"].to_list(), strict=True))
    lines = [f"Board summary for {period.label} ({card.period_status(period)}). {as_of}.", "",
             f"{leaders.height} leaders; org median overall score {format.points(median.get('overall'))}.", "",
             "Overall score and change against the previous quarter (at the same share elapsed while this one"
             " runs), best first:"]
    for row in leaders.iter_rows(named=True):
        thin = " (thin coverage)" if row.get("thin_coverage") else ""
        lines.append(f"  {format.points(row['overall']):>4}  {reports.change(row['overall_change']):>4}  "
                     f"{row['leader_name'] or row['leader_id']}{thin}")
    seen = [a for a in alerts if a.leader_id in names]
    if seen:
        lines += ["", "What moved:"]
        lines += [f"  {names[a.leader_id] or a.leader_id}: {a.text}" for a in seen]
    lines += ["", f"Open the scorecard: {scorecard_link(base_url, period.label)}",
              "The board pack for this period is attached (PDF).", ""]
    return Message(kind="board", to=tuple(to), period=period.label, reasons=(f"as of {card.today}",),
                   subject=f"Scorecard board summary {period.label}, {_lower_first(as_of)}", body="\n".join(lines),
                   attachment=(reports.pack_file_name("board", period.label), pack))


def alert_message(recipient: Recipient, alerts: Sequence[Alert], period: Period, as_of: str,
                  base_url: str) -> Message:
    """What moved for one leader, to the leader and their manager."""
    to = tuple(dict.fromkeys(a for a in (recipient.email, recipient.manager_email) if a))
    headline = alerts[0].text.split(" against ")[0].split(":")[0]
    more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
    lines = [f"Scorecard alert for {recipient.name}, {period.label}. {as_of}.", "",
             *[f"- {a.text}." for a in alerts], "",
             f"See why: {leader_link(base_url, recipient.leader_id, period.label)}", ""]
    return Message(kind="alert", to=to, leader_id=recipient.leader_id, period=period.label,
                   reasons=tuple(a.reason for a in alerts),
                   subject=f"Scorecard alert: {recipient.name}, {headline}{more} ({period.label})",
                   body="\n".join(lines))


# -- a run -----------------------------------------------------------------------------------------

def recipients(card: Scorecard) -> list[Recipient]:
    with card.store.reader() as con:
        frame = sql.run(con, "digest_recipients")
    return [Recipient(r["leader_id"], r["leader_name"] or r["leader_id"], r["email"], int(r["level"] or 0),
                      r["manager_email"]) for r in frame.iter_rows(named=True)]


def _already_sent(card: Scorecard) -> set[tuple[str, str, str, str, str]]:
    with card.store.reader() as con:
        if not sql.run(con, "sent_mail_present")["present"][0]:
            return set()
        return {tuple(r) for r in sql.run(con, "sent_mail_keys").iter_rows()}  # type: ignore[misc]


def _unsent(message: Message, sent: set[tuple[str, str, str, str, str]]) -> Message | None:
    """The message for the recipients and reasons not sent yet, or None."""
    to = tuple(t for t in message.to
               if any((message.kind, t, message.leader_id or "", message.period, r) not in sent
                      for r in message.reasons))
    reasons = tuple(r for r in message.reasons
                    if any((message.kind, t, message.leader_id or "", message.period, r) not in sent for t in to))
    if not to or not reasons:
        return None
    message.to, message.reasons = to, reasons
    return message


def plan(store: Store, settings: Settings, period: str | None = None, *, today: date | None = None,
         renderer: reports.ChartRenderer | None = None,
         progress: Callable[[str], None] = lambda _: None) -> Plan:
    """Every message a run would send now, leaving out what was sent already. Alerts are found on
    a card that sees the whole org; each recipient's message is built on a card of their own viewer
    (``scorecard.access``), all of them sharing the scores computed once."""
    from scorecard.access import local_viewer
    from scorecard.api import ScoreCache, Scorecard
    from scorecard.as_of import data_as_of

    renderer = renderer or reports.shared_renderer()
    renderer.start()  # Chromium starts while the alerts are found
    cache = ScoreCache()
    with store.reader() as con:
        everyone = local_viewer(con)
        today = today or data_as_of(con)  # read once: every card below measures at the same date
    card = Scorecard(store, settings, everyone, today=today, cache=cache)
    target = card.period(period)
    policy = AccessPolicy.from_file(settings.resolved_access_file())
    sent = _already_sent(card)
    out = Plan()
    people = recipients(card)
    as_of = reports.as_of_line(card)

    def card_for(email: str) -> Scorecard | None:
        with card.store.reader() as con:
            viewer = viewer_for_email(con, email, policy)
        if not viewer.visible_reps:
            return None
        return Scorecard(store, settings, viewer, today=today, rubric=card.rubric_keeper, cache=cache)

    def add(message: Message | None) -> None:
        kept = _unsent(message, sent) if message is not None else None
        if kept is not None:
            out.messages.append(kept)

    alerts = find_alerts(card, target, settings.alert_score_drop)
    by_leader: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_leader.setdefault(alert.leader_id, []).append(alert)

    for person in people:
        if not person.email:
            out.notes.append(f"{person.name} ({person.leader_id}) has no e-mail in the reps extract: no digest")
            continue
        key = ("digest", person.email, person.leader_id, target.label, f"as of {card.today}")
        if key in sent:
            continue
        own = card_for(person.email)
        try:
            if own is None:
                raise KeyError(person.leader_id)
            facts = reports.one_on_one_facts(own, person.leader_id, target)
        except KeyError:
            out.notes.append(f"{person.name} ({person.leader_id}): {person.email} does not open this leader's"
                             " view (shared or changed e-mail?): no digest")
            continue
        progress(f"1:1 pack of {person.name}")
        pack = reports.one_on_one_pack(own, person.leader_id, target, renderer=renderer, facts=facts)
        add(digest_message(person, facts, pack, settings.app_url))

    executives = sorted(policy.executives) or [p.email for p in people if p.level == 0 and p.email]
    packs: dict[tuple[str, ...], tuple[Scorecard, bytes]] = {}
    for email in executives:
        if ("board", email, "", target.label, f"as of {card.today}") in sent:
            continue
        exec_card = card_for(email)
        if exec_card is None:
            out.notes.append(f"{email} is named an executive but sees no one: no board summary")
            continue
        seen = exec_card.viewer.visible_reps
        if seen not in packs:
            progress(f"board pack for {email}")
            packs[seen] = (exec_card, reports.board_pack(exec_card, target, renderer=renderer))
        shared_card, pack = packs[seen]
        add(board_message(shared_card, [email], target, pack, settings.app_url, alerts))

    names = {p.leader_id: p for p in people}
    for leader_id, found in by_leader.items():
        about = names.get(leader_id)
        if about is None or not (about.email or about.manager_email):
            out.notes.append(f"alerts for {leader_id}: no e-mail for the leader or their manager")
            continue
        add(alert_message(about, found, target, as_of, settings.app_url))
    return out


def _record(card: Scorecard, message: Message) -> None:
    with card.store.writing() as con:
        sql.execute(con, "sent_mail_table")
        at = datetime.now(UTC).replace(tzinfo=None)  # when it was sent: the one use of the clock here
        for kind, to, leader, period, reason in message.records():
            sql.execute(con, "sent_mail_record", sent_at=at, kind=kind, recipient=to, leader_id=leader or None,
                        period=period, reason=reason, subject=message.subject)


def send(card: Scorecard, settings: Settings, messages: Sequence[Message]) -> int:
    """Send the messages through the configured mail server, recording each once it is accepted."""
    if not messages:
        return 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=60) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        for message in messages:
            smtp.send_message(message.email(settings.mail_from))
            _record(card, message)
    return len(messages)


def write_outbox(messages: Sequence[Message], folder: Path, sender: str) -> list[Path]:
    """The messages as .eml files (an e-mail client opens them), for ``--dry-run``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, message in enumerate(messages, start=1):
        about = f"{message.kind} {message.leader_id or ''} {message.to[0]}".lower()
        slug = re.sub(r"[^a-z0-9]+", "-", about).strip("-")
        path = folder / f"{number:03d}-{slug}.eml"
        path.write_bytes(bytes(message.email(sender)))
        written.append(path)
    return written


def describe(message: Message) -> str:
    attached = (f"; attached {message.attachment[0]} ({len(message.attachment[1]) // 1024} KB)"
                if message.attachment else "")
    return f"{message.kind:<6} to {', '.join(message.to)}: {message.subject}{attached}"
