"""Engines, sessions and migrations, the same code on SQLite and Postgres.

SQLite (one counter): WAL, a busy timeout, and writes in ``BEGIN IMMEDIATE`` so two
writers queue instead of failing halfway. Postgres (many counters): row locks where
an account is debited and a retry on serialization failures and deadlocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from store.config import database_url
from store.schema import MIGRATIONS_DIR, VERSION_TABLE, head_revision  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseError(Exception):
    """A database problem worth one clear line to the user."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            from store.files import create_private

            create_private(path)  # owner-only from the start: it holds every customer
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        _tune_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip per checkout, and the counter checks out a
    # connection per keypress. Recycling old connections covers server restarts.
    # LIFO: the connection used last is used next, so the statements the counter's
    # hot paths prepared on it are there (a FIFO pool rotates through cold ones).
    return create_engine(url, echo=echo, pool_recycle=1800, pool_size=5, max_overflow=5, pool_use_lifo=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is lazy).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: each statement reads on its own (see read_session)
            conn.exec_driver_sql(f"BEGIN {mode}")


# --- migrations ------------------------------------------------------------
#
# Opening a database only compares its alembic_version row with the head revision,
# both read without importing alembic (a tenth of a second the counter's start and
# every command would pay); alembic is imported when there is something to migrate.


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: no schema yet), by plain SQL."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, VERSION_TABLE):
            return None
        versions = [row[0] for row in conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")]
    if len(versions) > 1:  # pragma: no cover - branched: alembic says what that means
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return versions[0] if versions else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def open_engine(url: str | None = None, *, auto_upgrade: bool | None = None) -> Engine:
    """The engine for ``url``, with its schema at head.

    An SQLite file upgrades itself on open; a Postgres database is upgraded by
    ``dealerdesk db upgrade`` (many counters share it, so one person decides when).
    """
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the database {engine.url!r}: {exc.orig}") from exc
    if current == head_revision():
        return engine
    if auto_upgrade is None:
        auto_upgrade = is_sqlite(engine)
    if not auto_upgrade:
        raise DatabaseError(
            f"the database is at schema {current or 'empty'}, this dealerdesk needs {head_revision()}: "
            "run `dealerdesk db upgrade`"
        )
    upgrade(engine)
    return engine


# --- sessions --------------------------------------------------------------


@contextmanager
def read_session(engine: Engine, *, snapshot: bool = True) -> Iterator[Session]:
    """A session for reading. ``snapshot=False`` reads each statement on its own
    (autocommit on Postgres: no BEGIN/ROLLBACK round trips), for the counter's
    per-keypress lookups."""
    from sqlmodel import Session  # with the models: the counter paints its first screen without them

    _guard_text(Session)
    bind = _statement_reads(engine) if not snapshot else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A plain connection reading each statement on its own, for the read paths
    written in SQL (the lookup): no ORM session, so a one-shot command such as
    ``dealerdesk lookup`` never imports the ORM (a tenth of a second)."""
    with _statement_reads(engine).connect() as conn:
        yield conn


def as_connection(source: Session | Connection) -> Connection:
    """The connection under a session, or the connection itself."""
    return source if isinstance(source, Connection) else source.connection()


def _statement_reads(engine: Engine) -> Engine:
    """The engine reading each statement on its own: no BEGIN/ROLLBACK around a
    keypress's statements (autocommit on Postgres; on SQLite no explicit
    transaction, the driver's own being off). Made once per engine: making it
    registers event listeners, which cost as much as a lookup's query."""
    reads = engine.__dict__.get("_dealerdesk_statement_reads")
    if reads is None:
        reads = (engine.execution_options(sqlite_begin=None) if is_sqlite(engine)
                 else engine.execution_options(isolation_level="AUTOCOMMIT"))
        engine.__dict__["_dealerdesk_statement_reads"] = reads
    return reads


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its first statement on
    SQLite (BEGIN IMMEDIATE); commits on success, rolls back on error."""
    from sqlmodel import Session

    _guard_text(Session)
    bind = _immediate_writes(engine) if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _immediate_writes(engine: Engine) -> Engine:
    """The SQLite engine whose transactions begin IMMEDIATE, made once per engine (as
    :func:`_statement_reads`: each making costs about what a short write does)."""
    writes = engine.__dict__.get("_dealerdesk_immediate_writes")
    if writes is None:
        writes = engine.execution_options(sqlite_begin="IMMEDIATE")
        engine.__dict__["_dealerdesk_immediate_writes"] = writes
    return writes


def _guard_text(session_class) -> None:
    """Every write holds text to its column's length the same way on both backends
    (:func:`store.validation.check_text`, once per process)."""
    if not getattr(session_class, "_dealerdesk_text_guard", False):
        from store.validation import check_text

        event.listen(session_class, "before_flush", check_text)
        session_class._dealerdesk_text_guard = True


RETRYABLE_PG_CODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_retryable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in RETRYABLE_PG_CODES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def in_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 8) -> T:
    """Run ``work(session)`` in a write transaction, retrying on serialization
    failures and deadlocks (Postgres) or a lock timeout (SQLite)."""
    for attempt in range(attempts):
        try:
            with write_session(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt + 1 >= attempts or not is_retryable(exc):
                raise
            time.sleep(min(0.5, 0.01 * 2**attempt))
    raise AssertionError("unreachable")
