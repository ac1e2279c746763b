"""The metric catalogue: the one place that says what every metric means.

Each metric is written once here, with its definition, unit, direction, what its sample counts, the
extracts or columns it needs, the query family that computes it and the CRM rows behind it. The
scoring engine, the explanation, the methodology page and ``docs/methodology.md`` all read this
catalogue; the weights, bands and minimum samples live in ``rubric.toml`` (see ``scorecard.rubric``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "ratio", "days", "money", "per_month", "per_rep_day", "contacts", "reps"]
Direction = Literal["higher", "lower", "range"]
DataWindow = Literal["hires_inside", "twelve_months", "year_before"]
"""What a metric needs of the data's time span: reps hired after the data begins (ramp time), twelve
months of data before the as-of date (retention), the same period a year before (growth)."""
ProductLines = Literal["strategic", "bundles"]

ROLES: dict[str, str] = {
    "company_leader": "Company leader",
    "customer_champion": "Customer champion",
    "process_guru": "Process guru",
    "organization_architect": "Organization architect",
    "course_corrector": "Course corrector",
}
DIMENSIONS: dict[str, str] = {
    "strategic": "Strategic",
    "measurable": "Measurable",
    "action": "Action",
    "relationships": "Relationships",
    "teams": "Teams",
}
SCORES: dict[str, str] = {"overall": "Overall", **ROLES, **DIMENSIONS}
"""Score key -> label: overall, the five CSO roles, then the five SMART dimensions."""

SCORE_DESCRIPTIONS: dict[str, str] = {
    "overall": "The mean of the five CSO role scores.",
    "company_leader": "Shapes and executes company strategy with all functions (seed 002).",
    "customer_champion": "C-level relationships with customers (seed 002).",
    "process_guru": "A disciplined sales process, bundles of products and services (seed 002).",
    "organization_architect": "A structure that fits the strategy; specialists vs generalists (seed 002).",
    "course_corrector": "Watches the dials and corrects fast (seed 002).",
    "strategic": "Picks the best clients and sees the bigger picture (seed 003).",
    "measurable": "Measures impact (seed 003).",
    "action": "Time kills all deals (seed 003).",
    "relationships": "The right people in the deal (seed 003).",
    "teams": "The right people on both teams (seed 003).",
}


@dataclass(frozen=True)
class Metric:
    """One metric: how it is computed and what it means to a sales leader."""

    key: str
    label: str
    definition: str
    """What the number means, in the sales leader's words (also the formula, in words)."""
    unit: Unit
    direction: Direction
    """higher / lower is better, or ``range``: best inside a band of values (span of control)."""
    sample: str
    """What the sample size counts (closed deals, reps with quota, ...)."""
    query: str
    """The query family in ``queries/`` that computes it (``metric_<family>.sql``)."""
    rows: str
    """The query in ``queries/`` that lists the CRM rows behind it for one leader."""
    row_filter: str | None = None
    """Boolean column of the rows query that marks the rows this metric counts (None: all)."""
    requires: tuple[tuple[str, ...], ...] = ()
    """Extracts or ``extract.column`` it needs: every group must have at least one present."""
    needs_complete_period: bool = False
    """Only measurable once the period is over (recovery)."""
    scope: Literal["team", "leader"] = "team"
    """``team``: over the leader's whole team; ``leader``: the leader's own behaviour."""
    per_rep: bool = True
    """Also meaningful for one rep on their own (the rep page compares it with the team median)."""
    window: DataWindow | None = None
    """What it needs of the data's time span (None: any span)."""
    product_lines: ProductLines | None = None
    """The rubric's named product lines it counts (they must match product lines in the data)."""
    deciding: tuple[str, ...] = ()
    """The columns of its rows that decide it, in the order a sales leader reads them: the rows table
    behind the metric shows them first (pipeline hygiene: whether the deal is hygienic and why not;
    win rate: the outcome). ``outcome`` (won or lost) is worked out from the rows
    (``scorecard.explain.metric_rows``); ``hygiene_reason`` is a column of the deals' rows query."""


def _m(key: str, label: str, definition: str, unit: Unit, direction: Direction, sample: str,
       query: str, rows: str, row_filter: str | None = None, requires: tuple[tuple[str, ...], ...] = (),
       **kw: object) -> Metric:
    return Metric(key, label, definition, unit, direction, sample, query, rows, row_filter, requires,
                  **kw)  # type: ignore[arg-type]


_DEALS = "score_rows_deals"
_REPS = "score_rows_reps"

METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        # -- company leader ------------------------------------------------------------------------
        _m("quota_attainment", "Quota attainment",
           "Won amount closed in the period by reps with a quota, divided by their quota. A quota "
           "counts in proportion to the part of the period the rep was employed and, while the "
           "period runs, to the share of it already elapsed (attainment against pace).",
           "ratio", "higher", "reps with a quota", "quota", _REPS, "has_quota", (("quotas",),),
           deciding=("rep_name", "attainment", "won_to_date", "quota_to_date", "period_quota")),
        _m("win_rate", "Win rate",
           "Deals won / deals closed (won or lost), by count, of the team's deals closed in the period "
           "(B2B average: about 20%). A deal without an amount still counts.",
           "share", "higher", "closed deals", "deals", _DEALS, "closed_in_period",
           deciding=("outcome", "close_date", "amount", "stage")),
        _m("reps_at_quota", "Reps at quota",
           "Share of reps with a quota whose won amount reaches their (prorated) quota.",
           "share", "higher", "reps with a quota", "quota", _REPS, "has_quota", (("quotas",),), per_rep=False,
           deciding=("rep_name", "attainment", "won_to_date", "quota_to_date")),
        _m("revenue_growth", "Revenue growth",
           "Won amount in the period up to the as-of date, against the won amount in the same "
           "days a year before, minus one.",
           "share", "higher", "won deals a year before", "quota", _DEALS, "won_year_before",
           window="year_before",
           deciding=("close_date", "amount", "owner_name")),
        _m("strategic_mix", "Strategic mix",
           "Share of the won amount that is in the product lines the rubric names strategic.",
           "share", "higher", "won deals", "deals", _DEALS, "won_in_period",
           (("opportunities.product_line",),), product_lines="strategic",
           deciding=("product_line", "amount")),
        _m("marketing_partner_pipeline", "Pipeline sourced with marketing and partners",
           "Share of the pipeline amount created in the period whose lead source is marketing or a "
           "partner (seed 000: work with the CMO).",
           "share", "higher", "deals created", "deals", _DEALS, "created_in_period",
           (("opportunities.lead_source",),),
           deciding=("lead_source", "amount", "created_date")),
        # -- customer champion ---------------------------------------------------------------------
        _m("executive_access", "Executive access",
           "Share of the deals in play in the period (created before the as-of date, not closed "
           "before the period) with a meeting or demo with a C-level or VP contact.",
           "share", "higher", "deals in play", "deal_activity", _DEALS, "in_play",
           (("activities.opportunity_id",), ("activities.contact_level",), ("activities.type",)),
           deciding=("exec_meeting", "contacts", "activities")),
        _m("renewal_rate", "Renewal rate",
           "Share of the renewal deals closed in the period that were won.",
           "share", "higher", "renewals closed", "deals", _DEALS, "renewal_closed",
           (("opportunities.type",),),
           deciding=("outcome", "type", "close_date", "amount")),
        _m("leader_customer_meetings", "Leader's customer meetings",
           "The leader's own customer meetings and demos per month of the period elapsed.",
           "per_month", "higher", "days elapsed", "activity", "score_rows_activities", "leader_meeting",
           (("activities.type",),), scope="leader", per_rep=False,
           deciding=("type", "activity_at", "account_id", "contact_level")),
        _m("multi_threading", "Multi-threading",
           "Distinct contacts met per deal in play that has any logged activity.",
           "contacts", "higher", "deals in play with activity", "deal_activity", _DEALS,
           "in_play_touched", (("activities.opportunity_id",), ("activities.contact_id",)),
           deciding=("contacts", "activities")),
        # -- process guru --------------------------------------------------------------------------
        _m("pipeline_hygiene", "Pipeline hygiene",
           "Share of the deals open on the as-of date that have a close date not in the past, a "
           "next step, and an activity in the last 30 days (a deal closed since then had its next "
           "step cleared on closing, so only its close date and activity are judged). An open deal "
           "without a close date is not hygienic. Next steps are judged when the deals extract "
           "carries any, activities when activities on deals are loaded: with neither, only the "
           "close date is.",
           "share", "higher", "open deals", "deal_activity", _DEALS, "open_at_as_of",
           deciding=("hygienic", "hygiene_reason", "close_date", "next_step", "last_activity_at")),
        _m("data_completeness", "CRM data completeness",
           "Share of the optional deal fields (account, type, product line, lead source, forecast "
           "category, next step on open deals) filled on deals created in the period. A field that "
           "is empty in the whole extract is not counted against anyone.",
           "share", "higher", "deals created", "deals", _DEALS, "created_in_period",
           deciding=("account_id", "type", "product_line", "lead_source", "forecast_category", "next_step")),
        _m("sales_cycle_days", "Median sales cycle",
           "Median days from creation to close of the deals won in the period (a deal that closed "
           "before it was created, entered after the fact, has no cycle and is left out).",
           "days", "lower", "won deals", "deals", _DEALS, "won_with_cycle",
           deciding=("cycle_days", "created_date", "close_date")),
        _m("bundle_rate", "Bundle rate",
           "Share of the deals won in the period whose product line bundles products and services "
           "(the rubric names the bundle product lines).",
           "share", "higher", "won deals", "deals", _DEALS, "won_in_period",
           (("opportunities.product_line",),), product_lines="bundles",
           deciding=("product_line", "amount")),
        _m("stage_discipline", "Stage discipline",
           "Share of the deals won in the period whose stage history records at least three "
           "distinct stages: walked through the process rather than jumped to closed.",
           "share", "higher", "won deals with history", "deals", _DEALS, "won_with_history",
           (("opportunity_history",),),
           deciding=("history_stages", "stage")),
        # -- organization architect ----------------------------------------------------------------
        _m("span_of_control", "Span of control",
           "Direct reports employed on the as-of date (about 6 to 10 is best; SDR teams about 1:8).",
           "reps", "range", "leaders", "org", _REPS, "direct_report", scope="leader", per_rep=False,
           deciding=("rep_name", "role", "employed_now")),
        _m("ramp_days", "Ramp time",
           "Median days from hire to first won deal, for the reps below the leader hired inside the "
           "data window whose first won deal closed in the 12 months before the as-of date (a rep "
           "hired before the data begins may have won earlier deals the data does not hold).",
           "days", "lower", "reps ramped", "org", _REPS, "ramped", (("reps.hire_date",),),
           window="hires_inside",
           deciding=("rep_name", "ramp_days", "hire_date", "first_won_date")),
        _m("rep_retention", "Rep retention (12 months)",
           "Share of the sellers below the leader employed a year before the as-of date who are "
           "still employed.",
           "share", "higher", "sellers a year before", "org", _REPS, "employed_year_before",
           (("reps.hire_date", "reps.termination_date"),), per_rep=False, window="twelve_months",
           deciding=("rep_name", "employed_now", "termination_date", "hire_date")),
        _m("load_balance", "Load balance",
           "One minus the Gini coefficient of open pipeline across the people of the team who carry "
           "some (a deal created in the last year), a player-coach leader included, employed on the "
           "as-of date (1 = evenly spread, 0 = one rep holds everything).",
           "share", "higher", "sellers", "org", _REPS, "carries_pipeline", per_rep=False,
           deciding=("rep_name", "open_pipeline")),
        # -- course corrector ----------------------------------------------------------------------
        _m("forecast_accuracy", "Forecast accuracy",
           "1 - |forecast - actual| / actual. The forecast is the leader's first commit call for "
           "the period (forecasts extract) or else the commit-category pipeline in the last "
           "opportunity snapshot before the period; the actual is the team's won amount. While the "
           "period runs, the forecast is prorated to the share elapsed.",
           "share", "higher", "forecast calls", "forecast", _DEALS, "won_in_period",
           (("forecasts", "opportunities.forecast_category"),), per_rep=False,
           deciding=("amount", "close_date", "forecast_category")),
        _m("pipeline_coverage", "Pipeline coverage (next period)",
           "Open pipeline on the as-of date with a close date in the next period, divided by the "
           "team's quota for the next period (3-4x is healthy; far more means pipeline that is "
           "not real).",
           "ratio", "range", "reps with next-period quota", "forecast", _DEALS, "next_period_pipeline",
           (("quotas",),),
           deciding=("amount", "close_date", "forecast_category", "stage")),
        _m("stalled_deal_rate", "Stalled-deal rate",
           "Share of the deals open on the as-of date and at least 21 days old with no activity in "
           "the last 21 days (an activity of any kind, typed or not).",
           "share", "lower", "open deals 21+ days old", "deal_activity", _DEALS, "open_aged",
           (("activities.opportunity_id",),),
           deciding=("quiet_21_days", "last_activity_at", "created_date")),
        _m("recovery", "Recovery",
           "Share of the reps behind pace at mid-period (under half their quota won) who finish the "
           "period at 90% of quota or more.",
           "share", "higher", "reps behind pace at mid-period", "quota", _REPS, "behind_at_mid",
           (("quotas",),), needs_complete_period=True, per_rep=False,
           deciding=("rep_name", "won_to_mid", "quota_to_mid", "attainment")),
        _m("pipeline_created", "Pipeline created",
           "New deals created in the period per seller per month employed (by count, so deals "
           "without an amount count), scored as a percentile among peer leaders at the same level.",
           "per_month", "higher", "sellers", "activity", _DEALS, "created_in_period",
           deciding=("created_date", "owner_name", "amount")),
        # -- SMART: strategic ----------------------------------------------------------------------
        _m("target_account_focus", "Target-account focus",
           "Mean of two shares: the sellers' account activities on target accounts, and the "
           "pipeline amount created on target accounts (seed 004's Magnificent 50).",
           "share", "higher", "account activities", "activity", _DEALS, "created_in_period",
           (("accounts.is_target",), ("opportunities.account_id", "activities.account_id")),
           deciding=("is_target", "account_name", "amount")),
        _m("target_win_rate", "Win rate on target accounts",
           "Won deals / closed deals on target accounts closed in the period (B2B average: ~20%).",
           "share", "higher", "closed target-account deals", "deals", _DEALS, "target_closed",
           (("accounts.is_target",), ("opportunities.account_id",)),
           deciding=("outcome", "account_name", "close_date", "amount")),
        _m("avg_deal_size", "Average won deal size",
           "Mean amount of the deals won in the period, scored as a percentile among peer leaders "
           "at the same level.",
           "money", "higher", "won deals", "deals", _DEALS, "won_in_period",
           deciding=("amount", "close_date")),
        # -- SMART: action -------------------------------------------------------------------------
        _m("activities_per_rep_day", "Customer activities per rep per day",
           "Customer-facing activities (every type but 'other'; an activity without a type is not "
           "known to be customer-facing) by the sellers, per seller per working day employed in the "
           "period up to the as-of date.",
           "per_rep_day", "higher", "seller working days", "activity", "score_rows_activities",
           "seller_activity", (("activities.type",),),
           deciding=("rep_name", "type", "activity_at")),
        _m("daily_consistency", "Daily consistency",
           "Share of the sellers' working days employed with at least one activity that is not "
           "'other' (an activity without a type counts: with a contact, it touched a person; seed "
           "004's daily focus).",
           "share", "higher", "seller working days", "activity", "score_rows_activities",
           "seller_activity",
           deciding=("rep_name", "activity_at", "type")),
        _m("speed_to_first_touch", "Speed to first touch",
           "Median days from a deal's creation to its first activity, for deals created in the "
           "period (a deal not yet touched counts the days until the as-of date).",
           "days", "lower", "deals created", "deal_activity", _DEALS, "created_in_period",
           (("activities.opportunity_id",),),
           deciding=("created_date", "first_activity_at")),
        # -- SMART: relationships ------------------------------------------------------------------
        _m("insight_touches", "Insight touches",
           "Share of the sellers' typed activities in the period that are content, social or "
           "events (seeds 000 and 001: the buyer is 57% through due diligence before meeting sales).",
           "share", "higher", "typed activities", "activity", "score_rows_activities", "insight",
           (("activities.type",),),
           deciding=("type", "activity_at", "rep_name")),
        # -- SMART: teams --------------------------------------------------------------------------
        _m("coaching_coverage", "Coaching coverage",
           "Coaching sessions held with the reps below the leader who lead no one, per rep per "
           "month employed in the period (seed 004: leaders coach every step of the way).",
           "per_month", "higher", "sellers", "activity", "score_rows_coaching", None,
           (("coaching",),),
           deciding=("rep_name", "session_at", "kind")),
        _m("team_selling", "Team selling",
           "Share of the deals won in the period with a specialist, partner or leader on the "
           "opportunity team beside the owner.",
           "share", "higher", "won deals", "deals", _DEALS, "won_in_period",
           (("opportunity_team",),),
           deciding=("helpers", "amount")),
        _m("attainment_spread", "Attainment spread",
           "Share of the reps with a quota at 80% of their (prorated) quota or more.",
           "share", "higher", "reps with a quota", "quota", _REPS, "has_quota", (("quotas",),), per_rep=False,
           deciding=("rep_name", "attainment", "won_to_date", "quota_to_date")),
    )
}

FILLED_ON_MOST_ROWS: dict[str, str] = {
    "activities.type": "activities without a type",
    "activities.contact_id": "activities without a contact",
    "activities.contact_level": "activities without a contact level",
    "opportunities.lead_source": "deals without a lead source",
    "opportunities.product_line": "deals without a product line",
    "opportunities.type": "deals without a type",
    "reps.hire_date": "reps without a hire date",
}
"""Columns a metric needs filled on most rows, not merely present somewhere: blank on most rows
(the rubric's ``coverage.mostly_blank`` share), the metrics that need them are switched off, since
a few filled rows would score the team on what its CRM happens to record. Other columns need only
be loaded (next steps, forecast categories and the like are what hygiene measures)."""

QUERY_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(m.query for m in METRICS.values()))
"""Each family is one query ``queries/metric_<family>.sql`` returning (leader_id, metric, value, sample)."""

UNIT_LABELS: dict[Unit, str] = {
    "share": "%", "ratio": "x", "days": "days", "money": "amount", "per_month": "per month",
    "per_rep_day": "per rep per day", "contacts": "contacts per deal", "reps": "reps",
}


# == Display figures ==============================================================================
# The figures the Leader and Rep pages show beside the metrics. They are not scored and have no
# band; each has a name of its own, so it is never read as a metric of a similar name: full-quarter
# attainment stands beside quota attainment (which is measured against pace), the rate of stalled
# deals stays the metric's. The drill-downs compute every figure of both kinds per rep and per
# leader from the same window as the score (``scorecard.drilldown``).

FigureUnit = Literal["share", "money", "count"]


@dataclass(frozen=True)
class DisplayFigure:
    """A figure the pages show that is not a metric: what it means, in the sales leader's words."""

    key: str
    label: str
    definition: str
    unit: FigureUnit


DISPLAY_FIGURES: dict[str, DisplayFigure] = {
    f.key: f
    for f in (
        DisplayFigure(
            "won_amount", "Won",
            "Amount of the deals won with a close date in the period, up to the as-of date. For a "
            "leader: the whole team's.", "money"),
        DisplayFigure(
            "period_quota", "Quota (full quarter)",
            "The quota for the whole period, not prorated. For a leader: the sum over the team.",
            "money"),
        DisplayFigure(
            "attainment_full_period", "Attainment (full quarter)",
            "Won divided by the quota for the whole period, not prorated: how much of the quarter's "
            "quota is already won. For a leader: the reps with a quota. Quota attainment, the metric, "
            "measures the same won amount against the quota of the days elapsed (against pace).",
            "share"),
        DisplayFigure(
            "expected_attainment", "Expected by today",
            "Share of the period elapsed on the as-of date: where a rep on a straight line to the "
            "full quota would be.", "share"),
        DisplayFigure(
            "open_pipeline", "Open pipeline",
            "Amount of the deals open on the as-of date (created before it and not closed before "
            "it), whatever their close date. For a leader: the whole team's.", "money"),
        DisplayFigure(
            "deals_at_risk", "Deals at risk",
            "Deals open on the as-of date with at least one risk flag: stalled (at least 21 days "
            "old and no activity in the last 21 days, the deals the stalled-deal rate counts), "
            "slipped (close date before the as-of date, or pushed later than an earlier close "
            "date), no next step, single-threaded (at most one contact met).", "count"),
        DisplayFigure(
            "activities_this_week", "Activities this week",
            "Activities of every type the rep logged from Monday of the as-of date's week up to "
            "the as-of date.", "count"),
        DisplayFigure(
            "target_accounts_touched", "Target accounts touched (30 days)",
            "Share of the rep's target accounts with an activity by the rep in the 30 days up to "
            "the as-of date.", "share"),
    )
}
"""Figure key -> definition. No key is also a metric key (``METRICS``)."""
