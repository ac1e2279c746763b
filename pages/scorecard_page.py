"""Scorecard (executives): every leader on the five CSO roles and SMART, the trend, who needs help."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, reports, ui
from scorecard.metrics import SCORES

who = ui.current_viewer()
tv = ui.tv_mode()
if not tv:
    st.title("Scorecard")
ui.require_data(who, ("reps", "opportunities"))

periods = [p.label for p in ui.scores("periods")] or ui.recent_period_labels()
current = ui.scores("current_period").label
filters = st.columns(4)
with filters[0]:
    period = ui.period_picker(periods, default=current if current in periods else None)
everyone = ui.scores("leaders", period)
with filters[1]:
    region = ui.choose("Region", ["all", *ui.options(everyone, "region")], "region", default="all")
with filters[2]:
    level = ui.choose("Level", ["all", *ui.options(everyone, "level")], "level", default="all",
                      format_func=ui.level_name)
with filters[3]:
    sort = ui.choose("Rank by", list(SCORES), "sort", default="overall", format_func=SCORES.__getitem__)
leaders = ui.scores("leaders", period, region=None if region == "all" else region,
                    level=None if level in (None, "all") else int(level))
if leaders.is_empty():
    st.info("No leader matches these filters (a leader is anyone with a team in the reps extract).")
    st.stop()
median = ui.scores("org_median", period)
sort_key = sort or "overall"

if tv:
    ui.tv_rotation(leaders, sort_key, period or "")
    st.stop()

cols = st.columns(4)
cols[0].metric("Leaders", leaders.height)
cols[1].metric("Org median overall", ui.points(median.get("overall")))
best = leaders.row(0, named=True)  # leaders on thin coverage come last: the top is a complete score
thin_top = " · thin coverage" if best.get("thin_coverage") else ""
cols[2].metric(f"Top overall ({ui.points(best.get('overall'))}{thin_top})", ui.plain(best["leader_name"]),
               help=f"Scored on {best.get('coverage') or 'no metric'}")
cols[3].page_link(ui.PAGE_FILES["scorecard"], label="TV view", icon=":material/tv:",
                  query_params={"tv": "1", "period": period or ""})
cols[3].download_button("Board pack (PDF)", data=lambda: reports.board_pack_for(who, period, ui.settings()),
                        file_name=reports.pack_file_name("board", period or ""), mime="application/pdf",
                        icon=":material/picture_as_pdf:", on_click="ignore", key="board_pack")

status = ui.scores("period_status", period)
if status != "complete":
    st.info(f"{period} is in progress ({status.removeprefix('in progress: ')}): scores measure it up to the"
            " as-of date, and each change is against the previous quarter at the same share elapsed.",
            icon=":material/hourglass_top:")
thin = ui.thin_note(leaders)
if thin:
    st.warning(thin, icon=":material/data_alert:")
st.caption("Click a cell, a bar or a row to open that leader.")
named = ui.marked_names(leaders)
heat_tab, rank_tab, radar_tab = st.tabs(["Heatmap", "Ranking", "Radar against the median"])
with heat_tab:
    heat = st.plotly_chart(charts.score_heatmap(named, median=median), key="heatmap", on_select="rerun",
                           selection_mode="points")
with rank_tab:
    bar_col, table_col = st.columns([2, 3])
    with bar_col:
        bars = st.plotly_chart(charts.ranking_bars(named, sort_key), key="ranking_bars",
                               on_select="rerun", selection_mode="points")
    with table_col:
        ranking = ui.ranking_table(leaders, sort_key)
        picked = st.dataframe(ranking, hide_index=True, key="ranking_table", on_select="rerun",
                              selection_mode="single-row", column_config=ui.ranking_column_config())
        ui.download_csv(ranking, f"scorecard-{period}.csv", key="download_ranking")
with radar_tab:
    radar_id = ui.person_picker("Leader", leaders, "radar", id_col="leader_id", name_col="leader_name")
    chosen = ui.leader_row(leaders, radar_id) if radar_id else None
    if chosen:
        st.plotly_chart(charts.leader_radar(chosen["leader_name"], chosen, median), key="radar")
        st.page_link(ui.PAGE_FILES["leader"], label=f"Open {ui.plain(chosen['leader_name'])}",
                     icon=":material/arrow_forward:", query_params={"leader": chosen["leader_id"],
                                                                    "period": period or ""})

target = ui.selected_id(heat) or ui.selected_id(bars) or ui.selected_value(picked, ranking, "leader_id")
if target:
    ui.open_page("leader", leader=target, period=period)

ui.live_updates(every=5)
