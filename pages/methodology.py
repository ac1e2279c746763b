"""Methodology: the rubric in force, each metric's definition and source, and the settings."""

from __future__ import annotations

import streamlit as st

from scorecard import org, ui
from scorecard.metrics import ROLES, SCORE_DESCRIPTIONS, SCORES

ui.current_viewer()
st.title("Methodology")
rubric, refused = ui.rubric_in_force()
if refused:
    st.error(refused)

st.markdown(
    "Each leader is scored per quarter over their whole team. A **metric** becomes 0-100 points by a"
    " band (the floor gives 0, the target 100, linear between) or by percentile among peer leaders at"
    " the same level. A **role** or **SMART dimension** score is the weighted mean of its metrics that"
    " have enough data: a metric below its minimum sample is shown as *not enough data* and its weight"
    " is spread over the others, never scored 0. The **overall** score is the mean of the five role"
    " scores. Source: " + (str(rubric.path) if rubric.path else "the rubric shipped with the scorecard")
    + "."
)
table = org.methodology_table(rubric)
for score, label in SCORES.items():
    if score == "overall":
        continue
    kind = "CSO role" if score in ROLES else "SMART dimension"
    with st.expander(f"{label} ({kind})", expanded=score == "company_leader"):
        st.caption(SCORE_DESCRIPTIONS.get(score, ""))
        st.dataframe(
            org.score_metrics(table, score), hide_index=True, key=f"rubric_{score}",
            column_config={"metric_label": "Metric", "weight_share": ui.percent_column("Weight"),
                           "band": "Points", "min_sample": "Minimum sample", "sample": "Sample counts",
                           "unit": "Unit", "definition": st.column_config.TextColumn("Definition",
                                                                                   width="large"),
                           "source": st.column_config.TextColumn("Source", width="large")},
        )

st.subheader("Product lines named by the rubric")
st.write(f"Strategic: {', '.join(rubric.strategic_lines) or '-'}. "
         f"Bundles of products and services: {', '.join(rubric.bundle_lines) or '-'}.")
st.caption(rubric.product_lines_source)

st.subheader("Settings in force")
st.dataframe(ui.settings_table(), hide_index=True, key="settings")
