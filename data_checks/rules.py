"""The rule catalogue: every check an upload goes through, declared once with its outcome.

Each rule has one of three outcomes (SPEC section 4):

- **reject**: the file cannot be used (a required column missing, duplicate keys, a cycle in the
  hierarchy, a file that matches no format): the whole upload is refused and nothing changes;
- **flag**: the rows are odd in a way real CRMs produce every day (a deal closed before it was
  created, an open deal without a close date, an activity without a type): they are loaded and
  kept, marked with the rule in ``flagged_rows``, named in the verdict, and left out only of the
  metrics they would distort. A flag rule may **escalate** to a reject when more than
  ``reject_above`` of the rows break it: then the file is probably mis-mapped (day and month
  swapped, columns crossed);
- **note**: informational (a CRM object the scorecard does not use, a file holding only a header).

Each rule also names the **engine** that runs it:

- ``gx``: a column rule, run by a Great Expectations suite (``data_checks.suites`` builds one suite
  per extract from these rules; escalation is GX's ``mostly``);
- ``polars``: a rule across rows or extracts (foreign keys, the hierarchy, currencies, rows already
  loaded) or over every text value at once (length, NUL bytes), run in Polars by ``data_checks.runner``;
- ``file``: a rule about the file itself (readable, recognised, has rows), decided while it is read
  and mapped by the ingest path.

The catalogue does not import the scorecard package: :func:`catalogue` takes the data model (any
objects shaped like ``scorecard.schema.Extract``) and returns the concrete rules for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

Outcome = Literal["reject", "flag", "note"]
Engine = Literal["gx", "polars", "file"]
OUTCOMES: tuple[Outcome, ...] = ("reject", "flag", "note")

MOST = 0.5
"""Default escalation: a flag rule broken by more than half of the rows rejects the file."""

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 1, 1)


class ColumnSpec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...


class ExtractSpec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> Sequence[ColumnSpec]: ...
    @property
    def key(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Limits:
    """Resource limits that are checks (each a setting of the scorecard, ``SCORECARD_...``)."""

    text_value_limit: int = 2_000
    """The longest text value, in characters: a 50 MB name is refused, not sent to every page."""
    hierarchy_depth_limit: int = 30
    """The deepest reporting chain: a deeper one is refused with the chain named, never cut."""


DEFAULT_LIMITS = Limits()

KEYS_AND_ADDRESSES: dict[str, tuple[str, ...]] = {
    "reps": ("rep_id", "manager_id", "email"), "accounts": ("account_id", "owner_rep_id"),
    "opportunities": ("opportunity_id", "owner_rep_id", "account_id"),
}
"""Columns by which someone or something is looked up (a login by e-mail, a team by rep, a deal's
account): a NUL byte in them makes a row no one can find (a person who can never log in), so it
rejects the file. The activity-like extracts point at these keys, so a NUL byte there is already flagged by
the foreign-key rules (it names nobody); scanning their millions of IDs again would only cost time."""


@dataclass(frozen=True)
class Rule:
    """One check: what it is called in a verdict, where it applies, its outcome and its engine."""

    name: str
    """The rule's name in verdicts and on the Data quality page."""
    extract: str | None
    """The canonical extract it applies to (None: any file)."""
    columns: tuple[str, ...]
    outcome: Outcome
    engine: Engine
    kind: str
    """What the engine does: ``column_exists``, ``unique``, ``not_blank``, ``parseable``, ``between``,
    ``in_set``, ``no_match``, ``ordered``, ``foreign_key``, ``self_manager``, ``cycle``,
    ``currency_rate``, ``loaded_orphans``, or a file rule's name."""
    reject_above: float | None = None
    """For a flag: the share of rows above which it rejects the file instead."""
    params: Mapping[str, object] = field(default_factory=dict)
    why: str = ""
    """Why the rule has this outcome: shown in ``docs/ingest.md`` and the methodology."""

    @property
    def column(self) -> str | None:
        return ", ".join(self.columns) if self.columns else None


# -- what is special about some columns ----------------------------------------------------------

FLAG_IF_BLANK: dict[tuple[str, str], str] = {
    ("opportunities", "close_date"): "an open deal without a close date is loaded: it is left out of next period's"
                                     " coverage and counts against pipeline hygiene",
    ("opportunities", "created_date"): "a deal without a created date is taken as created when first seen (its"
                                       " close date, else the data's as-of date) and has no sales cycle",
    ("opportunities", "amount"): "a deal without an amount counts in win rate, not in amounts",
    ("opportunities", "stage"): "a deal without a stage is judged by its open/won/lost flags",
    ("opportunities", "owner_rep_id"): "a deal without an owner belongs to no team",
    ("activities", "type"): "an activity without a type is an activity of unknown kind: it counts as a"
                            " touch, not as a call, meeting or insight",
    ("quotas", "quota_amount"): "a quota row without an amount is no quota",
    ("forecasts", "forecast_amount"): "a forecast call without an amount is no call",
    ("reps", "rep_name"): "a rep without a name is shown by ID",
}
"""Required columns whose blank is a flag (the row is kept, however many there are: a sheet of open
deals may have no amounts yet); other required columns reject blanks."""

NOTE_IF_BLANK: dict[tuple[str, str], tuple[str, str]] = {
    ("opportunities", "account_id"): ("account given", "deals without an account (early-stage deals in hand-kept"
                                                       " sheets) are left out of target-account metrics only"),
}
"""Optional columns whose blanks are worth a note: (rule, why)."""

BLANK_MEANS_TOP = {("reps", "manager_id")}
"""Required columns whose blank is meaningful (the top of the hierarchy has no manager)."""

VALUE_SETS: dict[tuple[str, str], tuple[str, ...]] = {
    ("activities", "type"): ("call", "email", "meeting", "demo", "social", "content", "event", "other"),
    ("activities", "contact_level"): ("c_level", "vp", "director", "manager", "staff"),
    ("opportunities", "forecast_category"): ("pipeline", "best_case", "commit", "closed", "omitted"),
    ("coaching", "kind"): ("one_on_one", "huddle", "deal_review", "ride_along"),
}
"""Code columns and their known values: an unknown value is flagged (the metric ignores it)."""

NAME_COLUMNS: dict[str, tuple[str, ...]] = {"reps": ("rep_name", "email"), "accounts": ("account_name",)}
"""Text shown on pages: a spreadsheet formula or HTML markup in it rejects the file."""
FORMULA_PATTERN = r"^\s*[=+@\t\r]|^\s*-\s*[\w(]"
"""What a spreadsheet would run (OWASP's CSV injection prefixes, and the bypasses ``=0+HYPERLINK(..)``,
``=+SUM(1,2)``, ``-0+cmd|..``): a value that begins with ``=``, ``+``, ``@``, a tab or a carriage
return, or with ``-`` and then a word, a number or a bracket."""
FORMULA_FLAG = ("a formula in any other text (an ID, a stage, a role, a next step) would run in a spreadsheet:"
                " the row is kept and named, and every file the scorecard writes neutralises it")
"""Why every text column other than the names is checked for a formula and flagged: IDs and codes come
from the CRM as typed or imported, and any of them can reach a download."""
HTML_PATTERN = r"<\s*/?\s*[A-Za-z][^>]*>"

RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("opportunities", "amount"): (0.0, 1e10),
    ("opportunity_history", "amount"): (0.0, 1e10),
    ("quotas", "quota_amount"): (0.0, 1e10),
    ("forecasts", "forecast_amount"): (0.0, 1e11),
    ("activities", "duration_min"): (0.0, 24 * 60.0),
    ("coaching", "duration_min"): (0.0, 24 * 60.0),
    ("currency_rates", "rate"): (1e-9, 1e9),
}
"""Plausible ranges of numbers (min, max): a value outside is flagged."""

ORDERED: dict[str, tuple[tuple[str, str, Outcome, str, str], ...]] = {
    "opportunities": (
        ("close_date", "created_date", "flag", "close date not before created date",
         "deals entered after the fact close before they were created (2% of a real Salesforce export):"
         " they count everywhere but in the sales cycle"),
        ("is_closed", "is_won", "reject", "a won deal is closed",
         "a deal won but open means the open/won/lost mapping is wrong"),
    ),
    "quotas": (("period_end", "period_start", "reject", "period end after period start",
                "a quota period that ends before it starts is a mis-mapped sheet"),),
    "reps": (("termination_date", "hire_date", "flag", "termination not before hire",
              "the rep is kept; ramp time leaves them out"),),
}
"""(column A, column B, outcome, rule, why): A must be greater than or equal to B where both are set."""

FOREIGN_KEYS: dict[str, tuple[tuple[str, str, Outcome, float | None], ...]] = {
    "reps": (("manager_id", "reps", "reject", None),),
    "accounts": (("owner_rep_id", "reps", "flag", None),),
    "opportunities": (("owner_rep_id", "reps", "flag", MOST), ("account_id", "accounts", "flag", None)),
    "activities": (("rep_id", "reps", "flag", MOST), ("account_id", "accounts", "flag", None),
                   ("opportunity_id", "opportunities", "flag", None)),
    "quotas": (("rep_id", "reps", "flag", MOST),),
    "forecasts": (("leader_id", "reps", "flag", MOST),),
    "opportunity_history": (("opportunity_id", "opportunities", "flag", MOST),),
    "coaching": (("leader_id", "reps", "flag", MOST), ("rep_id", "reps", "flag", MOST)),
    "opportunity_team": (("opportunity_id", "opportunities", "flag", MOST), ("rep_id", "reps", "flag", None)),
}
"""(column, referenced extract, outcome, reject_above) per extract. A manager who is nobody breaks the
hierarchy (reject); a row whose owner or rep is nobody belongs to no team and is flagged, unless most
rows are so (the people file is probably not the one these rows come from)."""

FILE_RULES: dict[str, tuple[Outcome, str]] = {
    "readable file": ("reject", "empty, binary, over the size limit, or not a table"),
    "recognised format": ("reject", "the headers match no known format and no mapping profile"),
    "mappable file": ("reject", "a value no mapping foresaw"),
    "required columns": ("reject", "an extract without a column it cannot do without"),
    "has rows": ("reject", "a canonical file with a header but no rows is a failed export"),
    "mapping profile": ("reject", "a profile that was asked for and cannot be used"),
    "one mapping profile": ("reject", "two saved profiles read the file: the uploader chooses one"),
    "object used by the scorecard": ("note", "a CRM object the scorecard does not use is skipped"),
    "checked in time": ("reject", "checks that run past the time limit are stopped: a file that slow to check is"
                                  " not the export expected, or far larger"),
    "checks ran to the end": ("reject", "checks that stop on an error (out of memory, a crash) refuse the upload,"
                                        " saying why"),
}
"""Rules decided while a file is read and mapped (engine ``file``)."""


def _kind_label(sql_type: str) -> str:
    return {"DATE": "date", "TIMESTAMP": "date and time", "BOOLEAN": "true/false"}.get(sql_type, "number")


def column_rules(extract: ExtractSpec) -> list[Rule]:
    """The Great Expectations rules of one extract, in the order its suite runs them."""
    name = extract.name
    out: list[Rule] = []
    for col in extract.columns:
        if col.required:
            out.append(Rule("required column", name, (col.name,), "reject", "gx", "column_exists",
                            why="an extract cannot be used without its required columns"))
    if extract.key:
        key = tuple(extract.key)
        out.append(Rule("unique " + ", ".join(key), name, key, "reject", "gx", "unique",
                        why="two rows with one key: the file cannot say which is true"))
    for col in extract.columns:
        where = (name, col.name)
        if where in FLAG_IF_BLANK:
            out.append(Rule("not blank", name, (col.name,), "flag", "gx", "not_blank", why=FLAG_IF_BLANK[where]))
        elif where in NOTE_IF_BLANK:
            rule_name, why = NOTE_IF_BLANK[where]
            out.append(Rule(rule_name, name, (col.name,), "note", "gx", "not_blank", why=why))
        elif col.required and where not in BLANK_MEANS_TOP:
            out.append(Rule("not blank", name, (col.name,), "reject", "gx", "not_blank",
                            why="a key or a field no metric can do without"))
        if col.type != "VARCHAR":
            out.append(Rule(f"parseable {_kind_label(col.type)}", name, (col.name,), "flag", "gx", "parseable", MOST,
                            why="a value that does not parse is loaded blank and named; most values not"
                                " parsing means the column is mis-mapped"))
        if col.type in ("DATE", "TIMESTAMP"):
            out.append(Rule(f"plausible date ({EARLIEST.year} to {LATEST.year})", name, (col.name,), "flag", "gx",
                            "between", MOST, {"min": EARLIEST, "max": LATEST},
                            why="a typo in a year (1900, 2202) is loaded and named"))
        if where in RANGES:
            low, high = RANGES[where]
            out.append(Rule(f"plausible range ({low:,.0f} to {high:,.0f})", name, (col.name,), "flag", "gx",
                            "between", MOST, {"min": low, "max": high},
                            why="a negative or absurd number is loaded and named"))
        if where in VALUE_SETS:
            values = VALUE_SETS[where]
            out.append(Rule("known value (" + ", ".join(values) + ")", name, (col.name,), "flag", "gx", "in_set",
                            params={"values": values}, why="an unknown code is ignored by the metrics that read it"))
    for col_name in NAME_COLUMNS.get(name, ()):
        out.append(Rule("no spreadsheet formula", name, (col_name,), "reject", "gx", "no_match",
                        params={"regex": FORMULA_PATTERN},
                        why="a formula in a name would run in the spreadsheet of whoever downloads it"))
        out.append(Rule("no HTML markup", name, (col_name,), "reject", "gx", "no_match",
                        params={"regex": HTML_PATTERN}, why="markup in a name is not a name"))
    for a, b, outcome, rule, why in ORDERED.get(name, ()):
        out.append(Rule(rule, name, (a, b), outcome, "gx", "ordered", MOST if outcome == "flag" else None, why=why))
    return out


def polars_rules(extract: ExtractSpec, limits: Limits = DEFAULT_LIMITS) -> list[Rule]:
    """The rules of one extract run in Polars: across rows or extracts, and over every text value."""
    name = extract.name
    text = tuple(c.name for c in extract.columns if c.type == "VARCHAR")
    out = [Rule(f"text at most {limits.text_value_limit:,} characters", name, text, "reject", "polars",
                "max_length", params={"limit": limits.text_value_limit},
                why="a value that long is no name or ID (a 50 MB name would be sent to every page)")]
    present = {col.name for col in extract.columns}
    typed = tuple(c for c in text if c not in NAME_COLUMNS.get(name, ()))  # names reject a formula instead
    if typed:
        out.append(Rule("no spreadsheet formula in text", name, typed, "flag", "polars", "matches",
                        params={"regex": FORMULA_PATTERN}, why=FORMULA_FLAG))
    keys = tuple(c for c in KEYS_AND_ADDRESSES.get(name, ()) if c in present)
    if keys:
        out.append(Rule("no NUL byte in keys and e-mails", name, keys, "reject", "polars", "no_nul",
                        why="a key or e-mail with a NUL byte matches nothing: such a person could never log in"))
    out += [Rule(f"{column} found in {target}", name, (column,), outcome, "polars", "foreign_key",
                reject_above, {"target": target},
                why="a reference to nobody" + (" breaks the hierarchy" if outcome == "reject" else
                                               ": the row is kept and belongs to no team or account"))
           for column, target, outcome, reject_above in FOREIGN_KEYS.get(name, ())]
    if name == "reps":
        out.append(Rule("not their own manager", name, ("manager_id",), "reject", "polars", "self_manager",
                        why="a rep managing themself breaks the hierarchy"))
        out.append(Rule("no cycle in the hierarchy", name, ("manager_id",), "reject", "polars", "cycle",
                        why="a loop in the hierarchy has no top"))
        out.append(Rule(f"hierarchy at most {limits.hierarchy_depth_limit} levels deep", name, ("manager_id",),
                        "reject", "polars", "depth", params={"limit": limits.hierarchy_depth_limit},
                        why="teams are built down to this depth: a deeper chain would be cut without a word"))
    if name == "opportunities":
        out.append(Rule("currency has a conversion rate", name, ("currency",), "flag", "polars", "currency_rate",
                        why="such amounts count in the reporting currency unconverted"))
    return out


def loaded_orphans_rule(extract: str, column: str, replaced: str) -> Rule:
    """Rows already loaded that a replacing upload would leave pointing at nobody (a note: they stay)."""
    return Rule(f"loaded {extract}.{column} still found in {replaced}", replaced, (column,), "note",
                "polars", "loaded_orphans", why="rows already loaded stay; the metrics lose them")


def file_rule(name: str) -> Rule:
    outcome, why = FILE_RULES[name]
    return Rule(name, None, (), outcome, "file", name, why=why)


def catalogue(extracts: Iterable[ExtractSpec], limits: Limits = DEFAULT_LIMITS) -> list[Rule]:
    """Every rule of the data model: the file rules, then each extract's column and Polars rules."""
    rules = [file_rule(name) for name in FILE_RULES]
    for extract in extracts:
        rules.extend(column_rules(extract))
        rules.extend(polars_rules(extract, limits))
    return rules
