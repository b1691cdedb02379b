"""Redemptions per second with N concurrent writer processes, and the anomalies (must be 0).

Each writer is its own process with its own engine (real concurrency, not threads).
All writers start at one instant and redeem with unique idempotency keys; every
tenth attempt re-sends the previous key (a till retrying), which must come back as
the same redemption, never a second one. Two scenarios:

- hot: every writer redeems against ONE member (two tills, one customer, worst case);
  the balance runs out near the end, so refusals are exercised too.
- spread: writers redeem against many members (a store's normal day).

Anomalies counted afterwards: a balance that differs from start minus what the
successful redemptions spent, ledger rows that differ from the successes, a retried
key charged twice, a refusal while the balance sufficed, any account whose cached
balance disagrees with its ledger or unspent lots (``points check``), any
unexpected error.

    python bench/points/run.py --backends sqlite,postgres \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

SQLite files go under --data-dir; on Postgres the database dd_bench_points is
dropped and created anew on every run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select, text

TODAY = date(2026, 11, 22)
PRICE = 10


def writer(url: str, plan: list[tuple[int, str]], ready, start, out) -> None:
    """One till: redeem each (customer, key) in order; report outcome and latency."""
    from store import clock, points
    from store.access import SYSTEM
    from store.db import in_transaction, make_engine

    clock.set_today(TODAY)
    engine = make_engine(url)
    with engine.connect():
        pass
    ready.release()
    start.wait()
    results = []
    for customer_id, key in plan:
        t0 = time.perf_counter()
        try:
            r = in_transaction(engine, lambda s, c=customer_id, k=key: points.redeem(
                s, customer_id=c, item_code="BENCH", key=k, actor=SYSTEM))
            results.append(("ok", customer_id, key, r.entry_id, r.replayed, None, time.perf_counter() - t0))
        except points.PointsError as exc:
            results.append(("refused", customer_id, key, None, False, str(exc), time.perf_counter() - t0))
        except Exception as exc:  # noqa: BLE001 - counted as an anomaly
            results.append(("error", customer_id, key, None, False, repr(exc), time.perf_counter() - t0))
    results.append(("done", time.perf_counter()))
    engine.dispose()
    out.put(results)


def setup(url: str, members: int, balance: int) -> list[int]:
    """A fresh store with ``members`` members holding ``balance`` points each."""
    from store.bulk import bulk_insert
    from store.db import open_engine
    from store.models import CatalogItem, Customer, Membership, PointsAccount, PointsEntry, Store

    engine = open_engine(url, auto_upgrade=True)
    with engine.begin() as conn:
        store_id = conn.execute(Store.__table__.insert().values(code="BENCH", name="bench")).inserted_primary_key[0]
        conn.execute(CatalogItem.__table__.insert().values(store_id=store_id, code="BENCH", name="bench item",
                                                           category="service", price_points=PRICE, active=True))
        bulk_insert(conn, Customer.__table__, [
            {"id": i, "store_id": store_id, "name": f"m{i}", "do_not_contact": False,
             "created_at": TODAY, "updated_at": TODAY} for i in range(1, members + 1)])
        bulk_insert(conn, Membership.__table__, [
            {"id": i, "store_id": store_id, "customer_id": i, "scheme": "stored", "status": "active",
             "started_on": TODAY, "fee_fen": 0, "stored_value_fen": 0, "created_at": TODAY}
            for i in range(1, members + 1)])
        bulk_insert(conn, PointsAccount.__table__, [
            {"id": i, "customer_id": i, "balance": balance, "owed": 0, "updated_at": TODAY}
            for i in range(1, members + 1)])
        bulk_insert(conn, PointsEntry.__table__, [
            {"id": i, "account_id": i, "kind": "adjust", "points": balance, "remaining": balance,
             "idempotency_key": f"bench:seed:{i}", "reason": "seed", "created_at": TODAY}
            for i in range(1, members + 1)])
        if conn.dialect.name == "postgresql":
            from store.bulk import fix_sequences

            fix_sequences(conn, [Customer.__table__, Membership.__table__, PointsAccount.__table__,
                                 PointsEntry.__table__])
    engine.dispose()
    return list(range(1, members + 1))


def run_scenario(url: str, name: str, writers: int, per_writer: int, members: int, balance: int) -> dict:
    customers = setup(url, members, balance)
    plans = []
    for w in range(writers):
        plan = []
        for i in range(per_writer):
            customer = customers[(w * per_writer + i) % len(customers)]
            if i % 10 == 9:  # a till retrying its previous request
                plan.append(plan[-1])
            else:
                plan.append((customer, f"w{w}-{i}"))
        plans.append(plan)
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    ready, start, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, plan, ready, start, out)) for plan in plans]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    t0 = time.perf_counter()
    start.set()
    batches = [out.get() for _ in procs]
    for p in procs:
        p.join()
    ends = [b.pop()[1] for b in batches]
    wall = max(ends) - t0
    results = [r for b in batches for r in b]
    return {"scenario": name, "writers": writers, "members": members, "attempts": len(results),
            "wall_s": wall, **verify(url, results, customers, balance)}


def verify(url: str, results: list[tuple], customers: list[int], balance: int) -> dict:
    from store import points
    from store.access import SYSTEM
    from store.db import make_engine, read_session
    from store.models import PointsAccount, PointsEntry

    fresh = [r for r in results if r[0] == "ok" and not r[4]]
    replays = [r for r in results if r[0] == "ok" and r[4]]
    refused = [r for r in results if r[0] == "refused"]
    errors = [r for r in results if r[0] == "error"]
    anomalies: list[str] = [f"error: {r[5]}" for r in errors]
    engine = make_engine(url)
    with read_session(engine) as s:
        balances = dict(s.exec(select(PointsAccount.customer_id, PointsAccount.balance)).all())
        rows = s.exec(select(PointsEntry.account_id, PointsEntry.idempotency_key, PointsEntry.points)
                      .where(PointsEntry.kind == "redeem")).all()
        check = points.check_ledger(s, actor=SYSTEM)
    engine.dispose()
    spent: dict[int, int] = {}
    for r in fresh:
        spent[r[1]] = spent.get(r[1], 0) + PRICE
    for c in customers:
        if balances[c] != balance - spent.get(c, 0):
            anomalies.append(f"customer {c}: balance {balances[c]}, expected {balance - spent.get(c, 0)}")
        if balances[c] < 0:
            anomalies.append(f"customer {c}: negative balance {balances[c]}")
    keys = [k for _, k, _ in rows]
    if len(keys) != len(set(keys)) or sorted(keys) != sorted(f"redeem:{r[2]}" for r in fresh):
        anomalies.append(f"{len(rows)} redemption rows for {len(fresh)} successful redemptions")
    fresh_ids = {r[3] for r in fresh}
    anomalies += [f"retried key {r[2]} gave entry {r[3]}, not the first redemption" for r in replays
                  if r[3] not in fresh_ids]
    for r in refused:  # a refusal is only right when the balance truly fell short
        if "not enough points" not in r[5] or int(r[5].split("balance ")[1].split(",")[0]) >= PRICE:
            anomalies.append(f"refused wrongly: {r[5]}")
    anomalies += [d.describe() for d in check.differences]
    latencies = sorted(r[6] for r in results if r[0] == "ok" and not r[4])
    return {
        "redeemed": len(fresh), "replayed": len(replays), "refused": len(refused), "errors": len(errors),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else None,
        "anomalies": len(anomalies), "anomaly_examples": anomalies[:5],
    }


def pg_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite", help="comma list: sqlite,postgres")
    parser.add_argument("--pg-url", help="an admin URL on the Postgres server (dd_bench_points is made there)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250, help="redemption attempts per writer")
    parser.add_argument("--spread-members", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dealerdesk-bench-points"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    out = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        for name, members in (("hot", 1), ("spread", args.spread_members)):
            if backend == "sqlite":
                args.data_dir.mkdir(parents=True, exist_ok=True)
                path = args.data_dir / f"points-{name}.sqlite"
                for p in args.data_dir.glob(f"points-{name}.sqlite*"):
                    p.unlink()
                url = f"sqlite:///{path}"
            elif backend == "postgres":
                if not args.pg_url:
                    sys.exit("--pg-url is needed for the postgres backend")
                url = pg_database(args.pg_url, "dd_bench_points")
            else:
                sys.exit(f"unknown backend {backend!r}")
            attempts = args.writers * args.per_writer
            # hot: the one member can pay for 80% of the attempts (90% are new keys), so the last are refused
            balance = (attempts * 8 // 10) * PRICE if members == 1 else 10_000 * PRICE
            r = run_scenario(url, name, args.writers, args.per_writer, members, balance)
            r["backend"] = backend
            r["redemptions_per_s"] = round(r["redeemed"] / r["wall_s"], 1)
            out.append(r)
            print(f"{backend:8} {name:6} writers={r['writers']} members={members:<5} attempts={r['attempts']} "
                  f"redeemed={r['redeemed']} replayed={r['replayed']} refused={r['refused']} "
                  f"{r['redemptions_per_s']:>7}/s p50={r['p50_ms']}ms p99={r['p99_ms']}ms anomalies={r['anomalies']}",
                  flush=True)
            for example in r["anomaly_examples"]:
                print("   ", example)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": mp.cpu_count(),
            "date": TODAY.isoformat()}
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": out}, indent=2, default=str))
    if any(r["anomalies"] for r in out):
        sys.exit(1)


if __name__ == "__main__":
    main()
