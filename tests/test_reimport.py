"""The weekly re-import, on SQLite and Postgres: a row whose RO holds the same
fingerprint (store.ingest.row_hashes) is counted unchanged and writes nothing; a
changed row is updated as before and takes its new fingerprint; visits imported
before fingerprints are compared field by field once and get one."""

from __future__ import annotations

from sqlalchemy import select, text, update

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Customer, Vehicle, Visit
from store.points import cancel_ro
from tests.import_files import VIN_A, VIN_B, VISIT_HEADER, visit, write_xlsx



def week(**changes) -> list[list]:
    rows = {
        "RO1": visit("RO1", "粤A12345", vin=VIN_A, name="张伟", phone="13812345678", day="2026-07-05", total="350"),
        "RO2": visit("RO2", "粤A12345", vin=VIN_A, name="张伟", phone="13812345678", day="2026-08-05", total="800"),
        "RO3": visit("RO3", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-08-20", total="1,200"),
    }
    rows.update(changes)
    return [VISIT_HEADER, *rows.values()]


def visits(engine) -> dict[str, Visit]:
    with read_session(engine) as s:
        return {v.ro_number: v for v in s.execute(select(Visit)).scalars()}


def rewrites_of_visits(engine):
    """A trigger-free way to see whether a re-import wrote a visit: every visit's
    columns as a tuple, compared before and after."""
    with read_session(engine) as s:
        return {r[0]: r for r in s.execute(text("SELECT * FROM visit ORDER BY id")).all()}


def test_the_same_export_again_is_all_unchanged_and_writes_no_visit(engine, store_id, tmp_path):
    path = write_xlsx(tmp_path / "w1.xlsx", week())
    first = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert all(v.row_hash is not None for v in visits(engine).values())
    before = rewrites_of_visits(engine)
    again = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (again.inserted, again.updated, again.unchanged, again.vehicles_created) == (0, 0, 3, 0)
    assert rewrites_of_visits(engine) == before


def test_a_changed_row_is_updated_and_takes_its_new_fingerprint(engine, store_id, tmp_path):
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", week()), actor=SYSTEM, store_id=store_id)
    old = visits(engine)
    changed = week(RO2=visit("RO2", "粤A12345", vin=VIN_A, name="张伟", phone="13812345678", day="2026-08-05",
                             total="880"),
                   RO4=visit("RO4", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-08-28",
                             total="90"))
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", changed), actor=SYSTEM, store_id=store_id)
    assert result.rejected == []
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 2)
    now = visits(engine)
    assert now["RO2"].total_fen == 880_00 and now["RO2"].row_hash != old["RO2"].row_hash
    assert now["RO1"].row_hash == old["RO1"].row_hash and now["RO4"].row_hash is not None
    again = import_file(engine, write_xlsx(tmp_path / "w3.xlsx", changed), actor=SYSTEM, store_id=store_id)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_a_row_changed_outside_its_visit_updates_the_owner_and_keeps_the_visit(engine, store_id, tmp_path):
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", week()), actor=SYSTEM, store_id=store_id)
    old = visits(engine)
    moved = week(RO3=visit("RO3", "粤B77777", vin=VIN_B, name="李娜", phone="13900005678", day="2026-08-20",
                           total="1,200"))
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", moved), actor=SYSTEM, store_id=store_id)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 3)
    with read_session(engine) as s:
        owner = s.execute(select(Customer.phone).join(Vehicle, Vehicle.customer_id == Customer.id)
                          .where(Vehicle.vin == VIN_B)).scalar_one()
    assert owner == "13900005678"  # the car's owner is now the customer with that phone
    assert visits(engine)["RO3"].row_hash != old["RO3"].row_hash  # the next import skips it
    before = rewrites_of_visits(engine)
    again = import_file(engine, write_xlsx(tmp_path / "w3.xlsx", moved), actor=SYSTEM, store_id=store_id)
    assert (again.updated, again.unchanged) == (0, 3) and rewrites_of_visits(engine) == before


def test_visits_from_before_fingerprints_are_compared_once_then_skipped(engine, store_id, tmp_path):
    path = write_xlsx(tmp_path / "w1.xlsx", week())
    import_file(engine, path, actor=SYSTEM, store_id=store_id)
    with write_session(engine) as s:
        s.execute(update(Visit).values(row_hash=None))
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 3)
    assert all(v.row_hash is not None for v in visits(engine).values())


def test_an_ro_cancelled_by_hand_stays_cancelled_when_its_row_comes_again(engine, store_id, tmp_path):
    path = write_xlsx(tmp_path / "w1.xlsx", week())
    import_file(engine, path, actor=SYSTEM, store_id=store_id)
    with write_session(engine) as s:
        cancel_ro(s, store_id=store_id, ro_number="RO2", reason="录入错误", actor=SYSTEM)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert (result.updated, result.unchanged) == (0, 3)
    assert visits(engine)["RO2"].status == "cancelled"


def test_the_same_ro_twice_in_a_file_takes_the_usual_path(engine, store_id, tmp_path):
    rows = week()
    import_file(engine, write_xlsx(tmp_path / "w1.xlsx", rows), actor=SYSTEM, store_id=store_id)
    twice = [*rows, visit("RO3", "粤B77777", vin=VIN_B, name="李娜", phone="13900001234", day="2026-08-20",
                           total="1,300")]
    result = import_file(engine, write_xlsx(tmp_path / "w2.xlsx", twice), actor=SYSTEM, store_id=store_id)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 2)
    assert visits(engine)["RO3"].total_fen == 1300_00
