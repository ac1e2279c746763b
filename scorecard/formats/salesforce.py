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

An export holds every object of the org: the ones the scorecard does not use (contacts, leads,
cases, products, custom objects, ...) are recognised by their file name, or by Salesforce's system
fields (``IsDeleted``, ``SystemModstamp``, ``CreatedById``), and skipped with a note, as is an
object whose file holds only its header. Only ``Standard`` users become reps: license, integration,
admin, automated-process, portal and other system users are left out unless they own deals or
activities of the same upload. Every table carries its newest ``SystemModstamp`` (else
``LastModifiedDate``) as a hint of the data's as-of date.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

from scorecard.formats import MappedTable
from scorecard.formats.values import parse_dates, type_columns, with_line_numbers
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

UNUSED_OBJECTS: dict[str, str] = {
    # people and marketing
    "Contact": "contacts", "Lead": "leads", "Campaign": "campaigns", "CampaignMember": "campaign members",
    "CampaignMemberStatus": "campaign member statuses", "CampaignInfluence": "campaign influence",
    "Individual": "data privacy records", "ContactPointEmail": "contact e-mail addresses",
    "ContactPointPhone": "contact phone numbers", "ContactPointAddress": "contact addresses",
    "AccountContactRole": "contact roles on accounts", "AccountContactRelation": "contacts related to accounts",
    "AccountTeamMember": "account teams", "AccountPartner": "account partners", "Partner": "partners",
    "PartnerRole": "partner roles", "ListEmail": "list e-mails", "ListEmailIndividualRecipient":
    "list e-mail recipients", "ListEmailRecipientSource": "list e-mail recipient sources",
    # service
    "Case": "support cases", "CaseComment": "case comments", "CaseContactRole": "contact roles on cases",
    "CaseSolution": "case solutions", "CaseTeamMember": "case teams", "CaseMilestone": "case milestones",
    "Solution": "solutions", "Entitlement": "entitlements", "EntitlementContact": "entitlement contacts",
    "ServiceContract": "service contracts", "ContractLineItem": "contract line items", "WorkOrder": "work orders",
    "WorkOrderLineItem": "work order line items", "Asset": "assets", "AssetRelationship": "asset relationships",
    "Idea": "ideas", "IdeaComment": "idea comments", "Vote": "votes", "Question": "questions", "Reply": "replies",
    "Knowledge__kav": "knowledge articles",
    # products, quotes and orders
    "Product2": "products", "Pricebook2": "price books", "PricebookEntry": "price book entries",
    "OpportunityLineItem": "opportunity products", "OpportunityLineItemSchedule": "opportunity product schedules",
    "OpportunityContactRole": "contact roles on opportunities", "OpportunityCompetitor": "competitors on deals",
    "OpportunityPartner": "partners on deals", "OpportunitySplit": "deal splits",
    "OpportunitySplitType": "deal split types", "OpportunityStage": "stage definitions",
    "OpportunityFieldHistory": "deal field history", "Quote": "quotes", "QuoteLineItem": "quote lines",
    "QuoteDocument": "quote documents", "Contract": "contracts", "ContractContactRole": "contact roles on contracts",
    "Order": "orders", "OrderItem": "order products", "DatedConversionRate": "dated conversion rates",
    # forecasting (quotas come from ForecastingQuota or a quota sheet)
    "ForecastingItem": "forecast items", "ForecastingAdjustment": "forecast adjustments",
    "ForecastingOwnerAdjustment": "forecast owner adjustments", "ForecastingType": "forecast types",
    "ForecastingFact": "forecast facts", "ForecastingShare": "forecast sharing",
    "ForecastingDisplayedFamily": "forecast product families", "FiscalYearSettings": "fiscal year settings",
    # content and collaboration
    "Note": "notes", "Attachment": "attachments", "ContentVersion": "files", "ContentDocument": "files",
    "ContentDocumentLink": "file links", "ContentNote": "notes", "ContentWorkspace": "libraries",
    "ContentWorkspaceDoc": "library files", "Document": "documents", "Folder": "folders",
    "EmailMessage": "e-mail messages", "EmailMessageRelation": "e-mail recipients", "EmailTemplate":
    "e-mail templates", "FeedItem": "Chatter posts", "FeedComment": "Chatter comments",
    "CollaborationGroup": "Chatter groups", "CollaborationGroupMember": "Chatter group members",
    "Topic": "topics", "TopicAssignment": "topic assignments", "Announcement": "announcements",
    "EventRelation": "event invitees", "TaskRelation": "task relations", "Report": "reports",
    "Dashboard": "dashboards", "DashboardComponent": "dashboard components",
    # setup and security
    "Group": "public groups and queues", "GroupMember": "group members", "QueueSobject": "queue objects",
    "Profile": "profiles", "PermissionSet": "permission sets", "PermissionSetAssignment":
    "permission set assignments", "PermissionSetLicense": "permission set licenses",
    "PermissionSetLicenseAssign": "permission set license assignments", "PermissionSetGroup":
    "permission set groups", "UserLicense": "user licenses", "PackageLicense": "package licenses",
    "UserPackageLicense": "package license assignments", "UserPreference": "user preferences",
    "UserAppInfo": "user app settings", "LoginHistory": "logins", "LoginIp": "login addresses",
    "RecordType": "record types", "BusinessHours": "business hours", "Holiday": "holidays",
    "BusinessProcess": "sales processes", "Organization": "the organisation's settings",
    "Territory": "territories", "Territory2": "territories", "Territory2Model": "territory models",
    "Territory2Type": "territory types", "UserTerritory": "territory members",
    "UserTerritory2Association": "territory members", "ObjectTerritory2Association": "territory assignments",
    "ProcessInstance": "approvals", "ProcessInstanceStep": "approval steps", "ProcessInstanceWorkitem":
    "pending approvals", "DuplicateRecordSet": "duplicate sets", "DuplicateRecordItem": "duplicates",
    "StaticResource": "static resources", "Community": "communities", "Network": "communities",
    "NetworkMember": "community members", "Location": "locations", "Address": "addresses",
    "Macro": "macros", "QuickText": "quick texts", "Scontrol": "s-controls", "WebLink": "custom links",
    "Calendar": "calendars", "PushTopic": "push topics", "AuthSession": "sessions",
}
"""Standard objects of a Data Export the scorecard does not use, with what they hold."""
_UNUSED_BY_NAME = {name.lower(): name for name in UNUSED_OBJECTS}
_SYSTEM_SUFFIXES = {"History": "field history", "FieldHistory": "field history", "Share": "sharing rules",
                    "Feed": "Chatter feed", "ChangeEvent": "change events", "Tag": "tags"}
_CUSTOM = re.compile(r"__(c|mdt|x|e|b|kav|ka|History|Share|Feed|ChangeEvent|Tag)$", re.IGNORECASE)
_SYSTEM_FIELDS = {"IsDeleted", "SystemModstamp", "CreatedById", "LastModifiedById", "MasterRecordId"}
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{3}[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$")
"""A record ID: 15 or 18 letters and digits, the first three naming the object."""


def salesforce_fields(headers: list[str] | set[str]) -> bool:
    """Headers that only a Salesforce object has: ``Id`` with its system fields (``IsDeleted``,
    ``SystemModstamp``, ``CreatedById``/``LastModifiedById``, ``MasterRecordId``)."""
    h = set(headers)
    return "Id" in h and (bool(h & {"IsDeleted", "SystemModstamp", "MasterRecordId"})
                          or {"CreatedById", "LastModifiedById"} <= h)


def salesforce_ids(values: pl.Series, sample: int = 20) -> bool:
    """True when the first non-blank values of a column all look like Salesforce record IDs (15 or
    18 characters of letters and digits, with both)."""
    seen = [v for v in values.head(sample * 5).drop_nulls().to_list() if str(v).strip()][:sample]
    return bool(seen) and all(SALESFORCE_ID.match(str(v).strip()) and re.search(r"[A-Za-z]", str(v))
                              and re.search(r"\d", str(v)) for v in seen)


def _stem_key(table: RawTable) -> str:
    return table.stem.strip().lower().replace(" ", "")


def unused_object(table: RawTable) -> str | None:
    """The Salesforce object a table holds when the scorecard does not use it (``Contact``, a custom
    ``Visit__c``, ``AccountHistory``, ...), by its file name or, unnamed, by Salesforce's system
    fields; None for the objects the scorecard maps and for anything that is not Salesforce's."""
    headers = set(table.headers)
    if "Id" not in headers:
        return None
    stem = table.stem.strip()
    key = _stem_key(table)
    if key in _UNUSED_BY_NAME:
        return _UNUSED_BY_NAME[key]
    if key in _BY_NAME:
        return None
    if _CUSTOM.search(stem):
        return stem
    for suffix in _SYSTEM_SUFFIXES:
        base = stem[: -len(suffix)]
        if stem.endswith(suffix) and (base.lower() in _UNUSED_BY_NAME or base.lower() in _BY_NAME):
            return stem
    if salesforce_fields(headers):
        return stem
    return None


def object_of(table: RawTable) -> str | None:
    """The Salesforce object a table holds: by its file name (``Contact.csv``, ``Opportunity.csv``)
    when its headers are Salesforce's, else by the standard fields of the objects the scorecard
    maps, else (an object it does not use) by Salesforce's system fields."""
    headers = set(table.headers)
    key = _stem_key(table)
    named = _BY_NAME.get(key)
    if named:
        needed = next(sig for name, sig in _SIGNATURES if name == named)
        if len(needed & headers) >= max(2, len(needed) - 1) or "Id" in headers:
            return named
    if key in _UNUSED_BY_NAME and "Id" in headers:
        return _UNUSED_BY_NAME[key]
    for name, signature in _SIGNATURES:
        if signature <= headers:
            return name
    return unused_object(table)


def claims(table: RawTable) -> bool:
    return object_of(table) is not None


def _describe_unused(obj: str) -> str:
    if obj in UNUSED_OBJECTS:
        return f"a Salesforce object the scorecard does not use ({UNUSED_OBJECTS[obj]})"
    if _CUSTOM.search(obj):
        return "a custom Salesforce object the scorecard does not use"
    for suffix, words in _SYSTEM_SUFFIXES.items():
        if obj.endswith(suffix) and obj != "OpportunityHistory":
            return f"a Salesforce object the scorecard does not use ({words})"
    return "a Salesforce object the scorecard does not use"


def as_of_hint(table: RawTable) -> datetime | None:
    """The newest ``SystemModstamp`` (else ``LastModifiedDate``) of a table: when its data was last
    touched, a hint of the export's as-of date."""
    for column in ("SystemModstamp", "LastModifiedDate"):
        if column in table.headers and table.frame.height:
            newest = parse_dates(table.frame[column], with_time=True).max()
            if isinstance(newest, datetime):
                return newest
    return None


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


def _rows(table: RawTable) -> pl.DataFrame:
    """A table's rows with their file line numbers, null IDs blank and deleted rows out."""
    return _ids(with_line_numbers(table.frame))


STANDARD_USER = "standard"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _people_only(users: pl.DataFrame, owners: set[str]) -> tuple[pl.DataFrame, list[str]]:
    """Standard users (people who sell or lead) and those who own deals or activities of the upload;
    license, integration, admin, automated-process, portal and other system users are left out."""
    if "UserType" not in users.columns:
        return users, []
    kind = pl.col("UserType").str.strip_chars()
    person = kind.is_null() | (kind.str.to_lowercase() == STANDARD_USER) | (kind == "")
    owner = pl.col("Id").is_in(sorted(owners))
    others = users.filter(~person)
    kept, left = others.filter(owner), others.filter(~owner)
    notes: list[str] = []
    if left.height:
        counts = left.group_by("UserType").len().sort(["len", "UserType"], descending=[True, False])
        by_type = ", ".join(f"{n} {t}" for t, n in counts.iter_rows())
        notes.append(f"{_plural(left.height, 'user')} left out of the reps: not Standard users but license,"
                     f" integration, admin, automated-process or portal users ({by_type})")
    if kept.height:
        name = pl.concat_str([_col(kept, "FirstName"), _col(kept, "LastName")], separator=" ", ignore_nulls=True)
        who = kept.select(pl.coalesce(_col(kept, "Name"), name, pl.col("Id")).str.strip_chars()
                          + pl.lit(" (") + pl.col("UserType") + pl.lit(")")).to_series().to_list()
        what, why = ("a Standard user", "it owns") if kept.height == 1 else ("Standard users", "they own")
        notes.append(f"{_plural(kept.height, 'user')} kept although not {what}, as {why} deals or activities in"
                     f" this upload: {', '.join(who)}")
    return users.filter(person | owner), notes


def _map_users(table: RawTable, roles: pl.DataFrame | None, owners: set[str]) -> MappedTable:
    users, notes = _people_only(_rows(table), owners)
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
    if "UserType" in users.columns:
        mapping["rep_id"] = "Id (Standard users, and others who own deals or activities)"
    # a manager who was left out (a system user) manages no one here
    left_out = pl.col("manager_id").is_not_null() & ~pl.col("manager_id").is_in(frame["rep_id"].to_list())
    orphans = int(frame.select(left_out.sum()).item())
    if orphans:
        frame = frame.with_columns(pl.when(left_out).then(None).otherwise(pl.col("manager_id")).alias("manager_id"))
        notes.append(f"{_plural(orphans, 'user')} had a ManagerId naming a user left out: taken as blank")
    if roles is not None and "ParentRoleId" in roles.columns:
        frame = _managers_from_roles(frame, roles)
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
    people = set(users["rep_id"].to_list())
    for role, user in forecast_user.items():
        if user and user in people:
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
    accounts = _rows(table)
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
    opps = _rows(table)
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
    hist = _rows(table)
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
    tasks = _rows(table)
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
    told = pl.coalesce(
        pl.when(_col(tasks, "TaskSubtype").str.to_lowercase() != "task")
        .then(_code(_col(tasks, "TaskSubtype"), _TASK_TYPES)),
        _code(_col(tasks, "Type"), _TASK_TYPES),
        pl.when(_col(tasks, "CallType").is_not_null()).then(pl.lit("call")),
        pl.when(subject.str.starts_with("call")).then(pl.lit("call")),
        pl.when(subject.str.starts_with("email")).then(pl.lit("email")),
    )
    untyped = int(tasks.select(told.is_null().sum()).item())
    if untyped:
        notes.append(f"{untyped} of {tasks.height} tasks say nothing of their kind (Type blank"
                     f"{'' if 'TaskSubtype' in tasks.columns else ', no TaskSubtype column'}): loaded as"
                     " activities of unknown kind")
    kind = told
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
    events = _rows(table)
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
    team = _rows(table)
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


QUOTAS_NEED = ("an owner (QuotaOwnerId), a period (StartDate or PeriodId) and an amount (QuotaAmount)")


def _map_quotas(table: RawTable, periods: pl.DataFrame | None) -> MappedTable:
    headers = set(table.headers)
    period_known = "StartDate" in headers or ("PeriodId" in headers and periods is not None)
    if not ({"QuotaOwnerId", "QuotaAmount"} <= headers and period_known):
        return _skipped(table, "ForecastingQuota",
                        f"{_file(table)}: the quotas of this export have no owner or no period (the weekly export"
                        f" carries neither); quotas need a sheet with {QUOTAS_NEED}, or a quota sheet"
                        " (owner, period, amount) loaded beside the export; skipped")
    quotas = _rows(table)
    start, end = _col(quotas, "StartDate"), _col(quotas, "EndDate")
    if periods is not None and "PeriodId" in quotas.columns:
        quotas = quotas.join(periods.select(pl.col("Id").alias("PeriodId"), pl.col("StartDate").alias("__period_start"),
                                            pl.col("EndDate").alias("__period_end")),
                             on="PeriodId", how="left", maintain_order="left")
        start = pl.coalesce(_col(quotas, "StartDate"), pl.col("__period_start"))
        end = pl.coalesce(_col(quotas, "EndDate"), pl.col("__period_end"))
    frame = quotas.select("__line", pl.col("QuotaOwnerId").alias("rep_id"),
                          start.alias("period_start"), end.alias("period_end"),
                          pl.col("QuotaAmount").alias("quota_amount"))
    typed = type_columns(frame, EXTRACTS["quotas"])
    if typed["period_end"].null_count() and typed["period_start"].dtype == pl.Date:
        # No end given: a quarter from the start.
        typed = typed.with_columns(pl.coalesce("period_end", pl.col("period_start").dt.offset_by("3mo")
                                               .dt.offset_by("-1d")).alias("period_end"))
    return MappedTable(table=table, format="salesforce", extract="quotas", frame=typed,
                       mapping={"rep_id": "QuotaOwnerId", "period_start": "StartDate (else Period)",
                                "period_end": "EndDate (else Period, else a quarter)", "quota_amount": "QuotaAmount"})


def _file(table: RawTable) -> str:
    """The file's own name (``Contact.csv``), without the archive it came in."""
    return table.name.rsplit("/", 1)[-1]


def _skipped(table: RawTable, obj: str, note: str) -> MappedTable:
    """A table recognised and deliberately not loaded; the note tells the uploader why."""
    return MappedTable(table=table, format="salesforce", extract=OBJECT_EXTRACT.get(obj), frame=None,
                       skipped=note)


def _owners(tables: list[RawTable], objects: dict[int, str | None]) -> set[str]:
    """Users who own deals or activities (tasks, events) of the upload."""
    out: set[str] = set()
    for table in tables:
        if objects[id(table)] in ("Opportunity", "Task", "Event") and "OwnerId" in table.headers:
            columns = [c for c in ("OwnerId", "IsDeleted") if c in table.headers]
            out.update(v for v in _ids(table.frame.select(columns))["OwnerId"].drop_nulls().unique().to_list() if v)
    return out


def map_tables(tables: list[RawTable]) -> list[MappedTable]:
    """Map every table of a Salesforce export together (users need roles and the owners of deals and
    activities, quotas need periods). Objects the scorecard does not use, and objects whose file
    holds only its header, come back with ``skipped`` set; every table carries ``as_of_hint``."""
    objects = {id(t): object_of(t) for t in tables}
    roles = next((_ids(t.frame) for t in tables if objects[id(t)] == "UserRole"), None)
    periods = next((t.frame for t in tables if objects[id(t)] == "Period"), None)
    owners = _owners(tables, objects)
    out: list[MappedTable] = []
    for table in tables:
        obj = objects[id(table)]
        try:
            mapped = _map_one(table, obj, roles, periods, owners)
        except pl.exceptions.PolarsError as exc:  # a standard field the object should have is missing
            detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            mapped = MappedTable(table=table, format="salesforce", extract=OBJECT_EXTRACT.get(str(obj)),
                                 problem=f"this {obj} export lacks a field it needs ({detail})",
                                 rule="required columns")
        mapped.as_of_hint = as_of_hint(table)
        out.append(mapped)
    return out


def _map_one(table: RawTable, obj: str | None, roles: pl.DataFrame | None,
             periods: pl.DataFrame | None, owners: set[str]) -> MappedTable:
    if obj is None or obj not in _BY_NAME.values():
        obj = obj or table.stem
        return _skipped(table, obj, f"{_file(table)}: {_describe_unused(obj)}; skipped")
    if table.rows == 0:
        return _skipped(table, obj, f"{_file(table)}: holds only its header: nothing to load")
    if obj == "User":
        return _map_users(table, roles, owners)
    if obj == "ForecastingQuota":
        return _map_quotas(table, periods)
    simple = {"Account": _map_accounts, "Opportunity": _map_opportunities, "OpportunityHistory": _map_history,
              "Task": _map_tasks, "Event": _map_events, "OpportunityTeamMember": _map_team,
              "CurrencyType": _map_currencies}
    if obj in simple:
        return simple[obj](table)
    return MappedTable(table=table, format="salesforce", extract=None, frame=None,
                       notes=[f"{obj} used to map the other objects"])


__all__ = ["as_of_hint", "claims", "is_report", "map_report", "map_tables", "object_of", "salesforce_fields",
           "salesforce_ids", "unused_object"]


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
