"""Compare leaders: two to five leaders, or a peer cohort (same level, same region), side by side on
the eleven scores and on every metric behind them."""

from __future__ import annotations

import streamlit as st

from scorecard import charts
from scorecard.metrics import SCORES
from scorecard.ui import auth, cache, state, widgets
from scorecard.ui import compare as picker
from scorecard.ui.text import plain

who = auth.current_viewer()
st.title("Compare leaders")
widgets.require_data(who, ("reps", "opportunities"))

pick_col, period_col = st.columns([3, 1])
with period_col:
    period = widgets.period_picker(cache.periods())
scored = cache.scored(who, period)
if scored.leaders.is_empty():
    st.info("No leader in your view has a team yet: load the reps extract with manager_id filled in.")
    st.stop()
with pick_col:
    choice = picker.choose(scored)
if choice.problem:
    st.warning(plain(choice.problem), icon=":material/link_off:")
    st.stop()

side = picker.comparison(who, period, choice.chosen)
if side.left_out:
    st.info("Five leaders at most side by side: left out "
            + ", ".join(plain(i) for i in side.left_out) + ". Or compare a peer cohort.")
if not side.enough:
    if side.cohort is not None:
        found = "only one leader" if side.leaders.height == 1 else "no leader"
        st.info(f"{plain(side.cohort.describe())}: {found} you can see, nothing to compare. Pick another level or"
                " region.")
    else:
        st.info("Pick two to five leaders from the list (the leaders you can see), or compare a"
                " peer cohort: every leader at one level, in one region.", icon=":material/compare_arrows:")
    st.stop()

who_line = plain(side.cohort.describe()) if side.cohort is not None else f"{side.leaders.height} leaders"
running = (f" ({scored.status.removeprefix('in progress: ')}; each change is against the previous quarter at the"
           " same share elapsed)") if scored.in_progress else ""
st.caption(f"{who_line} · {plain(cache.periods().name(side.period))}{running} · scores 0-100. A score without"
           " enough data says \"no data\", never 0; one resting on less than"
           f" {cache.rubric_in_force()[0].coverage.thin_below:.0%} of its weight says \"thin\".")

heat_tab, bars_tab, table_tab = st.tabs(["Side by side", "Bars", "Scores in words"])
with heat_tab:
    heat = st.plotly_chart(charts.comparison_heatmap(side), key="compare_heatmap", on_select="rerun",
                           selection_mode="points")
    st.caption("Click a cell to open that leader on that score's explanation.")
with bars_tab:
    bars = st.plotly_chart(charts.comparison_bars(side), key="compare_bars", on_select="rerun",
                           selection_mode="points")
    st.caption("Points at the end of each bar (in the hover when the bars are thin). Click a bar to open that"
               " leader on that score's explanation.")
with table_tab:
    st.table(picker.in_words(side.score_table(), side), width=picker.table_width(side))
    widgets.download_csv(side.scores, f"compare-scores-{side.period}.csv", key="download_compare_scores")

links = st.columns(min(side.leaders.height, 4))  # four a row: a long name reads in full at 1366
for n, (leader_id, name) in enumerate(side.names.items()):
    links[n % len(links)].page_link(state.script("leader"), label=f"Open {plain(name)}",
                                    icon=":material/arrow_forward:",
                                    query_params={"leader": leader_id, "period": side.period})

st.markdown("#### The metrics behind the scores")
score = widgets.choose("Metrics of", ["all", *SCORES], "score", default="all",
                       format_func=lambda k: "Every score (where they differ most first)" if k == "all"
                       else SCORES[k])
st.table(picker.in_words(side.metric_table(None if score in (None, "all") else score), side),
         width=picker.table_width(side))
st.caption("Each cell: the value, then the points it earns (0-100), or why it is not scored. Gap: the most"
           " points minus the fewest; Ahead: who has the most.")
widgets.download_csv(side.metrics, f"compare-metrics-{side.period}.csv", key="download_compare_metrics")

# a click counts once (a selection stays on its chart, through Back too); each chart is asked on every run
clicks = [picker.clicked_cell("compare_heatmap", heat), picker.clicked_cell("compare_bars", bars)]
clicked = next((c for c in clicks if c), None)
if clicked:
    state.open_page("leader", leader=clicked[0], score=clicked[1], period=side.period)
