"""One plate, one car at a time. Owners keep their plate when they sell a car on:
when an import brings a plate another car (another VIN) holds, the plate goes to
the newer car (seen with it last; the row arriving now when dates do not say), the
other car keeps its history under its VIN marked plate moved on (车牌已转出), each
move is told per row (the import's result, the command line, the F6 screen), the
lookup shows the car holding the plate first, and importing again changes nothing.
On SQLite and Postgres."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text
from textual.widgets import Input, Static
from typer.testing import CliRunner

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import downgrade, read_session, upgrade, write_session
from store.lookup import lookup
from store.models import SearchTerm, Vehicle, Visit
from store.profile import customer_profile
from store.ingest import PlateMove
from tests.cli_helpers import cli_args
from tests.factories import add_store
from tests.import_files import VEHICLE_HEADER, VISIT_HEADER, car, delimited_bytes, visit, write_bytes, write_xlsx
from tests.tui_helpers import wait_for

OLD = "LGBH52E01CY000001"  # the car the owner sold on
NEW = "LGBH52E01CY000002"  # the car the plate went to
PLATE = "粤A12345"


def cars(engine) -> dict[str, tuple]:
    """VIN -> (plate, plate as typed, former plate, moved on, visits' RO numbers), of
    the cars with a VIN (every car these tests import has one)."""
    with read_session(engine) as s:
        out = {}
        for v in s.execute(select(Vehicle).where(Vehicle.vin.is_not(None)).order_by(Vehicle.id)).scalars():
            ros = sorted(s.execute(select(Visit.ro_number).where(Visit.vehicle_id == v.id)).scalars())
            out[v.vin] = (v.plate, v.plate_raw, v.former_plate, v.plate_moved_on, ros)
        return out


def imported(engine, store_id, path):
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert result.refused is None and result.rejected == [], (result.refused, result.rejected)
    return result


def old_car_visits(tmp_path):
    return write_xlsx(tmp_path / "2025工单.xlsx", [VISIT_HEADER,
                                                 visit("RO1", PLATE, vin=OLD, day="2025-03-01", km="40000"),
                                                 visit("RO2", "粤 a·12345", vin=OLD, day="2025-06-01", km="45000")])


def new_car_visits(tmp_path):
    return write_xlsx(tmp_path / "2026工单.xlsx", [VISIT_HEADER,
                                                 visit("RO3", PLATE, vin=NEW, model="天籁", day="2026-09-01", km="1000"),
                                                 visit("RO4", "粤A·12345", model="天籁", day="2026-10-01", km="5000")])


def test_the_plate_moves_to_the_newer_car_and_the_old_one_keeps_its_history(engine, store_id, tmp_path):
    imported(engine, store_id, old_car_visits(tmp_path))
    result = imported(engine, store_id, new_car_visits(tmp_path))
    assert result.plate_moves == [PlateMove(row=4, plate=PLATE, holder_vin=NEW, moved_on_vin=OLD, on=date(2026, 9, 1))]
    assert cars(engine) == {
        OLD: (None, None, PLATE, date(2026, 9, 1), ["RO1", "RO2"]),  # its history, under its VIN
        NEW: (PLATE, "粤A·12345", None, None, ["RO3", "RO4"]),  # a row by plate alone joins the car holding it
    }
    # One plate, one car: no two cars of the store hold it.
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(Vehicle).where(Vehicle.plate == PLATE)).scalar_one() == 1
    # The lookup shows the car holding the plate first, the car it left after it.
    with read_session(engine) as s:
        for query in (PLATE, "A12345", "粤a·12345", "2345"):
            found = lookup(s, query, actor=SYSTEM)
            assert [(m.vin, m.plate, m.former_plate) for m in found] == [(NEW, PLATE, None), (OLD, None, PLATE)], query
        assert [m.as_dict()["former_plate"] for m in lookup(s, OLD[-6:], actor=SYSTEM)] == [PLATE]
        old_id = s.execute(select(Vehicle.id).where(Vehicle.vin == OLD)).scalar_one()
        profile = customer_profile(s, old_id, as_of=date(2026, 11, 22))
    assert (profile.vehicle.plate, profile.vehicle.former_plate, profile.vehicle.plate_moved_on) == (
        None, PLATE, date(2026, 9, 1))
    assert [v.ro_number for v in profile.visits] == ["RO2", "RO1"]


def ids_from(engine, first: int) -> None:
    """New cars get ids from ``first`` on, as in a store with a long history (and past
    the small integers Python keeps one object of: a car meeting itself is compared
    by value)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('vehicle', 'id'), :n)"), {"n": first - 1})
        else:
            conn.execute(text("INSERT INTO store (code, name) VALUES ('X99', '别的店')"))
            conn.execute(text("INSERT INTO vehicle (id, store_id, plate, created_at, updated_at) VALUES "
                              "(:n, (SELECT id FROM store WHERE code = 'X99'), '粤Z99999', :now, :now)"),
                         {"n": first - 1, "now": "2026-11-01 00:00:00"})


@pytest.mark.parametrize("first_id", [1, 100_000])
def test_importing_again_changes_nothing(engine, store_id, tmp_path, first_id):
    if first_id > 1:
        ids_from(engine, first_id)
    first, second = old_car_visits(tmp_path), new_car_visits(tmp_path)
    imported(engine, store_id, first)
    imported(engine, store_id, second)
    before = cars(engine)
    assert before[NEW][0] == PLATE and before[OLD][:3] == (None, None, PLATE)
    with read_session(engine) as s:
        terms = sorted(s.execute(select(SearchTerm.term, SearchTerm.vehicle_id)).all())
    for path in (second, first, second):
        again = imported(engine, store_id, path)
        assert (again.inserted, again.updated, again.plate_moves) == (0, 0, []), path
    assert cars(engine) == before
    with read_session(engine) as s:
        assert sorted(s.execute(select(SearchTerm.term, SearchTerm.vehicle_id)).all()) == terms


def test_an_older_row_arriving_later_leaves_the_plate_where_it_is(engine, store_id, tmp_path):
    """The 2026 export goes in first, last year's after it: the old car is recorded
    as plate moved on, from the day the newer car was seen with the plate."""
    imported(engine, store_id, new_car_visits(tmp_path))
    result = imported(engine, store_id, old_car_visits(tmp_path))
    assert result.plate_moves == [PlateMove(row=5, plate=PLATE, holder_vin=NEW, moved_on_vin=OLD, on=date(2026, 10, 1))]
    assert cars(engine) == {
        NEW: (PLATE, "粤A·12345", None, None, ["RO3", "RO4"]),
        OLD: (None, None, PLATE, date(2026, 10, 1), ["RO1", "RO2"]),
    }
    assert imported(engine, store_id, old_car_visits(tmp_path)).plate_moves == []


@pytest.mark.parametrize("first_id", [1, 100_000])
def test_both_cars_in_one_file(engine, store_id, tmp_path, first_id):
    """One export holding both cars, the newer car's rows first: the dates decide;
    importing it again, each car meets itself holding its plate, and nothing moves."""
    if first_id > 1:
        ids_from(engine, first_id)
    rows = [VISIT_HEADER, visit("RO3", PLATE, vin=NEW, day="2026-09-01"), visit("RO1", PLATE, vin=OLD, day="2025-03-01"),
            visit("RO2", PLATE, vin=OLD, day="2025-06-01"), visit("RO4", PLATE, day="2026-10-01")]
    path = write_bytes(tmp_path / "工单.csv", delimited_bytes(rows, encoding="gbk", newline="\r"))
    result = imported(engine, store_id, path)
    assert [(m.plate, m.holder_vin, m.moved_on_vin, m.on) for m in result.plate_moves] == [
        (PLATE, NEW, OLD, date(2026, 9, 1))]
    assert cars(engine) == {NEW: (PLATE, PLATE, None, None, ["RO3", "RO4"]),
                            OLD: (None, None, PLATE, date(2026, 9, 1), ["RO1", "RO2"])}
    again = imported(engine, store_id, path)
    assert (again.inserted, again.updated, again.plate_moves) == (0, 0, [])
    assert cars(engine) == {NEW: (PLATE, PLATE, None, None, ["RO3", "RO4"]),
                            OLD: (None, None, PLATE, date(2026, 9, 1), ["RO1", "RO2"])}


def test_a_vehicles_export_decides_by_purchase_date_else_by_the_row_arriving_now(engine, store_id, tmp_path):
    dated = write_bytes(tmp_path / "车辆档案.csv", delimited_bytes([
        VEHICLE_HEADER, car(PLATE, NEW, bought="2026-08-08"), car(PLATE, OLD, bought="2015-05-06")], title=None))
    result = imported(engine, store_id, dated)
    assert [(m.row, m.holder_vin, m.moved_on_vin, m.on) for m in result.plate_moves] == [
        (3, NEW, OLD, date(2026, 8, 8))]
    assert (cars(engine)[NEW][0], cars(engine)[OLD][:4]) == (PLATE, (None, None, PLATE, date(2026, 8, 8)))
    # A car without dates, the plate's holder's day known: the row arriving now is the newer car.
    third = "LGBH52E01CY000003"
    undated = write_bytes(tmp_path / "车辆档案2.csv", delimited_bytes([
        VEHICLE_HEADER, car(PLATE, third, bought="")], title=None))
    result = imported(engine, store_id, undated)
    assert [(m.row, m.holder_vin, m.moved_on_vin, m.on) for m in result.plate_moves] == [
        (2, third, NEW, date(2026, 11, 22))]  # the import's day
    held = cars(engine)
    assert [vin for vin, c in held.items() if c[0] == PLATE] == [third]
    assert held[NEW][2:4] == (PLATE, date(2026, 11, 22)) and held[OLD][2:4] == (PLATE, date(2026, 8, 8))
    for path in (undated, undated):
        again = imported(engine, store_id, path)
        assert (again.inserted, again.updated, again.unchanged, again.plate_moves) == (0, 0, 1, [])
    assert cars(engine) == held


def test_a_car_that_gets_a_plate_again_loses_the_mark(engine, store_id, tmp_path):
    imported(engine, store_id, old_car_visits(tmp_path))
    imported(engine, store_id, new_car_visits(tmp_path))
    later = write_xlsx(tmp_path / "新牌.xlsx", [VISIT_HEADER, visit("RO5", "粤B88888", vin=OLD, day="2026-11-01")])
    imported(engine, store_id, later)
    assert cars(engine)[OLD] == ("粤B88888", "粤B88888", None, None, ["RO1", "RO2", "RO5"])
    with read_session(engine) as s:
        assert [m.vin for m in lookup(s, PLATE, actor=SYSTEM)] == [NEW]


def test_the_upgrade_moves_plates_two_cars_held_before(engine):
    """Imports before the migration left one plate on two cars: the upgrade applies
    the rule (the car seen last keeps it), keeps every search term, and the
    downgrade gives the plate back."""
    downgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO store (id, code, name) VALUES (1, 'T01', '测试店')"))
        for vid, vin, bought in ((1, NEW, "2026-08-08"), (2, OLD, "2015-05-06"), (3, None, "2020-01-01")):
            conn.execute(text("INSERT INTO vehicle (id, store_id, plate, plate_raw, vin, purchase_date, created_at, "
                              "updated_at) VALUES (:id, 1, :plate, :plate, :vin, :bought, :now, :now)"),
                         {"id": vid, "plate": PLATE if vid < 3 else "粤B00001", "vin": vin,
                          "bought": date.fromisoformat(bought), "now": "2026-11-01 00:00:00"})
        conn.execute(text("INSERT INTO visit (store_id, vehicle_id, ro_number, date_in, repair_type, labour_fen, "
                          "parts_fen, oil_fen, accessories_fen, total_fen, status) "
                          "VALUES (1, 2, 'RO1', :day, 'maintenance', 0, 0, 0, 0, 0, 'settled')"),
                     {"day": date(2025, 6, 1)})
        conn.execute(text("INSERT INTO searchterm (term, vehicle_id) VALUES ('PA12345', 1), ('PA12345', 2)"))
    upgrade(engine)
    held = cars(engine)
    assert held[NEW][:4] == (PLATE, PLATE, None, None)
    assert held[OLD][:4] == (None, None, PLATE, date(2026, 8, 8))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM searchterm")).scalar_one() == 2
    downgrade(engine, "0002")
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT id, plate FROM vehicle")).all()) == [
            (1, PLATE), (2, PLATE), (3, "粤B00001")]
    upgrade(engine)


# --- told per row: the command line and the F6 screen -------------------------------------


def test_the_command_line_tells_each_move(engine, db_url, store_id, tmp_path):
    from tui.cli import app

    runner = CliRunner()
    first = runner.invoke(app, cli_args(["import", str(old_car_visits(tmp_path)), "--db", db_url]))
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, cli_args(["import", str(new_car_visits(tmp_path)), "--db", db_url]))
    assert second.exit_code == 0, second.output
    assert (f"  row 4: plate {PLATE} is now on VIN {NEW}; VIN {OLD} keeps its history, marked plate moved on "
            "(2026-09-01)") in second.stdout.splitlines()
    as_json = runner.invoke(app, cli_args(["import", str(new_car_visits(tmp_path)), "--db", db_url, "--format", "json"]))
    assert json.loads(as_json.stdout)[0]["plate_moves"] == []
    found = runner.invoke(app, cli_args(["lookup", PLATE, "--db", db_url, "--format", "json"]))
    assert [(m["vin"], m["plate"], m["former_plate"]) for m in json.loads(found.stdout)] == [
        (NEW, PLATE, None), (OLD, None, PLATE)]
    table = runner.invoke(app, cli_args(["lookup", PLATE, "--db", db_url]))
    assert f"{PLATE} (plate moved on)" in table.stdout


async def test_the_import_screen_tells_each_move(sqlite_engine, tmp_path):
    from tui.app import DealerDeskApp
    from tui.screens.importer import ImportScreen

    with write_session(sqlite_engine) as s:
        store_id = add_store(s).id
    imported(sqlite_engine, store_id, old_car_visits(tmp_path))
    path = new_car_visits(tmp_path)
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(path)
        await pilot.press("enter")
        status = screen.query_one("#import-status", Static)
        await wait_for(pilot, lambda: not screen.running and "完成" in str(status.render()))
        assert (f"2026工单.xlsx 第 4 行：车牌 {PLATE} 现属 VIN {NEW}；VIN {OLD} 保留历史，标记为车牌已转出"
                in str(status.render()))


async def test_the_counter_finds_the_car_holding_the_plate_first(sqlite_engine, tmp_path):
    from tui.app import DealerDeskApp

    with write_session(sqlite_engine) as s:
        store_id = add_store(s).id
    imported(sqlite_engine, store_id, old_car_visits(tmp_path))
    imported(sqlite_engine, store_id, new_car_visits(tmp_path))
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("a", "1", "2", "3", "4", "5")
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 2)
        assert [table.get_row_at(i)[0] for i in range(2)] == [PLATE, f"{PLATE}·已转出"]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileScreen"
                       and app.screen.profile is not None)
        vehicle = str(app.screen.query_one("#vehicle", Static).render())
        assert f"车牌 {PLATE} 已于 2026-09-01 转到另一辆车（此车历史保留）" in vehicle and OLD in vehicle
        assert [v.ro_number for v in app.screen.profile.visits] == ["RO2", "RO1"]
