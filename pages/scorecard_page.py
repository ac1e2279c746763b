"""Scorecard (executives): every leader on the five CSO roles and SMART, the trend, who needs help."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, format, reports
from scorecard.compare import Cohort
from scorecard.metrics import SCORES
from scorecard.ui import auth, cache, live, state, tables, tv, widgets
from scorecard.ui import compare as ui_compare
from scorecard.ui.text import plain

who = auth.current_viewer()
if state.tv_mode():  # the wall screen: filters from the URL, no widget at all
    tv.tv_view(who)
    st.stop()
st.title("Scorecard")
widgets.require_data(who, ("reps", "opportunities"))

filters = st.columns(4)
with filters[0]:
    period = widgets.period_picker(cache.periods())
scored = cache.scored(who, period)
with filters[1]:
    region = widgets.choose("Region", ["all", *widgets.options(scored.leaders, "region")], "region",
                            default="all", format_func=format.region_name)
with filters[2]:
    level = widgets.choose("Level", ["all", *widgets.options(scored.leaders, "level")], "level", default="all",
                           format_func=format.level_name)
with filters[3]:
    sort = widgets.choose("Rank by", list(SCORES), "sort", default="overall", format_func=SCORES.__getitem__)
region_chosen = None if region in (None, "all") else region
level_chosen = None if level in (None, "all") else int(level)
leaders = scored.matching(region_chosen, level_chosen)
if leaders.is_empty():
    st.info("No leader matches these filters (a leader is anyone with a team in the reps extract).")
    st.stop()
median = scored.median
sort_key = sort or "overall"

# one line above the heatmap, so a laptop screen shows most leaders without scrolling
running = (f":material/hourglass_top: {scored.label} is in progress ({scored.status.removeprefix('in progress: ')}):"
           " scores measure it up to the as-of date, and each change is against the previous quarter at the same"
           " share elapsed. ") if scored.in_progress else ""
st.caption(f"{running}Click a cell, a bar or a row to open that leader on that score's explanation; hover for"
           " what moved it most.")
thin = tables.thin_note(leaders, cache.rubric_in_force()[0])
if thin:
    st.warning(thin, icon=":material/data_alert:")
filters_key = (period, region_chosen, level_chosen)
named = cache.kept("marked_names", who, filters_key, lambda: tables.marked_names(leaders))
heat_tab, rank_tab, radar_tab = st.tabs(["Heatmap", "Ranking", "Radar against the median"])
with heat_tab:
    heat = st.plotly_chart(cache.chart("heatmap", who, filters_key,
                                       lambda: charts.score_heatmap(named, median=median, change=True)),
                           key="heatmap", on_select="rerun",
                           selection_mode="points")
with rank_tab:
    bar_col, table_col = st.columns([1, 2])  # the table shows the change and what moved it
    with bar_col:
        bars = st.plotly_chart(cache.chart("ranking_bars", who, (*filters_key, sort_key),
                                           lambda: charts.ranking_bars(named, sort_key)), key="ranking_bars",
                               on_select="rerun", selection_mode="points")
    with table_col:
        ranking = cache.kept("ranking_table", who, (*filters_key, sort_key),
                             lambda: tables.ranking_table(leaders, sort_key))
        picked = widgets.table(ranking, "ranking_table", config=tables.ranking_columns(), select=True)
        widgets.download_csv(ranking, f"scorecard-{period}.csv", key="download_ranking")
with radar_tab:
    radar_id = widgets.person_picker("Leader", leaders, "radar", id_col="leader_id", name_col="leader_name",
                                    among="among the leaders shown")
    chosen = scored.leader(radar_id) if radar_id else None
    if chosen:
        radar = chosen  # the leader drawn (a name the chart's drawing can keep)
        st.plotly_chart(cache.chart("radar", who, (period, radar_id),
                                    lambda: charts.leader_radar(radar["leader_name"], radar, median)),
                        key="radar")
        st.page_link(state.script("leader"), label=f"Open {plain(chosen['leader_name'])}",
                     icon=":material/arrow_forward:", query_params={"leader": chosen["leader_id"],
                                                                    "period": period or ""})

# the headline figures and the ways out, below the charts
cols = st.columns([1, 1, 2, 1])  # the top leader's name reads in full at 1366 wide
cols[0].metric("Leaders", format.count(leaders.height))
cols[1].metric("Org median overall", format.points(median.get("overall")))
best = leaders.row(0, named=True)  # leaders on thin coverage come last: the top is a complete score
thin_top = " · thin coverage" if best.get("thin_coverage") else ""
cols[2].metric(f"Top overall ({format.points(best.get('overall'))}{thin_top})", plain(best["leader_name"]),
               help=f"Scored on {best.get('coverage') or 'no metric'}")
widgets.view_link("scorecard", "TV view", icon=":material/tv:", where=cols[3],
                  **{k: v for k, v in {"tv": "1", "period": period, "region": region, "level": level,
                                       "sort": sort}.items() if v and v != "all"})
cols[3].page_link(state.script("compare"), label="Compare leaders", icon=":material/compare_arrows:",
                  query_params=ui_compare.cohort_params(Cohort(level_chosen, region_chosen), period))
cols[3].download_button("Board pack (PDF)", data=lambda: reports.board_pack(cache.card_for(who), period),
                        file_name=reports.pack_file_name("board", period or ""), mime="application/pdf",
                        icon=":material/picture_as_pdf:", on_click="ignore", key="board_pack")

# a heatmap cell opens the leader on its own score; a ranking bar or row, on the "Rank by" score
row = widgets.selected_value(picked, ranking, "leader_id")
target = (charts.selected_cell(heat) or charts.selected_cell(bars, sort_key)
          or ((row, sort_key) if row else None))
if target:
    state.open_page("leader", leader=target[0], period=period, score=target[1])

live.live_updates(every=5)
