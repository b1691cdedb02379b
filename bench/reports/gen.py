"""Group-scale data for the reports benchmark, made with numpy and polars.

Why not ``store.demo.generate``: it builds each visit in a Python loop (plus
members, points, pitches and search terms the churn report never reads); at ten
million visits that is most of an hour. This writes only what the report reads:
stores, vehicles (no customers) and visits, straight into the schema the
migrations made, with COPY on Postgres and executemany on SQLite, then rebuilds
the visit indexes once at the end.

The park: vehicles bought over eight years (day of month 1-28), each with a
loyalty that decides how long ago it last came back, so the class mix has every
class; visits spread between purchase and that last return.
"""

from __future__ import annotations

import io
import time
from datetime import date, datetime

import numpy as np
import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import Engine

MODELS = ["轩逸", "天籁", "奇骏", "逍客", "楼兰", "蓝鸟", "骐达", "艾睿雅"]
REGIONS = ["天河区", "番禺区", "白云区", "增城区", "从化区", "花都区"]
SAS = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽"]
TYPES = ["maintenance", "maintenance", "maintenance", "repair", "insurance", "accessories", "warranty", "bodywork"]
VISIT_INDEXES = {  # name: columns, as the migrations create them (rebuilt after the load)
    "ix_visit_vehicle_date": "vehicle_id, date_in",
    "ix_visit_date_in": "date_in",
    "ix_visit_sa_name": "sa_name",
}


def frames(vehicles: int, visits_per_vehicle: float, as_of: date, stores: int, seed: int):
    """(stores, vehicles, visits) as polars frames; visits come in chunks (a generator)."""
    rng = np.random.default_rng(seed)
    n = vehicles
    as_of_ord = np.datetime64(as_of, "D")
    months_back = rng.integers(0, 96, n)
    month_index = (as_of.year - 1970) * 12 + (as_of.month - 1) - months_back  # months since 1970-01
    purchase = (month_index.astype("datetime64[M]").astype("datetime64[D]")
                + rng.integers(0, 28, n).astype("timedelta64[D]"))
    purchase = np.minimum(purchase, as_of_ord - np.timedelta64(1, "D"))
    # Last return, by loyalty: 45% within 3 months, 20% 3-6 months ago, 35% longer.
    roll = rng.random(n)
    gap = np.where(roll < 0.45, rng.integers(0, 92, n),
                   np.where(roll < 0.65, rng.integers(92, 184, n), rng.integers(184, 1500, n)))
    last = np.maximum(as_of_ord - gap.astype("timedelta64[D]"), purchase)
    has_visits = rng.random(n) > 0.04  # a few never came back
    warranty_end = np.where(rng.random(n) < 0.2, purchase + np.timedelta64(5 * 365, "D"), np.datetime64("NaT"))
    sold = np.where(rng.random(n) < 0.01, as_of_ord - rng.integers(1, 400, n).astype("timedelta64[D]"),
                    np.datetime64("NaT"))
    store_ids = rng.integers(1, stores + 1, n)
    vehicle_df = pl.DataFrame({
        "id": np.arange(1, n + 1),
        "store_id": store_ids,
        "plate": [f"粤B{i:07d}" for i in range(1, n + 1)],
        "model": np.array(MODELS)[rng.integers(0, len(MODELS), n)],
        "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n)],
        "purchase_date": purchase,
        "warranty_end": warranty_end,
        "sold_on": sold,
    }).with_columns(pl.col("purchase_date", "warranty_end", "sold_on").cast(pl.Date))
    store_df = pl.DataFrame({"id": np.arange(1, stores + 1), "code": [f"S{i:03d}" for i in range(1, stores + 1)],
                             "name": [f"门店{i}" for i in range(1, stores + 1)]})

    def visit_chunks(chunk_vehicles: int = 100_000):
        next_id = 1
        for lo in range(0, n, chunk_vehicles):
            hi = min(n, lo + chunk_vehicles)
            k = np.where(has_visits[lo:hi], rng.poisson(visits_per_vehicle - 1, hi - lo) + 1, 0)
            vidx = np.repeat(np.arange(lo, hi), k)
            span = (last[vidx] - purchase[vidx]).astype(np.int64)
            offset = (rng.random(len(vidx)) * (span + 1)).astype(np.int64)
            dates = purchase[vidx] + offset.astype("timedelta64[D]")
            # Each vehicle's last visit falls on its last return.
            first_of = np.r_[0, np.cumsum(k)[:-1]][k > 0]
            dates[first_of] = last[vidx[first_of]]
            m = len(vidx)
            ids = np.arange(next_id, next_id + m)
            next_id += m
            total = rng.integers(1, 30, m) * 10_000
            yield pl.DataFrame({
                "id": ids,
                "store_id": store_ids[vidx],
                "vehicle_id": vidx + 1,
                "ro_number": pl.Series(ids).cast(pl.String).str.pad_start(10, "0"),
                "date_in": dates,
                "settled_on": dates,
                "repair_type": np.array(TYPES)[rng.integers(0, len(TYPES), m)],
                "labour_fen": np.zeros(m, dtype=np.int64), "parts_fen": total, "oil_fen": np.zeros(m, dtype=np.int64),
                "accessories_fen": np.zeros(m, dtype=np.int64), "total_fen": total,
                "sa_name": np.array(SAS)[rng.integers(0, len(SAS), m)],
                "status": np.where(rng.random(m) < 0.01, "cancelled", "settled"),
            }).with_columns(pl.col("date_in", "settled_on").cast(pl.Date))

    return store_df, vehicle_df, visit_chunks


def load(engine: Engine, *, vehicles: int, visits_per_vehicle: float, as_of: date, stores: int = 20, seed: int = 11,
         log=print) -> int:
    """Fill an empty, migrated database; returns the number of visits written."""
    store_df, vehicle_df, visit_chunks = frames(vehicles, visits_per_vehicle, as_of, stores, seed)
    now = datetime(as_of.year, as_of.month, as_of.day)
    vehicle_df = vehicle_df.with_columns(created_at=pl.lit(now), updated_at=pl.lit(now))
    pg = engine.dialect.name == "postgresql"
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for name in VISIT_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        _write(conn, "store", store_df, pg)
        _write(conn, "vehicle", vehicle_df, pg)
    log(f"  {len(vehicle_df):,} vehicles in {time.perf_counter() - t0:.0f} s")
    written = 0
    for chunk in visit_chunks():
        with engine.begin() as conn:
            _write(conn, "visit", chunk, pg)
        written += len(chunk)
        log(f"  {written:,} visits, {time.perf_counter() - t0:.0f} s")
    with engine.begin() as conn:
        for name, cols in VISIT_INDEXES.items():
            conn.execute(text(f"CREATE INDEX {name} ON visit ({cols})"))
        if pg:
            for table in ("store", "vehicle", "visit"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}) + 1, false)"))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    log(f"  indexes and statistics, {time.perf_counter() - t0:.0f} s in all")
    return written


def _write(conn, table: str, df: pl.DataFrame, pg: bool) -> None:
    cols = df.columns
    if pg:
        buf = io.BytesIO()
        df.write_csv(buf, include_header=False, null_value="")
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN WITH (FORMAT csv)') as copy:
                copy.write(buf.getvalue())
        return
    # SQLite: dates and times as ISO text, the way SQLAlchemy stores them.
    out = df.with_columns([pl.col(c).cast(pl.String) for c, t in df.schema.items() if t in (pl.Date, pl.Datetime)])
    placeholders = ", ".join("?" for _ in cols)
    conn.connection.driver_connection.executemany(
        f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({placeholders})', out.iter_rows())
