"""Rows from a DMS export into the store: who is which car, which visit is new.

The merge rules (the importers only read files; these decide what the rows mean):

- A vehicle is found by its VIN (车架号) where the row has one, else by its
  normalized plate in this store. A row with a VIN whose plate belongs to a car
  known without a VIN gives that car its VIN. A VIN not seen before is a new car.
- One plate, one car at a time. Owners keep their plate when they sell a car on,
  so a row whose plate another car holds (another VIN) is a plate on the move:
  it goes to the newer car, the one seen with it last. A car's day is the latest
  of its visit dates and its purchase date, from the database and the rows so
  far; the row's day is its own visit or purchase date. The car already holding
  the plate keeps it only when its day is later than the row's; on the same day,
  or when either has no date, the row arriving now is the newer car (an export is
  the DMS as it is today). The other car gives the plate up: it keeps its history
  under its VIN, holds no plate, and is marked plate moved on 车牌已转出
  (``former_plate``, ``plate_moved_on``: the newer car's day, else the import's
  day), still found by the lookup under that plate after the car that holds it.
  Each move is told per row (:class:`PlateMove`); importing again moves nothing.
- The same car on many rows is one vehicle; the later row updates it (for a
  visits export "later" means the later visit, so an old export imported after a
  newer one does not put back an old plate or owner).
- A customer (客户/车主) is found in the store by phone; without a phone, by name
  on that vehicle. A customer known by phone is not renamed by a later row unless
  they had no name.
- A visit (工单) is known by (store, RO number): the same file twice, or an
  export that overlaps the last one, adds nothing twice. A changed visit is
  updated; the vehicle's mileage follows its latest visit. A status cell that says
  the RO was cancelled (作废, 取消, 撤销) cancels it, for good: a later row without
  it does not bring it back (its points are taken back by store.points.sync_visits).

Batches are written with the driver's bulk paths (COPY on Postgres, executemany
on SQLite) inside the caller's transaction; nothing here commits. On Postgres a
batch that may hold visits the store has is merged by the server from a staging
table (INSERT … ON CONFLICT). A re-import's known rows never reach this module:
the reading thread finds them (:class:`KnownRows`), and while it does the writer
may take the whole store in hand (:meth:`Ingest.hold_store`). A table the import
grew by a tenth is analyzed before the commit (:meth:`Ingest._analyze`).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from store.access import Actor, require_importer
from store.clock import now, today
from store.lookup import pinyin_forms, terms_for
from store.pii import encrypt_id_number
from store.models import ImportJournal

SQLITE_CACHE_KIB = 128 * 1024
SQLITE_SORT_THREADS = 2
SQLITE_ANALYSIS_LIMIT = 1000  # rows of each index ANALYZE reads (SQLite's own advice for PRAGMA optimize)
PG_INDEX_BUILD_MEMORY = "256MB"
VISIT_COLUMNS = ("vehicle_id", "date_in", "settled_on", "repair_type", "repair_type_raw", "mileage", "labour_fen",
                 "parts_fen", "oil_fen", "accessories_fen", "total_fen", "sa_name", "status")


@dataclass(frozen=True)
class PlateMove:
    """A plate this import moved: since ``row`` of the file, ``plate`` is on the car
    ``holder_vin``, and the car ``moved_on_vin`` (None: a car known by its plate
    alone) keeps its history marked plate moved on, from ``on``."""

    row: int
    plate: str
    holder_vin: str | None
    moved_on_vin: str | None
    on: date

    def as_dict(self) -> dict:
        return {"row": self.row, "plate": self.plate, "holder_vin": self.holder_vin,
                "moved_on_vin": self.moved_on_vin, "on": self.on.isoformat()}


class _NewCar:
    """A car first seen in this batch, until it has its id."""

    __slots__ = ("vin", "id", "day")

    def __init__(self, vin: str | None) -> None:
        self.vin, self.id, self.day = vin, None, None


@dataclass
class IngestCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    vehicles_created: int = 0
    vehicles_updated: int = 0
    customers_created: int = 0

    def add(self, other: IngestCounts) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)


class _Db:
    """The transaction's own driver connection, for the bulk paths."""

    def __init__(self, session: Session | None = None, *, connection: Connection | None = None) -> None:
        if session is not None:
            session.flush()
            connection = session.connection()
        self.conn = connection
        self.pg = self.conn.dialect.name == "postgresql"
        self.raw = self.conn.connection.driver_connection
        self.stamp = now()
        if not self.pg and session is not None:
            # Index pages for a big batch stay in memory instead of spilling to the WAL
            # mid-transaction (SQLite's default cache is 2 MiB): twice as fast here.
            self.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.pg else text

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.raw.cursor()
        try:
            cur.execute(self.sql(text), tuple(params))
            return cur.fetchall()
        finally:
            cur.close()

    def execute(self, text: str, params: Sequence[Any] = ()) -> None:
        cur = self.raw.cursor()
        try:
            cur.execute(self.sql(text), tuple(params))
        finally:
            cur.close()

    def many(self, text: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cur = self.raw.cursor()
        try:
            cur.executemany(self.sql(text), rows)
        finally:
            cur.close()

    def any_of(self, column: str, values: list) -> tuple[str, list]:
        """``column IN (values)`` as one parameter, however many values. On Postgres
        the values go as one text split by the server (psycopg dumping a list of
        20,000 values as an array took longer than the query), as a set the planner
        joins to the index one value at a time: given ``= ANY(array)`` it read the
        whole store's rows and filtered them (290 ms for 20,000 ROs of a 1.1M-visit
        store, against 100 ms; and growing with the store, not the batch)."""
        if self.pg:
            if values and all(isinstance(v, int) for v in values):
                return f"{column} IN (SELECT unnest(string_to_array(?, ',')::bigint[]))", [",".join(map(str, values))]
            # Unit separator: imported text never holds a control character (store.validation).
            return f"{column} IN (SELECT unnest(string_to_array(?, chr(31))))", ["\x1f".join(values)]
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values), ensure_ascii=False)]

    def each_of(self, ids: list[int]) -> tuple[str, list]:
        """A FROM source ``k`` of the integers ``ids``, one row each (``k.value``)."""
        if self.pg:
            return "unnest(string_to_array(?, ',')::bigint[]) AS k(value)", [",".join(map(str, ids))]
        return "json_each(?) AS k", [json.dumps(ids)]

    def insert(self, table: str, cols: Sequence[str], rows: Iterable[tuple], fixed: dict[str, Any] | None = None
               ) -> None:
        """SQLite's bulk path: one prepared INSERT, executemany. ``fixed`` columns are
        the same on every row: bound once, not once per row."""
        fixed = fixed or {}
        names = ", ".join([*cols, *fixed])
        marks = ", ".join(["?"] * len(cols) + [_literal(v) for v in fixed.values()])
        self.raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def insert_frame(self, table: str, frame: pl.DataFrame, fixed: dict[str, Any] | None = None) -> None:
        """Insert a frame whose columns are the table's (``fixed``: more columns, the
        same value on every row). On Postgres polars writes the CSV and COPY reads it
        (no Python object per cell: several times faster than a row at a time); on
        SQLite, executemany, a slice of rows at a time (the driver's tuples for a
        whole batch would be most of the import's memory)."""
        if frame.is_empty():
            return
        if not self.pg:
            for start in range(0, frame.height, 50_000):
                self.insert(table, frame.columns, _tuples(self, frame.slice(start, 50_000), frame.columns), fixed)
            return
        if fixed:
            frame = frame.with_columns(pl.lit(v).alias(k) for k, v in fixed.items())
        buf = io.BytesIO()
        frame.write_csv(buf, include_header=False, null_value=r"\N")
        with self.raw.cursor() as cur:
            with cur.copy(f'COPY "{table}" ({", ".join(frame.columns)}) FROM STDIN '
                          r"WITH (FORMAT csv, NULL '\N')") as copy:
                copy.write(buf.getvalue())

    def update_frame(self, table: str, frame: pl.DataFrame, key: str = "id") -> None:
        """``UPDATE table SET <the other columns> WHERE key = ...`` for each row of
        ``frame``; on Postgres through a temporary table filled by COPY."""
        if frame.is_empty():
            return
        cols = [c for c in frame.columns if c != key]
        if not self.pg:
            self.many(f'UPDATE "{table}" SET {", ".join(f"{c} = ?" for c in cols)} WHERE {key} = ?',
                      _tuples(self, frame, (*cols, key)))
            return
        temp = f"_import_{table}"
        self.execute(f'CREATE TEMP TABLE IF NOT EXISTS {temp} AS SELECT {key}, {", ".join(cols)} FROM "{table}" '
                     "WITH NO DATA")
        self.execute(f"TRUNCATE {temp}")
        self.insert_frame(temp, frame.select(key, *cols))
        self.execute(f'UPDATE "{table}" AS t SET {", ".join(f"{c} = u.{c}" for c in cols)} FROM {temp} AS u '
                     f"WHERE t.{key} = u.{key}")
        self.execute(f"DROP TABLE {temp}")

    def new_ids(self, table: str, n: int) -> list[int]:
        """Ids for ``n`` new rows. Postgres hands them out from the sequence; on SQLite
        the write lock (BEGIN IMMEDIATE) is held, so max(id)+1 onwards is ours."""
        if n <= 0:
            return []
        if self.pg:
            return [r[0] for r in self.rows(
                f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) FROM generate_series(1, ?)", [n])]
        start = (self.rows(f'SELECT MAX(id) FROM "{table}"')[0][0] or 0) + 1
        return list(range(start, start + n))

    # values as the driver wants them
    def moment(self) -> Any:
        return self.stamp if self.pg else self.stamp.strftime("%Y-%m-%d %H:%M:%S.%f")


def _literal(value: Any) -> str:
    """An int or a plain word as an SQL literal (for :meth:`_Db.insert`'s fixed columns)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"not a fixed column value: {value!r}")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _chunks(values: list, size: int = 20_000) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


V_SCHEMA: dict[str, pl.DataType] = {
    "vehicle_id": pl.Int64, "plate": pl.String, "plate_raw": pl.String, "vin": pl.String, "model": pl.String,
    "colour": pl.String, "purchase_date": pl.Date, "warranty_end": pl.Date, "insurance_expiry": pl.Date,
    "region": pl.String, "customer_id": pl.Int64, "mileage": pl.Int64, "inspection_due": pl.Date,
    "former_plate": pl.String, "plate_moved_on": pl.Date, "newest": pl.Date,
}
V_ATTRS = ("plate", "plate_raw", "model", "colour", "purchase_date", "warranty_end", "insurance_expiry", "region",
           "inspection_due")
C_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64, "name": pl.String, "phone": pl.String, "gender": pl.String, "birthday": pl.Date,
    "address": pl.String, "c_region": pl.String, "has_id": pl.Int64,
}
C_DETAILS = ("gender", "birthday", "address", "c_region")
# has_id: whether the customer's ID number is on file (kept encrypted, see store.pii).


def _frame(db: _Db, rows: list[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Driver rows as a frame (SQLite hands dates back as text)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    if db.pg:
        return pl.DataFrame(rows, schema=schema, orient="row")
    as_text = {k: (pl.String if v == pl.Date else v) for k, v in schema.items()}
    dates = [k for k, v in schema.items() if v == pl.Date]
    return pl.DataFrame(rows, schema=as_text, orient="row").with_columns(
        pl.col(d).str.slice(0, 10).str.to_date() for d in dates)


def _tuples(db: _Db, frame: pl.DataFrame, cols: Sequence[str]) -> list[tuple]:
    """Rows as the driver takes them (dates as ISO text on SQLite)."""
    frame = frame.select(cols)
    if not db.pg:
        frame = frame.with_columns(pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Date)
    return frame.rows()


def _mapping(keys: Iterable, table: dict) -> dict:
    return {k: table[k] for k in keys if k in table}


class Ingest:
    """One file's rows into the store, batch after batch, in the caller's transaction.

    What the file has already told us (which key is which car, each car's and
    owner's current values) is kept between batches, so a car seen on many rows
    is looked up once and compared in columns, not row by row. The state grows
    with the number of cars and customers, not with the number of rows."""

    def __init__(self, session: Session, *, store_id: int, kind: str) -> None:
        self.session, self.store_id, self.kind = session, store_id, kind
        self.db = _Db(session)
        self.by_vin: dict[str, int] = {}
        self.by_plate: dict[str, int] = {}
        self.vin_of: dict[int, str | None] = {}
        self.seen_vins: set[str] = set()
        self.seen_plates: set[str] = set()
        self.vstate = pl.DataFrame(schema=V_SCHEMA)
        self.by_phone: dict[str, int] = {}
        self.seen_phones: set[str] = set()
        self.customer_ids: set[int] = set()
        self.cstate = pl.DataFrame(schema=C_SCHEMA)
        self.counts = IngestCounts()
        self.km_dirty: set[int] = set()
        self.to_index: set[int] = set()  # cars whose search terms are written at the end
        self.created: set[int] = set()  # cars this import made (no terms to delete)
        self.dropped: list[str] = []
        # One plate, one car: each car's latest day in this import's rows, each car's
        # day from the database (asked for when its plate is contested), the cars
        # that gave a plate up in the batch in hand, and the moves told at the end.
        self.seen_on: dict[int, date] = {}
        self.db_day: dict[int, date | None] = {}
        self.vstate_days: dict[int, date | None] | None = None  # each car in hand's latest day, per batch
        self.losing: dict = {}  # car -> (plate, the newer car's day or None, row, the newer car)
        self.moves: dict[int, tuple[int, str, date]] = {}  # car marked plate moved on -> (row, plate, day)
        self.plate_moves: list[PlateMove] = []
        # A VIN is one car of the group, in the store that first had it: another store's
        # rows of that car are recorded in this store by their plate, without the VIN,
        # so one store's import never takes over another store's car and its owner.
        self.vins_checked: set[str] = set()
        self.vins_elsewhere: dict[str, str] = {}  # VIN -> the store (code) holding it
        self.rows_vin_elsewhere = 0  # rows recorded by plate for that reason
        self.other_stores_have_cars = False
        # What the store held when the import began. Into a store without cars (or
        # customers, or visits) the database holds of it only what this import wrote,
        # which is in hand: its rows are matched in memory, not looked up row batch
        # after row batch (a group's first load is nothing but such imports).
        self.cars_before = self._store_has("vehicle")
        self.customers_before = self._store_has("customer")
        self.store_in_hand = False  # every car and customer of the store loaded (hold_store)
        self.visits_before = self._store_has("visit")
        self.touched_ros = _SeenKeys()  # every RO this import has written
        deferred = self._defer_indexes(("visit", "searchterm") if kind == "visits" else ("searchterm",))
        # A Postgres first load (visit's keys deferred): the cars it makes are written once,
        # with their final values, when the file is done, not inserted and then updated
        # batch after batch as later rows of the same cars come (a car has many visits).
        self.cars_at_end = self.db.pg and "visit" in deferred
        if self.cars_at_end:
            self._defer_indexes(("vehicle",))
        self.unwritten: set[int] = set()  # cars made by this import, not yet written (cars_at_end)
        self.sizes_before = self._table_sizes()
        # Search terms need pypinyin's dictionaries (a quarter of a second to load): loaded
        # now, while the writer waits for the reader's first batch.
        threading.Thread(target=pinyin_forms, args=("张",), name="import-pinyin", daemon=True).start()

    def _store_has(self, table: str) -> bool:
        return bool(self.db.rows(f'SELECT 1 FROM "{table}" WHERE store_id = ? LIMIT 1', [self.store_id]))

    def _defer_indexes(self, tables: Sequence[str]) -> set[str]:
        """The first import into an empty table builds its secondary indexes (and, on
        Postgres, checks its foreign keys) once at the end instead of row by row:
        about twice as fast on SQLite; on Postgres a visit's indexes and keys cost a
        COPY 9.5x a plain table's. Only when the table is empty (the rebuild then
        costs only our rows, and there is nothing a counter could be reading). The
        DDL is part of the file's transaction on both backends: a killed import
        rolls it back with the rows. Unique constraints stay: they are the rules.
        On Postgres the table is locked until the commit, which for a first load
        (an empty table) keeps nobody from anything they had. Returns the tables
        deferred."""
        deferred: set[str] = set()
        for table in tables:
            if self.db.rows(f'SELECT 1 FROM "{table}" LIMIT 1'):
                continue
            deferred.add(table)
            if not self.db.pg:
                for name, sql in self.db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                              "AND tbl_name = ? AND sql IS NOT NULL", [table]):
                    self.db.execute(f'DROP INDEX "{name}"')
                    self.dropped.append(sql)
                continue
            for name, ddl in self.db.rows(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = to_regclass(?) AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", [table]):
                self.db.execute(f'DROP INDEX "{name}"')
                self.dropped.append(ddl)
            for name, ddl in self.db.rows("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                          "WHERE conrelid = to_regclass(?) AND contype = 'f'", [table]):
                self.db.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                self.dropped.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {ddl}')
        return deferred

    def finish(self) -> None:
        """Write what was kept for the end: the mileage of cars seen again, the search
        terms of new and changed cars, and any index deferred by :meth:`_defer_indexes`;
        then the statistics of any table the import grew by a tenth (:meth:`_analyze`)."""
        self._write_cars_made()
        self._write_terms()
        self.plate_moves = sorted(
            (PlateMove(row, plate, self.vin_of.get(self.by_plate.get(plate)), self.vin_of.get(vid), day)
             for vid, (row, plate, day) in self.moves.items()), key=lambda m: (m.row, m.plate))
        if self.km_dirty:
            self.db.update_frame("vehicle", self.vstate.filter(pl.col("vehicle_id").is_in(sorted(self.km_dirty)))
                                 .select(pl.col("vehicle_id").alias("id"), "mileage",
                                         pl.lit(self.db.moment()).alias("updated_at")))
            self.km_dirty.clear()
        if self.dropped and self.db.pg:
            # An index build sorts in memory up to this; for this transaction only.
            self.db.execute(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_BUILD_MEMORY}'")
            for sql in self.dropped:
                self.db.execute(sql)
        elif self.dropped:
            # SQLite may sort an index build's keys with helper threads (off by default).
            self.db.execute(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
            try:
                for sql in self.dropped:
                    self.db.execute(sql)
            finally:
                self.db.execute("PRAGMA threads = 0")
        self.dropped.clear()
        self._analyze()

    # The tables an import grows, and what it counts of each.
    _GROWN = {"visit": "inserted", "vehicle": "vehicles_created", "customer": "customers_created",
              "searchterm": "vehicles_created"}
    ANALYZE_SHARE = 0.1  # a table grown by this share of its rows gets its statistics again
    ANALYZE_ROWS = 1_000  # and by at least this many rows

    def _table_sizes(self) -> dict[str, float]:
        """About how many rows each table held when the import began (Postgres's own
        estimate; SQLite's highest id): to know afterwards whether it grew much."""
        if self.db.pg:
            sizes = {t: max(0.0, float(n)) for t, n in self.db.rows(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('visit', 'vehicle', 'customer') "
                "AND relkind = 'r' AND relnamespace = to_regnamespace(current_schema())")}
        else:
            sizes = {t: float(self.db.rows(f'SELECT max(id) FROM "{t}"')[0][0] or 0)
                     for t in ("visit", "vehicle", "customer")}
        # The search terms grow with the cars (a dozen or so each), and are counted in cars.
        sizes["searchterm"] = sizes.get("vehicle", 0.0)
        return sizes

    def _analyze(self) -> None:
        """Statistics again for each table this import grew by a tenth or more, inside
        the file's transaction: the planner otherwise plans the next queries (the
        points sync after this file, the next import's merge, a counter's lookups) for
        the table as it was. A weekly re-import into a store just loaded took 18.5 s
        without, 12.6 s with. Postgres's ANALYZE samples (0.75 s for a million visits);
        SQLite's is held to a sample by ``analysis_limit`` (5 ms)."""
        grew = [t for t, field in self._GROWN.items() if (n := getattr(self.counts, field)) >= self.ANALYZE_ROWS
                and n >= self.ANALYZE_SHARE * self.sizes_before.get(t, 0.0)]
        if not grew:
            return
        if self.db.pg:
            self.db.execute(f"ANALYZE {', '.join(grew)}")
            return
        self.db.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        try:
            for table in grew:
                self.db.execute(f'ANALYZE "{table}"')
        finally:
            self.db.execute("PRAGMA analysis_limit = 0")

    def _write_cars_made(self) -> None:
        """The cars this import made, as they are now (:attr:`cars_at_end`), in id order."""
        if not self.unwritten:
            return
        stamp = self.db.moment()
        cars = self.vstate.filter(pl.col("vehicle_id").is_in(sorted(self.unwritten))).sort("vehicle_id")
        for start in range(0, cars.height, 200_000):
            self.db.insert_frame("vehicle", cars.slice(start, 200_000).select(
                pl.col("vehicle_id").alias("id"), *_CAR_COLUMNS, pl.lit(self.store_id).alias("store_id"),
                pl.lit(stamp).alias("created_at"), pl.lit(stamp).alias("updated_at")))
        self.unwritten.clear()

    # --- what the database already knows -------------------------------------------

    _VCOLS = ("id, plate, plate_raw, vin, model, colour, purchase_date, warranty_end, insurance_expiry, region, "
              "customer_id, mileage, inspection_due, former_plate, plate_moved_on")
    _CCOLS = ("id, name, phone, gender, birthday, address, region, "
              "CASE WHEN id_number_enc IS NULL THEN 0 ELSE 1 END")

    def _load_vehicles(self, vins: list[str], plates: list[str]) -> None:
        db = self.db
        vins = [v for v in vins if v not in self.seen_vins]
        plates = [p for p in plates if p not in self.seen_plates]
        self.seen_vins.update(vins)
        self.seen_plates.update(plates)
        if not self.cars_before or self.store_in_hand:
            return  # the store's only cars are this import's, or every car is in hand
        found: dict[int, tuple] = {}
        for chunk in _chunks(vins):
            cond, params = db.any_of("vin", chunk)
            for r in db.rows(f"SELECT {self._VCOLS} FROM vehicle WHERE store_id = ? AND {cond}",
                             [self.store_id, *params]):
                found[r[0]] = r
        # A plate held by a car found by its VIN is that car's (one plate, one car):
        # only the other plates are looked up (most rows have a VIN).
        held = {r[1] for r in found.values() if r[1]}
        for chunk in _chunks([p for p in plates if p not in held]):
            cond, params = db.any_of("plate", chunk)
            for r in db.rows(f"SELECT {self._VCOLS} FROM vehicle WHERE store_id = ? AND {cond}",
                             [self.store_id, *params]):
                found[r[0]] = r
        self._hold_vehicles([found[i] for i in sorted(found) if i not in self.vin_of])

    def _hold_vehicles(self, rows: list[tuple], newest: dict[int, object] | None = None) -> None:
        """Cars from the database (:attr:`_VCOLS`, in id order) into the state in hand,
        with each one's newest visit (``newest`` when known) and its owner."""
        db = self.db
        if not rows:
            return
        claimed = set(self.by_plate)  # a plate this import gave a car keeps it
        for r in rows:
            vid, plate, vin = r[0], r[1], r[3]
            self.vin_of[vid] = vin
            if vin:
                self.by_vin.setdefault(vin, vid)
            if plate and plate not in claimed:
                self.by_plate[plate] = vid  # by id: the newest car holding a plate wins it
        if newest is None and self.kind == "visits":
            newest = {}  # as the driver gives it; _frame makes it a date
            for chunk in _chunks([r[0] for r in rows]):
                # One index descent per car on (vehicle_id, date_in), not every visit of it.
                source, params = db.each_of(chunk)
                for vid, day in db.rows(f"SELECT k.value, (SELECT MAX(date_in) FROM visit WHERE vehicle_id = k.value) "
                                        f"FROM {source}", params):
                    if day is not None:
                        newest[vid] = day
        newest = newest or {}
        loaded = _frame(db, [(*r, newest.get(r[0])) for r in rows], V_SCHEMA)
        self.vstate = pl.concat([self.vstate, loaded])
        self._load_customers_by_id([r[10] for r in rows if r[10] is not None])

    def hold_store(self, most_cars: int) -> bool:
        """Every car and customer of the store in hand at once, if it has at most
        ``most_cars`` cars: the pipeline asks while the writer would only wait (a weekly
        re-import: the reader leaves most rows out as unchanged, and the new ones come
        last), so the new rows' cars are then matched in memory, not looked up batch by
        batch when they come. One pass over each table; the same state a car's own
        lookup gives, so the rules decide as they would."""
        if self.store_in_hand or not self.cars_before:
            return False
        if self.db.rows("SELECT count(*) FROM vehicle WHERE store_id = ?", [self.store_id])[0][0] > most_cars:
            return False
        # The customers first: each phone's oldest customer is the one (as by phone).
        rows = self.db.rows(f"SELECT {self._CCOLS} FROM customer WHERE store_id = ? ORDER BY id", [self.store_id])
        for r in rows:
            if r[2] is not None:
                self.by_phone.setdefault(r[2], r[0])
        self._add_customers(rows)
        cars = self.db.rows(f"SELECT {self._VCOLS} FROM vehicle WHERE store_id = ? ORDER BY id", [self.store_id])
        newest = None
        if self.kind == "visits" and self.db.pg:
            # Postgres aggregates the store's visits in one pass (0.35 s for a million) faster
            # than it descends the index once per car (0.75 s for 125,000); SQLite the other way.
            newest = dict(self.db.rows("SELECT vehicle_id, max(date_in) FROM visit WHERE store_id = ? "
                                       "GROUP BY vehicle_id", [self.store_id]))
        self._hold_vehicles([r for r in cars if r[0] not in self.vin_of], newest)
        self.store_in_hand = True
        return True

    def _add_customers(self, rows: list[tuple]) -> None:
        rows = [r for r in rows if r[0] not in self.customer_ids]
        if rows:
            self.customer_ids.update(r[0] for r in rows)
            self.cstate = pl.concat([self.cstate, _frame(self.db, rows, C_SCHEMA)])

    def _load_customers_by_id(self, ids: list[int]) -> None:
        ids = sorted({i for i in ids if i not in self.customer_ids})
        for chunk in _chunks(ids):
            cond, params = self.db.any_of("id", chunk)
            self._add_customers(self.db.rows(f"SELECT {self._CCOLS} FROM customer WHERE {cond}", params))

    def _load_customers_by_phone(self, phones: list[str]) -> None:
        phones = [p for p in phones if p not in self.seen_phones]
        self.seen_phones.update(phones)
        if not self.customers_before or self.store_in_hand:
            return  # the store's only customers are this import's, or every customer is in hand
        for chunk in _chunks(phones):
            cond, params = self.db.any_of("phone", chunk)
            rows = self.db.rows(f"SELECT {self._CCOLS} FROM customer WHERE store_id = ? AND {cond} ORDER BY id",
                                [self.store_id, *params])
            for r in rows:
                self.by_phone.setdefault(r[2], r[0])  # the oldest customer with a phone is the one
            self._add_customers(rows)

    # --- which car is each row ----------------------------------------------------------

    def _resolve(self, pairs: pl.DataFrame) -> tuple[list[int], set[int]]:
        """A vehicle id per (vin, plate) pair, in order; new cars get fresh ids.

        Most pairs of a later batch are cars already known by the same keys: those
        are answered in columns, and only the rest (new cars, a VIN or plate that
        moves, and any pair sharing a plate with one of those) go through the rules
        one by one, in file order, as before."""
        known = self._known(pairs)
        slow = known.is_null()
        if slow.any():
            touched = pairs.filter(slow)["plate"].drop_nulls().unique().implode()
            slow = slow | pairs["plate"].is_in(touched).fill_null(False)
        if not slow.any():
            return known.to_list(), set()
        todo = pairs.filter(slow)
        ids, new_ids = self._resolve_one_by_one(todo)
        if slow.all():
            return ids, new_ids
        out = known.scatter(slow.arg_true(), pl.Series(ids, dtype=pl.Int64))
        return out.to_list(), new_ids

    def _known(self, pairs: pl.DataFrame) -> pl.Series:
        """Per pair, the car it is already (null where the rules must decide): a known
        VIN whose plate (if any) already points at that car; no VIN and a known plate."""
        if not self.by_vin and not self.by_plate:
            return pl.Series("vehicle_id", [None] * pairs.height, pl.Int64)
        vins = pl.DataFrame({"vin": list(self.by_vin), "v_id": list(self.by_vin.values())},
                            schema={"vin": pl.String, "v_id": pl.Int64})
        plates = pl.DataFrame({"plate": list(self.by_plate), "p_id": list(self.by_plate.values())},
                              schema={"plate": pl.String, "p_id": pl.Int64})
        j = pairs.with_row_index("_i").join(vins, on="vin", how="left").join(plates, on="plate", how="left").sort("_i")
        return j.select(
            pl.when(pl.col("vin").is_not_null())
            .then(pl.when(pl.col("plate").is_null() | (pl.col("p_id") == pl.col("v_id"))).then(pl.col("v_id")))
            .otherwise(pl.col("p_id")).alias("vehicle_id"))["vehicle_id"]

    def _resolve_one_by_one(self, pairs: pl.DataFrame) -> tuple[list[int], set[int]]:
        pending: list[_NewCar] = []  # new cars, until they have ids
        out: list[object] = []
        self.vstate_days = None
        for vin, plate, day, row in pairs.select("vin", "plate", "day", "row").iter_rows():
            if vin:
                vid = self.by_vin.get(vin)
                if vid is None:
                    held = self.by_plate.get(plate) if plate else None
                    if held is not None and self._vin(held) is None:
                        vid = held  # the same car, known so far without its VIN
                        self._set_vin(held, vin)
                    else:
                        vid = _NewCar(vin)
                        pending.append(vid)
                    self.by_vin[vin] = vid
                if plate:
                    held = self.by_plate.get(plate)
                    if held is None or held == vid:  # ids are ints: compared by value
                        self.by_plate[plate] = vid
                    else:
                        self._contest(plate, vid, held, day, row)
            else:
                vid = self.by_plate.get(plate)
                if vid is None:
                    vid = _NewCar(None)
                    pending.append(vid)
                    self.by_plate[plate] = vid
            self._saw(vid, day)
            out.append(vid)
        ids = self.db.new_ids("vehicle", len(pending))
        for record, real in zip(pending, ids):
            record.id = real
            self.vin_of[real] = record.vin
            if record.day is not None:
                self.seen_on[real] = record.day
        if pending:  # only this batch's keys can hold a record still
            for vin, plate in pairs.select("vin", "plate").iter_rows():
                for table, key in ((self.by_vin, vin), (self.by_plate, plate)):
                    value = table.get(key)
                    if isinstance(value, _NewCar):
                        table[key] = value.id
            self.losing = {_real(k): (plate, day, row, _real(newer))
                           for k, (plate, day, row, newer) in self.losing.items()}
        return [_real(v) for v in out], set(ids)

    def _contest(self, plate: str, newcomer, holder, day: date | None, row: int) -> None:
        """Another car holds ``plate``: the newer car takes it (see the module's rules)."""
        held_day = self._day(holder)
        if day is not None and held_day is not None and held_day > day:
            self.losing[newcomer] = (plate, held_day, row, holder)
            return
        self.by_plate[plate] = newcomer
        self.losing[holder] = (plate, day, row, newcomer)
        if self.losing.get(newcomer, (None,))[0] == plate:
            del self.losing[newcomer]  # it had lost this plate earlier in the batch: it takes it back
        if not isinstance(newcomer, _NewCar) and self.moves.get(newcomer, (0, None))[1] == plate:
            del self.moves[newcomer]

    def _saw(self, vid, day: date | None) -> None:
        if day is None:
            return
        if isinstance(vid, _NewCar):
            vid.day = day if vid.day is None else max(vid.day, day)
        else:
            self.seen_on[vid] = max(self.seen_on.get(vid, day), day)

    def _day(self, vid) -> date | None:
        """The latest day a car was seen: its visits and purchase date in the
        database, and this import's rows so far."""
        if isinstance(vid, _NewCar):
            return vid.day
        if vid not in self.db_day:
            if self.vstate_days is None:  # once per batch, for every car in hand
                self.vstate_days = dict(zip(self.vstate["vehicle_id"].to_list(), self.vstate.select(
                    pl.max_horizontal("newest", "purchase_date"))[:, 0].to_list()))
            days = []
            in_hand = vid in self.vstate_days
            if in_hand and self.vstate_days[vid] is not None:
                days.append(self.vstate_days[vid])
            if self.kind != "visits" or not in_hand:  # a vehicles import loads no visit dates
                last = self.db.rows("SELECT MAX(date_in) FROM visit WHERE vehicle_id = ?", [vid])[0][0]
                if last is not None:
                    days.append(last if isinstance(last, date) else date.fromisoformat(str(last)[:10]))
            self.db_day[vid] = max(days) if days else None
        days = [d for d in (self.db_day[vid], self.seen_on.get(vid)) if d is not None]
        return max(days) if days else None

    def _vin(self, vid) -> str | None:
        return vid.vin if isinstance(vid, _NewCar) else self.vin_of.get(vid)

    def _set_vin(self, vid, vin: str) -> None:
        if isinstance(vid, _NewCar):
            vid.vin = vin
        else:
            self.vin_of[vid] = vin

    # --- one batch -------------------------------------------------------------------

    def summary(self, valid_rows: int) -> IngestCounts:
        """The file's counts; for a vehicles export the rows are cars, so inserted,
        updated and unchanged count cars."""
        counts = IngestCounts(**asdict(self.counts))
        return _as_rows(counts, valid_rows) if self.kind == "vehicles" else counts

    def add(self, rows: pl.DataFrame, *, unchanged: int | None = None) -> IngestCounts:
        """Upsert one batch of typed rows (see importers.parse.TYPED_SCHEMA).
        ``unchanged``: rows of the batch the reader found unchanged in the committed
        database and left out (:class:`KnownRows`); None when it did not look."""
        counts = IngestCounts(unchanged=unchanged or 0)
        if rows.is_empty():
            self.counts.add(counts)
            return counts
        if self.kind == "visits":
            # Rows from the importers carry the fingerprint of their cells as read
            # (importers.parse.fingerprints); rows from elsewhere get one of their values.
            if "row_hash" not in rows.columns:
                rows = rows.with_columns(row_hashes(rows))
            rows = self._skip_known_rows(rows.sort(["date_in", "_row"]), counts, checked=unchanged is not None)
        rows = self._vins_of_other_stores(rows)
        if rows.is_empty():
            self.counts.add(counts)
            return counts
        keyed = self._vehicles(rows, counts)
        if self.kind == "visits":
            self._visits(keyed, counts)
        self.counts.add(counts)
        return counts

    def _vins_of_other_stores(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Rows whose VIN is another store's car lose the VIN: the car is this store's
        by its plate (every row has one: the readers refuse a row without)."""
        if not self.other_stores_have_cars:  # asked again each batch until it is so (cars are not removed)
            self.other_stores_have_cars = bool(self.db.rows(
                "SELECT 1 FROM store s WHERE s.id <> ? AND EXISTS (SELECT 1 FROM vehicle v WHERE v.store_id = s.id)",
                [self.store_id]))
            if not self.other_stores_have_cars:
                return rows  # a store's own database: no VIN can be another store's
        vins = [v for v in rows["vin"].drop_nulls().unique().to_list() if v not in self.vins_checked]
        self.vins_checked.update(vins)
        for chunk in _chunks(vins):
            cond, params = self.db.any_of("v.vin", chunk)
            for vin, code in self.db.rows(f"SELECT v.vin, s.code FROM vehicle v JOIN store s ON s.id = v.store_id "
                                          f"WHERE v.store_id <> ? AND {cond}", [self.store_id, *params]):
                self.vins_elsewhere[vin] = code
        if not self.vins_elsewhere:
            return rows
        elsewhere = pl.col("vin").is_in(list(self.vins_elsewhere))
        self.rows_vin_elsewhere += rows.filter(elsewhere).height
        return rows.with_columns(pl.when(elsewhere).then(None).otherwise(pl.col("vin")).alias("vin"))

    def _skip_known_rows(self, rows: pl.DataFrame, counts: IngestCounts, *, checked: bool) -> pl.DataFrame:
        """Count as unchanged, going no further, every row whose RO holds the same
        fingerprint from an earlier import (an RO on one row of the batch only:
        duplicates take the usual path). The rest carry their fingerprint on, to be
        stored with their visit. A batch the reader ``checked`` against the committed
        database (:class:`KnownRows`) is looked up here only for the ROs this import
        has written since."""
        single = rows.filter(pl.col("ro_number").is_unique())
        if single.is_empty():
            return rows
        ros = single["ro_number"]
        ros = ros.filter(self.touched_ros.holds(ros)) if checked else self._maybe_stored(ros)
        stored: list[tuple] = []
        # In key order: each chunk's index entries are neighbours (2.3x faster at 900,000 ROs).
        for chunk in _chunks(ros.sort().to_list()):
            cond, params = self.db.any_of("ro_number", chunk)
            stored += self.db.rows(f"SELECT ro_number, row_hash FROM visit WHERE store_id = ? AND {cond} "
                                   "AND row_hash IS NOT NULL", [self.store_id, *params])
        if not stored:
            return rows
        known = pl.DataFrame(stored, schema={"ro_number": pl.String, "row_hash": pl.Int64}, orient="row")
        same = single.join(known, on=["ro_number", "row_hash"], how="semi")["_row"]
        counts.unchanged += same.len()
        return rows.filter(~pl.col("_row").is_in(same.implode()))

    def _maybe_stored(self, ros: pl.Series) -> pl.Series:
        """Of these ROs, those the store may hold: in a store that had no visits when the
        import began, only those this import wrote."""
        return ros if self.visits_before else ros.filter(self.touched_ros.holds(ros))

    def _vehicles(self, rows: pl.DataFrame, counts: IngestCounts) -> pl.DataFrame:
        db = self.db
        # Each (VIN, plate) pair once, with the latest day and the last row it is seen on.
        pairs = rows.group_by("vin", "plate", maintain_order=True).agg(
            pl.max_horizontal("date_in", "purchase_date").max().alias("day"), pl.col("_row").last().alias("row"))
        self._load_vehicles(pairs["vin"].drop_nulls().unique().to_list(),
                            pairs["plate"].drop_nulls().unique().to_list())
        self.losing = {}
        ids, new_ids = self._resolve(pairs)
        keyed = rows.join(pairs.select("vin", "plate", pl.Series("vehicle_id", ids, pl.Int64)), on=["vin", "plate"],
                          how="left", nulls_equal=True)
        visits = self.kind == "visits"
        latest = keyed.group_by("vehicle_id", maintain_order=True).agg(
            *(pl.col(a).drop_nulls().last() for a in V_ATTRS),
            *(pl.col(c).drop_nulls().last() for c in ("customer", "phone", "gender", "birthday", "address",
                                                     "id_number")),
            pl.col("region").drop_nulls().last().alias("c_region"),
            pl.col("mileage").drop_nulls().last(),
            pl.col("date_in").max().alias("latest_date"),
            pl.col("date_in").filter(pl.col("mileage").is_not_null()).last().alias("mileage_date"),
        )
        vids = latest["vehicle_id"].to_list()
        latest = latest.with_columns(
            pl.col("vehicle_id").replace_strict(_mapping(vids, self.vin_of), default=None, return_dtype=pl.String)
            .alias("vin"))
        j = latest.join(self.vstate.rename({"former_plate": "former_plate_old", "plate_moved_on": "plate_moved_on_old"}),
                        on="vehicle_id", how="left", suffix="_old")
        j = j.with_columns(pl.col("vehicle_id").is_in(list(new_ids)).alias("is_new"))
        if visits:
            fresh = pl.col("newest").is_null() | (pl.col("latest_date") >= pl.col("newest"))
            km_ok = pl.col("mileage").is_not_null() & (
                pl.col("newest").is_null() | (pl.col("mileage_date") >= pl.col("newest")))
        else:
            fresh = pl.lit(True)
            km_ok = pl.col("mileage").is_not_null()
        j = j.with_columns(fresh.alias("fresh"), km_ok.alias("km_ok"))

        owners, renamed, touched = self._owners(j, counts)
        j = j.join(owners, on="vehicle_id", how="left").rename({"customer_id": "customer_id_old"})
        merged = j.with_columns(
            *(pl.when(pl.col("fresh") & pl.col(a).is_not_null()).then(pl.col(a)).otherwise(pl.col(f"{a}_old"))
              .alias(a) for a in V_ATTRS),
            pl.when(pl.col("fresh") & pl.col("owner").is_not_null()).then(pl.col("owner"))
            .otherwise(pl.col("customer_id_old")).alias("customer_id"),
            pl.when(pl.col("km_ok")).then(pl.col("mileage")).otherwise(pl.col("mileage_old")).alias("mileage"),
            (pl.max_horizontal("newest", "latest_date") if visits else pl.col("newest")).alias("newest"),
        )
        merged = self._plates_moved_on(merged)
        moved = (pl.col("plate").ne_missing(pl.col("plate_old")) | pl.col("vin").ne_missing(pl.col("vin_old"))
                 | pl.col("customer_id").ne_missing(pl.col("customer_id_old")))
        changed = moved | pl.any_horizontal(*(pl.col(a).ne_missing(pl.col(f"{a}_old"))
                                              for a in (*V_ATTRS[1:], "former_plate", "plate_moved_on")))
        km_changed = pl.col("mileage").ne_missing(pl.col("mileage_old"))
        merged = merged.with_columns(moved.alias("moved"), changed.alias("changed"), km_changed.alias("km_changed"))

        stamp = db.moment()
        # A car seen again with only a newer mileage is written once, when the file is done;
        # so is every car this import made, on a Postgres first load (cars_at_end).
        unwritten = pl.col("vehicle_id").is_in(list(self.unwritten))
        km_only = merged.filter(~pl.col("is_new") & ~pl.col("changed") & pl.col("km_changed") & ~unwritten)
        self.km_dirty.update(km_only["vehicle_id"].to_list())
        fresh_rows = merged.filter(pl.col("is_new"))
        if self.cars_at_end:
            self.unwritten.update(fresh_rows["vehicle_id"].to_list())
        else:
            db.insert_frame("vehicle", fresh_rows.select(
                pl.col("vehicle_id").alias("id"), *_CAR_COLUMNS, pl.lit(self.store_id).alias("store_id"),
                pl.lit(stamp).alias("created_at"), pl.lit(stamp).alias("updated_at")))
        counts.vehicles_created += fresh_rows.height
        db.update_frame("vehicle", merged.filter(~pl.col("is_new") & pl.col("changed") & ~unwritten).select(
            pl.col("vehicle_id").alias("id"), *_CAR_COLUMNS, pl.lit(stamp).alias("updated_at")))
        existing = merged.filter(~pl.col("is_new"))
        if visits:
            counts.vehicles_updated += existing.filter(pl.col("changed")).height
        else:
            counts.vehicles_updated += existing.filter(
                pl.col("changed") | pl.col("km_changed") | pl.col("vehicle_id").is_in(list(touched))).height

        batch_state = merged.select(list(V_SCHEMA))
        self.vstate = pl.concat([self.vstate.join(batch_state.select("vehicle_id"), on="vehicle_id", how="anti"),
                                 batch_state])
        self._note_moves(merged.filter(  # newly marked plate moved on
            pl.col("former_plate").is_not_null() & (pl.col("former_plate").ne_missing(pl.col("former_plate_old"))
                                                    | pl.col("plate_moved_on").ne_missing(pl.col("plate_moved_on_old")))))
        self._move_plates_off(set(merged["vehicle_id"].to_list()))
        reindex = set(merged.filter(pl.col("is_new") | pl.col("moved"))["vehicle_id"].to_list())
        if renamed:
            reindex |= set(self.vstate.filter(pl.col("customer_id").is_in(list(renamed)))["vehicle_id"].to_list())
        self._reindex(sorted(reindex), new_ids)
        return keyed

    def _plates_moved_on(self, merged: pl.DataFrame) -> pl.DataFrame:
        """``former_plate`` and ``plate_moved_on`` of the batch's cars: a car that gave
        its plate up to a newer car holds none and is marked plate moved on (a mark
        it already has keeps its day, so importing again changes nothing); a car that
        holds a plate again loses the mark."""
        losing = {vid: (plate, day) for vid, (plate, day, _, _) in self.losing.items()}
        lost = pl.DataFrame({"vehicle_id": list(losing), "lost_plate": [v[0] for v in losing.values()],
                             "lost_on": [v[1] for v in losing.values()]},
                            schema={"vehicle_id": pl.Int64, "lost_plate": pl.String, "lost_on": pl.Date})
        merged = merged.join(lost, on="vehicle_id", how="left")
        gives_up = pl.col("lost_plate").is_not_null() & (pl.col("plate").is_null()
                                                          | (pl.col("plate") == pl.col("lost_plate")))
        marked = (pl.col("former_plate_old") == pl.col("lost_plate")) & pl.col("plate_moved_on_old").is_not_null()
        return merged.with_columns(
            pl.when(gives_up).then(None).otherwise(pl.col("plate")).alias("plate"),
            pl.when(gives_up).then(None).otherwise(pl.col("plate_raw")).alias("plate_raw"),
            pl.when(gives_up).then(pl.col("lost_plate"))
            .when(pl.col("plate").is_not_null()).then(None)
            .otherwise(pl.col("former_plate_old")).alias("former_plate"),
            pl.when(gives_up & marked).then(pl.col("plate_moved_on_old"))
            .when(gives_up).then(pl.coalesce("lost_on", pl.lit(today())))
            .when(pl.col("plate").is_not_null()).then(None)
            .otherwise(pl.col("plate_moved_on_old")).alias("plate_moved_on"),
        )

    def _note_moves(self, marked: pl.DataFrame) -> None:
        """Remember, per car newly marked plate moved on, the row that moved its plate."""
        for vid, plate, day in marked.select("vehicle_id", "former_plate", "plate_moved_on").iter_rows():
            row = self.losing.get(vid, (None, None, 0, None))[2]
            self.moves[vid] = (row, plate, day)

    def _move_plates_off(self, in_batch: set[int]) -> None:
        """Cars that gave their plate up to a car of this batch without a row of their
        own in it: written here, and their state with them."""
        away = {vid: v for vid, v in self.losing.items() if vid not in in_batch}
        if not away:
            return
        held = self.vstate.filter(pl.col("vehicle_id").is_in(list(away)))
        held = held.filter(pl.col("plate") == pl.col("vehicle_id").replace_strict(
            {vid: v[0] for vid, v in away.items()}, return_dtype=pl.String))
        if held.is_empty():
            return
        stamp = self.db.moment()
        held = held.with_columns(
            pl.col("plate").alias("former_plate"), pl.lit(None, pl.String).alias("plate"),
            pl.lit(None, pl.String).alias("plate_raw"),
            pl.col("vehicle_id").replace_strict({vid: v[1] or today() for vid, v in away.items()},
                                                return_dtype=pl.Date).alias("plate_moved_on"))
        self.db.update_frame("vehicle", held.filter(~pl.col("vehicle_id").is_in(list(self.unwritten))).select(
            pl.col("vehicle_id").alias("id"), "plate", "plate_raw", "former_plate", "plate_moved_on",
            pl.lit(stamp).alias("updated_at")))
        self.vstate = pl.concat([self.vstate.join(held.select("vehicle_id"), on="vehicle_id", how="anti"),
                                 held.select(list(V_SCHEMA))])
        for vid, plate, day in held.select("vehicle_id", "former_plate", "plate_moved_on").iter_rows():
            self.moves[vid] = (away[vid][2], plate, day)

    def _owners(self, j: pl.DataFrame, counts: IngestCounts) -> tuple[pl.DataFrame, set[int], set[int]]:
        """(vehicle_id -> owner, renamed customers, vehicles whose owner's details changed).

        By phone within the store; without a phone, the car's owner if the name is
        the same, else a new customer for that name and car."""
        db = self.db
        want = j.filter(pl.col("fresh") & (pl.col("phone").is_not_null() | pl.col("customer").is_not_null()))
        if want.is_empty():
            return pl.DataFrame(schema={"vehicle_id": pl.Int64, "owner": pl.Int64}), set(), set()
        phones = want["phone"].drop_nulls().unique().to_list()
        self._load_customers_by_phone(phones)
        names = want.join(self.cstate.select("customer_id", pl.col("name").alias("owner_name")), on="customer_id",
                          how="left")
        by_vehicle: dict[int, int] = {}
        cols = ("vehicle_id", "customer", "phone", "gender", "birthday", "address", "c_region", "id_number")
        parts = []
        unknown = [p for p in phones if p not in self.by_phone]
        if unknown:  # a new customer per new phone, from its first row (in columns: most of a first import)
            parts.append(names.filter(pl.col("phone").is_in(unknown)).unique("phone", keep="first",
                                                                              maintain_order=True).select(cols))
        lone: list[dict] = []
        for rec in names.filter(pl.col("phone").is_null()).iter_rows(named=True):
            if rec["customer_id"] is not None and rec["owner_name"] == rec["customer"]:
                by_vehicle[rec["vehicle_id"]] = rec["customer_id"]
            else:
                lone.append(rec)
        if lone:
            parts.append(pl.DataFrame(lone, schema={c: names.schema[c] for c in cols}))
        new = pl.concat(parts) if parts else names.select(cols).clear()
        ids = db.new_ids("customer", new.height)
        stamp = db.moment()
        if ids:
            new = new.with_columns(pl.Series("customer_id", ids, pl.Int64))
            by_phone = new.filter(pl.col("phone").is_not_null())
            self.by_phone.update(zip(by_phone["phone"].to_list(), by_phone["customer_id"].to_list()))
            alone = new.filter(pl.col("phone").is_null())
            by_vehicle.update(zip(alone["vehicle_id"].to_list(), alone["customer_id"].to_list()))
            frame = new.select("customer_id", pl.col("customer").fill_null("").alias("name"), "phone", "gender",
                               "birthday", "address", "c_region",
                               pl.col("id_number").is_not_null().cast(pl.Int64).alias("has_id")).cast(C_SCHEMA)
            id_numbers = new["id_number"]
            secret = (pl.Series("id_number_enc", [encrypt_id_number(i) for i in id_numbers.to_list()], pl.String)
                      if id_numbers.null_count() < new.height else pl.Series("id_number_enc", [None] * new.height,
                                                                             pl.String))
            db.insert_frame("customer", frame.select(
                pl.col("customer_id").alias("id"), pl.lit(self.store_id).alias("store_id"), "name", "phone", "gender",
                "birthday", "address", pl.col("c_region").alias("region")).with_columns(
                secret, pl.lit(False).alias("do_not_contact"), pl.lit(stamp).alias("created_at"),
                pl.lit(stamp).alias("updated_at")))
            self.customer_ids.update(ids)
            self.cstate = pl.concat([self.cstate, frame])
        owner = (pl.col("phone").replace_strict(_mapping(phones, self.by_phone), default=None, return_dtype=pl.Int64)
                 if phones else pl.lit(None, pl.Int64))
        by_car = pl.col("vehicle_id").replace_strict(by_vehicle, default=None, return_dtype=pl.Int64) \
            if by_vehicle else pl.lit(None, pl.Int64)
        owners = want.select("vehicle_id", pl.coalesce(owner, by_car).alias("owner"),
                             "customer", "gender", "birthday", "address", "c_region", "id_number")

        # Details of customers already known: the later row fills in or corrects them.
        known = owners.filter(~pl.col("owner").is_in(ids)).join(
            self.cstate, left_on="owner", right_on="customer_id", how="inner", suffix="_c")
        upd = known.with_columns(
            pl.when(pl.col("name").is_null() | (pl.col("name") == "")).then(pl.col("customer"))
            .otherwise(pl.col("name")).alias("new_name"),
            *(pl.coalesce(pl.col(d), pl.col(f"{d}_c")).alias(f"new_{d}") for d in C_DETAILS),
        ).filter(
            pl.col("new_name").ne_missing(pl.col("name"))
            | pl.any_horizontal(*(pl.col(f"new_{d}").ne_missing(pl.col(f"{d}_c")) for d in C_DETAILS))
        )
        # An ID number on file is never compared (it is encrypted); a missing one is filled in.
        need_id = known.filter(pl.col("id_number").is_not_null() & (pl.col("has_id") == 0)) \
            .unique("owner", keep="last", maintain_order=True)
        if not need_id.is_empty():
            db.update_frame("customer", pl.DataFrame(
                {"id": need_id["owner"], "id_number_enc": [encrypt_id_number(i) for i in need_id["id_number"]],
                 "updated_at": [stamp] * need_id.height}))
            filled = need_id["owner"].to_list()
            self.cstate = self.cstate.with_columns(
                pl.when(pl.col("customer_id").is_in(filled)).then(1).otherwise(pl.col("has_id")).alias("has_id"))
        touched = set(upd["vehicle_id"].to_list()) | set(need_id["vehicle_id"].to_list())
        upd = upd.unique("owner", keep="last", maintain_order=True)
        renamed: set[int] = set()
        if not upd.is_empty():
            renamed = set(upd.filter(pl.col("new_name").ne_missing(pl.col("name")))["owner"].to_list())
            db.update_frame("customer", upd.select(
                pl.col("owner").alias("id"), pl.col("new_name").alias("name"),
                *(pl.col(f"new_{d}").alias("region" if d == "c_region" else d) for d in C_DETAILS),
                pl.lit(stamp).alias("updated_at")))
            fresh_state = upd.select(pl.col("owner").alias("customer_id"), pl.col("new_name").alias("name"),
                                     "phone", *(pl.col(f"new_{d}").alias(d) for d in C_DETAILS),
                                     pl.when(pl.col("owner").is_in(need_id["owner"].implode())).then(1)
                                     .otherwise(pl.col("has_id")).alias("has_id")).cast(C_SCHEMA)
            self.cstate = pl.concat([self.cstate.join(fresh_state.select("customer_id"), on="customer_id", how="anti"),
                                     fresh_state])
        counts.customers_created += len(ids)
        return owners.select("vehicle_id", "owner"), renamed, touched

    def _reindex(self, vehicle_ids: list[int], new_ids: set[int]) -> None:
        """Mark cars for :meth:`_write_terms`: a car seen on many batches is indexed
        once, from its final values, when the file is done."""
        self.to_index.update(vehicle_ids)
        self.created.update(new_ids)

    def _write_terms(self, cars_per_chunk: int = 50_000) -> None:
        """:func:`store.lookup.reindex_vehicles` for many cars at once: the same terms
        (:func:`store.lookup.terms_for`), from the state in hand, by the bulk path,
        every term of the file in one sorted run (searchterm is a B-tree keyed by
        term: sorted keys go in about twice as fast as random ones, and only once)."""
        if not self.to_index:
            return
        db = self.db
        vehicle_ids = sorted(self.to_index)
        old = [v for v in vehicle_ids if v not in self.created]
        for chunk in _chunks(old):
            cond, params = db.any_of("vehicle_id", chunk)
            db.execute(f"DELETE FROM searchterm WHERE {cond}", params)
        cars = self.vstate.filter(pl.col("vehicle_id").is_in(vehicle_ids)).join(
            self.cstate.select("customer_id", "name", "phone"), on="customer_id", how="left"
        ).select("vehicle_id", pl.coalesce("plate", "former_plate").alias("plate"), "vin", "name", "phone")
        parts = []
        for start in range(0, cars.height, cars_per_chunk):
            ids: list[int] = []
            terms: list[str] = []
            for vid, plate, vin, name, phone in cars.slice(start, cars_per_chunk).iter_rows():
                found = terms_for(plate=plate, vin=vin, name=name, phone=phone)
                terms += found
                ids += [vid] * len(found)
            parts.append(pl.DataFrame({"term": terms, "vehicle_id": ids},
                                      schema={"term": pl.String, "vehicle_id": pl.Int64}))
        every = pl.concat(parts).sort("term", "vehicle_id")
        del parts
        for start in range(0, every.height, 200_000):
            db.insert_frame("searchterm", every.slice(start, 200_000))
        self.to_index.clear()
        self.created.clear()

    # --- visits --------------------------------------------------------------------------

    def _visits(self, keyed: pl.DataFrame, counts: IngestCounts) -> None:
        db = self.db
        keyed = keyed.rename({"sa": "sa_name"}).with_columns(pl.col("repair_type_raw").str.slice(0, 40))
        # The same RO twice in one batch: the later row is the one that counts.
        last = keyed.sort("_row").unique("ro_number", keep="last", maintain_order=True)
        superseded = keyed.height - last.height
        counts.updated += superseded  # an earlier duplicate row was replaced by a later one
        maybe = self._maybe_stored(last["ro_number"])
        self.touched_ros.add(last["ro_number"])
        if db.pg and not maybe.is_empty():
            self._merge_visits(last, counts)
            return
        stored: list[tuple] = []
        for chunk in _chunks(maybe.sort().to_list()):
            cond, params = db.any_of("ro_number", chunk)
            stored += db.rows(f"SELECT id, ro_number, row_hash, {', '.join(VISIT_COLUMNS)} FROM visit "
                              f"WHERE store_id = ? AND {cond}", [self.store_id, *params])
        schema = {"_id": pl.Int64, "ro_number": pl.String, "_row_hash": pl.Int64,
                  **{f"_{c}": _VISIT_TYPES[c] for c in VISIT_COLUMNS}}
        old = _frame(db, stored, schema)
        both = last.join(old, on="ro_number", how="left").with_columns(
            # Cancelled stays cancelled: an export without the status column, or an older one,
            # does not bring back an RO cancelled since (by a later export or by hand).
            pl.when(pl.col("_status") == "cancelled").then(pl.lit("cancelled")).otherwise(pl.col("status"))
            .alias("status"))
        is_new = pl.col("_id").is_null()
        same = pl.all_horizontal(*(pl.col(c).eq_missing(pl.col(f"_{c}")) for c in VISIT_COLUMNS))
        fresh = both.filter(is_new).sort("ro_number")  # in the unique index's order
        changed = both.filter(~is_new & ~same)
        counts.inserted += fresh.height
        counts.updated += changed.height
        counts.unchanged += both.height - fresh.height - changed.height
        db.insert_frame("visit", fresh.select("ro_number", *VISIT_COLUMNS, "row_hash"), fixed={"store_id": self.store_id})
        db.update_frame("visit", changed.select(pl.col("_id").alias("id"), *VISIT_COLUMNS, "row_hash"))
        # The same visit from a row that differs elsewhere (its owner's phone, say), or
        # one imported before rows had fingerprints: the next import can skip it.
        db.update_frame("visit", both.filter(~is_new & same & pl.col("row_hash").ne_missing(pl.col("_row_hash")))
                        .select(pl.col("_id").alias("id"), "row_hash"))


    def _merge_visits(self, last: pl.DataFrame, counts: IngestCounts) -> None:
        """Postgres: the batch's visits, some of which the store may hold, merged by the
        server. COPY into a staging table of the transaction, then one INSERT … ON
        CONFLICT on (store, RO number): a new RO goes in, a known one is updated only
        where it differs (cancelled stays cancelled), an unchanged one is left alone;
        then the unchanged whose fingerprint is new take it (see :meth:`_visits`)."""
        db = self.db
        cols = ", ".join(VISIT_COLUMNS)
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS _stage_visit ON COMMIT DROP AS "
                   f"SELECT ro_number, {cols}, row_hash FROM visit WITH NO DATA")
        db.execute("TRUNCATE _stage_visit")
        db.insert_frame("_stage_visit", last.select("ro_number", *VISIT_COLUMNS, "row_hash").sort("ro_number"))
        status = "CASE WHEN visit.status = 'cancelled' THEN visit.status ELSE EXCLUDED.status END"
        new_values = [status if c == "status" else f"EXCLUDED.{c}" for c in VISIT_COLUMNS]
        inserted, changed = db.rows(
            f"WITH merged AS (INSERT INTO visit (store_id, ro_number, {cols}, row_hash) "
            f"SELECT ?, ro_number, {cols}, row_hash FROM _stage_visit ORDER BY ro_number "
            f"ON CONFLICT (store_id, ro_number) DO UPDATE SET "
            f"{', '.join(f'{c} = {v}' for c, v in zip(VISIT_COLUMNS, new_values))}, row_hash = EXCLUDED.row_hash "
            f"WHERE ({', '.join(f'visit.{c}' for c in VISIT_COLUMNS)}) IS DISTINCT FROM ({', '.join(new_values)}) "
            "RETURNING xmax = 0 AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged",
            [self.store_id])[0]
        unchanged = last.height - inserted - changed
        counts.inserted += inserted
        counts.updated += changed
        counts.unchanged += unchanged
        if unchanged:
            db.execute("UPDATE visit AS v SET row_hash = s.row_hash FROM _stage_visit AS s WHERE v.store_id = ? "
                       "AND v.ro_number = s.ro_number AND v.row_hash IS DISTINCT FROM s.row_hash", [self.store_id])


# A vehicle row's columns as the import writes them (besides id, store and stamps).
_CAR_COLUMNS = ("customer_id", "plate", "plate_raw", "vin", "model", "colour", "purchase_date", "warranty_end",
                "insurance_expiry", "region", "mileage", "inspection_due", "former_plate", "plate_moved_on")


# What a row's fingerprint leaves out: its line number, and the fingerprint itself.
_HASHED_FIELDS_EXCLUDED = frozenset({"_row", "row_hash"})
ROW_HASH_SEED = 20261204


def row_hashes(rows: pl.DataFrame) -> pl.Expr:
    """Each typed row's fingerprint, for rows handed over without the fingerprint of
    their cells (importers.parse.fingerprints): a signed 64-bit integer (the column
    type of ``visit.row_hash``). polars' hash is stable within its version; after an upgrade
    that changes it, rows only look changed once: they are compared field by field,
    as before fingerprints, and take the new one. Two different rows sharing one is
    a 1 in 2**64 chance per RO."""
    fields = [c for c in rows.columns if c not in _HASHED_FIELDS_EXCLUDED]
    return pl.struct(fields).hash(ROW_HASH_SEED).reinterpret(signed=True).alias("row_hash")


class _SeenKeys:
    """A growing set of RO numbers, kept as their 64-bit hashes: 8 bytes an RO, and a
    test of 100,000 against a million hashes integers, not strings. Two ROs sharing a
    hash make one of them look seen, which only ever costs a lookup more (an RO seen is
    looked up, or left to the writer), never a row skipped."""

    def __init__(self) -> None:
        self.hashes = pl.Series("ro_hash", [], pl.UInt64)

    def holds(self, ros: pl.Series) -> pl.Series:
        return ros.hash(ROW_HASH_SEED).is_in(self.hashes.implode())

    def add(self, ros: pl.Series) -> None:
        new = ros.drop_nulls().hash(ROW_HASH_SEED).unique()
        self.hashes = pl.concat([self.hashes, new.filter(~new.is_in(self.hashes.implode()))], rechunk=True)


class KnownRows:
    """The reader's half of a weekly re-import, run by the thread that reads the file,
    on a connection of its own, while the writer works on the batch before. Given a
    batch's RO numbers and fingerprints before its cells are typed
    (importers.parse.typed), it finds the rows the committed database already holds
    with the same fingerprint; those are counted unchanged and never typed, resolved
    or written. Only an RO on one row of the batch, and not on a row this reader has
    already passed on to the writer (the file's later row of an RO counts).

    Only for a store that held visits when the import began (``enabled``): only then
    are visit's indexes untouched by the writer, whose open transaction would
    otherwise hold the table locked. A lookup that fails or waits on a lock leaves
    the batch, and the rest of the file, to the writer's own lookup."""

    LOCK_TIMEOUT = "2s"
    # Reading every fingerprint of the store costs about a quarter of looking an RO up
    # (SQLite: 1 s for a million visits against 3.6 s for 900,000 ROs): read them all
    # when the store holds at most this many visits per row of the file.
    BULK_RATIO = 4

    def __init__(self, engine: Engine, *, store_id: int, kind: str, enabled: bool) -> None:
        self.engine, self.store_id = engine, store_id
        # A second connection to an in-memory SQLite database is another database (or,
        # pooled statically, the writer's own connection): no reader's lookup there.
        in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self.enabled = enabled and kind == "visits" and not in_memory
        self.unchanged: int | None = None  # the last batch's, None when it was not looked for
        self.first_day: date | None = None  # the earliest day of the last batch's unchanged rows
        self.passed = _SeenKeys()  # ROs of rows handed on to the writer
        self.file_rows = 0  # how many rows the file holds, as the reader guesses from its first batch
        self.stored: pl.Series | None = None  # every fingerprint of the store, when read in one go
        self.chosen = False  # whether the store's size has been weighed against the file's
        self.conn: Connection | None = None
        self.db: _Db | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = self.db = None

    def mark(self, batch: pl.DataFrame) -> pl.Series | None:
        """The ``_row`` of each row of ``batch`` (``_row``, ``ro_number``, ``row_hash``,
        ``day``) known unchanged; None when not looked for."""
        self.unchanged = self.first_day = None
        if not self.enabled:
            return None
        ros = pl.col("ro_number")
        seen = self.passed.holds(batch["ro_number"])
        single = batch.filter(ros.is_not_null() & ros.is_unique() & ~seen)
        try:
            if self.db is None:
                self.conn = self.engine.connect()
                self.db = _Db(connection=self.conn)
                if self.db.pg:  # for this connection's transaction only, not for its next user
                    self.db.execute(f"SET LOCAL lock_timeout = '{self.LOCK_TIMEOUT}'")
            if not self.chosen:
                self.chosen = True
                held = self.db.rows("SELECT count(*) FROM visit WHERE store_id = ?", [self.store_id])[0][0]
                if held <= self.BULK_RATIO * max(self.file_rows, batch.height):
                    self.stored = self._every_fingerprint(held).sort()
            hashes = single["row_hash"]
            if self.stored is not None:
                # A binary search of the sorted fingerprints: no hash table of a million built per batch.
                at = self.stored.search_sorted(hashes).clip(upper_bound=max(self.stored.len() - 1, 0))
                known = (self.stored.gather(at) == hashes) if self.stored.len() else hashes.is_null()
            else:
                # Only the fingerprints come back, as integers (a fingerprint covers its RO
                # number): building 900,000 RO strings in Python cost more than the lookups.
                found: list[int] = []
                for chunk in _chunks(single["ro_number"].sort().to_list()):  # in key order, as the writer does
                    cond, params = self.db.any_of("ro_number", chunk)
                    found += [r[0] for r in self.db.rows(f"SELECT row_hash FROM visit WHERE store_id = ? AND {cond} "
                                                         "AND row_hash IS NOT NULL", [self.store_id, *params])]
                known = hashes.is_in(pl.Series(found, dtype=pl.Int64).implode())
        except DBAPIError:
            self.enabled = False
            self.close()
            return None
        same = single.filter(known)["_row"]
        handed_on = batch.filter(~pl.col("_row").is_in(same.implode()) & ros.is_not_null())["ro_number"].unique()
        self.passed.add(handed_on)
        self.unchanged = same.len()
        if same.len() and "day" in batch.columns:
            self.first_day = batch.filter(pl.col("_row").is_in(same.implode()))["day"].min()
        return same

    def _every_fingerprint(self, held: int) -> pl.Series:
        """The fingerprint of every visit of the store, read in one pass: for a file about
        the store's size, a quarter of the time of looking its ROs up one by one
        (8 bytes a visit in memory)."""
        # As one text, not a row per visit: building a million Python objects (tuples, or
        # COPY's rows) cost more than the query (Postgres: COPY 1.4 s, one text 0.4 s).
        if self.db.pg:
            text = self.db.rows("SELECT string_agg(row_hash::text, chr(10)) FROM visit WHERE store_id = ? "
                                "AND row_hash IS NOT NULL", [self.store_id])[0][0]
        else:
            # A store holding most of the table's visits is read straight through, not by its index.
            last = self.db.rows("SELECT max(id) FROM visit")[0][0]
            scan = "NOT INDEXED" if 2 * held >= (last or 0) else ""
            text = self.db.rows(f"SELECT group_concat(row_hash, char(10)) FROM visit {scan} WHERE store_id = ? "
                                "AND row_hash IS NOT NULL", [self.store_id])[0][0]
        data = text.encode() if text else b""
        if not data:
            return pl.Series("row_hash", [], dtype=pl.Int64)
        return pl.read_csv(io.BytesIO(data), has_header=False, schema={"row_hash": pl.Int64})["row_hash"]


def _real(vid):
    """A car's id, for a new car once it has one."""
    return vid.id if isinstance(vid, _NewCar) else vid


def _as_rows(counts: IngestCounts, rows: int) -> IngestCounts:
    """For a vehicles export the rows are cars: inserted/updated/unchanged count them."""
    counts.inserted, counts.updated = counts.vehicles_created, counts.vehicles_updated
    counts.unchanged = rows - counts.inserted - counts.updated
    return counts


_VISIT_TYPES: dict[str, pl.DataType] = {
    "vehicle_id": pl.Int64, "date_in": pl.Date, "settled_on": pl.Date, "repair_type": pl.String,
    "repair_type_raw": pl.String, "mileage": pl.Int64, "labour_fen": pl.Int64, "parts_fen": pl.Int64,
    "oil_fen": pl.Int64, "accessories_fen": pl.Int64, "total_fen": pl.Int64, "sa_name": pl.String,
    "status": pl.String,
}


# --- the import journal -------------------------------------------------------------


DEFAULT_STORE_CODE = "STORE1"


def store_for_import(session: Session, code: str | None, *, create: bool = True) -> tuple[int | None, bool]:
    """(store id, created): the store named by ``code`` (or the only one); on a
    database without any store, the first import creates it (with ``create``
    False: (None, False), for a caller that creates it once a file is good)."""
    from sqlmodel import select

    from store.models import Store
    from store.stores import ensure_store, resolve_store

    if session.exec(select(Store.id).limit(1)).first() is not None:
        return resolve_store(session, code).id, False
    if not create:
        return None, False
    return ensure_store(session, code or DEFAULT_STORE_CODE, name=code or DEFAULT_STORE_CODE).id, True


def start_import(session: Session, *, actor: Actor, store_id: int, file_name: str, sha256: str, kind: str,
                 fmt: str) -> int:
    """A journal row for an import about to run (committed on its own, so a killed
    import leaves a trace the next run sees). Only those who may import
    (:func:`store.access.require_importer`) start one, into their own store."""
    require_importer(actor, store_id)
    row = ImportJournal(store_id=store_id, file_name=file_name[-255:], file_sha256=sha256, kind=kind, format=fmt,
                        started_at=now())
    session.add(row)
    session.flush()
    return row.id


def finish_import(session: Session, journal_id: int, *, rows: int, counts: IngestCounts, rejected: int) -> None:
    row = session.get(ImportJournal, journal_id)
    row.rows = rows
    row.inserted = counts.inserted
    row.updated = counts.updated
    row.unchanged = counts.unchanged
    row.rejected = rejected
    row.finished_at = now()
    session.add(row)
    session.flush()


def interrupted_imports(session: Session, *, store_id: int, sha256: str) -> list[ImportJournal]:
    """Earlier runs of this very file that never finished (killed, or failed)."""
    from sqlmodel import select

    return list(session.exec(
        select(ImportJournal).where(ImportJournal.store_id == store_id, ImportJournal.file_sha256 == sha256,
                                    ImportJournal.finished_at.is_(None))
    ).all())


def close_interrupted(session: Session, journal_ids: Sequence[int], *, completed_by: int) -> None:
    """Mark earlier unfinished runs as completed by a later one (their rows were rolled back)."""
    for jid in journal_ids:
        row = session.get(ImportJournal, jid)
        if row is not None and row.finished_at is None:
            row.finished_at = now()
            row.file_name = (f"{row.file_name} (interrupted; completed by import #{completed_by})")[-255:]
            session.add(row)
    session.flush()
