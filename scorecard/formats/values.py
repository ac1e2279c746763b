"""Turning the text of real exports into typed canonical columns, keeping what does not parse.

Every parser is a vectorised Polars expression with a fast path for the common case (ISO dates,
plain numbers) and a general path for the rest: US (``3/1/2026``) and European (``01.03.2026``)
dates, amounts such as ``1,234.50``, ``$1,234``, ``1.234,50`` and ``(120)``, booleans as
``1``/``0``, ``true``/``false``, ``yes``/``no``. A value that is not blank but does not parse is
kept beside the column as ``__raw__<column>`` so the checks can report it with its text.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from scorecard.readers import RawTable
from scorecard.schema import Extract

DateOrder = Literal["auto", "mdy", "dmy"]
RAW_PREFIX = "__raw__"
LINE = "__line"
"""Line number in the source file (header = line 1), kept for the verdict's sample rows."""

TRUE_WORDS = ["1", "true", "t", "yes", "y", "x", "won", "closed", "wahr", "oui", "si", "sí", "ja"]
FALSE_WORDS = ["0", "false", "f", "no", "n", "", "lost", "open", "falsch", "non", "nein"]
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}"


def raw_name(column: str) -> str:
    return f"{RAW_PREFIX}{column}"


def _clean(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.strip_chars()


def _date_part(text: pl.Expr) -> pl.Expr:
    return text.str.replace(r"[T ].*$", "")


def _time_part(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(r"[T ]\d")).then(
        text.str.replace(r"^[^T ]*[T ]", "").str.replace(r"(Z|[+-]\d{2}:?\d{2}|\s*UTC)$", "")
        .str.replace(r"\.\d+$", "")
    ).otherwise(pl.lit("00:00:00"))


def guess_date_order(values: pl.Series) -> DateOrder:
    """``dmy`` when some slash date has a first part above 12 (so cannot be a month), else ``mdy``."""
    firsts = (values.drop_nulls().str.extract(r"^(\d{1,2})/\d{1,2}/\d{2,4}", 1)
              .cast(pl.Int32, strict=False).drop_nulls())
    return "dmy" if len(firsts) and int(firsts.max() or 0) > 12 else "mdy"  # type: ignore[arg-type]


def _general_date(text: pl.Expr, order: DateOrder) -> pl.Expr:
    part = _date_part(text)
    slash_fmt = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
    slash_short = "%d/%m/%y" if order == "dmy" else "%m/%d/%y"
    patterns = [
        (r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"),
        (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
        (r"^\d{1,2}/\d{1,2}/\d{4}$", slash_fmt),
        (r"^\d{1,2}/\d{1,2}/\d{2}$", slash_short),
        (r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
        (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y" if order == "dmy" else "%m-%d-%Y"),
    ]
    return pl.coalesce(
        *(pl.when(part.str.contains(pattern)).then(part.str.strptime(pl.Date, fmt, strict=False))
          for pattern, fmt in patterns),
        pl.when(part.str.contains(r"^\d{1,2}[ -][A-Za-z]{3}[ -]\d{4}$")).then(
            part.str.replace_all(" ", "-").str.strptime(pl.Date, "%d-%b-%Y", strict=False)),
    )


def _general_time(text: pl.Expr) -> pl.Expr:
    t = _time_part(text)
    return pl.coalesce(t.str.strptime(pl.Time, "%H:%M:%S", strict=False),
                       t.str.strptime(pl.Time, "%H:%M", strict=False),
                       t.str.strptime(pl.Time, "%I:%M %p", strict=False),
                       t.str.strptime(pl.Time, "%I:%M:%S %p", strict=False))


def parse_dates(series: pl.Series, order: DateOrder = "auto", *, with_time: bool = False) -> pl.Series:
    """Parse a text column to Date (or Datetime); what does not parse becomes null."""
    text = series.cast(pl.String).str.strip_chars()
    frame = text.to_frame("t")
    fast_fmt = "%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d"
    dtype: pl.Datetime | pl.Date = pl.Datetime("us") if with_time else pl.Date()
    fast = frame.select(pl.col("t").str.strptime(dtype, fast_fmt, strict=False)).to_series()
    missed = int((fast.is_null() & text.is_not_null()).sum())
    if missed == 0:
        return fast.alias(series.name)
    if order == "auto":
        order = guess_date_order(text)
    if with_time:
        general = frame.select(
            _general_date(pl.col("t"), order).dt.combine(_general_time(pl.col("t")))).to_series()
    else:
        general = frame.select(_general_date(pl.col("t"), order)).to_series()
    return fast.fill_null(general.cast(dtype)).alias(series.name)


def parse_amounts(series: pl.Series) -> pl.Series:
    """Parse money and numbers as they are typed: ``1,234.50``, ``$1,234``, ``1.234,50``, ``(120)``."""
    text = series.cast(pl.String).str.strip_chars()
    fast = text.cast(pl.Float64, strict=False)
    if int((fast.is_null() & text.is_not_null()).sum()) == 0:
        return fast.alias(series.name)
    t = pl.col("t")
    negative = t.str.contains(r"^\(.*\)$") | t.str.contains(r"^-") | t.str.contains(r"-$")
    body = (t.str.replace_all(r"[\s\u00a0'’]", "")
            .str.replace_all(r"^[-(]+|[-)]+$", "")
            .str.replace_all(r"^(?:[A-Z]{3}|[$€£¥₹]|R\$|CHF|kr)+|(?:[A-Z]{3}|[$€£¥₹]|CHF|kr)+$", ""))
    european = body.str.contains(r"^\d{1,3}(\.\d{3})+(,\d+)?$") | body.str.contains(r"^\d+,\d{1,2}$")
    us = body.str.contains(r"^\d{1,3}(,\d{3})+(\.\d+)?$") | body.str.contains(r"^\d*\.?\d+$")
    number = (pl.when(european).then(body.str.replace_all(r"\.", "").str.replace(",", "."))
              .when(us).then(body.str.replace_all(",", ""))
              .otherwise(pl.lit(None, dtype=pl.String))
              .cast(pl.Float64, strict=False))
    general = text.to_frame("t").select(
        pl.when(negative).then(-number).otherwise(number)).to_series()
    return fast.fill_null(general).alias(series.name)


def parse_booleans(series: pl.Series) -> pl.Series:
    text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    return text.to_frame("t").select(
        pl.when(pl.col("t").is_in(TRUE_WORDS)).then(True)
        .when(pl.col("t").is_in(FALSE_WORDS)).then(False)
        .otherwise(None)).to_series().alias(series.name)


def type_columns(frame: pl.DataFrame, extract: Extract, *, date_order: DateOrder = "auto") -> pl.DataFrame:
    """Type the canonical columns present in ``frame`` (text) per the schema.

    Columns that are already typed are left alone. For every value that is not blank and does not
    parse, the raw text is kept in ``__raw__<column>`` (null elsewhere).
    """
    out: list[pl.Series] = []
    for column in frame.columns:
        series = frame[column]
        if column.startswith("__") or column not in extract.column_names:
            out.append(series)
            continue
        kind = extract.column(column).type
        if kind == "VARCHAR" or series.dtype != pl.String:
            out.append(series.cast(pl.String) if kind == "VARCHAR" else series)
            continue
        if kind == "DATE":
            typed = parse_dates(series, date_order)
        elif kind == "TIMESTAMP":
            typed = parse_dates(series, date_order, with_time=True)
        elif kind in ("DOUBLE", "INTEGER"):
            typed = parse_amounts(series)
        else:
            typed = parse_booleans(series)
        failed = typed.is_null() & series.is_not_null()
        out.append(typed)
        if bool(failed.any()):
            out.append(pl.select(pl.when(failed).then(series)).to_series().alias(raw_name(column)))
    return pl.DataFrame(out)


NEWLINE_COUNT_ROWS = 1_000_000
"""Up to this many rows, line numbers count the newlines inside quoted values (a description over
two lines); the large canonical extracts, which hold none, are numbered by record."""


def with_line_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the file line number where each row starts (the header is line 1). A quoted value that
    holds a newline pushes the rows after it one line down, as a text editor shows them."""
    if LINE in frame.columns:
        return frame
    numbered = frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.height > NEWLINE_COUNT_ROWS:
        return numbered
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in text)
    return numbered.with_columns(
        (pl.col(LINE) + breaks.cum_sum().shift(1, fill_value=0).cast(pl.Int64)).alias(LINE))


def normalise_header(header: str) -> str:
    """``"Close Date "`` -> ``close_date``: how headers are compared."""
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in header.strip())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def header_map(table: RawTable) -> dict[str, str]:
    """A table's headers by their compared form (the first header wins where two compare equal)."""
    out: dict[str, str] = {}
    for h in table.headers:
        out.setdefault(normalise_header(h), h)
    return out


def pick(headers: dict[str, str], names: list[str]) -> str | None:
    """The first of ``names`` (compared forms) the table has, as its header is written."""
    return next((headers[n] for n in names if n in headers), None)


def slug(text: str) -> str:
    return normalise_header(text)
