"""Runs the Great Expectations suites on mapped extracts and reports results in one format.

One row per rule checked: ``file, extract, column_name, rule, severity (error|warning), passed,
failed_rows, total_rows, message, sample`` (the ``check_results`` table of the store). The sample
shows up to five failing rows by file line with their values.

Where the time goes and why (see ``bench/RESULTS.md``): GX's pandas engine is fast on numeric
numpy columns and slow on object strings and datetimes, so the runner hands it a *check frame* of
only the columns the suite needs, encoded as described in ``data_checks.suites``. Relational rules
(foreign keys, hierarchy cycles and self-managers) are joins: they run in Polars.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import polars as pl
from great_expectations.expectations.metadata_types import FailureSeverity

from data_checks.suites import ERROR, NAME_COLUMNS, SUITES, VALUE_SETS, WARNING
from scorecard.schema import EXTRACTS

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(), "extract": pl.String(), "column_name": pl.String(), "rule": pl.String(),
    "severity": pl.String(), "passed": pl.Boolean(), "failed_rows": pl.Int64(), "total_rows": pl.Int64(),
    "message": pl.String(), "sample": pl.String(),
}
SAMPLE_ROWS = 5
LINE = "__line"
FILE = "__file"
RAW = "__raw__"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class ExtractBatch:
    """All rows of one extract in an upload (possibly from several files) and what they refer to."""

    extract: str
    frame: pl.DataFrame
    """Canonical typed columns, ``__raw__<col>``, ``__line``, ``__file``."""
    files: list[str]


@dataclass
class References:
    """Key sets that foreign keys resolve against: this upload's, else the database's."""

    keys: dict[str, pl.Series] = field(default_factory=dict)
    """``reps`` -> rep_id values, ``accounts`` -> account_id, ``opportunities`` -> opportunity_id."""
    rates: set[str] | None = None
    """Currencies (upper case) with a conversion rate, this upload's or the database's; None: not checked."""
    reporting_currency: str = "USD"


FOREIGN_KEYS: dict[str, list[tuple[str, str, FailureSeverity]]] = {
    "reps": [("manager_id", "reps", ERROR)],
    "accounts": [("owner_rep_id", "reps", WARNING)],
    "opportunities": [("owner_rep_id", "reps", ERROR), ("account_id", "accounts", WARNING)],
    "activities": [("rep_id", "reps", ERROR), ("account_id", "accounts", WARNING),
                   ("opportunity_id", "opportunities", WARNING)],
    "quotas": [("rep_id", "reps", ERROR)],
    "forecasts": [("leader_id", "reps", ERROR)],
    "opportunity_history": [("opportunity_id", "opportunities", ERROR)],
    "coaching": [("leader_id", "reps", ERROR), ("rep_id", "reps", ERROR)],
    "opportunity_team": [("opportunity_id", "opportunities", ERROR), ("rep_id", "reps", WARNING)],
}
"""(column, referenced extract, severity) per extract."""


def suite_columns(extract: str) -> set[str]:
    """The columns the extract's suite reads (only these are encoded and handed to GX)."""
    out: set[str] = set()
    for expectation in SUITES[extract].expectations:
        kwargs = expectation.configuration.kwargs
        out.update(str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs)
    return out


def check_frame(batch: ExtractBatch) -> pl.DataFrame:
    """The encoded frame the suite runs on (see ``data_checks.suites``)."""
    extract = EXTRACTS[batch.extract]
    frame = batch.frame
    names_as_text = NAME_COLUMNS.get(batch.extract, [])
    needed = suite_columns(batch.extract)
    exprs: list[pl.Expr] = [pl.col(LINE)]
    for col in extract.columns:
        if col.name not in frame.columns or col.name not in needed:
            continue
        c = col.name
        if (batch.extract, c) in VALUE_SETS:
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
    if extract.key and all(k in frame.columns for k in extract.key):
        key = pl.col(extract.key[0]) if len(extract.key) == 1 else pl.struct(list(extract.key))
        hashed = key.hash(seed=11) // 4096
        # A key with blanks stays a float (NaN is blank to GX); whole keys go as integers, which
        # pandas' duplicate search handles faster than floats.
        nulls = frame.select(pl.any_horizontal(pl.col(k).is_null() for k in extract.key).any()).item()
        exprs.append((pl.when(key.is_not_null()).then(hashed).cast(pl.Float64) if nulls
                      else hashed.cast(pl.Int64)).alias("__key"))
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


def _gx_results(batch: ExtractBatch) -> list[tuple[Any, dict[str, Any], bool]]:
    """Run the extract's suite; returns (expectation, result dict, success) per expectation that applies."""

    suite = SUITES[batch.extract]
    checked = check_frame(batch)
    present = set(checked.columns)

    def applies(exp: object) -> bool:
        config = exp.configuration.kwargs  # type: ignore[attr-defined]
        cols = [config[k] for k in ("column", "column_A", "column_B") if k in config]
        if type(exp).__name__ == "ExpectColumnToExist":
            return True
        return all(c in present for c in cols)

    expectations = [e for e in suite.expectations if applies(e)]
    pandas_frame = to_pandas(checked)
    del checked  # columns with blanks were copied to pandas: the Polars ones would only hold memory
    with _GX_LOCK:
        return _validate(batch, pandas_frame, suite.name, expectations)


_GX_LOCK = threading.Lock()
"""One GX validation at a time: ``gx.get_context`` makes its context the process-wide project, which a
validation running on another thread would then look its suite up in."""


def _validate(batch: ExtractBatch, pandas_frame: pd.DataFrame, suite_name: str,
              expectations: list[Any]) -> list[tuple[Any, dict[str, Any], bool]]:
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory frame under 1 GB by hashing all of it with pandas (2 s on the
    # activities check frame): a batch identifier, not a check, so it is skipped.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("mapped")
    definition = source.add_dataframe_asset(batch.extract).add_batch_definition_whole_dataframe("all")
    run_suite = context.suites.add(ExpectationSuite(name=suite_name, expectations=[e.copy() for e in expectations]))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{batch.extract}_validation", data=definition, suite=run_suite))
    result = validation.run(
        batch_parameters={"dataframe": pandas_frame},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS,
                       "unexpected_index_column_names": [LINE]},
    )
    out: list[tuple[Any, dict[str, Any], bool]] = []
    for item in result.results:
        out.append((item.expectation_config, dict(item.result or {}), bool(item.success)))
    return out


def _sample(frame: pl.DataFrame, lines: list[int], columns: list[str]) -> str:
    if not lines:
        return ""
    rows = frame.filter(pl.col(LINE).is_in(lines[:SAMPLE_ROWS])).head(SAMPLE_ROWS)
    shown = [c for c in columns if c in rows.columns]
    out = []
    for row in rows.iter_rows(named=True):
        values = ", ".join(f"{c}={_show(row.get(RAW + c), row[c])}" for c in shown)
        where = f"{row[FILE]} line {row[LINE]}" if FILE in row else f"line {row[LINE]}"
        out.append(f"{where}: {values}")
    return "\n".join(out)


def _show(raw: object, value: object) -> str:
    text = raw if raw is not None else value
    return "(blank)" if text is None else repr(str(text))[:80]


def _row(batch: ExtractBatch, column: str | None, rule: str, severity: FailureSeverity, failed: int, message: str,
         sample: str = "") -> dict[str, object]:
    return {"file": ", ".join(batch.files), "extract": batch.extract, "column_name": column, "rule": rule,
            "severity": "error" if severity == ERROR else "warning", "passed": failed <= 0,
            "failed_rows": failed, "total_rows": batch.frame.height, "message": message, "sample": sample}


def run_suite(batch: ExtractBatch) -> list[dict[str, object]]:
    """The extract's GX suite as result rows (duplicates confirmed on real values)."""
    extract = EXTRACTS[batch.extract]
    rows: list[dict[str, object]] = []
    for config, result, success in _gx_results(batch):
        meta = config.meta or {}
        rule = str(meta.get("rule", config.type))
        column = meta.get("column")
        severity = WARNING if getattr(config, "severity", ERROR) == WARNING else ERROR
        if config.type == "expect_column_to_exist":
            rows.append(_row(batch, str(column), rule, severity, 0 if success else batch.frame.height,
                             "present" if success else f"the column {column} is missing"))
            continue
        failed = int(result.get("unexpected_count") or 0) if not success else 0
        lines = [int(d[LINE]) for d in result.get("partial_unexpected_index_list") or []
                 if isinstance(d, dict) and LINE in d]
        cols = [c.strip() for c in str(column).split(",")] if column else []
        if config.type == "expect_column_values_to_be_unique" and failed:
            # Confirm on the real key values (the check frame holds hashes).
            key = list(extract.key)
            dup = batch.frame.filter(pl.struct(key).is_duplicated())
            failed = dup.height
            lines = dup[LINE].head(SAMPLE_ROWS).to_list()
        if config.type == "expect_column_values_to_not_be_null" and failed and f"{RAW}{column}" in batch.frame.columns:
            # A value that did not parse is reported once, by the parse rule, not again as blank.
            unparsed = batch.frame.filter(pl.col(f"{RAW}{column}").is_not_null())
            failed -= unparsed.height
            skip = set(unparsed[LINE].to_list())
            lines = [n for n in lines if n not in skip]
        if not success and failed == 0 and "exception_info" in result:
            failed = batch.frame.height
        message = _message(rule, failed, batch.frame.height, cols)
        rows.append(_row(batch, str(column) if column else None, rule, severity, failed, message,
                         _sample(batch.frame, lines, cols + [c for c in extract.key if c not in cols])))
    return rows


def _message(rule: str, failed: int, total: int, cols: list[str]) -> str:
    if failed == 0:
        return "passed"
    share = f" ({failed / total:.1%})" if total else ""
    return f"{failed:,} of {total:,} rows{share} break the rule '{rule}' on {', '.join(cols) or 'the rows'}"


def foreign_key_rows(batch: ExtractBatch, references: References) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for column, target, severity in FOREIGN_KEYS.get(batch.extract, []):
        if column not in batch.frame.columns or target not in references.keys:
            continue
        known = references.keys[target]
        values = batch.frame.select(LINE, *( [FILE] if FILE in batch.frame.columns else []), column)
        orphans = values.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
        rule = f"{column} found in {target}"
        failed = orphans.height
        message = _message(rule, failed, batch.frame.height, [column]) if failed else "passed"
        if failed:
            distinct = orphans[column].unique(maintain_order=True).head(5).to_list()
            message += ": " + ", ".join(repr(v) for v in distinct)
        rows.append(_row(batch, column, rule, severity, failed, message,
                         _sample(batch.frame, orphans[LINE].head(SAMPLE_ROWS).to_list(), [column])))
    return rows


def currency_rows(batch: ExtractBatch, references: References) -> list[dict[str, object]]:
    """Deals in a currency with no conversion rate: a warning, as their amounts then count as the
    reporting currency unconverted (load a currency_rates extract, or a Salesforce CurrencyType)."""
    if batch.extract != "opportunities" or references.rates is None or "currency" not in batch.frame.columns:
        return []
    reporting = references.reporting_currency.upper()
    code = pl.col("currency").str.strip_chars().str.to_uppercase()
    missing = batch.frame.filter(code.is_not_null() & (code != reporting) & ~code.is_in(sorted(references.rates)))
    rule = "currency has a conversion rate"
    failed = missing.height
    message = "passed"
    if failed:
        codes = ", ".join(sorted(set(missing["currency"].str.strip_chars().str.to_uppercase().to_list()))[:5])
        message = (f"{_message(rule, failed, batch.frame.height, ['currency'])}: {codes} has no conversion rate, so"
                   f" these amounts count as {reporting} as they are; load a currency_rates file with them")
    return [_row(batch, "currency", rule, WARNING, failed, message,
                 _sample(batch.frame, missing[LINE].head(SAMPLE_ROWS).to_list(), ["currency", "amount"]))]


_ONE_OF = {"reps": "a rep", "accounts": "an account", "opportunities": "a deal"}
"""What one row of a referenced extract is called in a message."""


def loaded_orphan_row(replaced: ExtractBatch, key: str, extract: str, column: str,
                      value_counts: pl.DataFrame) -> dict[str, object] | None:
    """Rows already loaded in ``extract`` whose ``column`` names a key the replacing upload drops.

    ``value_counts`` holds ``value, n`` for that column as loaded. A warning: the rows stay, but the
    metrics lose them (a deal whose owner is gone belongs to no team).
    """
    known = replaced.frame[key].drop_nulls()
    gone = value_counts.filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(known.implode()))
    total = int(value_counts["n"].sum() or 0)
    failed = int(gone["n"].sum() or 0)
    if failed == 0:
        return None
    rule = f"loaded {extract}.{column} still found in {replaced.extract}"
    names = ", ".join(repr(v) for v in gone.sort("n", descending=True)["value"].head(5).to_list())
    message = (f"{failed:,} of {total:,} loaded {extract} rows ({failed / max(total, 1):.1%}) name"
               f" {_ONE_OF.get(replaced.extract, 'a row')} this upload no longer has: {names}")
    return {"file": ", ".join(replaced.files), "extract": replaced.extract, "column_name": key, "rule": rule,
            "severity": "warning", "passed": False, "failed_rows": failed, "total_rows": total,
            "message": message, "sample": ""}


def hierarchy_rows(batch: ExtractBatch) -> list[dict[str, object]]:
    """Self-managers and cycles in reps.manager_id (a walk up the tree that comes back)."""
    if batch.extract != "reps" or "manager_id" not in batch.frame.columns:
        return []
    frame = batch.frame
    managers = dict(zip(frame["rep_id"].to_list(), frame["manager_id"].to_list(), strict=True))
    selfish = frame.filter(pl.col("rep_id") == pl.col("manager_id"))
    rows = [_row(batch, "manager_id", "not their own manager", ERROR, selfish.height,
                 _message("not their own manager", selfish.height, frame.height, ["manager_id"]),
                 _sample(frame, selfish[LINE].head(SAMPLE_ROWS).to_list(), ["rep_id", "manager_id"]))]
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
    message = _message("no cycle in the hierarchy", cyc.height, frame.height, ["manager_id"])
    if cyc.height:
        message += ": " + " -> ".join(sorted(in_cycle)[:6])
    rows.append(_row(batch, "manager_id", "no cycle in the hierarchy", ERROR, cyc.height, message,
                     _sample(frame, cyc[LINE].head(SAMPLE_ROWS).to_list(), ["rep_id", "manager_id"])))
    return rows


def run_checks(batches: Mapping[str, ExtractBatch], references: References,
               progress: Callable[[str, float], None] | None = None,
               suites_started: Mapping[str, tuple[ExtractBatch, Future[list[dict[str, object]]]]] | None = None,
               ) -> pl.DataFrame:
    """Every rule on every extract of an upload, as one result frame (nothing is written).

    ``suites_started`` holds suites already running on another thread (the ingest starts the
    largest extract's while it reads the other files); a result is used only if it was run on the
    very batch checked now, and is waited for last.
    """
    started = dict(suites_started or {})
    # The relational rules (Polars, no GIL) first, while a suite started earlier may still run.
    relational = {name: foreign_key_rows(batch, references) + hierarchy_rows(batch) + currency_rows(batch, references)
                  for name, batch in batches.items()}
    suites: dict[str, list[dict[str, object]] | Future[list[dict[str, object]]]] = {}
    for i, (name, batch) in enumerate(batches.items()):
        if progress:
            progress(f"checking {name} ({batch.frame.height:,} rows)", i / max(len(batches), 1))
        ahead = started.get(name)
        if ahead is not None and ahead[0].frame is batch.frame and ahead[0].files == batch.files:
            suites[name] = ahead[1]
        else:
            suites[name] = run_suite(batch)
    rows: list[dict[str, object]] = []
    for name in batches:
        suite = suites[name]
        rows.extend(suite.result() if isinstance(suite, Future) else suite)
        rows.extend(relational[name])
    return pl.DataFrame(rows, schema=RESULT_SCHEMA) if rows else pl.DataFrame(schema=RESULT_SCHEMA)


def structural_row(file: str, extract: str | None, column: str | None, rule: str, message: str,
                   total: int = 0) -> dict[str, object]:
    """A file that never reached the suite (unreadable, unknown shape, missing columns, no rows)."""
    return {"file": file, "extract": extract, "column_name": column, "rule": rule, "severity": "error",
            "passed": False, "failed_rows": total, "total_rows": total, "message": message, "sample": ""}
