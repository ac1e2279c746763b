"""The demo org: a deterministic, vectorised generator of a realistic sales organisation.

A VP, directors and first-line managers of distinct leadership styles, each with a team of account
executives (AEs), SDRs and sales engineers; accounts with named target accounts; eight quarters of
deals, activities, quotas, forecasts, stage history, coaching and opportunity teams, all relative to
today's date so the demo always looks live. ``scale`` grows it (scale 16.7 is the benchmark org of
about 2,000 people). The same seed and date give byte-identical extracts.

The styles, and what they do to the data, are in ``STYLES`` below and in ``docs/demo-org.md``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from scorecard.calendar import quarter_containing
from scorecard.store import LoadRecord, SourceFile, Store

# ---- leadership styles -------------------------------------------------------------------------
# Each first-line manager gets a style, in this order, repeating. The numbers shape their team's data.


@dataclass(frozen=True)
class Style:
    coaching_per_rep_month: float  # coaching sessions per rep per month
    activity_per_day: float  # prospecting touches per rep per working day
    active_day_share: float  # share of working days a rep logs customer activity
    deal_touches: float  # activities per deal over its life
    next_step_share: float  # open deals that carry a next step
    stall_share: float  # open deals left without activity for weeks
    slip_share: float  # open deals whose close date has passed
    win_rate: float
    deal_size: float  # median deal amount, reporting currency
    cycle_days: float  # median days from created to close
    first_touch_days: float  # mean days from a deal's creation to its first activity
    exec_contact_share: float  # share of deal meetings with a C-level or VP contact
    contacts_per_deal: float  # mean distinct contacts per deal
    target_share: float  # share of deals and touches on target accounts
    insight_share: float  # share of touches that are content, social or events
    team_selling: float  # share of deals with a specialist or the leader on the team
    forecast_error: float  # spread of the leader's commit call around the outcome
    leaver_share: float  # share of reps who left in the last year
    stage_skip: float  # share of deals that jump stages in the history
    completeness: float  # share of deals with every optional field filled
    own_meetings_per_month: float  # the leader's own customer meetings
    marketing_partner_share: float  # pipeline sourced with marketing and partners
    strategic_share: float  # deals in the strategic product lines
    ramp_start_days: float = 45  # days before a new hire opens their first deal


STYLES: dict[str, Style] = {
    "coach": Style(4.0, 7.0, 0.93, 8.0, 0.85, 0.12, 0.08, 0.25, 22_000, 55, 1.5, 0.35, 3.2, 0.60,
                   0.20, 0.55, 0.08, 0.06, 0.08, 0.85, 6, 0.40, 0.40, ramp_start_days=40),
    "quota_chaser": Style(0.4, 9.0, 0.78, 5.0, 0.55, 0.28, 0.20, 0.23, 30_000, 45, 2.0, 0.18, 1.6,
                          0.30, 0.04, 0.15, 0.15, 0.18, 0.25, 0.55, 10, 0.25, 0.20, ramp_start_days=35),
    "process_stickler": Style(1.5, 6.0, 0.88, 7.0, 0.98, 0.06, 0.03, 0.22, 20_000, 60, 1.0, 0.25,
                              2.4, 0.50, 0.10, 0.35, 0.04, 0.10, 0.02, 0.98, 4, 0.35, 0.35, ramp_start_days=45),
    "absentee": Style(0.1, 3.5, 0.50, 3.0, 0.40, 0.50, 0.35, 0.14, 18_000, 85, 7.0, 0.08, 1.2, 0.25,
                      0.04, 0.08, 0.40, 0.35, 0.30, 0.50, 0.5, 0.20, 0.15, ramp_start_days=100),
    "balanced": Style(1.5, 6.0, 0.82, 6.0, 0.75, 0.18, 0.12, 0.20, 21_000, 60, 2.5, 0.25, 2.2, 0.45,
                      0.12, 0.30, 0.10, 0.12, 0.10, 0.75, 4, 0.30, 0.30, ramp_start_days=55),
}
STYLE_ORDER = ["coach", "quota_chaser", "process_stickler", "absentee", "balanced"]

# ---- fixed vocabularies ---------------------------------------------------------------------------
FIRST = ["Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
         "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
         "Wes", "Xenia", "Yusuf", "Zoe"]
LAST = ["Adler", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ibrahim",
        "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi",
        "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Young"]
REGIONS = [("North America East", "USD"), ("North America West", "USD"), ("EMEA", "EUR"),
           ("UK & Ireland", "GBP")]
RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
INDUSTRIES = ["Manufacturing", "Financial Services", "Healthcare", "Retail", "Software", "Energy"]
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
PRODUCTS = ["Core", "Analytics", "Platform", "Core + Services", "Platform + Services", "Services"]
STRATEGIC_PRODUCTS = {"Analytics", "Platform", "Platform + Services"}
OPEN_STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
LEVELS = ["c_level", "vp", "director", "manager", "staff"]

NULL = np.array(None, dtype=object)


def _at_seconds(day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Day numbers plus seconds into the day, as microsecond timestamps."""
    return (day.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")).astype(
        "datetime64[us]")


def leader_styles(scale: float = 1.0) -> dict[str, str]:
    """Style of each first-line manager of the demo org (rep_id -> style)."""
    layout = _layout(scale)
    return {_rep_id(layout.first_manager + i): STYLE_ORDER[i % len(STYLE_ORDER)]
            for i in range(layout.managers)}


@dataclass(frozen=True)
class _Layout:
    people: int
    directors: int
    managers: int

    @property
    def first_manager(self) -> int:
        return 1 + self.directors

    @property
    def first_rep(self) -> int:
        return 1 + self.directors + self.managers

    @property
    def reps(self) -> int:
        return self.people - self.first_rep


def _layout(scale: float) -> _Layout:
    people = max(20, round(120 * scale))
    managers = max(2, round(12 * scale))
    directors = max(1, round(3 * math.sqrt(scale)))
    return _Layout(people, directors, managers)


def _rep_id(index: int) -> str:
    return f"U{index + 1:04d}" if index < 9999 else f"U{index + 1}"


def generate(scale: float = 1.0, seed: int = 7, today: date | None = None) -> dict[str, pl.DataFrame]:
    """Build every canonical extract of the demo org as Polars frames.

    With ``today`` given, the org is built as it stood at 6 pm that day, so the same seed and date
    always give the same data; without it, as it stands right now (today's feed ends a few minutes ago).
    """
    if today is None:
        cutoff = datetime.now().replace(microsecond=0)
        today = cutoff.date()
    else:
        cutoff = datetime.combine(today, datetime.min.time()) + timedelta(hours=18)
    rng = np.random.default_rng(seed)
    layout = _layout(scale)
    first_q = quarter_containing(today).shifted(-8)
    window_start = first_q.start
    reps, rep_style = _reps(rng, layout, today)
    accounts = _accounts(rng, reps, rep_style)
    opps = _opportunities(rng, reps, rep_style, accounts, window_start, today)
    activities = _activities(rng, reps, rep_style, opps, accounts, window_start, today, cutoff)
    quotas = _quotas(rng, reps, rep_style, first_q, today)
    forecasts = _forecasts(rng, reps, opps, first_q, today)
    history = _history(rng, opps, rep_style)
    coaching = _coaching(rng, reps, rep_style, window_start, today)
    team = _opportunity_team(rng, reps, rep_style, opps)
    rates = pl.DataFrame({"currency": list(RATES), "rate": list(RATES.values())})
    return {
        "reps": reps,
        "accounts": accounts,
        "opportunities": opps.drop("style_idx", "owner_idx"),
        "activities": activities,
        "quotas": quotas,
        "forecasts": forecasts,
        "opportunity_history": history,
        "coaching": coaching,
        "opportunity_team": team,
        "currency_rates": rates,
    }


# ---- reps ------------------------------------------------------------------------------------------

def _reps(rng: np.random.Generator, layout: _Layout, today: date) -> tuple[pl.DataFrame, np.ndarray]:
    n = layout.people
    idx = np.arange(n)
    ids = np.array([_rep_id(int(i)) for i in idx])
    first = np.array(FIRST)[(idx * 7 + 3) % len(FIRST)]
    last = np.array(LAST)[(idx * 11 + idx // len(FIRST)) % len(LAST)]
    names = np.char.add(np.char.add(first, " "), last)
    emails = np.char.add(np.char.add(np.char.lower(first), "."),
                         np.char.add(np.char.lower(last), np.char.add("_", idx.astype(str))))
    emails = np.char.add(emails, "@demo-sales.example")

    manager = np.empty(n, dtype=object)
    role = np.empty(n, dtype=object)
    manager[0], role[0] = None, "executive"
    d_idx = np.arange(1, 1 + layout.directors)
    manager[d_idx], role[d_idx] = ids[0], "leader"
    m_idx = np.arange(layout.first_manager, layout.first_rep)
    m_director = (m_idx - layout.first_manager) % layout.directors
    manager[m_idx], role[m_idx] = ids[1 + m_director], "leader"
    r_idx = np.arange(layout.first_rep, n)
    r_manager = (r_idx - layout.first_rep) % layout.managers
    manager[r_idx] = ids[layout.first_manager + r_manager]
    role[r_idx] = np.where(rng.random(r_idx.size) < 0.72, "ae",
                           np.where(rng.random(r_idx.size) < 0.65, "sdr", "se"))

    # style of every person's first-line manager (-1 for the VP and directors)
    style = np.full(n, -1)
    style[m_idx] = (m_idx - layout.first_manager) % len(STYLE_ORDER)
    style[r_idx] = r_manager % len(STYLE_ORDER)

    director_of = np.zeros(n, dtype=int)
    director_of[d_idx] = d_idx - 1
    director_of[m_idx] = m_director
    director_of[r_idx] = m_director[r_manager]
    region_idx = director_of % len(REGIONS)
    region = np.array([r for r, _ in REGIONS])[region_idx]
    region[0] = "Global"

    days_ago = rng.gamma(3.0, 700, n).astype(int) + 30  # most of the team has been there for years
    recent = rng.random(n) < 0.15
    days_ago = np.where(recent, rng.integers(20, 330, n), days_ago)
    hire = np.array([today - timedelta(days=int(d)) for d in days_ago])
    leaver_share = np.array([STYLES[STYLE_ORDER[s]].leaver_share if s >= 0 else 0.0 for s in style])
    leaves = (rng.random(n) < leaver_share) & (role != "leader") & (role != "executive")
    left_ago = rng.integers(5, 360, n)
    term = np.array([today - timedelta(days=int(d)) if lv and d < da - 10 else None
                     for lv, d, da in zip(leaves, left_ago, days_ago, strict=True)], dtype=object)
    segment = np.array(SEGMENTS)[rng.integers(0, 3, n)]
    frame = pl.DataFrame({
        "rep_id": ids, "rep_name": names, "email": emails,
        "manager_id": pl.Series(manager.tolist(), dtype=pl.String),
        "role": pl.Series(role.tolist(), dtype=pl.String), "region": region, "segment": segment,
        "hire_date": pl.Series(hire.tolist(), dtype=pl.Date),
        "termination_date": pl.Series(term.tolist(), dtype=pl.Date),
    })
    return frame, style


def _ae_mask(reps: pl.DataFrame) -> np.ndarray:
    return (reps["role"] == "ae").to_numpy()


# ---- accounts -------------------------------------------------------------------------------------

ACCOUNTS_PER_AE = 60
TARGETS_PER_AE = 20


def _accounts(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray) -> pl.DataFrame:
    ae = np.flatnonzero(_ae_mask(reps))
    owner = np.repeat(ae, ACCOUNTS_PER_AE)
    k = np.tile(np.arange(ACCOUNTS_PER_AE), ae.size)
    n = owner.size
    ids = np.char.add("A", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    words = np.array(["Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
                      "Acme", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Wonka"])
    suffix = np.array(["Ltd", "Inc", "GmbH", "SA", "Group", "Holdings", "Labs"])
    names = np.char.add(np.char.add(words[rng.integers(0, words.size, n)], " "),
                        np.char.add(suffix[rng.integers(0, suffix.size, n)],
                                    np.char.add(" ", np.arange(1, n + 1).astype(str))))
    return pl.DataFrame({
        "account_id": ids,
        "account_name": names,
        "industry": np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n)],
        "segment": np.array(SEGMENTS)[rng.integers(0, 3, n)],
        "region": reps["region"].to_numpy()[owner],
        "owner_rep_id": reps["rep_id"].to_numpy()[owner],
        "is_target": k < TARGETS_PER_AE,
    })


def _style_param(style_idx: np.ndarray, name: str) -> np.ndarray:
    values = np.array([getattr(STYLES[s], name) for s in STYLE_ORDER])
    return values[np.clip(style_idx, 0, None)]


# ---- opportunities --------------------------------------------------------------------------------

DEALS_PER_AE_QUARTER = 55
MARKET_GROWTH = 1.12


def _opportunities(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray,
                   accounts: pl.DataFrame, start: date, today: date) -> pl.DataFrame:
    ae = np.flatnonzero(_ae_mask(reps))
    start_day = (np.datetime64(start, "D").astype(np.int64))
    today_day = np.datetime64(today, "D").astype(np.int64)
    hire_all = reps["hire_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    term_all_raw = reps["termination_date"].to_numpy().astype("datetime64[D]")
    term_all = np.where(np.isnat(term_all_raw), np.iinfo(np.int64).max, term_all_raw.astype(np.int64))
    # each AE creates deals at a steady rate over the days they worked in the window
    ramp = _style_param(style[ae], "ramp_start_days").astype(np.int64)
    first_day = np.maximum(start_day, hire_all[ae] + ramp)
    last_day = np.minimum(today_day, term_all[ae])
    worked = np.maximum(last_day - first_day, 0)
    per_ae = rng.poisson(DEALS_PER_AE_QUARTER * worked / 91.0)
    owner = np.repeat(ae, per_ae)
    n = owner.size
    s = style[owner]
    p = {name: _style_param(s, name) for name in Style.__dataclass_fields__}

    term = term_all[owner]
    created = np.repeat(first_day, per_ae) + (rng.random(n) * (np.repeat(worked, per_ae) + 1)).astype(np.int64)
    created = np.minimum(created, today_day)
    cycle = np.maximum(7, rng.lognormal(np.log(p["cycle_days"]), 0.5)).astype(int)
    close = created + cycle
    closed = close < today_day
    # a leaver's open deals were closed out as lost on the day they left
    left_open = (~closed) & (term < today_day)
    closed |= left_open
    close = np.where(left_open, np.maximum(term, created), close)

    # slipped: open deals whose close date has already passed
    slipped = (~closed) & (rng.random(n) < p["slip_share"])
    close = np.where(slipped, today_day - rng.integers(1, 40, n), close)
    close = np.maximum(close, created)

    # accounts: an AE's own book, target accounts first
    acct_base = np.searchsorted(np.flatnonzero(_ae_mask(reps)), owner) * ACCOUNTS_PER_AE
    on_target = rng.random(n) < p["target_share"]
    k = np.where(on_target, rng.integers(0, TARGETS_PER_AE, n),
                 rng.integers(TARGETS_PER_AE, ACCOUNTS_PER_AE, n))
    account_idx = acct_base + k
    account_ids = accounts["account_id"].to_numpy()[account_idx].astype(object)
    no_account = rng.random(n) < 0.03
    account_ids[no_account] = None

    deal_type = np.where(rng.random(n) < 0.15, "renewal", np.where(rng.random(n) < 0.25, "expansion", "new"))
    win_p = np.where(deal_type == "renewal", 0.80, p["win_rate"] * np.where(on_target, 1.25, 0.9))
    won = closed & (rng.random(n) < win_p) & ~left_open
    # deal sizes grow about 12% a year (price rises, a maturing product), so a steady team grows too
    yearly_growth = MARKET_GROWTH ** ((created - start_day) / 365.0)
    amount = np.round(rng.lognormal(np.log(p["deal_size"]), 0.6) * np.where(on_target, 1.3, 1.0) * yearly_growth, -2)
    strategic = rng.random(n) < p["strategic_share"]
    product = np.where(strategic, np.where(rng.random(n) < 0.5, "Platform + Services",
                                           np.where(rng.random(n) < 0.5, "Analytics", "Platform")),
                       np.where(rng.random(n) < 0.3, "Core + Services", "Core"))
    mp = p["marketing_partner_share"]
    r = rng.random(n)
    source = np.where(r < mp * 0.65, "marketing", np.where(r < mp, "partner",
                      np.where(r < mp + (1 - mp) * 0.5, "outbound", np.where(r < 0.93, "inbound", "referral"))))
    open_stage_idx = np.minimum(3, ((today_day - created) / np.maximum(cycle, 1) * 4).astype(int))
    stage = np.where(won, "Closed Won", np.where(closed, "Closed Lost", np.array(OPEN_STAGES)[open_stage_idx]))
    fc = rng.random(n)
    forecast = np.where(won, "closed", np.where(closed, "omitted",
                        np.where(open_stage_idx >= 3, "commit", np.where(fc < 0.4, "best_case", "pipeline"))))
    complete = rng.random(n) < p["completeness"]
    has_next = (~closed) & (rng.random(n) < p["next_step_share"])
    steps = np.array(["Send proposal", "Book demo with buyer", "Security review", "Pricing call",
                      "Legal redlines", "Executive sponsor meeting"])
    next_step = np.where(has_next, steps[rng.integers(0, steps.size, n)], NULL)

    region_idx = np.array([dict((r, i) for i, (r, _) in enumerate(REGIONS)).get(x, 0)
                           for x in reps["region"].to_numpy()])[owner]
    currency = np.array([c for _, c in REGIONS])[region_idx]
    local = np.round(amount / np.array([RATES[c] for c in currency]), -2)
    amount_out = np.where(currency == "USD", amount, local)
    amount_out = np.where(closed & ~won & (rng.random(n) < 0.2), 0.0, amount_out)  # lost deals zeroed

    order = np.lexsort((owner, created))
    ids = np.char.add("O", np.char.zfill(np.arange(1, n + 1).astype(str), 7))

    def pick(a: np.ndarray) -> np.ndarray:
        return a[order]

    frame = pl.DataFrame({
        "opportunity_id": ids,
        "owner_rep_id": pick(reps["rep_id"].to_numpy()[owner]),
        "account_id": pl.Series(pick(account_ids).tolist(), dtype=pl.String),
        "created_date": pick(created).astype("datetime64[D]"),
        "close_date": pick(close).astype("datetime64[D]"),
        "stage": pick(stage),
        "is_closed": pick(closed),
        "is_won": pick(won),
        "amount": pick(amount_out).astype(float),
        "type": pick(deal_type),
        "product_line": pl.Series(np.where(pick(complete), pick(product), NULL).tolist(), dtype=pl.String),
        "lead_source": pl.Series(np.where(pick(complete) | (rng.random(n) < 0.5), pick(source), NULL).tolist(),
                                 dtype=pl.String),
        "forecast_category": pick(forecast),
        "next_step": pl.Series(pick(next_step).tolist(), dtype=pl.String),
        "currency": pick(currency),
        "style_idx": pick(s),
        "owner_idx": pick(owner),
    }).with_columns(pl.col("created_date").cast(pl.Date), pl.col("close_date").cast(pl.Date))
    return frame


# ---- activities -----------------------------------------------------------------------------------

ACTIVITY_LEVEL = 1.38  # scales every style's daily prospecting touches


def _working_days(start: date, today: date) -> np.ndarray:
    days = np.arange(np.datetime64(start, "D"), np.datetime64(today, "D") + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    return days[weekday < 5].astype(np.int64)


def _timestamps(rng: np.random.Generator, day: np.ndarray, cutoff: datetime) -> np.ndarray:
    seconds = rng.integers(8 * 3600, 18 * 3600, day.size)
    ts = day.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    # nothing in the future: today's activities are before the moment the demo was built
    now = np.datetime64(cutoff, "s")
    ts = np.where(ts > now, now - rng.integers(60, 4 * 3600, day.size).astype("timedelta64[s]"), ts)
    return ts.astype("datetime64[us]")


def _activities(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray, opps: pl.DataFrame,
                accounts: pl.DataFrame, start: date, today: date, cutoff: datetime) -> pl.DataFrame:
    today_day = np.datetime64(today, "D").astype(np.int64)
    hire = reps["hire_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    term_raw = reps["termination_date"].to_numpy().astype("datetime64[D]")
    term = np.where(np.isnat(term_raw), np.iinfo(np.int64).max, term_raw.astype(np.int64))
    role = reps["role"].to_numpy()
    rep_ids = reps["rep_id"].to_numpy()

    # 1. deal touches: spread over each deal's life; stalled open deals went quiet weeks ago
    o_owner = opps["owner_idx"].to_numpy()
    o_style = opps["style_idx"].to_numpy()
    p = {name: _style_param(o_style, name) for name in Style.__dataclass_fields__}
    created = opps["created_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    close = opps["close_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    is_closed = opps["is_closed"].to_numpy()
    stalled = (~is_closed) & (rng.random(created.size) < p["stall_share"])
    last_day = np.where(is_closed, np.minimum(close, today_day), today_day)
    last_day = np.where(stalled, np.maximum(created, today_day - rng.integers(25, 60, created.size)), last_day)
    touches = rng.poisson(p["deal_touches"]) + 1
    deal = np.repeat(np.arange(created.size), touches)
    first_touch = created + np.minimum(rng.exponential(p["first_touch_days"]).astype(int), 30)
    first_touch = np.minimum(first_touch, np.maximum(last_day, created))
    span = np.maximum(last_day - first_touch, 0)
    is_first = np.r_[True, deal[1:] != deal[:-1]]
    offset = np.where(is_first, 0, (rng.random(deal.size) * (span[deal] + 1)).astype(int))
    day = first_touch[deal] + offset
    dstyle = {name: v[deal] for name, v in p.items()}
    r = rng.random(deal.size)
    d_type = np.where(r < 0.30, "meeting", np.where(r < 0.40, "demo", np.where(r < 0.70, "email",
                      np.where(r < 0.70 + dstyle["insight_share"], "content", "call"))))
    n_contacts = np.maximum(1, np.round(dstyle["contacts_per_deal"])).astype(int)
    contact_k = rng.integers(0, 10_000, deal.size) % n_contacts
    level_r = rng.random(deal.size)
    exec_share = dstyle["exec_contact_share"]
    level = np.where(level_r < exec_share * 0.4, "c_level", np.where(level_r < exec_share, "vp",
                     np.where(level_r < exec_share + 0.3, "director", np.where(level_r < 0.9, "manager", "staff"))))
    opp_ids = opps["opportunity_id"].to_numpy()
    opp_acct = opps["account_id"].to_numpy()
    deal_frame = pl.DataFrame({
        "rep_idx": o_owner[deal],
        "day": day,
        "type": d_type,
        "account_id": pl.Series(opp_acct[deal].tolist(), dtype=pl.String),
        "opportunity_id": opp_ids[deal],
        "contact_id": pl.Series(np.char.add(np.char.add(opp_ids[deal].astype(str), "-C"),
                                            contact_k.astype(str)).tolist(), dtype=pl.String),
        "contact_level": level,
    })
    # the first-line manager joins some customer meetings on the team's deals
    manager_idx_of = {rid: i for i, rid in enumerate(rep_ids)}
    mgr = np.array([manager_idx_of.get(m, -1) for m in reps["manager_id"].to_numpy()])
    meetings = deal_frame.filter(pl.col("type") == "meeting")
    own_rate = _style_param(o_style, "own_meetings_per_month")  # per deal owner's style
    deal_of_meeting = np.searchsorted(opp_ids, meetings["opportunity_id"].to_numpy())
    leader_joins = rng.random(meetings.height) < np.clip(own_rate[deal_of_meeting] / 30, 0, 1)
    leader_meetings = meetings.filter(pl.Series(leader_joins)).with_columns(
        pl.Series("rep_idx", mgr[meetings["rep_idx"].to_numpy()[leader_joins]]),
        pl.lit("c_level").alias("contact_level"),
    )

    # 2. prospecting touches: per rep per working day, on their (target) accounts
    wd = _working_days(start, today)
    ic = np.flatnonzero((role != "leader") & (role != "executive"))
    rep_day_rep = np.repeat(ic, wd.size)
    rep_day = np.tile(wd, ic.size)
    ps = {name: _style_param(style[rep_day_rep], name) for name in ("active_day_share", "activity_per_day",
                                                                    "insight_share", "target_share")}
    employed = (rep_day >= hire[rep_day_rep]) & (rep_day < term[rep_day_rep])
    active = employed & (rng.random(rep_day.size) < ps["active_day_share"])
    role_factor = np.where(role[rep_day_rep] == "sdr", 2.0, np.where(role[rep_day_rep] == "se", 0.4, 1.0))
    count = np.where(active, rng.poisson(ps["activity_per_day"] * role_factor * ACTIVITY_LEVEL), 0)
    a_rep = np.repeat(rep_day_rep, count)
    a_day = np.repeat(rep_day, count)
    a_insight = np.repeat(ps["insight_share"], count)
    a_target = np.repeat(ps["target_share"], count)
    r = rng.random(a_rep.size)
    p_type = np.where(r < a_insight * 0.4, "social", np.where(r < a_insight * 0.8, "content",
                      np.where(r < a_insight, "event",
                               np.where(r < 0.55, "email", np.where(r < 0.93, "call", "other")))))
    # accounts: the AE's own book, or an AE of the same manager for SDRs and SEs
    ae_idx = np.flatnonzero(role == "ae")
    ae_pos = np.searchsorted(ae_idx, a_rep)
    own = (ae_pos < ae_idx.size) & (ae_idx[np.minimum(ae_pos, ae_idx.size - 1)] == a_rep)
    book = np.where(own, ae_pos, rng.integers(0, max(ae_idx.size, 1), a_rep.size))
    on_target = rng.random(a_rep.size) < a_target
    k = np.where(on_target, rng.integers(0, TARGETS_PER_AE, a_rep.size),
                 rng.integers(TARGETS_PER_AE, ACCOUNTS_PER_AE, a_rep.size))
    acct = accounts["account_id"].to_numpy()[book * ACCOUNTS_PER_AE + k]
    level = np.array(LEVELS)[rng.choice(5, a_rep.size, p=[0.05, 0.1, 0.25, 0.35, 0.25])]
    prospect_frame = pl.DataFrame({
        "rep_idx": a_rep, "day": a_day, "type": p_type, "account_id": acct,
        "opportunity_id": pl.Series([None] * a_rep.size, dtype=pl.String),
        "contact_id": pl.Series(np.char.add(acct.astype(str), np.char.add(
            "-P", rng.integers(0, 30, a_rep.size).astype(str))).tolist(), dtype=pl.String),
        "contact_level": level,
    })
    frame = pl.concat([deal_frame, leader_meetings, prospect_frame], how="vertical_relaxed")
    # no activity before the rep was hired or after they left
    rep_idx = frame["rep_idx"].to_numpy()
    days = frame["day"].to_numpy()
    keep = (days >= hire[rep_idx]) & (days < term[rep_idx]) & (days <= today_day) & (rep_idx >= 0)
    frame = frame.filter(pl.Series(keep))
    n = frame.height
    ts = _timestamps(rng, frame["day"].to_numpy(), cutoff)
    duration = np.where(np.isin(frame["type"].to_numpy(), ["meeting", "demo"]), rng.choice([30, 45, 60], n),
                        np.where(frame["type"].to_numpy() == "call", rng.integers(2, 25, n), 0)).astype(float)
    frame = frame.with_columns(
        pl.Series("activity_at", ts),
        pl.Series("duration_min", duration),
        pl.Series("rep_id", rep_ids[frame["rep_idx"].to_numpy()]),
    ).sort("activity_at", "rep_id")
    return frame.select(
        pl.format("T{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(9)).alias("activity_id"),
        "rep_id", pl.col("activity_at").cast(pl.Datetime("us")), "type", "account_id", "opportunity_id",
        "contact_id", "contact_level", "duration_min",
    )


# ---- quotas, forecasts, history, coaching, teams --------------------------------------------------

QUOTA_PER_AE = 550_000.0


def _quotas(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray, first_q: object,
            today: date) -> pl.DataFrame:
    quarters = [first_q.shifted(i) for i in range(10)]  # type: ignore[attr-defined]
    ae = np.flatnonzero(_ae_mask(reps))
    rows_rep = np.repeat(ae, len(quarters))
    q_idx = np.tile(np.arange(len(quarters)), ae.size)
    hire = reps["hire_date"].to_numpy().astype("datetime64[D]")
    term = reps["termination_date"].to_numpy().astype("datetime64[D]")
    q_start = np.array([np.datetime64(q.start, "D") for q in quarters])[q_idx]
    q_end = np.array([np.datetime64(q.end, "D") for q in quarters])[q_idx]
    employed = (hire[rows_rep] <= q_end) & (np.isnat(term[rows_rep]) | (term[rows_rep] >= q_start))
    ramp = np.clip((q_end - hire[rows_rep]).astype(np.int64) / 150.0, 0.3, 1.0)
    years_in = (q_start - q_start.min()).astype(np.int64) / 365.0
    amount = np.round(QUOTA_PER_AE * MARKET_GROWTH ** years_in * ramp * rng.uniform(0.9, 1.1, rows_rep.size), -3)
    return pl.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[rows_rep],
        "period_start": q_start,
        "period_end": q_end,
        "quota_amount": amount,
    }).filter(pl.Series(employed)).with_columns(pl.col("period_start").cast(pl.Date),
                                               pl.col("period_end").cast(pl.Date))


def _forecasts(rng: np.random.Generator, reps: pl.DataFrame, opps: pl.DataFrame, first_q: object,
               today: date) -> pl.DataFrame:
    """Each leader's commit call, submitted a week into the quarter, off by their style's error."""
    quarters = [first_q.shifted(i) for i in range(9)]  # type: ignore[attr-defined]
    rep_ids = reps["rep_id"].to_numpy()
    managers = reps.filter(pl.col("role").is_in(["leader", "executive"]))["rep_id"].to_list()
    manager_of = dict(zip(rep_ids, reps["manager_id"].to_list(), strict=True))
    # actual won per first-line manager per quarter, rolled up to directors and the VP
    won = opps.filter(pl.col("is_won")).with_columns(
        pl.col("owner_rep_id").replace_strict(manager_of, default=None).alias("manager_id"))
    rows = []
    style_of = leader_styles_for(reps)  # first-line managers; directors and the VP forecast as balanced
    for q in quarters:
        in_q = won.filter((pl.col("close_date") >= q.start) & (pl.col("close_date") <= q.end))
        by_mgr = dict(in_q.group_by("manager_id").agg(pl.col("amount").sum()).iter_rows())
        share = q.elapsed_share(today)
        for leader in managers:
            members = [m for m in by_mgr if m == leader or manager_of.get(m) == leader
                       or manager_of.get(manager_of.get(m) or "") == leader]
            actual = sum(by_mgr[m] for m in members)
            if share < 1:
                actual = actual / max(share, 0.2)
            err = STYLES[style_of.get(leader, "balanced")].forecast_error
            call = max(0.0, actual * (1 + rng.normal(0, err)))
            rows.append((leader, q.start, datetime.combine(q.start, datetime.min.time()) + timedelta(days=7, hours=9),
                         round(call, -2)))
    return pl.DataFrame(rows, schema={"leader_id": pl.String, "period_start": pl.Date,
                                      "submitted_at": pl.Datetime("us"), "forecast_amount": pl.Float64},
                        orient="row").filter(pl.col("submitted_at") <= datetime.combine(today, datetime.min.time()))


def leader_styles_for(reps: pl.DataFrame) -> dict[str, str]:
    """Style of each first-line manager in a generated reps frame."""
    leaders = reps.filter(pl.col("role") == "leader")
    has_reps = set(reps.filter(~pl.col("role").is_in(["leader", "executive"]))["manager_id"].to_list())
    first_line = [r for r in leaders["rep_id"].to_list() if r in has_reps]
    return {r: STYLE_ORDER[i % len(STYLE_ORDER)] for i, r in enumerate(sorted(first_line))}


def _history(rng: np.random.Generator, opps: pl.DataFrame, style: np.ndarray) -> pl.DataFrame:
    """Stage changes per deal: steady steps for disciplined teams, jumps for the others."""
    n = opps.height
    stage = opps["stage"].to_numpy()
    target_idx = np.where(stage == "Closed Won", 4, np.where(stage == "Closed Lost",
                          rng.integers(0, 4, n), np.searchsorted(np.array(sorted(OPEN_STAGES)), stage)))
    order_map = {s: i for i, s in enumerate(OPEN_STAGES)}
    target_idx = np.array([order_map.get(s, t) for s, t in zip(stage, target_idx, strict=True)])
    skip_p = _style_param(opps["style_idx"].to_numpy(), "stage_skip")
    skips = rng.random(n) < skip_p
    steps = target_idx + 1 + np.isin(stage, ["Closed Won", "Closed Lost"]).astype(int)
    steps = np.where(skips, np.minimum(steps, 2), steps)
    deal = np.repeat(np.arange(n), steps)
    pos = np.arange(deal.size) - np.repeat(np.cumsum(steps) - steps, steps)
    last = pos == steps[deal] - 1
    closed_stage = np.isin(stage[deal], ["Closed Won", "Closed Lost"])
    names = np.array(OPEN_STAGES + ["Closed"])
    step_stage = np.where(last & closed_stage, stage[deal], names[np.minimum(pos, 3)])
    step_stage = np.where(last & ~closed_stage, stage[deal], step_stage)
    created = opps["created_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    close = opps["close_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    span = np.maximum(close - created, 1)
    day = created[deal] + (pos * span[deal] / np.maximum(steps[deal], 1)).astype(int)
    ts = _at_seconds(day, rng.integers(9 * 3600, 17 * 3600, deal.size))
    return pl.DataFrame({
        "opportunity_id": opps["opportunity_id"].to_numpy()[deal],
        "changed_at": ts,
        "stage": step_stage,
        "amount": opps["amount"].to_numpy()[deal],
        "close_date": opps["close_date"].to_numpy()[deal],
    }).with_columns(pl.col("changed_at").cast(pl.Datetime("us")), pl.col("close_date").cast(pl.Date))


def _coaching(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray, start: date,
              today: date) -> pl.DataFrame:
    role = reps["role"].to_numpy()
    ic = np.flatnonzero((role != "leader") & (role != "executive"))
    months = (today - start).days / 30.4
    rate = _style_param(style[ic], "coaching_per_rep_month")
    count = rng.poisson(rate * months)
    rep = np.repeat(ic, count)
    hire = reps["hire_date"].to_numpy().astype("datetime64[D]").astype(np.int64)[rep]
    term_raw = reps["termination_date"].to_numpy().astype("datetime64[D]")[rep]
    term = np.where(np.isnat(term_raw), np.datetime64(today, "D").astype(np.int64), term_raw.astype(np.int64))
    lo = np.maximum(hire, np.datetime64(start, "D").astype(np.int64))
    day = lo + (rng.random(rep.size) * np.maximum(term - lo, 0)).astype(int)
    ok = term > lo
    kinds = np.array(["one_on_one", "huddle", "deal_review", "ride_along"])
    ts = _at_seconds(day, rng.integers(8 * 3600, 12 * 3600, rep.size))
    return pl.DataFrame({
        "leader_id": reps["manager_id"].to_numpy()[rep],
        "rep_id": reps["rep_id"].to_numpy()[rep],
        "session_at": ts,
        "kind": kinds[rng.choice(4, rep.size, p=[0.5, 0.2, 0.2, 0.1])],
        "duration_min": rng.choice([15.0, 30.0, 45.0, 60.0], rep.size),
    }).filter(pl.Series(ok)).with_columns(pl.col("session_at").cast(pl.Datetime("us"))).sort("session_at", "rep_id")


def _opportunity_team(rng: np.random.Generator, reps: pl.DataFrame, style: np.ndarray,
                      opps: pl.DataFrame) -> pl.DataFrame:
    """Sales engineers, partners and the leader join some deals, as the style dictates."""
    share = _style_param(opps["style_idx"].to_numpy(), "team_selling")
    joined = rng.random(opps.height) < share
    ses = reps.filter(pl.col("role") == "se")["rep_id"].to_numpy()
    owner_mgr = dict(zip(reps["rep_id"].to_list(), reps["manager_id"].to_list(), strict=True))
    deals = opps.filter(pl.Series(joined))
    r = rng.random(deals.height)
    role = np.where(r < 0.6, "se", np.where(r < 0.8, "partner", "leader"))
    member = np.where(role == "leader",
                      np.array([owner_mgr.get(o) for o in deals["owner_rep_id"].to_list()], dtype=object),
                      ses[rng.integers(0, max(ses.size, 1), deals.height)] if ses.size else NULL)
    return pl.DataFrame({
        "opportunity_id": deals["opportunity_id"],
        "rep_id": pl.Series(member.tolist(), dtype=pl.String),
        "role": role,
    }).filter(pl.col("rep_id").is_not_null())


# ---- writing and loading ---------------------------------------------------------------------------

def write_extracts(out_dir: Path, scale: float = 1.0, seed: int = 7, today: date | None = None) -> list[Path]:
    """Write the demo org as canonical CSV extracts, one ``<extract>.csv`` per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in generate(scale, seed, today).items():
        path = out_dir / f"{name}.csv"
        frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d")
        paths.append(path)
    return paths


def build_demo_database(store: Store, scale: float = 1.0, seed: int = 7, force: bool = False,
                        progress: Callable[[str], None] | None = None,
                        today: date | None = None) -> LoadRecord:
    """Generate the demo org and load it through the ingest path into ``store``."""
    say = progress or (lambda _msg: None)
    if force and store.path.exists():
        store.path.unlink()
        wal = store.path.with_suffix(store.path.suffix + ".wal")
        if wal.exists():
            wal.unlink()
    with tempfile.TemporaryDirectory(prefix="scorecard-demo-") as tmp:
        say(f"generating the demo org (scale {scale}, seed {seed})")
        paths = write_extracts(Path(tmp), scale, seed, today)
        say("loading it through the ingest checks")
        return _ingest(store, paths)


def _ingest(store: Store, paths: list[Path]) -> LoadRecord:
    try:
        from scorecard.ingest import ingest_files
    except ImportError:
        ingest_files = None  # type: ignore[assignment]
    if ingest_files is not None:
        result = ingest_files(store, paths, loaded_by="demo", source="demo")
        if not result.accepted or result.load is None:
            raise RuntimeError(f"the demo data was rejected:\n{result.report()}")
        return result.load
    frames = {p.stem: pl.read_csv(p, try_parse_dates=True, infer_schema_length=100_000) for p in paths}
    files = [SourceFile(p, p.stem, frames[p.stem].height) for p in paths]
    return store.load(frames, loaded_by="demo", source="demo", files=files)
