"""Salesforce Data Export (Setup > Data Export): one ``<Object>.csv`` per object, often zipped.

What this module knows (see ``crm-formats.md``): objects are recognised by file name or, failing
that, by their standard fields; the null ID ``000000000000000AAA`` means blank; booleans are
``1``/``0``; deleted rows (``IsDeleted = 1``) are dropped; open, won and lost come from ``IsClosed``
and ``IsWon``, never from the (often localised) stage names; the hierarchy comes from
``User.ManagerId`` or, where that is empty, from ``UserRole.ParentRoleId`` (the manager is the
role's forecast user, else the first active user holding the parent role); ``CurrencyType``
becomes the currency rates (Salesforce stores how many units of a currency make one unit of the
corporate currency, so the canonical rate is its inverse); mass list e-mails and open tasks are not
customer conversations and are left out of activities.
"""

from __future__ import annotations

import polars as pl

from scorecard.formats import MappedTable
from scorecard.formats.values import type_columns, with_line_numbers
from scorecard.readers import RawTable
from scorecard.schema import EXTRACTS

NULL_ID = "000000000000000AAA"
OBJECT_EXTRACT = {
    "User": "reps", "Account": "accounts", "Opportunity": "opportunities", "OpportunityHistory":
    "opportunity_history", "Task": "activities", "Event": "activities", "OpportunityTeamMember":
    "opportunity_team", "CurrencyType": "currency_rates", "ForecastingQuota": "quotas",
}
"""Objects that become a canonical extract (UserRole and Period only help map the others)."""

_SIGNATURES: list[tuple[str, set[str]]] = [
    ("OpportunityTeamMember", {"OpportunityId", "UserId", "TeamMemberRole"}),
    ("OpportunityHistory", {"OpportunityId", "StageName", "CreatedDate"}),
    ("Opportunity", {"Id", "StageName", "IsClosed", "IsWon", "CloseDate", "OwnerId"}),
    ("UserRole", {"Id", "Name", "ParentRoleId"}),
    ("User", {"Id", "Username", "LastName"}),
    ("Account", {"Id", "Name", "OwnerId", "BillingCountry"}),
    ("Account", {"Id", "Name", "OwnerId", "Industry"}),
    ("Event", {"Id", "WhatId", "OwnerId", "DurationInMinutes"}),
    ("Event", {"Id", "WhatId", "OwnerId", "ActivityDateTime"}),
    ("Task", {"Id", "WhatId", "OwnerId", "Status", "ActivityDate"}),
    ("CurrencyType", {"IsoCode", "ConversionRate"}),
    ("ForecastingQuota", {"QuotaOwnerId", "QuotaAmount", "StartDate"}),
    ("Period", {"FiscalYearSettingsId", "StartDate", "EndDate"}),
]
_BY_NAME = {name.lower(): name for name, _ in _SIGNATURES}


def object_of(table: RawTable) -> str | None:
    """The Salesforce object a table holds, by its standard fields (file name as tie-break)."""
    headers = set(table.headers)
    named = _BY_NAME.get(table.stem.strip().lower().replace(" ", ""))
    if named:
        needed = next(sig for name, sig in _SIGNATURES if name == named)
        if len(needed & headers) >= max(2, len(needed) - 1):
            return named
    for name, signature in _SIGNATURES:
        if signature <= headers:
            return name
    return None


def claims(table: RawTable) -> bool:
    return object_of(table) is not None


def _ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Null IDs to null, and deleted rows out."""
    frame = frame.with_columns(
        pl.when(pl.col(c) == NULL_ID).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns if c == "Id" or c.endswith("Id"))
    if "IsDeleted" in frame.columns:
        frame = frame.filter(pl.col("IsDeleted").is_null() | ~pl.col("IsDeleted").is_in(["1", "true", "True"]))
    return frame


def _col(frame: pl.DataFrame, *names: str) -> pl.Expr:
    """The first of ``names`` the file has, else a null column."""
    present = [pl.col(n) for n in names if n in frame.columns]
    if not present:
        return pl.lit(None, dtype=pl.String)
    return pl.coalesce(present) if len(present) > 1 else present[0]


def _custom(frame: pl.DataFrame, pattern: str) -> str | None:
    """A custom field (``__c``) whose name matches ``pattern`` (case-insensitive regex)."""
    import re

    for c in frame.columns:
        if c.endswith("__c") and re.search(pattern, c, re.IGNORECASE):
            return c
    return None


def _code(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """Map free-text codes by lower-cased value; unknown values become their slug."""
    lowered = expr.str.strip_chars().str.to_lowercase()
    return lowered.replace_strict(mapping, default=lowered.str.replace_all(r"[^a-z0-9]+", "_"),
                                  return_dtype=pl.String)


def _done(table: RawTable, extract: str, frame: pl.DataFrame, mapping: dict[str, str],
          notes: list[str] | None = None) -> MappedTable:
    typed = type_columns(frame, EXTRACTS[extract])
    return MappedTable(table=table, format="salesforce", extract=extract, frame=typed, mapping=mapping,
                       notes=notes or [])


def _role_of_title(title: pl.Expr) -> pl.Expr:
    t = title.str.to_lowercase()
    return (pl.when(t.str.contains(r"chief|cro|ceo|president|\bvp\b|vice president")).then(pl.lit("executive"))
            .when(t.str.contains(r"manager|director|head|lead\b")).then(pl.lit("leader"))
            .when(t.str.contains(r"development|sdr|bdr")).then(pl.lit("sdr"))
            .when(t.str.contains(r"engineer|consultant|solution")).then(pl.lit("se"))
            .when(t.is_not_null()).then(pl.lit("ae"))
            .otherwise(None))


def _map_users(table: RawTable, roles: pl.DataFrame | None) -> MappedTable:
    users = with_line_numbers(_ids(table.frame))
    notes: list[str] = []
    name = pl.concat_str([_col(users, "FirstName"), _col(users, "LastName")], separator=" ", ignore_nulls=True)
    frame = users.select(
        "__line",
        pl.col("Id").alias("rep_id"),
        pl.coalesce(_col(users, "Name"), name).alias("rep_name"),
        _col(users, "Email").alias("email"),
        _col(users, "ManagerId").alias("manager_id"),
        _role_of_title(_col(users, "Title")).alias("role"),
        _col(users, "Division", "Department").alias("region"),
        _col(users, "CreatedDate").alias("hire_date"),
        _col(users, "UserRoleId").alias("__role"),
        _col(users, "IsActive").alias("__active"),
    )
    mapping = {"rep_id": "Id", "rep_name": "FirstName LastName", "email": "Email", "manager_id": "ManagerId",
               "role": "Title", "region": "Division", "hire_date": "CreatedDate"}
    if roles is not None and "ParentRoleId" in roles.columns:
        frame = _managers_from_roles(frame, _ids(roles))
        if frame["__from_role"].any():
            notes.append(f"{int(frame['__from_role'].sum())} managers taken from the role hierarchy"
                         " (UserRole.ParentRoleId) where ManagerId is empty")
            mapping["manager_id"] = "ManagerId, else the holder of UserRole.ParentRoleId"
        frame = frame.drop("__from_role")
    frame = frame.drop("__role", "__active")
    return _done(table, "reps", frame, mapping, notes)


def _managers_from_roles(users: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """Fill an empty manager_id with the user holding the nearest parent role that has someone."""
    parent = dict(zip(roles["Id"].to_list(), roles["ParentRoleId"].to_list(), strict=True))
    forecast_user = dict(zip(roles["Id"].to_list(),
                             roles.select(_col(roles, "ForecastUserId")).to_series().to_list(), strict=True))
    active_first = users.sort([pl.col("__active").fill_null("1") != "1", "rep_id"])
    holder: dict[str, str] = {}
    for rep_id, role in zip(active_first["rep_id"].to_list(), active_first["__role"].to_list(), strict=True):
        if role is not None and role not in holder:
            holder[role] = rep_id
    for role, user in forecast_user.items():
        if user:
            holder[role] = user

    def manager_of(rep_id: str, role: str | None) -> str | None:
        seen: set[str] = set()
        current = parent.get(role) if role else None
        while current and current not in seen:
            seen.add(current)
            boss = holder.get(current)
            if boss and boss != rep_id:
                return boss
            current = parent.get(current)
        return None

    derived = [manager_of(r, role) for r, role in zip(users["rep_id"].to_list(), users["__role"].to_list(),
                                                       strict=True)]
    return users.with_columns(pl.Series("__derived", derived, dtype=pl.String)).with_columns(
        (pl.col("manager_id").is_null() & pl.col("__derived").is_not_null()).alias("__from_role"),
        pl.coalesce("manager_id", "__derived").alias("manager_id"),
    ).drop("__derived")


def _map_accounts(table: RawTable) -> MappedTable:
    accounts = with_line_numbers(_ids(table.frame))
    target = _custom(accounts, r"target|named|strategic")
    frame = accounts.select(
        "__line", pl.col("Id").alias("account_id"), _col(accounts, "Name").alias("account_name"),
        _col(accounts, "Industry").alias("industry"), _col(accounts, "Type").alias("segment"),
        _col(accounts, "BillingCountry", "BillingState").alias("region"),
        _col(accounts, "OwnerId").alias("owner_rep_id"),
        (pl.col(target) if target else pl.lit(None, dtype=pl.String)).alias("is_target"),
    )
    return _done(table, "accounts", frame, {"account_id": "Id", "account_name": "Name", "industry": "Industry",
                                            "region": "BillingCountry", "owner_rep_id": "OwnerId",
                                            "is_target": target or "(none)"})


_OPP_TYPES = {"new business": "new", "new customer": "new", "new": "new", "existing business": "expansion",
              "upsell": "expansion", "expansion": "expansion", "renewal": "renewal"}
_SOURCES = {"web": "inbound", "inbound": "inbound", "phone inquiry": "inbound", "partner referral": "partner",
            "partner": "partner", "purchased list": "outbound", "outbound": "outbound", "cold call": "outbound",
            "employee referral": "referral", "external referral": "referral", "referral": "referral",
            "advertisement": "marketing", "trade show": "marketing", "seminar - internal": "marketing",
            "seminar - partner": "partner", "webinar": "marketing", "marketing": "marketing", "other": "other"}
_FORECAST = {"pipeline": "pipeline", "bestcase": "best_case", "best case": "best_case", "forecast": "commit",
             "commit": "commit", "closed": "closed", "omitted": "omitted"}


def _map_opportunities(table: RawTable) -> MappedTable:
    opps = with_line_numbers(_ids(table.frame))
    product = _custom(opps, r"product.?(line|family)")
    frame = opps.select(
        "__line", pl.col("Id").alias("opportunity_id"), pl.col("OwnerId").alias("owner_rep_id"),
        _col(opps, "AccountId").alias("account_id"), _col(opps, "CreatedDate").alias("created_date"),
        pl.col("CloseDate").alias("close_date"), pl.col("StageName").alias("stage"),
        pl.col("IsClosed").alias("is_closed"), pl.col("IsWon").alias("is_won"),
        _col(opps, "Amount").alias("amount"), _code(_col(opps, "Type"), _OPP_TYPES).alias("type"),
        (pl.col(product) if product else pl.lit(None, dtype=pl.String)).alias("product_line"),
        _code(_col(opps, "LeadSource"), _SOURCES).alias("lead_source"),
        _code(_col(opps, "ForecastCategory", "ForecastCategoryName"), _FORECAST).alias("forecast_category"),
        _col(opps, "NextStep").alias("next_step"), _col(opps, "CurrencyIsoCode").alias("currency"),
    )
    mapping = {"opportunity_id": "Id", "owner_rep_id": "OwnerId", "account_id": "AccountId",
               "created_date": "CreatedDate", "close_date": "CloseDate", "stage": "StageName",
               "is_closed": "IsClosed", "is_won": "IsWon", "amount": "Amount (in CurrencyIsoCode)",
               "type": "Type", "lead_source": "LeadSource", "forecast_category": "ForecastCategory",
               "next_step": "NextStep", "currency": "CurrencyIsoCode", "product_line": product or "(none)"}
    return _done(table, "opportunities", frame, mapping)


def _map_history(table: RawTable) -> MappedTable:
    hist = with_line_numbers(_ids(table.frame))
    frame = hist.select("__line", pl.col("OpportunityId").alias("opportunity_id"),
                        pl.col("CreatedDate").alias("changed_at"), _col(hist, "StageName").alias("stage"),
                        _col(hist, "Amount").alias("amount"), _col(hist, "CloseDate").alias("close_date"))
    return _done(table, "opportunity_history", frame,
                 {"opportunity_id": "OpportunityId", "changed_at": "CreatedDate", "stage": "StageName",
                  "amount": "Amount", "close_date": "CloseDate"})


_TASK_TYPES = {"call": "call", "email": "email", "meeting": "meeting", "demo": "demo", "task": "other",
               "linkedin": "social", "social": "social", "content": "content", "webinar": "event",
               "event": "event", "send letter": "other", "send quote": "email", "other": "other"}


def _activity_links(frame: pl.DataFrame) -> list[pl.Expr]:
    what = _col(frame, "WhatId")
    who = _col(frame, "WhoId")
    return [
        pl.coalesce(_col(frame, "AccountId"), pl.when(what.str.starts_with("001")).then(what)).alias("account_id"),
        pl.when(what.str.starts_with("006")).then(what).alias("opportunity_id"),
        pl.when(who.str.starts_with("003")).then(who).alias("contact_id"),
    ]


def _map_tasks(table: RawTable) -> MappedTable:
    tasks = with_line_numbers(_ids(table.frame))
    notes: list[str] = []
    subtype = _col(tasks, "TaskSubtype").str.to_lowercase()
    subject = _col(tasks, "Subject").str.to_lowercase()
    mass = (subtype == "listemail") | subject.str.contains(r"^(mass|list) e-?mail")
    mass_count = int(tasks.select(mass.fill_null(False).sum()).item())
    if mass_count:
        notes.append(f"{mass_count} mass list e-mails left out (not customer conversations)")
    tasks = tasks.filter(~mass.fill_null(False))
    if "IsClosed" in tasks.columns:
        open_count = int(tasks.select((pl.col("IsClosed") == "0").sum()).item())
        if open_count:
            notes.append(f"{open_count} open (not yet done) tasks left out")
        tasks = tasks.filter(pl.col("IsClosed").fill_null("1") != "0")
    kind = pl.coalesce(
        pl.when(_col(tasks, "TaskSubtype").str.to_lowercase() != "task")
        .then(_code(_col(tasks, "TaskSubtype"), _TASK_TYPES)),
        _code(_col(tasks, "Type"), _TASK_TYPES),
        pl.when(_col(tasks, "CallType").is_not_null()).then(pl.lit("call")),
        pl.when(subject.str.starts_with("call")).then(pl.lit("call")),
        pl.when(subject.str.starts_with("email")).then(pl.lit("email")),
        pl.lit("other"),
    )
    frame = tasks.select(
        "__line", pl.col("Id").alias("activity_id"), pl.col("OwnerId").alias("rep_id"),
        _col(tasks, "CompletedDateTime", "ActivityDate", "CreatedDate").alias("activity_at"),
        kind.alias("type"), *_activity_links(tasks),
        (_col(tasks, "CallDurationInSeconds").cast(pl.Float64, strict=False) / 60)
        .cast(pl.String).alias("duration_min"),
    )
    return _done(table, "activities", frame,
                 {"activity_id": "Id", "rep_id": "OwnerId", "activity_at": "CompletedDateTime or ActivityDate",
                  "type": "TaskSubtype, Type, CallType", "account_id": "AccountId or WhatId (001)",
                  "opportunity_id": "WhatId (006)", "contact_id": "WhoId (003)",
                  "duration_min": "CallDurationInSeconds / 60"}, notes)


def _map_events(table: RawTable) -> MappedTable:
    events = with_line_numbers(_ids(table.frame))
    notes: list[str] = []
    if "IsChild" in events.columns:
        children = int(events.select((pl.col("IsChild") == "1").sum()).item())
        if children:
            notes.append(f"{children} invitee copies of events (IsChild) left out")
        events = events.filter(pl.col("IsChild").fill_null("0") != "1")
    kind = pl.coalesce(_code(_col(events, "Type"), _TASK_TYPES), pl.lit("meeting"))
    kind = pl.when(kind.is_in(["other", "call", "email"]) | kind.is_null()).then(pl.lit("meeting")).otherwise(kind)
    frame = events.select(
        "__line", pl.col("Id").alias("activity_id"), pl.col("OwnerId").alias("rep_id"),
        _col(events, "ActivityDateTime", "ActivityDate", "StartDateTime").alias("activity_at"),
        kind.alias("type"), *_activity_links(events), _col(events, "DurationInMinutes").alias("duration_min"),
    )
    return _done(table, "activities", frame,
                 {"activity_id": "Id", "rep_id": "OwnerId", "activity_at": "ActivityDateTime",
                  "type": "Type (default meeting)", "opportunity_id": "WhatId (006)",
                  "duration_min": "DurationInMinutes"}, notes)


_TEAM_ROLES = {"sales engineer": "se", "solutions engineer": "se", "pre-sales consultant": "se",
               "presales": "se", "sales development": "sdr", "lead qualifier": "sdr", "sdr": "sdr",
               "partner": "partner", "channel manager": "partner", "sales manager": "leader",
               "executive sponsor": "leader", "account manager": "ae", "opportunity owner": "ae"}


def _map_team(table: RawTable) -> MappedTable:
    team = with_line_numbers(_ids(table.frame))
    frame = team.select("__line", pl.col("OpportunityId").alias("opportunity_id"),
                        pl.col("UserId").alias("rep_id"),
                        _code(_col(team, "TeamMemberRole"), _TEAM_ROLES).alias("role"))
    return _done(table, "opportunity_team", frame,
                 {"opportunity_id": "OpportunityId", "rep_id": "UserId", "role": "TeamMemberRole"})


def _map_currencies(table: RawTable) -> MappedTable:
    rates = with_line_numbers(table.frame)
    if "IsActive" in rates.columns:
        rates = rates.filter(pl.col("IsActive").fill_null("1") != "0")
    rate = pl.col("ConversionRate").str.replace(",", ".").cast(pl.Float64, strict=False)
    frame = rates.select("__line", pl.col("IsoCode").alias("currency"),
                         pl.when(rate > 0).then(1.0 / rate).otherwise(rate).cast(pl.String).alias("rate"))
    return _done(table, "currency_rates", frame, {"currency": "IsoCode", "rate": "1 / ConversionRate"},
                 ["rates are per unit of the corporate currency (IsCorporate), taken as the reporting currency"])


def _map_quotas(table: RawTable, periods: pl.DataFrame | None) -> MappedTable:
    quotas = with_line_numbers(_ids(table.frame))
    end = _col(quotas, "EndDate")
    if periods is not None and "PeriodId" in quotas.columns:
        quotas = quotas.join(periods.select(pl.col("Id").alias("PeriodId"), pl.col("EndDate").alias("__period_end")),
                             on="PeriodId", how="left", maintain_order="left")
        end = pl.coalesce(_col(quotas, "EndDate"), pl.col("__period_end"))
    frame = quotas.select("__line", pl.col("QuotaOwnerId").alias("rep_id"),
                          pl.col("StartDate").alias("period_start"), end.alias("period_end"),
                          pl.col("QuotaAmount").alias("quota_amount"))
    typed = type_columns(frame, EXTRACTS["quotas"])
    if typed["period_end"].null_count() and typed["period_start"].dtype == pl.Date:
        # No end given: a quarter from the start.
        typed = typed.with_columns(pl.coalesce("period_end", pl.col("period_start").dt.offset_by("3mo")
                                               .dt.offset_by("-1d")).alias("period_end"))
    return MappedTable(table=table, format="salesforce", extract="quotas", frame=typed,
                       mapping={"rep_id": "QuotaOwnerId", "period_start": "StartDate",
                                "period_end": "EndDate (else Period, else a quarter)", "quota_amount": "QuotaAmount"})


def map_tables(tables: list[RawTable]) -> list[MappedTable]:
    """Map every table of a Salesforce export together (users need roles, quotas need periods)."""
    objects = {id(t): object_of(t) for t in tables}
    roles = next((_ids(t.frame) for t in tables if objects[id(t)] == "UserRole"), None)
    periods = next((t.frame for t in tables if objects[id(t)] == "Period"), None)
    out: list[MappedTable] = []
    for table in tables:
        try:
            out.append(_map_one(table, objects[id(table)], roles, periods))
        except pl.exceptions.PolarsError as exc:  # a standard field the object should have is missing
            detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            obj = str(objects[id(table)])
            out.append(MappedTable(table=table, format="salesforce", extract=OBJECT_EXTRACT.get(obj),
                                   problem=f"this {obj} export lacks a field it needs ({detail})",
                                   rule="required columns"))
    return out


def _map_one(table: RawTable, obj: str | None, roles: pl.DataFrame | None,
             periods: pl.DataFrame | None) -> MappedTable:
    if obj == "User":
        return _map_users(table, roles)
    if obj == "ForecastingQuota":
        return _map_quotas(table, periods)
    simple = {"Account": _map_accounts, "Opportunity": _map_opportunities, "OpportunityHistory": _map_history,
              "Task": _map_tasks, "Event": _map_events, "OpportunityTeamMember": _map_team,
              "CurrencyType": _map_currencies}
    if obj in simple:
        return simple[obj](table)
    return MappedTable(table=table, format="salesforce", extract=None, frame=None,
                       notes=[f"{obj} used to map the other objects"])


__all__ = ["claims", "is_report", "map_report", "map_tables", "object_of"]


# -- report exports (Reports > Export > Details only): field labels, owners by name -----------------

REPORT_FIELDS: dict[str, list[str]] = {
    "opportunity_id": ["Opportunity ID", "Opportunity Id"],
    "owner_rep_id": ["Opportunity Owner", "Owner", "Opportunity Owner: Full Name"],
    "account_id": ["Account ID", "Account Id", "Account Name"],
    "created_date": ["Created Date"],
    "close_date": ["Close Date"],
    "stage": ["Stage"],
    "is_closed": ["Closed"],
    "is_won": ["Won"],
    "amount": ["Amount", "Amount (converted)"],
    "type": ["Type"],
    "lead_source": ["Lead Source"],
    "forecast_category": ["Forecast Category"],
    "next_step": ["Next Step"],
    "currency": ["Opportunity Currency", "Amount Currency"],
}


def is_report(table: RawTable) -> bool:
    """An opportunity report export: label headers such as "Opportunity Owner", "Stage", "Close Date"."""
    headers = set(table.headers)
    return {"Stage", "Close Date"} <= headers and bool(
        headers & {"Opportunity Owner", "Opportunity Owner: Full Name"})


def map_report(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    """Map a report export; owners are names, resolved to rep IDs; without Closed/Won columns the
    stage names "Closed Won" and "Closed Lost" (the defaults) decide."""
    from scorecard.formats import people_lookup, resolve_people

    frame = with_line_numbers(table.frame)
    mapping = {col: src for col, names in REPORT_FIELDS.items()
               if (src := next((n for n in names if n in frame.columns), None))}
    notes: list[str] = []
    out = frame.select("__line", *(pl.col(src).alias(col) for col, src in mapping.items()))
    if "opportunity_id" not in out.columns:
        name = "Opportunity Name" if "Opportunity Name" in frame.columns else None
        out = out.with_columns((pl.lit("report-") + (frame[name] if name else out["__line"].cast(pl.String)))
                               .alias("opportunity_id"))
        mapping["opportunity_id"] = f"generated from {name or 'the line'}"
        notes.append("the report has no Opportunity ID column: add it to the report for stable IDs")
    stage = pl.col("stage").str.to_lowercase()
    if "is_closed" not in out.columns:
        out = out.with_columns(stage.str.starts_with("closed").cast(pl.String).alias("is_closed"))
        mapping["is_closed"] = "Stage (Closed ...)"
    if "is_won" not in out.columns:
        out = out.with_columns((stage == "closed won").cast(pl.String).alias("is_won"))
        mapping["is_won"] = "Stage (Closed Won)"
    for col, codes in (("type", _OPP_TYPES), ("lead_source", _SOURCES), ("forecast_category", _FORECAST)):
        if col in out.columns:
            out = out.with_columns(_code(pl.col(col), codes).alias(col))
    out = resolve_people(out, "owner_rep_id", people_lookup(people))
    return MappedTable(table=table, format="salesforce_report", extract="opportunities",
                       frame=type_columns(out, EXTRACTS["opportunities"]), mapping=mapping, notes=notes)
