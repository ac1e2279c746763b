"""Methodology: the rubric in force, each metric's definition and source, the rules that keep missing
data from being scored, the strategic product lines (editable), and the settings."""

from __future__ import annotations

import streamlit as st

from scorecard import format, org
from scorecard.metrics import ROLES, SCORE_DESCRIPTIONS, SCORES
from scorecard.rubric import unmatched_product_lines
from scorecard.ui import auth, cache, tables, widgets
from scorecard.ui.text import plain

who = auth.current_viewer()
st.title("Methodology")
rubric, refused = cache.rubric_in_force()
if refused:
    st.error(refused)

st.markdown(
    "Each leader is scored per quarter over their **team: the leader and everyone below them**, so a"
    " player-coach's own deals and activities count, as Salesforce's role hierarchy rolls them up. Metrics"
    " about the leader as a manager (span of control, coaching, ramp and retention of the team's reps, the"
    " leader's own customer meetings) leave the leader's own selling out. A **metric** becomes 0-100 points"
    " by a band (the floor gives 0, the target 100, linear between) or by percentile among peer leaders at"
    " the same level. A **role** or **SMART dimension** score is the weighted mean of its metrics that have"
    " enough data: a metric below its minimum sample is shown as *not enough data* and its weight is spread"
    " over the others, never scored 0. The **overall** score is the mean of the five role scores. Source: "
    + cache.rubric_source() + "."
)

st.subheader("Now is the data's as-of date")
st.markdown(
    f"**{format.as_of(cache.data_as_of())}.** Everything that means *now* (the default period, *today* on the Rep page,"
    " stalled deals, pace, the quarter in progress, the periods offered, the score history) is measured at"
    " the date the data describes: the date the uploader gives, else the newest change a Salesforce export"
    " carries, else the newest activity, closed deal, created deal or stage change, never after the day of"
    " the load. An export taken in December 2023 is scored as of December 2023, whenever it is loaded."
    " While a quarter runs it is marked **in progress**, measured up to the as-of date, and its change is"
    " against the previous quarter cut at the same share elapsed, not against the whole of it."
)

st.subheader("Never a score for missing data")
st.markdown(
    "A metric is **switched off**, with the reason and what would switch it on, when its inputs are not"
    f" really there: an extract or column not loaded; a column blank on more than"
    f" {rubric.coverage.mostly_blank:.0%} of its rows (activities without a type, deals without a lead"
    " source or product line, reps without hire dates); a data window too short for it (ramp time needs"
    " reps hired after the data begins, 12-month retention twelve months of data before the as-of date,"
    " growth the same period a year before); or product lines the rubric names that match none in the"
    " data. Every score says how much of its weight was scored (\"3 of 5 metrics, 60% of the weight\"); a"
    f" leader whose overall score rests on less than {rubric.coverage.thin_below:.0%} of the weight is marked"
    " **thin coverage** and listed after the others, without a rank. "
    + rubric.coverage.source
)
st.markdown(
    "Rows real CRMs produce every day are loaded and kept, and left out only where they would distort: a"
    " deal that closed before it was created has no sales cycle; an open deal without a close date is in no"
    " period's pipeline and is not hygienic; a deal without an amount counts in win rate and other counts"
    " but adds nothing to sums and averages; an activity without a type is an activity of unknown kind: it"
    " touches its deal (stalled deals) and counts on the day (daily consistency), but is not counted as a"
    " meeting, a customer-facing or an insight activity."
)

table = org.methodology_table(rubric)
st.markdown("Each score's metrics, heaviest first: weight and points band in a table, then what each metric"
            " measures, the sample it needs before it is scored and why its band is what it is.")
for score, label in SCORES.items():
    if score == "overall":
        continue
    kind = "CSO role" if score in ROLES else "SMART dimension"
    with st.expander(f"{label} ({kind})", expanded=score == "company_leader"):
        st.caption(SCORE_DESCRIPTIONS.get(score, ""))
        metrics = org.score_metrics(table, score)
        # the figures in columns short enough to read in full at 1366 and 1920 wide; the text below
        widgets.table(metrics.select("metric_label", "weight_share", "band"), f"rubric_{score}",
                      config={"metric_label": st.column_config.TextColumn("Metric", width=300),
                              "weight_share": tables.share_column("Weight"),
                              "band": st.column_config.TextColumn("Points", width=420)})
        st.markdown("\n".join(
            f"- **{plain(row['metric_label'])}** ({plain(row['unit'])}; scored from"
            f" {row['min_sample'] if row['min_sample'] is not None else 'any number of'} {plain(row['sample'])}):"
            f" {plain(row['definition'])}"
            + (f"  \n  *Band:* {plain(row['source'])}" if row["source"] else "")
            for row in metrics.iter_rows(named=True)))

st.subheader("Product lines named by the rubric")
saved = st.session_state.pop("product_lines_saved", None)
if saved:
    st.success(saved)
in_data = cache.product_lines()
for which, named in (("Strategic", rubric.strategic_lines), ("Bundles of products and services", rubric.bundle_lines)):
    missing = unmatched_product_lines(named, in_data) if in_data else []
    shown = ", ".join(f"{plain(line)} (not in the data)" if line in missing else plain(line)
                      for line in named) or "-"
    st.write(f"{which}: {shown}.")
st.caption(rubric.product_lines_source)
if not in_data:
    st.caption("The deals loaded carry no product line, so strategic mix and bundle rate are switched off.")
elif who.local or who.can_upload:
    with st.form("product_lines"):
        st.markdown("Choose the strategic and bundle lines from the product lines in the data (most used"
                    " first); they are saved to the rubric file and every score uses them at once.")
        keep = [line for line in in_data if not unmatched_product_lines([line], rubric.strategic_lines)]
        strategic = st.multiselect("Strategic product lines", in_data, default=keep, key="strategic_lines")
        keep = [line for line in in_data if not unmatched_product_lines([line], rubric.bundle_lines)]
        bundles = st.multiselect("Bundles of products and services", in_data, default=keep, key="bundle_lines")
        if st.form_submit_button("Save to the rubric"):
            cache.save_product_lines(who, strategic, bundles)
            st.session_state["product_lines_saved"] = (
                f"Saved to the rubric: strategic {plain(', '.join(strategic)) or '(none)'}; bundles"
                f" {plain(', '.join(bundles)) or '(none)'}.")
            st.rerun()

st.subheader("Settings in force")
widgets.table(tables.settings_table(cache.settings(), auth.hosting_mode(), cache.rubric_source()), "settings")
