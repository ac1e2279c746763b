"""The canonical data model: one table per CRM extract (SPEC section 3).

This module is the single description of the extracts. The store builds its tables from it, the
ingest path maps and checks files against it, and `docs/data-model.md` describes the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SqlType = Literal["VARCHAR", "DATE", "TIMESTAMP", "DOUBLE", "BOOLEAN", "INTEGER"]


@dataclass(frozen=True)
class Column:
    name: str
    type: SqlType
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Extract:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False
    appendable: bool = False
    """Activity-like extracts may be appended to instead of replaced."""

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name: str, type_: SqlType = "VARCHAR", required: bool = False, description: str = "") -> Column:
    return Column(name, type_, required, description)


EXTRACTS: dict[str, Extract] = {
    e.name: e
    for e in (
        Extract(
            "reps",
            "Everyone in the sales organisation; the hierarchy comes from manager_id.",
            (
                _c("rep_id", required=True),
                _c("rep_name", required=True),
                _c("email"),
                _c("manager_id", required=True, description="blank for the top of the hierarchy"),
                _c("role", description="ae, sdr, se, leader, executive, ..."),
                _c("region"),
                _c("segment"),
                _c("hire_date", "DATE"),
                _c("termination_date", "DATE"),
            ),
            key=("rep_id",),
        ),
        Extract(
            "accounts",
            "Customers and prospects; is_target marks the rep's named accounts (the Magnificent 50).",
            (
                _c("account_id", required=True),
                _c("account_name", required=True),
                _c("industry"),
                _c("segment"),
                _c("region"),
                _c("owner_rep_id"),
                _c("is_target", "BOOLEAN"),
            ),
            key=("account_id",),
        ),
        Extract(
            "opportunities",
            "Deals, open and closed; amounts in the reporting currency (converted on load).",
            (
                _c("opportunity_id", required=True),
                _c("owner_rep_id", required=True),
                _c("account_id"),
                _c("created_date", "DATE", required=True),
                _c("close_date", "DATE", required=True),
                _c("stage", required=True),
                _c("is_closed", "BOOLEAN", required=True),
                _c("is_won", "BOOLEAN", required=True),
                _c("amount", "DOUBLE", required=True),
                _c("type", description="new, expansion, renewal"),
                _c("product_line"),
                _c("lead_source", description="marketing, partner, outbound, inbound, referral, ..."),
                _c("forecast_category", description="pipeline, best_case, commit, closed, omitted"),
                _c("next_step"),
                _c("currency", description="ISO code of the deal's own currency, when it is not the reporting one"),
                _c("amount_local", "DOUBLE", description="amount in the deal's own currency (filled on load)"),
            ),
            key=("opportunity_id",),
        ),
        Extract(
            "activities",
            "Calls, e-mails, meetings and other touches logged by reps.",
            (
                _c("activity_id", required=True),
                _c("rep_id", required=True),
                _c("activity_at", "TIMESTAMP", required=True),
                _c("type", required=True, description="call, email, meeting, demo, social, content, event, other"),
                _c("account_id"),
                _c("opportunity_id"),
                _c("contact_id"),
                _c("contact_level", description="c_level, vp, director, manager, staff"),
                _c("duration_min", "DOUBLE"),
            ),
            key=("activity_id",),
            appendable=True,
        ),
        Extract(
            "quotas",
            "Each rep's quota per period.",
            (
                _c("rep_id", required=True),
                _c("period_start", "DATE", required=True),
                _c("period_end", "DATE", required=True),
                _c("quota_amount", "DOUBLE", required=True),
            ),
            key=("rep_id", "period_start"),
        ),
        Extract(
            "forecasts",
            "The leader's commit call for a period.",
            (
                _c("leader_id", required=True),
                _c("period_start", "DATE", required=True),
                _c("submitted_at", "TIMESTAMP", required=True),
                _c("forecast_amount", "DOUBLE", required=True),
            ),
            key=("leader_id", "period_start", "submitted_at"),
            optional=True,
        ),
        Extract(
            "opportunity_history",
            "One row per change of a deal's stage, amount or close date.",
            (
                _c("opportunity_id", required=True),
                _c("changed_at", "TIMESTAMP", required=True),
                _c("stage"),
                _c("amount", "DOUBLE"),
                _c("close_date", "DATE"),
            ),
            key=(),
            optional=True,
        ),
        Extract(
            "coaching",
            "Coaching sessions a leader held with a rep.",
            (
                _c("leader_id", required=True),
                _c("rep_id", required=True),
                _c("session_at", "TIMESTAMP", required=True),
                _c("kind", description="one_on_one, huddle, deal_review, ride_along"),
                _c("duration_min", "DOUBLE"),
            ),
            key=(),
            optional=True,
            appendable=True,
        ),
        Extract(
            "opportunity_team",
            "Specialists, partners and leaders working a deal beside its owner.",
            (
                _c("opportunity_id", required=True),
                _c("rep_id", required=True),
                _c("role", description="se, sdr, partner, leader, ..."),
            ),
            key=("opportunity_id", "rep_id"),
            optional=True,
        ),
        Extract(
            "currency_rates",
            "Conversion rates: one unit of `currency` is `rate` units of the reporting currency.",
            (
                _c("currency", required=True),
                _c("rate", "DOUBLE", required=True),
            ),
            key=("currency",),
            optional=True,
        ),
    )
}

CORE_EXTRACTS = [name for name, e in EXTRACTS.items() if not e.optional]


def create_table_sql(extract: Extract, table: str | None = None, extra: str = "") -> str:
    cols = ",\n    ".join(f"{c.name} {c.type}" for c in extract.columns)
    return f"create table if not exists {table or extract.name} (\n    {extra}{cols}\n)"


DATA_MODEL_INTRO = """# Data model

The canonical extracts, one DuckDB table each. This file is generated from `scorecard/schema.py`
(`python -m scorecard.schema > docs/data-model.md`); a test keeps the two the same.

Required columns are marked **required**; the rest are optional. A missing optional column or
extract switches off only the metrics that need it. IDs are strings. Amounts are in the reporting
currency (setting `SCORECARD_REPORTING_CURRENCY`, default USD): a deal that carries `currency` is
converted on load with the `currency_rates` extract, and its original amount is kept in
`amount_local`. Periods are fiscal quarters; the first month of the fiscal year is the setting
`SCORECARD_FISCAL_YEAR_START_MONTH` (default 1, January), and a fiscal year is named after the
calendar year in which it ends.

Leaders are reps who manage someone: the hierarchy comes from `reps.manager_id` and may be many
levels deep. On every load of `reps` the store rebuilds two derived tables: `team_members`
(leader_id, rep_id, depth: everyone below a leader, at any depth) and `leaders` (leader_id, level
with 0 at the top, direct_reports, team_size).

Bookkeeping tables: `loads` (one row per accepted load: id, when, by whom, source, files with
sha256 and size, row counts, check summary, the data's as-of date, and for a restore the load it
restored), `check_results` (the data-check results with each rule's outcome, reject, flag or note,
rejected files included), `flagged_rows` (each row in place that was loaded with a flag: extract,
row key, file, line, rule, column; see `docs/ingest.md`) and
`opportunity_snapshots` (the opportunities extract as it stood after each load that delivered it,
keyed by load_id, for figures as of an earlier date).
"""


def data_model_markdown() -> str:
    parts = [DATA_MODEL_INTRO]
    for extract in EXTRACTS.values():
        kind = "optional extract" if extract.optional else "core extract"
        extra = "; may be appended to" if extract.appendable else ""
        key = ", ".join(extract.key) if extract.key else "none"
        parts.append(f"\n## {extract.name} ({kind}{extra})\n\n{extract.description} Key: {key}.\n\n"
                     "| column | type | required | meaning |\n|---|---|---|---|")
        for col in extract.columns:
            parts.append(f"| {col.name} | {col.type} | {'**required**' if col.required else ''} |"
                         f" {col.description} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(data_model_markdown(), end="")
