"""Benchmark: the monthly reports as a manager runs them, and their workbooks.

Times each report of the Reports screen (club KPIs, club costs, churn with its five
cuts, the class mix, calls) for one month, then the workbook it writes, on a demo
store of ``--vehicles`` cars (generated once into ``--db`` and reused while its size
matches). The best of ``--repeat`` runs counts; peak memory (VmHWM) is the process's.

    python bench/club_reports/run.py --db sqlite:////tmp/bench_club/demo.sqlite --vehicles 100000
    python bench/club_reports/run.py --db postgresql+psycopg://postgres@127.0.0.1/bench_club --vehicles 100000

Generated data goes under /tmp (or the Postgres database named), never into the repo.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ensure_demo(url: str, vehicles: int, today: date) -> dict:
    from sqlalchemy import func, select

    from store.db import make_engine, read_session, upgrade
    from store.demo import generate
    from store.models import Membership, Vehicle, Visit

    engine = make_engine(url)
    upgrade(engine)
    with read_session(engine) as s:
        have = s.execute(select(func.count()).select_from(Vehicle)).scalar()
    if have != vehicles:
        if have:
            raise SystemExit(f"{url} holds {have} vehicles, not {vehicles}: use another database")
        t = time.perf_counter()
        generate(engine, vehicles=vehicles, today=today, seed=7)
        print(f"generated {vehicles} vehicles in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    with read_session(engine) as s:
        counts = {name: s.execute(select(func.count()).select_from(model)).scalar()
                  for name, model in (("vehicles", Vehicle), ("visits", Visit), ("memberships", Membership))}
    engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="sqlite:////tmp/... or postgresql+psycopg://...")
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--today", default="2026-11-22")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from store import clock
    from store.db import make_engine, read_session
    from store.reports import Month
    from store.reports.books import REPORTS, report_book
    from store.reports.workbook import write_workbook

    today = date.fromisoformat(args.today)
    clock.set_today(today)
    counts = ensure_demo(args.db, args.vehicles, today)
    engine = make_engine(args.db)
    month = Month.parse(args.month)
    print(f"{platform.node()} {platform.python_version()} {engine.dialect.name}; "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f"; month {month}")
    print("| report | sheets | rows | query best (s) | workbook best (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    out = Path(tempfile.mkdtemp(prefix="bench_club_"))
    for name in REPORTS:
        query, write, book = [], [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            with read_session(engine) as s:
                book = report_book(s, name, month=month)
            query.append(time.perf_counter() - t)
            t = time.perf_counter()
            write_workbook(book, out / f"{name}.xlsx")
            write.append(time.perf_counter() - t)
        rows = sum(len(sheet.rows) for sheet in book.sheets)
        print(f"| {name} | {len(book.sheets)} | {rows:,} | {min(query):.2f} | {min(write):.2f} |")
    print(f"peak memory {peak_mb():.0f} MB; workbooks in {out}")


if __name__ == "__main__":
    main()
