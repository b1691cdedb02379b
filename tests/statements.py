"""Count what a piece of work sends to the database: every statement on SQLite
(the driver's trace callback, BEGIN and COMMIT included), every round trip on
Postgres (libpq's trace of the protocol: each simple Query and each Sync that ends
an extended-protocol exchange is one wait for the server)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counted(engine):
    """Yields a list that holds, once the block ends, the SQL (SQLite) or the
    protocol messages (Postgres) the engine's connections sent inside the block."""
    sent: list[str] = []
    pg = engine.dialect.name == "postgresql"
    trace = tempfile.NamedTemporaryFile("w+b", delete=False) if pg else None

    def on_checkout(dbapi_conn, _record, _proxy):
        if pg:
            from psycopg import pq

            dbapi_conn.pgconn.trace(trace.fileno())
            dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        else:
            dbapi_conn.set_trace_callback(sent.append)

    def on_checkin(dbapi_conn, _record):
        if pg:
            dbapi_conn.pgconn.untrace()
        else:
            dbapi_conn.set_trace_callback(None)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)
        if pg:
            trace.close()
            with open(trace.name, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) > 2 and parts[0] == "F" and parts[2].split(" ")[0] in ("Query", "Sync"):
                        sent.append(parts[2])
            os.unlink(trace.name)


def round_trips(sent: list[str]) -> int:
    return len(sent)
