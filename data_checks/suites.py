"""Great Expectations suites, one per canonical extract, built from the rule catalogue.

Every ``gx`` rule of ``data_checks.rules`` becomes one expectation; its ``meta`` carries the rule's
name, column and outcome, and a flag rule's escalation is GX's ``mostly`` (a flag broken by more
than ``reject_above`` of the rows fails the expectation, which rejects the file).

The suites run on a *check frame* that the runner builds from the mapped data (see
``data_checks.runner``) so that GX's pandas engine stays fast on 10 million rows:

- text columns become 1.0 where a value is set (null stays null): enough for not-null;
- dates and timestamps become days since 1970-01-01 (float), so ranges and "close date not before
  created date" are numeric comparisons (GX's datetime path is 15x slower);
- booleans become 0/1; code columns (activity type, contact level, ...) pandas categoricals;
- ``__key`` is a 52-bit hash of the extract's key columns for uniqueness; a duplicate hash is
  confirmed on the real values before it is reported; ``__raw__<col>`` is 1 where a value did not
  parse (present only when something did not parse);
- names (rep_name, account_name) stay as text for the formula and HTML rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from data_checks.rules import ExtractSpec, Rule, column_rules

if TYPE_CHECKING:
    import great_expectations.expectations as gxe
    from great_expectations.core import ExpectationSuite

EPOCH = date(1970, 1, 1)
KEY = "__key"
RAW = "__raw__"


def _day(value: object) -> float:
    if isinstance(value, date):
        return float((value - EPOCH).days)
    assert isinstance(value, int | float)
    return float(value)


def expectation(rule: Rule) -> gxe.Expectation:
    """The GX expectation that runs one column rule."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    severity = FailureSeverity.CRITICAL if rule.outcome == "reject" else FailureSeverity.WARNING
    meta: dict[str, object] = {"rule": rule.name, "column": rule.column, "outcome": rule.outcome}
    common: dict[str, Any] = {"severity": severity, "meta": meta}
    if rule.reject_above is not None:
        common["mostly"] = 1.0 - rule.reject_above
    col = rule.columns[0]
    if rule.kind == "column_exists":
        return gxe.ExpectColumnToExist(column=col, severity=severity, meta=meta)
    if rule.kind == "unique":
        return gxe.ExpectColumnValuesToBeUnique(column=KEY, **common)
    if rule.kind == "not_blank":
        return gxe.ExpectColumnValuesToNotBeNull(column=col, **common)
    if rule.kind == "parseable":
        return gxe.ExpectColumnValuesToBeNull(column=f"{RAW}{col}", **common)
    if rule.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(column=col, min_value=_day(rule.params["min"]),
                                                 max_value=_day(rule.params["max"]), **common)
    if rule.kind == "in_set":
        values: tuple[str, ...] = rule.params["values"]  # type: ignore[assignment]
        return gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(values), **common)
    if rule.kind == "no_match":
        return gxe.ExpectColumnValuesToNotMatchRegex(column=col, regex=str(rule.params["regex"]),
                                                     **common)
    if rule.kind == "ordered":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=rule.columns[0], column_B=rule.columns[1], or_equal=True,
            ignore_row_if="either_value_is_missing", **common)
    raise ValueError(f"the rule {rule.name!r} ({rule.kind}) is not a Great Expectations rule")


def suite(extract: ExtractSpec) -> ExpectationSuite:
    """The suite of one canonical extract."""
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(name=f"{extract.name}_checks",
                            expectations=[expectation(r) for r in column_rules(extract)])


def suites(extracts: Iterable[ExtractSpec]) -> dict[str, ExpectationSuite]:
    """The suite of each canonical extract, by extract name."""
    return {e.name: suite(e) for e in extracts}


def checked_columns(extract: ExtractSpec) -> set[str]:
    """The columns an extract's suite reads (only these are encoded and handed to GX)."""
    out: set[str] = set()
    for rule in column_rules(extract):
        if rule.kind == "unique":
            out.add(KEY)
        elif rule.kind == "parseable":
            out.add(rule.columns[0])
        else:
            out.update(rule.columns)
    return out
