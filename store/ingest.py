"""Rows from a DMS export into the store: who is which car, which visit is new.

The merge rules (the importers only read files; these decide what the rows mean):

- A vehicle is found by its VIN (车架号) where the row has one, else by its
  normalized plate in this store. A row with a VIN whose plate belongs to a car
  known without a VIN gives that car its VIN. A VIN not seen before is a new car.
- The same car on many rows is one vehicle; the later row updates it (for a
  visits export "later" means the later visit, so an old export imported after a
  newer one does not put back an old plate or owner).
- A customer (客户/车主) is found in the store by phone; without a phone, by name
  on that vehicle. A customer known by phone is not renamed by a later row unless
  they had no name.
- A visit (工单) is known by (store, RO number): the same file twice, or an
  export that overlaps the last one, adds nothing twice. A changed visit is
  updated; the vehicle's mileage follows its latest visit.

Batches are written with the driver's bulk paths (COPY on Postgres, executemany
on SQLite) inside the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlmodel import Session

from store.clock import now
from store.lookup import terms_for
from store.models import ImportJournal

SQLITE_CACHE_KIB = 128 * 1024
VISIT_COLUMNS = ("vehicle_id", "date_in", "settled_on", "repair_type", "repair_type_raw", "mileage", "labour_fen",
                 "parts_fen", "oil_fen", "accessories_fen", "total_fen", "sa_name")
VEHICLE_FIELDS = ("plate", "plate_raw", "vin", "model", "colour", "purchase_date", "warranty_end", "insurance_expiry",
                  "region", "mileage")
CUSTOMER_FIELDS = ("name", "phone", "gender", "birthday", "address", "region")


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

    def __init__(self, session: Session) -> None:
        session.flush()
        self.conn = session.connection()
        self.pg = self.conn.dialect.name == "postgresql"
        self.raw = self.conn.connection.driver_connection
        self.stamp = now()
        if not self.pg:
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
        """``column IN (values)`` as one parameter, however many values."""
        if self.pg:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values), ensure_ascii=False)]

    def insert(self, table: str, cols: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            with self.raw.cursor() as cur:
                with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" * len(cols))
            self.raw.executemany(f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({marks})', rows)

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
    def day(self, value: date | None):
        if value is None or self.pg:
            return value
        return value.isoformat()

    def moment(self) -> Any:
        return self.stamp if self.pg else self.stamp.strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return value if self.pg else int(value)

    def to_date(self, value) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])


def _chunks(values: list, size: int = 20_000) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# --- vehicles and customers ----------------------------------------------------


@dataclass
class _Slot:
    id: int | None
    vin: str | None
    plate: str | None
    customer_id: int | None = None
    current: dict | None = None  # the row as stored, for existing vehicles
    new: bool = False


def _latest(df: pl.DataFrame, key: str, fields: Sequence[str]) -> pl.DataFrame:
    """Per ``key``: each field's last non-null value in frame order."""
    return df.group_by(key, maintain_order=True).agg(
        *(pl.col(f).drop_nulls().last().alias(f) for f in fields),
        pl.col("_row").last().alias("_row"),
    )


def resolve_vehicles(session: Session, rows: pl.DataFrame, *, store_id: int, kind: str,
                     counts: IngestCounts) -> pl.DataFrame:
    """``rows`` with a ``vehicle_id`` column: each row's car found or created, its
    owner found or created, and the car and owner updated from the latest row."""
    db = _Db(session)
    if kind == "visits":
        rows = rows.sort(["date_in", "_row"])
    pairs = rows.select("vin", "plate").unique(maintain_order=True)
    vins = pairs["vin"].drop_nulls().unique().to_list()
    plates = pairs["plate"].drop_nulls().unique().to_list()

    cols = "id, vin, plate, plate_raw, customer_id, model, colour, purchase_date, warranty_end, insurance_expiry, " \
           "region, mileage"
    names = [c.strip() for c in cols.split(",")]
    existing: dict[int, dict] = {}
    for chunk in _chunks(vins):
        cond, params = db.any_of("vin", chunk)
        for r in db.rows(f"SELECT {cols} FROM vehicle WHERE {cond}", params):
            existing[r[0]] = dict(zip(names, r))
    for chunk in _chunks(plates):
        cond, params = db.any_of("plate", chunk)
        for r in db.rows(f"SELECT {cols} FROM vehicle WHERE store_id = ? AND {cond} ORDER BY id", [store_id, *params]):
            existing[r[0]] = dict(zip(names, r))

    by_vin: dict[str, _Slot] = {}
    by_plate: dict[str, _Slot] = {}
    for v in sorted(existing.values(), key=lambda r: r["id"]):
        slot = _Slot(v["id"], v["vin"], v["plate"], v["customer_id"], current=v)
        if v["vin"]:
            by_vin[v["vin"]] = slot
        if v["plate"]:
            by_plate[v["plate"]] = slot  # the newest car holding a plate wins it

    slots: list[_Slot] = []
    slot_index: dict[int, int] = {}
    pair_slot: list[int] = []

    def index_of(slot: _Slot) -> int:
        key = id(slot)
        if key not in slot_index:
            slot_index[key] = len(slots)
            slots.append(slot)
        return slot_index[key]

    for vin, plate in pairs.iter_rows():
        if vin:
            slot = by_vin.get(vin)
            if slot is None:
                held = by_plate.get(plate) if plate else None
                if held is not None and held.vin is None:
                    slot = held  # the same car, known so far without its VIN
                    slot.vin = vin
                else:
                    slot = _Slot(None, vin, plate, new=True)
                by_vin[vin] = slot
            if plate:
                by_plate[plate] = slot
        else:
            slot = by_plate.get(plate)
            if slot is None:
                slot = _Slot(None, None, plate, new=True)
                by_plate[plate] = slot
        pair_slot.append(index_of(slot))

    keyed = rows.join(
        pairs.with_columns(pl.Series("_slot", pair_slot, dtype=pl.Int64)), on=["vin", "plate"], how="left",
        nulls_equal=True,
    )
    wanted = ["plate", "plate_raw", "vin", "model", "colour", "purchase_date", "warranty_end", "insurance_expiry",
              "region", "mileage", "customer", "phone", "gender", "birthday", "address", "date_in"]
    latest = _latest(keyed, "_slot", wanted)

    # For a visits export, a car already known from newer visits keeps what it has.
    newest_known: dict[int, date] = {}
    if kind == "visits":
        ids = [s.id for s in slots if s.id is not None]
        for chunk in _chunks(ids):
            cond, params = db.any_of("vehicle_id", chunk)
            for vid, day in db.rows(f"SELECT vehicle_id, MAX(date_in) FROM visit WHERE {cond} GROUP BY vehicle_id",
                                    params):
                newest_known[vid] = db.to_date(day)

    owners = _resolve_customers(db, latest, slots, store_id=store_id, counts=counts)

    new_slots = [i for i, s in enumerate(slots) if s.new]
    ids = db.new_ids("vehicle", len(new_slots))
    for i, vid in zip(new_slots, ids):
        slots[i].id = vid
    vcols = ("id", "store_id", "customer_id", *VEHICLE_FIELDS, "created_at", "updated_at")
    inserts: list[tuple] = []
    updates: list[tuple] = []
    reindex: list[int] = []
    stamp = db.moment()
    for rec in latest.iter_rows(named=True):
        slot = slots[rec["_slot"]]
        owner = owners.get(rec["_slot"], slot.customer_id)
        values = {
            "plate": rec["plate"], "plate_raw": rec["plate_raw"], "vin": slot.vin, "model": rec["model"],
            "colour": rec["colour"], "purchase_date": rec["purchase_date"], "warranty_end": rec["warranty_end"],
            "insurance_expiry": rec["insurance_expiry"], "region": rec["region"], "mileage": rec["mileage"],
        }
        if slot.new:
            inserts.append((slot.id, store_id, owner, *(_db_value(db, values[f]) for f in VEHICLE_FIELDS),
                            stamp, stamp))
            reindex.append(slot.id)
            continue
        cur = slot.current
        if kind == "visits":
            known = newest_known.get(slot.id)
            if known is not None and rec["date_in"] is not None and rec["date_in"] < known:
                if slot.vin != cur["vin"]:  # a VIN learnt from an older visit is still news
                    updates.append((slot.vin, *(cur[f] for f in VEHICLE_FIELDS if f != "vin"), cur["customer_id"],
                                    stamp, slot.id))
                    reindex.append(slot.id)
                    counts.vehicles_updated += 1
                continue
            values["mileage"] = None  # follows the latest visit, set after the visits are in
        merged = {f: (values[f] if values[f] is not None else _py(db, cur[f], f)) for f in VEHICLE_FIELDS}
        merged["vin"] = slot.vin
        changed = any(merged[f] != _py(db, cur[f], f) for f in VEHICLE_FIELDS) or owner != cur["customer_id"]
        if not changed and rec["_slot"] in owners.touched:
            counts.vehicles_updated += 1  # the car is as it was; its owner's details changed
        if changed:
            updates.append((slot.vin, *(_db_value(db, merged[f]) for f in VEHICLE_FIELDS if f != "vin"), owner,
                            stamp, slot.id))
            counts.vehicles_updated += 1
            if (merged["plate"] != cur["plate"] or merged["vin"] != cur["vin"]
                    or owner != cur["customer_id"]):
                reindex.append(slot.id)

    db.insert("vehicle", vcols, inserts)
    counts.vehicles_created += len(inserts)
    set_cols = ", ".join(f"{f} = ?" for f in ("vin", *(f for f in VEHICLE_FIELDS if f != "vin"), "customer_id",
                                               "updated_at"))
    db.many(f"UPDATE vehicle SET {set_cols} WHERE id = ?", updates)
    reindex_terms(db, sorted(set(reindex) | _vehicles_of(db, owners.renamed)))
    return keyed.with_columns(
        pl.col("_slot").replace_strict(list(range(len(slots))), [s.id for s in slots], return_dtype=pl.Int64)
        .alias("vehicle_id")
    ).drop("_slot")


def _py(db: _Db, value, field: str):
    """A stored value as Python compares it (SQLite gives dates back as text)."""
    if field in ("purchase_date", "warranty_end", "insurance_expiry", "birthday"):
        return db.to_date(value)
    return value


def _db_value(db: _Db, value):
    return db.day(value) if isinstance(value, date) and not isinstance(value, datetime) else value


class _Owners(dict):
    """slot index -> customer id; ``renamed``: customers whose name or phone changed;
    ``touched``: slots whose owner's details changed."""

    renamed: set[int]
    touched: set[int]


def _resolve_customers(db: _Db, latest: pl.DataFrame, slots: list[_Slot], *, store_id: int,
                       counts: IngestCounts) -> _Owners:
    """slot index -> customer id, creating and updating customers as the rows say."""
    owners = _Owners()
    owners.renamed = set()
    owners.touched = set()
    phones = latest["phone"].drop_nulls().unique().to_list()
    ccols = ["id", *CUSTOMER_FIELDS]
    by_phone: dict[str, dict] = {}
    for chunk in _chunks(phones):
        cond, params = db.any_of("phone", chunk)
        for r in db.rows(f"SELECT {', '.join(ccols)} FROM customer WHERE store_id = ? AND {cond} ORDER BY id",
                         [store_id, *params]):
            by_phone.setdefault(r[2], dict(zip(ccols, r)))
    current_ids = [s.customer_id for s in slots if s.customer_id is not None]
    current: dict[int, dict] = {}
    for chunk in _chunks(current_ids):
        cond, params = db.any_of("id", chunk)
        for r in db.rows(f"SELECT {', '.join(ccols)} FROM customer WHERE {cond}", params):
            current[r[0]] = dict(zip(ccols, r))

    new: list[dict] = []
    changes: dict[int, dict] = {}
    for rec in latest.iter_rows(named=True):
        slot = slots[rec["_slot"]]
        name, phone = rec["customer"], rec["phone"]
        details = {"gender": rec["gender"], "birthday": rec["birthday"], "address": rec["address"],
                   "region": rec["region"]}
        if phone:
            cust = by_phone.get(phone)
            if cust is None:
                cust = {"id": None, "name": name or "", "phone": phone, **details}
                by_phone[phone] = cust
                new.append(cust)
            else:
                update = {k: v for k, v in details.items() if v is not None and _py(db, cust.get(k), k) != v}
                if name and not cust.get("name"):
                    update["name"] = name
                if update:
                    cust.update(update)
                    if cust["id"] is not None:
                        changes.setdefault(cust["id"], {}).update(update)
                        owners.touched.add(rec["_slot"])
        elif name:
            mine = current.get(slot.customer_id) if slot.customer_id else None
            if mine is not None and mine["name"] == name:
                cust = mine
                update = {k: v for k, v in details.items() if v is not None and _py(db, cust.get(k), k) != v}
                if update:
                    cust.update(update)
                    changes.setdefault(cust["id"], {}).update(update)
                    owners.touched.add(rec["_slot"])
            else:
                cust = {"id": None, "name": name, "phone": None, **details}
                new.append(cust)
        else:
            continue
        owners[rec["_slot"]] = cust
    ids = db.new_ids("customer", len(new))
    stamp = db.moment()
    rows = []
    for cust, cid in zip(new, ids):
        cust["id"] = cid
        rows.append((cid, store_id, cust["name"], cust["phone"], cust["gender"], db.day(cust["birthday"]),
                     cust["address"], cust["region"], db.flag(False), stamp, stamp))
    db.insert("customer", ("id", "store_id", "name", "phone", "gender", "birthday", "address", "region",
                           "do_not_contact", "created_at", "updated_at"), rows)
    counts.customers_created += len(rows)
    by_fields: dict[tuple, list[tuple]] = {}
    for cid, update in changes.items():
        keys = tuple(sorted(update))
        by_fields.setdefault(keys, []).append((*(_db_value(db, update[k]) for k in keys), stamp, cid))
        if "name" in update:
            owners.renamed.add(cid)
    for keys, params in by_fields.items():
        db.many(f"UPDATE customer SET {', '.join(f'{k} = ?' for k in keys)}, updated_at = ? WHERE id = ?", params)
    resolved = _Owners({k: c["id"] for k, c in owners.items()})
    resolved.renamed = owners.renamed
    resolved.touched = owners.touched
    return resolved


def reindex_terms(db: _Db, vehicle_ids: list[int]) -> None:
    """:func:`store.lookup.reindex_vehicles` for many cars at once: the same terms
    (:func:`store.lookup.terms_for`), written by the bulk path rather than the ORM."""
    for chunk in _chunks(vehicle_ids):
        cond, params = db.any_of("vehicle_id", chunk)
        db.execute(f"DELETE FROM searchterm WHERE {cond}", params)
        cond, params = db.any_of("v.id", chunk)
        found = db.rows(
            "SELECT v.id, v.plate, v.vin, c.name, c.phone FROM vehicle v LEFT JOIN customer c ON c.id = v.customer_id "
            f"WHERE {cond}", params)
        # In index order: a B-tree takes sorted keys about twice as fast as random ones.
        db.insert("searchterm", ("vehicle_id", "term"), sorted(
            ((vid, term) for vid, plate, vin, name, phone in found
             for term in terms_for(plate=plate, vin=vin, name=name, phone=phone)),
            key=lambda r: r[1],
        ))


def _vehicles_of(db: _Db, customer_ids: Iterable[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(sorted(customer_ids)):
        cond, params = db.any_of("customer_id", chunk)
        out.update(r[0] for r in db.rows(f"SELECT id FROM vehicle WHERE {cond}", params))
    return out


# --- the two kinds of export ------------------------------------------------------


def ingest_vehicles(session: Session, rows: pl.DataFrame, *, store_id: int) -> IngestCounts:
    """A vehicles/customers export: one row per car (the later row wins)."""
    counts = IngestCounts()
    if rows.is_empty():
        return counts
    before = counts.vehicles_created
    resolve_vehicles(session, rows, store_id=store_id, kind="vehicles", counts=counts)
    counts.inserted = counts.vehicles_created - before
    counts.updated = counts.vehicles_updated
    counts.unchanged = rows.height - counts.inserted - counts.updated
    return counts


def ingest_visits(session: Session, rows: pl.DataFrame, *, store_id: int) -> IngestCounts:
    """A visits (repair orders) export: one row per RO; cars and owners come along."""
    counts = IngestCounts()
    if rows.is_empty():
        return counts
    keyed = resolve_vehicles(session, rows, store_id=store_id, kind="visits", counts=counts)
    db = _Db(session)
    keyed = keyed.rename({"sa": "sa_name"}).with_columns(pl.col("repair_type_raw").str.slice(0, 40))
    # The same RO twice in one batch: the later row is the one that counts.
    last = keyed.sort("_row").unique("ro_number", keep="last", maintain_order=True)
    superseded = keyed.height - last.height

    ros = last["ro_number"].to_list()
    stored: list[tuple] = []
    for chunk in _chunks(ros):
        cond, params = db.any_of("ro_number", chunk)
        stored += db.rows(f"SELECT id, ro_number, {', '.join(VISIT_COLUMNS)} FROM visit WHERE store_id = ? AND {cond}",
                          [store_id, *params])
    schema = {"_id": pl.Int64, "ro_number": pl.String, **{f"_{c}": _VISIT_TYPES[c] for c in VISIT_COLUMNS}}
    if not stored:
        old = pl.DataFrame(schema=schema)
    elif db.pg:
        old = pl.DataFrame(stored, schema=schema, orient="row")
    else:  # SQLite hands dates back as text
        as_text = {k: (pl.String if v == pl.Date else v) for k, v in schema.items()}
        old = pl.DataFrame(stored, schema=as_text, orient="row").with_columns(
            pl.col(f"_{c}").str.slice(0, 10).str.to_date() for c in ("date_in", "settled_on"))
    both = last.join(old, on="ro_number", how="left")
    is_new = pl.col("_id").is_null()
    same = pl.all_horizontal(*(pl.col(c).eq_missing(pl.col(f"_{c}")) for c in VISIT_COLUMNS))
    fresh = both.filter(is_new)
    changed = both.filter(~is_new & ~same)
    counts.inserted = fresh.height
    counts.updated = changed.height
    counts.unchanged = both.height - fresh.height - changed.height
    counts.updated += superseded  # an earlier duplicate row was replaced by a later one

    def values(frame: pl.DataFrame, cols: Sequence[str]) -> list[tuple]:
        if not db.pg:
            frame = frame.with_columns(pl.col(c).cast(pl.String) for c in ("date_in", "settled_on"))
        return frame.select(cols).rows()

    db.insert("visit", ("store_id", "ro_number", *VISIT_COLUMNS, "status"),
              values(fresh.sort("ro_number").with_columns(pl.lit(store_id).alias("store_id"), pl.lit("settled").alias("status")),
                     ("store_id", "ro_number", *VISIT_COLUMNS, "status")))
    db.many(f"UPDATE visit SET {', '.join(f'{c} = ?' for c in VISIT_COLUMNS)} WHERE id = ?",
            values(changed, (*VISIT_COLUMNS, "_id")))

    # The car's mileage is its latest visit's (a vehicles export may have set it before).
    touched = keyed["vehicle_id"].unique().to_list()
    for chunk in _chunks(touched):
        cond, params = db.any_of("id", chunk)
        db.execute(
            "UPDATE vehicle SET mileage = COALESCE((SELECT v.mileage FROM visit v WHERE v.vehicle_id = vehicle.id "
            "AND v.mileage IS NOT NULL AND v.status <> 'cancelled' ORDER BY v.date_in DESC, v.id DESC LIMIT 1), "
            f"mileage) WHERE {cond}",
            params,
        )
    return counts


_VISIT_TYPES: dict[str, pl.DataType] = {
    "vehicle_id": pl.Int64, "date_in": pl.Date, "settled_on": pl.Date, "repair_type": pl.String,
    "repair_type_raw": pl.String, "mileage": pl.Int64, "labour_fen": pl.Int64, "parts_fen": pl.Int64,
    "oil_fen": pl.Int64, "accessories_fen": pl.Int64, "total_fen": pl.Int64, "sa_name": pl.String,
}


# --- the import journal -------------------------------------------------------------


def store_for_import(session: Session, code: str | None, *, default_code: str = "STORE1") -> tuple[int, bool]:
    """(store id, created): the store named by ``code`` (or the only one); on a
    database without any store, the first import creates it."""
    from sqlmodel import select

    from store.models import Store
    from store.stores import ensure_store, resolve_store

    if session.exec(select(Store.id).limit(1)).first() is not None:
        return resolve_store(session, code).id, False
    return ensure_store(session, code or default_code, name=code or default_code).id, True


def start_import(session: Session, *, store_id: int, file_name: str, sha256: str, kind: str, fmt: str) -> int:
    """A journal row for an import about to run (committed on its own, so a killed
    import leaves a trace the next run sees)."""
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
