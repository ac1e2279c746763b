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
    widgets.table(summary, "check_summary",
                  config={"extract": "Extract", "accepted": "Load accepted", "rules": "Rules",
                          "failed_rules": "Rules failed", "failed_rows": tables.count_column("Rows failing")})
    failures = org.failed_checks(checks)
    if failures.is_empty():
        st.success("Every rule passed in the latest checks.")
    else:
        st.markdown("**Rules not passed**: *Rejected* refuses the file; *Flagged* rows are loaded, kept and"
                    " marked, and left out only of the metrics they would distort; a *Note* only informs and"
                    " changes nothing.")
        widgets.table(failures, "check_failures",
                      config={"column_name": "Column", "failed_rows": tables.count_column("Rows"),
                              "message": st.column_config.TextColumn("Message", width="large")})
        widgets.download_csv(failures, "rules-not-passed.csv", key="download_failures",
                        label="Download the rules not passed")

st.subheader("Rows loaded with a flag")
counts = quality.flag_counts
if counts.is_empty():
    st.success("No row in place was loaded with a flag.")
else:
    st.write(f"{quality.flagged['row_key'].n_unique():,} row(s) in place broke a rule that real CRMs break"
             " every day: they are loaded and kept, and each metric they would distort leaves them out.")
    widgets.table(counts, "flag_counts",
                  config={"column_name": "Column"})
    with st.expander(f"The flagged rows (first {min(quality.flagged.height, org.FLAGGED_ROWS_SHOWN):,})"):
        listed = quality.flagged.select("extract", "row_key", "file", "line", "rule", "column_name")
        widgets.table(listed.head(org.FLAGGED_ROWS_SHOWN), "flagged_rows",
                      config={"row_key": "Row", "line": tables.number_column("Line", "%d"),
                              "column_name": "Column"})
        widgets.download_csv(listed, "flagged-rows.csv", key="download_flagged", label="Download every flagged row")

st.subheader("Metrics switched off by missing data")
off = cache.switched_off()
if off.is_empty():
    st.success("Every metric of the rubric has the data it needs.")
else:
    st.write(f"{off.height} metric(s) cannot be computed; their weight is spread over the others.")
    widgets.table(off, "switched_off",
                  config={"metric": None, "metric_label": "Metric", "reason": "What would switch it on"})

st.subheader("How full each column is")
loaded = org.loaded_columns(fill)
if loaded.is_empty():
    st.info("Nothing loaded yet: upload the reps, accounts, opportunities, activities and quotas"
            " extracts to begin.", icon=":material/upload_file:")
else:
    widgets.table(loaded, "column_fill",
                  config={"fill_share": tables.share_column("Filled"), "filled": tables.count_column("Filled rows")})
