"""Who may see what: the one place that decides it.

A viewer sees the reps in their part of the CRM hierarchy: an executive everyone, a leader their
own subtree (and themself), a rep only themself; someone not in the reps extract sees nothing.
Every query takes the resulting rep list as its ``$visible_reps`` parameter, so access is enforced
in the data layer and a hand-edited URL cannot reveal another team.

Executives and sales ops are named by e-mail in a small TOML file (``access.toml`` beside the
database by default)::

    executives = ["cro@example.com"]
    sales_ops = ["ops@example.com"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Viewer:
    """The person looking, and the reps they may see."""

    email: str | None
    rep_id: str | None
    visible_reps: tuple[str, ...]
    can_upload: bool
    is_executive: bool
    local: bool = False
    """True on a local install without login: the demo banner is shown."""
    notes: tuple[str, ...] = field(default=())

    @property
    def visible_list(self) -> list[str]:
        return list(self.visible_reps)

    def may_see(self, rep_id: str) -> bool:
        return rep_id in self.visible_reps


@dataclass(frozen=True)
class AccessPolicy:
    executives: frozenset[str] = frozenset()
    sales_ops: frozenset[str] = frozenset()

    @classmethod
    def from_file(cls, path: Path | None) -> AccessPolicy:
        if path is None or not path.is_file():
            return cls()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            executives=frozenset(e.strip().lower() for e in data.get("executives", [])),
            sales_ops=frozenset(e.strip().lower() for e in data.get("sales_ops", [])),
        )


def _all_reps(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    return tuple(r[0] for r in con.execute("select rep_id from reps order by rep_id").fetchall())


def local_viewer(con: duckdb.DuckDBPyConnection) -> Viewer:
    """Local install, no login: everything is visible and uploads are allowed."""
    return Viewer(email=None, rep_id=None, visible_reps=_all_reps(con), can_upload=True,
                  is_executive=True, local=True)


def viewer_for_email(con: duckdb.DuckDBPyConnection, email: str | None,
                     policy: AccessPolicy) -> Viewer:
    """The viewer a logged-in e-mail address maps to, by the CRM hierarchy."""
    address = (email or "").strip().lower()
    can_upload = bool(address) and address in policy.sales_ops
    if not address:
        return Viewer(None, None, (), False, False)
    if address in policy.executives:
        return Viewer(address, None, _all_reps(con), can_upload, True)
    found = con.execute(
        "select rep_id from reps where lower(trim(email)) = $email order by rep_id",
        {"email": address},
    ).fetchall()
    if not found:
        return Viewer(address, None, (), can_upload, False,
                      notes=(f"{address} is not in the reps extract, so no data is shown.",))
    rep_id = found[0][0]
    team = con.execute(
        "select rep_id from team_members where leader_id = $rep_id"
        " union select $rep_id order by 1",
        {"rep_id": rep_id},
    ).fetchall()
    return Viewer(address, rep_id, tuple(r[0] for r in team), can_upload, False)
