"""Great Expectations suites: one per canonical extract, built from the schema.

The suites run on a *check frame* that the runner builds from the mapped data (see
``data_checks.runner``) so that Great Expectations' pandas engine stays fast on 10 million rows:

- text columns become 1.0 where a value is set (null stays null): enough for not-null;
- dates and timestamps become days since 1970-01-01 (float), so ranges and "close date not before
  created date" are numeric comparisons (GX's datetime path is 15x slower);
- booleans become 0/1; code columns (activity type, contact level, ...) pandas categoricals;
- ``__key`` is a 52-bit hash of the extract's key columns (an integer, or a float when some key
  is blank) for uniqueness; a duplicate hash is confirmed on the real values before it is
  reported; ``__raw__<col>`` is 1 where a value did not
  parse (present only when something did not parse);
- names (rep_name, account_name) stay as text for the formula and HTML rules.

Every expectation carries ``meta["rule"]`` (the rule's name in the verdict) and a severity:
``critical`` blocks the load, ``warning`` is reported and does not.

Relational rules (foreign keys, a hierarchy without cycles) are checked in Polars by the runner and
reported in the same format.
"""

from __future__ import annotations

from datetime import date

import great_expectations.expectations as gxe
from great_expectations.core import ExpectationSuite
from great_expectations.expectations.metadata_types import FailureSeverity

from scorecard.schema import EXTRACTS, Extract

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 1, 1)
EPOCH = date(1970, 1, 1)
EARLIEST_DAY = float((EARLIEST - EPOCH).days)
LATEST_DAY = float((LATEST - EPOCH).days)

ERROR = FailureSeverity.CRITICAL
WARNING = FailureSeverity.WARNING

VALUE_SETS: dict[tuple[str, str], list[str]] = {
    ("activities", "type"): ["call", "email", "meeting", "demo", "social", "content", "event", "other"],
    ("activities", "contact_level"): ["c_level", "vp", "director", "manager", "staff"],
    ("opportunities", "forecast_category"): ["pipeline", "best_case", "commit", "closed", "omitted"],
    ("coaching", "kind"): ["one_on_one", "huddle", "deal_review", "ride_along"],
}
"""Code columns and their allowed values; an unknown value is a warning (the metric ignores it)."""

NAME_COLUMNS: dict[str, list[str]] = {"reps": ["rep_name", "email"], "accounts": ["account_name"]}
"""Text shown on pages: checked for spreadsheet formulas and HTML markup."""
FORMULA_PATTERN = r"^\s*[=+@\-]\s*[A-Za-z(]"
HTML_PATTERN = r"<\s*/?\s*[A-Za-z][^>]*>"

RANGES: dict[tuple[str, str], tuple[float, float, FailureSeverity]] = {
    ("opportunities", "amount"): (0.0, 1e10, ERROR),
    ("opportunity_history", "amount"): (0.0, 1e10, WARNING),
    ("quotas", "quota_amount"): (0.0, 1e10, ERROR),
    ("forecasts", "forecast_amount"): (0.0, 1e11, ERROR),
    ("activities", "duration_min"): (0.0, 24 * 60.0, WARNING),
    ("coaching", "duration_min"): (0.0, 24 * 60.0, WARNING),
    ("currency_rates", "rate"): (1e-9, 1e9, ERROR),
}
"""Plausible ranges of numbers (min, max, severity)."""

ORDERED_PAIRS: dict[str, list[tuple[str, str, FailureSeverity, str]]] = {
    "opportunities": [("close_date", "created_date", ERROR, "close date not before created date"),
                      ("is_closed", "is_won", ERROR, "a won deal is closed")],
    "quotas": [("period_end", "period_start", ERROR, "period end after period start")],
    "reps": [("termination_date", "hire_date", WARNING, "termination not before hire")],
}
"""(column A, column B, severity, rule): A must be greater than or equal to B where both are set."""

NULLABLE_REQUIRED = {("reps", "manager_id")}
"""Required columns whose blank is meaningful (the top of the hierarchy has no manager)."""
WARN_IF_BLANK = {("opportunities", "amount"): "amount given", ("opportunities", "account_id"): "account given"}
"""Columns whose blanks are reported but do not block (open deals without an amount yet, say)."""


def _meta(rule: str, column: str | None = None) -> dict[str, object]:
    return {"rule": rule, "column": column}


def expectations_for(extract: Extract) -> list[gxe.Expectation]:
    """Every expectation of one extract's suite."""
    name = extract.name
    out: list[gxe.Expectation] = []
    for required in extract.required_columns:
        out.append(gxe.ExpectColumnToExist(column=required, severity=ERROR,
                                           meta=_meta("required column", required)))
    if extract.key:
        out.append(gxe.ExpectColumnValuesToBeUnique(
            column="__key", severity=ERROR, meta=_meta("unique " + ", ".join(extract.key), ", ".join(extract.key))))
    for col in extract.columns:
        key = (name, col.name)
        if key in WARN_IF_BLANK:
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=col.name, severity=WARNING,
                                                         meta=_meta(WARN_IF_BLANK[key], col.name)))
        elif col.required and key not in NULLABLE_REQUIRED:
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=col.name, severity=ERROR,
                                                         meta=_meta("not blank", col.name)))
        if col.type != "VARCHAR":
            kind = {"DATE": "date", "TIMESTAMP": "date and time", "BOOLEAN": "true/false"}.get(col.type, "number")
            out.append(gxe.ExpectColumnValuesToBeNull(column=f"__raw__{col.name}", severity=ERROR,
                                                      meta=_meta(f"parseable {kind}", col.name)))
        if col.type in ("DATE", "TIMESTAMP"):
            out.append(gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=EARLIEST_DAY, max_value=LATEST_DAY, severity=ERROR,
                meta=_meta(f"plausible date ({EARLIEST.year} to {LATEST.year})", col.name)))
        if key in RANGES:
            low, high, severity = RANGES[key]
            out.append(gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=low, max_value=high, severity=severity,
                meta=_meta(f"plausible range ({low:,.0f} to {high:,.0f})", col.name)))
        if key in VALUE_SETS:
            out.append(gxe.ExpectColumnValuesToBeInSet(
                column=col.name, value_set=VALUE_SETS[key], severity=WARNING,
                meta=_meta("known value (" + ", ".join(VALUE_SETS[key]) + ")", col.name)))
    for col_name in NAME_COLUMNS.get(name, []):
        out.append(gxe.ExpectColumnValuesToNotMatchRegex(
            column=col_name, regex=FORMULA_PATTERN, severity=ERROR, meta=_meta("no spreadsheet formula", col_name)))
        out.append(gxe.ExpectColumnValuesToNotMatchRegex(
            column=col_name, regex=HTML_PATTERN, severity=ERROR, meta=_meta("no HTML markup", col_name)))
    for a, b, severity, rule in ORDERED_PAIRS.get(name, []):
        out.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing",
            severity=severity, meta=_meta(rule, f"{a}, {b}")))
    return out


SUITES: dict[str, ExpectationSuite] = {
    name: ExpectationSuite(name=f"{name}_checks", expectations=expectations_for(extract))
    for name, extract in EXTRACTS.items()
}
"""The suite of each canonical extract, by extract name."""
