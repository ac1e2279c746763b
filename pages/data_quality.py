"""Data quality: the latest check results per extract, and which metrics missing data switches off."""

from __future__ import annotations

import streamlit as st

from scorecard import org, ui

who = ui.current_viewer()
st.title("Data quality")
checks, fill = ui.data_quality(ui.data_version())

st.subheader("Latest checks per extract")
summary = org.check_summary(checks)
if summary.is_empty():
    st.info("No check results yet: every uploaded file is checked before it is loaded, and the verdicts"
            " appear here.", icon=":material/fact_check:")
else:
    st.dataframe(summary, hide_index=True, key="check_summary",
                 column_config={"extract": "Extract", "checked_at": "Checked at", "accepted": "Load accepted",
                                "rules": "Rules", "failed_rules": "Rules failed",
                                "failed_rows": ui.number_column("Rows failing", "localized")})
    failures = org.failed_checks(checks)
    if failures.is_empty():
        st.success("Every rule passed in the latest checks.")
    else:
        st.markdown("**Rules not passed** (errors reject a file; warnings are loaded and shown here)")
        st.dataframe(failures, hide_index=True, key="check_failures",
                     column_config={"extract": "Extract", "file": "File", "column_name": "Column",
                                    "rule": "Rule", "outcome": "Outcome", "failed_rows": "Rows",
                                    "message": "Message", "sample": "Sample"})

st.subheader("Metrics switched off by missing data")
off = ui.scores("switched_off")
if off.is_empty():
    st.success("Every metric of the rubric has the data it needs.")
else:
    st.write(f"{off.height} metric(s) cannot be computed; their weight is spread over the others.")
    st.dataframe(off, hide_index=True, key="switched_off",
                 column_config={"metric": "Metric", "metric_label": "Name", "reason": "What would switch it on"})

st.subheader("How full each column is")
loaded = org.loaded_columns(fill)
if loaded.is_empty():
    st.info("Nothing loaded yet: upload the reps, accounts, opportunities, activities and quotas"
            " extracts to begin.", icon=":material/upload_file:")
else:
    st.dataframe(loaded, hide_index=True, key="column_fill",
                 column_config={"fill_share": ui.percent_column("Filled"),
                                "rows": ui.number_column("Rows", "localized"),
                                "filled": ui.number_column("Filled rows", "localized")})
