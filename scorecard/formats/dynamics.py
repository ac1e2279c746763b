"""Microsoft Dynamics 365 exports: the opportunity table and the systemuser (users) table.

Two dialects are read, matched by header name: the tables' logical names (``opportunityid``,
``estimatedvalue``, ``statecode``, ``_ownerid_value``, ... as written by the Web API, Power
Automate, XrmToolBox or Synapse Link) and the display names of "Export to Excel" ("Topic", "Est.
Revenue", "Status", "Owner", ...), whose workbooks start with the hidden columns ``(Do Not Modify)
<Entity>`` (the record ID), ``(Do Not Modify) Row Checksum`` and ``(Do Not Modify) Modified On``.

Open, won and lost come from ``statecode`` (0 open, 1 won, 2 lost) or its label in "Status",
whatever the stage (``stepname`` / "Pipeline Phase") is called. A won deal's amount is its actual
revenue when given, else its estimated revenue; a closed deal's close date is its actual close date
when given, else the estimated one. Currencies are ISO codes or the currency's name ("US Dollar",
"Euro"). Owners given as names (display exports) or IDs resolve to rep IDs like HubSpot owners do.
Managers come from ``parentsystemuserid`` (an ID) or "Manager" (a name), resolved within the file.

The other tables of an org (contact, lead, account, case, product, quote, order, activities, ...)
are recognised by their primary key (``contactid``) beside Dynamics' system columns (``createdon``,
``modifiedon``, ``statecode``, ``versionnumber``, ...), or by the hidden ``(Do Not Modify)`` column
of an Excel export, and skipped with a note.
"""

from __future__ import annotations

import polars as pl

from scorecard.formats import MappedTable, people_lookup, resolve_people
from scorecard.formats.values import header_map, normalise_header, pick, type_columns, with_line_numbers
from scorecard.readers import RawTable
from scorecard.schema import EXTRACTS

# Headers are compared normalised: "Est. Revenue" -> est_revenue, "_ownerid_value" -> ownerid_value.
OPPORTUNITY_FIELDS: dict[str, list[str]] = {
    "opportunity_id": ["opportunityid", "do_not_modify_opportunity"],
    "owner_rep_id": ["ownerid_value", "ownerid", "owner"],
    "account_id": ["parentaccountid_value", "parentaccountid", "customerid_value", "customerid",
                   "potential_customer", "account"],
    "created_date": ["createdon", "created_on"],
    "stage": ["stepname", "pipeline_phase", "process_stage"],
    "forecast_category": ["msdyn_forecastcategory", "forecast_category"],
    "currency": ["transactioncurrencyid_value", "transactioncurrencyid", "isocurrencycode", "currency"],
}
STATUS_FIELDS = ["statecode", "status"]
REASON_FIELDS = ["statuscode", "status_reason"]
ESTIMATED_VALUE = ["estimatedvalue", "est_revenue", "estimated_revenue"]
ACTUAL_VALUE = ["actualvalue", "actual_revenue"]
ESTIMATED_CLOSE = ["estimatedclosedate", "est_close_date", "estimated_close_date"]
ACTUAL_CLOSE = ["actualclosedate", "actual_close_date"]

USER_FIELDS: dict[str, list[str]] = {
    "rep_id": ["systemuserid", "do_not_modify_user"],
    "full_name": ["fullname", "full_name"],
    "first_name": ["firstname", "first_name"],
    "last_name": ["lastname", "last_name"],
    "email": ["internalemailaddress", "primary_email"],
    "manager_id": ["parentsystemuserid_value", "parentsystemuserid", "manager"],
}

# statecode as a number or its label (English, and the labels of a few localised orgs).
_OPEN = ["0", "open", "offen", "ouvert", "ouverte", "abierta", "abierto", "aperta", "geopend"]
_WON = ["1", "won", "gewonnen", "gagné", "gagnée", "ganada", "ganado", "vinta", "vinto"]
_LOST = ["2", "lost", "verloren", "perdu", "perdue", "perdida", "perdido", "persa", "perso"]
# statuscode (Status Reason) when statecode is not exported: 1 In Progress, 2 On Hold, 3 Won,
# 4 Canceled, 5 Out-Sold.
_REASON_OPEN = ["1", "2", "in progress", "on hold"]
_REASON_WON = ["3", "won"]
_REASON_LOST = ["4", "5", "canceled", "cancelled", "out-sold", "out sold", "outsold"]

CURRENCY_NAMES = {
    "us dollar": "USD", "euro": "EUR", "pound sterling": "GBP", "british pound": "GBP",
    "british pound sterling": "GBP", "canadian dollar": "CAD", "australian dollar": "AUD",
    "japanese yen": "JPY", "swiss franc": "CHF",
}
_FORECAST = {"100000001": "pipeline", "pipeline": "pipeline", "100000002": "best_case", "best case": "best_case",
             "bestcase": "best_case", "100000003": "commit", "committed": "commit", "commit": "commit",
             "100000004": "omitted", "omitted": "omitted", "100000005": "closed", "100000006": "closed",
             "won": "closed", "lost": "closed"}
_NONE = "(none)"


UNUSED_TABLES: dict[str, str] = {
    "opportunityproduct": "opportunity products", "quotedetail": "quote lines", "salesorderdetail": "order lines",
    "invoicedetail": "invoice lines", "productpricelevel": "price list items", "annotation": "notes",
    "activitypointer": "activities, not read from Dynamics 365 yet", "phonecall": "phone calls, not read from"
    " Dynamics 365 yet", "email": "e-mails, not read from Dynamics 365 yet", "appointment": "appointments, not read"
    " from Dynamics 365 yet", "task": "tasks, not read from Dynamics 365 yet", "incident": "cases", "quote": "quotes",
    "salesorder": "orders", "invoice": "invoices", "contract": "contracts", "competitor": "competitors",
    "goal": "goals (load quotas as a quota sheet)", "lead": "leads", "contact": "contacts",
    "account": "accounts, not read from Dynamics 365 yet", "product": "products", "campaign": "campaigns",
    "list": "marketing lists", "pricelevel": "price lists", "territory": "territories", "team": "teams",
    "businessunit": "business units", "transactioncurrency": "currencies", "queue": "queues",
    "connection": "connections", "knowledgearticle": "knowledge articles", "entitlement": "entitlements",
}
"""Dynamics 365 tables the scorecard does not use, most specific first (a contact table also holds an
``accountid``, a quote a ``contactid``), with what they hold."""
_ACTIVITIES = {"activitypointer", "phonecall", "email", "appointment", "task"}
"""Activity tables, whose primary key is ``activityid``."""
_PRIMARY_KEYS = {f"{name}id": name for name in UNUSED_TABLES if name not in _ACTIVITIES} | {"activityid":
                                                                                           "activitypointer"}
_DISPLAY_KEYS = {f"do_not_modify_{label}": name for label, name in (
    ("account", "account"), ("contact", "contact"), ("lead", "lead"), ("case", "incident"), ("product", "product"),
    ("quote", "quote"), ("order", "salesorder"), ("invoice", "invoice"), ("competitor", "competitor"),
    ("campaign", "campaign"), ("phone_call", "phonecall"), ("email", "email"), ("appointment", "appointment"),
    ("task", "task"), ("activity", "activitypointer"), ("goal", "goal"), ("contract", "contract"),
    ("opportunity_product", "opportunityproduct"), ("quote_product", "quotedetail"), ("price_list", "pricelevel"),
    ("marketing_list", "list"), ("team", "team"), ("business_unit", "businessunit"))}
_SYSTEM_COLUMNS = {"createdon", "modifiedon", "statecode", "statuscode", "versionnumber", "ownerid_value",
                   "owningbusinessunit", "owningbusinessunit_value", "owninguser", "owninguser_value",
                   "createdby_value", "modifiedby_value", "importsequencenumber", "overriddencreatedon",
                   "timezoneruleversionnumber", "utcconversiontimezonecode"}
"""Columns every Dynamics 365 table carries (logical names)."""
_DEAL_CHILDREN = {"opportunityproductid", "quoteid", "quotedetailid", "salesorderid", "salesorderdetailid", "invoiceid",
                  "invoicedetailid", "activityid", "annotationid", "connectionid"}
"""Primary keys of tables that point at a deal (``opportunityid``) without being one."""


def unused_table(table: RawTable) -> str | None:
    """The Dynamics 365 table (``contact``, ``lead``, ...) a file holds when the scorecard does not use
    it; ``other`` for an Excel export of a table not listed; None for anything else."""
    h = set(header_map(table))
    for key, name in _DISPLAY_KEYS.items():
        if key in h:
            return name
    if not h & _SYSTEM_COLUMNS:
        return "other" if "do_not_modify_row_checksum" in h and not h & {"do_not_modify_opportunity",
                                                                            "do_not_modify_user"} else None
    stem = normalise_header(table.stem).replace("_", "")
    for name in (stem, stem.removesuffix("s")):
        key = "activityid" if name in _ACTIVITIES else f"{name}id"
        if name in UNUSED_TABLES and key in h:
            return name
    keys = [_PRIMARY_KEYS[key] for key in h if key in _PRIMARY_KEYS]
    return min(keys, key=list(UNUSED_TABLES).index) if keys else None


def kind_of(table: RawTable) -> str | None:
    """``opportunities`` or ``users`` when a table looks like that Dynamics 365 table, ``unused`` for
    another Dynamics 365 table (:func:`unused_table`), else None."""
    h = set(header_map(table))
    if "do_not_modify_opportunity" in h:
        return "opportunities"
    if "opportunityid" in h and h & {"statecode", "estimatedvalue", "estimatedclosedate", "actualvalue",
                                     "actualclosedate", "stepname", "closeprobability"} and not h & _DEAL_CHILDREN:
        return "opportunities"
    if ("do_not_modify_user" in h or "systemuserid" in h) and not h & set(_DISPLAY_KEYS):
        return "users"
    if unused_table(table):
        return "unused"
    if {"est_revenue", "est_close_date"} <= h and h & {"topic", "potential_customer", "status"}:
        return "opportunities"
    if h & {"parentsystemuserid", "parentsystemuserid_value"} and h & {"fullname", "lastname"}:
        return "users"
    if {"fullname", "internalemailaddress"} <= h:
        return "users"
    if "full_name" in h and h & {"primary_email", "user_name"}:
        return "users"
    return None


def claims(table: RawTable) -> bool:
    return kind_of(table) is not None


def map_table(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    kind = kind_of(table)
    if kind == "unused":
        name = unused_table(table) or "other"
        what = f" ({UNUSED_TABLES[name]})" if name in UNUSED_TABLES else ""
        note = f"{table.name.rsplit('/', 1)[-1]}: a Dynamics 365 table the scorecard does not use{what}; skipped"
        return MappedTable(table=table, format="dynamics", extract=None, skipped=note)
    if kind == "users":
        return _map_users(table, people)
    return _map_opportunities(table, people)


def _strip_id(expr: pl.Expr) -> pl.Expr:
    """``{GUID}`` -> ``GUID``: Dynamics writes lookups with or without braces."""
    return expr.str.strip_chars().str.strip_prefix("{").str.strip_suffix("}")


def _status(frame: pl.DataFrame, source: str, opened: list[str], won: list[str], lost: list[str]) -> pl.DataFrame:
    """``is_closed`` and ``is_won`` as text from a status column; an unknown status is kept as written,
    so the type check names it."""
    state = pl.col(source).str.strip_chars().str.to_lowercase()
    raw = pl.col(source)
    return frame.with_columns(
        pl.when(state.is_in(won + lost)).then(pl.lit("1")).when(state.is_in(opened)).then(pl.lit("0"))
        .otherwise(raw).alias("is_closed"),
        pl.when(state.is_in(won)).then(pl.lit("1")).when(state.is_in(opened + lost)).then(pl.lit("0"))
        .otherwise(raw).alias("is_won"),
        pl.when(state.is_in(won)).then(pl.lit("Won")).when(state.is_in(lost)).then(pl.lit("Lost"))
        .when(state.is_in(opened)).then(pl.lit("Open")).otherwise(raw).alias("__status"),
    )


def _currency(expr: pl.Expr) -> pl.Expr:
    """An ISO code as is (upper-cased); a currency's name to its code; anything else as written."""
    text = expr.str.strip_chars()
    low = text.str.to_lowercase()
    return (pl.when(text.str.contains(r"^[A-Za-z]{3}$")).then(text.str.to_uppercase())
            .otherwise(low.replace_strict(CURRENCY_NAMES, default=text, return_dtype=pl.String)))


def _map_opportunities(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    headers = header_map(table)
    frame = with_line_numbers(table.frame)
    mapping = {col: src for col, names in OPPORTUNITY_FIELDS.items() if (src := pick(headers, names))}
    status = pick(headers, STATUS_FIELDS)
    reason = None if status else pick(headers, REASON_FIELDS)
    est_value, act_value = pick(headers, ESTIMATED_VALUE), pick(headers, ACTUAL_VALUE)
    est_close, act_close = pick(headers, ESTIMATED_CLOSE), pick(headers, ACTUAL_CLOSE)
    result = MappedTable(table=table, format="dynamics", extract="opportunities", mapping=mapping)
    missing = [c for c in ("opportunity_id", "owner_rep_id") if c not in mapping]
    if not (est_close or act_close):
        missing.append("close_date")
    if not (status or reason):
        missing.append("is_closed, is_won")
    if not (est_value or act_value):
        missing.append("amount")
    if missing:
        result.problem = (f"the Dynamics 365 opportunity export lacks {', '.join(missing)} (add the columns"
                          " opportunityid/(Do Not Modify) Opportunity, Owner, Status, Est. Revenue and"
                          " Est. Close Date to the view)")
        result.rule, result.column = "required columns", ", ".join(missing)
        return result
    out = frame.select("__line", *(pl.col(src).alias(col) for col, src in mapping.items()),
                       *(pl.col(src).alias(f"__{name}") for name, src in
                         (("status", status or reason), ("est_value", est_value), ("act_value", act_value),
                          ("est_close", est_close), ("act_close", act_close)) if src))
    if status:
        out = _status(out, "__status", _OPEN, _WON, _LOST)
        result.mapping["is_closed"] = result.mapping["is_won"] = f"{status} (0/Open, 1/Won, 2/Lost)"
    else:
        assert reason
        out = _status(out, "__status", _REASON_OPEN, _REASON_WON, _REASON_LOST)
        result.mapping["is_closed"] = result.mapping["is_won"] = \
            f"{reason} (In Progress/On Hold open, Won, Canceled/Out-Sold lost)"
        result.notes.append("no statecode/Status column: open, won and lost taken from the Status Reason")
    won, closed = pl.col("is_won") == "1", pl.col("is_closed") == "1"
    values = [pl.col(c) for c in ("__est_value", "__act_value") if c in out.columns]
    if act_value and est_value:
        out = out.with_columns(pl.when(won & pl.col("__act_value").is_not_null()).then(pl.col("__act_value"))
                               .otherwise(pl.col("__est_value")).alias("amount"))
        result.mapping["amount"] = f"{act_value} for won deals when given, else {est_value}"
    else:
        out = out.with_columns(values[0].alias("amount"))
        result.mapping["amount"] = str(est_value or act_value)
        if not est_value:
            result.notes.append(f"no estimated revenue column: {act_value} is the amount of every deal")
    if act_close and est_close:
        out = out.with_columns(pl.when(closed & pl.col("__act_close").is_not_null()).then(pl.col("__act_close"))
                               .otherwise(pl.col("__est_close")).alias("close_date"))
        result.mapping["close_date"] = f"{act_close} for closed deals when given, else {est_close}"
    else:
        out = out.with_columns(pl.col("__est_close" if est_close else "__act_close").alias("close_date"))
        result.mapping["close_date"] = str(est_close or act_close)
        if not est_close:
            result.notes.append(f"no estimated close date column: open deals have no close date ({act_close} only)")
    if "stage" not in out.columns:
        out = out.with_columns(pl.col("__status").alias("stage"))
        result.mapping["stage"] = f"{status or reason} (no stepname/Pipeline Phase column)"
    else:
        blank = int(out["stage"].null_count())
        out = out.with_columns(pl.coalesce("stage", "__status").alias("stage"))
        if blank:
            result.notes.append(f"stage blank on {blank} of {out.height} deals: their status (Open, Won, Lost) is"
                                " used as the stage")
    if "created_date" not in out.columns:
        out = out.with_columns(pl.col("close_date").alias("created_date"))
        result.notes.append("no createdon/Created On: the close date is used (sales cycle metrics will be off)")
    for col in ("opportunity_id", "owner_rep_id", "account_id"):
        if col in out.columns:
            out = out.with_columns(_strip_id(pl.col(col)).alias(col))
    if "currency" in out.columns:
        out = out.with_columns(_currency(pl.col("currency")).alias("currency"))
        odd = out.filter(pl.col("currency").is_not_null() & ~pl.col("currency").str.contains(r"^[A-Z]{3}$"))
        if odd.height:
            sample = ", ".join(odd["currency"].unique(maintain_order=True).head(3).to_list())
            result.notes.append(f"{odd.height} deals have a currency that is neither an ISO code nor a known"
                                f" currency name ({sample}): export the currency's name or ISO code")
    if "forecast_category" in out.columns:
        low = pl.col("forecast_category").str.strip_chars().str.to_lowercase()
        out = out.with_columns(low.replace_strict(_FORECAST, default=low, return_dtype=pl.String)
                               .alias("forecast_category"))
    out = out.drop([c for c in out.columns if c.startswith("__") and c != "__line"])
    out = resolve_people(out, "owner_rep_id", people_lookup(people))
    result.frame = type_columns(out, EXTRACTS["opportunities"])
    return result


def _map_users(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    headers = header_map(table)
    frame = with_line_numbers(table.frame)
    src = {col: found for col, names in USER_FIELDS.items() if (found := pick(headers, names))}
    result = MappedTable(table=table, format="dynamics", extract="reps")
    if "full_name" in src:
        name, name_from = pl.col(src["full_name"]).str.strip_chars(), src["full_name"]
    elif "last_name" in src:
        parts = [pl.col(src[c]).str.strip_chars() for c in ("first_name", "last_name") if c in src]
        name = pl.concat_str(parts, separator=" ", ignore_nulls=True)
        name_from = " ".join(src[c] for c in ("first_name", "last_name") if c in src)
    else:
        result.problem = "the Dynamics 365 user export lacks rep_name (add Full Name, or First and Last Name)"
        result.rule, result.column = "required columns", "rep_name"
        return result
    rep_id = _strip_id(pl.col(src["rep_id"])) if "rep_id" in src else name
    out = frame.select(
        "__line", rep_id.alias("rep_id"), name.alias("rep_name"),
        (pl.col(src["email"]).str.strip_chars() if "email" in src else pl.lit(None, dtype=pl.String)).alias("email"),
        (_strip_id(pl.col(src["manager_id"])) if "manager_id" in src else pl.lit(None, dtype=pl.String))
        .alias("manager_id"),
    )
    result.mapping = {"rep_id": src.get("rep_id", f"{name_from} (no user ID column)"), "rep_name": name_from,
                      "email": src.get("email", _NONE), "manager_id": src.get("manager_id", _NONE)}
    if "rep_id" not in src:
        result.notes.append("no systemuserid/(Do Not Modify) User column: the full name is the rep ID")
    if "manager_id" in src:
        # A manager written as an ID, a full name or an e-mail: first the users of this file, then
        # those of the rest of the upload (or already loaded); what resolves nowhere stays as written.
        out = resolve_people(out, "manager_id", people_lookup(out))
        out = resolve_people(out, "manager_id", people_lookup(people))
        result.mapping["manager_id"] = f"{src['manager_id']} (resolved to the manager's rep ID)"
    else:
        result.notes.append("no parentsystemuserid/Manager column: everyone loads at the top of the hierarchy")
    result.frame = type_columns(out, EXTRACTS["reps"])
    return result


__all__ = ["claims", "kind_of", "map_table", "unused_table"]
