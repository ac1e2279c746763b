"""Runs the rule catalogue (``data_checks.rules``) on mapped extracts and reports in one format.

One row per rule checked: ``file, extract, column_name, rule, outcome (reject|flag|note), passed,
failed_rows, total_rows, message, sample`` (the ``check_results`` table of the store). The sample
shows up to five failing rows by file line with their values. Beside the results, every row that a
flag (or note) rule marks is listed in :attr:`CheckRun.flagged`: ``extract, row_key, file, line,
rule, column_name``, which the store keeps in ``flagged_rows``.

Where the time goes and why (see ``bench/RESULTS.md``): GX's pandas engine is fast on numeric
numpy columns and slow on object strings and datetimes, so the runner hands it a *check frame* of
only the columns the suite needs, encoded as described in ``data_checks.suites``. Relational rules
(foreign keys, hierarchy cycles and self-managers) are joins: they run in Polars. The rows a flag
rule marks are asked of GX in a second, complete run of only the flag rules that some rows broke.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import polars as pl

from data_checks.rules import (
    DEFAULT_LIMITS,
    NAME_COLUMNS,
    VALUE_SETS,
    ExtractSpec,
    Limits,
    Outcome,
    Rule,
    column_rules,
    file_rule,
    loaded_orphans_rule,
    polars_rules,
)
from data_checks.suites import KEY, checked_columns, expectation

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(), "extract": pl.String(), "column_name": pl.String(), "rule": pl.String(),
    "outcome": pl.String(), "passed": pl.Boolean(), "failed_rows": pl.Int64(), "total_rows": pl.Int64(),
    "message": pl.String(), "sample": pl.String(),
}
FLAG_SCHEMA: dict[str, pl.DataType] = {
    "extract": pl.String(), "row_key": pl.String(), "file": pl.String(), "line": pl.Int64(),
    "rule": pl.String(), "column_name": pl.String(),
}
SAMPLE_ROWS = 5
LINE = "__line"
ROW = "__row"
"""A row's number within its batch: unique where file lines are not (two files of one extract)."""
FILE = "__file"
RAW = "__raw__"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class ExtractBatch:
    """All rows of one extract in an upload (possibly from several files) and what they refer to."""

    extract: ExtractSpec
    frame: pl.DataFrame
    """Canonical typed columns, ``__raw__<col>``, ``__line``, ``__file``, and ``__row`` (added here)."""
    files: list[str]

    def __post_init__(self) -> None:
        if ROW not in self.frame.columns:
            self.frame = self.frame.with_row_index(ROW)

    @property
    def name(self) -> str:
        return self.extract.name


@dataclass
class References:
    """Key sets that foreign keys resolve against: this upload's, else the database's."""

    keys: dict[str, pl.Series] = field(default_factory=dict)
    """``reps`` -> rep_id values, ``accounts`` -> account_id, ``opportunities`` -> opportunity_id."""
    rates: set[str] | None = None
    """Currencies (upper case) with a conversion rate, this upload's or the database's; None: not checked."""
    reporting_currency: str = "USD"


@dataclass
class Finding:
    """What one rule found in one batch: how many rows broke it, which (by line), and a message."""

    rule: Rule
    failed: int
    rows: list[int]
    """The rows (``__row``) that broke it: every one for a flag or note, and for every rule of a batch
    of several files; a sample for a reject otherwise."""
    message: str = ""
    escalated: bool = False
    """A flag broken by more rows than its ``reject_above``: the file is rejected."""


@dataclass
class CheckRun:
    """The results of every rule on an upload, and the rows its flags mark."""

    results: pl.DataFrame
    flagged: pl.DataFrame


def check_frame(batch: ExtractBatch) -> pl.DataFrame:
    """The encoded frame the suite runs on (see ``data_checks.suites``)."""
    extract = batch.extract
    frame = batch.frame
    names_as_text = NAME_COLUMNS.get(batch.name, ())
    needed = checked_columns(extract)
    exprs: list[pl.Expr] = [pl.col(ROW)]
    for col in extract.columns:
        c = col.name
        if c not in frame.columns or c not in needed:
            continue
        if (batch.name, c) in VALUE_SETS:
            expr = pl.col(c).cast(pl.Categorical)
        elif col.type == "VARCHAR":
            # Other text columns are only checked for blanks: 1.0 where set says as much as the text.
            expr = pl.col(c) if c in names_as_text else pl.when(pl.col(c).is_not_null()).then(1.0)
        elif col.type == "DATE":
            expr = pl.col(c).cast(pl.Int32).cast(pl.Float64)
        elif col.type == "TIMESTAMP":
            expr = pl.col(c).dt.epoch("us").cast(pl.Float64) / 86_400_000_000.0
        else:
            expr = pl.col(c).cast(pl.Float64)
        exprs.append(expr.alias(c))
        if f"{RAW}{c}" in frame.columns:
            exprs.append(pl.when(pl.col(f"{RAW}{c}").is_not_null()).then(1.0).alias(f"{RAW}{c}"))
    key_cols = list(extract.key)
    if key_cols and all(k in frame.columns for k in key_cols):
        key = pl.col(key_cols[0]) if len(key_cols) == 1 else pl.struct(key_cols)
        hashed = key.hash(seed=11) // 4096
        # A key with blanks stays a float (NaN is blank to GX); whole keys go as integers, which
        # pandas' duplicate search handles faster than floats.
        nulls = frame.select(pl.any_horizontal(pl.col(k).is_null() for k in key_cols).any()).item()
        exprs.append((pl.when(key.is_not_null()).then(hashed).cast(pl.Float64) if nulls
                      else hashed.cast(pl.Int64)).alias(KEY))
    return frame.select(exprs)


def to_pandas(checked: pl.DataFrame) -> pd.DataFrame:
    """The check frame as pandas without the Arrow round trip (numbers go over as numpy arrays,
    nulls as NaN), about six times faster than ``DataFrame.to_pandas`` on 10 million rows."""
    columns: dict[str, Any] = {}
    for name in checked.columns:
        series = checked[name]
        if series.dtype == pl.Categorical or series.dtype == pl.String:
            columns[name] = series.to_pandas()
        else:
            columns[name] = series.to_numpy()
    return pd.DataFrame(columns, copy=False)


_GX_LOCK = threading.Lock()
"""One GX validation at a time: ``gx.get_context`` makes its context the process-wide project, which a
validation running on another thread would then look its suite up in."""


def _validate(name: str, pandas_frame: pd.DataFrame, rules: Sequence[Rule],
              complete: bool) -> list[tuple[Rule, dict[str, Any], bool]]:
    """Run ``rules`` as one GX suite on the check frame: (rule, result, success) per rule."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory frame under 1 GB by hashing all of it with pandas (2 s on the
    # activities check frame): a batch identifier, not a check, so it is skipped.
    pandas_execution_engine.HASH_THRESHOLD = 0
    with _GX_LOCK:
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("mapped")
        definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        run_suite = context.suites.add(ExpectationSuite(name=f"{name}_checks",
                                                        expectations=[expectation(r) for r in rules]))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{name}_validation", data=definition, suite=run_suite))
        result = validation.run(
            batch_parameters={"dataframe": pandas_frame},
            result_format={"result_format": "COMPLETE" if complete else "SUMMARY",
                           "partial_unexpected_count": SAMPLE_ROWS, "unexpected_index_column_names": [ROW]},
        )
    by_name = {(r.name, r.column): r for r in rules}
    out: list[tuple[Rule, dict[str, Any], bool]] = []
    for item in result.results:
        meta = (item.expectation_config.meta if item.expectation_config else None) or {}
        rule = by_name[(str(meta.get("rule")), meta.get("column"))]
        out.append((rule, dict(item.result or {}), bool(item.success)))
    return out


def _rows(result: Mapping[str, Any], key: str) -> list[int]:
    return [int(d[ROW]) for d in result.get(key) or [] if isinstance(d, dict) and ROW in d]


def suite_findings(batch: ExtractBatch) -> list[Finding]:
    """The extract's column rules, run by its GX suite; each flag rule that some rows broke is run
    again in complete mode so that every one of its rows can be marked (every rule some rows broke,
    when the batch holds several files, so that each file's verdict counts its own rows)."""
    rules = _applicable(batch)
    checked = check_frame(batch)
    pandas_frame = to_pandas(checked)
    del checked  # columns with blanks were copied to pandas: the Polars ones would only hold memory
    findings: list[Finding] = []
    to_mark: list[Rule] = []
    for rule, result, success in _validate(batch.name, pandas_frame, rules, complete=False):
        if rule.kind == "column_exists":
            findings.append(Finding(rule, 0 if success else batch.frame.height, [],
                                    "present" if success else f"the column {rule.column} is missing"))
            continue
        failed = int(result.get("unexpected_count") or 0)
        if not success and failed == 0 and "exception_info" in result:
            failed = batch.frame.height
        finding = Finding(rule, failed, _rows(result, "partial_unexpected_index_list"),
                          escalated=rule.reject_above is not None and rule.outcome != "reject" and not success)
        findings.append(_confirmed(batch, finding))
        marks = rule.outcome != "reject" and not finding.escalated
        if finding.failed and rule.kind != "unique" and (marks or len(batch.files) > 1):
            to_mark.append(rule)
    if to_mark:
        complete = {rule.name + str(rule.column): _rows(result, "unexpected_index_list")
                    for rule, result, _ in _validate(batch.name, pandas_frame, to_mark, complete=True)}
        for finding in findings:
            rows = complete.get(finding.rule.name + str(finding.rule.column))
            if rows is not None:
                finding.rows = _without_unparsed(batch, finding.rule, rows)
    return findings


def _applicable(batch: ExtractBatch) -> list[Rule]:
    """The column rules whose columns the mapped data has (a missing required column is its own rule)."""
    present = set(batch.frame.columns)

    def applies(rule: Rule) -> bool:
        if rule.kind == "column_exists":
            return True
        if rule.kind == "parseable":  # its column is there only where some value did not parse
            return f"{RAW}{rule.columns[0]}" in present
        return all(c in present for c in rule.columns)

    return [r for r in column_rules(batch.extract) if applies(r)]


def _confirmed(batch: ExtractBatch, finding: Finding) -> Finding:
    """Counts on the real values where the check frame holds an encoding of them."""
    rule = finding.rule
    if rule.kind == "unique" and finding.failed:
        # Confirm on the real key values (the check frame holds hashes).
        dup = batch.frame.filter(pl.struct(list(rule.columns)).is_duplicated())
        finding.failed = dup.height
        finding.rows = dup[ROW].to_list() if len(batch.files) > 1 else dup[ROW].head(SAMPLE_ROWS).to_list()
    if rule.kind == "not_blank" and finding.failed and f"{RAW}{rule.columns[0]}" in batch.frame.columns:
        # A value that did not parse is reported once, by the parse rule, not again as blank.
        unparsed = batch.frame.filter(pl.col(f"{RAW}{rule.columns[0]}").is_not_null())
        finding.failed -= unparsed.height
        finding.rows = _without_unparsed(batch, rule, finding.rows)
        if finding.failed <= 0:
            finding.failed, finding.escalated = 0, False
    return finding


def _without_unparsed(batch: ExtractBatch, rule: Rule, rows: list[int]) -> list[int]:
    raw = f"{RAW}{rule.columns[0]}"
    if rule.kind != "not_blank" or raw not in batch.frame.columns:
        return rows
    skip = set(batch.frame.filter(pl.col(raw).is_not_null())[ROW].to_list())
    return [n for n in rows if n not in skip]


# -- rules run in Polars -------------------------------------------------------------------------

def _text_rule(batch: ExtractBatch, rule: Rule, breaks: Callable[[pl.Expr], pl.Expr]) -> Finding | None:
    """Rows where any of the rule's text columns ``breaks`` it, and which columns did."""
    columns = [c for c in rule.columns if c in batch.frame.columns]
    if not columns:
        return None
    hits = batch.frame.select(ROW, *columns).filter(
        pl.any_horizontal(breaks(pl.col(c)).fill_null(False) for c in columns))
    finding = Finding(rule, hits.height, hits[ROW].to_list())
    if hits.height:
        which = [c for c in columns if hits.select(breaks(pl.col(c)).any()).item()]
        finding.message = f" (in {', '.join(which)})"
    return finding


def _max_length(batch: ExtractBatch, rule: Rule) -> Finding | None:
    limit = int(rule.params["limit"])  # type: ignore[call-overload]
    columns = [c for c in rule.columns if c in batch.frame.columns]
    longest = batch.frame.select(pl.max_horizontal(pl.col(c).str.len_bytes().max() for c in columns)).item() \
        if columns else None
    if longest is not None and longest <= limit:  # bytes read off the offsets: no value can be longer
        return Finding(rule, 0, [])
    return _text_rule(batch, rule, lambda col: col.str.len_chars() > limit)


def _matches(batch: ExtractBatch, rule: Rule) -> Finding | None:
    regex = str(rule.params["regex"])
    return _text_rule(batch, rule, lambda col: col.str.contains(regex))


def _no_nul(batch: ExtractBatch, rule: Rule) -> Finding | None:
    return _text_rule(batch, rule, lambda col: col.str.contains("\x00", literal=True))


def _depth(batch: ExtractBatch, rule: Rule) -> Finding | None:
    """Reps more than ``limit`` managers below the top (cycles are their own rule)."""
    if "manager_id" not in batch.frame.columns:
        return None
    limit = int(rule.params["limit"])  # type: ignore[call-overload]
    frame = batch.frame
    managers = dict(zip(frame["rep_id"].to_list(), frame["manager_id"].to_list(), strict=True))
    depth: dict[str, int] = {}
    for start in managers:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in depth and node in managers and node not in path:
            path.append(node)
            nxt = managers[node]
            node = nxt if nxt != node else None
        base = depth.get(node, 0) if node is not None else 0
        for i, rep in enumerate(reversed(path), 1):
            depth[rep] = base + i
    deep = sorted((d, r) for r, d in depth.items() if d > limit)
    too_deep = frame.filter(pl.col("rep_id").is_in([r for _, r in deep]))
    finding = Finding(rule, too_deep.height, too_deep[ROW].to_list())
    if deep:
        chain: list[str] = []
        node = deep[-1][1]
        while node is not None and len(chain) < 6:
            chain.append(node)
            node = managers.get(node)
        finding.message = (f": the deepest chain is {deep[-1][0]:,} levels ({' -> '.join(chain)} -> ...);"
                           " raise SCORECARD_HIERARCHY_DEPTH_LIMIT if it is real")
    return finding


def _foreign_key(batch: ExtractBatch, rule: Rule, references: References) -> Finding | None:
    column, target = rule.columns[0], str(rule.params["target"])
    if column not in batch.frame.columns or target not in references.keys:
        return None
    known = references.keys[target]
    orphans = batch.frame.select(ROW, column).filter(
        pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
    finding = Finding(rule, orphans.height, orphans[ROW].to_list())
    if orphans.height:
        distinct = orphans[column].unique(maintain_order=True).head(5).to_list()
        finding.message = ": " + ", ".join(repr(v) for v in distinct)
    return finding


def _self_manager(batch: ExtractBatch, rule: Rule) -> Finding | None:
    if "manager_id" not in batch.frame.columns:
        return None
    selfish = batch.frame.filter(pl.col("rep_id") == pl.col("manager_id"))
    return Finding(rule, selfish.height, selfish[ROW].to_list())


def _cycle(batch: ExtractBatch, rule: Rule) -> Finding | None:
    """Reps on a walk up the tree that comes back to where it started."""
    if "manager_id" not in batch.frame.columns:
        return None
    frame = batch.frame
    managers = dict(zip(frame["rep_id"].to_list(), frame["manager_id"].to_list(), strict=True))
    in_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in managers:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in managers and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            nxt = managers[node]
            node = nxt if nxt != node else None
        if node is not None and state.get(node) == 1:
            in_cycle.update(path[path.index(node):])
        for p in path:
            state[p] = 2
    cyc = frame.filter(pl.col("rep_id").is_in(sorted(in_cycle)))
    return Finding(rule, cyc.height, cyc[ROW].to_list(),
                   ": " + " -> ".join(sorted(in_cycle)[:6]) if cyc.height else "")


def _currency_rate(batch: ExtractBatch, rule: Rule, references: References) -> Finding | None:
    """Deals in a currency with no conversion rate: their amounts would count unconverted."""
    if references.rates is None or "currency" not in batch.frame.columns:
        return None
    reporting = references.reporting_currency.upper()
    code = pl.col("currency").str.strip_chars().str.to_uppercase()
    missing = batch.frame.filter(code.is_not_null() & (code != reporting) & ~code.is_in(sorted(references.rates)))
    finding = Finding(rule, missing.height, missing[ROW].to_list())
    if missing.height:
        codes = ", ".join(sorted(set(missing["currency"].str.strip_chars().str.to_uppercase().to_list()))[:5])
        finding.message = (f": {codes} has no conversion rate, so these amounts count as {reporting} as they"
                           " are; load a currency_rates file with them")
    return finding


def polars_findings(batch: ExtractBatch, references: References, limits: Limits) -> list[Finding]:
    out: list[Finding] = []
    for rule in polars_rules(batch.extract, limits):
        if rule.kind == "max_length":
            found = _max_length(batch, rule)
        elif rule.kind == "no_nul":
            found = _no_nul(batch, rule)
        elif rule.kind == "matches":
            found = _matches(batch, rule)
        elif rule.kind == "depth":
            found = _depth(batch, rule)
        elif rule.kind == "foreign_key":
            found = _foreign_key(batch, rule, references)
        elif rule.kind == "self_manager":
            found = _self_manager(batch, rule)
        elif rule.kind == "cycle":
            found = _cycle(batch, rule)
        elif rule.kind == "currency_rate":
            found = _currency_rate(batch, rule, references)
        else:
            raise ValueError(f"no engine runs the Polars rule {rule.kind!r}")
        if found is None:
            continue
        if (rule.reject_above is not None and batch.frame.height
                and found.failed / batch.frame.height > rule.reject_above):
            found.escalated = True
        out.append(found)
    return out


# -- results --------------------------------------------------------------------------------------

def _message(rule: str, failed: int, total: int, cols: Sequence[str]) -> str:
    if failed == 0:
        return "passed"
    share = f" ({failed / total:.1%})" if total else ""
    return f"{failed:,} of {total:,} rows{share} break the rule '{rule}' on {', '.join(cols) or 'the rows'}"


def _show(raw: object, value: object) -> str:
    text = raw if raw is not None else value
    return "(blank)" if text is None else repr(str(text))[:80]


def _sample(frame: pl.DataFrame, picked: list[int], columns: Sequence[str]) -> str:
    if not picked:
        return ""
    rows = frame.filter(pl.col(ROW).is_in(picked[:SAMPLE_ROWS])).head(SAMPLE_ROWS)
    shown = [c for c in columns if c in rows.columns]
    out = []
    for row in rows.iter_rows(named=True):
        values = ", ".join(f"{c}={_show(row.get(RAW + c), row[c])}" for c in shown)
        where = f"{row[FILE]} line {row[LINE]}" if FILE in row else f"line {row[LINE]}"
        out.append(f"{where}: {values}")
    return "\n".join(out)


def outcome_of(finding: Finding) -> Outcome:
    return "reject" if finding.escalated else finding.rule.outcome


def result_rows(batch: ExtractBatch, finding: Finding) -> list[dict[str, object]]:
    """The finding as result rows: one for the batch, or, where rows of a batch of several files
    broke the rule, one per file whose rows did (each with its own count and sample)."""
    if len(batch.files) == 1 or finding.failed <= 0 or finding.rule.kind == "column_exists" or FILE not in batch.frame:
        return [_result_row(batch, finding, ", ".join(batch.files), batch.frame, finding.failed)]
    failing = batch.frame.filter(pl.col(ROW).is_in(finding.rows)).select(FILE, ROW)
    out = []
    for file in batch.files:
        part = batch.frame.filter(pl.col(FILE) == file)
        mine = failing.filter(pl.col(FILE) == file)[ROW].to_list()
        if mine:
            out.append(_result_row(batch, finding, file, part, len(mine), mine))
    return out


def _result_row(batch: ExtractBatch, finding: Finding, file: str, frame: pl.DataFrame, failed: int,
                rows: list[int] | None = None) -> dict[str, object]:
    rule = finding.rule
    cols = list(rule.columns)
    total = frame.height
    if rule.kind == "column_exists":
        message = finding.message
    else:
        message = _message(rule.name, failed, total, cols) + (finding.message if failed else "")
        if finding.escalated and rule.reject_above is not None:
            message += (f"; more than {rule.reject_above:.0%} of the rows, so the file is probably mis-mapped"
                        " (day and month swapped, or columns crossed) and is rejected")
    key = [c for c in batch.extract.key if c not in cols]
    sample_cols = key + cols if rule.kind in ("self_manager", "cycle") else cols + key
    return {"file": file, "extract": batch.name, "column_name": rule.column, "rule": rule.name,
            "outcome": outcome_of(finding), "passed": failed <= 0, "failed_rows": failed, "total_rows": total,
            "message": message, "sample": _sample(frame, finding.rows if rows is None else rows, sample_cols)}


def flagged_rows(batch: ExtractBatch, findings: Sequence[Finding]) -> pl.DataFrame:
    """Every row that a flag or note rule marks, keyed by the extract's key and by file line."""
    parts: list[pl.DataFrame] = []
    key = [k for k in batch.extract.key if k in batch.frame.columns]
    row_key = (pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator="|") if key
               else pl.lit(None, dtype=pl.String))
    for f in findings:
        if not f.failed or f.escalated or f.rule.outcome == "reject" or not f.rows:
            continue
        marked = batch.frame.filter(pl.col(ROW).is_in(f.rows))
        parts.append(marked.select(
            pl.lit(batch.name).alias("extract"), row_key.alias("row_key"),
            (pl.col(FILE).cast(pl.String) if FILE in marked.columns else pl.lit(", ".join(batch.files))).alias("file"),
            pl.col(LINE).cast(pl.Int64).alias("line"), pl.lit(f.rule.name).alias("rule"),
            pl.lit(f.rule.column, dtype=pl.String).alias("column_name"),
        ))
    return pl.concat(parts) if parts else pl.DataFrame(schema=FLAG_SCHEMA)


def loaded_orphan_row(replaced: ExtractBatch, key: str, extract: str, column: str,
                      value_counts: pl.DataFrame) -> dict[str, object] | None:
    """Rows already loaded in ``extract`` whose ``column`` names a key the replacing upload drops.

    ``value_counts`` holds ``value, n`` for that column as loaded. A note: the rows stay, but the
    metrics lose them (a deal whose owner is gone belongs to no team).
    """
    known = replaced.frame[key].drop_nulls()
    gone = value_counts.filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(known.implode()))
    total = int(value_counts["n"].sum() or 0)
    failed = int(gone["n"].sum() or 0)
    if failed == 0:
        return None
    rule = loaded_orphans_rule(extract, column, replaced.name)
    one_of = {"reps": "a rep", "accounts": "an account", "opportunities": "a deal"}.get(replaced.name, "a row")
    names = ", ".join(repr(v) for v in gone.sort("n", descending=True)["value"].head(5).to_list())
    message = (f"{failed:,} of {total:,} loaded {extract} rows ({failed / max(total, 1):.1%}) name"
               f" {one_of} this upload no longer has: {names}")
    return {"file": ", ".join(replaced.files), "extract": replaced.name, "column_name": key, "rule": rule.name,
            "outcome": rule.outcome, "passed": False, "failed_rows": failed, "total_rows": total,
            "message": message, "sample": ""}


def file_row(file: str, extract: str | None, column: str | None, rule: str, message: str,
             total: int = 0) -> dict[str, object]:
    """A file rule's result (unreadable, unknown shape, missing columns, no rows, skipped object)."""
    outcome = file_rule(rule).outcome
    return {"file": file, "extract": extract, "column_name": column, "rule": rule, "outcome": outcome,
            "passed": outcome == "note", "failed_rows": total if outcome == "reject" else 0,
            "total_rows": total, "message": message, "sample": ""}


SuiteFuture = Future[list[Finding]]


def run_checks(batches: Mapping[str, ExtractBatch], references: References,
               progress: Callable[[str, float], None] | None = None,
               started: Mapping[str, tuple[ExtractBatch, SuiteFuture]] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> CheckRun:
    """Every rule on every extract of an upload (nothing is written).

    ``started`` holds suites already running on another thread (the ingest starts the largest
    extract's while it reads the other files); a result is used only if it was run on the very
    batch checked now, and is waited for last.
    """
    ahead = dict(started or {})
    # The Polars rules (no GIL) first, while a suite started earlier may still run.
    in_polars = {name: polars_findings(batch, references, limits) for name, batch in batches.items()}
    column: dict[str, list[Finding] | SuiteFuture] = {}
    for i, (name, batch) in enumerate(batches.items()):
        if progress:
            progress(f"checking {name} ({batch.frame.height:,} rows)", i / max(len(batches), 1))
        early = ahead.get(name)
        if early is not None and early[0].frame is batch.frame and early[0].files == batch.files:
            column[name] = early[1]
        else:
            column[name] = suite_findings(batch)
    rows: list[dict[str, object]] = []
    flags: list[pl.DataFrame] = []
    for name, batch in batches.items():
        done = column[name]
        findings = (done.result() if isinstance(done, Future) else done) + in_polars[name]
        for f in findings:
            rows.extend(result_rows(batch, f))
        flags.append(flagged_rows(batch, findings))
    results = pl.DataFrame(rows, schema=RESULT_SCHEMA) if rows else pl.DataFrame(schema=RESULT_SCHEMA)
    return CheckRun(results, pl.concat(flags) if flags else pl.DataFrame(schema=FLAG_SCHEMA))

