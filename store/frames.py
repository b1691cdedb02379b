"""Query results as polars frames, the same way on SQLite and Postgres.

The driver's rows go straight into columns (no ORM objects, no per-row
processing), so a million aggregated rows arrive in about a second. Dates come
back as text from SQLite and as ``date`` from Postgres; both end as ``pl.Date``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

BATCH = 200_000


def connection_of(session_or_conn: Session | Connection) -> Connection:
    return session_or_conn.connection() if isinstance(session_or_conn, Session) else session_or_conn


def query_frame(session_or_conn: Session | Connection, sql: str, params: dict[str, Any] | None,
                schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run ``sql`` (named ``:params``) and return its rows as a frame with ``schema``
    (names in select order)."""
    conn = connection_of(session_or_conn)
    result = conn.execute(text(sql), params or {})
    names = list(schema)
    chunks: list[pl.DataFrame] = []
    while True:
        rows = result.fetchmany(BATCH)
        if not rows:
            break
        columns = list(zip(*rows))
        chunks.append(pl.DataFrame({name: _series(name, col, schema[name]) for name, col in zip(names, columns)}))
    if not chunks:
        return pl.DataFrame(schema=schema)
    return pl.concat(chunks, rechunk=True) if len(chunks) > 1 else chunks[0]


def _series(name: str, values: tuple, dtype: pl.DataType) -> pl.Series:
    if dtype == pl.Date:
        first = next((v for v in values if v is not None), None)
        if isinstance(first, str):
            return pl.Series(name, values, dtype=pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d")
    return pl.Series(name, values, dtype=dtype)


def in_list(column: str, values: list[int] | None, prefix: str) -> tuple[str, dict[str, Any]]:
    """A ``column IN (...)`` clause with named parameters (empty when ``values`` is None)."""
    if values is None:
        return "", {}
    if not values:
        return " AND 1 = 0", {}
    params = {f"{prefix}{i}": int(v) for i, v in enumerate(values)}
    return f" AND {column} IN ({', '.join(':' + k for k in params)})", params
