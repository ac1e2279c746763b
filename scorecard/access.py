"""Who may see what: the one place that decides it.

Hosting first (:func:`hosting_mode`): the app serves data without a login only as a local install
bound to this machine (``server.address`` a loopback address, as ``make run`` and
``.streamlit/config.toml`` set it, and no proxy in front); reachable from elsewhere without an
``[auth]`` section it refuses, and with one every visitor logs in.

Then identity (:func:`identify`): a login counts only while its ID token has not expired and only
with an e-mail address the identity provider says it verified (``email_verified`` true, or the
provider's own claim named as ``verified_email_claim`` in the access file). Anything else is told
why and sees nothing.

Then the viewer (:func:`viewer_for_email`): the reps in their part of the CRM hierarchy: an
executive everyone, a leader their own subtree (and themself), a rep only themself; someone not in
the reps extract sees nothing. Every query takes the resulting rep list as its ``$visible_reps``
parameter, so access is enforced in the data layer and a hand-edited URL cannot reveal another
team. What is not about one team (the verdicts of uploads, the load history, every flagged row)
is for the people who run the data: executives and sales ops (:attr:`Viewer.sees_whole_org_data`).

Executives and sales ops are named by e-mail in a small TOML file (``access.toml`` beside the
database by default), read again on every page run, so a change takes effect at once::

    executives = ["cro@example.com"]
    sales_ops = ["ops@example.com"]
    # verified_email_claim = "xms_edov"   # a provider that marks verified addresses its own way
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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

    @property
    def sees_whole_org_data(self) -> bool:
        """The data about the data of the whole org: the verdicts of uploads (with their samples),
        the load history and every flagged row. Executives, sales ops and the local install."""
        return self.local or self.is_executive or self.can_upload


# -- hosting ---------------------------------------------------------------------------------------

HostingMode = Literal["local", "login", "refuse"]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip")
"""Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever the bind address."""


def is_loopback(address: str | None) -> bool:
    """Whether a bind address (or a Host header's name) is this machine only. Blank means every
    interface, as Streamlit binds when ``server.address`` is unset."""
    text = (address or "").strip().lower()
    if text.startswith("[") and "]" in text:  # [::1]:8501
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # localhost:8501
        text = text.split(":", 1)[0]
    if not text:
        return False
    if text in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def hosting_mode(*, auth_configured: bool, bind_address: str | None, forced_hosted: bool = False,
                 request_headers: Mapping[str, str] | None = None) -> HostingMode:
    """``login`` when an ``[auth]`` section configures the login; else ``local`` (no login, everyone
    sees everything) only when the app listens on this machine alone and the request did not come
    through a proxy; else ``refuse``: data is never served without a login to another machine."""
    if auth_configured:
        return "login"
    if forced_hosted or not is_loopback(bind_address):
        return "refuse"
    headers = {k.lower(): v for k, v in (request_headers or {}).items()}
    if any(headers.get(name) for name in PROXY_HEADERS):
        return "refuse"
    host = headers.get("host")
    if host and not is_loopback(host):
        return "refuse"
    return "local"


_HEADER_NAMES = {"x-forwarded-for": "X-Forwarded-For", "x-forwarded-host": "X-Forwarded-Host",
                 "forwarded": "Forwarded", "x-real-ip": "X-Real-IP"}


def refusal_reason(bind_address: str | None, forced_hosted: bool = False,
                   request_headers: Mapping[str, str] | None = None) -> str:
    """Why :func:`hosting_mode` refuses, in its own order: SCORECARD_HOSTED, the address the app
    listens on, a proxy's header on the request, a request addressed to another name. The request's
    own values (a header's content, the Host it names) are never repeated: they are the visitor's text."""
    if forced_hosted:
        return "SCORECARD_HOSTED is set"
    if not (bind_address or "").strip():
        return "it listens on every network interface (server.address is not set)"
    if not is_loopback(bind_address):
        return f"it listens on {bind_address}"
    headers = {k.lower(): v for k, v in (request_headers or {}).items()}
    proxied = [name for name in PROXY_HEADERS if headers.get(name)]
    if proxied:
        return (f"requests reach it through a proxy: they carry the {_HEADER_NAMES[proxied[0]]} header, although"
                f" it listens on {bind_address}")
    return f"requests reach it by a name other than this machine's, although it listens on {bind_address}"


def refusal_message(bind_address: str | None, forced_hosted: bool = False,
                    request_headers: Mapping[str, str] | None = None) -> str:
    """What the app says when it refuses to serve data without a login (and why: :func:`refusal_reason`),
    and how to set one up."""
    where = refusal_reason(bind_address, forced_hosted, request_headers)
    return (
        f"This scorecard is reachable from other machines ({where}) but no login is configured, so it"
        " shows no data. To host it, add an [auth] section to .streamlit/secrets.toml with your identity"
        " provider (redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url; see"
        " .streamlit/secrets.toml.example and docs/hosting.md) and name the executives and sales ops in"
        " access.toml. To use it on this machine only, start it with `make run` (server.address ="
        " \"localhost\")."
    )


# -- the access file -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccessPolicy:
    executives: frozenset[str] = frozenset()
    sales_ops: frozenset[str] = frozenset()
    verified_email_claim: str | None = None
    """A provider's own claim that says the e-mail address is verified (beside ``email_verified``)."""
    error: str | None = None
    """Why the access file could not be read: then nobody is an executive or sales ops."""

    @classmethod
    def from_file(cls, path: Path | None) -> AccessPolicy:
        """The access file as it is now (read on every page run: nothing is kept between runs). A file
        that cannot be read names no executive and no sales ops, and says why."""
        if path is None or not path.is_file():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            claim = data.get("verified_email_claim")
            return cls(
                executives=_addresses(data.get("executives", [])),
                sales_ops=_addresses(data.get("sales_ops", [])),
                verified_email_claim=str(claim).strip() if claim else None,
            )
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError, AttributeError) as err:
            return cls(error=f"The access file cannot be read ({err}), so no one is recognised as an"
                             " executive or sales ops until it is fixed.")

    @property
    def fingerprint(self) -> str:
        """Tells two policies apart (for a cache key that must follow every change of the file)."""
        return repr((sorted(self.executives), sorted(self.sales_ops), self.verified_email_claim, self.error))


def _addresses(values: Any) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(str(e).strip().lower() for e in values if str(e).strip())


# -- identity ----------------------------------------------------------------------------------------

IdentityStatus = Literal["anonymous", "expired", "no_email", "unverified", "verified"]


@dataclass(frozen=True)
class Identity:
    """Who the login says the visitor is, and whether that is enough to show them anything."""

    status: IdentityStatus
    email: str | None = None
    message: str = ""

    @property
    def verified(self) -> bool:
        return self.status == "verified"


def _true(value: Any) -> bool:
    """A claim that says yes: JSON true, or the string "true" some providers send."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def identify(claims: Mapping[str, Any] | None, policy: AccessPolicy, now: float) -> Identity:
    """The login's identity from the ID token's claims (``st.user``) at the time ``now`` (seconds
    since the epoch, the machine's clock: a token's expiry is a real time, not a date of the data).

    Only a verified e-mail address is matched to the reps extract and the access file: a provider
    where users set their own address would otherwise make anyone an executive.
    """
    if not claims or not _true(claims.get("is_logged_in")):
        return Identity("anonymous")
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= now:
        return Identity("expired", message="Your login has expired: log in again to go on.")
    raw = claims.get("email")
    email = raw.strip().lower() if isinstance(raw, str) else ""
    if not email or "@" not in email or any(ord(c) < 32 or ord(c) == 127 for c in email):
        return Identity("no_email", message=(
            "Your identity provider did not send an e-mail address, so the scorecard cannot tell who you"
            " are and shows nothing. Ask IT to release the e-mail claim (the `email` scope) to the"
            " scorecard."))
    named = policy.verified_email_claim
    if _true(claims.get("email_verified")) or (named and _true(claims.get(named))):
        return Identity("verified", email)
    claim_words = "email_verified" + (f" or {named}" if named else "")
    return Identity("unverified", email, (
        f"Your identity provider has not verified that {email} is yours (its {claim_words} claim is not"
        " true), so the scorecard cannot tell who you are and shows nothing. Ask IT to verify the"
        " address with the provider; if the provider marks verified addresses with a claim of its own,"
        " sales ops can name it as verified_email_claim in the access file."))


# -- the viewer --------------------------------------------------------------------------------------

def _all_reps(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    return tuple(r[0] for r in con.execute("select rep_id from reps order by rep_id").fetchall())


def local_viewer(con: duckdb.DuckDBPyConnection) -> Viewer:
    """Local install, no login: everything is visible and uploads are allowed."""
    return Viewer(email=None, rep_id=None, visible_reps=_all_reps(con), can_upload=True,
                  is_executive=True, local=True)


def viewer_for_email(con: duckdb.DuckDBPyConnection, email: str | None,
                     policy: AccessPolicy) -> Viewer:
    """The viewer a verified e-mail address maps to, by the access file and the CRM hierarchy."""
    address = (email or "").strip().lower()
    policy_notes = (policy.error,) if policy.error else ()
    if not address:
        return Viewer(None, None, (), False, False, notes=policy_notes)
    can_upload = address in policy.sales_ops
    if address in policy.executives:
        return Viewer(address, None, _all_reps(con), can_upload, True, notes=policy_notes)
    found = con.execute(
        "select rep_id from reps where lower(trim(email)) = $email order by rep_id",
        {"email": address},
    ).fetchall()
    if not found:
        note = (f"{address} is not in the reps extract, so no one's figures are shown."
                + (" As sales ops you may upload files and see the checks." if can_upload else ""))
        return Viewer(address, None, (), can_upload, False, notes=(*policy_notes, note))
    rep_id = found[0][0]
    team = con.execute(
        "select rep_id from team_members where leader_id = $rep_id"
        " union select $rep_id order by 1",
        {"rep_id": rep_id},
    ).fetchall()
    return Viewer(address, rep_id, tuple(r[0] for r in team), can_upload, False, notes=policy_notes)
