"""Query results as polars frames, the same way on SQLite and Postgres.

Rows go from the driver straight into columns, skipping the ORM and SQLAlchemy's
per-row result objects: on Postgres the result streams as CSV through ``COPY (query)
TO STDOUT`` into polars' CSV reader (a million aggregated rows in about a second);
on SQLite the DBAPI cursor's tuples are zipped into columns. Both run on the
session's own connection, inside its transaction. Dates arrive as ``pl.Date``.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

BATCH = 200_000


def connection_of(session_or_conn: Session | Connection) -> Connection:
    return session_or_conn.connection() if isinstance(session_or_conn, Session) else session_or_conn


def _driver_statement(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """``sql`` with ``:name`` parameters, as the driver wants it (pyformat or qmark)."""
    compiled = text(sql).compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    if conn.dialect.paramstyle == "qmark":
        return str(compiled), tuple(_sqlite_value(values[name]) for name in compiled.positiontup)
    return str(compiled), values


def _sqlite_value(value: Any) -> Any:
    # The way SQLAlchemy stores dates in SQLite: ISO text.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def query_frame(session_or_conn: Session | Connection, sql: str, params: dict[str, Any] | None,
                schema: dict[str, pl.DataType], *, many_rows: bool = True) -> pl.DataFrame:
    """Run ``sql`` (named ``:params``) and return its rows as a frame with ``schema``
    (names in select order). ``many_rows=False`` for a few rows from a heavy query:
    Postgres runs ``COPY (query)`` without parallel workers, a plain SELECT with them."""
    conn = connection_of(session_or_conn)
    driver_sql, driver_params = _driver_statement(conn, sql, params or {})
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql" and many_rows:
        return _copy_frame(raw, driver_sql, driver_params, schema)
    cur = raw.cursor()
    try:
        cur.execute(driver_sql, driver_params)
        # SQLite hands dates as ISO text and booleans as 0/1: read them so, then cast.
        sqlite = conn.dialect.name == "sqlite"
        read_as = {n: pl.String if t == pl.Date and sqlite else pl.Int64 if t == pl.Boolean and sqlite else t
                   for n, t in schema.items()}
        chunks: list[pl.DataFrame] = []
        while rows := cur.fetchmany(BATCH):
            chunks.append(pl.DataFrame(rows, schema=read_as, orient="row"))
    finally:
        cur.close()
    if not chunks:
        return pl.DataFrame(schema=schema)
    df = pl.concat(chunks, rechunk=True) if len(chunks) > 1 else chunks[0]
    if not sqlite:
        return df
    return df.with_columns(
        [pl.col(n).str.slice(0, 10).str.to_date("%Y-%m-%d") for n, t in schema.items() if t == pl.Date]
        + [pl.col(n).cast(pl.Boolean) for n, t in schema.items() if t == pl.Boolean]
    )


def _copy_frame(raw, sql: str, params: dict[str, Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    buf = io.BytesIO()
    with raw.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                buf.write(block)
    if buf.tell() == 0:
        return pl.DataFrame(schema=schema)
    read_as = {n: (pl.String if t == pl.Boolean else t) for n, t in schema.items()}
    df = pl.read_csv(buf.getvalue(), has_header=False, new_columns=list(schema), schema=read_as)
    bools = [n for n, t in schema.items() if t == pl.Boolean]
    return df.with_columns([(pl.col(n) == "t").alias(n) for n in bools]) if bools else df


def in_list(column: str, values: list[int] | None, prefix: str = "") -> tuple[str, dict[str, Any]]:
    """A ``column IN (...)`` clause (empty when ``values`` is None). The ids are
    integers, written into the text as such: no parameters to bind, and a statement
    SQLAlchemy parses quickly (lookup asks for classes on every keypress)."""
    if values is None:
        return "", {}
    if not values:
        return " AND 1 = 0", {}
    return f" AND {column} IN ({', '.join(str(int(v)) for v in values)})", {}


def tune_for_analytics(session_or_conn: Session | Connection) -> None:
    """For the rest of this transaction on Postgres: no JIT (compiling a report query
    cost more than it saved, 2 of 7 seconds over ten million visits) and room to
    aggregate a million vehicles in memory rather than in temporary files. Local to
    the transaction; the counter's own queries are untouched."""
    conn = connection_of(session_or_conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text(f"SET LOCAL work_mem = '{ANALYTIC_WORK_MEM}'"))


ANALYTIC_WORK_MEM = "128MB"
