"""``scorecard score`` and ``scorecard explain``: the scores and their explanation on the command line.

    scorecard score --db PATH [--period 2026Q3] [--format table|csv|json]
        (default period: the quarter of the data's as-of date, which it names)
    scorecard explain --db PATH --leader ID [--period 2026Q3] [--score teams] [--format table|csv|json]
    scorecard explain --db PATH --leader ID --metric stalled_deal_rate     # the CRM rows behind it
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scorecard import cli
from scorecard.metrics import METRICS, SCORES

if TYPE_CHECKING:  # imported where the commands run, so that `scorecard --help` answers at once
    import polars as pl

    from scorecard.api import Scorecard
    from scorecard.calendar import Period

FORMATS = ("table", "csv", "json")

_SHORT = {
    "overall": "overall", "company_leader": "company", "customer_champion": "customer",
    "process_guru": "process", "organization_architect": "org", "course_corrector": "course",
    "strategic": "S", "measurable": "M", "action": "A", "relationships": "R", "teams": "T",
}


def _open(args: argparse.Namespace) -> Scorecard:
    from scorecard.api import Scorecard
    from scorecard.settings import get_settings

    settings = get_settings()
    db = Path(args.db) if args.db else settings.db
    if not db.exists():
        raise SystemExit(f"error: no database at {db} (build one with `scorecard demo --db {db}`)")
    try:
        as_of = date.fromisoformat(args.as_of) if getattr(args, "as_of", None) else None
    except ValueError:
        raise SystemExit(f"error: --as-of {args.as_of!r} is not a date like 2023-12-29") from None
    return Scorecard.open(db, settings=settings, today=as_of)


def _write(frame: pl.DataFrame, fmt: str, table: Callable[[pl.DataFrame], str]) -> None:
    if fmt == "csv":  # opened in a spreadsheet: a CRM name written as a formula stays text
        from scorecard.export import neutralised

        sys.stdout.write(neutralised(frame).write_csv())
    elif fmt == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=2) + "\n")
    else:
        sys.stdout.write(table(frame) + "\n")


def score_frame(card: Scorecard, period: str | None) -> pl.DataFrame:
    """One row per leader: id, name, level, overall, the five roles, the five SMART dimensions, then
    how much of each score's weight was scored (``<score>_coverage``, 0-1), the overall coverage in
    words and ``thin_coverage``. Leaders on thin coverage come after the others."""
    import polars as pl

    from scorecard.scoring import coverage_wide

    scored = card.scored(period)  # no change column here, so the previous period is not computed
    assert scored.coverage is not None
    return (
        scored.leaders.join(scored.scores, on="leader_id", how="left")
        .join(coverage_wide(scored.coverage, card.rubric), on="leader_id", how="left")
        .with_columns(pl.col("thin_coverage").fill_null(True))
        .sort(["thin_coverage", "overall", "leader_id"], descending=[False, True, False], nulls_last=True)
        .select("leader_id", "leader_name", "level", *[pl.col(s).round(1) for s in SCORES],
                "coverage", "thin_coverage", *[pl.col(f"{s}_coverage").round(2) for s in SCORES])
    )


def _score_table(frame: pl.DataFrame) -> str:
    header = (f"{'leader':<7} {'name':<20} {'lvl':>3} " + " ".join(f"{_SHORT[s]:>8}" for s in SCORES)
              + "  coverage of the overall score")
    lines = [header, "-" * len(header)]
    for row in frame.iter_rows(named=True):
        cells = " ".join(f"{'-' if row[s] is None else f'{row[s]:.0f}':>8}" for s in SCORES)
        thin = "  THIN: not ranked as complete" if row["thin_coverage"] else ""
        lines.append(f"{row['leader_id']:<7} {row['leader_name'][:20]:<20} {row['level']:>3} {cells}"
                     f"  {row['coverage'] or '-'}{thin}")
    lines.append("")
    lines.append("company = Company leader, customer = Customer champion, process = Process guru,"
                 " org = Organization architect, course = Course corrector;")
    lines.append("S M A R T = Strategic, Measurable, Action, Relationships, Teams. Scores 0-100,"
                 " '-' = not enough data.")
    lines.append("Coverage: how many of the five roles were scored and how much of their weight; a leader"
                 " scored on little of it is marked THIN and listed after the others.")
    return "\n".join(lines)


def period_line(card: Scorecard, period: Period, chosen: bool, leaders: int, *, as_of_given: bool = False) -> str:
    """What was scored, in words: the period, its dates, whether it is in progress, and why it was
    the one scored."""
    from scorecard.as_of import format_as_of

    status = card.period_status(period)
    source = "the as-of date given" if as_of_given else "the data's as-of date"
    why = "" if chosen else f", the quarter of {source} ({format_as_of(card.today)[len('Data as of '):]})"
    return (f"Scores for {period.label} ({_day(period.start)} to {_day(period.end)}, {status}){why},"
            f" {leaders} leaders")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def cmd_score(args: argparse.Namespace) -> int:
    card = _open(args)
    period = card.period(args.period)
    frame = score_frame(card, period.label)
    line = period_line(card, period, args.period is not None, frame.height, as_of_given=bool(args.as_of))
    # the period is always named: on stdout beside the table, on stderr when stdout is csv or json
    print(line, file=sys.stdout if args.format == "table" else sys.stderr)
    _write(frame, args.format, _score_table)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import polars as pl

    from scorecard.explain import format_explanation

    card = _open(args)
    period = card.period(args.period)
    if args.metric:
        return _print_rows(card, args, period.label)
    try:
        frame = card.explain(args.leader, period.label, args.score)
        scores = card.scores_of(args.leader, period.label)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.format != "table":
        _write(frame, args.format, str)
        return 0
    leaders = card.scored(period.label).leaders
    name = leaders.filter(pl.col("leader_id") == args.leader)["leader_name"].to_list()
    overall = card.coverage(period.label).filter((pl.col("leader_id") == args.leader)
                                                 & (pl.col("score") == "overall"))["coverage"].to_list()
    print(f"{args.leader} {name[0] if name else ''}, {period.label} ({card.period_status(period)}):"
          f" overall {_fmt(scores['overall'])}" + (f" ({overall[0]})" if overall else ""))
    print(format_explanation(frame, scores))
    priorities = card.coaching_priorities(args.leader, period.label)
    if priorities.height:
        print("\nCoaching priorities (overall points each would add at target):")
        for row in priorities.iter_rows(named=True):
            print(f"  {row['metric_label']:<46} +{row['gain']:.1f}")
    return 0


def _print_rows(card: Scorecard, args: argparse.Namespace, period: str) -> int:
    """The CRM rows behind one metric of one leader."""
    import polars as pl

    try:
        rows = card.metric_rows(args.leader, args.metric, period)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.format == "table":
        print(f"{args.leader}, {period}: {METRICS[args.metric].label}, {rows.height} rows behind it")
        with pl.Config(tbl_rows=50, tbl_cols=12, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
            print(rows)
        return 0
    _write(rows, args.format, str)
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def register(sub: argparse._SubParsersAction, with_db: Callable[..., argparse.ArgumentParser]) -> None:
    score = with_db(sub.add_parser("score", help="score every leader for a period"))
    score.add_argument("--period", help="fiscal quarter like 2026Q3 (default: the quarter of the data's"
                                        " as-of date)")
    score.add_argument("--format", choices=FORMATS, default="table")
    score.add_argument("--as-of", dest="as_of", metavar="DATE",
                       help="measure as of this date (YYYY-MM-DD) instead of the data's as-of date")

    explain = with_db(sub.add_parser("explain", help="explain one leader's scores down to the metrics"))
    explain.add_argument("--leader", required=True, help="the leader's rep_id")
    explain.add_argument("--period", help="fiscal quarter like 2026Q3 (default: the quarter of the data's"
                                          " as-of date)")
    explain.add_argument("--score", choices=list(SCORES), help="one score only (default: all)")
    explain.add_argument("--metric", choices=list(METRICS),
                         help="print the CRM rows behind this metric instead (deals, activities, reps)")
    explain.add_argument("--format", choices=FORMATS, default="table")
    explain.add_argument("--as-of", dest="as_of", metavar="DATE",
                         help="measure as of this date (YYYY-MM-DD) instead of the data's as-of date")


if register not in cli._EXTENSIONS:
    cli._EXTENSIONS.append(register)
cli.COMMANDS["score"] = cmd_score
cli.COMMANDS["explain"] = cmd_explain
