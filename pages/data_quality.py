"""Data quality: the latest check results per extract, and which metrics missing data switches off."""

from __future__ import annotations

import streamlit as st

from scorecard import org
from scorecard.ui import auth, cache, tables, widgets

who = auth.current_viewer()
st.title("Data quality")
quality = cache.data_quality(who)
checks, fill = quality.checks, quality.fill

st.subheader("Latest checks per extract")
summary = org.check_summary(checks) if checks is not None else None
if checks is None or summary is None:
    st.info("The verdicts of uploaded files (with the rows they quote) are shown to sales ops and executives."
            " Below: the rows of the people in your part of the organisation.", icon=":material/lock:")
elif summary.is_empty():
    st.info("No check results yet: every uploaded file is checked before it is loaded, and the verdicts"
            " appear here.", icon=":material/fact_check:")
else:
    st.dataframe(summary, hide_index=True, key="check_summary",
                 column_config={"extract": "Extract", "checked_at": "Checked at", "accepted": "Load accepted",
                                "rules": "Rules", "failed_rules": "Rules failed",
                                "failed_rows": tables.number_column("Rows failing", "localized")})
    failures = org.failed_checks(checks)
    if failures.is_empty():
        st.success("Every rule passed in the latest checks.")
    else:
        st.markdown("**Rules not passed**: a *reject* refuses the file; *flagged* rows are loaded, kept and"
                    " marked, and left out only of the metrics they would distort; a *note* informs")
        st.dataframe(failures, hide_index=True, key="check_failures",
                     column_config={"extract": "Extract", "file": "File", "column_name": "Column",
                                    "rule": "Rule", "outcome": "Outcome", "failed_rows": "Rows",
                                    "message": "Message", "sample": "Sample"})
        widgets.download_csv(failures, "rules-not-passed.csv", key="download_failures",
                        label="Download the rules not passed")

st.subheader("Rows loaded with a flag")
counts = quality.flag_counts
if counts.is_empty():
    st.success("No row in place was loaded with a flag.")
else:
    st.write(f"{quality.flagged['row_key'].n_unique():,} row(s) in place broke a rule that real CRMs break"
             " every day: they are loaded and kept, and each metric they would distort leaves them out.")
    st.dataframe(counts, hide_index=True, key="flag_counts",
                 column_config={"extract": "Extract", "rule": "Rule", "column_name": "Column",
                                "rows": tables.number_column("Rows", "localized"), "files": "Files"})
    with st.expander(f"The flagged rows (first {min(quality.flagged.height, org.FLAGGED_ROWS_SHOWN):,})"):
        listed = quality.flagged.select("extract", "row_key", "file", "line", "rule", "column_name")
        st.dataframe(listed.head(org.FLAGGED_ROWS_SHOWN), hide_index=True, key="flagged_rows",
                     column_config={"extract": "Extract", "row_key": "Row", "file": "File", "line": "Line",
                                    "rule": "Rule", "column_name": "Column"})
        widgets.download_csv(listed, "flagged-rows.csv", key="download_flagged", label="Download every flagged row")

st.subheader("Metrics switched off by missing data")
off = cache.switched_off()
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
                 column_config={"fill_share": tables.percent_column("Filled"),
                                "rows": tables.number_column("Rows", "localized"),
                                "filled": tables.number_column("Filled rows", "localized")})
