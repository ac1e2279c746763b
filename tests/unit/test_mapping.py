"""Mapping profiles for hand-kept sheets: managers named only in the manager column become the
leaders, two profiles matching one shape are a choice the uploader makes, editing and deleting
profiles, and the editor's first guesses.

Fixtures: tests/data/exports/handkept/sales_teams.csv (10 agents in three offices; their three
managers, Dana Dubois, Emil Eriksen and Farah Fadel, appear only in the manager column) and
sales_pipeline.csv (13 deals: 5 won, 3 lost with amount 0, 5 open with a blank amount and no close
date, the 2 at Prospecting without an engage date; US dates; GTXPro and GTX Pro; one blank account)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scorecard.cli import main
from scorecard.mapping import (
    MappingError,
    MappingProfile,
    ProfileChoice,
    apply_profile,
    delete_profile,
    load_profiles,
    matching_profiles,
    profiles_dir,
    read_profile,
    replace_profile,
    save_profile,
    suggest_columns,
)
from scorecard.readers import RawTable, read_path
from scorecard.store import Store

HAND = Path(__file__).resolve().parent.parent / "data" / "exports" / "handkept"
TEAM_HEADERS = ["sales_agent", "manager", "regional_office"]
PIPELINE_HEADERS = ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
                    "close_date", "close_value"]


def team_profile(name: str = "sales teams") -> MappingProfile:
    return MappingProfile(name=name, extract="reps", headers=TEAM_HEADERS,
                          columns={"rep_name": "sales_agent", "manager_id": "manager", "region": "regional_office"})


def pipeline_profile() -> MappingProfile:
    return MappingProfile(
        name="sales pipeline", extract="opportunities", date_order="mdy", headers=PIPELINE_HEADERS,
        columns={"opportunity_id": "opportunity_id", "owner_rep_id": "sales_agent", "product_line": "product",
                 "account_id": "account", "stage": "deal_stage", "created_date": "engage_date",
                 "close_date": "close_date", "amount": "close_value"},
        stages={"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"})


def sheet(name: str) -> RawTable:
    return read_path(HAND / name)[0]


def rows(store: Store, query: str) -> list[tuple[object, ...]]:
    with store.reader() as con:
        return con.execute(query).fetchall()


# -- managers named only in the manager column ----------------------------------------------------

def test_managers_only_in_the_manager_column_become_reps_at_the_top() -> None:
    mapped = apply_profile(sheet("sales_teams.csv"), team_profile())
    assert mapped.problem is None and mapped.frame is not None
    got = {r["rep_id"]: (r["rep_name"], r["manager_id"], r["region"]) for r in mapped.frame.iter_rows(named=True)}
    assert len(got) == 13  # 10 agents + 3 managers
    assert got["dana_dubois"] == ("Dana Dubois", None, None)
    assert got["emil_eriksen"] == ("Emil Eriksen", None, None)
    assert got["farah_fadel"] == ("Farah Fadel", None, None)
    assert got["anna_abbott"] == ("Anna Abbott", "dana_dubois", "Central")
    assert got["jade_jones"] == ("Jade Jones", "farah_fadel", "West")
    # each added at the line that first names them (for the checks' samples)
    lines = dict(mapped.frame.select("rep_id", "__line").iter_rows())
    assert (lines["dana_dubois"], lines["emil_eriksen"], lines["farah_fadel"]) == (2, 6, 9)
    assert mapped.notes == [
        "3 managers named only in the manager column added as reps with generated IDs, at the top of the"
        " hierarchy: Dana Dubois (dana_dubois), Emil Eriksen (emil_eriksen), Farah Fadel (farah_fadel)"]


def test_team_sheet_loads_through_its_profile_and_the_managers_are_the_leaders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hand.duckdb"
    save_profile(profiles_dir(db), team_profile())
    code = main(["ingest", "--db", str(db), str(HAND / "sales_teams.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sales_teams.csv (mapping profile 'sales teams'" in out
    assert "note: 3 managers named only in the manager column added as reps" in out
    store = Store(db)
    # Hand-checked: Dana leads the 4 Central agents, Emil the 3 East, Farah the 3 West; all at the top.
    assert rows(store, "select leader_id, level, direct_reports, team_size from leaders order by 1") == [
        ("dana_dubois", 0, 4, 4), ("emil_eriksen", 0, 3, 3), ("farah_fadel", 0, 3, 3)]
    assert rows(store, "select rep_id from reps where manager_id = 'emil_eriksen' order by 1") == [
        ("ella_evans",), ("finn_foster",), ("gina_gupta",)]
    assert rows(store, "select count(*) from reps where manager_id is null") == [(3,)]


def test_a_manager_spelled_two_ways_is_one_rep_and_a_listed_manager_keeps_their_row() -> None:
    table = RawTable.of_headers("team", TEAM_HEADERS)
    table.frame = pl.DataFrame({"sales_agent": ["Ada", "Bo", "Cy", "Dee"],
                                "manager": ["Dee", "Mo Khan", "mo khan ", "Mo-Khan"],
                                "regional_office": ["East", "East", "West", "East"]})
    mapped = apply_profile(table, team_profile())
    assert mapped.frame is not None
    got = dict(mapped.frame.select("rep_id", "manager_id").iter_rows())
    # Dee has a row of her own (manager blank: the top); Mo Khan is added once, from the first spelling.
    assert got == {"ada": "dee", "bo": "mo_khan", "cy": "mo_khan", "dee": "mo_khan", "mo_khan": None}
    assert mapped.frame.filter(pl.col("rep_id") == "mo_khan")["rep_name"].to_list() == ["Mo Khan"]
    assert mapped.notes[0].startswith("1 manager named only in the manager column added as rep")


def test_a_sheet_with_its_own_rep_ids_keeps_an_unlisted_manager_as_written() -> None:
    table = RawTable.of_headers("team", ["id", "name", "boss"])
    table.frame = pl.DataFrame({"id": ["E1", "E2"], "name": ["Ada", "Bo"], "boss": ["E9", "E1"]})
    profile = MappingProfile(name="with ids", extract="reps", headers=["id", "name", "boss"],
                             columns={"rep_id": "id", "rep_name": "name", "manager_id": "boss"})
    mapped = apply_profile(table, profile)
    assert mapped.frame is not None and mapped.notes == []
    assert dict(mapped.frame.select("rep_id", "manager_id").iter_rows()) == {"E1": "E9", "E2": "E1"}


# -- the pipeline sheet ---------------------------------------------------------------------------

def test_pipeline_sheet_maps_through_its_profile() -> None:
    people = apply_profile(sheet("sales_teams.csv"), team_profile()).frame
    assert people is not None
    mapped = apply_profile(sheet("sales_pipeline.csv"), pipeline_profile(), people)
    assert mapped.problem is None and mapped.frame is not None and mapped.notes == []
    frame = mapped.frame
    got = {r["opportunity_id"]: r for r in frame.iter_rows(named=True)}
    assert len(got) == 13
    won = got["NL3JZH9Z"]  # US dates, "4,820"
    assert (won["owner_rep_id"], str(won["created_date"]), str(won["close_date"]), won["amount"],
            won["is_closed"], won["is_won"]) == ("hana_hall", "2025-12-01", "2026-03-31", 4_820.0, True, True)
    assert frame.filter(pl.col("stage") == "Lost")["amount"].to_list() == [0.0, 0.0, 0.0]
    open_deals = frame.filter(~pl.col("is_closed"))
    assert sorted(open_deals["opportunity_id"]) == ["7ID1FIF7", "MV1LWRNH", "PE84CX4O", "S8DX3XOU", "ZNBS69V1"]
    assert open_deals["amount"].null_count() == 5 and open_deals["close_date"].null_count() == 5
    assert sorted(frame.filter(pl.col("created_date").is_null())["opportunity_id"]) == ["PE84CX4O", "ZNBS69V1"]
    assert got["ZNBS69V1"]["account_id"] is None
    # the two spellings are kept as written: the product list decides what they are
    assert sorted(frame["product_line"].unique()) == ["GTX Basic", "GTX Pro", "GTXPro", "MG Advanced", "MG Special"]
    assert set(frame["owner_rep_id"]) <= set(people["rep_id"])


def test_both_sheets_load_and_open_deals_without_dates_are_kept_and_flagged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Open deals without a close date and deals without an engage (created) date are loaded and
    flagged, not rejected (SPEC section 4)."""
    db = tmp_path / "hand.duckdb"
    save_profile(profiles_dir(db), team_profile())
    save_profile(profiles_dir(db), pipeline_profile())
    code = main(["ingest", "--db", str(db), str(HAND / "sales_teams.csv"), str(HAND / "sales_pipeline.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sales_pipeline.csv (mapping profile 'sales pipeline'" in out
    store = Store(db)
    # all 13 deals are in: 5 open without close date or amount; the 2 without an engage date are
    # taken as first seen at the data's as-of date (the latest date in it: 21 Apr 2026)
    assert rows(store, "select count(*), count(close_date), count(amount) from opportunities") == [(13, 8, 8)]
    assert rows(store, "select opportunity_id, created_date::varchar from opportunities"
                       " where opportunity_id in ('PE84CX4O', 'ZNBS69V1') order by 1") == [
        ("PE84CX4O", "2026-04-21"), ("ZNBS69V1", "2026-04-21")]
    # flagged and kept, each by its file line: open without close date (lines 5, 6, 7, 10, 12),
    # no engage date (lines 6, 7)
    assert rows(store, "select column_name, list(line order by line) from flagged_rows"
                       " where column_name in ('close_date', 'created_date') group by 1 order by 1") == [
        ("close_date", [5, 6, 7, 10, 12]), ("created_date", [6, 7])]
    for line in (5, 6, 7, 10, 12):
        assert f"sales_pipeline.csv line {line}" in out, out


# -- two profiles for one shape -------------------------------------------------------------------

def test_two_matching_profiles_are_a_choice_named_in_the_verdict_and_mapping_picks_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hand.duckdb"
    save_profile(profiles_dir(db), team_profile("sales teams"))
    offices = team_profile("teams by office")
    offices.columns = {"rep_name": "sales_agent", "manager_id": "manager", "segment": "regional_office"}
    save_profile(profiles_dir(db), offices)
    profiles = load_profiles(profiles_dir(db))
    assert [p.name for p in matching_profiles(profiles, TEAM_HEADERS)] == ["sales teams", "teams by office"]
    assert matching_profiles(profiles, PIPELINE_HEADERS) == []

    code = main(["ingest", "--db", str(db), str(HAND / "sales_teams.csv")])
    out = capsys.readouterr().out
    assert code == 1
    assert ("rule 'one mapping profile': the saved mapping profiles 'sales teams' and 'teams by office' all match"
            " these headers: choose one on the Upload page, or name it with --mapping") in out
    assert not db.exists() or rows(Store(db), "select count(*) from reps") == [(0,)]

    code = main(["ingest", "--db", str(db), "--mapping", "teams by office", str(HAND / "sales_teams.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sales_teams.csv (mapping profile 'teams by office'" in out
    assert rows(Store(db), "select segment, region from reps where rep_id = 'anna_abbott'") == [("Central", None)]


def test_a_choice_stands_for_its_candidates() -> None:
    choice = ProfileChoice.between([team_profile("a"), team_profile("b"), team_profile("c")])
    assert choice.extract == "reps"  # the file is ordered with the reps either way
    mapped = apply_profile(sheet("sales_teams.csv"), choice)
    assert mapped.extract is None and mapped.rule == "one mapping profile"
    assert mapped.problem is not None and "profiles 'a', 'b' and 'c' all match" in mapped.problem
    assert matching_profiles([choice], TEAM_HEADERS) == []


# -- editing and deleting -------------------------------------------------------------------------

def test_a_profile_is_edited_renamed_and_deleted(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    old = read_profile(save_profile(folder, team_profile("sales teams")))
    edited = team_profile("team sheet")
    edited.columns["segment"] = "regional_office"
    path = replace_profile(folder, old, edited)
    assert path.name == "team_sheet.toml" and not (folder / "sales_teams.toml").exists()
    assert read_profile(path).columns["segment"] == "regional_office"
    save_profile(folder, team_profile("other"))
    with pytest.raises(MappingError, match="named 'other' exists already"):
        replace_profile(folder, read_profile(path), team_profile("other"))
    delete_profile(read_profile(path))
    assert [p.name for p in load_profiles(folder)] == ["other"]


# -- the editor's first guesses -------------------------------------------------------------------

def test_suggestions_for_the_real_sheets() -> None:
    team = suggest_columns(TEAM_HEADERS, "reps")
    assert (team["rep_name"], team["manager_id"], team["region"]) == ("sales_agent", "manager", "regional_office")
    deals = {k: v for k, v in suggest_columns(PIPELINE_HEADERS, "opportunities").items() if v}
    assert deals == {"opportunity_id": "opportunity_id", "owner_rep_id": "sales_agent", "account_id": "account",
                     "created_date": "engage_date", "close_date": "close_date", "stage": "deal_stage",
                     "amount": "close_value", "product_line": "product"}


@pytest.mark.parametrize(("header", "extract", "column"), [
    ("Region", "reps", "region"), ("Office", "reps", "region"), ("Regional Office", "reps", "region"),
    ("Territory", "accounts", "region"),
    ("Owner", "opportunities", "owner_rep_id"), ("Agent", "opportunities", "owner_rep_id"),
    ("Sales Agent", "opportunities", "owner_rep_id"), ("Salesperson", "opportunities", "owner_rep_id"),
    ("Sales rep", "opportunities", "owner_rep_id"), ("Deal Owner", "opportunities", "owner_rep_id"),
    ("Engage Date", "opportunities", "created_date"), ("engage_date", "opportunities", "created_date"),
    ("Created", "opportunities", "created_date"), ("Create Date", "opportunities", "created_date"),
    ("Opened", "opportunities", "created_date"),
    ("close_date", "opportunities", "close_date"), ("Closed", "opportunities", "close_date"),
    ("Close", "opportunities", "close_date"),
    ("close_value", "opportunities", "amount"), ("Value", "opportunities", "amount"),
    ("Amount", "opportunities", "amount"), ("Deal Value", "opportunities", "amount"),
    ("Manager", "reps", "manager_id"), ("Manager name", "reps", "manager_id"), ("Reports to", "reps", "manager_id"),
])
def test_each_synonym_is_suggested(header: str, extract: str, column: str) -> None:
    assert suggest_columns([header, "something else"], extract)[column] == header


def test_the_real_sheets_stages_are_guessed_open_won_lost() -> None:
    from scorecard.upload_view import guess_outcome, stage_values

    values = stage_values(sheet("sales_pipeline.csv"), "deal_stage")
    assert {v: guess_outcome(v) for v in values} == {
        "Engaging": "open", "Lost": "lost", "Prospecting": "open", "Won": "won"}
