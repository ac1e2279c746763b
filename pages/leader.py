"""Leader: why the score is what it is (down to the CRM rows), what to coach, the history, the team."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, format, reports
from scorecard.explain import change_sentence
from scorecard.metrics import SCORES
from scorecard.ui import auth, cache, risk, state, tables, widgets
from scorecard.ui.text import plain

who = auth.current_viewer()
st.title("Leader")
widgets.require_data(who, ("reps",))

top = st.columns([3, 1])
with top[1]:
    period = widgets.period_picker(cache.periods())
scored = cache.scored(who, period)
if scored.leaders.is_empty():
    st.info("No leader in your view has a team yet: load the reps extract with manager_id filled in.")
    st.stop()
with top[0]:
    # asks whom to show when the viewer may see many leaders; a first-line leader sees themself
    leader_id = widgets.page_person("Leader", scored.leaders, "leader", id_col="leader_id",
                                    name_col="leader_name")
if leader_id is None or period is None:
    st.stop()
row = scored.leader(leader_id)
if row is None:
    st.warning("This leader is not in your part of the organisation.")
    st.stop()
assert row is not None

st.subheader(plain(row["leader_name"]))
st.caption(plain(format.leader_caption(row)))
st.download_button("1:1 pack (PDF)",
                   data=lambda: reports.one_on_one_pack(cache.card_for(who), str(leader_id), period),
                   file_name=reports.pack_file_name("one-on-one", period, row["leader_name"]), mime="application/pdf",
                   icon=":material/picture_as_pdf:", on_click="ignore", key="one_on_one_pack")
# two rows of three: every score's name reads in full at 1366 px wide
head = [*st.columns(3), *st.columns(3)]
for col, key in zip(head, ["overall", "company_leader", "customer_champion", "process_guru",
                           "organization_architect", "course_corrector"], strict=True):
    change = row.get(f"{key}_change")
    col.metric(SCORES[key], format.points(row.get(key)), delta=format.delta(change),
               delta_color=format.delta_colour(change), help="Change against the previous quarter")

explain_col, coach_col = st.columns([3, 2])
with explain_col:
    st.markdown("#### Why this score")
    score = widgets.choose("Score", list(SCORES), "score", default="overall", format_func=SCORES.__getitem__)
    shown_score = score or "overall"
    moved = change_sentence(row, shown_score)  # how the score moved, and the metric that moved it most
    if moved:
        st.caption(moved)
    explanation = cache.explanation(who, leader_id, period, shown_score)
    if explanation.is_empty():
        st.write("No metric could be computed for this leader in this period.")
    else:
        st.caption("Click a bar or a row to see the CRM rows behind that metric.")
        metric_bars = st.plotly_chart(cache.chart("explanation", who, (leader_id, period, score),
                                          lambda: charts.explanation_bars(explanation)), key="explain_chart",
                                      on_select="rerun", selection_mode="points")
with coach_col:
    st.markdown("#### Coaching priorities")
    priorities = cache.coaching_priorities(who, leader_id, period)
    if priorities.is_empty():
        st.write("Nothing to raise: every metric with enough data is at its target.")
    else:
        widgets.table(cache.kept("priorities_table", who, (leader_id, period),
                                 lambda: tables.priorities_table(priorities, cache.currency())), "priorities",
                      config=tables.PRIORITIES_COLUMNS, widths=tables.PRIORITIES_WIDTHS)
    st.markdown("#### Score history")
    history = cache.history(who, leader_id)  # only the quarters that have deals or activities
    if history.is_empty():
        st.write("No earlier quarter with data.")
    else:
        st.plotly_chart(cache.chart("history", who, (leader_id,), lambda: charts.score_history(history)),
                        key="history_chart")

# the explanation's table and the rows behind a metric the width of the page, below the chart
if not explanation.is_empty():
    table = cache.kept("explanation_table", who, (leader_id, period, score),
                       lambda: tables.explanation_table(explanation, cache.currency()))
    picked = widgets.table(table, "explain_table", config=tables.explanation_columns(), select=True,
                           widths=tables.EXPLANATION_WIDTHS)
    shown = state.param("metric")  # the metric in the URL; a click that names another one wins
    picks = [m for m in (widgets.clicked("explain_chart", widgets.selected_id(metric_bars)),
                         widgets.clicked("explain_table", widgets.selected_value(picked, table, "metric")))
             if m and m != shown]
    metric = picks[0] if picks else shown
    if metric and metric in widgets.options(table, "metric"):
        state.set_params(metric=metric)
        rows = cache.metric_rows(who, leader_id, metric, period)
        st.markdown(f"**Rows behind {format.metric_label(metric)}** ({rows.height:,})")
        order, config = tables.rows_columns(rows, metric, cache.currency())
        widgets.table(rows, "metric_rows", order=order, config=config)
        widgets.download_csv(rows, f"{leader_id}-{metric}-{period}.csv", key="download_metric_rows")

st.markdown("#### The team")
st.caption("Each figure is the metric the score counts, for the rep alone (quota attainment is measured"
           " against pace: 1.00x = on pace on the as-of date), beside the full quarter's attainment. A"
           " leader's row shows their whole team. Select a rep (row or bar) to open their live page.")
if widgets.missing_optional(("coaching",)):
    st.caption("Coaching coverage is blank: upload the coaching extract to see it.")
team = cache.leader_team(who, leader_id, period)
if team.is_empty():
    st.write("No one in this leader's team is visible to you.")
else:
    # the table the width of the page (every figure in sight at 1366 px), the bars below it
    order, config, widths = tables.team_columns(team, cache.currency())
    chosen = widgets.table(team, "team_table", order=order, config=config, select=True, widths=widths)
    bars, aside = st.columns([3, 2])
    with bars:
        clicked = st.plotly_chart(cache.chart("team_bars", who, (leader_id, period),
                                              lambda: charts.team_attainment_bars(team)),
                                  key="team_bars", on_select="rerun",
                                  selection_mode="points")
    with aside:
        st.caption("Hover on a column's heading for the figure's full name and definition. The CSV holds"
                   " every figure, the quarter's quota too.")
        widgets.download_csv(team, f"{leader_id}-team-{period}.csv", key="download_team")
    rep = widgets.selected_id(clicked) or widgets.selected_value(chosen, team, "rep_id")
    if rep:
        state.open_page("rep", rep=rep, period=period)

# -- Deals at risk, most urgent first: the whole team's ---------------------------------------------------
if not team.is_empty():
    risky = cache.team_deals_at_risk(who, leader_id, period)
    deal_owner = risk.section(
        risky, "team_deals_at_risk", f"{leader_id}-deals-at-risk.csv", who=who, kept_as=(leader_id, period),
        select=True,
        scope="The open deals of everyone below this leader whom you may see (the whole team, every level),"
              " measured on the as-of date. Select a deal to open its rep's page.")
    if deal_owner:
        state.open_page("rep", rep=deal_owner, period=period)
