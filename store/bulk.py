"""Fast bulk writes for generators and importers: COPY on Postgres, executemany on SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in this transaction."""
    if not rows:
        return
    cols = list(dict.fromkeys(k for row in rows for k in row))
    if any(len(row) != len(cols) for row in rows):
        rows = [{c: row.get(c) for c in cols} for row in rows]
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f'COPY "{table.name}" ({", ".join(cols)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[c] for c in cols])
    else:
        conn.execute(insert(table), list(rows))


def next_ids(conn: Connection, table: Table) -> int:
    """The first free id of ``table`` (for generators that assign ids themselves)."""
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def fix_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After inserting explicit ids on Postgres, move each id sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:  # keyed otherwise (searchterm): no sequence
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"
            )
        )


def refresh_statistics(engine, tables: Iterable[Table]) -> None:
    """After a bulk load, give the planner fresh statistics (and Postgres its
    visibility map): without them a million fresh rows get scanned, not indexed."""
    names = [t.name for t in tables]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in names:
                conn.execute(text(f'VACUUM ANALYZE "{name}"'))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
