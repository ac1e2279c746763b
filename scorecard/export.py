"""Files the scorecard writes for people to open in a spreadsheet, made safe first.

CRM text is data, never markup: a rep name or a next step that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return would run as a formula in Excel, LibreOffice or Google Sheets
(``=HYPERLINK(...)``, ``-0+cmd|...``). Following the OWASP rule on CSV injection, every writer (a
CSV download, an XLSX or any other table a person opens) goes through :func:`neutralised`, which
puts a single quote before such a cell: the spreadsheet shows the text as text. Numbers, dates and
booleans are written as they are.
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def safe_cell(value: str | None) -> str | None:
    """One text cell as a spreadsheet must receive it: a leading ``'`` before a formula start."""
    if value is None or not value.startswith(FORMULA_STARTS):
        return value
    return "'" + value


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that begins like a formula prefixed with a single quote; a list
    column is joined into text first (a spreadsheet cell holds one value)."""
    starts = "^[" + "".join({"\t": "\\t", "\r": "\\r", "-": "\\-"}.get(c, c) for c in FORMULA_STARTS) + "]"
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List):
            column = column.cast(pl.List(pl.String)).list.join(", ")
        elif not isinstance(dtype, pl.String | pl.Categorical | pl.Enum):
            columns.append(column)
            continue
        text = column.cast(pl.String)
        columns.append(pl.when(text.str.contains(starts)).then(pl.lit("'") + text).otherwise(text).alias(name))
    return frame.select(columns)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a byte-order mark, so Excel reads accents right), neutralised."""
    return b"\xef\xbb\xbf" + neutralised(frame).write_csv().encode("utf-8")
