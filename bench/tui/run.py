"""The counter keeping up with the hands, driven by Pilot on a real database.

Two measures, each beside its floor (the store's work alone, no screen):

Keypress to results painted: types realistic queries one key at a time into the
real app (headless) and times each key from the press until the results for that
exact query have been painted (the screen's next refresh after the rows went in).
Floor: the same prefixes through ``Counter.lookup`` alone.

Enter to profile painted: for each sampled car, its plate (without the province
character, as an advisor types it) is put in the search box and its results are
painted; then Enter is pressed and timed until the profile screen has painted its
loaded profile (the screen's ``profile`` set and its next refresh done); then
Escape back to the lookup (its results painted again) and the next car. Floor:
``Counter.profile`` for the same cars alone, as the same staff member.

    dealerdesk --db sqlite:////tmp/h5/big.sqlite demo --vehicles 1000000   # once, 8-20 min
    python bench/tui/run.py --db sqlite:////tmp/h5/big.sqlite

Queries: parts of plates, phones' last 4, VINs' last 6 (drawn from the database
with a fixed seed), names in pinyin initials, full pinyin and characters. Cars for
the profile: drawn from the database with the same seed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
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


def sample_cars(engine, seed: int, count: int) -> list[tuple[int, str]]:
    """Cars with an owner, as (vehicle id, plate typed: the plate without its province)."""
    rng = random.Random(seed + 1)
    cars: list[tuple[int, str]] = []
    seen: set[int] = set()
    with read_session(engine) as s:
        top = s.execute(select(func.max(Vehicle.id))).scalar() or 0
        while len(cars) < count and top and len(seen) < top:
            vid = rng.randint(1, top)
            if vid in seen:
                continue
            seen.add(vid)
            v = s.get(Vehicle, vid)
            if v is not None and v.plate and v.customer_id and v.sold_on is None:
                cars.append((v.id, v.plate[1:] if not v.plate[0].isascii() else v.plate))
    return cars


def profiles_only(engine, cars: list[tuple[int, str]]) -> tuple[list[float], list[float]]:
    """Each car's profile through the Counter alone, as the app's staff member: wall
    and CPU ms."""
    from store.counter import Counter

    counter = Counter(engine)
    counter.act_as()  # the app without sign-in acts as the store's first service advisor
    wall, cpu = [], []
    for vehicle_id, _ in cars:
        started, cpu_started = time.perf_counter(), time.process_time()
        counter.profile(vehicle_id)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


def store_only(engine, queries: dict[str, list[str]]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each query and every prefix of it through the Counter alone (no screen): wall
    and CPU ms."""
    from store.counter import Counter

    counter = Counter(engine)
    counter.act_as()  # as the app: the store's first service advisor (nobody may not look up)
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


async def wait_for(done, event: asyncio.Event, what: str, timeout: float = 10) -> None:
    """Until ``done()``, woken by ``event`` (set by the paint), no polling."""
    while not done():
        try:
            await asyncio.wait_for(event.wait(), timeout=timeout)
        except TimeoutError:
            raise SystemExit(f"{what} not painted within {timeout:.0f} s")
        event.clear()


async def drive(engine, queries: dict[str, list[str]], cars: list[tuple[int, str]], size: tuple[int, int]):
    """Per query kind: wall ms from keypress to painted results, and the process's CPU
    ms over the same span (all threads: the part a busy machine cannot inflate). Then
    per car: wall and CPU ms from Enter to its profile painted."""
    from textual.widgets import Input

    from tui.app import DealerDeskApp
    from tui.screens.lookup import LookupScreen, ResultList
    from tui.screens.profile import ProfileScreen

    painted: dict[str, float] = {}
    profile_painted: dict[int, float] = {}
    arrived = asyncio.Event()
    real_show = LookupScreen.show
    real_loaded = ProfileScreen.show_loaded

    def mark(query: str) -> None:
        painted[query] = time.perf_counter()
        arrived.set()

    def show(self, matches, query):
        real_show(self, matches, query)
        # Rows are in the table; the time counts once the screen has been painted with them.
        self.call_after_refresh(mark, query)

    def mark_profile(vehicle_id: int) -> None:
        profile_painted[vehicle_id] = time.perf_counter()
        arrived.set()

    def loaded(self, profile):
        real_loaded(self, profile)
        if self.profile is not None:
            # The profile is drawn into the screen's widgets: it counts once they are painted.
            self.call_after_refresh(mark_profile, self.vehicle_id)

    LookupScreen.show = show
    ProfileScreen.show_loaded = loaded
    app = DealerDeskApp(engine, blink=False)
    results: dict[str, list[float]] = {}
    cpu_results: dict[str, list[float]] = {}
    first_key_ms = 0.0
    opened: list[float] = []
    opened_cpu: list[float] = []
    first_open_ms = 0.0
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
                        await wait_for(lambda: expected in painted, arrived, f"results for {expected!r}")
                        ms = (painted[expected] - started) * 1000
                        cpu_ms = (time.process_time() - cpu_started) * 1000
                        if first:
                            first_key_ms, first = ms, False
                        else:
                            times.append(ms)
                            cpu.append(cpu_ms)
                results[kind] = times
                cpu_results[kind] = cpu

            lookup = app.screen
            first = True
            for vehicle_id, typed in cars:
                painted.pop(typed, None)
                arrived.clear()
                box.value = typed
                await wait_for(lambda: typed in painted, arrived, f"results for {typed!r}")
                rows = lookup.query_one("#results", ResultList)
                index = next((i for i, m in enumerate(lookup.matches) if m.vehicle_id == vehicle_id), None)
                if index is None:
                    raise SystemExit(f"{typed!r} does not find vehicle {vehicle_id}")
                rows.move_cursor(row=index)  # the whole plate comes first; a shorter one may not
                await pilot.pause()
                profile_painted.pop(vehicle_id, None)
                arrived.clear()
                started = time.perf_counter()
                cpu_started = time.process_time()
                await pilot.press("enter")
                await wait_for(lambda: vehicle_id in profile_painted, arrived, f"profile of vehicle {vehicle_id}")
                ms = (profile_painted[vehicle_id] - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
                screen = app.screen
                if not isinstance(screen, ProfileScreen) or screen.profile is None \
                        or screen.profile.vehicle.vehicle_id != vehicle_id:
                    raise SystemExit(f"Enter on {typed!r} did not show the profile of vehicle {vehicle_id}")
                if first:
                    first_open_ms, first = ms, False
                else:
                    opened.append(ms)
                    opened_cpu.append(cpu_ms)
                # Back to the lookup: it searches the kept query again; wait for that paint.
                painted.pop(typed, None)
                arrived.clear()
                await pilot.press("escape")
                await wait_for(lambda: typed in painted and app.screen is lookup, arrived,
                               f"results for {typed!r} after Escape")
    finally:
        LookupScreen.show = real_show
        ProfileScreen.show_loaded = real_loaded
    return results, cpu_results, first_key_ms, opened, opened_cpu, first_open_ms


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    pick = lambda f: ordered[min(len(ordered) - 1, int(f * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": pick(0.95), "max": ordered[-1]}


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def line(name: str, n: int, a: dict, ac: dict, b: dict | None = None, bc: dict | None = None) -> str:
    text = f"{name:<16} {n:>5} {a['p50']:>9.1f}ms {a['p95']:>5.1f}ms {a['max']:>6.1f}ms {ac['p50']:>6.1f}ms"
    if b is not None:
        text += f"   {b['p50']:>8.1f}ms {b['p95']:>5.1f}ms {bc['p50']:>6.1f}ms"
    return text


def start_bench(url: str, runs: int) -> dict | None:
    """bench/start on the same database, after the screen measures (never beside them)."""
    if not url.startswith("sqlite:///"):
        print("\nstart: bench/start measures an SQLite file only; skipped")
        return None
    out = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[1] / "start" / "run.py"),
                          "--db", url[len("sqlite:///"):], "--runs", str(runs), "--json"],
                         capture_output=True, text=True, check=True).stdout
    table, _, rest = out.partition("\n{")
    print(f"\nstart (bench/start, same database):\n{table}")
    return json.loads("{" + rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL (e.g. sqlite:////tmp/h5/big.sqlite)")
    parser.add_argument("--today", help="YYYY-MM-DD: the day the demo store was built for (default: today)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--per-kind", type=int, default=5, help="queries of each kind")
    parser.add_argument("--cars", type=int, default=40, help="profiles opened by Enter each round")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the queries (the first warms caches)")
    parser.add_argument("--size", default="120x36", help="terminal size WxH")
    parser.add_argument("--start-runs", type=int, default=15,
                        help="then bench/start on the same SQLite file, this many runs (0: skip)")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()

    if args.today:
        clock.set_today(date.fromisoformat(args.today))
    engine = open_engine(args.db)
    with read_session(engine) as s:
        vehicles = s.execute(select(func.count()).select_from(Vehicle)).scalar()
    queries = sample_queries(engine, args.seed, args.per_kind)
    cars = sample_cars(engine, args.seed, args.cars)
    width, height = (int(x) for x in args.size.split("x"))
    print(f"{engine.url.render_as_string()}: {vehicles:,} vehicles; {os.cpu_count()} x "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, today {clock.today()}; load average {loadavg()}")
    print("queries:", json.dumps(queries, ensure_ascii=False))
    print("cars typed:", " ".join(typed for _, typed in cars))

    report = {"vehicles": vehicles, "queries": queries, "cars": cars, "rounds": []}
    for round_no in range(1, args.rounds + 1):
        load_before = loadavg()
        screen, screen_cpu, first, opened, opened_cpu, first_open = asyncio.run(
            drive(engine, queries, cars, (width, height)))
        store, store_cpu = store_only(engine, queries)
        floor, floor_cpu = profiles_only(engine, cars)
        load_after = loadavg()
        print(f"\nround {round_no}: load average {load_before} before, {load_after} after; first keypress after "
              f"start {first:.1f} ms, first Enter {first_open:.1f} ms (both excluded below)")
        print(f"{'':<16} {'n':>5} {'screen p50':>11} {'p95':>7} {'max':>8} {'cpu p50':>8}"
              f"   {'floor p50':>10} {'p95':>7} {'cpu p50':>8}")
        rows = {}
        for kind in queries:
            a, b = summary(screen[kind]), summary(store[kind])
            ac, bc = summary(screen_cpu[kind]), summary(store_cpu[kind])
            rows[kind] = {"screen": a, "screen_cpu": ac, "store": b, "store_cpu": bc}
            print(line(kind, a["n"], a, ac, b, bc))
        total = summary([t for kind in queries for t in screen[kind]])
        total_cpu = summary([t for kind in queries for t in screen_cpu[kind]])
        floor_all = summary([t for kind in queries for t in store[kind]])
        floor_all_cpu = summary([t for kind in queries for t in store_cpu[kind]])
        print(line("keypress→results", total["n"], total, total_cpu, floor_all, floor_all_cpu)
              + "   (floor: Counter.lookup)")
        prof, prof_cpu = summary(opened), summary(opened_cpu)
        prof_floor, prof_floor_cpu = summary(floor[1:] or floor), summary(floor_cpu[1:] or floor_cpu)
        print(line("Enter→profile", prof["n"], prof, prof_cpu, prof_floor, prof_floor_cpu)
              + "   (floor: Counter.profile)")
        report["rounds"].append({
            "first_key_ms": first, "kinds": rows, "all": total, "all_cpu": total_cpu,
            "all_floor": floor_all, "all_floor_cpu": floor_all_cpu,
            "first_enter_ms": first_open, "profile": prof, "profile_cpu": prof_cpu,
            "profile_floor": prof_floor, "profile_floor_cpu": prof_floor_cpu,
            "loadavg_before": load_before, "loadavg_after": load_after})
    if args.start_runs:
        report["start"] = start_bench(args.db, args.start_runs)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
