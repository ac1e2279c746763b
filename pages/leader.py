"""Leader: why the score is what it is (down to the CRM rows), what to coach, the history, the team."""

from __future__ import annotations

from typing import Any

import streamlit as st

from scorecard import charts, drilldown, reports, ui
from scorecard.metrics import SCORES

_FORMATS = {"ratio": "%.2fx", "days": "%.0f days", "per_month": "%.1f/month", "per_rep_day": "%.1f/day",
            "contacts": "%.1f", "reps": "%d", "count": "%d"}


def figure_column(column: drilldown.Column) -> Any:
    """A team-table column in the figure's unit, as the explanation writes it, with its definition."""
    if column.unit == "money":
        return ui.money_column(column.label, column.help)
    if column.unit == "share":
        return ui.percent_column(column.label, column.help)
    return ui.number_column(column.label, _FORMATS.get(column.unit, "%.1f"), column.help)


who = ui.current_viewer()
st.title("Leader")
ui.require_data(who, ("reps",))

periods = [p.label for p in ui.scores("periods")] or ui.recent_period_labels()
current = ui.scores("current_period").label
top = st.columns([3, 1])
with top[1]:
    period = ui.period_picker(periods, default=current if current in periods else None)
leaders = ui.scores("leaders", period)
if leaders.is_empty():
    st.info("No leader in your view has a team yet: load the reps extract with manager_id filled in.")
    st.stop()
with top[0]:
    leader_id = ui.person_picker("Leader", leaders, "leader", id_col="leader_id", name_col="leader_name")
if leader_id is None or period is None:
    st.stop()
row = ui.leader_row(leaders, leader_id)
if row is None:
    st.warning("This leader is not in your part of the organisation.")
    st.stop()
assert row is not None

st.subheader(ui.plain(row["leader_name"]))
st.caption(ui.plain(ui.leader_caption(row)))
st.download_button("1:1 pack (PDF)",
                   data=lambda: reports.one_on_one_pack_for(who, str(leader_id), period, ui.settings()),
                   file_name=reports.pack_file_name("one-on-one", period, row["leader_name"]), mime="application/pdf",
                   icon=":material/picture_as_pdf:", on_click="ignore", key="one_on_one_pack")
head = st.columns(6)
for col, key in zip(head, ["overall", "company_leader", "customer_champion", "process_guru",
                           "organization_architect", "course_corrector"], strict=True):
    col.metric(SCORES[key], ui.points(row.get(key)), delta=ui.delta(row.get(f"{key}_change")),
               help="Change against the previous quarter")

explain_col, coach_col = st.columns([3, 2])
with explain_col:
    st.markdown("#### Why this score")
    score_keys = list(SCORES)
    score = ui.choose("Score", score_keys, "score", default="overall", format_func=SCORES.__getitem__)
    explanation = ui.explanation(leader_id, period, score or "overall")
    if explanation.is_empty():
        st.write("No metric could be computed for this leader in this period.")
    else:
        st.plotly_chart(charts.explanation_bars(explanation), key="explain_chart")
        table = ui.formatted_explanation(explanation)
        picked = st.dataframe(table, hide_index=True, key="explain_table", on_select="rerun",
                              selection_mode="single-row",
                              column_config=ui.EXPLANATION_COLUMNS)
        st.caption("Select a metric to see the CRM rows behind it.")
        metric = ui.selected_value(picked, table, "metric") or ui.param("metric")
        if metric and metric in ui.options(table, "metric"):
            ui.set_params(metric=metric)
            rows = ui.scores("metric_rows", leader_id, metric, period)
            st.markdown(f"**Rows behind {ui.metric_label(metric)}** ({rows.height:,})")
            st.dataframe(rows, hide_index=True, key="metric_rows")
            ui.download_csv(rows, f"{leader_id}-{metric}-{period}.csv", key="download_metric_rows")
with coach_col:
    st.markdown("#### Coaching priorities")
    priorities = ui.scores("coaching_priorities", leader_id, period)
    if priorities.is_empty():
        st.write("Nothing to raise: every metric with enough data is at its target.")
    else:
        st.dataframe(ui.formatted_priorities(priorities), hide_index=True, key="priorities")
    st.markdown("#### Score history")
    history = ui.scores("history", leader_id)  # only the quarters that have deals or activities
    if history.is_empty():
        st.write("No earlier quarter with data.")
    else:
        st.plotly_chart(charts.score_history(history), key="history_chart")

st.markdown("#### The team")
st.caption("Each figure is the metric the score counts, for the rep alone (quota attainment is measured"
           " against pace: 1.00x = on pace on the as-of date), beside the full quarter's attainment. A"
           " leader's row shows their whole team. Select a rep (row or bar) to open their live page.")
if ui.missing_optional(("coaching",)):
    st.caption("Coaching coverage is blank: upload the coaching extract to see it.")
team = ui.scores("leader_team", leader_id, period)
if team.is_empty():
    st.write("No one in this leader's team is visible to you.")
else:
    bars, table_col = st.columns([2, 3])
    with bars:
        clicked = st.plotly_chart(charts.team_attainment_bars(team), key="team_bars", on_select="rerun",
                                  selection_mode="points")
    with table_col:
        figures = drilldown.team_table_columns()
        chosen = st.dataframe(team, hide_index=True, key="team_table", on_select="rerun",
                              selection_mode="single-row",
                              column_order=["rep_name", "manager_name", *[c.key for c in figures]],
                              column_config={"rep_name": "Rep", "manager_name": "Manager",
                                             **{c.key: figure_column(c) for c in figures}})
        ui.download_csv(team, f"{leader_id}-team-{period}.csv", key="download_team")
    rep = ui.selected_id(clicked) or ui.selected_value(chosen, team, "rep_id")
    if rep:
        ui.open_page("rep", rep=rep, period=period)
