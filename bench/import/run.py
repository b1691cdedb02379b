r"""How fast DMS exports go in, and how much memory it takes, beside pandas.

A visits export (default 1,000,000 rows) as xlsx and as CSV, made once and cached
under --cache. Each measurement runs in a fresh child process, so its peak memory
(max RSS, from wait4) is its own:

- read: file -> typed, validated rows (no database) with ``importers``, beside
  ``pandas.read_excel(engine="openpyxl")`` and ``pandas.read_csv`` on the same file;
- import: ``import_file`` end to end (sniff, read, validate, upsert, search index,
  commit) into a fresh SQLite file and, with --pg, a fresh Postgres schema;
- flat memory: the same at --small rows (and with --double-csv twice the rows
  over the same cars), to compare peaks.

To rerun it (from the repository root, with the project's dependencies and pandas
installed; the Postgres database must exist and its public schema is dropped):

    createdb -h 127.0.0.1 -U postgres dealerdesk_bench
    flock /tmp/dealerdesk-bench.lock \
        python bench/import/run.py --rows 1000000 --double-csv \
        --pg postgresql+psycopg://postgres@127.0.0.1/dealerdesk_bench

``flock`` keeps two benchmarks from sharing the machine (anyone benchmarking here
takes the same lock); the load average is printed at the start, after every line
and at the end, since other work on the machine stretches every figure. Generating
the 1M-row xlsx takes minutes (openpyxl); it is cached, as are the CSVs. The whole
run takes about 12 minutes, most of it pandas reading the xlsx (``--skip-pandas``
leaves that out; ``--formats csv`` only the CSV lines).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


# --- the child: one measurement --------------------------------------------------------


def child(task: str, file: str, db: str | None) -> dict:
    sys.path[:0] = [str(ROOT), str(HERE)]
    if task == "ours-read":
        from importers.pipeline import read_typed

        start = time.perf_counter()
        result, batches = read_typed(Path(file))
        rows = rejected = 0
        for typed_rows, rejects, skipped, raw_rows, *_ in batches():
            rows += typed_rows.height
            rejected += len(rejects)
        return {"seconds": time.perf_counter() - start, "rows": rows, "rejected": rejected}
    if task == "pandas-read":
        import pandas as pd

        start = time.perf_counter()
        if file.endswith(".xlsx"):
            df = pd.read_excel(file, engine="openpyxl", header=2)  # header under a title and an export line
        else:
            df = pd.read_csv(file, header=1, encoding="utf-8-sig")
        return {"seconds": time.perf_counter() - start, "rows": len(df) - 1}  # less the 合计 row
    if task == "pandas-to-sql":
        # The analyst's way: read the CSV, write it to one table, no validation, no
        # index, no second table; into SQLite (--db sqlite:///...) or Postgres.
        import pandas as pd
        from sqlalchemy import create_engine

        engine = create_engine(db)
        start = time.perf_counter()
        df = pd.read_csv(file, header=1, encoding="utf-8-sig")
        pg = db.startswith("postgresql")  # multi-row INSERTs, under Postgres's 65,535 parameters a statement
        df.to_sql("pandas_visits", engine, if_exists="replace", index=False, chunksize=4_000 if pg else 50_000,
                  method="multi" if pg else None)
        return {"seconds": time.perf_counter() - start, "rows": len(df) - 1}
    if task == "psql-copy":
        # The floor on Postgres: psql's \copy of the same CSV (less its title line) into
        # one plain table of text columns, no index, no key.
        url = db.replace("postgresql+psycopg://", "postgresql://")
        columns = ", ".join(f"c{i} text" for i in range(16))
        subprocess.run(["psql", url, "-q", "-c", "DROP TABLE IF EXISTS copy_floor",
                        "-c", f"CREATE TABLE copy_floor ({columns})"], check=True)
        start = time.perf_counter()
        with open(file, "rb", buffering=0) as fh:  # unbuffered: psql reads on from where we stop
            while fh.read(1) not in (b"\n", b""):  # the title line above the header
                pass
            subprocess.run(["psql", url, "-q", "-c", "\\copy copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)"],
                           stdin=fh, check=True)
        seconds = time.perf_counter() - start
        rows = int(subprocess.run(["psql", url, "-At", "-c", "SELECT count(*) FROM copy_floor"], check=True,
                                  capture_output=True, text=True).stdout) - 1  # less the 合计 row
        return {"seconds": seconds, "rows": rows}
    if task == "sqlite-stored-floor":
        # The same floor on SQLite: the rows the import wrote into ``file`` (a database
        # here), copied by SQLite alone (INSERT … SELECT from the attached file, no Python
        # per row) into a fresh database of the same schema, visit's and the search terms'
        # secondary indexes dropped first and built after, as a first load does. Timed: from
        # the first DROP to the COMMIT.
        import sqlite3

        from store.db import open_engine

        target = Path(db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        open_engine(db, auto_upgrade=True).dispose()
        conn = sqlite3.connect(target, isolation_level=None)
        conn.execute(f"ATTACH DATABASE '{file}' AS src")
        conn.execute("INSERT INTO store SELECT * FROM src.store WHERE id NOT IN (SELECT id FROM store)")
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA main.cache_size = -131072")
        rebuild = []
        for table in ("visit", "searchterm"):
            for name, sql in conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' "
                                          "AND tbl_name = ? AND sql IS NOT NULL", (table,)).fetchall():
                conn.execute(f'DROP INDEX main."{name}"')
                rebuild.append(sql)
        copied = {}
        for table, order in (("customer", "id"), ("vehicle", "id"), ("visit", "ro_number"),
                             ("searchterm", "term, vehicle_id")):
            t = time.perf_counter()
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} ORDER BY {order}")
            copied[table] = round(time.perf_counter() - t, 1)
        built = time.perf_counter()
        for sql in rebuild:
            conn.execute(sql)
        conn.execute("COMMIT")
        end = time.perf_counter()
        rows = conn.execute("SELECT count(*) FROM main.visit").fetchone()[0]
        return {"seconds": end - start, "rows": rows, "copied": copied, "built": round(end - built, 1)}
    if task == "pg-stored-floor":
        # The floor for what an import must store: the rows the import just wrote (cars,
        # customers, visits, search terms), taken out of the database (not timed), then put
        # back into a fresh schema by COPY alone, no Python, with visit's, vehicle's and the
        # search terms' secondary indexes and keys dropped first and built after, as a first
        # load does, and the statistics taken. Timed: from the first DROP to the ANALYZE.
        import psycopg

        url = db.replace("postgresql+psycopg://", "postgresql://")
        tables = ("customer", "vehicle", "visit", "searchterm")  # in the order the keys need
        with psycopg.connect(url) as conn:
            data = {}
            for table in tables:
                buf = io.BytesIO()
                with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:
                    for block in copy:
                        buf.write(block)
                data[table] = buf.getvalue()
            rows = conn.execute("SELECT count(*) FROM visit").fetchone()[0]
            stores = conn.execute("SELECT id, code, name FROM store").fetchall()
        fresh_pg(db)
        with psycopg.connect(url) as conn:
            for store in stores:
                conn.execute("INSERT INTO store (id, code, name) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING", store)
            conn.commit()
            start = time.perf_counter()
            rebuild = []
            for table in ("vehicle", "visit", "searchterm"):
                for name, ddl in conn.execute(
                        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                        "WHERE x.indrelid = to_regclass(%s) AND NOT x.indisprimary AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", (table,)).fetchall():
                    conn.execute(f'DROP INDEX "{name}"')
                    rebuild.append(ddl)
                for name, ddl in conn.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                              "WHERE conrelid = to_regclass(%s) AND contype = 'f'", (table,)).fetchall():
                    conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                    rebuild.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {ddl}')
            copied = {}
            for table in tables:
                t = time.perf_counter()
                with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(data[table])
                copied[table] = round(time.perf_counter() - t, 1)
            built = time.perf_counter()
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for ddl in rebuild:
                conn.execute(ddl)
            conn.execute(f"ANALYZE {', '.join(tables)}")
            conn.commit()
            end = time.perf_counter()
            return {"seconds": end - start, "rows": rows, "copied": copied, "built": round(end - built, 1)}
    if task == "import":
        from importers.pipeline import import_file
        from store.access import SYSTEM
        from store.db import open_engine, write_session
        from store.stores import ensure_store

        engine = open_engine(db, auto_upgrade=True)
        with write_session(engine) as session:
            store_id = ensure_store(session, "BENCH").id
        start = time.perf_counter()
        result = import_file(engine, file, actor=SYSTEM, store_id=store_id)
        seconds = time.perf_counter() - start
        if result.refused:
            raise SystemExit(result.refused)
        return {"seconds": seconds, "rows": result.rows, "inserted": result.inserted,
                "vehicles": result.vehicles_created, "rejected": result.rejected_rows}
    if task == "import-again":
        # The week's export (--file) into a store holding the export before it (--base).
        from importers.pipeline import import_file
        from store.access import SYSTEM
        from store.db import open_engine, write_session
        from store.stores import ensure_store

        engine = open_engine(db, auto_upgrade=True)
        with write_session(engine) as session:
            store_id = ensure_store(session, "BENCH").id
        base = import_file(engine, os.environ["BENCH_BASE_FILE"], actor=SYSTEM, store_id=store_id)
        if base.refused:
            raise SystemExit(base.refused)
        start = time.perf_counter()
        result = import_file(engine, file, actor=SYSTEM, store_id=store_id)
        seconds = time.perf_counter() - start
        if result.refused:
            raise SystemExit(result.refused)
        return {"seconds": seconds, "rows": result.rows, "inserted": result.inserted, "updated": result.updated,
                "unchanged": result.unchanged, "vehicles": result.vehicles_created,
                "rejected": result.rejected_rows}
    raise SystemExit(f"unknown task {task}")


# --- the parent -------------------------------------------------------------------------


def measure(task: str, file: Path, db: str | None = None, *, base: Path | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", task, "--file", str(file)]
    if db:
        cmd += ["--db", db]
    env = {**os.environ, "BENCH_BASE_FILE": str(base)} if base else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{task} on {file.name} failed ({proc.returncode})")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    figures["rows_per_s"] = figures["rows"] / figures["seconds"]
    return figures


def fresh_sqlite(tmp: Path, name: str) -> str:
    path = tmp / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_pg(url: str) -> str:
    from sqlalchemy import text

    from store.db import make_engine, upgrade

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return url


def line(label: str, f: dict) -> str:
    return (f"| {label} | {f['rows']:,} | {f['seconds']:.1f} s | {f['rows_per_s']:,.0f} | {f['peak_mb']:,.0f} MB "
            f"| {os.getloadavg()[0]:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the export (default 1,000,000)")
    ap.add_argument("--small", type=int, default=100_000, help="a smaller export, to show memory stays flat")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dealerdesk-bench-import"), help="where exports are kept")
    ap.add_argument("--pg", help="a Postgres URL to import into too (its public schema is dropped and rebuilt)")
    ap.add_argument("--formats", default="xlsx,csv", help="xlsx,csv (default both)")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the pandas runs")
    ap.add_argument("--double-csv", action="store_true",
                    help="also a CSV with twice the rows over the same cars (is memory flat in the file size?)")
    ap.add_argument("--double-xlsx", action="store_true",
                    help="also read an xlsx with twice the rows (minutes to make with openpyxl, then cached)")
    ap.add_argument("--reimport", type=int, metavar="ROWS",
                    help="also a weekly export of ROWS rows, 90%% of them the previous file's ROs unchanged: "
                         "its first import beside its re-import, on SQLite (and Postgres with --pg)")
    ap.add_argument("--floors", action="store_true",
                    help="only the CSV import beside pandas read_csv + to_sql (SQLite, and Postgres with --pg) and "
                         "psql's \\copy into a plain table (Postgres), in the same run")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file, args.db)))
        return

    sys.path[:0] = [str(ROOT), str(HERE)]
    import exports

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    print(f"# import benchmark, {args.rows:,} rows; {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    files = {}
    for fmt in formats:
        for n in (args.rows, args.small):
            t = time.perf_counter()
            files[fmt, n] = exports.cached(args.cache, fmt, n)
            print(f"  {fmt} {n:,} rows: {files[fmt, n]} ({files[fmt, n].stat().st_size / 2**20:,.0f} MiB, "
                  f"ready in {time.perf_counter() - t:.0f} s)", flush=True)
    tmp = args.cache / "db"
    tmp.mkdir(parents=True, exist_ok=True)

    print("\n| what | rows | time | rows/s | peak memory | load |\n| --- | ---: | ---: | ---: | ---: | ---: |",
          flush=True)
    speedups = {}
    standard = [] if args.floors else formats  # --floors: its own lines only
    for fmt in standard:
        big = files[fmt, args.rows]
        ours = measure("ours-read", big)
        print(line(f"read {fmt}: dealerdesk importers", ours), flush=True)
        if not args.skip_pandas:
            theirs = measure("pandas-read", big)
            label = "pandas.read_excel(engine=\"openpyxl\")" if fmt == "xlsx" else "pandas.read_csv"
            print(line(f"read {fmt}: {label}", theirs), flush=True)
            speedups[fmt] = theirs["seconds"] / ours["seconds"]
        small = measure("ours-read", files[fmt, args.small])
        print(line(f"read {fmt}: dealerdesk importers, smaller file", small), flush=True)
    for fmt in standard:
        for n in (args.rows, args.small):
            f = measure("import", files[fmt, n], fresh_sqlite(tmp, f"{fmt}-{n}"))
            print(line(f"import {fmt} into SQLite, end to end", f), flush=True)
        if args.pg:
            f = measure("import", files[fmt, args.rows], fresh_pg(args.pg))
            print(line(f"import {fmt} into Postgres, end to end", f), flush=True)
    if args.double_csv and "csv" in formats:
        double = exports.cached(args.cache, "csv", 2 * args.rows, vehicles=max(1, args.rows // 8))
        print(line("read csv, twice the rows: dealerdesk importers", measure("ours-read", double)), flush=True)
        f = measure("import", double, fresh_sqlite(tmp, "csv-double"))
        print(line("import csv, twice the rows, same cars, into SQLite", f), flush=True)
    if args.double_xlsx and "xlsx" in formats:
        double = exports.cached(args.cache, "xlsx", 2 * args.rows)
        print(line("read xlsx, twice the rows: dealerdesk importers", measure("ours-read", double)), flush=True)
    if args.floors and "csv" in formats:
        # Beside the CSV import, in the same run: pandas read_csv + to_sql (one table, no
        # validation, no index), and on Postgres psql's \copy into a plain table.
        big = files["csv", args.rows]
        ours = measure("import", big, fresh_sqlite(tmp, "floor-ours"))
        print(line("import csv into SQLite, end to end (dealerdesk)", ours), flush=True)
        theirs = measure("pandas-to-sql", big, fresh_sqlite(tmp, "floor-pandas"))
        print(line("pandas read_csv + to_sql into SQLite (one table, no validation)", theirs), flush=True)
        stored = measure("sqlite-stored-floor", tmp / "floor-ours.sqlite", fresh_sqlite(tmp, "floor-stored"))
        print(line("the same rows copied by SQLite alone, indexes built after (what the schema costs)", stored),
              flush=True)
        print(f"\n(copy per table, s: {stored['copied']}; indexes after and the commit: {stored['built']} s)",
              flush=True)
        print(f"\nSQLite: dealerdesk / pandas = {theirs['seconds'] / ours['seconds']:.2f} "
              "(the import's rate over pandas'; 1.0 is as fast)\n", flush=True)
        if args.pg:
            ours = measure("import", big, fresh_pg(args.pg))
            print(line("import csv into Postgres, end to end (dealerdesk)", ours), flush=True)
            stored = measure("pg-stored-floor", big, args.pg)  # the rows the import just stored
            print(line("the same rows put back by COPY alone, indexes and keys built after (what the schema costs)",
                       stored), flush=True)
            print(f"\n(COPY per table, s: {stored['copied']}; indexes, keys and statistics after: "
                  f"{stored['built']} s)\n", flush=True)
            floor = measure("psql-copy", big, fresh_pg(args.pg))
            print(line("psql \\copy into one plain table (the floor)", floor), flush=True)
            if not args.skip_pandas:  # multi-row INSERTs: minutes at 1M rows
                theirs = measure("pandas-to-sql", big, fresh_pg(args.pg))
                print(line("pandas read_csv + to_sql into Postgres (one table, no validation)", theirs), flush=True)
            print(f"\nPostgres: dealerdesk takes {ours['seconds'] / floor['seconds']:.1f}x the \\copy floor; "
                  f"storing its rows by COPY alone takes {stored['seconds'] / floor['seconds']:.1f}x\n", flush=True)
    if args.reimport:
        # The weekly export: 90% of it the previous file's ROs, unchanged. Its first import
        # into an empty store beside its import into the store holding the previous file.
        base = exports.cached(args.cache, "csv", args.reimport)
        week = exports.cached_week(args.cache, args.reimport)
        # The floor: reading and validating the same file alone, no database.
        print(line("weekly csv: read and validated alone, no database (the floor)", measure("ours-read", week)),
              flush=True)
        targets = [("SQLite", lambda name: fresh_sqlite(tmp, name))]
        if args.pg:
            targets.append(("Postgres", lambda _name: fresh_pg(args.pg)))
        for backend, fresh in targets:
            first = measure("import", week, fresh("week-first"))
            print(line(f"weekly csv (90% known), first import into an empty {backend}", first), flush=True)
            again = measure("import-again", week, fresh("week-again"), base=base)
            print(line(f"weekly csv (90% known), into {backend} holding last week's file "
                       f"({again['unchanged']:,} unchanged, {again['inserted']:,} new)", again), flush=True)
            print(f"\nre-import on {backend}: {first['seconds'] / again['seconds']:.1f}x faster than a first "
                  "import of the same file\n", flush=True)
    for fmt, x in speedups.items():
        print(f"\nreading {fmt}: {x:.1f}x pandas", flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
