"""The one query runner: every query lives in ``queries/NAME.sql`` and takes ``$named`` parameters."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"


@cache
def query_text(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no query named {name!r} in {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    # DuckDB refuses parameters a statement does not use, so pass only the ones it names
    # ($rep_id must not match inside $rep_ids).
    named = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {k: v for k, v in params.items() if k in named}


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run the named query and return its result as a Polars frame."""
    sql = query_text(name)
    return con.sql(sql, params=_used_params(sql, params)).pl()


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run the named statement(s) for their effect (DDL or DML)."""
    sql = query_text(name)
    con.execute(sql, _used_params(sql, params))
