"""Lookup latency at the counter: p50/p99 of `store.lookup.lookup` against the raw
indexed SQL that returns the same rows (the floor), at several fleet sizes, on
SQLite and Postgres.

    python bench/lookup/run.py --sizes 100000,1000000 --backends sqlite,postgres \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Databases are built once with the demo generator and cached (SQLite files under
--data-dir, Postgres databases named dd_bench_lookup_<size>); --rebuild makes them anew.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from store.access import SYSTEM
from store import clock
from store.db import make_engine, open_engine, read_session
from store.demo import generate
from store.lookup import _lookup_pg_sql, _range_params, lookup, query_ranges
from store.models import Customer, Vehicle

TODAY = date(2026, 11, 22)
clock.set_today(TODAY)  # the day the fleets were generated for


def build(url: str, size: int, rebuild: bool) -> None:
    engine = open_engine(url, auto_upgrade=True)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Vehicle)).scalar()
    if have == size and not rebuild:
        return
    if have:
        raise SystemExit(f"{url} holds {have} vehicles, not {size}: use --rebuild")
    started = time.perf_counter()
    generate(engine, vehicles=size, seed=1, today=TODAY, batch=10000,
             progress=lambda d, t: print(f"\r  generating {d:,}/{t:,}", end="", file=sys.stderr))
    print(f"\n  built {size:,} vehicles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def pg_database(admin_url: str, name: str, rebuild: bool) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and rebuild:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def sample_queries(engine, n: int, seed: int = 5) -> list[str]:
    """What SAs type: plate fragments, phone last 4, VIN last 6, pinyin initials, names."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        top = conn.execute(select(func.max(Vehicle.id))).scalar()
        ids = [rng.randint(1, top) for _ in range(n)]
        rows = conn.execute(
            select(Vehicle.plate, Vehicle.vin, Customer.name, Customer.phone)
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(Vehicle.id.in_(ids))
        ).all()
    from store.lookup import pinyin_forms

    queries = []
    for plate, vin, name, phone in rows:
        kind = rng.random()
        if kind < 0.5:
            length = rng.randint(3, 5)
            start = rng.randint(1, len(plate) - length)
            queries.append(plate[start : start + length])
        elif kind < 0.7:
            queries.append(phone[-4:])
        elif kind < 0.8 and vin:
            queries.append(vin[-6:])
        elif kind < 0.9:
            queries.append(pinyin_forms(name)[1])
        else:
            queries.append(name)
    rng.shuffle(queries)
    return queries[:n]


DESCRIBE_FLOOR = """
SELECT v.id, v.customer_id, v.plate, v.vin, v.model, c.name, c.phone,
  (SELECT count(*) FROM visit x WHERE x.vehicle_id = v.id AND x.status <> 'cancelled'),
  (SELECT max(x.date_in) FROM visit x WHERE x.vehicle_id = v.id AND x.status <> 'cancelled'),
  (SELECT coalesce(m.tier_code, m.scheme) FROM membership m
    WHERE m.customer_id = v.customer_id AND m.status = 'active' ORDER BY m.id DESC LIMIT 1),
  (SELECT p.balance FROM pointsaccount p WHERE p.customer_id = v.customer_id)
FROM vehicle v LEFT JOIN customer c ON c.id = v.customer_id WHERE v.id IN ({marks})
"""


def floor_lookup(cur, dialect: str, q: str) -> list:
    """The same rows as lookup, by hand-written SQL on the bare DBAPI cursor: the floor.
    On Postgres, the lookup's own one statement (ranges, page and facts in one round
    trip) run bare: what is left between the two is Python."""
    if dialect == "postgresql":
        n, params = _range_params(q, 50)
        if not n:
            return []
        cur.execute(_lookup_pg_sql(n), {**params, "d": TODAY, "w": date(TODAY.year - 1, TODAY.month, TODAY.day)})
        return cur.fetchall()
    mark = "?"
    ids: dict[int, None] = {}
    ranges = query_ranges(q)
    if ranges:
        sql = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {i} AS k, term, vehicle_id FROM searchterm WHERE term >= {mark} AND term < {mark}"
            f" ORDER BY term LIMIT 50) r{i}" for i in range(len(ranges)))
        args = [x for term, is_prefix in ranges for x in (term, term + ("\U0010ffff" if is_prefix else "\x01"))]
        cur.execute(f"SELECT vehicle_id FROM ({sql}) u ORDER BY k, term", args)
        for (vid,) in cur.fetchall():
            ids.setdefault(vid, None)
    if not ids:
        return []
    ids = dict.fromkeys(list(ids)[:50])
    cur.execute(DESCRIBE_FLOOR.format(marks=", ".join([mark] * len(ids))), list(ids))
    return cur.fetchall()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(url: str, queries: list[str]) -> dict:
    engine = make_engine(url)
    full, floor, found = [], [], 0
    raw = engine.raw_connection()
    cur = raw.cursor()
    # Warm-cache figures: every query's pages read once before timing, so neither side
    # pays the other's disk reads (the floor ran second and got the lookup's warm pages).
    for q in queries:
        floor_lookup(cur, engine.dialect.name, q)
    with read_session(engine) as s:
        for q in queries:
            lookup(s, q, actor=SYSTEM)
    for q in queries:
        t0 = time.perf_counter()
        with read_session(engine, snapshot=False) as s:  # a session per keypress, as the counter does
            found += bool(lookup(s, q, actor=SYSTEM))
        full.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        floor_lookup(cur, engine.dialect.name, q)
        floor.append((time.perf_counter() - t0) * 1000)
    raw.close()
    engine.dispose()
    return {
        "queries": len(queries),
        "found": found,
        "lookup_p50_ms": round(statistics.median(full), 3),
        "lookup_p99_ms": round(percentile(full, 99), 3),
        "floor_p50_ms": round(statistics.median(floor), 3),
        "floor_p99_ms": round(percentile(floor, 99), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--data-dir", default="/tmp/dealerdesk-bench")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{Path(args.data_dir) / f'lookup_{size}.sqlite'}"
            else:
                url = pg_database(args.pg_url, f"dd_bench_lookup_{size}", args.rebuild)
            print(f"{backend} {size:,} vehicles", file=sys.stderr)
            build(url, size, args.rebuild)
            queries = sample_queries(make_engine(url), args.queries)
            row = {"backend": backend, "vehicles": size, **measure(url, queries)}
            row["ratio_p99"] = round(row["lookup_p99_ms"] / row["floor_p99_ms"], 2)
            print(json.dumps(row), flush=True)
            results.append(row)
    print("\n| backend | vehicles | queries | lookup p50 | lookup p99 | floor p50 | floor p99 | p99 / floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['backend']} | {r['vehicles']:,} | {r['queries']} | {r['lookup_p50_ms']} ms | {r['lookup_p99_ms']} ms "
              f"| {r['floor_p50_ms']} ms | {r['floor_p99_ms']} ms | {r['ratio_p99']}x |")
    print(f"\n{platform.platform()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
