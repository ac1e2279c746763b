"""Rep, live: today's and this week's activity, deals at risk, target accounts, pace, team median."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, drilldown, ui

who = ui.current_viewer()
st.title("Rep")
ui.require_data(who, ("reps",))
version = ui.data_version()
everyone = ui.people(version, who.visible_reps)

left, right = st.columns([3, 1])
with left:
    rep_id = ui.person_picker("Rep", everyone, "rep")
with right:
    period_label = ui.period_picker(ui.recent_period_labels())
if rep_id is None or period_label is None:
    st.stop()


@st.fragment(run_every=ui.LIVE_REFRESH_SECONDS)
def live_view(rep_id: str, period_label: str) -> None:
    """Redrawn every few seconds from caches keyed on the data version: a new load shows up
    without a reload, and an unchanged one costs only cache hits."""
    live_version = ui.data_version()
    view = ui.rep_view(live_version, rep_id, who.visible_reps, period_label, ui.today())
    if view is None:
        st.warning("This rep is not in your part of the organisation.")
        return
    assert view is not None

    profile, numbers = view.profile, view.numbers
    facts = [profile.get("role") or "rep", profile.get("region") or ""]
    st.subheader(profile["rep_name"])
    st.caption(" · ".join(f for f in facts if f)
               + f" · updated with load {live_version} · {view.today:%A %d %B %Y}")
    if profile.get("manager_id") and who.may_see(profile["manager_id"]):
        st.page_link(ui.PAGE_FILES["leader"], label=f"Leader: {profile['manager_name']}",
                     icon=":material/supervisor_account:",
                     query_params={"leader": profile["manager_id"], "period": period_label})

    cols = st.columns(6)
    cols[0].metric("Attainment", ui.percent(numbers.get("attainment")),
                   help="Won this period / quota for the period")
    cols[1].metric("Expected by today", ui.percent(numbers.get("expected_attainment")),
                   help="Share of the period elapsed: where a rep on a straight line to quota would be")
    cols[2].metric("Open pipeline", ui.money(numbers.get("open_pipeline"), ui.currency()),
                   help="Open deals with a close date in the period")
    cols[3].metric("Deals at risk", f"{view.deals_at_risk} of {view.deals.height}")
    cols[4].metric("Activities today", f"{view.feed_today.height}", help="This week: "
                   f"{view.feed.height}")
    cols[5].metric("Target accounts touched", ui.percent(numbers.get("target_account_coverage")),
                   help="Target accounts with an activity in the last 30 days")

    feed_tab, deals_tab, targets_tab, pace_tab, team_tab = st.tabs(
        ["Activity", "Open deals", "Target accounts", "Attainment vs pace", "Against the team"])
    with feed_tab:
        if view.feed.is_empty():
            st.write("No activity logged this week.")
        else:
            st.dataframe(view.feed, hide_index=True, key="activity_feed",
                         column_order=["when", "activity_at", "type", "account_name", "contact_level",
                                       "duration_min", "opportunity_id", "target_account"],
                         column_config={"when": "When", "activity_at": st.column_config.DatetimeColumn(
                             "At", format="ddd HH:mm"), "type": "Type", "account_name": "Account",
                             "contact_level": "Contact", "duration_min": "Minutes",
                             "opportunity_id": "Deal", "target_account": "Target account"})
    with deals_tab:
        if view.deals.is_empty():
            st.write("No open deals.")
        else:
            st.caption(f"Risk flags: stalled = no activity for {drilldown.STALLED_AFTER_DAYS} days; slipped ="
                       " close date past or pushed out; single-threaded = one contact or none.")
            st.dataframe(view.deals, hide_index=True, key="open_deals",
                         column_order=["opportunity_id", "account_name", "stage", "amount", "close_date",
                                       "forecast_category", "risk_flags", "days_since_activity", "contacts",
                                       "next_step"],
                         column_config={"opportunity_id": "Deal", "account_name": "Account", "stage": "Stage",
                                        "amount": ui.money_column("Amount"), "close_date": "Close date",
                                        "forecast_category": "Forecast", "risk_flags": "Risk flags",
                                        "days_since_activity": "Days since activity",
                                        "contacts": "Contacts", "next_step": "Next step"})
    with targets_tab:
        if view.target_accounts.is_empty():
            st.write("This rep owns no target accounts (is_target in the accounts extract).")
        else:
            st.dataframe(view.target_accounts, hide_index=True, key="target_accounts",
                         column_order=["account_name", "covered", "touches_30d", "last_touch_at",
                                       "open_pipeline", "open_deals", "industry"],
                         column_config={"account_name": "Account", "covered": "Touched in 30 days",
                                        "touches_30d": "Touches (30 days)", "last_touch_at": "Last touch",
                                        "open_pipeline": ui.money_column("Open pipeline"),
                                        "open_deals": "Open deals", "industry": "Industry"})
    with pace_tab:
        if numbers.get("quota") is None:
            st.info("No quota for this rep in the period: load the quotas extract to see pace.")
        st.plotly_chart(charts.attainment_against_pace(view.curve, ui.currency()), key="pace_chart")
    with team_tab:
        st.caption("Against the median of the reps who share this rep's manager.")
        st.plotly_chart(charts.rep_against_median(view.vs_team), key="median_chart")
        st.dataframe(ui.formatted_vs_team(view.vs_team), hide_index=True, key="vs_team")


live_view(rep_id, period_label)
