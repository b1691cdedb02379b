"""Benchmark: the churn report at group scale, side by side.

Same run, same data: dealerdesk's churn report (one row per vehicle from the
database, rules in polars; on Postgres counted in place), its general polars path
(a per-vehicle GROUP BY of the visits), a straightforward pandas version, pandas fed
by that SQL aggregation, and one plain SQL query. Each runs in its own child process
(``--repeat`` times; the best time counts) and reports its peak memory
(VmHWM), so one cannot inherit another's heap. The results must agree row
for row, or the run fails.

    python bench/reports/run.py --backend postgres --pg-url postgresql+psycopg://postgres@127.0.0.1/bench_reports
    python bench/reports/run.py --backend sqlite --vehicles 100000 --visits-per-vehicle 10

Data is generated once per database (see gen.py) and reused while its size
matches; ``--regenerate`` starts over. It goes under /tmp, never into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]


def peak_kb() -> int:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: on Linux a child
    started from this script inherits the parent's ru_maxrss across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(impl: str, url: str, as_of: date, by: list[str], repeat: int) -> None:
    from impls import IMPLEMENTATIONS

    fn = IMPLEMENTATIONS[impl]
    if impl.startswith("dealerdesk"):  # import what the product imports before measuring the baseline
        import store.reports.churn  # noqa: F401
    elif impl.startswith("pandas"):
        import pandas  # noqa: F401
    baseline = peak_kb()
    times, rows = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        rows = fn(url, as_of, by)
        times.append(time.perf_counter() - t)
    peak = peak_kb()
    print(json.dumps({"impl": impl, "times": times, "peak_kb": peak, "baseline_kb": baseline,
                      "rows": [list(r) for r in rows]}, default=str, ensure_ascii=False))


def run_child(impl: str, url: str, args) -> dict:
    cmd = [sys.executable, __file__, "--child", impl, "--url", url, "--as-of", args.as_of, "--by", args.by,
           "--repeat", str(args.repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{impl} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_data(url: str, args) -> int:
    from sqlalchemy import text

    from store.db import make_engine, upgrade
    from gen import load

    engine = make_engine(url)
    if args.regenerate:
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            engine.dispose()
            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
            engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        n_vehicles = conn.execute(text("SELECT COUNT(*) FROM vehicle")).scalar()
        n_visits = conn.execute(text("SELECT COUNT(*) FROM visit")).scalar() if n_vehicles else 0
    if n_vehicles == args.vehicles:
        print(f"{engine.dialect.name}: reusing {n_vehicles:,} vehicles, {n_visits:,} visits")
        return n_visits
    if n_vehicles:
        raise SystemExit(f"{url} holds {n_vehicles:,} vehicles, not {args.vehicles:,}: pass --regenerate")
    print(f"{engine.dialect.name}: generating {args.vehicles:,} vehicles, ~{args.vehicles * args.visits_per_vehicle:,.0f} visits")
    return load(engine, vehicles=args.vehicles, visits_per_vehicle=args.visits_per_vehicle,
                as_of=date.fromisoformat(args.as_of))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL",
                                                      "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports"))
    p.add_argument("--sqlite-path", default="/tmp/dealerdesk-bench/reports.sqlite")
    p.add_argument("--vehicles", type=int, default=1_000_000)
    p.add_argument("--visits-per-vehicle", type=float, default=10.0)
    p.add_argument("--as-of", default="2026-11-22")
    p.add_argument("--by", default="warranty", help="dimensions, as for `dealerdesk report churn --by` ('' for none)")
    p.add_argument("--impls", default="dealerdesk,dealerdesk_polars,pandas,pandas_agg,sql")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    args = p.parse_args()
    by = [d for d in args.by.split(",") if d]
    if args.child:
        child(args.child, args.url, date.fromisoformat(args.as_of), by, args.repeat)
        return

    urls = []
    if args.backend in ("sqlite", "both"):
        Path(args.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        urls.append(f"sqlite:///{args.sqlite_path}")
    if args.backend in ("postgres", "both"):
        urls.append(args.pg_url)
    print(f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for url in urls:
        visits = ensure_data(url, args)
        results = {}
        for impl in args.impls.split(","):
            results[impl] = r = run_child(impl, url, args)
            print(f"  {impl:<11} best {min(r['times']):7.2f} s  (runs {', '.join(f'{t:.2f}' for t in r['times'])})"
                  f"  peak {r['peak_kb'] / 1024:7.0f} MiB  (after imports {r['baseline_kb'] / 1024:.0f} MiB)",
                  flush=True)
        reference = results.get("dealerdesk", next(iter(results.values())))["rows"]
        for impl, r in results.items():
            if r["rows"] != reference:
                raise SystemExit(f"{impl} disagrees with dealerdesk:\n{r['rows']}\n{reference}")
        print(f"  all agree: {reference}")
        if "dealerdesk" in results and "pandas" in results:
            d, pd_ = results["dealerdesk"], results["pandas"]
            print(f"  dealerdesk vs pandas: {min(pd_['times']) / min(d['times']):.1f}x faster, "
                  f"{pd_['peak_kb'] / d['peak_kb']:.1f}x less peak memory")
        print(f"  ({args.vehicles:,} vehicles, {visits:,} visits, --by {args.by or '(none)'})")


if __name__ == "__main__":
    main()
