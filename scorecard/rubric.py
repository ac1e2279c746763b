"""The rubric: weights, bands, minimum samples and named product lines, read from ``rubric.toml``.

The package ships ``scorecard/rubric.toml`` with sourced defaults; a sales-ops team may point the
``SCORECARD_RUBRIC`` setting at an edited copy. An edited rubric that is malformed (bad TOML, an
unknown metric or score, a negative weight, a band whose floor equals its target, ...) is refused
with a message naming the line and key, and :class:`RubricKeeper` keeps the last good one in force.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scorecard import format
from scorecard.metrics import METRICS, ROLES, SCORES

if TYPE_CHECKING:
    from scorecard.settings import Settings

DEFAULT_RUBRIC = Path(__file__).resolve().parent / "rubric.toml"
SAVED_RUBRIC_NAME = "rubric.toml"
"""Where a rubric edited in the app is saved when the ``rubric`` setting names no file: beside the
database."""

Method = Literal["band", "range", "percentile"]


class RubricError(ValueError):
    """A rubric that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class Band:
    """How one metric's value becomes points 0-100, and how much data it needs."""

    metric: str
    method: Method
    min_sample: int
    source: str
    floor: float | None = None
    target: float | None = None
    target_high: float | None = None
    floor_high: float | None = None

    def points(self, value: float) -> float:
        """Points for a value (band and range methods; percentile needs the peers)."""
        if self.floor is None or self.target is None:
            raise ValueError(f"{self.metric} is scored by percentile among peers, not by a band")
        if self.method == "range" and self.target_high is not None and self.floor_high is not None:
            if value > self.target_high:
                return _clamp((self.floor_high - value) / (self.floor_high - self.target_high))
            if value >= self.target:
                return 100.0
        return _clamp((value - self.floor) / (self.target - self.floor))

    def describe(self) -> str:
        """The band as the methodology page shows it, in the metric's unit."""
        unit = METRICS[self.metric].unit
        if self.method == "percentile":
            return "percentile among peer leaders at the same level"
        if self.method == "range":
            return (f"0 at {format.value(self.floor, unit)}, 100 from {format.value(self.target, unit)} to"
                    f" {format.value(self.target_high, unit)}, 0 again at {format.value(self.floor_high, unit)}")
        return f"0 at {format.value(self.floor, unit)}, 100 at {format.value(self.target, unit)}"


def _clamp(share: float) -> float:
    return 100.0 * min(1.0, max(0.0, share))


@dataclass(frozen=True)
class ScoreWeights:
    score: str
    weights: dict[str, float]
    source: str


@dataclass(frozen=True)
class Coverage:
    """When a score rests on too little of its weight, and when a column counts as not exported."""

    thin_below: float = 0.5
    """A leader whose overall score rests on less than this share of the weight is marked thin."""
    mostly_blank: float = 0.5
    """A needed column blank on more than this share of its rows switches its metrics off."""
    source: str = ""


@dataclass(frozen=True)
class Rubric:
    bands: dict[str, Band]
    scores: dict[str, ScoreWeights]
    strategic_lines: tuple[str, ...]
    bundle_lines: tuple[str, ...]
    product_lines_source: str
    path: Path | None = None
    coverage: Coverage = Coverage()

    def product_lines(self, which: str) -> tuple[str, ...]:
        """The product lines the rubric names ``strategic`` or ``bundles``."""
        return self.strategic_lines if which == "strategic" else self.bundle_lines

    def weight(self, score: str, metric: str) -> float:
        return self.scores[score].weights.get(metric, 0.0)

    def scores_of(self, metric: str) -> list[str]:
        """The scores a metric counts in (roles first, then SMART dimensions)."""
        return [s for s in SCORES if s in self.scores and metric in self.scores[s].weights]

    def weight_rows(self) -> list[tuple[str, str, float]]:
        """(score, metric, weight) for every weighted metric, in catalogue order."""
        return [(s, m, w) for s in SCORES if s in self.scores
                for m, w in self.scores[s].weights.items()]


# -- parsing -----------------------------------------------------------------------------------------

def _line_of(text: str, table: str, key: str | None = None) -> int | None:
    """Line number (1-based) of ``key`` inside ``[table]`` (or of the table header)."""
    section = ""
    header = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
    key_re = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=") if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            section = m.group(1).strip()
            if key is None and section == table:
                return number
            continue
        if key_re is not None and section == table and key_re.search(line.split("#", 1)[0]):
            return number
    if key is not None:
        return _line_of(text, table)
    return None


def _where(name: str, text: str, table: str, key: str | None = None) -> str:
    line = _line_of(text, table, key)
    path = f"{table}.{key}" if key else table
    return f"{name}, line {line}, {path}" if line else f"{name}, {path}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_rubric(text: str, name: str = "rubric.toml", path: Path | None = None) -> Rubric:
    """Parse and check a rubric; raise :class:`RubricError` naming the line and key of any fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{name}: not valid TOML: {exc}") from exc

    def fail(table: str, key: str | None, message: str) -> RubricError:
        return RubricError(f"{_where(name, text, table, key)}: {message}")

    unknown_top = sorted(set(data) - {"product_lines", "coverage", "metrics", "scores"})
    if unknown_top:
        raise fail(unknown_top[0], None, f"unknown section [{unknown_top[0]}] (expected product_lines,"
                   " coverage, metrics, scores)")
    coverage = _coverage(data.get("coverage", {}), lambda key, msg: fail("coverage", key, msg))

    lines = data.get("product_lines", {})
    for key in ("strategic", "bundles"):
        value = lines.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("product_lines", key, "must be a list of product line names")

    metrics = data.get("metrics", {})
    bands: dict[str, Band] = {}
    for metric, spec in metrics.items():
        table = f"metrics.{metric}"
        if metric not in METRICS:
            raise fail(table, None, f"unknown metric {metric!r}")
        if not isinstance(spec, dict):
            raise fail("metrics", metric, "must be a table of method, floor, target, min_sample, source")
        bands[metric] = _band(metric, spec, lambda key, msg, t=table: fail(t, key, msg))
    missing = [m for m in METRICS if m not in bands]
    if missing:
        raise fail("metrics", None, f"no band for metric(s) {', '.join(missing)}")

    scores: dict[str, ScoreWeights] = {}
    for score, spec in data.get("scores", {}).items():
        table = f"scores.{score}"
        if score not in SCORES or score == "overall":
            raise fail(table, None, f"unknown score {score!r} (expected one of"
                       f" {', '.join(k for k in SCORES if k != 'overall')})")
        weights = spec.get("weights") if isinstance(spec, dict) else None
        if not isinstance(weights, dict) or not weights:
            raise fail(table, "weights", "needs weights = { metric = weight, ... }")
        checked: dict[str, float] = {}
        for metric, weight in weights.items():
            if metric not in METRICS:
                raise fail(table, metric, f"unknown metric {metric!r} in the weights of {score}")
            if not _number(weight):
                raise fail(table, metric, f"weight of {metric} must be a number, not {weight!r}")
            if weight < 0:
                raise fail(table, metric, f"weight of {metric} is negative ({weight})")
            checked[metric] = float(weight)
        if sum(checked.values()) <= 0:
            raise fail(table, "weights", f"the weights of {score} add up to 0")
        scores[score] = ScoreWeights(score, checked, str(spec.get("source", "")))
    missing_scores = [s for s in SCORES if s != "overall" and s not in scores]
    if missing_scores:
        raise fail("scores", None, f"no weights for score(s) {', '.join(missing_scores)}")
    if not any(s in ROLES for s in scores):
        raise fail("scores", None, "no role scores")

    return Rubric(
        bands=bands,
        scores=scores,
        strategic_lines=tuple(lines.get("strategic", [])),
        bundle_lines=tuple(lines.get("bundles", [])),
        product_lines_source=str(lines.get("source", "")),
        path=path,
        coverage=coverage,
    )


def _coverage(spec: Any, fail: Any) -> Coverage:
    if not isinstance(spec, dict):
        raise fail(None, "must be a table of thin_below, mostly_blank, source")
    unknown = sorted(set(spec) - {"thin_below", "mostly_blank", "source"})
    if unknown:
        raise fail(unknown[0], f"unknown key {unknown[0]!r}")
    values: dict[str, float] = {}
    for key, default in (("thin_below", Coverage.thin_below), ("mostly_blank", Coverage.mostly_blank)):
        value = spec.get(key, default)
        if not _number(value) or not 0 <= value <= 1:
            raise fail(key, f"{key} must be a share between 0 and 1, not {value!r}")
        values[key] = float(value)
    return Coverage(values["thin_below"], values["mostly_blank"], str(spec.get("source", "")))


def _band(metric: str, spec: dict[str, Any], fail: Any) -> Band:
    unknown = sorted(set(spec) - {"method", "floor", "target", "target_high", "floor_high", "min_sample",
                                  "source"})
    if unknown:
        raise fail(unknown[0], f"unknown key {unknown[0]!r}")
    method = spec.get("method", "band")
    if method not in ("band", "range", "percentile"):
        raise fail("method", f"method must be band, range or percentile, not {method!r}")
    min_sample = spec.get("min_sample", 1)
    if not isinstance(min_sample, int) or isinstance(min_sample, bool) or min_sample < 0:
        raise fail("min_sample", f"min_sample must be a whole number of 0 or more, not {min_sample!r}")
    source = spec.get("source", "")
    if not isinstance(source, str) or not source.strip():
        raise fail("source", "every default needs its source (a benchmark or a seed file)")
    if method == "percentile":
        return Band(metric, "percentile", min_sample, source)
    values: dict[str, float] = {}
    needed = ("floor", "target") + (("target_high", "floor_high") if method == "range" else ())
    for key in needed:
        value: Any = spec.get(key)
        if not _number(value):
            raise fail(key, f"{key} must be a number, not {value!r}")
        values[key] = float(value)
    floor, target = values["floor"], values["target"]
    if floor == target:
        raise fail("target", f"floor and target are both {floor:g}: the band has no width")
    direction = METRICS[metric].direction
    if direction in ("higher", "range") and floor > target:
        raise fail("floor", f"higher is better for {metric}, so floor ({floor:g}) must be below target"
                   f" ({target:g})")
    if direction == "lower" and floor < target:
        raise fail("floor", f"lower is better for {metric}, so floor ({floor:g}) must be above target"
                   f" ({target:g})")
    if method == "range" and not (target <= values["target_high"] < values["floor_high"]):
        raise fail("target_high", "a range needs target <= target_high < floor_high")
    return Band(metric, method, min_sample, source, floor, target,  # type: ignore[arg-type]
                values.get("target_high"), values.get("floor_high"))


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Read a rubric file (default: the one shipped with the package)."""
    file = Path(path) if path else DEFAULT_RUBRIC
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"{file}: cannot be read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RubricError(f"{file}: not UTF-8 text: {exc}") from exc
    return parse_rubric(text, file.name, file)


def default_rubric() -> Rubric:
    return _DEFAULT


_DEFAULT = load_rubric(DEFAULT_RUBRIC)


class RubricKeeper:
    """Holds the rubric in force: re-reads an edited file when it changes, keeps the last good one.

    ``error`` says why the current file was refused (None when the file in force is the one on disk).
    With ``optional``, a file that does not exist (yet) means the shipped rubric, without an error.
    """

    def __init__(self, path: Path | str | None = None, *, optional: bool = False) -> None:
        self.path = Path(path) if path else None
        self.optional = optional
        self.rubric: Rubric = _DEFAULT
        self.error: str | None = None
        self._stamp: tuple[float, int] | None = None
        self.current()

    @classmethod
    def for_settings(cls, settings: Settings) -> RubricKeeper:
        """The rubric the ``rubric`` setting names, else the one saved beside the database (by the
        Methodology page), else the shipped default."""
        path, optional = rubric_file(settings)
        return cls(path, optional=optional)

    def current(self) -> Rubric:
        if self.path is None:
            return self.rubric
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime, stat.st_size)
        except FileNotFoundError as exc:
            if self.optional:
                self.rubric, self.error, self._stamp = _DEFAULT, None, None
                return self.rubric
            self.error = f"{self.path}: cannot be read: {exc}; the last good rubric stays in force"
            return self.rubric
        except OSError as exc:
            self.error = f"{self.path}: cannot be read: {exc}; the last good rubric stays in force"
            return self.rubric
        if stamp != self._stamp:
            self._stamp = stamp
            self.apply_text(self.path.read_text(encoding="utf-8", errors="replace"), self.path.name)
        return self.rubric

    def apply_text(self, text: str, name: str = "rubric.toml") -> list[str]:
        """Try a new rubric text; on a fault keep the last good rubric and return the message."""
        try:
            self.rubric = parse_rubric(text, name, self.path)
        except RubricError as exc:
            self.error = f"{exc} (the last good rubric stays in force)"
            return [self.error]
        self.error = None
        return []


def rubric_file(settings: Settings) -> tuple[Path, bool]:
    """(the rubric file in force or to save to, whether it may be absent): the file the ``rubric``
    setting names, else ``rubric.toml`` beside the database (absent until a rubric is saved there)."""
    if settings.rubric:
        return Path(settings.rubric), False
    return settings.db.parent / SAVED_RUBRIC_NAME, True


# -- product lines -------------------------------------------------------------------------------------

def product_key(name: str) -> str:
    """A product line name without case, spaces or punctuation ("GTX Pro" and "GTXPro" are one line);
    the same as the ``product_key`` macro in ``queries/team_macros.sql``."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def unmatched_product_lines(named: Sequence[str], in_data: Sequence[str]) -> list[str]:
    """The rubric's product lines that match no product line in the data."""
    keys = {product_key(line) for line in in_data}
    return [line for line in named if product_key(line) not in keys]


def with_product_lines(text: str, *, strategic: Sequence[str] | None = None,
                       bundles: Sequence[str] | None = None) -> str:
    """The rubric text with ``[product_lines]`` strategic and/or bundles replaced; every other line,
    comments included, is kept as it was. Raises :class:`RubricError` if the result is not a rubric."""
    lines = text.splitlines(keepends=True)
    for key, values in (("strategic", strategic), ("bundles", bundles)):
        if values is None:
            continue
        lines = _set_array(lines, "product_lines", key, [str(v).strip() for v in values if str(v).strip()])
    result = "".join(lines)
    parse_rubric(result)
    return result


def _set_array(lines: list[str], table: str, key: str, values: list[str]) -> list[str]:
    new_line = f"{key} = [{', '.join(json.dumps(v, ensure_ascii=False) for v in values)}]\n"
    header = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
    key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
    section = ""
    for number, line in enumerate(lines):
        found = header.match(line)
        if found:
            if section == table:  # the table ends without the key: add it at the table's end
                return [*lines[:number], new_line, *lines[number:]]
            section = found.group(1).strip()
            continue
        if section == table and key_re.match(line):
            end = number
            depth = line.split("#", 1)[0].count("[") - line.split("#", 1)[0].count("]")
            while depth > 0 and end + 1 < len(lines):
                end += 1
                body = lines[end].split("#", 1)[0]
                depth += body.count("[") - body.count("]")
            return [*lines[:number], new_line, *lines[end + 1:]]
    if section == table:
        return [*lines, *([] if not lines or lines[-1].endswith("\n") else ["\n"]), new_line]
    return [f"[{table}]\n", new_line, "\n", *lines]


def save_rubric_text(path: Path, text: str) -> None:
    """Write a checked rubric to ``path`` in one step (a reader never sees half a file)."""
    parse_rubric(text, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def rubric_text(rubric: Rubric) -> str:
    """The text of the file a rubric was read from (the shipped file for the default rubric)."""
    return (rubric.path or DEFAULT_RUBRIC).read_text(encoding="utf-8")


# -- methodology ---------------------------------------------------------------------------------------

METHODOLOGY_DOC = Path(__file__).resolve().parent.parent / "docs" / "methodology.md"


def methodology_markdown(rubric: Rubric | None = None) -> str:
    """The methodology (``docs/methodology.md``), generated from the catalogue and the rubric so the
    two cannot drift: every score, every metric with its formula, band, minimum sample and source."""
    from scorecard.metrics import DIMENSIONS, FILLED_ON_MOST_ROWS, SCORE_DESCRIPTIONS, UNIT_LABELS
    from scorecard.scoring import MOVER_FLOOR  # scoring reads the rubric: imported when called

    rubric = rubric or _DEFAULT
    coverage = rubric.coverage
    out = [
        "# Methodology: how leaders are scored",
        "",
        "<!-- Generated by `python -m scorecard.rubric` from scorecard/metrics.py and scorecard/rubric.toml;"
        " do not edit by hand. -->",
        "",
        "Scores are computed per leader per fiscal quarter over the leader's **team: the leader and",
        "everyone below them** in the hierarchy, as far as the viewer may see. A player-coach's own deals,",
        "quota and activities count in the team's numbers, as Salesforce's role hierarchy rolls them up.",
        "Metrics about the leader as a manager leave the leader's own selling out: span of control (direct",
        "reports), coaching coverage (sessions with the reps below who lead no one), ramp time and",
        "retention (of the reps below), and the leader's own customer meetings. The sellers of a team, for",
        "the activity metrics, are the people in it who lead no one, and any leader in it (the leader",
        "included) who owns a deal in play in the period.",
        "",
        "## Now is the data's as-of date",
        "",
        "Everything that means *now* is measured at the date the data describes, never at the machine's",
        "clock: the default period (the quarter of the as-of date), *today* on the pages, stalled deals,",
        "pace, the quarter in progress, the periods offered and the score history. The as-of date is the",
        "date the uploader gives, else the newest change a Salesforce export carries (`SystemModstamp`),",
        "else the newest activity, closed deal's close date, created date or stage change, never after the",
        "day of the load. An export taken in December 2023 is scored as of December 2023, whenever it is",
        "loaded; every page says \"Data as of 29 Dec 2023\", and `scorecard score` names the period it scored.",
        "",
        "While a quarter runs it is marked **in progress**: everything is measured up to the as-of date,",
        "quotas and forecasts are prorated to the share of the quarter elapsed, and the change against",
        "the previous quarter compares it with that quarter **cut at the same share elapsed** (a quarter",
        "46 days in against the previous quarter's first 46 days, scaled to its length), not with all of it.",
        "",
        "## How a score is made",
        "",
        "1. Each **metric** is computed for every leader in DuckDB (`queries/metric_*.sql`).",
        "2. Its value becomes **points** 0-100: by a band (`floor` gives 0, `target` gives 100, linear",
        "   between, clamped; a floor above the target means lower is better), by a range (100 inside it,",
        "   falling to 0 outside), or by percentile among peer leaders at the same level.",
        "3. A metric whose sample is under its minimum is **not enough data**; one whose inputs are not",
        "   really in the data is **switched off** (see below), naming what would switch it on. Either way",
        "   its weight is spread over the other metrics of the score: it is never scored 0.",
        "4. A role or SMART dimension score is the **weighted mean** of the points of its scored metrics;",
        "   the **overall** score is the mean of the five CSO role scores.",
        "5. Every score carries its **coverage**: how many of its metrics were scored and how much of its",
        "   weight (\"3 of 5 metrics, 60% of the weight\"); for the overall score, how many of the five roles",
        "   and the mean of their shares. A leader whose overall score rests on less than"
        f" {coverage.thin_below:.0%} of the",
        "   weight (`coverage.thin_below`) is marked **thin coverage** and listed after the others, without",
        "   a rank: the score says more about the export than about the leader.",
        "6. **Coaching priorities** are the three metrics whose improvement to target would raise the",
        "   overall score most.",
        "7. Each score's **change** is against the previous comparable period, and it names the metric",
        "   that **moved it most**: for each metric scored in both periods, the change of its points",
        "   times its share of the score now (at this period's weights, so a metric whose points held",
        "   still never reads as a mover when another metric gains or loses data); the largest change",
        f"   of more than {MOVER_FLOOR:g} points wins (\"moved most by Win rate -6\").",
        "8. The metrics that make sense for one rep are also computed **per rep**, for the rep page to",
        "   compare each rep with the median of their manager's team.",
        "",
        "## Never a score for missing data",
        "",
        "A metric is switched off, with the reason and what would switch it on, when:",
        "",
        "- an extract or column it needs was not loaded, or holds nothing;",
        f"- a column it needs filled is blank on more than {coverage.mostly_blank:.0%} of its rows"
        " (`coverage.mostly_blank`): "
        + ", ".join(FILLED_ON_MOST_ROWS.values()) + ";",
        "- the data window is too short for it: ramp time counts only reps hired after the data begins (a",
        "  rep hired years before may have won earlier deals the data does not hold), and is off when no rep",
        "  was hired inside the data; 12-month retention needs twelve months of data before the as-of date;",
        "  growth needs the same period a year before inside the data;",
        "- the rubric names product lines that match none in the data (strategic mix, bundle rate). Names",
        "  are compared without case, spaces or punctuation (`GTX Pro` is `GTXPro`). The Methodology page",
        "  offers the product lines in the data and saves the choice to the rubric file.",
        "",
        "## Rows real CRMs produce",
        "",
        "They are loaded and kept, flagged, and left out only of what they would distort:",
        "",
        "- a deal that closed before it was created (entered after the fact) counts everywhere but has no",
        "  sales cycle;",
        "- an open deal without a close date is in no period's pipeline (coverage of the next period) and",
        "  is not hygienic;",
        "- a deal without an amount counts in counts (win rate, deals created) but adds nothing to sums",
        "  and averages (won amount, attainment, deal size);",
        "- an activity without a type is an activity of unknown kind: it touches its deal (stalled deals,",
        "  speed to first touch) and counts on the day (daily consistency), but is not counted as a",
        "  meeting, a customer-facing or an insight activity.",
        "",
        "Weights, bands, minimum samples, coverage settings and named product lines live in",
        "`scorecard/rubric.toml`; the `SCORECARD_RUBRIC` setting names an edited copy (else one saved",
        "beside the database by the Methodology page is used). A malformed rubric is refused with the line",
        "and key at fault, and the last good rubric stays in force.",
        "",
        "## Scores",
        "",
        "| score | what it rewards | metrics (weight) | source |",
        "|---|---|---|---|",
    ]
    for key, label in SCORES.items():
        if key == "overall":
            out.append(f"| {label} | {SCORE_DESCRIPTIONS[key]} | the five roles, equally | seed 002 |")
            continue
        weights = ", ".join(f"{METRICS[m].label} ({w:g})" for m, w in rubric.scores[key].weights.items())
        kind = "SMART" if key in DIMENSIONS else "CSO role"
        out.append(f"| {label} ({kind}) | {SCORE_DESCRIPTIONS[key]} | {weights} | {rubric.scores[key].source} |")
    out += ["", "## Metrics", ""]
    for metric in METRICS.values():
        band = rubric.bands[metric.key]
        needs = "; ".join(" or ".join(f"{need} (filled on most rows)" if need in FILLED_ON_MOST_ROWS else need
                                      for need in group) for group in metric.requires) or "the core extracts"
        needs += {"hires_inside": "; reps hired inside the data window",
                  "twelve_months": "; twelve months of data before the as-of date",
                  "year_before": "; the same period a year before inside the data",
                  None: ""}[metric.window]
        if metric.product_lines:
            needs += f"; {metric.product_lines} product lines named by the rubric that are in the data"
        used_in = ", ".join(SCORES[s] for s in rubric.scores_of(metric.key))
        better = {"higher": "higher is better", "lower": "lower is better",
                  "range": "best inside a range"}[metric.direction]
        out += [
            f"### {metric.label} (`{metric.key}`)",
            "",
            metric.definition,
            "",
            f"- Unit: {UNIT_LABELS[metric.unit]}; {better}; over the {metric.scope}"
            f"{' (measured once the period is over)' if metric.needs_complete_period else ''}.",
            f"- Points: {band.describe()}.",
            f"- Minimum sample: {band.min_sample} {metric.sample}.",
            f"- Needs: {needs}.",
            f"- Counts in: {used_in}.{' Also computed per rep.' if metric.per_rep else ''}",
            f"- Source: {band.source}",
            f"- Query: `queries/metric_{metric.query}.sql`; rows behind it: `queries/{metric.rows}.sql`.",
            "",
        ]
    out += [
        "## Product lines",
        "",
        f"- Strategic: {', '.join(rubric.strategic_lines) or '(none)'}",
        f"- Bundles of products and services: {', '.join(rubric.bundle_lines) or '(none)'}",
        f"- Source: {rubric.product_lines_source}",
        "",
        "## Coverage",
        "",
        f"- Thin coverage below: {coverage.thin_below:.0%} of the overall score's weight",
        f"- A needed column counts as not exported when blank on more than: {coverage.mostly_blank:.0%} of"
        " its rows",
        f"- Source: {coverage.source}",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    METHODOLOGY_DOC.write_text(methodology_markdown(), encoding="utf-8")
    print(f"wrote {METHODOLOGY_DOC}")
