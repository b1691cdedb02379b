"""How a visits export meets what the store holds, on both backends.

On Postgres, a batch that may hold ROs the store already has is merged by the
server: COPY into a staging table, one INSERT … ON CONFLICT (store.ingest,
``Ingest._merge_visits``); a spy counts the batches that took that path, so these
tests fail if it is skipped. A first load into a store without visits goes straight
in, and on Postgres its cars are written once, at the end, with their final values
(``cars_at_end``) while the tables' indexes and keys are rebuilt: those must come
back whether the import completes or is killed. SQLite takes its own path to the
same database state; each test asserts that state on both."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import read_session
from store.ingest import Ingest, KnownRows
from store.lookup import lookup
from store.models import ImportJournal, Vehicle, Visit
from tests.import_files import (VIN_A, VIN_B, VISIT_HEADER, Killed, delimited_bytes, kill_after, visit, write_bytes,
                                 write_xlsx)



@pytest.fixture
def merged(monkeypatch):
    """Sizes of the batches Postgres merged through its staging table."""
    sizes: list[int] = []
    real = Ingest._merge_visits

    def spy(self, last, counts):
        sizes.append(last.height)
        return real(self, last, counts)

    monkeypatch.setattr(Ingest, "_merge_visits", spy)
    return sizes


def pg(engine) -> bool:
    return engine.dialect.name == "postgresql"


def base_rows() -> list[list]:
    return [VISIT_HEADER,
            visit("RO1", "粤A12345", vin=VIN_A, day="2026-07-05", km="10000", total="350"),
            visit("RO2", "粤A12345", vin=VIN_A, day="2026-08-05", km="15000", total="800"),
            visit("RO3", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-08-20", total="1,200"),
            visit("RO4", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-09-01", total="90")]


def snapshot(engine) -> tuple:
    with read_session(engine) as s:
        return (s.execute(text("SELECT * FROM visit ORDER BY id")).all(),
                s.execute(text("SELECT id, plate, vin, customer_id, mileage, former_plate FROM vehicle "
                               "ORDER BY id")).all(),
                s.execute(text("SELECT term, vehicle_id FROM searchterm ORDER BY term, vehicle_id")).all())


def by_ro(engine) -> dict[str, Visit]:
    with read_session(engine) as s:
        return {v.ro_number: v for v in s.execute(select(Visit)).scalars()}


def plates(engine, query: str) -> list[str]:
    with read_session(engine) as s:
        return [m.plate for m in lookup(s, query, actor=SYSTEM)]


def test_a_reimport_with_changed_unchanged_and_new_rows_and_a_new_plate(engine, store_id, tmp_path, merged):
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    old = by_ro(engine)
    week = [VISIT_HEADER,
            visit("RO1", "粤A12345", vin=VIN_A, day="2026-07-05", km="10000", total="350"),  # unchanged
            visit("RO2", "粤A12345", vin=VIN_A, day="2026-08-05", km="15000", total="880"),  # changed amount
            visit("RO3", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-08-20", total="1,200"),
            # the same visit, its owner's phone changed: the visit is unchanged, its fingerprint new
            visit("RO4", "粤B77777", vin=VIN_B, name="李娜", phone="13900009999", day="2026-09-01", total="90"),
            # car B came back on a new plate
            visit("RO5", "粤B88888", vin=VIN_B, name="李娜", phone="13900009999", day="2026-10-02", km="31000",
                  total="460")]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", week), actor=SYSTEM, store_id=store_id)
    assert result.rejected == []
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 3)
    assert result.vehicles_created == 0
    assert merged == ([3] if pg(engine) else [])  # RO1 and RO3 were skipped by their fingerprints
    now = by_ro(engine)
    assert now["RO2"].total_fen == 880_00 and now["RO2"].row_hash != old["RO2"].row_hash
    assert now["RO4"].row_hash != old["RO4"].row_hash and now["RO4"].total_fen == 90_00
    assert now["RO1"].row_hash == old["RO1"].row_hash
    assert now["RO5"].vehicle_id == now["RO3"].vehicle_id == old["RO3"].vehicle_id
    assert plates(engine, "B88888") == ["粤B88888"]
    assert plates(engine, "9999") == ["粤B88888"]
    with read_session(engine) as s:
        car_b = s.get(Vehicle, old["RO3"].vehicle_id)
        assert (car_b.plate, car_b.mileage) == ("粤B88888", 31000)
    again = import_file(engine, write_xlsx(tmp_path / "w3.xlsx", week), actor=SYSTEM, store_id=store_id)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)


def test_bad_rows_of_a_reimport_are_rejected_and_the_rest_is_merged(engine, store_id, tmp_path, merged):
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    week = [VISIT_HEADER,
            visit("RO2", "粤A12345", vin=VIN_A, day="2026-08-05", km="15000", total="990"),
            visit("RO6", "粤A12345", vin=VIN_A, day="2026-13-01"),
            visit("RO7", "粤A12345", vin=VIN_A, day="2026-10-01", parts="=1+1"),
            visit("RO8", "粤A12345", vin=VIN_A, day="2026-10-09", km="18000", total="120")]
    path = write_bytes(tmp_path / "w2.csv", delimited_bytes(week))
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    # Rows are numbered as the file shows them: a title line, the header, then RO2 on line 3.
    assert [(r.row, r.field) for r in result.rejected] == [(4, "date_in"), (5, "parts")]
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 0)
    assert merged == ([2] if pg(engine) else [])
    now = by_ro(engine)
    assert sorted(now) == ["RO1", "RO2", "RO3", "RO4", "RO8"]
    assert now["RO2"].total_fen == 990_00 and now["RO8"].total_fen == 120_00


def test_a_killed_reimport_writes_nothing_and_the_rerun_completes_it(engine, store_id, tmp_path, merged):
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    before = snapshot(engine)
    rows = [VISIT_HEADER, *[visit(f"RO{i}", "粤A12345", vin=VIN_A, day="2026-10-01", total=str(100 + i))
                            for i in range(1, 5)],
            *[visit(f"RN{i:02d}", f"粤C{i:05d}", day="2026-10-02") for i in range(1, 20)]]
    path = write_xlsx(tmp_path / "w2.xlsx", rows)
    with pytest.raises(Killed):
        import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10, progress=kill_after(10))
    assert merged == ([10] if pg(engine) else [])  # the batch was merged, then rolled back
    assert snapshot(engine) == before
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10)
    assert (result.inserted, result.updated, result.completed_interrupted) == (19, 4, True)
    assert by_ro(engine)["RO3"].total_fen == 103_00
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportJournal).where(
            ImportJournal.finished_at.is_(None))) == 0
    assert plates(engine, "C00007") == ["粤C00007"]


def keys_and_indexes(engine) -> set[str]:
    found = set()
    for table in ("vehicle", "visit", "searchterm"):
        found |= {f"{table}: {ix['name']}" for ix in inspect(engine).get_indexes(table)}
        found |= {f"{table} -> {fk['referred_table']}" for fk in inspect(engine).get_foreign_keys(table)}
    return found


def test_a_first_load_writes_each_car_with_its_last_values_and_keeps_every_key(engine, store_id, tmp_path, merged):
    expected = keys_and_indexes(engine)
    assert {"vehicle -> customer", "vehicle: ix_vehicle_store_plate", "visit -> vehicle"} <= expected
    # Car A on every batch, its mileage rising and its owner's phone changing; car B
    # changes plate in the third batch; an RO of the first batch comes again in the last.
    rows = [VISIT_HEADER]
    for i in range(12):
        rows.append(visit(f"RA{i:02d}", "粤A12345", vin=VIN_A, day=f"2026-0{1 + i // 3}-1{i % 3}", km=str(1000 * i),
                          phone="13812345678" if i < 8 else "13700000001"))
        rows.append(visit(f"RB{i:02d}", "粤B77777" if i < 6 else "粤B88888", vin=VIN_B, name="李娜",
                          phone="13900001234", day=f"2026-0{1 + i // 3}-2{i % 3}", km=str(2000 * i)))
    rows.append(visit("RA00", "粤A12345", vin=VIN_A, day="2026-01-10", km="0", total="990"))
    path = write_xlsx(tmp_path / "first.xlsx", rows)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=5)
    assert result.rejected == []
    assert (result.inserted, result.vehicles_created) == (24, 2)
    assert merged == ([5] if pg(engine) else [])  # only the batch holding RA00 again
    with read_session(engine) as s:
        cars = {v.vin: v for v in s.execute(select(Vehicle)).scalars()}
    assert (cars[VIN_A].plate, cars[VIN_A].mileage) == ("粤A12345", 11000)
    assert (cars[VIN_B].plate, cars[VIN_B].mileage) == ("粤B88888", 22000)
    assert by_ro(engine)["RA00"].total_fen == 990_00
    assert plates(engine, "0001") == ["粤A12345"]  # found by the owner's new phone
    assert plates(engine, "B88888") == ["粤B88888"] and plates(engine, "B77777") == []
    assert keys_and_indexes(engine) == expected


def test_a_killed_first_load_leaves_every_key_and_index(engine, store_id, tmp_path):
    expected = keys_and_indexes(engine)
    rows = [VISIT_HEADER] + [visit(f"RO{i:03d}", f"粤A{i % 7:05d}", day="2026-05-01") for i in range(1, 31)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    with pytest.raises(Killed):  # in the second batch
        import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10, progress=kill_after(20))
    assert keys_and_indexes(engine) == expected
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Vehicle)) == 0
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10)
    assert (result.inserted, result.vehicles_created) == (30, 7)
    assert keys_and_indexes(engine) == expected


@pytest.fixture
def marked(monkeypatch):
    """Per batch, how many rows the reader found unchanged in the committed database."""
    counts: list[int] = []
    real = KnownRows.mark

    def spy(self, batch):
        out = real(self, batch)
        counts.append(-1 if out is None else out.len())
        return out

    monkeypatch.setattr(KnownRows, "mark", spy)
    return counts


@pytest.mark.parametrize("bulk_ratio", [KnownRows.BULK_RATIO, 0], ids=["every-fingerprint-read", "ro-lookups"])
def test_the_reader_finds_the_unchanged_rows_and_the_files_later_row_of_an_ro_still_counts(
        engine, store_id, tmp_path, marked, monkeypatch, bulk_ratio):
    # A file about the store's size reads every fingerprint of the store in one go; a
    # small file into a big store looks its ROs up (the ratio 0 makes every store big).
    monkeypatch.setattr(KnownRows, "BULK_RATIO", bulk_ratio)
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    assert marked == [-1]  # a store without visits: nothing to look up
    marked.clear()
    original_ro1 = base_rows()[1]
    # RO1 changed in the first batch, then its original row again in the second: the
    # committed database holds that row, but the file's later row is the one that
    # counts, so the reader, having passed RO1 on once, leaves it to the writer.
    rows = [VISIT_HEADER,
            visit("RO1", "粤A12345", vin=VIN_A, day="2026-07-05", km="10000", total="777"),
            *base_rows()[2:],
            original_ro1]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", rows), actor=SYSTEM, store_id=store_id,
                         batch_rows=4)
    assert marked == [3, 0]  # RO2-RO4 unchanged; not the original RO1
    assert by_ro(engine)["RO1"].total_fen == 350_00
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 3)


def test_a_reader_lookup_that_fails_leaves_the_rows_to_the_writer(engine, store_id, tmp_path, marked, monkeypatch):
    import threading

    from sqlalchemy.exc import OperationalError

    from store import ingest

    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    marked.clear()
    real_rows = ingest._Db.rows

    def lock_timeout_in_the_reader(self, text, params=()):
        if threading.current_thread().name.startswith("import-typing"):  # the reader's lookup, not the writer's
            raise OperationalError(text, params, Exception("canceling statement due to lock timeout"))
        return real_rows(self, text, params)

    monkeypatch.setattr(ingest._Db, "rows", lock_timeout_in_the_reader)
    week = [*base_rows(), visit("RO9", "粤A12345", vin=VIN_A, day="2026-10-01", total="60")]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", week), actor=SYSTEM, store_id=store_id,
                         batch_rows=2)
    assert marked == [-1, -1, -1]  # the first batch's lookup failed: the reader stopped looking
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 4)  # the writer found them
    assert by_ro(engine)["RO9"].total_fen == 60_00


def test_rows_left_out_as_unchanged_still_set_where_the_points_sync_starts(engine, store_id, tmp_path, marked,
                                                                          monkeypatch):
    # Members' points are synced over the file's days after every import (a member who
    # joined since, backdated, earns then): rows the reader left out count for those days.
    from importers import pipeline

    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    synced_from = []
    real = pipeline.sync_visits

    def spy(session, *, store_id, since, actor):
        synced_from.append(since)
        return real(session, store_id=store_id, since=since, actor=actor)

    monkeypatch.setattr(pipeline, "sync_visits", spy)
    marked.clear()
    again = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    assert marked == [4] and again.unchanged == 4
    assert [d.isoformat() for d in synced_from] == ["2026-07-05"]


def test_batches_typed_two_at_once_keep_file_order_and_their_checks_too(engine, store_id, tmp_path, monkeypatch):
    # The reader types two batches at once. The first batch is made the slow one: the
    # second finishes first, yet the writer gets them in file order, and the second's
    # check for known rows waits for the first's (it must know the ROs passed on).
    import threading
    import time

    from importers import parse

    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    checked: list[list[str]] = []
    real_mark, real_fingerprints = KnownRows.mark, parse.fingerprints

    def mark(self, batch):
        checked.append(batch["ro_number"].to_list())
        return real_mark(self, batch)

    def fingerprints(text, repair_types=None):
        if "RO2" in text["ro_number"].to_list():
            time.sleep(0.3)  # the first batch's typing is overtaken
        return real_fingerprints(text, repair_types)

    threads: set[str] = set()
    real_typed = parse.typed

    def typed(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real_typed(*args, **kwargs)

    monkeypatch.setattr(KnownRows, "mark", mark)
    monkeypatch.setattr(parse, "fingerprints", fingerprints)
    monkeypatch.setattr("importers.pipeline.typed", typed)
    ingested: list[list[str]] = []
    real_add = Ingest.add

    def add(self, rows, *, unchanged=None):
        ingested.append(rows["ro_number"].to_list())
        return real_add(self, rows, unchanged=unchanged)

    monkeypatch.setattr(Ingest, "add", add)
    week = [*base_rows()[:3], visit("RO5", "粤A12345", vin=VIN_A, day="2026-10-01", total="60"),
            visit("RO1", "粤A12345", vin=VIN_A, day="2026-07-05", km="10000", total="351")]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", week), actor=SYSTEM, store_id=store_id,
                         batch_rows=2)
    assert checked == [["RO1", "RO2"], ["RO5", "RO1"]]  # in file order, though the second was typed first
    assert ingested == [[], ["RO5", "RO1"]]  # RO1 and RO2 left out as unchanged; then RO5 and RO1's later row
    assert len(threads) == 2
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 2)
    assert by_ro(engine)["RO1"].total_fen == 351_00


def planner_rows(engine, table: str) -> float:
    """How many rows the database's planner believes ``table`` holds (0: no statistics)."""
    with read_session(engine) as s:
        if pg(engine):
            return float(s.execute(text("SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = :t "
                                        "AND relkind = 'r'"), {"t": table}).scalar())
        if not s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return 0.0
        stat = s.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t ORDER BY stat DESC LIMIT 1"),
                         {"t": table}).scalar()
        return float(stat.split()[0]) if stat else 0.0


def test_an_import_that_grows_the_tables_by_a_tenth_leaves_their_statistics_current(engine, store_id, tmp_path):
    # The next queries (the points sync, the next import's merge, a counter's lookups)
    # are planned from statistics: a store just loaded must not look empty to the planner.
    rows = [VISIT_HEADER] + [visit(f"RO{i:05d}", f"粤A{i % 400:05d}", day="2026-05-01") for i in range(1, 1201)]
    import_file(engine, write_bytes(tmp_path / "load.csv", delimited_bytes(rows)), actor=SYSTEM, store_id=store_id)
    loaded = planner_rows(engine, "visit")
    assert loaded == pytest.approx(1200, rel=0.25)  # SQLite's ANALYZE reads a sample
    # A week of 50 rows grows the store by 4%: its statistics are left to the database's own upkeep.
    week = [VISIT_HEADER] + [visit(f"RW{i:05d}", f"粤A{i:05d}", day="2026-06-01") for i in range(1, 51)]
    import_file(engine, write_bytes(tmp_path / "week.csv", delimited_bytes(week)), actor=SYSTEM, store_id=store_id)
    assert planner_rows(engine, "visit") == loaded


@pytest.mark.parametrize("in_hand", [True, False], ids=["store-in-hand", "cars-looked-up"])
def test_a_reimport_matches_new_rows_by_the_same_rules_with_the_store_in_hand_or_not(
        engine, store_id, tmp_path, monkeypatch, in_hand):
    # When the reader finds the first batch known, the writer takes every car and customer
    # of the store in hand while it waits (Ingest.hold_store); a store too big for that has
    # its cars looked up batch by batch. Either way the rules decide alike: a plate goes to
    # the newer car, a phone finds its customer, a plate alone finds its car.
    held: list[bool] = []
    real = Ingest.hold_store

    def hold_store(self, most_cars):
        held.append(real(self, most_cars) if in_hand else False)
        return held[-1]

    monkeypatch.setattr(Ingest, "hold_store", hold_store)
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", base_rows()), actor=SYSTEM, store_id=store_id)
    vin_c = "LGBH52E01CY000003"
    week = [*base_rows()[:4],
            visit("RO5", "粤B77777", vin=vin_c, name="李娜", phone="13900001234", day="2026-10-01", total="500"),
            visit("RO6", "粤A12345", name="张伟", day="2026-10-02", km="20000", total="60")]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", week), actor=SYSTEM, store_id=store_id,
                         batch_rows=3)
    assert held == [in_hand]
    assert (result.inserted, result.updated, result.unchanged, result.customers_created) == (2, 0, 3, 0)
    with read_session(engine) as s:
        cars = {v.vin: v for v in s.execute(select(Vehicle)).scalars()}
        visits = by_ro(engine)
        assert cars[vin_c].plate == "粤B77777" and visits["RO5"].vehicle_id == cars[vin_c].id
        assert cars[VIN_B].plate is None and cars[VIN_B].former_plate == "粤B77777"
        assert cars[vin_c].customer_id == cars[VIN_B].customer_id  # 李娜, found by her phone
        assert visits["RO6"].vehicle_id == cars[VIN_A].id and cars[VIN_A].mileage == 20000
    assert set(plates(engine, "B77777")) == {"粤B77777", None}  # the new car, and the one it moved on from
