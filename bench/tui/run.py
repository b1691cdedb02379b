"""Keypress to rendered results on the counter's lookup screen, driven by Pilot.

Types realistic queries one key at a time into the real app (headless) and times
each key from the press until the results table for that exact query has been
painted (the screen's next refresh after the rows went in). Beside it, the same
queries through ``Counter.lookup`` alone, so the screen's own share is visible.

    dealerdesk demo --db sqlite:////tmp/h5/big.sqlite --vehicles 1000000   # once, ~20 min
    python bench/tui/run.py --db sqlite:////tmp/h5/big.sqlite

Queries: parts of plates, phones' last 4, VINs' last 6 (drawn from the database
with a fixed seed), names in pinyin initials, full pinyin and characters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select  # noqa: E402

from store import clock  # noqa: E402
from store.db import open_engine, read_session  # noqa: E402
from store.models import Customer, Vehicle  # noqa: E402


def sample_queries(engine, seed: int, per_kind: int) -> dict[str, list[str]]:
    """Queries an advisor would type, drawn from the database itself."""
    rng = random.Random(seed)
    with read_session(engine) as s:
        top = s.execute(select(func.max(Vehicle.id))).scalar() or 0
        rows = []
        while len(rows) < per_kind * 3 and top:
            v = s.get(Vehicle, rng.randint(1, top))
            if v is not None and v.plate and v.vin and v.customer_id:
                c = s.get(Customer, v.customer_id)
                if c is not None and c.phone:
                    rows.append((v.plate, v.vin, c.phone, c.name))
    plates = [p[1:][rng.randint(0, 2):][:4] for p, *_ in rows[:per_kind]]  # e.g. "A123", "2345"
    return {
        "plate part": plates,
        "phone last 4": [ph[-4:] for _, _, ph, _ in rows[per_kind:2 * per_kind]],
        "VIN last 6": [vin[-6:] for _, vin, _, _ in rows[2 * per_kind:3 * per_kind]],
        "name initials": ["zw", "lj", "wf", "cj", "hl"][:per_kind],
        "name pinyin": ["zhangwei", "liuyang", "chenjing"][:per_kind],
        "name characters": ["张伟", "李娜", "王芳"][:per_kind],
    }


def store_only(engine, queries: dict[str, list[str]]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each query and every prefix of it through the Counter alone (no screen): wall
    and CPU ms."""
    from store.counter import Counter

    counter = Counter(engine)
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for kind, items in queries.items():
        wall[kind], cpu[kind] = [], []
        for q in items:
            for i in range(1, len(q) + 1):
                started, cpu_started = time.perf_counter(), time.process_time()
                counter.lookup(q[:i])
                wall[kind].append((time.perf_counter() - started) * 1000)
                cpu[kind].append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


async def drive(engine, queries: dict[str, list[str]], size: tuple[int, int]):
    """Per query kind: wall ms from keypress to painted results, and the process's CPU
    ms over the same span (all threads: the part a busy machine cannot inflate)."""
    from textual.widgets import Input

    from tui.app import DealerDeskApp
    from tui.screens.lookup import LookupScreen

    painted: dict[str, float] = {}
    arrived = asyncio.Event()
    real_show = LookupScreen.show

    def mark(query: str) -> None:
        painted[query] = time.perf_counter()
        arrived.set()

    def show(self, matches, query):
        real_show(self, matches, query)
        # Rows are in the table; the time counts once the screen has been painted with them.
        self.call_after_refresh(mark, query)

    LookupScreen.show = show
    app = DealerDeskApp(engine, blink=False)
    results: dict[str, list[float]] = {}
    cpu_results: dict[str, list[float]] = {}
    first_key_ms = 0.0
    try:
        async with app.run_test(size=size) as pilot:
            box = app.screen.query_one("#query", Input)
            first = True
            for kind, items in queries.items():
                times, cpu = [], []
                for q in items:
                    box.value = ""
                    await pilot.pause()
                    for i, ch in enumerate(q):
                        expected = q[: i + 1]
                        painted.pop(expected, None)
                        arrived.clear()
                        started = time.perf_counter()
                        cpu_started = time.process_time()
                        await pilot.press(ch)
                        while expected not in painted:  # woken by the paint, no polling
                            try:
                                await asyncio.wait_for(arrived.wait(), timeout=10)
                            except TimeoutError:
                                raise SystemExit(f"no results painted for {expected!r} within 10 s")
                            arrived.clear()
                        ms = (painted[expected] - started) * 1000
                        cpu_ms = (time.process_time() - cpu_started) * 1000
                        if first:
                            first_key_ms, first = ms, False
                        else:
                            times.append(ms)
                            cpu.append(cpu_ms)
                results[kind] = times
                cpu_results[kind] = cpu
    finally:
        LookupScreen.show = real_show
    return results, cpu_results, first_key_ms


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    pick = lambda f: ordered[min(len(ordered) - 1, int(f * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": pick(0.95), "max": ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL (e.g. sqlite:////tmp/h5/big.sqlite)")
    parser.add_argument("--today", default="2026-11-22")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--per-kind", type=int, default=5, help="queries of each kind")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the queries (the first warms caches)")
    parser.add_argument("--size", default="120x36", help="terminal size WxH")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()

    clock.set_today(date.fromisoformat(args.today))
    engine = open_engine(args.db)
    with read_session(engine) as s:
        vehicles = s.execute(select(func.count()).select_from(Vehicle)).scalar()
    queries = sample_queries(engine, args.seed, args.per_kind)
    width, height = (int(x) for x in args.size.split("x"))
    print(f"{engine.url.render_as_string()}: {vehicles:,} vehicles; {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print("queries:", json.dumps(queries, ensure_ascii=False))

    report = {"vehicles": vehicles, "queries": queries, "rounds": []}
    for round_no in range(1, args.rounds + 1):
        screen, screen_cpu, first = asyncio.run(drive(engine, queries, (width, height)))
        store, store_cpu = store_only(engine, queries)
        print(f"\nround {round_no}: first keypress after start {first:.1f} ms (excluded below); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"{'query kind':<16} {'keys':>5} {'screen p50':>11} {'p95':>7} {'max':>7} {'cpu p50':>8}"
              f"   {'store p50':>10} {'p95':>7} {'cpu p50':>8}")
        rows = {}
        for kind in queries:
            a, b = summary(screen[kind]), summary(store[kind])
            ac, bc = summary(screen_cpu[kind]), summary(store_cpu[kind])
            rows[kind] = {"screen": a, "screen_cpu": ac, "store": b, "store_cpu": bc}
            print(f"{kind:<16} {a['n']:>5} {a['p50']:>9.1f}ms {a['p95']:>5.1f}ms {a['max']:>5.1f}ms {ac['p50']:>6.1f}ms"
                  f"   {b['p50']:>8.1f}ms {b['p95']:>5.1f}ms {bc['p50']:>6.1f}ms")
        total = summary([t for kind in queries for t in screen[kind]])
        total_cpu = summary([t for kind in queries for t in screen_cpu[kind]])
        print(f"{'all keys':<16} {total['n']:>5} {total['p50']:>9.1f}ms {total['p95']:>5.1f}ms {total['max']:>5.1f}ms"
              f" {total_cpu['p50']:>6.1f}ms")
        report["rounds"].append({"first_key_ms": first, "kinds": rows, "all": total, "all_cpu": total_cpu,
                                 "loadavg": os.getloadavg()})
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
