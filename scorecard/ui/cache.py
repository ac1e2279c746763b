"""The data and the scores as the pages get them: one cache, shared by every session, keyed on the
data version.

Pages call one typed function per thing they show (:func:`scored`, :func:`explanation`,
:func:`leader_team`, :func:`rep_view`, ...). Each result is kept once in Streamlit's resource cache,
which every session of the process shares, under a key made of the data version (the newest load,
so a new load shows up without a restart), the rubric in force and the reps the viewer may see:
two leaders who may see the same reps share their entries, and nothing is keyed on an e-mail.

Under them, :class:`scorecard.api.Scorecard` scores the whole org once per data version, period,
rubric and as-of date, and filters for each viewer; the app's :class:`_SharedScores` keeps those
whole-org results in the same Streamlit cache (a shelf of their own, so the many small results of
viewers do not push them out). One rubric keeper serves every Scorecard of the app.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from scorecard import drilldown, org
from scorecard.access import AccessPolicy, Viewer, local_viewer, viewer_for_email
from scorecard.api import ScoreCache, Scorecard, Shelf, reps_key, rubric_key
from scorecard.calendar import Period
from scorecard.drilldown import RepView
from scorecard.metrics import ROLES
from scorecard.rubric import Rubric, RubricKeeper, rubric_file
from scorecard.settings import Settings, get_settings
from scorecard.store import Store

T = TypeVar("T")

NOBODY = Viewer(email=None, rep_id=None, visible_reps=(), can_upload=False, is_executive=False)
"""The viewer of what is the same for everyone (the periods, the product lines, the switched-off
metrics): they name no one."""


# -- settings, store, data version -------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner=False)
def store() -> Store:
    s = settings()
    from scorecard.inbox import start_inbox_watcher

    if s.inbox_watch:
        start_inbox_watcher(s.db, s.resolved_inbox_dir())  # files dropped in the inbox load by themselves
    return Store(s.db, archive_dir=s.archive_dir, reporting_currency=s.reporting_currency)


_VERSIONS: dict[tuple[str, tuple[int, int, int] | None], int] = {}
"""The data version of each database file seen: (the database, its ``Store.version_stamp``) -> load id."""
_VERSIONS_LOCK = threading.Lock()


def data_version() -> int:
    """Id of the newest load; every result below is keyed on it.

    Costs one ``stat`` of the database file: every load or restore puts a new file in place
    (``Store.writing``), so the load id is read from the database only when the file is another one,
    once for the whole process, and a new load shows up at the next page run or live poll."""
    s = store()
    stamp = s.version_stamp()
    key = (str(s.path), stamp)
    found = _VERSIONS.get(key)
    if found is None:
        # read after the stamp: the id is that file's, or a newer one's if it was replaced meanwhile
        # (never older), and that newer file has a stamp of its own that is read again at once
        found = s.data_version() if stamp is not None else 0
        with _VERSIONS_LOCK:
            if len(_VERSIONS) >= 64:
                _VERSIONS.clear()
            _VERSIONS[key] = found
    return found


@st.cache_resource(show_spinner=False, max_entries=16)
def _data_as_of(version: int, db: str) -> date | None:
    from scorecard.as_of import data_as_of as read_as_of

    with store().reader() as con:
        return read_as_of(con)


def data_as_of() -> date | None:
    """The as-of date of the data in force (None for an empty database), once per data version."""
    return _data_as_of(data_version(), str(settings().db))


def today() -> date:
    """"Now" on every page: the data's as-of date, never the machine's clock (which only an empty
    database falls back on)."""
    return data_as_of() or date.today()


def currency() -> str:
    """The reporting currency every amount is in."""
    return settings().reporting_currency


# -- the rubric in force ----------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _rubric_keeper() -> RubricKeeper:
    """The one rubric keeper of the app: it re-reads an edited rubric file and keeps the last good one."""
    return RubricKeeper.for_settings(settings())


def rubric_in_force() -> tuple[Rubric, str | None]:
    """(the rubric in force, why an edited rubric file was refused or None)."""
    keeper = _rubric_keeper()
    rubric = keeper.current()
    error = keeper.error
    if error and keeper.path is not None:  # the page says what is wrong, not where the server keeps it
        error = error.replace(str(keeper.path), "the edited rubric file")
    return rubric, error


def rubric_source() -> str:
    """Which rubric is in force, in words (never the server's file path)."""
    path, optional = rubric_file(settings())
    if optional and not path.exists():
        return "the rubric shipped with the scorecard"
    return "the rubric edited for this scorecard (the rubric setting)"


def save_product_lines(who: Viewer, strategic: list[str], bundles: list[str]) -> None:
    """Save the strategic and bundle product lines to the rubric file; every score uses them from
    the next page run on (the rubric is part of every key)."""
    card_for(who).set_product_lines(strategic=strategic, bundles=bundles)
    _rubric_keeper().current()


# -- the one cache -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Entry:
    """A result as Streamlit's cache keeps it, with its key and the index it is listed in."""

    key: tuple[Any, ...]
    value: Any
    index: dict[tuple[Any, ...], _Entry]


_ORG_INDEX: dict[tuple[Any, ...], _Entry] = {}
_VIEWER_INDEX: dict[tuple[Any, ...], _Entry] = {}
"""The entries of each of Streamlit's caches below, by key: a page run finds a kept result with one
dictionary lookup instead of Streamlit's hashing of the key (about 0.2 ms, twenty-odd times a
Leader page). Streamlit's cache stays the owner: an entry it lets go (evicted, or every cache
cleared) leaves its index with it (``_let_go``), and a key not listed asks Streamlit's cache, which
computes a missing result once however many sessions ask at the same time."""


def _let_go(entry: _Entry) -> None:
    if entry.index.get(entry.key) is entry:
        entry.index.pop(entry.key, None)


@st.cache_resource(show_spinner=False, max_entries=48, on_release=_let_go)
def _org_entry(key: tuple[Any, ...], _compute: Callable[[], Any]) -> _Entry:
    """The whole org's results (``ScoreCache``'s shelves, the org's open deals...): few, large, and
    shared by every viewer."""
    return _Entry(key, _compute(), _ORG_INDEX)


@st.cache_resource(show_spinner=False, max_entries=512, on_release=_let_go)
def _viewer_entry(key: tuple[Any, ...], _compute: Callable[[], Any]) -> _Entry:
    """What viewers see: one entry per (what, data version, rubric, visible reps, arguments)."""
    return _Entry(key, _compute(), _VIEWER_INDEX)


def _looked_up(index: dict[tuple[Any, ...], _Entry], cached: Callable[..., _Entry], key: tuple[Any, ...],
               compute: Callable[[], Any]) -> Any:
    found = index.get(key)
    if found is None:
        found = cached(key, _compute=compute)
        index[key] = found
    return found.value


def _org_result(key: tuple[Any, ...], _compute: Callable[[], Any]) -> Any:
    return _looked_up(_ORG_INDEX, _org_entry, key, _compute)


def _viewer_result(key: tuple[Any, ...], _compute: Callable[[], Any]) -> Any:
    return _looked_up(_VIEWER_INDEX, _viewer_entry, key, _compute)


class _SharedScores(ScoreCache):
    """``Scorecard``'s whole-org results, kept in Streamlit's cache that every session shares."""

    def remember(self, shelf: Shelf, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        return cast(T, _org_result((shelf, *key), _compute=compute))


_SHARED_SCORES = _SharedScores()


@functools.lru_cache(maxsize=256)
def _reps_key(reps: tuple[str, ...]) -> str:
    return reps_key(reps)


def card_for(who: Viewer) -> Scorecard:
    """A Scorecard for the viewer (cheap: the whole org's scores are in the shared cache)."""
    return Scorecard(store(), settings(), who, today=today(), rubric=_rubric_keeper(), cache=_SHARED_SCORES)


def whole_org() -> Viewer:
    """Everyone in the reps extract, once per data version: the viewer whose Scorecard reads the org's
    shared results as they are, nothing filtered out. What is the same whoever looks is made with
    it once and kept for each viewer's part (a leader's rows, a team's members)."""
    return viewer_for(None, None)


@functools.lru_cache(maxsize=256)
def _visible(reps: tuple[str, ...]) -> frozenset[str]:
    return frozenset(reps)


def _sees_whole_org(who: Viewer) -> bool:
    everyone = whole_org().visible_reps
    return who.visible_reps is everyone or _visible(who.visible_reps) == _visible(everyone)


def _sees(who: Viewer, person_id: str) -> bool:
    return person_id in _visible(who.visible_reps)


def kept(what: str, who: Viewer | None, args: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per (what, data version, rubric, the viewer's reps, args); ``who`` None
    for what is the same for every viewer."""
    reps = "" if who is None else _reps_key(who.visible_reps)
    key = (what, data_version(), rubric_key(_rubric_keeper().current()), reps, *args)
    return cast(T, _viewer_result(key, _compute=compute))


# -- charts drawn once --------------------------------------------------------------------------------

class _DrawnFigure(go.Figure):
    """A figure drawn once and shown to many: ``st.plotly_chart`` asks a figure for its dict on every
    page run (a deep copy, with Plotly's checks); this one hands out the dict it was drawn as. It must
    not be changed once drawn (it is shared by every session)."""

    _drawn: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self._drawn


def _drawn(figure: go.Figure) -> go.Figure:
    drawn = figure.to_dict()
    figure.__class__ = _DrawnFigure
    figure._drawn = drawn
    return figure


def chart(what: str, who: Viewer | None, args: tuple[Any, ...], draw: Callable[[], go.Figure]) -> go.Figure:
    """The figure ``draw()`` makes, drawn once per (what, data version, rubric, the viewer's reps,
    args) for every session, as the results it shows are (``kept``); ``args`` must name everything the
    figure depends on besides those (the period, the filters, the leader...). A page run then costs
    Plotly's JSON of the figure, not the drawing: pass it to ``st.plotly_chart`` as it is."""
    return kept(f"chart:{what}", who, args, lambda: _drawn(draw()))


# -- who is looking ----------------------------------------------------------------------------------

def viewer_for(email: str | None, policy: AccessPolicy | None) -> Viewer:
    """The viewer a verified e-mail address makes under the access file ``policy``; ``policy`` None
    is the local install, who sees everyone. Once per data version (the reps extract) and access
    file content (read again on every page run by ``auth``)."""
    def compute() -> Viewer:
        with store().reader() as con:
            return local_viewer(con) if policy is None else viewer_for_email(con, email, policy)

    return kept("viewer", None, (email, None if policy is None else policy.fingerprint), compute)


# -- what the pages show ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodChoice:
    """The quarters a page offers: those the data covers, and which is the quarter of the as-of date."""

    labels: list[str]
    """Newest first."""
    current: str
    """The quarter of the as-of date: the default everywhere."""
    running: str | None
    """The quarter of the as-of date while the data does not reach its end (it is "in progress")."""

    def name(self, label: str) -> str:
        """``2023Q4 (in progress)`` for the quarter that runs, else the label."""
        return f"{label} (in progress)" if label == self.running else label


def periods() -> PeriodChoice:
    """The quarters the data covers (a deal or an activity) up to the quarter of the as-of date."""
    def compute() -> PeriodChoice:
        card = card_for(NOBODY)
        current = card.current_period()
        running = current.label if card.today < current.end else None
        labels = sorted((p.label for p in card.periods()), reverse=True)
        return PeriodChoice(labels, current.label, running)

    return kept("periods", None, (), compute)


@dataclass(frozen=True)
class ScoredPeriod:
    """A period scored for a viewer: every leader they may see and the whole org's median."""

    period: Period
    leaders: pl.DataFrame
    """``Scorecard.leaders``: one row per visible leader, the eleven scores, their change, coverage."""
    median: dict[str, float]
    """The whole org's median of each score (NaN when none is scored), whoever looks."""
    status: str
    """``complete``, or ``in progress: 46 of 92 days, to 15 Nov 2023``."""

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def in_progress(self) -> bool:
        return self.status != "complete"

    def matching(self, region: str | None = None, level: int | None = None) -> pl.DataFrame:
        """The leaders of one region and/or level (None: any)."""
        frame = self.leaders
        if region is not None:
            frame = frame.filter(pl.col("region") == region)
        if level is not None:
            frame = frame.filter(pl.col("level") == level)
        return frame

    def leader(self, leader_id: str) -> dict[str, Any] | None:
        """One leader's row, or None when the viewer may not see them (or no one has that id)."""
        found = self.leaders.filter(pl.col("leader_id") == leader_id)
        return found.row(0, named=True) if found.height else None


def scored(who: Viewer, period: str | None) -> ScoredPeriod:
    """The period (the quarter of the as-of date when None) scored for the viewer: the whole org's
    leaders, scored once per data version, kept for those the viewer may see (a leader's row is the
    same whoever looks)."""
    everyone = whole_org()

    def compute() -> ScoredPeriod:
        card = card_for(everyone)
        target = card.period(period)
        return ScoredPeriod(target, card.leaders(target), card.org_median(target), card.period_status(target))

    org_scored = kept("scored", everyone, (period,), compute)
    if _sees_whole_org(who):
        return org_scored

    def mine() -> ScoredPeriod:
        visible = pl.Series(list(who.visible_reps), dtype=pl.String).implode()
        return ScoredPeriod(org_scored.period, org_scored.leaders.filter(pl.col("leader_id").is_in(visible)),
                            org_scored.median, org_scored.status)

    return kept("scored", who, (period,), mine)


def _of_leader(what: str, who: Viewer, leader_id: str, args: tuple[Any, ...],
               compute: Callable[[Scorecard], T]) -> T:
    """``compute(card)`` of one leader, the same whoever looks: made once per data version for every
    viewer who may see the leader, on the whole org's card (nothing filtered for a viewer); a
    viewer who may not see the leader asks their own card, which says so (``KeyError``) as it always
    did."""
    if not _sees(who, leader_id):
        return kept(what, who, (leader_id, *args), lambda: compute(card_for(who)))
    return kept(f"{what}:leader", None, (leader_id, *args), lambda: compute(card_for(whole_org())))


def explanation(who: Viewer, leader_id: str, period: str | None, score: str) -> pl.DataFrame:
    """``Scorecard.explain`` for one score; for the overall score, the metrics of the five CSO roles
    (the overall score is their mean, the SMART dimensions do not count in it)."""
    def compute(card: Scorecard) -> pl.DataFrame:
        if score != "overall":
            return card.explain(leader_id, period, score)
        return card.explain(leader_id, period, None).filter(pl.col("score").is_in(list(ROLES)))

    return _of_leader("explanation", who, leader_id, (period, score), compute)


def metric_rows(who: Viewer, leader_id: str, metric: str, period: str | None) -> pl.DataFrame:
    """The CRM rows behind one metric of one leader."""
    return kept("metric_rows", who, (leader_id, metric, period),
                lambda: card_for(who).metric_rows(leader_id, metric, period))


def coaching_priorities(who: Viewer, leader_id: str, period: str | None) -> pl.DataFrame:
    """The three metrics whose improvement to target would raise the leader's overall score most."""
    return _of_leader("coaching_priorities", who, leader_id, (period,),
                      lambda card: card.coaching_priorities(leader_id, period))


def history(who: Viewer, leader_id: str) -> pl.DataFrame:
    """The leader's scores for the last eight quarters that have data, oldest first."""
    return _of_leader("history", who, leader_id, (), lambda card: card.history(leader_id))


def leader_team(who: Viewer, leader_id: str, period: str | None) -> pl.DataFrame:
    """The leader's team, one row per visible member, each figure as the score computes it: the
    whole team's rows made once per data version, kept for the members the viewer may see."""
    whole = kept("leader_team:whole", None, (leader_id, period),
                 lambda: card_for(whole_org()).leader_team(leader_id, period))
    if _sees_whole_org(who):
        return whole

    def mine() -> pl.DataFrame:
        return whole.filter(pl.col("rep_id").is_in(pl.Series(list(who.visible_reps), dtype=pl.String).implode()))

    return kept("leader_team", who, (leader_id, period), mine)


def rep_view(who: Viewer, rep_id: str, period: str | None) -> RepView | None:
    """One rep's live view (``Scorecard.rep_view``), or None when the viewer may not see the rep; the
    rep's open deals and target accounts are cut from the org's (:func:`org_open_deals`,
    :func:`org_target_accounts`)."""
    def compute() -> RepView | None:
        card = card_for(who)
        deals, targets = org_open_deals(), org_target_accounts()
        with store().reader() as con:  # held open, the readers the scoring opens reuse its database
            figures = card.team_figures(period)
            return drilldown.rep_view(con, rep_id, who.visible_reps, figures.period, card.today, figures=figures,
                                      org_deals=deals, org_targets=targets)

    return kept("rep_view", who, (rep_id, period), compute)


def org_open_deals() -> pl.DataFrame:
    """Every deal of the org open on the as-of date, with its risk flags and reasons, most urgent
    first (``drilldown.org_open_deals``): made once per data version for the whole org (one scan of
    the activity history), what each viewer's deals at risk are cut from."""
    as_of = today()

    def compute() -> pl.DataFrame:
        with store().reader() as con:
            return drilldown.org_open_deals(con, as_of)

    return cast(pl.DataFrame, _org_result(("open_deals", data_version(), as_of), _compute=compute))


def org_target_accounts() -> pl.DataFrame:
    """Every rep's target accounts with the rep's touches up to the as-of date
    (``drilldown.org_target_accounts``): made once per data version for the whole org, what each Rep
    page's are cut from."""
    as_of = today()

    def compute() -> pl.DataFrame:
        with store().reader() as con:
            return drilldown.org_target_accounts(con, as_of)

    return cast(pl.DataFrame, _org_result(("target_accounts", data_version(), as_of), _compute=compute))


def switched_off() -> pl.DataFrame:
    """The metrics the data cannot support in the quarter of the as-of date, and what would switch
    each on."""
    return kept("switched_off", None, (), lambda: card_for(NOBODY).switched_off())


def product_lines() -> list[str]:
    """The product lines the deals carry, most used first."""
    return kept("product_lines", None, (), lambda: card_for(NOBODY).product_lines())


def people(who: Viewer) -> pl.DataFrame:
    """Everyone the viewer may see (``org.org_people``), for pickers."""
    def compute() -> pl.DataFrame:
        with store().reader() as con:
            return org.org_people(con, who.visible_reps)

    return kept("people", who, (), compute)


def org_overview(who: Viewer) -> org.OrgOverview:
    """The viewer's part of the org; the whole org's row counts and the load history only for a
    viewer who sees the whole org's data (``Viewer.sees_whole_org_data``)."""
    whole_org = who.sees_whole_org_data

    def compute() -> org.OrgOverview:
        s = store()
        loads = s.loads() if whole_org else None
        with s.reader() as con:
            return org.org_overview(con, who.visible_reps, loads, whole_org=whole_org)

    return kept("org_overview", who, (whole_org,), compute)


def data_quality(who: Viewer) -> org.DataQuality:
    """The latest checks, the flagged rows and the column fill: the whole org's for a viewer who sees
    the whole org's data, else no checks and only their people's rows."""
    whole_org = who.sees_whole_org_data

    def compute() -> org.DataQuality:
        with store().reader() as con:
            return org.data_quality(con, None if whole_org else who.visible_reps)

    return kept("data_quality", who, (whole_org,), compute)


def extract_rows() -> pl.DataFrame:
    """The rows each extract holds (extract, rows, optional, description)."""
    def compute() -> pl.DataFrame:
        with store().reader() as con:
            return org.extract_rows(con)

    return kept("extract_rows", None, (), compute)



@st.cache_resource(show_spinner=False, max_entries=16)
def _loaded_at(version: int, db: str) -> date | None:
    loads = store().loads().filter(pl.col("load_id") == version)
    return loads["loaded_at"][0] if loads.height else None


def last_loaded_at() -> date | None:
    """When the load in force landed (a datetime, UTC), None for an empty database: the TV's "updated" time."""
    return _loaded_at(data_version(), str(settings().db))


def team_deals_at_risk(who: Viewer, leader_id: str, period: str | None) -> pl.DataFrame:
    """The deals at risk of everyone below the leader whom the viewer may see (the whole team, every
    level, as :func:`leader_team` lists it for the period), most urgent first, with their reasons in
    words (``drilldown.team_deals_at_risk``), measured on the as-of date."""
    def compute() -> pl.DataFrame:
        team = leader_team(who, leader_id, period)
        return drilldown.team_deals_at_risk_among(org_open_deals(), team, who.visible_reps)

    return kept("team_deals_at_risk", who, (leader_id, period), compute)
