"""Redemptions per second through the app beside the same redemption as bare SQL on the
driver (the floor), with N concurrent writer processes, and the anomalies (must be 0).

Each writer is its own process (real concurrency, not threads) holding both an app
engine (``store.points.redeem_now``, as the CLI and the counter's points screen call it:
the rights, the key, the full rules where the statements do not settle it) and a bare driver connection (sqlite3 / psycopg) that runs the same
statements the app's lean path runs (``store.points_lean``) and nothing else: BEGIN,
the debit, the ledger row, the lots, the audit row, COMMIT. The same processes run
both, phase by phase, interleaved A F F A (app, floor, floor, app, ...), every writer
starting each phase at one instant, so both meet the same machine load and the same
contention. App and floor redeem against their own members.

Every tenth attempt re-sends the previous key (a till retrying): it must come back as
the same redemption, never a second one. Two scenarios:

- hot: every writer redeems against ONE member (two tills, one customer, worst case);
  the balance covers 80% of the attempts, so refusals are exercised too.
- spread: writers redeem against many members (a store's normal day).

Anomalies counted afterwards, for each side: a balance that differs from start minus
what the successful redemptions spent, ledger rows that differ from the successes, a
retried key charged twice, a refusal while the balance sufficed, any account whose
cached balance disagrees with its ledger or unspent lots (``points check``), any
unexpected error.

    python bench/points/run.py --backends sqlite,postgres \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres --pg-db bench17_points

SQLite files go under --data-dir; on Postgres the database --pg-db is dropped and
created anew for every scenario.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select, text

TODAY = date(2026, 11, 22)
PRICE = 10
SIDES = ("app", "floor")


# --- the two ways to redeem ---------------------------------------------------------------


class App:
    def __init__(self, url: str) -> None:
        from store.db import make_engine

        self.engine = make_engine(url)
        with self.engine.connect():
            pass

    def redeem(self, customer_id: int, key: str) -> tuple:
        from store import points
        from store.access import SYSTEM

        try:
            r = points.redeem_now(self.engine, customer_id=customer_id, item_code="BENCH", key=key, actor=SYSTEM)
            return "ok", r.entry_id, r.replayed, None
        except points.PointsError as exc:
            return "refused", None, False, str(exc)

    def close(self) -> None:
        self.engine.dispose()


class Floor:
    """The app's lean statements on the bare driver: nothing around them."""

    def __init__(self, url: str) -> None:
        from store import points_lean

        self.lean = points_lean
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            import sqlite3

            self.conn = sqlite3.connect(url.split("///", 1)[1], timeout=30, isolation_level=None,
                                        check_same_thread=False)
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                self.conn.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    def redeem(self, customer_id: int, key: str) -> tuple:
        from store import clock

        p = self.lean.redeem_params(customer_id=customer_id, code="BENCH", qty=1, key=f"redeem:{key}", staff_id=None,
                                    store_id=None, now=clock.now(), today=clock.today(), at=clock.real_now(),
                                    detail_extra=', "system": "bench"', sqlite=self.sqlite)
        conn = self.conn
        cur = conn.cursor()
        if self.sqlite:
            cur.execute("BEGIN IMMEDIATE")
            done = self.lean.run_sqlite(cur, p)
        else:
            try:
                done = self.lean.run_pg(cur, p)
            except self.lean.Retry:
                conn.rollback()
                done = None
        if done is not None:
            cur.execute("COMMIT") if self.sqlite else conn.commit()
            return "ok", done.entry_id, False, None
        # Not settled by the statements: a replayed key, or the balance short.
        mark = "?" if self.sqlite else "%s"
        row = cur.execute(f"SELECT id FROM pointsentry WHERE idempotency_key = {mark}", (p["key"],)).fetchone()
        balance = cur.execute(f"SELECT balance FROM pointsaccount WHERE customer_id = {mark}", (customer_id,)).fetchone()
        cur.execute("ROLLBACK") if self.sqlite else conn.rollback()
        if row is not None:
            return "ok", row[0], True, None
        return "refused", None, False, f"not enough points: balance {balance[0]}, needs {PRICE}"

    def close(self) -> None:
        self.conn.close()


# --- the writers -----------------------------------------------------------------------


def writer(url: str, phases: list[tuple[str, list[tuple[int, str]]]], barrier, out) -> None:
    """One till: for each phase, wait for every writer, redeem the phase's (customer,
    key) list through the app or the floor, wait again."""
    from store import clock

    clock.set_today(TODAY)
    sides = {"app": App(url), "floor": Floor(url)}
    results = []
    for side, plan in phases:
        barrier.wait()
        for customer_id, key in plan:
            t0 = time.perf_counter()
            try:
                status, entry, replayed, why = sides[side].redeem(customer_id, key)
            except Exception as exc:  # noqa: BLE001 - counted as an anomaly
                status, entry, replayed, why = "error", None, False, repr(exc)
            results.append((side, status, customer_id, key, entry, replayed, why, time.perf_counter() - t0))
        barrier.wait()
    for s in sides.values():
        s.close()
    out.put(results)


def setup(url: str, members: int, balance: int) -> dict[str, list[int]]:
    """A fresh store with ``members`` members for each side, ``balance`` points each."""
    from store.bulk import bulk_insert
    from store.db import open_engine
    from store.models import CatalogItem, Customer, Membership, PointsAccount, PointsEntry, Store

    engine = open_engine(url, auto_upgrade=True)
    n = 2 * members
    with engine.begin() as conn:
        store_id = conn.execute(Store.__table__.insert().values(code="BENCH", name="bench")).inserted_primary_key[0]
        conn.execute(CatalogItem.__table__.insert().values(store_id=store_id, code="BENCH", name="bench item",
                                                           category="service", price_points=PRICE, active=True))
        bulk_insert(conn, Customer.__table__, [
            {"id": i, "store_id": store_id, "name": f"m{i}", "do_not_contact": False,
             "created_at": TODAY, "updated_at": TODAY} for i in range(1, n + 1)])
        bulk_insert(conn, Membership.__table__, [
            {"id": i, "store_id": store_id, "customer_id": i, "scheme": "stored", "status": "active",
             "started_on": TODAY, "fee_fen": 0, "stored_value_fen": 0, "created_at": TODAY}
            for i in range(1, n + 1)])
        bulk_insert(conn, PointsAccount.__table__, [
            {"id": i, "customer_id": i, "balance": balance, "owed": 0, "updated_at": TODAY}
            for i in range(1, n + 1)])
        bulk_insert(conn, PointsEntry.__table__, [
            {"id": i, "account_id": i, "kind": "adjust", "points": balance, "remaining": balance,
             "idempotency_key": f"bench:seed:{i}", "reason": "seed", "created_at": TODAY}
            for i in range(1, n + 1)])
        if conn.dialect.name == "postgresql":
            from store.bulk import fix_sequences

            fix_sequences(conn, [Customer.__table__, Membership.__table__, PointsAccount.__table__,
                                 PointsEntry.__table__])
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"app": list(range(1, members + 1)), "floor": list(range(members + 1, n + 1))}


def plans_for(side: str, customers: list[int], writers: int, per_writer: int) -> list[list[tuple[int, str]]]:
    plans = []
    for w in range(writers):
        plan: list[tuple[int, str]] = []
        for i in range(per_writer):
            customer = customers[(w * per_writer + i) % len(customers)]
            if i % 10 == 9:  # a till retrying its previous request
                plan.append(plan[-1])
            else:
                plan.append((customer, f"{side[0]}-w{w}-{i}"))
        plans.append(plan)
    return plans


def run_scenario(url: str, name: str, writers: int, per_writer: int, members: int, balance: int,
                 rounds: int) -> dict:
    customers = setup(url, members, balance)
    plans = {side: plans_for(side, customers[side], writers, per_writer) for side in SIDES}
    # Interleaved A F F A ...: each side's attempts cut into `rounds` phases.
    order: list[str] = []
    for r in range(rounds):
        order += ["app", "floor"] if r % 2 == 0 else ["floor", "app"]
    chunk = -(-per_writer // rounds)
    seen = {side: 0 for side in SIDES}
    phase_list: list[tuple[str, int]] = []
    for side in order:
        phase_list.append((side, seen[side]))
        seen[side] += chunk
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    barrier, out = ctx.Barrier(writers + 1), ctx.Queue()
    procs = []
    for w in range(writers):
        phases = [(side, plans[side][w][start:start + chunk]) for side, start in phase_list]
        procs.append(ctx.Process(target=writer, args=(url, phases, barrier, out)))
    for p in procs:
        p.start()
    walls = {side: 0.0 for side in SIDES}
    for side, _ in phase_list:
        barrier.wait()  # every writer ready: go
        t0 = time.perf_counter()
        barrier.wait()  # every writer done
        walls[side] += time.perf_counter() - t0
    batches = [out.get() for _ in procs]
    for p in procs:
        p.join()
    results = [r for b in batches for r in b]
    out_ = {"scenario": name, "writers": writers, "members": members, "phases": " ".join(s[0].upper()
                                                                                        for s, _ in phase_list)}
    for side in SIDES:
        mine = [r[1:] for r in results if r[0] == side]
        v = verify(url, mine, customers[side], balance)
        out_[side] = {"attempts": len(mine), "wall_s": round(walls[side], 3),
                      "redemptions_per_s": round(v["redeemed"] / walls[side], 1), **v}
    out_["app_over_floor"] = round(out_["app"]["redemptions_per_s"] / out_["floor"]["redemptions_per_s"], 3)
    return out_


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
        balances = dict(s.exec(select(PointsAccount.customer_id, PointsAccount.balance)
                               .where(PointsAccount.customer_id.in_(customers))).all())
        rows = s.execute(select(PointsEntry.idempotency_key)
                         .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
                         .where(PointsEntry.kind == "redeem", PointsAccount.customer_id.in_(customers))).scalars().all()
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
    if len(rows) != len(set(rows)) or sorted(rows) != sorted(f"redeem:{r[2]}" for r in fresh):
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


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite", help="comma list: sqlite,postgres")
    parser.add_argument("--pg-url", help="an admin URL on the Postgres server (--pg-db is made there)")
    parser.add_argument("--pg-db", default="dd_bench_points", help="the Postgres database to (re)create")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250, help="redemption attempts per writer, each side")
    parser.add_argument("--rounds", type=int, default=2, help="phases per side (interleaved A F F A ...)")
    parser.add_argument("--spread-members", type=int, default=1000)
    parser.add_argument("--scenarios", default="hot,spread")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dealerdesk-bench-points"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    out = []
    print(f"load average {loadavg()} at start; {os.cpu_count()} cpus", flush=True)
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            members = 1 if name == "hot" else args.spread_members
            if backend == "sqlite":
                args.data_dir.mkdir(parents=True, exist_ok=True)
                path = args.data_dir / f"points-{name}.sqlite"
                for p in args.data_dir.glob(f"points-{name}.sqlite*"):
                    p.unlink()
                url = f"sqlite:///{path}"
            elif backend == "postgres":
                if not args.pg_url:
                    sys.exit("--pg-url is needed for the postgres backend")
                url = pg_database(args.pg_url, args.pg_db)
            else:
                sys.exit(f"unknown backend {backend!r}")
            attempts = args.writers * args.per_writer
            # hot: the one member can pay for 80% of the attempts (90% are new keys), so the last are refused
            balance = (attempts * 8 // 10) * PRICE if members == 1 else 10_000 * PRICE
            r = run_scenario(url, name, args.writers, args.per_writer, members, balance, args.rounds)
            r["backend"] = backend
            out.append(r)
            for side in SIDES:
                x = r[side]
                print(f"{backend:8} {name:6} {side:5} writers={r['writers']} attempts={x['attempts']} "
                      f"redeemed={x['redeemed']} replayed={x['replayed']} refused={x['refused']} "
                      f"{x['redemptions_per_s']:>8}/s p50={x['p50_ms']}ms p99={x['p99_ms']}ms "
                      f"anomalies={x['anomalies']}", flush=True)
                for example in x["anomaly_examples"]:
                    print("   ", example)
            print(f"{backend:8} {name:6} app/floor = {r['app_over_floor']:.2f} (phases {r['phases']}); "
                  f"load average {loadavg()}", flush=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": mp.cpu_count(),
            "date": TODAY.isoformat()}
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": out}, indent=2, default=str))
    if any(r[side]["anomalies"] for r in out for side in SIDES):
        sys.exit(1)


if __name__ == "__main__":
    main()
