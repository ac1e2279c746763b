"""Org overview: the hierarchy the viewer may see and what each extract holds."""

from __future__ import annotations

import streamlit as st

from scorecard import charts
from scorecard.ui import auth, cache, tables, widgets

who = auth.current_viewer()
st.title("Org overview")
overview = cache.org_overview(who)

if overview.missing_core:
    st.info("To score leaders, upload the " + ", ".join(f"**{n}**" for n in overview.missing_core)
            + " extract(s) on the Upload page (or `scorecard ingest FILE...`).",
            icon=":material/upload_file:")

st.subheader("Hierarchy")
if overview.people.is_empty():
    st.write("No one to show yet: the reps extract is empty or your login sees no one.")
else:
    st.plotly_chart(charts.org_sunburst(overview.people), key="org_sunburst")

st.subheader("Extracts loaded")
if not who.sees_whole_org_data:
    st.caption("Rows that name people in your part of the organisation (deal history and currency rates"
               " name no one, so they are not counted for you).")
widgets.table(overview.extracts, "extract_rows",
              order=["extract", "rows", "optional", "description"],
              config={"optional": st.column_config.CheckboxColumn("Optional"),
                      "description": st.column_config.TextColumn("Description", width="large")})

st.subheader("Leaders")
if overview.leaders.is_empty():
    st.write("No leaders yet: a leader is anyone who manages someone in the reps extract.")
else:
    widgets.table(overview.leaders, "org_leaders",
                  config={"rep_id": "ID", "rep_name": "Leader", "manager_name": "Reports to",
                          "level": tables.number_column("Level", "%d"), "team_size": tables.count_column("Whole team")})

st.subheader("Load history")
if overview.loads is None:
    st.write("The load history (who loaded which files) is shown to sales ops and executives.")
elif overview.loads.is_empty():
    st.write("No load yet.")
else:
    widgets.table(overview.loads, "org_loads",
                  order=["load_id", "loaded_at", "loaded_by", "source", "extracts", "note"])
