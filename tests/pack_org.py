"""A small org for the PDF pack and e-mail tests, with a hand-made drop.

Vera Vice (V) leads Lee Leader (L1) and Liz Lead (L2); Lee leads Ann Rep (A) and Bob Rep (B), Liz
leads Cora Rep (C) and Dan Rep (D). Each rep has a quota of 100,000 a quarter. The data is as of
Wednesday 20 May 2026 (recorded with the load), 50 of the 91 days of 2026Q2; the previous quarter
is compared at the same share elapsed (its first 50/91, 1 January to about 19 February).

Lee's team won 120,000 each in January and nothing since: their quota attainment falls from above
target (100 points) to 0 (at the floor, 0.5, or below: 0 points). Liz's team won 80,000 each early
in both quarters: steady.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from scorecard.store import Store

AS_OF = date(2026, 5, 20)
PERIOD = "2026Q2"
EMAILS = {"V": "vera@example.com", "L1": "lee@example.com", "L2": "liz@example.com"}
LEE_TEAM = ("Ann Rep", "Bob Rep")
LIZ_TEAM = ("Cora Rep", "Dan Rep")


def frames() -> dict[str, pl.DataFrame]:
    reps = pl.DataFrame({
        "rep_id": ["V", "L1", "L2", "A", "B", "C", "D"],
        "rep_name": ["Vera Vice", "Lee Leader", "Liz Lead", "Ann Rep", "Bob Rep", "Cora Rep", "Dan Rep"],
        "email": [EMAILS["V"], EMAILS["L1"], EMAILS["L2"], "ann@example.com", "bob@example.com",
                  "cora@example.com", "dan@example.com"],
        "manager_id": ["", "V", "V", "L1", "L1", "L2", "L2"],
        "role": ["executive", "leader", "leader", "ae", "ae", "ae", "ae"],
        "region": ["EMEA"] * 7,
    })
    deals = [
        # (id, owner, created, close, stage, closed, won, amount)
        ("A1", "A", date(2025, 12, 1), date(2026, 1, 20), "Closed Won", True, True, 120000.0),
        ("B1", "B", date(2025, 12, 1), date(2026, 1, 25), "Closed Won", True, True, 120000.0),
        ("A2", "A", date(2026, 3, 1), date(2026, 6, 20), "Proposal", False, False, 50000.0),
        ("C1", "C", date(2025, 12, 1), date(2026, 1, 20), "Closed Won", True, True, 80000.0),
        ("D1", "D", date(2025, 12, 1), date(2026, 1, 22), "Closed Won", True, True, 80000.0),
        ("C2", "C", date(2026, 3, 1), date(2026, 4, 20), "Closed Won", True, True, 80000.0),
        ("D2", "D", date(2026, 3, 1), date(2026, 4, 22), "Closed Won", True, True, 80000.0),
        ("C3", "C", date(2026, 4, 1), date(2026, 6, 25), "Proposal", False, False, 40000.0),
    ]
    opportunities = pl.DataFrame({
        "opportunity_id": [d[0] for d in deals], "owner_rep_id": [d[1] for d in deals],
        "account_id": ["ACC1"] * len(deals), "created_date": [d[2] for d in deals],
        "close_date": [d[3] for d in deals], "stage": [d[4] for d in deals], "is_closed": [d[5] for d in deals],
        "is_won": [d[6] for d in deals], "amount": [d[7] for d in deals],
        "next_step": [None] * len(deals),
    })
    accounts = pl.DataFrame({"account_id": ["ACC1"], "account_name": ["Acme"], "owner_rep_id": ["A"],
                             "is_target": [True]})
    activities = pl.DataFrame({
        "activity_id": ["a1", "a2", "a3", "a4"], "rep_id": ["A", "B", "C", "D"],
        "activity_at": [datetime(2026, 5, 18, 9), datetime(2026, 5, 18, 10), datetime(2026, 5, 19, 9),
                        datetime(2026, 5, 19, 10)],
        "type": ["call"] * 4, "account_id": ["ACC1"] * 4, "opportunity_id": ["A2", None, "C3", None],
        "contact_id": ["K1", "K2", "K3", "K4"], "contact_level": ["manager"] * 4,
    })
    quarters = [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30))]
    quotas = pl.DataFrame({
        "rep_id": [r for r in "ABCD" for _ in quarters],
        "period_start": [q[0] for _ in "ABCD" for q in quarters],
        "period_end": [q[1] for _ in "ABCD" for q in quarters],
        "quota_amount": [100000.0] * 8,
    })
    return {"reps": reps, "opportunities": opportunities, "accounts": accounts, "activities": activities,
            "quotas": quotas}


def build(path: Path) -> Store:
    store = Store(path)
    store.load(frames(), loaded_by="test", as_of=AS_OF)
    return store
