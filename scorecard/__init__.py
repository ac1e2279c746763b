"""The sales-leadership scorecard as a library: the same numbers the dashboard shows, one import away.

The five calls a notebook needs::

    import scorecard

    card = scorecard.open_scorecard()                    # $SCORECARD_DB or data/scorecard.duckdb
    leaders = card.leaders("2026Q3")                     # one row per leader: the eleven scores
    why = card.explain("U0013", "2026Q3", "teams")       # each metric: value, points, weight, status
    rows = card.metric_rows("U0013", "coaching_coverage", "2026Q3")   # the CRM rows behind it
    scorecard.score_heatmap(leaders).show()              # the charts the pages draw, as Plotly figures

and, to bring in more data through the same checks as ``scorecard ingest``::

    result = scorecard.ingest_files(card.store, [path], loaded_by="analyst", source="notebook")

Everything comes back as Polars frames or Plotly figures; nothing on this path imports Streamlit.
The names below are imported on first use, so ``import scorecard`` stays cheap for the command line
and the app.

- :class:`Scorecard` (``scorecard.api``): periods, scores, explanations, the rows behind a metric,
  coaching priorities, history, the org median.
- :func:`open_scorecard`: open (and, for the demo, build) a database.
- :func:`reps`, :func:`leader_team`, :func:`rep_view`: who is in the org, a leader's team and a
  rep's live view (``scorecard.drilldown``), for the reps the card's viewer may see.
- :func:`ingest_files` (``scorecard.ingest``): check and load files, with a verdict per file;
  :func:`plan_ingest` checks and previews without writing, :func:`commit_plan` then loads the plan.
- :func:`build_demo_database` (``scorecard.demo``) and :class:`Store` (``scorecard.store``).
- The charts (``scorecard.charts``): :func:`score_heatmap`, :func:`ranking_bars`,
  :func:`leader_radar`, :func:`score_history`, :func:`explanation_bars`,
  :func:`team_attainment_bars`, :func:`attainment_against_pace`, :func:`rep_against_median`,
  :func:`org_sunburst`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    import polars as pl

    from scorecard.access import Viewer
    from scorecard.api import Scorecard
    from scorecard.calendar import Period
    from scorecard.charts import (
        attainment_against_pace,
        explanation_bars,
        leader_radar,
        org_sunburst,
        ranking_bars,
        rep_against_median,
        score_heatmap,
        score_history,
        team_attainment_bars,
    )
    from scorecard.demo import build_demo_database
    from scorecard.drilldown import RepView
    from scorecard.ingest import commit_plan, ingest_files, plan_ingest
    from scorecard.metrics import DIMENSIONS, METRICS, ROLES, SCORES
    from scorecard.settings import Settings
    from scorecard.store import LoadRecord, Store

__all__ = [
    "DIMENSIONS", "METRICS", "PROJECT_ROOT", "ROLES", "SCORES", "LoadRecord", "Period", "RepView",
    "Scorecard", "Settings", "Store", "Viewer", "attainment_against_pace", "build_demo_database", "commit_plan",
    "database_path", "explanation_bars", "ingest_files", "plan_ingest", "leader_radar", "leader_team", "open_scorecard",
    "org_sunburst", "ranking_bars", "rep_against_median", "rep_view", "reps", "score_heatmap",
    "score_history", "team_attainment_bars",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout the package was installed from (editable install): where ``make`` runs."""

_CHARTS = ("attainment_against_pace", "explanation_bars", "leader_radar", "org_sunburst", "ranking_bars",
           "rep_against_median", "score_heatmap", "score_history", "team_attainment_bars")

# Public name -> the module that defines it, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "Scorecard": "scorecard.api",
    "Store": "scorecard.store",
    "LoadRecord": "scorecard.store",
    "build_demo_database": "scorecard.demo",
    "ingest_files": "scorecard.ingest",
    "plan_ingest": "scorecard.ingest",
    "commit_plan": "scorecard.ingest",
    "Period": "scorecard.calendar",
    "Viewer": "scorecard.access",
    "Settings": "scorecard.settings",
    "RepView": "scorecard.drilldown",
    "SCORES": "scorecard.metrics",
    "ROLES": "scorecard.metrics",
    "DIMENSIONS": "scorecard.metrics",
    "METRICS": "scorecard.metrics",
    **dict.fromkeys(_CHARTS, "scorecard.charts"),
}


# Submodules a notebook may reach as ``scorecard.charts`` etc. without importing them first.
_SUBMODULES = ("api", "charts", "demo", "drilldown", "ingest", "metrics", "org", "store")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"scorecard.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scorecard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def database_path(db: str | Path | None = None) -> Path:
    """The database a notebook means: ``db`` if given, else ``$SCORECARD_DB``, else the default.

    A relative ``SCORECARD_DB`` is read from the project root, where ``make`` runs, because a
    notebook's kernel starts in ``notebooks/``: ``make notebook`` and ``make run`` then open the
    same file. A relative ``db`` passed here is taken from the current directory, as usual.
    """
    if db is not None:
        return Path(db)
    configured = os.environ.get("SCORECARD_DB")
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path
    from scorecard.settings import get_settings

    return get_settings().db


def open_scorecard(db: str | Path | None = None, *, build_demo: bool = True, viewer: Viewer | None = None,
                   as_email: str | None = None, settings: Settings | None = None,
                   today: date | None = None) -> Scorecard:
    """Open the scorecard database at :func:`database_path` (``db``).

    With ``build_demo`` (the default) a database that does not exist yet is built from the demo org
    first, which takes about half a minute at the demo scale. By default the card sees everyone, as
    the local install does; ``as_email`` shows what that person would see when logged in (their own
    subtree by the CRM hierarchy, everyone for an executive named in the access file), and
    ``viewer`` sets the viewer directly.
    """
    from scorecard.access import AccessPolicy, viewer_for_email
    from scorecard.api import Scorecard
    from scorecard.settings import get_settings

    path = database_path(db)
    settings = settings or get_settings()
    if not path.exists():
        if not build_demo:
            raise FileNotFoundError(f"no scorecard database at {path}")
        from scorecard.demo import build_demo_database
        from scorecard.store import Store

        store = Store(path, archive_dir=settings.archive_dir, reporting_currency=settings.reporting_currency)
        build_demo_database(store, progress=lambda message: print(message, flush=True))
    card = Scorecard.open(path, viewer=viewer, settings=settings, today=today)
    if as_email is not None and viewer is None:
        policy = AccessPolicy.from_file(settings.access_file or path.parent / "access.toml")
        with card.store.reader() as con:
            card.viewer = viewer_for_email(con, as_email, policy)
    return card


def reps(card: Scorecard) -> pl.DataFrame:
    """Everyone the card's viewer may see: rep_id, rep_name, manager, role, region, level, team size.

    Leaders have ``team_size > 0``; ``has_left`` marks leavers.
    """
    from scorecard import org

    with card.store.reader() as con:
        return org.org_people(con, card.viewer.visible_reps)


def leader_team(card: Scorecard, leader_id: str, period: str | Period | None = None) -> pl.DataFrame:
    """The leader's whole team for ``period`` (default: the current quarter), as the leader page
    shows it: each rep's metrics as the score computes them (``quota_attainment``,
    ``stalled_deal_rate``, ...) and the display figures (``attainment_full_period``,
    ``open_pipeline``, ...); see :meth:`Scorecard.leader_team`."""
    return card.leader_team(leader_id, period)


def rep_view(card: Scorecard, rep_id: str, period: str | Period | None = None) -> RepView:
    """One rep's live view, as the rep page shows it: profile, ``figures``, this week's activity
    feed, open deals with risk flags (``.deals``), target accounts, won against pace, and the rep
    against the team median. Raises ``KeyError`` when the viewer may not see the rep; see
    :meth:`Scorecard.rep_view`."""
    return card.rep_view(rep_id, period)
