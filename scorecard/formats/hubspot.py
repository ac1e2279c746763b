"""HubSpot exports: deals, activities and companies (label headers in English, or internal
property names) and owners.

Deal owners come as a person's name ("Deal owner") or an owner ID (``hubspot_owner_id``); both
resolve to rep IDs against the reps of the upload (an owners export, a team sheet) or those
already loaded. Open, won and lost come from ``hs_is_closed``/``hs_is_closed_won`` when exported,
else from the default stage IDs ``closedwon``/``closedlost`` (or their labels). HubSpot has no
manager hierarchy: an owners export loads everyone at the top; a team sheet gives the leaders.

Calls, e-mails, meetings, notes and tasks are separate exports of one shape: a record ID, the
activity's date (``hs_timestamp``), its owner ("Activity assigned to", ``hubspot_owner_id``), the
associated company, deal and contact IDs, and properties named after the kind (``hs_call_*``,
"Meeting start time", ...), which tell the kind of a whole file; a combined export names it per row
("Activity type", ``hs_activity_type``/``hs_engagement_type``). Notes are kept as ``other`` (they are
not conversations with the customer); cancelled meetings and tasks not yet done are left out.

HubSpot's other exports (contacts, tickets, products, line items, quotes, leads) are recognised, by
their file name or their properties beside a record ID, and skipped with a note. A contacts export
is never taken for an owners list, nor is a Salesforce object (``Id`` with Salesforce's system
fields, or Salesforce record IDs).
"""

from __future__ import annotations

import re

import polars as pl

from scorecard.formats import MappedTable, resolve_people
from scorecard.formats.salesforce import salesforce_fields, salesforce_ids
from scorecard.formats.values import header_map, pick, type_columns, with_line_numbers
from scorecard.readers import RawTable
from scorecard.schema import EXTRACTS

DEAL_FIELDS: dict[str, list[str]] = {
    "opportunity_id": ["record_id", "hs_object_id", "deal_id"],
    "owner_rep_id": ["deal_owner", "hubspot_owner_id", "owner"],
    "account_id": ["associated_company_ids", "associated_company_id", "associated_company_ids_primary"],
    "created_date": ["create_date", "createdate"],
    "close_date": ["close_date", "closedate"],
    "stage": ["deal_stage", "dealstage"],
    "amount": ["amount_in_company_currency", "amount_in_home_currency", "amount"],
    "type": ["deal_type", "dealtype"],
    "forecast_category": ["forecast_category", "hs_forecast_category"],
    "next_step": ["next_step", "hs_next_step"],
    "currency": ["currency", "deal_currency_code"],
    "is_closed": ["is_closed", "hs_is_closed", "is_deal_closed"],
    "is_won": ["is_closed_won", "hs_is_closed_won"],
    "lead_source": ["original_source", "hs_analytics_source"],
}
_DEAL_TYPES = {"newbusiness": "new", "new business": "new", "existingbusiness": "expansion",
               "existing business": "expansion", "renewal": "renewal"}
_FORECAST = {"pipeline": "pipeline", "best_case": "best_case", "best case": "best_case", "bestcase": "best_case",
             "commit": "commit", "closed": "closed", "omit": "omitted", "omitted": "omitted"}
_SOURCES = {"organic_search": "inbound", "organic search": "inbound", "direct_traffic": "inbound",
            "direct traffic": "inbound", "paid_search": "marketing", "paid search": "marketing",
            "email_marketing": "marketing", "email marketing": "marketing", "social_media": "marketing",
            "paid_social": "marketing", "referrals": "referral", "offline": "outbound",
            "offline sources": "outbound", "other_campaigns": "marketing"}


ACTIVITY_FIELDS: dict[str, list[str]] = {
    "activity_id": ["record_id", "hs_object_id", "activity_id", "engagement_id"],
    "rep_id": ["activity_assigned_to", "hubspot_owner_id", "assigned_to", "activity_owner", "owner"],
    # every one present is used, the first that is set on a row winning (a meeting's start time
    # before the export's activity date; a done task's completion before its due date)
    "activity_at": ["meeting_start_time", "hs_meeting_start_time", "completed_at", "hs_task_completion_date",
                    "activity_date", "hs_timestamp", "call_date", "email_send_date", "due_date",
                    "hs_task_due_date", "create_date", "hs_createdate"],
    "account_id": ["associated_company_ids", "associated_company_id", "associated_company_ids_primary"],
    "opportunity_id": ["associated_deal_ids", "associated_deal_id", "associated_deal_ids_primary"],
    "contact_id": ["associated_contact_ids", "associated_contact_id", "associated_contact_ids_primary"],
}
_ACTIVITY_TYPE_COLUMNS = ["activity_type", "hs_activity_type", "engagement_type", "hs_engagement_type", "type"]
# Properties that only one kind of HubSpot activity has: the kind of a whole export.
_KIND_MARKERS: list[tuple[str, str]] = [
    ("meeting", "meeting_"), ("meeting", "hs_meeting_"), ("call", "call_"), ("call", "hs_call_"),
    ("email", "email_subject"), ("email", "email_direction"), ("email", "email_send_status"),
    ("email", "hs_email_"), ("note", "note_body"), ("note", "hs_note_"), ("task", "task_"), ("task", "hs_task_"),
]
_ACTIVITY_CODES = {"call": "call", "calls": "call", "email": "email", "emails": "email", "incoming_email": "email",
                   "forwarded_email": "email", "meeting": "meeting", "meetings": "meeting",
                   "meeting_event": "meeting", "note": "other", "notes": "other", "task": "other", "todo": "other",
                   "linkedin": "social", "linked_in": "social", "linkedin_message": "social", "sms": "other",
                   "whatsapp": "other", "postal_mail": "other"}
_CANCELLED_MEETINGS = ("canceled", "cancelled", "no_show", "noshow", "rescheduled")
_OPEN_TASKS = ("not_started", "in_progress", "waiting", "deferred")
"""Task statuses (and the start of their labels, "Waiting on someone else") of tasks not yet done."""


def _activity_kind(headers: set[str]) -> str | None:
    """``call``, ``email``, ``meeting``, ``note``, ``task`` or ``mixed`` for a HubSpot activity export."""
    ident = {"record_id", "hs_object_id"} & headers
    owner = {"activity_assigned_to", "hubspot_owner_id", "assigned_to", "activity_owner"} & headers
    when = {"activity_date", "hs_timestamp", "meeting_start_time", "hs_meeting_start_time", "call_date",
            "due_date", "hs_task_due_date"} & headers
    if not (ident and owner and when):
        return None
    if {"activity_type", "hs_activity_type", "engagement_type", "hs_engagement_type"} & headers:
        return "mixed"  # a combined export carries the properties of several kinds
    for kind, marker in _KIND_MARKERS:
        if any(h.startswith(marker) for h in headers):
            return kind
    return None


COMPANY_FIELDS: dict[str, list[str]] = {
    "account_id": ["record_id", "hs_object_id", "company_id"],
    "account_name": ["company_name", "name"],
    "owner_rep_id": ["company_owner", "hubspot_owner_id"],
    "industry": ["industry"],
    "segment": ["type", "company_type", "lifecycle_stage", "lifecyclestage"],
    "region": ["country_region", "country", "state_region", "state"],
    "is_target": ["target_account", "hs_is_target_account", "is_target_account"],
}


UNUSED_KINDS = {"contacts": "contacts", "tickets": "tickets", "products": "products", "line_items": "line items",
                "quotes": "quotes", "leads": "leads"}
"""HubSpot exports the scorecard does not use, with what they hold."""
_NAME_HINTS = [("line_items", r"line[-_ ]?items?"), ("contacts", r"contacts?"), ("tickets", r"tickets?"),
               ("products", r"products?"), ("quotes", r"quotes?"), ("leads", r"leads?")]
_RECORD_IDS = {"record_id", "hs_object_id"}


def _unused_kind(table: RawTable, h: set[str]) -> str | None:
    """One of :data:`UNUSED_KINDS` for an export of HubSpot's the scorecard does not use."""
    stem = table.stem.lower()
    if "hubspot" in stem:
        for kind, pattern in _NAME_HINTS:
            if re.search(rf"(^|[-_ ]){pattern}([-_ ]|$)", stem):
                return kind
    ident = bool(_RECORD_IDS & h)
    if {"ticket_id", "ticket_name", "ticket_status", "ticket_owner", "hs_ticket_priority", "hs_ticket_category"} & h \
            and (ident or "ticket_id" in h):
        return "tickets"
    if not ident:
        return None
    if {"quote_name", "quote_amount", "hs_quote_amount", "quote_number", "hs_quote_number", "hs_expiration_date",
            "quote_expiration_date", "quote_status", "hs_quote_status"} & h:
        return "quotes"
    if "quantity" in h and {"hs_product_id", "product_id", "unit_price", "price", "hs_line_item_currency_code"} & h:
        return "line_items"
    if {"name", "product_name"} & h and {"hs_sku", "sku", "product_description", "hs_product_type", "product_type",
                                         "unit_price", "price", "hs_recurring_billing_period"} & h:
        return "products"
    if {"lead_name", "hs_lead_name", "hs_lead_label", "lead_label", "hs_lead_type", "lead_type"} & h:
        return "leads"
    if {"first_name", "firstname", "last_name", "lastname", "email", "contact_owner", "lifecycle_stage",
            "lifecyclestage"} & h:
        return "contacts"
    return None


def _owners_list(table: RawTable, h: set[str]) -> bool:
    """An owners export: first and last name, an owner or user ID and an e-mail, and nothing of a
    contacts export (a record ID, a contact owner, a lifecycle stage) or of a Salesforce object."""
    first = {"first_name", "firstname"} & h
    last = {"last_name", "lastname"} & h
    ident = [c for c in ("owner_id", "id", "user_id", "hubspot_owner_id") if c in h]
    if not (first and last and ident and "email" in h) or {"rep_id", "rep_name"} & h:
        return False
    if _RECORD_IDS & h or h & {"contact_owner", "lifecycle_stage", "lifecyclestage", "lead_status", "hs_lead_status"}:
        return False
    if salesforce_fields(table.headers) or {"ownerid", "isdeleted", "systemmodstamp", "createdbyid"} & h:
        return False
    id_column = header_map(table)[ident[0]]
    return not salesforce_ids(table.frame[id_column])


def kind_of(table: RawTable) -> str | None:
    """``deals``, ``activities``, ``companies`` or ``owners`` when a table looks like that HubSpot
    export, one of :data:`UNUSED_KINDS` for an export the scorecard does not use, else None."""
    if salesforce_fields(table.headers):
        return None
    h = set(header_map(table))
    if ({"deal_name", "deal_stage"} <= h) or ({"dealname", "dealstage"} <= h):
        return "deals"
    if _activity_kind(h):
        return "activities"
    if ({"record_id", "hs_object_id"} & h and {"company_name"} & h and {"company_owner", "hubspot_owner_id"} & h) or (
            {"hs_object_id", "name", "hubspot_owner_id"} <= h and {"domain", "hs_is_target_account", "industry"} & h):
        return "companies"
    unused = _unused_kind(table, h)
    if unused:
        return unused
    if _owners_list(table, h):
        return "owners"
    return None


def claims(table: RawTable) -> bool:
    return kind_of(table) is not None


def map_table(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    kind = kind_of(table)
    if kind in UNUSED_KINDS:
        note = (f"{table.name.rsplit('/', 1)[-1]}: a HubSpot export the scorecard does not use"
                f" ({UNUSED_KINDS[str(kind)]}); skipped")
        return MappedTable(table=table, format="hubspot", extract=None, skipped=note)
    if kind == "owners":
        return _map_owners(table)
    if kind == "activities":
        return _map_activities(table, people)
    if kind == "companies":
        return _map_companies(table, people)
    return _map_deals(table, people)


def _map_companies(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    """A companies export: the accounts that deals' and activities' company IDs point at."""
    from scorecard.formats import people_lookup

    headers = header_map(table)
    mapping = {col: src for col, names in COMPANY_FIELDS.items() if (src := pick(headers, names))}
    out = with_line_numbers(table.frame).select("__line", *(pl.col(src).alias(col) for col, src in mapping.items()))
    if "owner_rep_id" in out.columns:
        out = resolve_people(out, "owner_rep_id", people_lookup(people))
    if "segment" in out.columns:
        out = out.with_columns(pl.col("segment").str.strip_chars().str.to_lowercase())
    result = MappedTable(table=table, format="hubspot", extract="accounts", mapping=mapping,
                         frame=type_columns(out, EXTRACTS["accounts"]))
    if "is_target" not in mapping:
        result.notes.append("no 'Target Account' property: no account is marked as a target account")
    return result


def _map_owners(table: RawTable) -> MappedTable:
    headers = header_map(table)
    frame = with_line_numbers(table.frame)
    ident = pick(headers, ["owner_id", "id", "hubspot_owner_id", "user_id"])
    first = pick(headers, ["first_name", "firstname"])
    last = pick(headers, ["last_name", "lastname"])
    teams = pick(headers, ["teams", "team", "primary_team"])
    assert ident and first and last
    out = frame.select(
        "__line", pl.col(ident).alias("rep_id"),
        pl.concat_str([pl.col(first), pl.col(last)], separator=" ", ignore_nulls=True).alias("rep_name"),
        pl.col(headers["email"]).alias("email"), pl.lit(None, dtype=pl.String).alias("manager_id"),
        (pl.col(teams) if teams else pl.lit(None, dtype=pl.String)).alias("region"),
    )
    return MappedTable(table=table, format="hubspot", extract="reps", frame=type_columns(out, EXTRACTS["reps"]),
                       mapping={"rep_id": ident, "rep_name": f"{first} {last}", "email": headers["email"],
                                "region": teams or "(none)"},
                       notes=["HubSpot owners have no manager: load a team sheet to score leaders"])


def _map_deals(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    from scorecard.formats import people_lookup

    headers = header_map(table)
    frame = with_line_numbers(table.frame)
    mapping = {col: src for col, names in DEAL_FIELDS.items() if (src := pick(headers, names))}
    result = MappedTable(table=table, format="hubspot", extract="opportunities", mapping=mapping)
    missing = [c for c in ("opportunity_id", "owner_rep_id", "close_date", "stage") if c not in mapping]
    if missing:
        result.problem = f"the HubSpot deal export lacks {', '.join(missing)} (export with all properties)"
        result.rule, result.column = "required columns", ", ".join(missing)
        return result
    out = frame.select("__line", *(pl.col(src).alias(col) for col, src in mapping.items()))
    stage = pl.col("stage").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    if "is_closed" not in out.columns:
        out = out.with_columns(pl.when(stage.is_in(["closedwon", "closedlost"])).then(pl.lit("1"))
                               .otherwise(pl.lit("0")).alias("is_closed"))
        result.mapping["is_closed"] = "Deal Stage (closedwon/closedlost)"
    if "is_won" not in out.columns:
        out = out.with_columns(pl.when(stage == "closedwon").then(pl.lit("1")).otherwise(pl.lit("0")).alias("is_won"))
        result.mapping["is_won"] = "Deal Stage (closedwon)"
    if "created_date" not in out.columns:
        out = out.with_columns(pl.col("close_date").alias("created_date"))
        result.notes.append("no Create Date: the close date is used (sales cycle metrics will be off)")
    if "account_id" not in out.columns:
        result.notes.append("no company IDs: the deals have no account (export with the property 'Associated"
                            " Company IDs' for account coverage and target-account metrics)")
    for col, codes in (("type", _DEAL_TYPES), ("forecast_category", _FORECAST), ("lead_source", _SOURCES)):
        if col in out.columns:
            low = pl.col(col).str.strip_chars().str.to_lowercase()
            out = out.with_columns(low.replace_strict(codes, default=low, return_dtype=pl.String).alias(col))
    out = resolve_people(out, "owner_rep_id", people_lookup(people))
    result.frame = type_columns(out, EXTRACTS["opportunities"])
    return result


def _code(column: str) -> pl.Expr:
    """A HubSpot enumeration value as compared: ``No show`` and ``NO_SHOW`` are both ``no_show``."""
    return pl.col(column).str.strip_chars().str.to_lowercase().str.replace_all(r"[\s-]+", "_")


def _first_id(column: str) -> pl.Expr:
    """The first of the IDs HubSpot writes in one cell (``123;456``) for an association."""
    return pl.col(column).str.split(";").list.first().str.strip_chars()


def _timestamp_text(column: str) -> pl.Expr:
    """Epoch milliseconds (what ``hs_timestamp`` holds in some exports) as ``YYYY-MM-DD HH:MM:SS``."""
    text = pl.col(column).str.strip_chars()
    epoch = pl.from_epoch(text.cast(pl.Int64, strict=False), time_unit="ms").dt.strftime("%Y-%m-%d %H:%M:%S")
    return pl.when(text.str.contains(r"^\d{12,13}$")).then(epoch).otherwise(text)


def _call_minutes(headers: dict[str, str]) -> tuple[pl.Expr | None, str | None]:
    """Call length in minutes: ``hs_call_duration`` is milliseconds, a label export writes HH:MM:SS."""
    source = pick(headers, ["hs_call_duration", "call_duration_hh_mm_ss", "call_duration",
                             "call_duration_milliseconds"])
    if source is None:
        return None, None
    text = pl.col(source).str.strip_chars()
    parts = text.str.split(":").list.eval(pl.element().cast(pl.Float64, strict=False))
    clock = (pl.when(parts.list.len() == 3)
             .then(parts.list.get(0, null_on_oob=True) * 60 + parts.list.get(1, null_on_oob=True)
                   + parts.list.get(2, null_on_oob=True) / 60)
             .when(parts.list.len() == 2)
             .then(parts.list.get(0, null_on_oob=True) + parts.list.get(1, null_on_oob=True) / 60))
    millis = text.cast(pl.Float64, strict=False) / 60_000
    return pl.when(text.str.contains(":")).then(clock).otherwise(millis).round(2), source


def _map_activities(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    from scorecard.formats import people_lookup

    headers = header_map(table)
    kind = _activity_kind(set(headers))
    frame = with_line_numbers(table.frame)
    mapping = {col: src for col, names in ACTIVITY_FIELDS.items() if (src := pick(headers, names))}
    result = MappedTable(table=table, format="hubspot", extract="activities", mapping=mapping)
    notes = result.notes
    # what each row is: one kind for the whole export, or a type column in a combined one
    type_source = pick(headers, _ACTIVITY_TYPE_COLUMNS)
    if kind == "mixed" and type_source:
        code = _code(type_source)
        row_kind = code.replace_strict(_ACTIVITY_CODES, default=pl.lit("other"), return_dtype=pl.String)
        result.mapping["type"] = type_source
        raw_kind = code
    else:
        row_kind = pl.lit(_ACTIVITY_CODES.get(kind or "", "other"))
        result.mapping["type"] = f"the kind of export ({kind}s)"
        raw_kind = pl.lit(kind)
    frame = frame.with_columns(row_kind.alias("type"), raw_kind.alias("__kind"))
    for names, codes, one, many in ((["meeting_outcome", "hs_meeting_outcome"], _CANCELLED_MEETINGS,
                                      "cancelled, rescheduled or no-show meeting",
                                      "cancelled, rescheduled or no-show meetings"),
                                     (["task_status", "hs_task_status"], _OPEN_TASKS, "task not yet done",
                                      "tasks not yet done")):
        if source := pick(headers, names):
            gone = pl.any_horizontal(_code(source).str.starts_with(code) for code in codes).fill_null(False)
            dropped = frame.filter(gone).height
            if dropped:
                notes.append(f"{dropped} {one if dropped == 1 else many} left out")
            frame = frame.filter(~gone)
    task_type = pick(headers, ["task_type", "hs_task_type"])
    if task_type:
        code = _code(task_type)
        frame = frame.with_columns(
            pl.when(pl.col("__kind") == "task")
            .then(code.replace_strict(_ACTIVITY_CODES, default=pl.lit("other"), return_dtype=pl.String))
            .otherwise(pl.col("type")).alias("type"))
        result.mapping["type"] += f", {task_type} for tasks"
    if kind in ("note", "mixed"):
        notes_count = frame.filter(pl.col("__kind").is_in(["note", "notes"])).height
        if notes_count:
            notes.append(f"{notes_count} {'note' if notes_count == 1 else 'notes'} kept as 'other'"
                         " (not conversations with the customer)")
    missing = [c for c in ("activity_id", "rep_id", "activity_at") if c not in mapping]
    if missing:
        result.problem = f"the HubSpot activity export lacks {', '.join(missing)} (export with all properties)"
        result.rule, result.column = "required columns", ", ".join(missing)
        return result
    times = [headers[n] for n in ACTIVITY_FIELDS["activity_at"] if n in headers]
    result.mapping["activity_at"] = " or ".join(times)
    exprs: list[pl.Expr] = [pl.col("__line"), pl.col(mapping["activity_id"]).alias("activity_id"),
                            pl.col(mapping["rep_id"]).alias("rep_id"),
                            pl.coalesce(_timestamp_text(t) for t in times).alias("activity_at"), pl.col("type")]
    for col in ("account_id", "opportunity_id", "contact_id"):
        if col in mapping:
            exprs.append(_first_id(mapping[col]).alias(col))
    call, call_source = _call_minutes(headers)
    exprs.append((call if call is not None else pl.lit(None, dtype=pl.Float64)).cast(pl.String).alias("duration_min"))
    out = resolve_people(frame.select(exprs), "rep_id", people_lookup(people))
    typed = type_columns(out, EXTRACTS["activities"])
    sources = [call_source] if call_source else []
    start = pick(headers, ["meeting_start_time", "hs_meeting_start_time"])
    end = pick(headers, ["meeting_end_time", "hs_meeting_end_time"])
    if start and end:  # a meeting's length from its start and end
        def moment(column: str) -> pl.Series:
            return type_columns(frame.select(_timestamp_text(column).alias("activity_at")),
                                EXTRACTS["activities"])["activity_at"]

        starts, ends = moment(start), moment(end)
        typed = typed.with_columns(pl.col("duration_min").fill_null((ends - starts).dt.total_seconds() / 60))
        sources.append(f"{end} - {start}")
    if sources:
        result.mapping["duration_min"] = " or ".join(sources)
    result.frame = typed
    return result
