"""The data-model document is generated from the schema, so it cannot drift."""

from pathlib import Path

from scorecard.schema import EXTRACTS, data_model_markdown


def test_data_model_doc_matches_the_schema() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
    assert doc.read_text() == data_model_markdown(), "regenerate: python -m scorecard.schema > docs/data-model.md"


def test_required_columns_follow_the_spec() -> None:
    assert EXTRACTS["reps"].required_columns == ["rep_id", "rep_name", "manager_id"]
    assert EXTRACTS["opportunities"].required_columns == [
        "opportunity_id", "owner_rep_id", "created_date", "close_date", "stage", "is_closed", "is_won", "amount"]
    assert [name for name, e in EXTRACTS.items() if e.optional] == [
        "forecasts", "opportunity_history", "coaching", "opportunity_team", "currency_rates"]


def test_query_runner_passes_only_the_parameters_a_query_names() -> None:
    import duckdb

    from scorecard.sql import _used_params

    sql = "select * from reps where rep_id = any($rep_ids::varchar[]) and $as_of is not null"
    assert _used_params(sql, {"rep_id": "a", "rep_ids": ["a"], "as_of": 1}) == {"rep_ids": ["a"], "as_of": 1}
    con = duckdb.connect()
    con.execute("create table reps (rep_id varchar)")
    assert con.sql(sql, params=_used_params(sql, {"rep_id": "a", "rep_ids": ["a"], "as_of": 1})).fetchall() == []
