"""HubSpot exports: deals (label headers in English, or internal property names) and owners.

Deal owners come as a person's name ("Deal owner") or an owner ID (``hubspot_owner_id``); both
resolve to rep IDs against the reps of the upload (an owners export, a team sheet) or those
already loaded. Open, won and lost come from ``hs_is_closed``/``hs_is_closed_won`` when exported,
else from the default stage IDs ``closedwon``/``closedlost`` (or their labels). HubSpot has no
manager hierarchy: an owners export loads everyone at the top; a team sheet gives the leaders.
"""

from __future__ import annotations

import polars as pl

from scorecard.formats import MappedTable, resolve_people
from scorecard.formats.values import normalise_header, type_columns, with_line_numbers
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


def _norm_headers(table: RawTable) -> dict[str, str]:
    return {normalise_header(h): h for h in table.headers}


def kind_of(table: RawTable) -> str | None:
    """``deals`` or ``owners`` when a table looks like that HubSpot export, else None."""
    h = set(_norm_headers(table))
    if ({"deal_name", "deal_stage"} <= h) or ({"dealname", "dealstage"} <= h):
        return "deals"
    first = {"first_name", "firstname"} & h
    last = {"last_name", "lastname"} & h
    ident = {"id", "owner_id", "user_id", "hubspot_owner_id"} & h
    if first and last and ident and "email" in h and not {"rep_id", "rep_name"} & h:
        return "owners"
    return None


def claims(table: RawTable) -> bool:
    return kind_of(table) is not None


def _pick(headers: dict[str, str], names: list[str]) -> str | None:
    return next((headers[n] for n in names if n in headers), None)


def map_table(table: RawTable, people: pl.DataFrame | None) -> MappedTable:
    if kind_of(table) == "owners":
        return _map_owners(table)
    return _map_deals(table, people)


def _map_owners(table: RawTable) -> MappedTable:
    headers = _norm_headers(table)
    frame = with_line_numbers(table.frame)
    ident = _pick(headers, ["owner_id", "id", "hubspot_owner_id", "user_id"])
    first = _pick(headers, ["first_name", "firstname"])
    last = _pick(headers, ["last_name", "lastname"])
    teams = _pick(headers, ["teams", "team", "primary_team"])
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

    headers = _norm_headers(table)
    frame = with_line_numbers(table.frame)
    mapping = {col: src for col, names in DEAL_FIELDS.items() if (src := _pick(headers, names))}
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
    for col, codes in (("type", _DEAL_TYPES), ("forecast_category", _FORECAST), ("lead_source", _SOURCES)):
        if col in out.columns:
            low = pl.col(col).str.strip_chars().str.to_lowercase()
            out = out.with_columns(low.replace_strict(codes, default=low, return_dtype=pl.String).alias(col))
    out = resolve_people(out, "owner_rep_id", people_lookup(people))
    result.frame = type_columns(out, EXTRACTS["opportunities"])
    return result
