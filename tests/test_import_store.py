"""Imports into the store, on SQLite and Postgres: what the database holds after
each export, that the same export twice adds nothing twice, and that a refused or
interrupted file leaves nothing behind."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import read_session, write_session
from store.lookup import lookup
from store.models import Customer, ImportJournal, SearchTerm, Vehicle, Visit
from store.settings import set_setting
from tests.factories import add_store
from tests.import_files import (VEHICLE_HEADER, VIN_A, VIN_B, VISIT_HEADER, Killed, car, delimited_bytes, kill_after,
                                 visit, write_bytes, write_xls, write_xlsx)



def count(engine, model, *where) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def vehicles(engine) -> list[Vehicle]:
    with read_session(engine) as s:
        return list(s.execute(select(Vehicle).order_by(Vehicle.id)).scalars())


def visits(engine) -> dict[str, Visit]:
    with read_session(engine) as s:
        return {v.ro_number: v for v in s.execute(select(Visit)).scalars()}


def test_visits_join_by_vin_then_plate_and_create_unknown_cars(engine, store_id, tmp_path):
    rows = [VISIT_HEADER,
            visit("RO1", "粤A12345", vin=VIN_A, name="张伟", phone="13812345678", day="2026-01-05", km="10,000",
                  kind="首保", labour="0", parts="0", oil="350", total="350"),
            visit("RO2", "粤 a·12345", vin="", name="张伟", phone="13812345678", day="2026-03-05", km="15000",
                  kind="一般维修", labour="1,200.50", parts="800", oil="0", total="2,000.50"),
            visit("RO3", "粤Ａ１２３４５", vin="", day="2026-06-01", km="20000", kind="保险维修"),
            visit("RO4", "粤B77777", vin=VIN_B, model="天籁", name="李娜", phone="13900001234", day="2026-07-01",
                  km="5000", kind="钣喷"),
            visit("RO5", "粤C00001", vin="", model="奇骏", name="王芳", phone="13812345678", day="2026-08-01",
                  km="")]
    path = write_xlsx(tmp_path / "ro.xlsx", rows)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (result.kind, result.rows, result.inserted, result.updated, result.unchanged) == ("visits", 5, 5, 0, 0)
    assert result.rejected == []
    cars = vehicles(engine)
    assert [(v.plate, v.vin, v.model) for v in cars] == [("粤A12345", VIN_A, "轩逸"), ("粤B77777", VIN_B, "天籁"),
                                                        ("粤C00001", None, "奇骏")]
    a = cars[0]
    assert a.mileage == 20000  # the latest visit's
    got = visits(engine)
    assert {ro: v.vehicle_id for ro, v in got.items()} == {"RO1": a.id, "RO2": a.id, "RO3": a.id,
                                                           "RO4": cars[1].id, "RO5": cars[2].id}
    assert (got["RO2"].labour_fen, got["RO2"].parts_fen, got["RO2"].total_fen) == (120050, 80000, 200050)
    assert (got["RO1"].repair_type, got["RO2"].repair_type, got["RO3"].repair_type, got["RO4"].repair_type) == (
        "first_maintenance", "repair", "insurance", "bodywork")
    assert got["RO1"].date_in == date(2026, 1, 5) and got["RO1"].mileage == 10000
    assert got["RO5"].mileage is None and got["RO1"].sa_name == "王伟"
    # One customer per phone: 王芳's car shares 张伟's phone, so it is his customer record.
    with read_session(engine) as s:
        owners = {c.phone: c.name for c in s.execute(select(Customer)).scalars()}
    assert owners == {"13812345678": "张伟", "13900001234": "李娜"}
    assert cars[0].customer_id == cars[2].customer_id
    # The lookup index knows the new cars.
    with read_session(engine) as s:
        found = lookup(s, "B777", actor=SYSTEM)
        assert [m.plate for m in found] == ["粤B77777"] and found[0].owner == "李娜"
        assert sorted(m.plate for m in lookup(s, "5678", actor=SYSTEM)) == ["粤A12345", "粤C00001"]


def test_the_same_file_twice_and_an_overlapping_export_add_nothing_twice(engine, store_id, tmp_path):
    first = [VISIT_HEADER] + [visit(f"RO{i}", "粤A12345", vin=VIN_A, day=f"2026-0{i}-01") for i in range(1, 6)]
    path = write_bytes(tmp_path / "week1.csv", delimited_bytes(first, encoding="gbk"))
    assert import_file(engine, path, actor=SYSTEM, store_id=store_id).inserted == 5
    again = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (again.rows, again.inserted, again.updated, again.unchanged) == (5, 0, 0, 5)
    assert count(engine, Visit) == 5 and count(engine, Vehicle) == 1 and count(engine, Customer) == 1
    # A later export, as xlsx: RO4-RO5 again (RO5's amount corrected), RO6-RO7 new.
    later = [VISIT_HEADER] + [visit("RO4", "粤A12345", vin=VIN_A, day="2026-04-01"),
                              visit("RO5", "粤A12345", vin=VIN_A, day="2026-05-01", total="1,900"),
                              visit("RO6", "粤A12345", vin=VIN_A, day="2026-06-01"),
                              visit("RO7", "粤A12345", vin=VIN_A, day="2026-07-01")]
    result = import_file(engine, write_xlsx(tmp_path / "week2.xlsx", later), actor=SYSTEM, store_id=store_id)
    assert (result.inserted, result.updated, result.unchanged) == (2, 1, 1)
    assert count(engine, Visit) == 7 and count(engine, Vehicle) == 1
    assert visits(engine)["RO5"].total_fen == 190000
    with read_session(engine) as s:
        assert [j.inserted for j in s.execute(select(ImportJournal).order_by(ImportJournal.id)).scalars()] == [5, 0, 2]


def test_same_vin_twice_is_one_vehicle_and_the_later_row_updates_it(engine, store_id, tmp_path):
    rows = [["车牌号", "车架号", "车型", "车主", "手机", "购车日期", "保修到期日", "区域", "生日", "性别"],
            ["粤A12345", VIN_A, "轩逸", "张伟", "13812345678", "2023-05-06", "2026-05-06", "天河区", "1985-03-04", "男"],
            ["粤A88888", VIN_A, "轩逸·经典", "张伟", "13812345678", "2023-05-06", "2027-05-06", "番禺区", "", ""],
            ["粤B77777", "", "天籁", "李娜", "", 44927, "", "", "", "女"]]
    result = import_file(engine, write_xls(tmp_path / "cars.xls", rows), actor=SYSTEM, store_id=store_id)
    assert (result.kind, result.format, result.rows, result.inserted) == ("vehicles", "xls", 3, 2)
    cars = vehicles(engine)
    assert [(v.plate, v.vin, v.model, v.warranty_end, v.region) for v in cars] == [
        ("粤A88888", VIN_A, "轩逸·经典", date(2027, 5, 6), "番禺区"),
        ("粤B77777", None, "天籁", None, None)]
    assert cars[1].purchase_date == date(2023, 1, 1)  # an Excel serial in a date column
    with read_session(engine) as s:
        zhang = s.get(Customer, cars[0].customer_id)
        li = s.get(Customer, cars[1].customer_id)
        assert (zhang.name, zhang.birthday, zhang.gender, zhang.region) == ("张伟", date(1985, 3, 4), "男", "番禺区")
        assert (li.name, li.phone, li.gender) == ("李娜", None, "女")
        # The old plate no longer finds the car; the new one does.
        assert lookup(s, "A12345", actor=SYSTEM) == []
        assert [m.vin for m in lookup(s, "A888", actor=SYSTEM)] == [VIN_A]
    # Re-import: nothing changes; a new plate for VIN_A from a later export updates it.
    assert import_file(engine, tmp_path / "cars.xls", actor=SYSTEM, store_id=store_id).unchanged == 3
    newer = [rows[0], ["粤A99999", VIN_A, "轩逸·经典", "张伟", "13812345678", "", "", "", "", ""]]
    assert import_file(engine, write_xlsx(tmp_path / "newer.xlsx", newer), actor=SYSTEM, store_id=store_id).updated == 1
    assert vehicles(engine)[0].plate == "粤A99999"
    assert count(engine, Vehicle) == 2 and count(engine, Customer) == 2


def test_id_numbers_are_kept_encrypted_and_filled_in_later(engine, store_id, tmp_path, monkeypatch):
    from store.pii import decrypt_id_number

    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    first = [["车牌号", "车主", "手机", "身份证号"], ["粤A12345", "张伟", "13812345678", "440101199001011233"],
             ["粤B12345", "李娜", "13900001234", ""]]
    import_file(engine, write_xlsx(tmp_path / "a.xlsx", first), actor=SYSTEM, store_id=store_id)
    later = [first[0], ["粤B12345", "李娜", "13900001234", "44010119900101109X"]]
    assert import_file(engine, write_xlsx(tmp_path / "b.xlsx", later), actor=SYSTEM, store_id=store_id).updated == 1
    with read_session(engine) as s:
        people = {c.name: c for c in s.execute(select(Customer)).scalars()}
    assert "440101199001011233" not in (people["张伟"].id_number_enc or "")  # not in clear
    assert decrypt_id_number(people["张伟"].id_number_enc) == "440101199001011233"
    assert decrypt_id_number(people["李娜"].id_number_enc) == "44010119900101109X"
    assert import_file(engine, tmp_path / "b.xlsx", actor=SYSTEM, store_id=store_id).unchanged == 1


def test_a_plate_known_without_vin_gets_its_vin(engine, store_id, tmp_path):
    rows = [VISIT_HEADER, visit("RO1", "粤A12345", day="2026-01-01"), visit("RO2", "粤A12345", vin=VIN_A,
                                                                            day="2026-02-01")]
    import_file(engine, write_xlsx(tmp_path / "a.xlsx", rows[:2]), actor=SYSTEM, store_id=store_id)
    import_file(engine, write_xlsx(tmp_path / "b.xlsx", [rows[0], rows[2]]), actor=SYSTEM, store_id=store_id)
    assert [(v.plate, v.vin) for v in vehicles(engine)] == [("粤A12345", VIN_A)]
    assert len({v.vehicle_id for v in visits(engine).values()}) == 1


def test_an_older_export_does_not_put_back_an_old_plate(engine, store_id, tmp_path):
    new = [VISIT_HEADER, visit("RO9", "粤A99999", vin=VIN_A, day="2026-09-01", km="30000")]
    old = [VISIT_HEADER, visit("RO1", "粤A12345", vin=VIN_A, day="2025-01-01", km="9000")]
    import_file(engine, write_xlsx(tmp_path / "new.xlsx", new), actor=SYSTEM, store_id=store_id)
    import_file(engine, write_xlsx(tmp_path / "old.xlsx", old), actor=SYSTEM, store_id=store_id)
    (car,) = vehicles(engine)
    assert (car.plate, car.mileage) == ("粤A99999", 30000)
    assert count(engine, Visit) == 2


def test_bad_rows_are_rejected_and_the_rest_goes_in(engine, store_id, tmp_path):
    rows = [VISIT_HEADER, visit("RO1", "粤A12345"), visit("RO2", "粤A12345", day="2026-13-01"),
            visit("RO3", ""), visit("RO4", "粤A12345", parts="n/a"), visit("RO5", "粤B12345")]
    result = import_file(engine, write_bytes(tmp_path / "x.xls", delimited_bytes(rows, delimiter="\t")),
                         actor=SYSTEM, store_id=store_id)
    assert result.format == "tsv"
    assert [(r.row, r.field, r.reason) for r in result.rejected] == [
        (4, "date_in", "'2026-13-01' is not a date"),
        (5, "plate", "the plate is missing"),
        (6, "parts", "'n/a' is not an amount"),
    ]
    assert (result.rows, result.inserted) == (5, 2)
    assert sorted(visits(engine)) == ["RO1", "RO5"]


def test_a_refused_file_writes_nothing(engine, store_id, tmp_path):
    junk = write_bytes(tmp_path / "export.xls", b"\x00\x01garbage" * 100)
    result = import_file(engine, junk, actor=SYSTEM, store_id=store_id)
    assert result.refused.startswith(f"{junk}: ") and result.refused_code == "not_table"
    no_header = write_xlsx(tmp_path / "notes.xlsx", [["备注"], ["今天没有数据"]])
    refused = import_file(engine, no_header, actor=SYSTEM, store_id=store_id)
    assert "no header row" in refused.refused and refused.refused_code == "no_header"
    assert count(engine, Visit) == count(engine, Vehicle) == count(engine, Customer) == 0
    assert count(engine, ImportJournal) == 0


def test_a_killed_import_leaves_no_half_file_and_the_next_run_completes_it(engine, store_id, tmp_path):
    rows = [VISIT_HEADER] + [visit(f"RO{i:03d}", f"粤A{i:05d}", day="2026-05-01") for i in range(1, 31)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    with pytest.raises(Killed):  # after the first batch
        import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10, progress=kill_after(10))
    assert count(engine, Visit) == count(engine, Vehicle) == count(engine, SearchTerm) == 0
    assert count(engine, ImportJournal, ImportJournal.finished_at.is_(None)) == 1
    assert _indexes(engine) == INDEXES  # rolled back with the rest, on the first import too
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10)
    assert (result.inserted, result.completed_interrupted) == (30, True)
    assert count(engine, Visit) == 30 and count(engine, Vehicle) == 30
    assert count(engine, ImportJournal, ImportJournal.finished_at.is_(None)) == 0
    assert _indexes(engine) == INDEXES
    with read_session(engine) as s:
        assert [m.plate for m in lookup(s, "A00007", actor=SYSTEM)] == ["粤A00007"]


INDEXES = {"ix_visit_date_in", "ix_visit_sa_name", "ix_visit_vehicle_date", "ix_searchterm_vehicle_id",
           "visit -> store", "visit -> vehicle", "searchterm -> vehicle"}


def _indexes(engine) -> set[str]:
    """The secondary indexes and foreign keys of visit and searchterm (a first import
    builds them at the end: they must be there afterwards, whatever happened)."""
    from sqlalchemy import inspect

    found = set()
    for table in ("visit", "searchterm"):
        found |= {ix["name"] for ix in inspect(engine).get_indexes(table)}
        found |= {f"{table} -> {fk['referred_table']}" for fk in inspect(engine).get_foreign_keys(table)}
    return found & INDEXES


def test_a_cancelled_import_writes_nothing(engine, store_id, tmp_path):
    from importers.pipeline import ImportCancelled

    rows = [VISIT_HEADER] + [visit(f"RO{i:03d}", f"粤A{i:05d}", day="2026-05-01") for i in range(1, 21)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    asked = iter([False, True])  # the person presses Escape after the first batch
    with pytest.raises(ImportCancelled):
        import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10, cancelled=lambda: next(asked))
    assert count(engine, Visit) == count(engine, Vehicle) == count(engine, Customer) == 0


def test_duplicates_across_batches_of_one_file(engine, store_id, tmp_path):
    rows = [VISIT_HEADER] + [visit(f"RO{i % 7}", "粤A12345", day="2026-05-01", total=str(100 + i)) for i in range(20)]
    result = import_file(engine, write_xlsx(tmp_path / "dup.xlsx", rows), actor=SYSTEM, store_id=store_id, batch_rows=6)
    assert result.rows == 20 and result.inserted == 7
    assert result.inserted + result.updated + result.unchanged == 20
    assert visits(engine)["RO0"].total_fen == 11400  # row i=14, the last RO0


def test_store_spellings_from_settings(engine, store_id, tmp_path):
    with write_session(engine) as s:
        set_setting(s, "header_spellings", {"plate": ["号牌"], "ro_number": ["单据编号"], "date_in": ["接车日期"]},
                    store_id=store_id)
    rows = [["单据编号", "号牌", "接车日期", "结算金额"], ["R1", "粤A12345", "2026/9/1", "88.8"]]
    result = import_file(engine, write_bytes(tmp_path / "own.csv", delimited_bytes(rows)), actor=SYSTEM, store_id=store_id)
    assert (result.kind, result.inserted) == ("visits", 1)
    assert visits(engine)["R1"].total_fen == 8880


def test_an_imported_repair_order_earns_a_members_points_once(engine, tmp_path):
    """A member's RO arriving by import credits their points in the same transaction;
    the same file again credits nothing; a non-member earns nothing."""
    from datetime import date

    from sqlmodel import select

    from importers.pipeline import import_file
    from store.db import read_session, write_session
    from store.models import Membership, PointsAccount, PointsEntry
    from tests.factories import add_car, add_store

    with write_session(engine) as s:
        store = add_store(s)
        member = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
        add_car(s, store, plate="粤B54321", owner="李娜", phone="13900001111")
        s.add(Membership(store_id=store.id, customer_id=member.customer_id, started_on=date(2026, 1, 1),
                         expires_on=date(2027, 1, 1)))
        store_id = store.id
    export = tmp_path / "ro.csv"
    export.write_text(
        "工单号,车牌号,进厂日期,维修类型,结算金额\n"
        "RO9001,粤A·12345,2026-11-20,定期保养,\"1,250.00\"\n"
        "RO9002,粤B54321,2026-11-20,定期保养,800\n", encoding="utf-8")
    first = import_file(engine, export, actor=SYSTEM, store_id=store_id)
    assert first.refused is None and first.inserted == 2
    assert first.points_earned == 1
    again = import_file(engine, export, actor=SYSTEM, store_id=store_id)
    assert again.points_earned == 0
    with read_session(engine) as s:
        (account,) = s.exec(select(PointsAccount)).all()
        entries = s.exec(select(PointsEntry).where(PointsEntry.account_id == account.id)).all()
    assert account.balance == 12 == sum(e.points for e in entries)  # 1 point per 100 yuan of ¥1,250
    assert [e.kind for e in entries] == ["earn"]


def test_a_file_that_breaks_half_way_is_refused_whole(engine, store_id, tmp_path, monkeypatch):
    """The next batch is read while the last is written; a batch that cannot be read
    (here the second) refuses the file, and what the first batch wrote is rolled back."""
    import polars as pl

    import importers.pipeline as pipeline

    rows = [VISIT_HEADER] + [visit(f"RO{i:03d}", f"粤A{i:05d}", day="2026-05-01") for i in range(1, 31)]
    path = write_bytes(tmp_path / "visits.csv", delimited_bytes(rows))
    real = pipeline.typed
    seen = []

    def breaks_on_the_second_batch(raw, *args, **kwargs):
        seen.append(raw.height)
        if len(seen) == 2:
            raise pl.exceptions.ComputeError("the disk gave up")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(pipeline, "typed", breaks_on_the_second_batch)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10)
    assert result.refused_code == "broken" and "the disk gave up" in result.refused
    assert count(engine, Visit) == count(engine, Vehicle) == count(engine, Customer) == count(engine, SearchTerm) == 0
    monkeypatch.setattr(pipeline, "typed", real)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=10)
    assert (result.refused, result.inserted) == (None, 30)
    with read_session(engine) as s:
        assert [m.plate for m in lookup(s, "A00030", actor=SYSTEM)] == ["粤A00030"]


def test_a_car_that_changes_plate_between_batches_is_found_by_its_last_plate_only(engine, store_id, tmp_path):
    """Search terms are written when the file is done, from each car's final values:
    a plate that moved on a later batch of the same file (or of a later file) leaves
    no trace, and every form of the car's keys finds it."""
    from store.lookup import terms_for

    rows = [VISIT_HEADER] + [visit(f"RO{i:03d}", f"粤B{i:05d}", day="2026-03-01") for i in range(1, 16)]
    rows[3] = visit("RO003", "粤A11111", vin=VIN_A, name="张伟", phone="13812345678", day="2026-03-01")
    rows[14] = visit("RO014", "粤A22222", vin=VIN_A, name="张伟", phone="13812345678", day="2026-04-01")
    path = write_bytes(tmp_path / "visits.csv", delimited_bytes(rows))
    assert import_file(engine, path, actor=SYSTEM, store_id=store_id, batch_rows=5).inserted == 15
    with read_session(engine) as s:
        assert lookup(s, "A11111", actor=SYSTEM) == []
        for query in ("A22222", "22222", "2222", "000001", VIN_A[:9], "zw", "张伟", "13812345678"):
            assert "粤A22222" in [m.plate for m in lookup(s, query, actor=SYSTEM)], query
        car = s.execute(select(Vehicle).where(Vehicle.vin == VIN_A)).scalar_one()
        stored = sorted(s.execute(select(SearchTerm.term).where(SearchTerm.vehicle_id == car.id)).scalars())
    assert stored == terms_for(plate="粤A22222", vin=VIN_A, name="张伟", phone="13812345678")
    # A later file moves it again: the old terms go, the new ones come.
    later = [VISIT_HEADER, visit("RO100", "粤A33333", vin=VIN_A, name="张伟", phone="13812345678", day="2026-05-01")]
    import_file(engine, write_bytes(tmp_path / "later.csv", delimited_bytes(later)), actor=SYSTEM, store_id=store_id)
    with read_session(engine) as s:
        assert lookup(s, "A22222", actor=SYSTEM) == [] and [m.plate for m in lookup(s, "A33333", actor=SYSTEM)] == ["粤A33333"]
    assert count(engine, SearchTerm, SearchTerm.vehicle_id == car.id) == len(
        terms_for(plate="粤A33333", vin=VIN_A, name="张伟", phone="13812345678"))


def test_another_stores_car_is_never_taken_over_by_this_stores_rows(engine, tmp_path):
    """One VIN, one car of the group: store B's rows of store A's car (a visits and a
    vehicles export) are recorded in B by their plate without the VIN; A's car, its
    owner and its visits stay A's."""
    with write_session(engine) as s:
        a, b = add_store(s, code="A01", name="一店").id, add_store(s, code="B02", name="二店").id
    import_file(engine, write_xlsx(tmp_path / "a.xlsx", [
        VISIT_HEADER, visit("RA1", "粤A12345", vin=VIN_A, name="张伟", phone="13812345678", day="2026-03-05")]),
        actor=SYSTEM, store_id=a)
    result = import_file(engine, write_xlsx(tmp_path / "b.xlsx", [
        VISIT_HEADER,
        visit("RB1", "粤A12345", vin=VIN_A, name="李娜", phone="13900001234", day="2026-04-05")]),
        actor=SYSTEM, store_id=b)
    assert (result.inserted, result.vins_elsewhere, result.rejected) == (1, 1, [])
    cars = import_file(engine, write_xlsx(tmp_path / "b-cars.xlsx", [
        VEHICLE_HEADER, car("粤A12345", VIN_A, name="李娜", phone="13900001234")]), actor=SYSTEM, store_id=b)
    assert (cars.vins_elsewhere, cars.vehicles_created, cars.rejected) == (1, 0, [])
    with read_session(engine) as s:
        cars = {v.store_id: v for v in s.execute(select(Vehicle)).scalars()}
        owners = {c.id: (c.store_id, c.name) for c in s.execute(select(Customer)).scalars()}
        ro_car = dict(s.execute(select(Visit.ro_number, Visit.vehicle_id)).all())
    assert (cars[a].vin, owners[cars[a].customer_id]) == (VIN_A, (a, "张伟"))
    assert (cars[b].vin, cars[b].plate, owners[cars[b].customer_id]) == (None, "粤A12345", (b, "李娜"))
    assert ro_car == {"RA1": cars[a].id, "RB1": cars[b].id}
    again = import_file(engine, tmp_path / "b.xlsx", actor=SYSTEM, store_id=b)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
