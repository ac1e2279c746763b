"""Rep, live: today's and this week's activity, deals at risk, target accounts, pace, team median."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, format
from scorecard.metrics import DISPLAY_FIGURES, METRICS
from scorecard.ui import auth, cache, live, risk, state, tables, widgets
from scorecard.ui.text import plain

who = auth.current_viewer()
st.title("Rep")
widgets.require_data(who, ("reps",))
everyone = cache.people(who)

left, right = st.columns([3, 1])
with left:
    rep_id = widgets.page_person("Rep", everyone, "rep")  # asks whom to show when the viewer may see many
with right:
    period_label = widgets.period_picker(cache.periods())
if rep_id is None or period_label is None:
    st.stop()

drawn = cache.data_version()  # the data this run draws: a newer load reruns the page (live.live_updates)
view = cache.rep_view(who, rep_id, period_label)
if view is None:
    st.warning("This rep is not in your part of the organisation.")
    live.live_updates(drawn=drawn)
    st.stop()
assert view is not None

profile, figures = view.profile, view.figures
curve, vs_team = view.curve, view.vs_team
facts = [format.label(profile.get("role") or "rep"), profile.get("region") or ""]
st.subheader(plain(profile["rep_name"]))
st.caption(" · ".join(plain(f) for f in facts if f) + f" · as of {format.day(view.today)}")
if profile.get("manager_id") and who.may_see(profile["manager_id"]):
    st.page_link(state.script("leader"), label=f"Leader: {plain(profile['manager_name'])}",
                 icon=":material/supervisor_account:",
                 query_params={"leader": profile["manager_id"], "period": period_label})
if view.leads_team:
    st.caption("Leads a team: the metrics are scored for the whole team, on the Leader page; the"
               " figures below are this person's own deals and activities.")

attainment, full = METRICS["quota_attainment"], DISPLAY_FIGURES["attainment_full_period"]
expected = DISPLAY_FIGURES["expected_attainment"]
# two rows of three, the quarter then this week: every label reads in full at 1366 px wide
quarter, week = st.columns(3), st.columns(3)
quarter[0].metric(attainment.label, format.value(figures.get("quota_attainment"), attainment.unit),
                  help=attainment.definition)
quarter[1].metric(full.label, format.share(figures.get("attainment_full_period")),
                  help=f"{full.definition} {expected.label}: {format.share(figures.get('expected_attainment'))}.")
quarter[2].metric(DISPLAY_FIGURES["open_pipeline"].label,
                  format.money_short(figures.get("open_pipeline"), cache.currency()),
                  help=DISPLAY_FIGURES["open_pipeline"].definition)
week[0].metric(DISPLAY_FIGURES["deals_at_risk"].label,
               f"{format.count(view.deals_at_risk)} of {format.count(view.deals.height)}",
               help=f"{format.count(view.stalled_or_slipped)} of them stalled or slipped."
                    f" {DISPLAY_FIGURES['deals_at_risk'].definition}")
week[1].metric(DISPLAY_FIGURES["activities_this_week"].label, format.count(view.activities_this_week),
               help=f"Today: {view.feed_today.height}. {DISPLAY_FIGURES['activities_this_week'].definition}")
week[2].metric(DISPLAY_FIGURES["target_accounts_touched"].label, format.share(view.target_accounts_touched),
               help=DISPLAY_FIGURES["target_accounts_touched"].definition)

risk.section(view.at_risk, "rep_deals_at_risk", f"{rep_id}-deals-at-risk.csv", who=who,
             kept_as=(rep_id, period_label), open_deals=view.deals.height)

feed_tab, deals_tab, targets_tab, pace_tab, team_tab = st.tabs(
    ["Activity", "Open deals", "Target accounts", "Attainment vs pace", "Against the team"])
with feed_tab:
    if view.feed.is_empty():
        st.write("No activity logged this week.")
    else:
        widgets.table(view.feed, "activity_feed",
                      order=["when", "activity_at", "type", "account_name", "contact_level", "duration_min",
                             "opportunity_id", "target_account"],
                      config={"activity_at": st.column_config.DatetimeColumn("At", format="ddd HH:mm")})
with deals_tab:
    if view.deals.is_empty():
        st.write("No open deals.")
    else:
        st.caption("Every deal open on the as-of date, the most urgent first."
                   f" {DISPLAY_FIGURES['deals_at_risk'].definition}")
        widgets.table(view.deals, "open_deals",
                      order=["opportunity_id", "account_name", "stage", "amount", "close_date",
                             "forecast_category", "risk_reasons", "risk_flags", "days_since_activity", "contacts",
                             "next_step"],
                      config={"risk_reasons": "Why at risk"})
        widgets.download_csv(view.deals, f"{rep_id}-open-deals.csv", key="download_open_deals")
with targets_tab:
    if view.target_accounts.is_empty():
        st.write("This rep owns no target accounts (is_target in the accounts extract).")
    else:
        widgets.table(view.target_accounts, "target_accounts",
                      order=["account_name", "covered", "touches_30d", "last_touch_at", "open_pipeline",
                             "open_deals", "industry"],
                      config={"covered": "Touched in 30 days", "touches_30d": "Touches (30 days)"})
with pace_tab:
    if figures.get("period_quota") is None:
        st.info("No quota for this rep in the period: load the quotas extract to see pace.")
    st.plotly_chart(cache.chart("pace", who, (rep_id, period_label),
                                lambda: charts.attainment_against_pace(curve, cache.currency())),
                    key="pace_chart")
with team_tab:
    st.caption("Each metric as the score computes it for this rep alone, against the median of the"
               " reps who share this rep's manager (those with enough data to be scored).")
    st.plotly_chart(cache.chart("against_median", who, (rep_id, period_label),
                                lambda: charts.rep_against_median(vs_team)), key="median_chart")
    widgets.table(cache.kept("vs_team_table", who, (rep_id, period_label),
                             lambda: tables.vs_team_table(vs_team, cache.currency())), "vs_team")

live.live_updates(drawn=drawn)
