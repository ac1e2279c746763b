"""`make loadtest`: many viewers at once through Streamlit's own websocket protocol, without a browser.

Each viewer does what a browser tab does, with the message classes that ship in the ``streamlit``
package (``BackMsg``, ``ForwardMsg``): it asks ``/_stcore/health`` for the XSRF cookie, opens
``/_stcore/stream`` with the subprotocols ``streamlit, <xsrf token>`` and its cookies, and sends a
``rerun_script`` BackMsg (query string, page script hash) for each page it opens; a page's *server
time* is from that message to the ``script_finished`` ForwardMsg. It honours ``auto_rerun`` (the
live pages' fragments rerun every few seconds in a browser, and here too), and counts as an error
every exception element the app sends ("This app has encountered an error"), a compile error, a
page that times out and a connection that drops.

Viewers log in for real: the app is hosted with an ``[auth]`` section pointing at
``oidc-provider-mock`` on 127.0.0.1, each viewer presses "Log in" over the websocket, follows the
provider's redirects with plain HTTP, authorises as its user on the provider's form and keeps the
``_streamlit_user`` cookie it is given. One viewer in five is an executive (the whole org), the
others are leaders of the large org (their own subtree). Each opens the Scorecard, a Leader page
and a Rep page.

Scenarios (``--scenario``), each on a copy of the benchmark's large org (``bench/cache/``):

- ``one``: one app process, viewers connect to it directly;
- ``replicas``: N app processes behind nginx (``bench/replicas.py``);
- ``load``: the replicas while ``scorecard ingest`` loads the large org again (with the next day as
  its as-of date, so every page says when it shows the new data), started when half the viewers
  have arrived: after their three pages, half the viewers keep opening pages (one every ten seconds
  or so) and half sit on a live page (Rep or Scorecard) until the load has landed; reported are the
  errors during the load and how long after the commit (the database file replaced) each sitting
  page showed the new as-of date.

Only this machine is ever a target (127.0.0.0/8, ``localhost``, ``::1``); the counts of viewers and
the time of a run are bounded. ``--url`` runs viewers against an app already running as a local
install (no login).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import ipaddress
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
WORK = CACHE / "loadtest"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Many viewers"

MAX_VIEWERS = 200
"""More viewers than this are refused: a load test here is bounded."""
MAX_SECONDS = 900.0
"""No run of viewers lasts longer than this (each page waits at most ``PAGE_TIMEOUT``)."""
PAGE_TIMEOUT = 120.0
LOGIN_CONCURRENCY = 8

FINISHED = ForwardMsg.ScriptFinishedStatus
PAGE_DONE: frozenset[int] = frozenset({int(FINISHED.FINISHED_SUCCESSFULLY), int(FINISHED.FINISHED_WITH_COMPILE_ERROR)})
FRAGMENT_DONE: frozenset[int] = PAGE_DONE | {int(FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)}
TEXT_ELEMENTS = ("markdown", "heading", "alert", "text", "metric")


class NotLocalError(ValueError):
    """A target that is not this machine."""


def check_local(url: str) -> None:
    """Refuse any address but this machine's loopback (the load test never sends traffic elsewhere)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise NotLocalError(f"{url}: the load test only targets this machine (localhost, 127.0.0.0/8, ::1)")


# -- HTTP with a cookie jar per viewer (no redirects followed: each step is ours) ----------------

class Jar:
    """A viewer's cookies, per origin (scheme://host:port), as a browser keeps them."""

    def __init__(self) -> None:
        self.cookies: dict[str, dict[str, str]] = {}

    @staticmethod
    def origin(url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def header(self, url: str) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.get(self.origin(url), {}).items())

    def get(self, url: str, name: str) -> str | None:
        return self.cookies.get(self.origin(url), {}).get(name)

    def set(self, url: str, name: str, value: str) -> None:
        self.cookies.setdefault(self.origin(url), {})[name] = value

    def take(self, url: str, headers: Message) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            attrs = attributes.lower().replace(" ", "")
            if "max-age=0" in attrs or "1970" in attrs or value in ('""', ""):
                self.cookies.get(self.origin(url), {}).pop(name, None)
            else:
                self.set(url, name, value)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http(method: str, url: str, jar: Jar, form: Mapping[str, str] | None = None) -> tuple[int, Message]:
    """One request with the jar's cookies; the response's cookies go into the jar. Blocking."""
    check_local(url)
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if cookie := jar.header(url):
        request.add_header("Cookie", cookie)
    try:
        with _OPENER.open(request, timeout=60) as resp:
            resp.read()
            status, headers = int(resp.status), resp.headers
    except urllib.error.HTTPError as exc:  # 3xx (not followed) and errors
        exc.read()
        status, headers = exc.code, exc.headers
    jar.take(url, headers)
    return status, headers


# -- what the server says: one tab's ForwardMsgs, accounted for ----------------------------------

@dataclass
class Ledger:
    """Everything a tab learns from the ForwardMsgs it receives; no I/O, so a test can feed it."""

    finishes: list[tuple[float, int]] = field(default_factory=list)
    """(time, ScriptFinishedStatus) of every script run that ended."""
    errors: list[tuple[float, str]] = field(default_factory=list)
    """(time, what) of every exception element (not warnings) and compile error."""
    warnings: int = 0
    pages: dict[str, str] = field(default_factory=dict)
    """URL path -> page script hash, from the ``navigation`` message."""
    buttons: dict[str, str] = field(default_factory=dict)
    """Button label -> widget id."""
    headings: list[str] = field(default_factory=list)
    """The headings of the page drawn last (a full run starts the list again)."""
    auto_reruns: dict[str, float] = field(default_factory=dict)
    """Fragment id -> interval (s): what a browser reruns by itself (as the last full run set them)."""
    _this_run: dict[str, float] = field(default_factory=dict)
    auth_redirect: str | None = None
    running: bool = False
    new_sessions: int = 0
    watch: tuple[str, ...] = ()
    """Texts to look out for (the new as-of date); ``seen_at`` is when one first appeared."""
    seen_at: float | None = None
    messages: int = 0
    bytes: int = 0

    def take(self, msg: ForwardMsg, now: float, size: int = 0) -> None:
        self.messages += 1
        self.bytes += size
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg, now)
        elif kind == "script_finished":
            self.finishes.append((now, int(msg.script_finished)))
            if msg.script_finished == FINISHED.FINISHED_SUCCESSFULLY:  # a full run sets the timers anew
                self.auto_reruns = dict(self._this_run)
            if msg.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                self.errors.append((now, "the script did not compile"))
        elif kind == "new_session":  # every run, a fragment's too
            self.new_sessions += 1
            self._this_run = {}
            self.buttons.clear()
            self.headings.clear()
        elif kind == "session_status_changed":
            self.running = bool(msg.session_status_changed.script_is_running)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = float(msg.auto_rerun.interval)
            self._this_run[msg.auto_rerun.fragment_id] = float(msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self.auto_reruns.clear()
        elif kind == "auth_redirect":
            self.auth_redirect = msg.auth_redirect.url
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.errors.append((now, "script compilation: " + msg.session_event.script_compilation_exception.message))

    def _delta(self, msg: ForwardMsg, now: float) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        what = element.WhichOneof("type")
        if what == "exception":
            if element.exception.is_warning:
                self.warnings += 1
            else:
                self.errors.append((now, f"{element.exception.type}: {element.exception.message}"[:300]))
        elif what == "button":
            self.buttons[element.button.label] = element.button.id
        if what == "heading":
            self.headings.append(element.heading.body.replace("\u2060", "").replace("\\", ""))
        elif what in TEXT_ELEMENTS and self.watch and self.seen_at is None:
            text = " ".join(str(v) for _, v in getattr(element, what).ListFields() if isinstance(v, str))
            text = text.replace("\u2060", "").replace("\\", "")
            if any(w in text for w in self.watch):
                self.seen_at = now

    def finish_after(self, index: int, wanted: Iterable[int]) -> tuple[float, int] | None:
        wanted = set(wanted)
        return next((f for f in self.finishes[index:] if f[1] in wanted), None)

    def errors_between(self, start: float, end: float) -> list[int]:
        """The indices of the errors that arrived between ``start`` and ``end``."""
        return [i for i, (t, _) in enumerate(self.errors) if start <= t <= end]


@dataclass
class Run:
    """One script run a viewer asked for and waited on."""

    viewer: int
    page: str
    """``scorecard``, ``leader``, ``rep``, ``login`` or ``fragment``."""
    started: float
    seconds: float
    ok: bool
    errors: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    """The page's headings when the run ended (its title first)."""


class TabError(RuntimeError):
    pass


class Tab:
    """One browser tab: a websocket session with the app and the runs it asked for."""

    def __init__(self, base: str, jar: Jar, *, viewer: int, runs: list[Run], auto_rerun: bool = True,
                 watch: tuple[str, ...] = ()) -> None:
        check_local(base)
        self.base, self.jar, self.viewer, self.runs = base.rstrip("/"), jar, viewer, runs
        self.ledger = Ledger(watch=watch)
        self.auto_rerun = auto_rerun
        self.page_hash, self.query = "", ""
        self._changed = asyncio.Event()
        self._busy = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._ws: Any = None
        self._claimed: set[int] = set()
        self._claimed_close = False
        self._closing = False
        self.closed: str | None = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Origin, Subprotocol

        await asyncio.to_thread(http, "GET", f"{self.base}/_stcore/health", self.jar)
        xsrf = self.jar.get(self.base, "_streamlit_xsrf") or "PLACEHOLDER_AUTH_TOKEN"
        headers = {"Cookie": self.jar.header(self.base)} if self.jar.header(self.base) else {}
        url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        self._ws = await connect(url, subprotocols=[Subprotocol("streamlit"), Subprotocol(xsrf)],
                                 origin=Origin(self.base), additional_headers=headers, max_size=None,
                                 proxy=None, open_timeout=60, compression=None)
        self._tasks.append(asyncio.create_task(self._read()))
        if self.auto_rerun:
            self._tasks.append(asyncio.create_task(self._auto_reruns()))

    async def close(self) -> None:
        """Close the tab; an error that arrived outside any run asked for (a live page rerunning by
        itself) or a connection lost while the page sat open is recorded as a run of its own."""
        self._closing = True
        left = [what for i, (_, what) in enumerate(self.ledger.errors) if i not in self._claimed]
        if self.closed is not None and not self._claimed_close:
            left.append(f"connection lost while the page was open: {self.closed}")
        if left:
            self.runs.append(Run(self.viewer, "unrequested", time.monotonic(), 0.0, False, left))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self.ledger.take(msg, time.monotonic(), len(data))
                self._wake()
        except Exception as exc:  # the connection dropped
            self.closed = f"{type(exc).__name__}: {exc}"[:300]
        else:
            self.closed = "the server closed the connection"
        if self._closing:
            self._claimed_close = True
        self._wake()

    def _wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _back_msg(self, *, fragment_id: str = "", widgets: Mapping[str, bool] | None = None,
                  page_name: str = "") -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = page_name
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        for widget_id, value in (widgets or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            widget.trigger_value = value
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-GB"
        info.url = f"{self.base}/{page_name}" + (f"?{self.query}" if self.query else "")
        return msg.SerializeToString()

    async def _request(self, payload: bytes, page: str, wanted: frozenset[int]) -> Run:
        """Send one rerun and wait for its end; one request at a time per tab."""
        async with self._busy:
            index = len(self.ledger.finishes)
            started = time.monotonic()
            deadline = started + PAGE_TIMEOUT
            errors: list[str] = []
            ok = False
            try:
                await self._ws.send(payload)
                while True:
                    done = self.ledger.finish_after(index, wanted)
                    if done is not None:
                        end = done[0]
                        claimed = [i for i in self.ledger.errors_between(started, end) if i not in self._claimed]
                        self._claimed.update(claimed)
                        errors = [self.ledger.errors[i][1] for i in claimed]
                        ok = not errors
                        break
                    if self.closed is not None:
                        self._claimed_close = True
                        end, errors = time.monotonic(), [f"connection lost: {self.closed}"]
                        break
                    changed = self._changed
                    try:
                        await asyncio.wait_for(changed.wait(), max(0.01, deadline - time.monotonic()))
                    except TimeoutError:
                        end, errors = time.monotonic(), [f"no script_finished within {PAGE_TIMEOUT:g} s"]
                        break
            except Exception as exc:  # sending failed: the connection is gone
                end, errors = time.monotonic(), [f"{type(exc).__name__}: {exc}"[:300]]
            run = Run(self.viewer, page, started, end - started, ok, errors, list(self.ledger.headings))
            self.runs.append(run)
            return run

    async def open_page(self, page: str, path: str = "", query: str = "") -> Run:
        """Open a page as a click in the app does: its script hash (learnt from the navigation
        message) and its query string; the first page of a tab goes by its URL path, as a fresh
        browser tab does."""
        self.query = query
        if path in self.ledger.pages:
            self.page_hash = self.ledger.pages[path]
            payload = self._back_msg()
        else:
            self.page_hash = ""
            payload = self._back_msg(page_name=path)
        return await self._request(payload, page, PAGE_DONE)

    async def press(self, label: str, page: str = "login") -> Run:
        widget_id = self.ledger.buttons.get(label)
        if widget_id is None:
            raise TabError(f"no button {label!r} on the page (buttons: {sorted(self.ledger.buttons)})")
        return await self._request(self._back_msg(widgets={widget_id: True}), page, PAGE_DONE)

    async def _auto_reruns(self) -> None:
        """What the browser does for ``st.fragment(run_every=...)``: rerun the fragment every
        interval, skipped while a run of ours is under way."""
        due: dict[str, float] = {}
        while self.closed is None:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            for fragment_id, interval in list(self.ledger.auto_reruns.items()):
                when = due.setdefault(fragment_id, now + interval)
                if now < when:
                    continue
                due[fragment_id] = now + interval
                if self._busy.locked() or self.ledger.running:
                    continue
                await self._request(self._back_msg(fragment_id=fragment_id), "fragment", FRAGMENT_DONE)
            for fragment_id in set(due) - set(self.ledger.auto_reruns):
                due.pop(fragment_id)


# -- viewers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Who a viewer logs in as, and the leader and rep pages they open."""

    sub: str
    email: str
    role: str
    leader_id: str
    rep_id: str


def identities(db: Path, count: int) -> list[Identity]:
    """One executive in five (``cro@example.com``, named in the access file); the others the org's
    leaders from the top down, each opening their own Leader page and a rep of their team."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        leaders = con.execute(
            "select l.leader_id, r.email from leaders l join reps r on r.rep_id = l.leader_id"
            " where r.email is not null order by l.level, l.leader_id").fetchall()
        reps = dict(con.execute(
            "select leader_id, min(rep_id) from team_members where rep_id <> leader_id group by leader_id").fetchall())
    leaders = [(lid, email) for lid, email in leaders if lid in reps]
    if not leaders:
        raise RuntimeError(f"{db} has no leaders with a team")
    people = []
    for i in range(count):
        leader_id, email = leaders[i % len(leaders)]
        if i % 5 == 0:
            people.append(Identity("cro", "cro@example.com", "executive", leader_id, reps[leader_id]))
        else:
            people.append(Identity(f"leader-{leader_id}", str(email), "leader", leader_id, reps[leader_id]))
    return people


async def log_in(base: str, who: Identity, jar: Jar, runs: list[Run], viewer: int) -> None:
    """Press "Log in" on the app's page, follow the redirects to the provider, authorise as
    ``who.sub`` on its form, and come back with the app's login cookie in ``jar``."""
    tab = Tab(base, jar, viewer=viewer, runs=runs, auto_rerun=False)
    await tab.open()
    try:
        first = await tab.open_page("login")
        if not first.ok:
            raise TabError(f"the login page failed: {first.errors}")
        await tab.press("Log in")
        redirect = tab.ledger.auth_redirect
    finally:
        await tab.close()
    if not redirect:
        raise TabError("pressing Log in gave no redirect to the provider")

    def follow() -> None:
        status, headers = http("GET", urllib.parse.urljoin(base + "/", redirect), jar)
        authorize = headers.get("Location") or ""
        if status not in (302, 303, 307) or not authorize:
            raise TabError(f"/auth/login answered {status}, not a redirect to the provider")
        status, headers = http("POST", authorize, jar, {"sub": who.sub})
        callback = headers.get("Location") or ""
        if status not in (302, 303) or "code=" not in callback:
            raise TabError(f"the provider answered {status}, not a redirect with a code")
        status, headers = http("GET", callback, jar)
        if jar.get(base, "_streamlit_user") is None:
            raise TabError(f"the callback answered {status} without a login cookie")

    await asyncio.to_thread(follow)


@dataclass
class Plan:
    """How the viewers behave."""

    ramp: float = 30.0
    """Viewers arrive evenly spread over this many seconds (0: all at once)."""
    think: float = 2.0
    """Mean pause between two pages of a viewer (uniform between half and one and a half times it)."""
    cycle_until: asyncio.Event | None = None
    """When set, viewers with an even number keep opening their pages until this is set."""
    cycle_pause: float = 10.0
    """Mean pause between two pages of a viewer who keeps opening pages."""
    sit_until: asyncio.Event | None = None
    """When set, every viewer keeps its last page open until this is set (else until all are done)."""
    sit_on: str = "rep"
    """The page odd viewers sit on while they wait (``rep`` or ``scorecard``), even ones their last."""
    watch: tuple[str, ...] = ()
    auto_rerun: bool = True
    login: bool = True
    seed: int = 7


@dataclass
class ViewerResult:
    viewer: int
    role: str
    login_error: str | None = None
    seen_at: float | None = None
    sat_on: str = ""


def _pages(who: Identity) -> list[tuple[str, str, str]]:
    return [("scorecard", "", ""), ("leader", "leader", f"leader={who.leader_id}"),
            ("rep", "rep", f"rep={who.rep_id}")]


async def one_viewer(base: str, who: Identity, n: int, plan: Plan, runs: list[Run], jar: Jar,
                     all_done: asyncio.Event, done_count: list[int], total: int) -> ViewerResult:
    rng = random.Random(plan.seed * 1000 + n)
    result = ViewerResult(n, who.role)
    tab = Tab(base, jar, viewer=n, runs=runs, auto_rerun=plan.auto_rerun, watch=plan.watch)
    try:
        await tab.open()
        pages = _pages(who)
        for i, (page, path, query) in enumerate(pages):
            if i:
                await asyncio.sleep(plan.think * (0.5 + rng.random()))
            await tab.open_page(page, path, query)
        if plan.cycle_until is not None and n % 2 == 0:
            i = 0
            while not plan.cycle_until.is_set() and tab.closed is None:
                await asyncio.sleep(plan.cycle_pause * (0.5 + rng.random()))
                page, path, query = pages[i % len(pages)]
                await tab.open_page(page, path, query)
                i += 1
        elif plan.sit_on == "scorecard" and n % 4 == 3:
            await tab.open_page("scorecard", "", "")
        result.sat_on = next((r.page for r in reversed(runs) if r.viewer == n and r.page != "fragment"), "")
        done_count[0] += 1
        if done_count[0] >= total:
            all_done.set()
        wait_for = plan.sit_until or all_done
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wait_for.wait(), MAX_SECONDS)
        result.seen_at = tab.ledger.seen_at
    finally:
        await tab.close()
    return result


@dataclass
class Outcome:
    runs: list[Run]
    viewers: list[ViewerResult]
    login_seconds: float
    seconds: float


async def run_viewers(base: str, people: Sequence[Identity], plan: Plan,
                      jars: Sequence[Jar] | None = None) -> Outcome:
    """Log every viewer in (unless ``plan.login`` is off), then let them arrive over the ramp and
    open their pages; returns every run and what each viewer saw."""
    check_local(base)
    if not 1 <= len(people) <= MAX_VIEWERS:
        raise ValueError(f"between 1 and {MAX_VIEWERS} viewers")
    jars = list(jars) if jars is not None else [Jar() for _ in people]
    runs: list[Run] = []
    results = [ViewerResult(n, who.role) for n, who in enumerate(people)]
    started = time.monotonic()
    if plan.login:
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def login(n: int, who: Identity) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(log_in(base, who, jars[n], runs, n), PAGE_TIMEOUT)
                except Exception as exc:
                    results[n].login_error = f"{type(exc).__name__}: {exc}"[:300]

        await asyncio.gather(*(login(n, who) for n, who in enumerate(people)))
    login_seconds = time.monotonic() - started
    logged_in = [n for n in range(len(people)) if results[n].login_error is None]
    all_done, done_count = asyncio.Event(), [0]
    step = plan.ramp / max(1, len(logged_in) - 1) if len(logged_in) > 1 else 0.0

    async def arrive(k: int, n: int) -> None:
        await asyncio.sleep(k * step)
        try:
            results[n] = await one_viewer(base, people[n], n, plan, runs, jars[n], all_done, done_count,
                                          len(logged_in))
        except Exception as exc:
            runs.append(Run(n, "open", time.monotonic(), 0.0, False, [f"{type(exc).__name__}: {exc}"[:300]]))
            done_count[0] += 1
            if done_count[0] >= len(logged_in):
                all_done.set()

    t0 = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(arrive(k, n) for k, n in enumerate(logged_in))), MAX_SECONDS)
    return Outcome(runs, results, login_seconds, time.monotonic() - t0)


# -- figures ------------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarise(outcome: Outcome) -> dict[str, Any]:
    page_runs = [r for r in outcome.runs if r.page in ("scorecard", "leader", "rep")]
    login_runs = [r for r in outcome.runs if r.page == "login"]
    fragments = [r for r in outcome.runs if r.page == "fragment"]
    failed = [r for r in outcome.runs if not r.ok]
    times = [r.seconds for r in page_runs if r.ok]
    figures: dict[str, Any] = {
        "viewers": len(outcome.viewers),
        "logged_in": sum(v.login_error is None for v in outcome.viewers),
        "login_errors": [v.login_error for v in outcome.viewers if v.login_error],
        "login_seconds": outcome.login_seconds,
        "seconds": outcome.seconds,
        "page_runs": len(page_runs),
        "p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times, default=None),
        "fragment_runs": len(fragments),
        "login_runs": len(login_runs),
        "fragment_p50": percentile([r.seconds for r in fragments if r.ok], 50),
        "fragment_p95": percentile([r.seconds for r in fragments if r.ok], 95),
        "errors": sum(len(r.errors) for r in failed),
        "error_samples": sorted({e for r in failed for e in r.errors})[:5],
    }
    for page in ("scorecard", "leader", "rep"):
        figures[f"{page}_p95"] = percentile([r.seconds for r in page_runs if r.page == page and r.ok], 95)
    figures["runs_per_second"] = (len(page_runs) + len(fragments)) / outcome.seconds if outcome.seconds else None
    return figures


# -- the scenarios ------------------------------------------------------------------------------

def _large_org_db() -> Path:
    db = CACHE / "large.duckdb"
    if not db.exists():
        raise SystemExit(f"{db} is missing: run `make bench` once (it builds the large org), or pass --db")
    return db


def _large_org_csvs() -> list[Path]:
    dirs = sorted((d for d in CACHE.glob("org-scale16.7-seed7-*") if (d / "done").exists()), reverse=True)
    if not dirs:
        raise SystemExit("the large org's CSVs are not in bench/cache: run `make bench` once")
    return sorted(dirs[0].glob("*.csv"))


def _fresh_copy(db: Path, folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / "scorecard.duckdb"
    shutil.copy2(db, target)
    (folder / "access.toml").write_text('executives = ["cro@example.com"]\n', encoding="utf-8")
    return target


@dataclass
class Provider:
    url: str
    process: subprocess.Popen[bytes]


def start_provider(people: Sequence[Identity], log: Path) -> Provider:
    """``oidc-provider-mock`` on 127.0.0.1 with every viewer's user (a verified e-mail address)."""
    from bench.replicas import free_port, wait_until_serving

    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for sub, email in sorted({(p.sub, p.email) for p in people}):
        args += ["--user-claims", json.dumps({"sub": sub, "email": email, "email_verified": True})]
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               env={**os.environ, "NO_COLOR": "1"}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/.well-known/openid-configuration", process, log, time.monotonic() + 60,
                       "the identity provider")
    return Provider(url, process)


def write_secrets(path: Path, public_url: str, provider_url: str) -> Path:
    """An [auth] section logging in through ``provider_url``, coming back to ``public_url``."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{public_url}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(24).hex()}"\n'
        'client_id = "scorecard"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n', encoding="utf-8")
    return path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def route_cookies(proxy_url: str, replicas: int, tries: int = 200) -> list[str]:
    """A value of the routing cookie for each replica (read from the local proxy's response header)."""
    found: dict[str, str] = {}
    for _ in range(tries):
        jar = Jar()
        value = os.urandom(16).hex()
        jar.set(proxy_url, "scorecard_route", value)
        _, headers = http("GET", f"{proxy_url}/_stcore/health", jar)
        found.setdefault(headers.get("X-Scorecard-Replica", ""), value)
        if len(found) >= replicas:
            break
    return [v for k, v in sorted(found.items()) if k]


async def warm(base: str, executive: Identity, jars: Sequence[Jar]) -> None:
    """Fill each process's caches as one executive's visit would (one jar per replica)."""
    plan = Plan(ramp=0, think=0, auto_rerun=False)
    await run_viewers(base, [executive] * len(jars), plan, jars)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU seconds the processes ``pids`` have used so far (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def scenario(kind: str, *, viewers: int, replicas: int, plan: Plan, db: Path | None = None) -> dict[str, Any]:
    """Run one scenario end to end (start, warm, measure, stop); returns its figures."""
    from bench.replicas import free_port, start_app, start_replicas, wait_until_serving

    source = db or _large_org_db()
    folder = WORK / kind
    work_db = _fresh_copy(source, folder)
    people = identities(work_db, viewers)
    provider = start_provider(people, folder / "provider.log")
    stops: list[Any] = []
    figures: dict[str, Any] = {"scenario": kind, "replicas": 1 if kind == "one" else replicas,
                               "ramp": plan.ramp, "think": plan.think}
    pids: list[int] = []
    try:
        if kind == "one":
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            secrets = write_secrets(folder / "secrets.toml", base, provider.url)
            app = start_app(port, db=work_db, secrets=secrets, log=folder / "app.log")
            stops.append(lambda: _stop(app))
            wait_until_serving(f"{base}/_stcore/health", app, folder / "app.log", time.monotonic() + 120, "the app")
            warm_jars = [Jar()]
            pids = [app.pid]
        else:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            secrets = write_secrets(folder / "secrets.toml", base, provider.url)
            running = start_replicas(replicas, db=work_db, secrets=secrets, run_dir=folder / "run", port=port,
                                     app_ports=[free_port() for _ in range(replicas)])
            stops.append(running.stop)
            pids = [p.pid for p in running.apps]
            warm_jars = []
            for value in route_cookies(base, replicas):
                jar = Jar()
                jar.set(base, "scorecard_route", value)
                warm_jars.append(jar)
        executive = next(p for p in people if p.role == "executive")
        _log(f"{kind}: warming {len(warm_jars)} process(es)")
        started = time.monotonic()
        run_coroutine(warm(base, executive, warm_jars))
        figures["warm_seconds"] = time.monotonic() - started
        app_cpu, own_cpu = cpu_seconds(pids), _own_cpu()
        figures["load_average_before"] = os.getloadavg()[0]
        if kind == "load":
            figures.update(_with_a_load(base, work_db, people, plan, folder))
        else:
            _log(f"{kind}: {viewers} viewers")
            figures.update(summarise(run_coroutine(run_viewers(base, people, plan))))
        figures["load_average_after"] = os.getloadavg()[0]
        figures["app_cpu_seconds"] = cpu_seconds(pids) - app_cpu
        figures["client_cpu_seconds"] = _own_cpu() - own_cpu
        script_runs = figures["page_runs"] + figures["fragment_runs"] + figures["login_runs"]
        figures["app_cpu_per_run"] = figures["app_cpu_seconds"] / script_runs if script_runs else None
    finally:
        for stop in reversed(stops):
            stop()
        _stop(provider.process)
    _log(f"{kind}: {json.dumps({k: v for k, v in figures.items() if k != 'error_samples'}, default=str)}")
    return figures


def _with_a_load(base: str, db: Path, people: Sequence[Identity], plan: Plan, folder: Path) -> dict[str, Any]:
    """Viewers while ``scorecard ingest`` loads the large org again, as of the next day."""
    import duckdb

    from scorecard.as_of import data_as_of

    with duckdb.connect(str(db), read_only=True) as con:
        old = data_as_of(con)
    new = (old or date.today()) + timedelta(days=1)
    watch = (f"{new.day} {new:%b %Y}", f"{new:%d %B %Y}", f"{new.day} {new:%B %Y}")
    ingest = [str(ROOT / ".venv" / "bin" / "scorecard"), "ingest", "--db", str(db), "--as-of", new.isoformat(),
              "--by", "loadtest", *map(str, _large_org_csvs())]
    if not Path(ingest[0]).exists():
        ingest[0:1] = [sys.executable, "-m", "scorecard"]

    async def go() -> dict[str, Any]:
        cycle_until, sit_until = asyncio.Event(), asyncio.Event()
        load_plan = Plan(ramp=plan.ramp, think=plan.think, cycle_until=cycle_until, sit_until=sit_until,
                         cycle_pause=5 * plan.think, sit_on="scorecard", watch=watch, auto_rerun=True,
                         seed=plan.seed)
        figures: dict[str, Any] = {"as_of_before": str(old), "as_of_loaded": str(new)}
        before = os.stat(db).st_ino
        marks: dict[str, float] = {}

        async def load() -> None:
            await asyncio.sleep(plan.ramp / 2)  # half the viewers have arrived; the others arrive during the load
            _log("load: ingest starts")
            marks["ingest_start"] = time.monotonic()
            env = {**os.environ, "SCORECARD_UPLOAD_LIMIT_MB": "4000"}
            log = (folder / "ingest.log").open("wb")
            import resource

            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            process = await asyncio.create_subprocess_exec(*ingest, stdout=log, stderr=subprocess.STDOUT,
                                                           env=env, cwd=str(ROOT))
            while process.returncode is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 0.05)
                if time.monotonic() - marks["ingest_start"] > MAX_SECONDS and process.returncode is None:
                    process.kill()  # bounded in time, like the viewers
                if "commit" not in marks and os.stat(db).st_ino != before:
                    marks["commit"] = time.monotonic()  # the new version replaced the file
            marks["ingest_end"] = time.monotonic()
            figures["ingest_exit"] = process.returncode
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            figures["ingest_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            marks.setdefault("commit_from_exit", marks["ingest_end"])
            _log(f"load: ingest ended ({process.returncode}) after {marks['ingest_end'] - marks['ingest_start']:.1f} s")
            await asyncio.sleep(30)  # pages keep opening after the commit; sitting pages get 30 s to show it
            cycle_until.set()
            await asyncio.sleep(5)
            sit_until.set()

        loader = asyncio.create_task(load())
        outcome = await run_viewers(base, people, load_plan)
        await loader
        figures.update(summarise(outcome))
        commit = marks.get("commit", marks["commit_from_exit"])
        figures["commit_seen_as"] = "file replaced" if "commit" in marks else "ingest exit"
        figures["ingest_seconds"] = marks["ingest_end"] - marks["ingest_start"]
        during = [r for r in outcome.runs if marks["ingest_start"] <= r.started <= marks["ingest_end"]]
        figures["runs_during_load"] = len(during)
        figures["errors_during_load"] = sum(len(r.errors) for r in during if not r.ok)
        sitting = [v for v in outcome.viewers if v.viewer % 2 == 1 and v.login_error is None]
        delays = [v.seen_at - commit for v in sitting if v.seen_at is not None]
        figures["sitting_pages"] = len(sitting)
        figures["sitting_saw_load"] = len(delays)
        figures["visible_p50"] = percentile(delays, 50)
        figures["visible_max"] = max(delays, default=None)
        for page in ("rep", "scorecard"):
            on = [v.seen_at - commit for v in sitting if v.sat_on == page and v.seen_at is not None]
            figures[f"visible_max_{page}"] = max(on, default=None)
            figures[f"sitting_{page}"] = sum(v.sat_on == page for v in sitting)
        return figures

    return run_coroutine(go())


# -- RESULTS.md ---------------------------------------------------------------------------------

def _s(value: Any) -> str:
    return "-" if value is None else f"{value:.2f} s" if isinstance(value, float) else str(value)


def results_section(all_figures: Sequence[Mapping[str, Any]], machine: str) -> str:
    lines = [SECTION, "",
             f"Measured {datetime.now():%Y-%m-%d %H:%M} with `make loadtest` (bench/loadtest.py) on {machine}.",
             "Each viewer logs in through the identity provider, then opens the Scorecard, a Leader and a Rep",
             "page of the large org over Streamlit's websocket (no browser); server time is from the",
             "`rerun_script` message to `script_finished`. One viewer in five is an executive, the others",
             "leaders. Pages left open rerun their live fragments as a browser does; those runs are counted",
             "apart. Caches were warmed by one executive's visit to each process first. App CPU per script run:",
             "the app processes' CPU seconds over every run they served (pages, fragments, login pages).", "",
             "| scenario | viewers | arrival | page runs | p50 | p95 | max | p95 scorecard / leader / rep"
             " | fragment runs (p95) | errors | app CPU per script run | load average before, after | target |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    names = {"one": "one process", "replicas": "{r} replicas behind nginx",
             "load": "{r} replicas behind nginx, while the large org loads"}
    for f in all_figures:
        name = names[f["scenario"]].format(r=f["replicas"])
        target = {"one": "-", "replicas": "p95 under 2 s", "load": "0 errors"}[f["scenario"]]
        arrival = "all at once" if not f["ramp"] else f"over {f['ramp']:g} s, pauses {f['think']:g} s"
        cpu = f.get("app_cpu_per_run")
        lines.append(
            f"| {name} | {f['logged_in']}/{f['viewers']} logged in | {arrival} | {f['page_runs']} | {_s(f['p50'])}"
            f" | {_s(f['p95'])} | {_s(f['max'])} | {_s(f['scorecard_p95'])} / {_s(f['leader_p95'])}"
            f" / {_s(f['rep_p95'])} | {f['fragment_runs']} ({_s(f['fragment_p95'])}) | {f['errors']}"
            f" | {_s(cpu)} | {f.get('load_average_before', 0):.1f}, {f.get('load_average_after', 0):.1f}"
            f" | {target} |")
    for f in all_figures:
        if f["scenario"] == "load":
            lines += ["", f"While the large org loaded (`scorecard ingest`, as of {f['as_of_loaded']} instead of"
                      f" {f['as_of_before']}; {_s(f['ingest_seconds'])}, {_s(f.get('ingest_cpu_seconds'))} of CPU,"
                      f" exit {f['ingest_exit']}): {f['runs_during_load']} runs during the load,"
                      f" {f['errors_during_load']} error{'' if f['errors_during_load'] == 1 else 's'}."
                      f" Pages left open ({f['sitting_pages']}: {f['sitting_rep']}"
                      f" Rep, {f['sitting_scorecard']} Scorecard) showing the new as-of date after the commit"
                      f" ({f['commit_seen_as']}): {f['sitting_saw_load']} of {f['sitting_pages']}, p50"
                      f" {_s(f['visible_p50'])}, max {_s(f['visible_max'])} (Rep {_s(f['visible_max_rep'])},"
                      f" Scorecard {_s(f['visible_max_scorecard'])}); target within 5 s."]
    samples = sorted({e for f in all_figures for e in f.get("error_samples", [])})
    logins = sorted({e for f in all_figures for e in f.get("login_errors", [])})
    if samples or logins:
        lines += ["", "Errors seen (a few; a page without `script_finished` in 120 s counts as one):", ""]
        lines += [f"- {e}" for e in (logins + samples)[:8]]
    return "\n".join(lines) + "\n"


def run_coroutine(coroutine: Any) -> Any:
    """``asyncio.run``, also from a thread whose own event loop is running (a notebook, a test
    session that drives a browser): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def write_results(section: str, path: Path = RESULTS) -> None:
    """Replace the "Many viewers" section of RESULTS.md (or add it), leaving the rest as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("" if end < 0 else "\n" + text[end + 1:])
    path.write_text(text, encoding="utf-8")


def _machine() -> str:
    import platform

    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} cores, load average {load:.1f} at the start; Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["one", "replicas", "load", "all"], default="all")
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--replicas", type=int, default=2, help="app processes behind nginx (default 2)")
    parser.add_argument("--ramp", type=float, default=30.0, help="viewers arrive over this many seconds")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between a viewer's pages (s)")
    parser.add_argument("--db", type=Path, help="the database to copy (default: the large org in bench/cache)")
    parser.add_argument("--url", help="instead: viewers without login against an app already running as a"
                                      " local install on this machine (ids from --db or $SCORECARD_DB)")
    parser.add_argument("--results", action="store_true", help="write the 'Many viewers' section of RESULTS.md")
    args = parser.parse_args(argv)
    if not 1 <= args.viewers <= MAX_VIEWERS:
        parser.error(f"--viewers between 1 and {MAX_VIEWERS}")
    plan = Plan(ramp=args.ramp, think=args.think)
    if args.url:
        check_local(args.url)
        db = args.db or Path(os.environ.get("SCORECARD_DB", ROOT / "data" / "scorecard.duckdb"))
        plan.login = False
        figures = summarise(run_coroutine(run_viewers(args.url, identities(db, args.viewers), plan)))
        print(json.dumps(figures, indent=2, default=str))
        return 0 if figures["errors"] == 0 else 1
    kinds = ["one", "replicas", "load"] if args.scenario == "all" else [args.scenario]
    machine = _machine()
    all_figures = [scenario(kind, viewers=args.viewers, replicas=args.replicas, plan=plan, db=args.db)
                   for kind in kinds]
    print(json.dumps(all_figures, indent=2, default=str))
    (CACHE / "loadtest.json").write_text(json.dumps(all_figures, indent=2, default=str), encoding="utf-8")
    if args.results:
        write_results(results_section(all_figures, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
